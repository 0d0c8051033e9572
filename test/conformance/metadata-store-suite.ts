// The MetadataStore conformance suite: every driver (SQLite now; PostgreSQL later) runs these
// cases through its own runner, e.g. sqlite-metadata-store.test.ts. Cases speak only the interface.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { verifyAuditChain } from "../../src/audit/chain.js";
import type { ManifestRecord, MetadataStore, TagRecord } from "../../src/storage/types.js";
import { digestOf } from "./helpers.js";

export interface MetadataStoreHarness {
  store: MetadataStore;
  /** Closes the current store and removes its state. */
  cleanup: () => Promise<void>;
  /**
   * Close `store` and open a new instance over the same state (a restart). The suite assigns the
   * result to `store`; cleanup must close whatever `store` is by then. The suite fails without it.
   */
  reopen?: () => Promise<MetadataStore>;
}

const SUB = "/subscriptions/00000000-0000-0000-0000-000000000001";
const REG_TYPE = "Microsoft.ContainerRegistry/registries";
const RG_TYPE = "Microsoft.Resources/resourceGroups";
const REG_A = `${SUB}/resourcegroups/rg/providers/microsoft.containerregistry/registries/rega1`;
const REG_B = `${SUB}/resourcegroups/rg/providers/microsoft.containerregistry/registries/regb1`;
const d = (s: string) => digestOf(Buffer.from(s));

function manifest(registry: string, repository: string, seed: string, extra: Partial<ManifestRecord> = {}): ManifestRecord {
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, seed }));
  return {
    registry,
    repository,
    digest: digestOf(body),
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    size: body.length,
    body,
    blobRefs: [d(`${seed}-config`), d(`${seed}-layer`)],
    manifestRefs: [],
    createdAt: "2024-01-01T00:00:00.000Z",
    ...extra,
  };
}

function tag(registry: string, repository: string, name: string, digest: string): TagRecord {
  return { registry, repository, tag: name, digest, createdAt: "2024-01-01T00:00:00.000Z", updatedAt: "2024-01-01T00:00:00.000Z" };
}

