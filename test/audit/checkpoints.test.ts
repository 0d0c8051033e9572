// Item 7 of issue 7: the audit log's head is signed as a checkpoint, so deleting the last records
// or rewriting the log (recomputing every later hash) is detected, and an auditor who kept an
// earlier checkpoint and the exported public key can prove that a later log still extends it.
// A real Cove, stopped and restarted on a data dir tampered with by the sqlite3 CLI and
// node:sqlite in between; signatures checked with openssl.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { cp, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DatabaseSync } from "node:sqlite";
import { auditRecordHash, AUDIT_GENESIS_HASH } from "../../src/domain/audit-chain.js";
import type { TestCove } from "../support/cove.js";
import { createRegistry, createServicePrincipal, managementToken } from "../support/arm.js";
import { https } from "../support/http.js";
import { freePorts, startAt, type Ports } from "./restartable-cove.js";

let root: string;
let dataDir: string;
let ports: Ports;
let cove: TestCove | undefined;
let token: string;
let publicKeyPem: string;
let saved: any;

const FAST = { auditCheckpointSeconds: "1" };

before(async () => {
  root = await mkdtemp(join(tmpdir(), "cove-audit-cp-"));
  dataDir = join(root, "original");
  ports = await freePorts();
  cove = await startAt(dataDir, ports, FAST);
  token = await managementToken(cove);
});
after(async () => {
  await cove?.stop();
  await rm(root, { recursive: true, force: true });
});

async function get(path: string) {
  return https(`${cove!.managementUrl}${path}`, { ca: cove!.ca, headers: { authorization: `Bearer ${token}` } });
}
async function post(path: string, body: object) {
  return https(`${cove!.managementUrl}${path}`, { method: "POST", body, ca: cove!.ca, headers: { authorization: `Bearer ${token}` } });
}
/** The real `cove` CLI, with its own config dir; its exit code and output. */
async function runCove(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    execFile(process.execPath, ["bin/cove.js", ...args], { env: { ...process.env, COVE_CONFIG_DIR: join(root, "cli-config") }, timeout: 60_000 }, (err, stdout, stderr) => {
      ok({ code: err ? (typeof (err as any).code === "number" ? (err as any).code : -1) : 0, stdout, stderr });
    });
  });
}
async function headSeq(): Promise<number> {
  const all = (await get("/cove/audit?limit=1000")).json().value;
  return all.at(-1).seq;
}
/** Waits (bounded) until a checkpoint covers `seq`; returns it and how long it took. */
async function checkpointCovering(seq: number): Promise<{ checkpoint: any; ms: number }> {
  const t0 = Date.now();
  while (Date.now() - t0 < 15_000) {
    const c = (await get("/cove/audit/checkpoints?limit=1000")).json().value.find((x: any) => x.seq >= seq);
    if (c) return { checkpoint: c, ms: Date.now() - t0 };
    await sleep(100);
  }
  throw new Error(`no checkpoint covered seq ${seq} within 15 s`);
}

