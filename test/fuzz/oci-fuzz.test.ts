// Fuzz of manifest PUTs on the OCI data plane, seeded and bounded (1,500 PUTs with a registry token).
// Valid documents of every media type Cove accepts (OCI image manifest and index, Docker v2 schema 2
// manifest and manifest list, and an OCI artifact with a subject) are mutated: the JSON mutations of
// arm-bodies.ts (wrong types, nulls, unknown and duplicate keys, invalid UTF-8 and JSON, 10,000-deep
// nesting, documents over the 4 MiB limit with and without Content-Length, other Content-Types), and
// the registry's own: bad digests and sizes in descriptors, layers naming blobs the repository does
// not have, index children that do not exist, subjects pointing nowhere, unsupported media types and
// schema versions, references by wrong, malformed or other-algorithm digests, invalid tags and
// repository names.
//
// Every answer is 201 or a catalogued OCI error (code, status and message of an OCI_ERRORS entry);
// where the request alone decides, exactly that error. At the end: every accepted document reads back
// byte for byte under its digest (and tag), each repository's tags are exactly the accepted ones, no
// refused document exists (MANIFEST_UNKNOWN), the catalog holds only repositories an accepted PUT
// made, a subject pointing nowhere lists its referrer; a bystander registry's content, the blob store
// and the log are as before, and health and RSS hold (support.ts checks).
// A failure prints the seed, the case, its mutation and the document (COVE_FUZZ_SEED replays it).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Agent } from "node:https";
import { OCI_ERRORS } from "../../src/data-plane/errors.js";
import { DEFAULT_MAX_MANIFEST_BYTES } from "../../src/data-plane/index.js";
import { basic, https, type HttpResult } from "../support/http.js";
import { deadline } from "../support/nodes.js";
import { OCI_INDEX, OCI_MANIFEST, pushBlob, pushImage, realRegistryOn, type RealRegistry } from "../data-plane/real-registry.js";
import { catalogFingerprint, checkAfterSuite, dataDirFingerprint, fuzzer, spawnFuzzCove, type FuzzCove, type Rng } from "./support.js";
import { mutateBody, onTheWire, type BodyCase, type Json } from "./arm-bodies.js";

const CASES = 1500;
const CONCURRENCY = 4;
const LIMIT = DEFAULT_MAX_MANIFEST_BYTES;
const DOCKER = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
const TYPES = [OCI_MANIFEST, OCI_INDEX, DOCKER, DOCKER_LIST];
const REPO = "fuzz/target";
const NEW_REPOS = Array.from({ length: 6 }, (_, i) => `fuzz/new${i}`);
const fz = fuzzer("oci");
let fc: FuzzCove;
let reg: RealRegistry;
let keep: RealRegistry;
let auth: string;
let agent: Agent;

const digestOf = (b: Buffer, alg = "sha256") => `${alg}:${createHash(alg).update(b).digest("hex")}`;
const descriptorOf = (mediaType: string, b: Buffer) => ({ mediaType, digest: digestOf(b), size: b.length });

/** A registry request with the token, over the keep-alive agent (a body as arm-bodies.ts onTheWire sends it). */
async function call(method: string, path: string, c?: BodyCase, early = false): Promise<HttpResult> {
  const wire = c && onTheWire(c, LIMIT, early);
  try {
    return await deadline(https(`https://127.0.0.1:${fc.cove.registryPort}${path}`, { method, ca: fc.cove.ca, host: reg.loginServer, agent, headers: { authorization: auth, ...wire?.headers }, body: wire?.body }), 30_000, `${method} ${path}`);
  } finally {
    wire?.stream?.destroy();
  }
}

interface Case { n: number; doc: string; repo: string; ref: string; c: BodyCase; expect?: [number, string]; early: boolean; subject?: string }
interface Valid { name: string; doc: Record<string, Json> }

