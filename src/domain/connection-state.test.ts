import { test } from "node:test";
import assert from "node:assert/strict";
import { CONNECTION_STATUSES, initialStatus, transition, type ConnectionStatus, type TransitionCause } from "./connection-state.js";

test("the transition table: every (from, to, cause) gives the documented answer", () => {
  const allowed: Record<string, string> = {
    "Pending>Approved/owner": "approve",
    "Pending>Rejected/owner": "reject",
    "Approved>Rejected/owner": "reject",
    "Pending>Disconnected/system": "disconnect",
    "Approved>Disconnected/system": "disconnect",
    "Rejected>Disconnected/system": "disconnect",
    "Pending>Pending/owner": "none",
    "Approved>Approved/owner": "none",
    "Rejected>Rejected/owner": "none",
  };
  let checked = 0;
  for (const from of CONNECTION_STATUSES) {
    for (const to of CONNECTION_STATUSES) {
      for (const cause of ["owner", "system"] as TransitionCause[]) {
        const r = transition(from as ConnectionStatus, to as ConnectionStatus, cause);
        const want = allowed[`${from}>${to}/${cause}`];
        if (want) assert.deepEqual(r, { ok: true, action: want, to }, `${from}>${to}/${cause}`);
        else assert.deepEqual(r, { ok: false, from, to }, `${from}>${to}/${cause}`);
        checked++;
      }
    }
  }
  assert.equal(checked, 32);
});

test("rejected and disconnected are final for the owner; manual requests start pending", () => {
  assert.equal(transition("Rejected", "Approved", "owner").ok, false);
  assert.equal(transition("Disconnected", "Approved", "owner").ok, false);
  assert.equal(transition("Approved", "Pending", "owner").ok, false);
  assert.equal(transition("Approved", "Disconnected", "owner").ok, false);
  assert.equal(initialStatus(true), "Pending");
  assert.equal(initialStatus(false), "Approved");
});