test("the head is signed within the interval; openssl verifies the checkpoint with the exported public key", async () => {
  await createRegistry(cove!, "audit-cp-rg", "auditcp01");
  for (let i = 0; i < 3; i++) await createServicePrincipal(cove!, `audit-cp-${i}`);
  const head = await headSeq();
  assert.ok(head >= 8, `enough records to tamper with (${head})`);
  const { checkpoint, ms } = await checkpointCovering(head);
  console.log(`# checkpoint of seq ${checkpoint.seq} signed ${ms} ms after the write`);
  assert.ok(ms < 5000, `signed within a few seconds at auditCheckpointSeconds=1 (${ms} ms)`);
  assert.match(checkpoint.headHash, /^[0-9a-f]{64}$/);
  assert.equal(checkpoint.headHash, (await get(`/cove/audit?after=${checkpoint.seq - 1}&limit=1`)).json().value[0].hash);

  const keyRes = await get("/cove/audit/public-key");
  assert.equal(keyRes.status, 200);
  assert.match(String(keyRes.headers["content-type"]), /application\/x-pem-file/);
  publicKeyPem = keyRes.body.toString();
  assert.match(publicKeyPem, /^-----BEGIN PUBLIC KEY-----/);
  const jwk = (await get("/cove/audit/public-key?format=jwk")).json();
  assert.equal(jwk.kty, "OKP");
  assert.equal(jwk.crv, "Ed25519");
  assert.equal(jwk.kid, checkpoint.keyId);
  assert.equal(jwk.d, undefined, "never the private part");

  // The signed bytes exactly as docs/audit.md describes them, checked by openssl.
  const dir = join(root, "openssl");
  await rm(dir, { recursive: true, force: true });
  await import("node:fs/promises").then((fs) => fs.mkdir(dir));
  await writeFile(join(dir, "pub.pem"), publicKeyPem);
  await writeFile(join(dir, "sig.bin"), Buffer.from(checkpoint.signature, "base64"));
  const payload = `cove-audit-checkpoint-v1\n{"headHash":"${checkpoint.headHash}","seq":${checkpoint.seq},"time":"${checkpoint.time}"}`;
  await writeFile(join(dir, "payload"), payload);
  const args = ["pkeyutl", "-verify", "-pubin", "-inkey", join(dir, "pub.pem"), "-rawin", "-in", join(dir, "payload"), "-sigfile", join(dir, "sig.bin")];
  assert.match(execFileSync("openssl", args, { encoding: "utf8" }), /Signature Verified Successfully/);
  await writeFile(join(dir, "payload"), payload.replace(`"seq":${checkpoint.seq}`, `"seq":${checkpoint.seq - 1}`));
  assert.throws(() => execFileSync("openssl", args, { stdio: "pipe" }), "another seq does not verify");

  const keyMode = (await stat(join(dataDir, "keys", "audit-checkpoint.key"))).mode & 0o777;
  assert.equal(keyMode, 0o600);
  const v = (await get("/cove/audit/verify")).json();
  assert.equal(v.ok, true, JSON.stringify(v));
  assert.ok(v.lastCheckpoint.seq >= checkpoint.seq);
  assert.ok(v.checkpoints >= 1);
  // The auditor keeps a checkpoint that covers record 5 (edited below).
  saved = (await get("/cove/audit/checkpoints?limit=1000")).json().value.find((x: any) => x.seq >= 6);
  assert.ok(saved);
});

test("a saved checkpoint and the exported key prove that the later log extends it; a wrong key or an altered checkpoint does not", async () => {
  await createServicePrincipal(cove!, "audit-cp-later");
  const head = await headSeq();
  await checkpointCovering(head);
  const proof = await post("/cove/audit/verify", { checkpoint: saved, publicKey: publicKeyPem });
  assert.equal(proof.status, 200);
  assert.equal(proof.json().ok, true, proof.body.toString());
  assert.ok(proof.json().lastSeq >= head && head > saved.seq);

  const wrong = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }).toString();
  const byWrongKey = (await post("/cove/audit/verify", { checkpoint: saved, publicKey: wrong })).json();
  assert.equal(byWrongKey.ok, false);
  assert.equal(byWrongKey.code, "checkpoint-invalid");
  const altered = (await post("/cove/audit/verify", { checkpoint: { ...saved, seq: saved.seq + 1 }, publicKey: publicKeyPem })).json();
  assert.equal(altered.code, "checkpoint-invalid");
  const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" }).toString();
  const notEd = await post("/cove/audit/verify", { checkpoint: saved, publicKey: rsa });
  assert.equal(notEd.status, 400);
  assert.equal(notEd.json().error.code, "InvalidParameter");
  const noCheckpoint = await post("/cove/audit/verify", { publicKey: publicKeyPem });
  assert.equal(noCheckpoint.status, 400);

  // The same proof computed on the auditor's side by `cove audit verify`, with the files they kept.
  await writeFile(join(root, "saved-checkpoint.json"), JSON.stringify(saved));
  await writeFile(join(root, "audit.pub.pem"), publicKeyPem);
  await writeFile(join(root, "wrong.pub.pem"), wrong);
  assert.equal((await runCove("login", "--from-data-dir", dataDir)).code, 0);
  const ok = await runCove("audit", "verify", "--checkpoint", join(root, "saved-checkpoint.json"), "--public-key", join(root, "audit.pub.pem"));
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).ok, true);
  assert.ok(JSON.parse(ok.stdout).lastSeq >= head);
  const bad = await runCove("audit", "verify", "--checkpoint", join(root, "saved-checkpoint.json"), "--public-key", join(root, "wrong.pub.pem"));
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /checkpoint-invalid/);
});

let lastSeq: number;
const copies = { truncated: "", rewritten: "" };