/** The OCI mutations: one of a document's descriptors, its media type or schema version, or (else) a JSON mutation. */
function mutateManifest(rng: Rng, v: Valid): { c: BodyCase; expect?: [number, string]; stage?: "parse" | "store"; subject?: string } {
  const doc = structuredClone(v.doc) as any;
  const type = String(doc.mediaType);
  const list: any[] = doc.manifests ?? [doc.config, ...doc.layers];
  const d = rng.pick(list);
  const rand = () => rng.bytes(32).toString("hex");
  // "parse": the document alone is refused; "store": it is refused (or accepted) for what the repository holds.
  const mk = (what: string, expect?: [number, string], stage: "parse" | "store" = "parse") => ({ c: { what, body: Buffer.from(JSON.stringify(doc)), contentType: type }, expect, stage });
  switch (rng.int(14)) {
    case 0: d.digest = rng.pick([`sha256:${rand().slice(1)}`, `sha256:${rand().toUpperCase()}`, "md5:d41d8cd98f00b204e9800998ecf8427e", "sha256:", "", `sha256:../../${rand()}`, `sha512:${rand()}`]);
      return mk(`a descriptor's digest ${JSON.stringify(d.digest)}`, [400, "MANIFEST_INVALID"]);
    case 1: d.digest = `sha256:${rand()}`;
      return mk("a descriptor naming content the repository does not have", doc.manifests ? [404, "MANIFEST_UNKNOWN"] : [404, "MANIFEST_BLOB_UNKNOWN"], "store");
    case 2: d.size = rng.pick([-1, 1.5, "12", 2 ** 60, null]);
      return mk(`a descriptor's size ${JSON.stringify(d.size)}`, [400, "MANIFEST_INVALID"]);
    case 3: if (doc.manifests) return mk("an index child's size off by one (not checked)", undefined, "store");
      d.size += 1;
      return mk("a blob descriptor's size off by one", [400, "MANIFEST_INVALID"], "store");
    case 4: d.mediaType = rng.pick(["", 7, null]);
      return mk(`a descriptor's mediaType ${JSON.stringify(d.mediaType)}`, [400, "MANIFEST_INVALID"]);
    case 5: doc.schemaVersion = rng.pick([1, "2", 3, null]);
      return mk(`schemaVersion ${JSON.stringify(doc.schemaVersion)}`, [400, "MANIFEST_INVALID"]);
    case 6: {
      doc.mediaType = rng.pick(["application/vnd.docker.distribution.manifest.v1+json", "application/vnd.oci.artifact.manifest.v1+json", "text/plain", ""]);
      const m = mk(`mediaType ${JSON.stringify(doc.mediaType)}`, [400, "MANIFEST_INVALID"]);
      return { ...m, c: { ...m.c, contentType: doc.mediaType || undefined } };
    }
    case 7: {
      const subject = `sha256:${rand()}`;
      doc.subject = { mediaType: OCI_MANIFEST, digest: subject, size: 1 + rng.int(5000) };
      return { ...mk("a subject that points nowhere", [201, ""], "store"), subject };
    }
    default: {
      const others = TYPES.filter((t) => t !== type);
      return { c: mutateBody(rng, v.doc as any, { limit: LIMIT, type, refused: [...others, "text/plain", "application/octet-stream"], accepted: [undefined, "application/json", `${type}; charset=utf-8`, type.toUpperCase()] }) };
    }
  }
}

const BODY_REFUSAL: Record<string, [number, string]> = { "too-large": [413, "SIZE_INVALID"], "media-type": [400, "MANIFEST_INVALID"], malformed: [400, "MANIFEST_INVALID"] };

/** Case n: a document, a repository, a reference and what must be answered when the request alone decides. */
function makeCase(n: number, valid: Valid[]): Case {
  const rng = fz.case(n);
  const v = rng.pick(valid);
  const m = mutateManifest(rng, v);
  const refusal = m.c.refusal ? BODY_REFUSAL[m.c.refusal] : undefined;
  // Checked in this order (router, then manifests.ts): name, reference, size, digest, the document, its references.
  const roll = rng.int(20);
  const repo = roll === 0 ? rng.pick(["Fuzz/Upper", "-fuzz", "fuzz/x.", `${"a".repeat(256)}/b`]) : roll === 1 ? rng.pick(NEW_REPOS) : REPO;
  const r2 = rng.int(12);
  const ref = r2 === 0 ? digestOf(m.c.body) : r2 === 1 ? digestOf(m.c.body, "sha512") : r2 === 2 ? digestOf(Buffer.from(`other ${n}`))
    : r2 === 3 ? rng.pick(["sha256:1234", `sha256:${"g".repeat(64)}`, "foo:bar", "sha256:"]) : r2 === 4 ? rng.pick(["-lead", ".dot", "a".repeat(129), "t%20x"]) : `f${n}`;
  let expect: [number, string] | undefined =
    roll === 0 ? [400, "NAME_INVALID"] : r2 === 3 ? [400, "DIGEST_INVALID"] : r2 === 4 ? [400, "TAG_INVALID"]
    : refusal?.[0] === 413 ? refusal : r2 === 2 ? [400, "DIGEST_INVALID"] : refusal ?? (m.stage === "parse" ? m.expect : undefined);
  // A new repository has none of the blobs and children: only what the document alone decides holds there.
  if (expect === undefined && repo === REPO && m.stage === "store") expect = m.expect;
  return { n, doc: v.name, repo, ref, c: m.c, expect, early: roll === 0 || r2 === 3 || r2 === 4, subject: expect?.[0] === 201 ? m.subject : undefined };
}

