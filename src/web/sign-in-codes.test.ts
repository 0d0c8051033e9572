import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CODE_TTL_MS, MAX_OPEN_CODES, SignInCodes } from "./sign-in-codes.js";
import type { Principal } from "../auth/types.js";
import { SqliteMetadataStore } from "../storage/sqlite-metadata-store.js";

const alice = { id: "a-object-id", clientId: "a-app-id" } as Principal;
const bob = { id: "b-object-id", clientId: "b-app-id" } as Principal;

/** Each case runs on both backings: this process's memory, and a metadata store (what nodes share). */
async function both(name: string, fn: (make: (now?: () => number) => SignInCodes, store?: SqliteMetadataStore) => Promise<void>) {
  test(`${name} (in memory)`, () => fn((now) => new SignInCodes(now)));
  test(`${name} (in the metadata store)`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "cove-codes-"));
    const store = SqliteMetadataStore.open(join(dir, "meta.db"));
    try {
      await fn((now) => new SignInCodes(now, store), store);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

await both("a sign-in code works once, for the principal it was made for", async (make) => {
  const codes = make();
  const { code } = (await codes.issue(alice))!;
  assert.equal((await codes.redeem(code))?.id, alice.id);
  assert.equal(await codes.redeem(code), undefined, "a second use is refused");
  assert.equal(await codes.redeem("not-a-code"), undefined);
});

await both("two holders of one store: a code made by one is redeemed once by either", async (make, store) => {
  if (!store) return; // in memory, a second holder shares nothing (that is the point of the store)
  const a = make();
  const b = make();
  const { code } = (await a.issue(alice))!;
  const answers = await Promise.all([b.redeem(code), a.redeem(code), b.redeem(code)]);
  assert.deepEqual(answers.map((p) => p?.id), [alice.id, undefined, undefined]);
});

await both("a sign-in code expires 60 s after it was made, to the millisecond", async (make) => {
  let now = 1_000_000;
  const codes = make(() => now);
  const early = (await codes.issue(alice))!.code;
  const late = (await codes.issue(alice))!.code;
  now += CODE_TTL_MS - 1;
  assert.equal((await codes.redeem(early))?.id, alice.id, "still valid 1 ms before its minute ends");
  now += 1;
  assert.equal(await codes.redeem(late), undefined, "refused at 60 s");
  assert.equal(await codes.size(), 0, "expired codes are swept");
});

await both("one principal cannot hold more than MAX_OPEN_CODES unused codes; another principal is not affected", async (make) => {
  let now = 0;
  const codes = make(() => now);
  for (let i = 0; i < MAX_OPEN_CODES; i++) assert.ok(await codes.issue(alice));
  assert.equal(await codes.issue(alice), undefined);
  assert.ok(await codes.issue(bob), "bob still gets a code");
  now += CODE_TTL_MS;
  assert.ok(await codes.issue(alice), "once alice's codes expire she gets new ones");
});

await both("only a digest of each code is kept", async (make, store) => {
  const codes = make();
  const { code } = (await codes.issue(alice))!;
  const held = store
    ? JSON.stringify(await store.listResources({ type: "Cove/signInCode", underId: "/cove/portal/signInCodes" }))
    : JSON.stringify([...(codes as unknown as { open: Map<string, unknown> }).open.keys()]);
  assert.ok(held.length > 20 && !held.includes(code));
});