test("a checkpoint is signed at shutdown: the checkpoint file ends at the log's head", async () => {
  await cove!.stop();
  // Restart with an interval of an hour: only the shutdown checkpoint can cover the next record.
  cove = await startAt(dataDir, ports, { auditCheckpointSeconds: "3600" });
  await createServicePrincipal(cove, "audit-cp-last");
  await cove.stop();
  cove = undefined;
  const db = new DatabaseSync(join(dataDir, "cove.db"), { readOnly: true });
  lastSeq = (db.prepare("SELECT max(seq) AS s FROM audit").get() as { s: number }).s;
  db.close();
  const lines = (await readFile(join(dataDir, "audit-checkpoints.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.at(-1).seq, lastSeq);
  for (const name of Object.keys(copies) as (keyof typeof copies)[]) {
    copies[name] = join(root, name);
    await cp(dataDir, copies[name], { recursive: true });
  }
});

test("an untouched log verifies ok after a restart", async () => {
  cove = await startAt(dataDir, ports, FAST);
  const v = (await get("/cove/audit/verify")).json();
  assert.deepEqual({ ok: v.ok, lastSeq: v.lastSeq, cp: v.lastCheckpoint.seq }, { ok: true, lastSeq, cp: lastSeq });
  await cove.stop();
  cove = undefined;
});

test("deleting the last 3 records (sqlite3 CLI) is reported as truncation, naming the first missing seq", async () => {
  execFileSync("sqlite3", [join(copies.truncated, "cove.db"), `DELETE FROM audit WHERE seq > ${lastSeq - 3};`]);
  cove = await startAt(copies.truncated, ports, FAST);
  const v = (await get("/cove/audit/verify")).json();
  assert.equal(v.ok, false);
  assert.equal(v.code, "truncated");
  assert.equal(v.seq, lastSeq - 2);
  assert.equal(v.checkpointSeq, lastSeq);
  assert.match(v.reason, new RegExp(`records ${lastSeq - 2}\\.\\.${lastSeq} were deleted`));
  // The auditor's saved checkpoint is older than the cut: that proof alone still holds, but Cove's
  // own later checkpoints (each checked with the auditor's key) expose the truncation.
  const proof = (await post("/cove/audit/verify", { checkpoint: saved, publicKey: publicKeyPem })).json();
  assert.equal(proof.code, "truncated");
  await cove.stop();
  cove = undefined;
});

test("editing record 5 and recomputing every later hash is reported as a rewrite, naming the checkpoint's seq; the saved checkpoint no longer proves extension", async () => {
  const db = new DatabaseSync(join(copies.rewritten, "cove.db"));
  const rows = db.prepare("SELECT seq, time, event FROM audit ORDER BY seq").all() as { seq: number; time: string; event: string }[];
  let prev = AUDIT_GENESIS_HASH;
  const update = db.prepare("UPDATE audit SET event = ?, hash = ? WHERE seq = ?");
  db.exec("BEGIN");
  for (const r of rows) {
    const event = JSON.parse(r.event);
    if (r.seq === 5) event.actor = "someone-else";
    const hash = auditRecordHash(prev, { seq: r.seq, time: r.time, event });
    update.run(JSON.stringify(event), hash, r.seq);
    prev = hash;
  }
  db.exec("COMMIT");
  db.close();
  cove = await startAt(copies.rewritten, ports, FAST);
  const v = (await get("/cove/audit/verify")).json();
  assert.equal(v.ok, false);
  assert.equal(v.code, "rewritten");
  assert.ok(v.since < 5 && 5 <= v.checkpointSeq, JSON.stringify(v));
  assert.equal(v.seq, v.checkpointSeq);
  const proof = (await post("/cove/audit/verify", { checkpoint: saved, publicKey: publicKeyPem })).json();
  assert.equal(proof.ok, false);
  assert.equal(proof.code, "rewritten");
  assert.ok(proof.checkpointSeq <= saved.seq);

  // Someone who can write the data dir can delete Cove's checkpoints too: the chain alone then
  // verifies (what the review found), and only the checkpoint the auditor kept still shows it.
  await rm(join(copies.rewritten, "audit-checkpoints.jsonl"));
  assert.equal((await get("/cove/audit/verify")).json().ok, true);
  const kept = (await post("/cove/audit/verify", { checkpoint: saved, publicKey: publicKeyPem })).json();
  assert.equal(kept.code, "rewritten");
  assert.equal(kept.checkpointSeq, saved.seq);
  const byCli = await runCove("audit", "verify", "--checkpoint", join(root, "saved-checkpoint.json"), "--public-key", join(root, "audit.pub.pem"));
  assert.equal(byCli.code, 1);
  assert.match(byCli.stderr, new RegExp(`rewritten at seq ${saved.seq}`));
});