export function metadataStoreSuite(name: string, make: () => Promise<MetadataStoreHarness>): void {
  function withStore(fn: (h: MetadataStoreHarness) => Promise<void>): () => Promise<void> {
    return async () => {
      const h = await make();
      try {
        await fn(h);
      } finally {
        await h.cleanup();
      }
    };
  }

  describe(`MetadataStore conformance: ${name}`, () => {
    it("stores resources under case-insensitive ids, keeping the first spelling", withStore(async ({ store }) => {
      const id = `${SUB}/resourceGroups/MyRG`;
      await store.putResource({ id, type: RG_TYPE, body: { name: "MyRG", location: "westeurope", tags: { a: "1" } } });
      const got = await store.getResource(id.toUpperCase());
      assert.deepEqual(got, { id, type: RG_TYPE, body: { name: "MyRG", location: "westeurope", tags: { a: "1" } } });
      await store.putResource({ id: id.toLowerCase(), type: RG_TYPE, body: { name: "MyRG", location: "northeurope" } });
      assert.deepEqual(await store.getResource(id), { id, type: RG_TYPE, body: { name: "MyRG", location: "northeurope" } });
      assert.equal(await store.getResource(`${SUB}/resourceGroups/other`), undefined);
    }));

    it("lists resources by type and id prefix, both case-insensitive, ordered by id", withStore(async ({ store }) => {
      const rg1 = `${SUB}/resourceGroups/rg1`;
      const rg2 = `${SUB}/resourceGroups/RG2`;
      const regs = [`${rg1}/providers/Microsoft.ContainerRegistry/registries/Zeta1`, `${rg1}/providers/Microsoft.ContainerRegistry/registries/alpha1`, `${rg2}/providers/Microsoft.ContainerRegistry/registries/beta1`];
      for (const id of [rg2, rg1]) await store.putResource({ id, type: RG_TYPE, body: {} });
      for (const id of regs) await store.putResource({ id, type: REG_TYPE, body: { id } });
      const all = await store.listResources({ type: REG_TYPE.toLowerCase() });
      assert.deepEqual(all.map((r) => r.id), [regs[1], regs[0], regs[2]]);
      const inRg1 = await store.listResources({ type: "MICROSOFT.CONTAINERREGISTRY/REGISTRIES", underId: `${rg1.toUpperCase()}/` });
      assert.deepEqual(inRg1.map((r) => r.id), [regs[1], regs[0]]);
      assert.deepEqual((await store.listResources({ underId: `${SUB}/resourcegroups/rg2` })).map((r) => r.id), [rg2, regs[2]]);
      assert.equal((await store.listResources({})).length, 5);
      assert.deepEqual(await store.listResources({ type: "Microsoft.Network/virtualNetworks" }), []);
    }));

    it("deletes one resource, or a resource and everything under it", withStore(async ({ store }) => {
      const rg = `${SUB}/resourceGroups/rg1`;
      const sibling = `${SUB}/resourceGroups/rg10`;
      const child = `${rg}/providers/Microsoft.ContainerRegistry/registries/reg01`;
      const grandchild = `${child}/privateEndpointConnections/pe1`;
      for (const id of [rg, sibling, child, grandchild]) await store.putResource({ id, type: "t", body: {} });
      assert.equal(await store.deleteResource(child.toUpperCase()), true);
      assert.ok(await store.getResource(grandchild), "non-recursive delete leaves children");
      assert.equal(await store.deleteResource(child), false);
      await store.putResource({ id: child, type: "t", body: {} });
      assert.equal(await store.deleteResource(rg.toLowerCase(), true), true);
      for (const id of [rg, child, grandchild]) assert.equal(await store.getResource(id), undefined, id);
      assert.ok(await store.getResource(sibling), "a sibling sharing the name prefix survives");
    }));

    it("links blobs per registry and repository and counts links everywhere", withStore(async ({ store }) => {
      const blob = d("layer");
      await store.linkBlob(REG_A, "app", blob, 10);
      await store.linkBlob(REG_A, "app", blob, 10);
      await store.linkBlob(REG_A, "lib/base", blob, 10);
      await store.linkBlob(REG_B, "app", blob, 10);
      assert.equal(await store.getBlobLink(REG_A, "app", blob), 10);
      assert.equal(await store.getBlobLink(REG_A, "other", blob), undefined);
      assert.equal(await store.countBlobLinks(blob), 3);
      assert.equal(await store.unlinkBlob(REG_A, "app", blob), true);
      assert.equal(await store.unlinkBlob(REG_A, "app", blob), false);
      assert.equal(await store.getBlobLink(REG_A, "app", blob), undefined);
      assert.equal(await store.countBlobLinks(blob), 2);
      assert.equal(await store.countBlobLinks(d("nothing")), 0);
    }));

    it("round-trips manifests with every field, and writes a tag with its manifest", withStore(async ({ store }) => {
      const m = manifest(REG_A, "app", "one", { annotations: { "org.opencontainers.image.title": "x" }, artifactType: "application/vnd.example" });
      await store.putManifest(m, "v1");
      const got = await store.getManifest(REG_A, "app", m.digest);
      assert.ok(got);
      assert.deepEqual({ ...got, body: Buffer.from(got.body) }, m);
      assert.equal(got.subject, undefined);
      const t = await store.getTag(REG_A, "app", "v1");
      assert.equal(t?.digest, m.digest);
      assert.equal(await store.getManifest(REG_A, "other", m.digest), undefined);
      assert.equal(await store.getManifest(REG_B, "app", m.digest), undefined);
      const plain = manifest(REG_A, "app", "two");
      await store.putManifest(plain);
      const back = await store.getManifest(REG_A, "app", plain.digest);
      assert.equal(back?.annotations, undefined);
      assert.equal(back?.artifactType, undefined);
      assert.deepEqual((await store.listManifests(REG_A, "app")).map((x) => x.digest).sort(), [m.digest, plain.digest].sort());
    }));

    it("finds referrers by subject", withStore(async ({ store }) => {
      const image = manifest(REG_A, "app", "image");
      const sig = manifest(REG_A, "app", "sig", { subject: image.digest, artifactType: "application/vnd.cncf.notary.signature" });
      const sbom = manifest(REG_A, "app", "sbom", { subject: image.digest, artifactType: "application/spdx+json" });
      const elsewhere = manifest(REG_A, "other", "sig2", { subject: image.digest });
      for (const x of [image, sig, sbom, elsewhere]) await store.putManifest(x);
      const refs = await store.listReferrers(REG_A, "app", image.digest);
      assert.deepEqual(refs.map((r) => r.digest).sort(), [sig.digest, sbom.digest].sort());
      assert.ok(refs.every((r) => r.subject === image.digest));
      assert.deepEqual(await store.listReferrers(REG_A, "app", sig.digest), []);
    }));

    it("deletes a manifest and the tags that pointed at it", withStore(async ({ store }) => {
      const m1 = manifest(REG_A, "app", "m1");
      const m2 = manifest(REG_A, "app", "m2");
      await store.putManifest(m1, "v1");
      await store.putTag(tag(REG_A, "app", "latest", m1.digest));
      await store.putManifest(m2, "v2");
      assert.equal(await store.deleteManifest(REG_A, "app", m1.digest), true);
      assert.equal(await store.deleteManifest(REG_A, "app", m1.digest), false);
      assert.equal(await store.getManifest(REG_A, "app", m1.digest), undefined);
      assert.equal(await store.getTag(REG_A, "app", "v1"), undefined);
      assert.equal(await store.getTag(REG_A, "app", "latest"), undefined);
      assert.equal((await store.getTag(REG_A, "app", "v2"))?.digest, m2.digest);
    }));

    it("finds the manifests of a repository that reference a blob, until they are deleted", withStore(async ({ store }) => {
      const shared = d("shared-layer");
      const m1 = manifest(REG_A, "app", "r1", { blobRefs: [d("r1-config"), shared] });
      const m2 = manifest(REG_A, "app", "r2", { blobRefs: [d("r2-config"), shared] });
      const other = manifest(REG_A, "other", "r3", { blobRefs: [shared] });
      const otherReg = manifest(REG_B, "app", "r4", { blobRefs: [shared] });
      for (const x of [m1, m2, other, otherReg]) await store.putManifest(x);
      const both = [m1.digest, m2.digest].sort();
      assert.deepEqual(await store.manifestsReferencingBlob(REG_A, "app", shared, 10), both);
      assert.deepEqual(await store.manifestsReferencingBlob(REG_A, "app", shared, 1), [both[0]]);
      assert.deepEqual(await store.manifestsReferencingBlob(REG_A, "app", d("r1-config"), 10), [m1.digest]);
      assert.deepEqual(await store.manifestsReferencingBlob(REG_A, "app", d("nobody"), 10), []);
      // Re-putting the same manifest does not duplicate its references.
      await store.putManifest(m1, "again");
      assert.deepEqual(await store.manifestsReferencingBlob(REG_A, "app", shared, 10), both);

      await store.deleteManifest(REG_A, "app", m1.digest);
      assert.deepEqual(await store.manifestsReferencingBlob(REG_A, "app", d("r1-config"), 10), []);
      assert.deepEqual(await store.manifestsReferencingBlob(REG_A, "app", shared, 10), [m2.digest]);
      await store.deleteRepository(REG_A, "app");
      assert.deepEqual(await store.manifestsReferencingBlob(REG_A, "app", shared, 10), []);
      assert.deepEqual(await store.manifestsReferencingBlob(REG_A, "other", shared, 10), [other.digest]);
      await store.deleteRegistryContent(REG_A);
      assert.deepEqual(await store.manifestsReferencingBlob(REG_A, "other", shared, 10), []);
      assert.deepEqual(await store.manifestsReferencingBlob(REG_B, "app", shared, 10), [otherReg.digest]);
    }));

    it("moves a tag, keeping when it was created", withStore(async ({ store }) => {
      const m1 = manifest(REG_A, "app", "m1");
      const m2 = manifest(REG_A, "app", "m2");
      await store.putManifest(m1);
      await store.putManifest(m2);
      await store.putTag(tag(REG_A, "app", "latest", m1.digest));
      await store.putTag({ ...tag(REG_A, "app", "latest", m2.digest), createdAt: "2025-01-01T00:00:00.000Z", updatedAt: "2025-01-01T00:00:00.000Z" });
      const t = await store.getTag(REG_A, "app", "latest");
      assert.equal(t?.digest, m2.digest);
      assert.equal(t?.createdAt, "2024-01-01T00:00:00.000Z");
      assert.equal(t?.updatedAt, "2025-01-01T00:00:00.000Z");
      assert.equal(await store.deleteTag(REG_A, "app", "latest"), true);
      assert.equal(await store.deleteTag(REG_A, "app", "latest"), false);
      assert.ok(await store.getManifest(REG_A, "app", m2.digest), "deleting a tag keeps its manifest");
    }));

    it("pages tags in lexical order with n and last; next only while more remain", withStore(async ({ store }) => {
      const m = manifest(REG_A, "app", "m");
      await store.putManifest(m);
      const names = ["v1", "A", "latest", "v10", "v2", "1.0"];
      for (const n of names) await store.putTag(tag(REG_A, "app", n, m.digest));
      await store.putTag(tag(REG_A, "other", "zzz", m.digest));
      await store.putTag(tag(REG_B, "app", "zzz", m.digest));
      const sorted = [...names].sort();
      const all = await store.listTags(REG_A, "app");
      assert.deepEqual(all.items.map((t) => t.tag), sorted);
      assert.equal(all.next, undefined);
      const seen: string[] = [];
      let last: string | undefined;
      for (let i = 0; i < 10; i++) {
        const p = await store.listTags(REG_A, "app", 4, last);
        seen.push(...p.items.map((t) => t.tag));
        if (!p.next) break;
        assert.equal(p.next, p.items[p.items.length - 1].tag);
        last = p.next;
      }
      assert.deepEqual(seen, sorted);
      const exact = await store.listTags(REG_A, "app", 6);
      assert.equal(exact.items.length, 6);
      assert.equal(exact.next, undefined, "no next when the page ends exactly at the last tag");
      const after = await store.listTags(REG_A, "app", 2, "latest");
      assert.deepEqual(after.items.map((t) => t.tag), ["v1", "v10"]);
      assert.equal(after.next, "v10");
      assert.deepEqual(await store.listTags(REG_A, "app", 3, "zz"), { items: [] });
      assert.deepEqual(await store.listTags(REG_A, "app", 0), { items: [] });
      assert.deepEqual(await store.listTags(REG_A, "nothing"), { items: [] });
    }));

    it("lists repositories that have manifests, paged, per registry", withStore(async ({ store }) => {
      for (const repo of ["web", "app", "lib/base", "lib/util"]) await store.putManifest(manifest(REG_A, repo, repo));
      await store.putManifest(manifest(REG_B, "zzz", "zzz"));
      await store.linkBlob(REG_A, "blobs-only", d("x"), 1);
      assert.deepEqual(await store.listRepositories(REG_A), { items: ["app", "lib/base", "lib/util", "web"] });
      const p1 = await store.listRepositories(REG_A, 2);
      assert.deepEqual(p1, { items: ["app", "lib/base"], next: "lib/base" });
      const p2 = await store.listRepositories(REG_A, 2, p1.next);
      assert.deepEqual(p2, { items: ["lib/util", "web"] });
      assert.deepEqual(await store.listRepositories(REG_A, 0), { items: [] });
    }));

    it("deletes a repository's content, and a registry's content, without touching others", withStore(async ({ store }) => {
      const m = manifest(REG_A, "app", "m");
      await store.putManifest(m, "v1");
      await store.linkBlob(REG_A, "app", d("layer"), 5);
      await store.putManifest(manifest(REG_A, "keep", "k"), "v1");
      await store.linkBlob(REG_A, "keep", d("layer"), 5);
      await store.putManifest(manifest(REG_B, "app", "m"), "v1");
      await store.linkBlob(REG_B, "app", d("layer"), 5);
      await store.createUpload({ id: "u-a", registry: REG_A, repository: "app", createdAt: "2024-01-01T00:00:00.000Z", expiresAt: 1 });
      await store.createUpload({ id: "u-b", registry: REG_B, repository: "app", createdAt: "2024-01-01T00:00:00.000Z", expiresAt: 1 });

      assert.equal(await store.deleteRepository(REG_A, "app"), true);
      assert.equal(await store.deleteRepository(REG_A, "app"), false);
      assert.equal(await store.getManifest(REG_A, "app", m.digest), undefined);
      assert.equal(await store.getTag(REG_A, "app", "v1"), undefined);
      assert.equal(await store.getBlobLink(REG_A, "app", d("layer")), undefined);
      assert.equal(await store.countBlobLinks(d("layer")), 2);
      assert.deepEqual((await store.listRepositories(REG_A)).items, ["keep"]);

      await store.deleteRegistryContent(REG_A);
      assert.deepEqual((await store.listRepositories(REG_A)).items, []);
      assert.equal(await store.countBlobLinks(d("layer")), 1);
      assert.equal(await store.getUpload("u-a"), undefined);
      assert.ok(await store.getUpload("u-b"));
      assert.deepEqual((await store.listRepositories(REG_B)).items, ["app"]);
      assert.equal((await store.getTag(REG_B, "app", "v1"))?.digest, manifest(REG_B, "app", "m").digest);
    }));

    it("keeps upload sessions and lists the expired ones", withStore(async ({ store }) => {
      const now = 1_700_000_000_000;
      const mk = (id: string, expiresAt: number) => ({ id, registry: REG_A, repository: "app", createdAt: "2024-01-01T00:00:00.000Z", expiresAt });
      await store.createUpload(mk("old-1", now - 1000));
      await store.createUpload(mk("edge-1", now));
      await store.createUpload(mk("new-1", now + 1000));
      assert.deepEqual(await store.getUpload("new-1"), mk("new-1", now + 1000));
      const expired = (await store.listExpiredUploads(now)).map((u) => u.id);
      assert.ok(expired.includes("old-1") && !expired.includes("new-1"), JSON.stringify(expired));
      await store.deleteUpload("old-1");
      await store.deleteUpload("old-1");
      assert.equal(await store.getUpload("old-1"), undefined);
      assert.ok(!(await store.listExpiredUploads(now)).some((u) => u.id === "old-1"));
    }));

    it("chains audit records so that any tampering is detected", withStore(async ({ store }) => {
      const written = [];
      for (let i = 1; i <= 6; i++) {
        written.push(await store.appendAudit({ kind: "test", i, nested: { z: 1, a: [i, "x"] }, dropped: undefined }));
      }
      assert.deepEqual(written.map((r) => r.seq), [1, 2, 3, 4, 5, 6]);
      const all = await store.readAudit();
      assert.deepEqual(all, written);
      assert.equal(all[0].event.dropped, undefined);
      assert.deepEqual(verifyAuditChain(all), { ok: true, lastHash: all[5].hash, lastSeq: 6 });

      // Pages verify on their own given the record before them.
      const page = await store.readAudit(3, 2);
      assert.deepEqual(page.map((r) => r.seq), [4, 5]);
      assert.equal(verifyAuditChain(page, { prevHash: all[2].hash, prevSeq: 3 }).ok, true);

      const edited = all.map((r) => ({ ...r, event: { ...r.event } }));
      edited[2].event.i = 99;
      assert.deepEqual(verifyAuditChain(edited), { ok: false, seq: 3, code: "hash-mismatch", reason: "hash does not match the record's content and its predecessor" });
      const retimed = all.map((r, i) => (i === 4 ? { ...r, time: "2020-01-01T00:00:00.000Z" } : r));
      assert.equal((verifyAuditChain(retimed) as { seq: number }).seq, 5);
      const dropped = all.filter((r) => r.seq !== 2);
      assert.equal(verifyAuditChain(dropped).ok, false);
      const swapped = [all[0], all[2], all[1], ...all.slice(3)];
      assert.equal(verifyAuditChain(swapped).ok, false);
      const truncatedHead = all.slice(1);
      assert.equal(verifyAuditChain(truncatedHead).ok, false, "a log that lost its first record does not verify from genesis");
    }));

    it("appends a batch of audit records in order, chained to the log before them", withStore(async ({ store }) => {
      const first = await store.appendAudit({ kind: "single" });
      const batch = await store.appendAudits([{ kind: "batch", i: 1 }, { kind: "batch", i: 2, dropped: undefined }, { kind: "batch", i: 3 }]);
      assert.deepEqual(batch.map((r) => r.seq), [first.seq + 1, first.seq + 2, first.seq + 3]);
      assert.deepEqual(await store.appendAudits([]), []);
      const next = await store.appendAudit({ kind: "single" });
      assert.equal(next.seq, first.seq + 4);
      const all = await store.readAudit();
      assert.deepEqual(all, [first, ...batch, next]);
      assert.equal(verifyAuditChain(all).ok, true);
    }));

    it("is durable across close and reopen", withStore(async (h) => {
      assert.ok(h.reopen, "a driver's harness must offer reopen(): durability is part of the contract");
      const rg = `${SUB}/resourceGroups/Keep`;
      await h.store.putResource({ id: rg, type: RG_TYPE, body: { name: "Keep" } });
      const m = manifest(REG_A, "app", "durable", { subject: d("s"), annotations: { a: "b" } });
      await h.store.putManifest(m, "v1");
      await h.store.linkBlob(REG_A, "app", d("layer"), 42);
      await h.store.createUpload({ id: "u1", registry: REG_A, repository: "app", createdAt: "2024-01-01T00:00:00.000Z", expiresAt: 5 });
      await h.store.appendAudit({ kind: "before" });
      const store = (h.store = await h.reopen());
      assert.deepEqual(await store.getResource(rg.toLowerCase()), { id: rg, type: RG_TYPE, body: { name: "Keep" } });
      const got = await store.getManifest(REG_A, "app", m.digest);
      assert.deepEqual(got && { ...got, body: Buffer.from(got.body) }, m);
      assert.equal((await store.getTag(REG_A, "app", "v1"))?.digest, m.digest);
      assert.equal(await store.getBlobLink(REG_A, "app", d("layer")), 42);
      assert.equal((await store.getUpload("u1"))?.expiresAt, 5);
      await store.appendAudit({ kind: "after" });
      const log = await store.readAudit();
      assert.deepEqual(log.map((r) => r.event.kind), ["before", "after"]);
      assert.equal(verifyAuditChain(log).ok, true, "the chain continues across a restart");
    }));

    it("runs exclusive sections one at a time, and one that throws lets the next in", withStore(async ({ store }) => {
      // Each section reads a counter, yields, and writes it back plus one: overlapping sections
      // would lose increments, and `inside` would exceed one.
      const id = `${SUB}/resourceGroups/Counter`;
      await store.putResource({ id, type: RG_TYPE, body: { n: 0 } });
      let inside = 0;
      let most = 0;
      const order: number[] = [];
      const section = (i: number) => store.exclusive(async () => {
        inside++;
        most = Math.max(most, inside);
        const n = Number((await store.getResource(id))!.body.n);
        await new Promise((ok) => setTimeout(ok, 5));
        await store.putResource({ id, type: RG_TYPE, body: { n: n + 1 } });
        order.push(i);
        inside--;
        return i;
      });
      const failing = store.exclusive(async () => {
        inside++;
        most = Math.max(most, inside);
        await new Promise((ok) => setTimeout(ok, 5));
        inside--;
        throw new Error("section failed");
      });
      const results = await Promise.allSettled([section(0), section(1), failing, section(2), section(3), section(4)]);
      assert.equal(most, 1, "no two sections overlapped");
      assert.deepEqual(results.map((r) => r.status), ["fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"]);
      assert.equal((results[2] as PromiseRejectedResult).reason.message, "section failed", "the section's own error, unchanged");
      assert.deepEqual(results.filter((r) => r.status === "fulfilled").map((r) => (r as PromiseFulfilledResult<number>).value), [0, 1, 2, 3, 4]);
      assert.deepEqual(order, [0, 1, 2, 3, 4], "sections run in call order");
      assert.equal((await store.getResource(id))!.body.n, 5, "no increment was lost");
      // After a failure the lock is free: a new section gets in within a bound (a leaked lock would hang).
      const bounded = await Promise.race([store.exclusive(async () => "in"), new Promise((ok) => setTimeout(() => ok("timed out"), 5000))]);
      assert.equal(bounded, "in");
    }));
  });
}
