// The DNS limit keys (issue 7, items 3 and 4): their defaults, the environment override the bench
// relies on (COVE_DNS_RATE_LIMIT=0), and out-of-range values reported by `cove config verify`
// with the key named, instead of a server that refuses every TCP connection or never slips.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, verifyConfigFile } from "../../src/config/load.js";

test("defaults: 5 s per TCP message, 128 connections, 16 per source, 100 responses/s, slip 2", async () => {
  const c = await loadConfig({ env: {} });
  assert.deepEqual(
    [c.dnsTcpQueryTimeoutSeconds, c.dnsTcpMaxConnections, c.dnsTcpMaxConnectionsPerSource, c.dnsRateLimit, c.dnsRateLimitSlip],
    [5, 128, 16, 100, 2],
  );
  assert.equal((await loadConfig({ env: { COVE_DNS_RATE_LIMIT: "0" } })).dnsRateLimit, 0, "rate limiting can be turned off");
});

test("out-of-range values are refused, naming the key and the range", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cove-dns-config-"));
  try {
    const cases: [string, string][] = [
      ["dnsTcpQueryTimeoutSeconds: 0", "between 1 and 120"],
      ["dnsTcpQueryTimeoutSeconds: 600", "between 1 and 120"],
      ["dnsTcpMaxConnections: 0", "between 1 and"],
      ["dnsTcpMaxConnectionsPerSource: 0", "between 1 and"],
      ["dnsRateLimitSlip: 11", "between 0 and 10"],
      ["dnsRateLimit: -5", "between 0 and"],
      ["dnsRateLimit: fast", "whole number"],
    ];
    for (const [line, why] of cases) {
      const path = join(dir, "cove.yaml");
      await writeFile(path, line + "\n");
      const r = await verifyConfigFile(path);
      const key = line.split(":")[0]!;
      assert.ok(!r.ok && r.errors.some((e) => e.startsWith(key) && e.includes(why)), `${line} -> ${JSON.stringify(r)}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
