// `cove config verify FILE`: exit 0 and {valid: true} for a good file; exit 1 with one
// `ERROR:` line naming the unknown key for a bad one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { EXIT_ERROR, EXIT_OK } from "../../src/cli/exit-codes.js";
import { cliHarness } from "./capture.js";

test("config verify accepts a valid file and names the unknown key of an invalid one", async () => {
  const h = cliHarness();
  try {
    const good = join(h.configDir, "good.json");
    const bad = join(h.configDir, "bad.json");
    writeFileSync(good, JSON.stringify({ registryPort: 9444 }));
    writeFileSync(bad, JSON.stringify({ registryPort: 9444, bogusKey: 1 }));
    const ok = await h.run("config", "verify", good);
    assert.equal(ok.code, EXIT_OK, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), { file: good, valid: true });
    const r = await h.run("config", "verify", bad);
    assert.equal(r.code, EXIT_ERROR);
    assert.match(r.stderr, /^ERROR: .*bogusKey/m);
    assert.equal(r.stdout, "");
  } finally {
    h.cleanup();
  }
});