const say = (k: Case, r?: HttpResult) =>
  `${k.doc}: ${k.c.what}\n  PUT /v2/${k.repo}/manifests/${k.ref} (Content-Type ${k.c.contentType ?? "absent"})` +
  `${k.expect ? `, expected ${k.expect.join(" ")}` : ""}${r ? `\n  -> ${r.status} ${r.body.subarray(0, 400)}` : ""}\n  ${fz.describe(k.n, k.c.body, 200)}`;

const answers: Record<string, number> = {};

function judge(k: Case, r: HttpResult): boolean {
  const code = r.status === 201 ? "201" : `${r.status} ${(() => { try { return r.json().errors?.[0]?.code; } catch { return "?"; } })()}`;
  answers[code] = (answers[code] ?? 0) + 1;
  if (r.status === 201) {
    assert.ok(!k.expect || k.expect[0] === 201, `accepted what must be refused:\n${say(k, r)}`);
    const alg = k.ref.startsWith("sha512:") ? "sha512" : "sha256";
    assert.equal(r.headers["docker-content-digest"], digestOf(k.c.body, alg), say(k, r));
    if (k.subject) assert.equal(r.headers["oci-subject"], k.subject, say(k, r));
    return true;
  }
  let e: any;
  try { e = r.json().errors?.[0]; } catch { /* judged below */ }
  assert.ok(e && Object.values(OCI_ERRORS).some((x) => x.code === e.code && x.status === r.status && x.message === e.message),
    `not a catalogued OCI error:\n${say(k, r)}`);
  if (k.expect) assert.deepEqual([r.status, e.code], k.expect, say(k, r));
  return false;
}

before(async () => {
  fc = await spawnFuzzCove();
  reg = await realRegistryOn(fc.cove, "ocifuzz01");
  keep = await realRegistryOn(fc.cove, "ocikeep01");
  const scopes = [REPO, ...NEW_REPOS].map((r) => `scope=${encodeURIComponent(`repository:${r}:pull,push`)}`).join("&");
  const t = await https(`https://127.0.0.1:${fc.cove.registryPort}/oauth2/token?service=${reg.loginServer}&${scopes}`, { ca: fc.cove.ca, host: reg.loginServer, headers: { authorization: basic(reg.user, reg.password) } });
  assert.equal(t.status, 200, `registry token: ${t.status} ${t.body}`);
  auth = `Bearer ${t.json().access_token}`;
  agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
});

after(async () => {
  agent?.destroy();
  await fc?.stop();
});

