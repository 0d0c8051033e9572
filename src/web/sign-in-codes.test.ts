import { test } from "node:test";
import assert from "node:assert/strict";
import { CODE_TTL_MS, MAX_OPEN_CODES, SignInCodes } from "./sign-in-codes.js";
import type { Principal } from "../auth/types.js";

const alice = { id: "a-object-id", clientId: "a-app-id" } as Principal;
const bob = { id: "b-object-id", clientId: "b-app-id" } as Principal;

test("a sign-in code works once, for the principal it was made for", () => {
  const codes = new SignInCodes();
  const { code } = codes.issue(alice)!;
  assert.equal(codes.redeem(code)?.id, alice.id);
  assert.equal(codes.redeem(code), undefined, "a second use is refused");
  assert.equal(codes.redeem("not-a-code"), undefined);
});

test("a sign-in code expires 60 s after it was made, to the millisecond", () => {
  let now = 1_000_000;
  const codes = new SignInCodes(() => now);
  const early = codes.issue(alice)!.code;
  const late = codes.issue(alice)!.code;
  now += CODE_TTL_MS - 1;
  assert.equal(codes.redeem(early)?.id, alice.id, "still valid 1 ms before its minute ends");
  now += 1;
  assert.equal(codes.redeem(late), undefined, "refused at 60 s");
  assert.equal(codes.size(), 0, "expired codes are swept");
});

test("one principal cannot hold more than MAX_OPEN_CODES unused codes; another principal is not affected", () => {
  let now = 0;
  const codes = new SignInCodes(() => now);
  for (let i = 0; i < MAX_OPEN_CODES; i++) assert.ok(codes.issue(alice));
  assert.equal(codes.issue(alice), undefined);
  assert.ok(codes.issue(bob), "bob still gets a code");
  now += CODE_TTL_MS;
  assert.ok(codes.issue(alice), "once alice's codes expire she gets new ones");
});

test("only a digest of each code is kept", () => {
  const codes = new SignInCodes();
  const { code } = codes.issue(alice)!;
  const held = JSON.stringify([...(codes as unknown as { open: Map<string, unknown> }).open.keys()]);
  assert.ok(!held.includes(code));
});
