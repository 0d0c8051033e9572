// Free loopback ports for test servers, picked so that nothing else on the machine is handed the same
// one in the second or two before the server binds it:
// - below the kernel's ephemeral range (ip_local_port_range, 32768-60999 by default), which every
//   outgoing connection draws its local port from: a port found free by listen(0) could be taken by
//   any client's connect() before a spawned `cove serve` bound it, and the server then failed to
//   start with EADDRINUSE;
// - claimed across processes: the test lanes run in parallel, each test file in its own process, so
//   each port is claimed with a file created exclusively in one directory per user, removed when the
//   process exits. A claim left by a killed process is taken over once it is 10 minutes old.
// Where the range leaves too little room below it, ports come from listen(0) as before.
import { mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { randomInt } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The lowest port handed out: well-known and registered services' ports mostly sit below it. */
const FLOOR = 20_000;
/** A claim whose process has gone is taken over after this long. */
const STALE_CLAIM_MS = 10 * 60_000;

/** Ports this process has handed out: a port once closed can come back from the kernel's next listen(0). */
const handedOut = new Set<number>();
const claims: string[] = [];
/** Where the claims are: one file per port, named by it, holding the owner's pid (exported for its test). */
export const claimsDir = join(tmpdir(), `cove-test-ports-${process.getuid?.() ?? "user"}`);
let claimsDirMade = false;
process.once("exit", () => {
  for (const f of claims) {
    try { unlinkSync(f); } catch { /* already gone */ }
  }
});

let ephemeral: number | undefined;
/** The first port of the kernel's ephemeral range, read once; 0 when unknown. */
function ephemeralStart(): number {
  if (ephemeral === undefined) {
    try {
      ephemeral = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 0;
    } catch {
      ephemeral = 0;
    }
  }
  return ephemeral;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True when this process now holds the claim on `port` (exported for its test). */
export function claimPort(port: number): boolean {
  if (!claimsDirMade) {
    mkdirSync(claimsDir, { recursive: true, mode: 0o700 });
    claimsDirMade = true;
  }
  const file = join(claimsDir, String(port));
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
      claims.push(file);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      // An empty file is a claim being written: its owner is alive.
      let owner = 0;
      let age = 0;
      try {
        owner = Number(readFileSync(file, "utf8"));
        age = Date.now() - statSync(file).mtimeMs;
      } catch { /* released meanwhile: try again */ }
      if (owner > 0 && !alive(owner) && age > STALE_CLAIM_MS) {
        try { unlinkSync(file); } catch { /* another process took it over */ }
        continue;
      }
      if (owner > 0) return false;
    }
  }
  return false;
}

function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((ok) => {
    const s = createServer();
    s.once("error", () => ok(false));
    s.listen(port, host, () => s.close(() => ok(true)));
  });
}

function kernelPort(host: string): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, host, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
  });
}

export async function freePort(host = "127.0.0.1"): Promise<number> {
  const top = ephemeralStart();
  if (top - FLOOR >= 1000) {
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = FLOOR + randomInt(top - FLOOR);
      if (handedOut.has(port)) continue;
      let mine: boolean;
      try {
        mine = claimPort(port);
      } catch {
        break; // the claims directory cannot be used (another user's, a read-only /tmp): as before
      }
      if (!mine) continue;
      handedOut.add(port);
      // Held by a program that is not a test: keep the claim, so no test tries it again.
      if (await bindable(port, host)) return port;
    }
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await kernelPort(host);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("freePort: no free port below the ephemeral range, and the kernel kept offering ports this process had already handed out");
}