test("OCI manifests: mutated documents answer 201 or their catalogued error, and only the accepted ones exist", async () => {
  const started = Date.now();
  // The bystander: an image and an index naming it, in a registry no fuzz request names.
  const kept = await pushImage(keep, "fuzz/keep", "v1");
  const keepIndex = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ ...descriptorOf(OCI_MANIFEST, kept.body), platform: { architecture: "amd64", os: "linux" } }] }));
  assert.equal((await keep.call("PUT", "/v2/fuzz/keep/manifests/idx", { body: keepIndex, headers: { "content-type": OCI_INDEX } })).status, 201);
  // The target's blobs and the two image manifests the indexes name (pushed by digest: no tag).
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
  const [l1, l2, empty] = [Buffer.from("fuzz layer one"), Buffer.from("fuzz layer two, an sbom"), Buffer.from("{}")];
  for (const b of [config, l1, l2, empty]) await pushBlob(reg, REPO, b);
  const image = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptorOf("application/vnd.oci.image.config.v1+json", config),
    layers: [descriptorOf("application/vnd.oci.image.layer.v1.tar+gzip", l1), descriptorOf("application/vnd.oci.image.layer.v1.tar+gzip", l2)], annotations: { "org.opencontainers.image.title": "fuzz" } };
  const docker = { schemaVersion: 2, mediaType: DOCKER, config: descriptorOf("application/vnd.docker.container.image.v1+json", config), layers: [descriptorOf("application/vnd.docker.image.rootfs.diff.tar.gzip", l1)] };
  const children: Record<string, Buffer> = { image: Buffer.from(JSON.stringify(image)), docker: Buffer.from(JSON.stringify(docker)) };
  for (const [name, b] of Object.entries(children)) {
    const r = await call("PUT", `/v2/${REPO}/manifests/${digestOf(b)}`, { what: "setup", body: b, contentType: name === "image" ? OCI_MANIFEST : DOCKER });
    assert.equal(r.status, 201, `setup ${name}: ${r.status} ${r.body}`);
  }
  const platform = { architecture: "amd64", os: "linux" };
  const valid: Valid[] = [
    { name: "OCI image manifest", doc: image as any },
    { name: "Docker v2 schema 2 manifest", doc: docker as any },
    { name: "OCI index", doc: { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ ...descriptorOf(OCI_MANIFEST, children.image!), platform }] } },
    { name: "Docker manifest list", doc: { schemaVersion: 2, mediaType: DOCKER_LIST, manifests: [{ ...descriptorOf(DOCKER, children.docker!), platform }] } },
    { name: "OCI artifact with a subject", doc: { schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: "application/vnd.example.sbom", config: descriptorOf("application/vnd.oci.empty.v1+json", empty),
      layers: [descriptorOf("application/vnd.example.sbom.v1+json", l2)], subject: descriptorOf(OCI_MANIFEST, children.image!) } },
  ];
  const fingerprint = async () => ({ keep: await catalogFingerprint(keep), dataDir: await dataDirFingerprint(fc.dataDir) });
  const beforeFp = await fingerprint();
  const rssStartMb = fc.rssMb();

  const accepted: Case[] = [];
  const refused: Case[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < CASES) {
      const k = makeCase(next++, valid);
      const r = await call("PUT", `/v2/${k.repo}/manifests/${k.ref}`, k.c, k.early).catch((e: Error) => assert.fail(`no answer (${e.message}):\n${say(k)}`));
      (judge(k, r) ? accepted : refused).push(k);
    }
  }));
  console.log(`# ${CASES} manifest PUTs: ${accepted.length} accepted, ${refused.length} refused (${Object.entries(answers).sort().map(([c, x]) => `${c}: ${x}`).join(", ")}); ${Date.now() - started} ms`);

  // Accepted: byte for byte under the digest (and the tag); each repository's tags are exactly the accepted ones.
  const have = new Set<string>();
  const tags = new Map<string, string[]>([[REPO, []]]);
  for (const k of accepted) {
    const alg = k.ref.startsWith("sha512:") ? "sha512" : "sha256";
    const digest = digestOf(k.c.body, alg);
    have.add(`${k.repo}@${digest}`);
    for (const ref of k.ref.includes(":") ? [digest] : [digest, k.ref]) {
      const g = await call("GET", `/v2/${k.repo}/manifests/${ref}`);
      assert.equal(g.status, 200, `GET ${ref} of an accepted document: ${g.status} ${g.body}\n${say(k)}`);
      assert.ok(g.body.equals(k.c.body), `GET ${ref} does not return the bytes that were accepted:\n${say(k)}`);
      assert.equal(g.headers["docker-content-digest"], digest, say(k));
    }
    if (!k.ref.includes(":")) tags.set(k.repo, [...(tags.get(k.repo) ?? []), k.ref]);
    if (k.subject) {
      const refs = await call("GET", `/v2/${k.repo}/referrers/${k.subject}`);
      assert.ok(refs.status === 200 && refs.json().manifests.some((m: any) => m.digest === digest), `the subject ${k.subject} does not list its referrer: ${refs.status} ${refs.body}\n${say(k)}`);
    }
  }
  for (const [repo, want] of tags) {
    const t = await call("GET", `/v2/${repo}/tags/list?n=10000`);
    assert.deepEqual(t.status === 200 ? [...(t.json().tags ?? [])].sort() : [], [...want].sort(), `the tags of ${repo} are not the accepted ones`);
  }
  // Refused: nothing under the document's digest (unless the same bytes were accepted as another case).
  for (const k of refused) {
    if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(k.repo) || k.repo.length > 255) continue;
    const alg = k.ref.startsWith("sha512:") ? "sha512" : "sha256";
    const digest = digestOf(k.c.body, alg);
    if (have.has(`${k.repo}@${digest}`)) continue;
    const g = await call("GET", `/v2/${k.repo}/manifests/${digest}`);
    assert.deepEqual([g.status, g.status === 404 ? g.json().errors[0].code : ""], [404, "MANIFEST_UNKNOWN"], `a refused document exists:\n${say(k, g)}`);
  }
  const repos = (await reg.call("GET", "/v2/_catalog?n=1000")).json().repositories as string[];
  assert.deepEqual([...repos].sort(), [...new Set([REPO, ...accepted.map((k) => k.repo)])].sort(), "repositories beyond the accepted writes");
  console.log(`# checked ${accepted.length} accepted and ${refused.length} refused documents; ${Date.now() - started} ms`);

  await checkAfterSuite(fc, {
    rssStartMb, rssLimitMb: Math.round(rssStartMb * 1.5 + 50), before: beforeFp, fingerprint,
    serving: async () => {
      const g = await keep.call("GET", "/v2/fuzz/keep/manifests/v1", { headers: { accept: OCI_MANIFEST } });
      assert.ok(g.status === 200 && g.body.equals(kept.body), `the bystander image: ${g.status}`);
    },
  });
});
