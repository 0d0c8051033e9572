// Migration 2 (manifest_blob_refs) must fill itself from the manifests an existing data dir
// already holds: otherwise a blob delete after an upgrade would find no references and break
// images pushed before it.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DatabaseSync } from "node:sqlite";
import { SqliteMetadataStore } from "../../src/storage/sqlite-metadata-store.js";
import { digestOf } from "./helpers.js";

const REG = "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg/providers/microsoft.containerregistry/registries/mig1";

describe("SQLite migration 2: manifest blob references", () => {
  it("backfills the references of manifests written by schema version 1", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cove-sqlite-mig-"));
    const file = join(dir, "cove.db");
    try {
      const body = Buffer.from('{"schemaVersion":2,"seed":"old"}');
      const config = digestOf(Buffer.from("old-config"));
      const layer = digestOf(Buffer.from("old-layer"));
      let store = SqliteMetadataStore.open(file);
      await store.putManifest({
        registry: REG, repository: "app", digest: digestOf(body), mediaType: "application/vnd.oci.image.manifest.v1+json",
        size: body.length, body, blobRefs: [config, layer], manifestRefs: [], createdAt: "2024-01-01T00:00:00.000Z",
      });
      await store.close();
      // Turn the file back into what Cove with schema version 1 left behind.
      const raw = new DatabaseSync(file);
      raw.exec("DROP TABLE manifest_blob_refs; DELETE FROM schema_migrations WHERE version >= 2; PRAGMA user_version = 1;");
      raw.close();

      store = SqliteMetadataStore.open(file);
      try {
        assert.deepEqual(await store.manifestsReferencingBlob(REG, "app", layer, 10), [digestOf(body)]);
        assert.deepEqual(await store.manifestsReferencingBlob(REG, "app", config, 10), [digestOf(body)]);
      } finally {
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
