// A throwaway PostgreSQL cluster for tests: Debian's initdb and pg_ctl (scripts/install-test-tools.sh
// installs the `postgresql` package) in a mkdtemp directory, listening on 127.0.0.1 on a free port
// and on a unix socket in that directory, password (SCRAM) auth over TCP, fsync on. PostgreSQL
// refuses to run as root, so when the test runs as root the cluster belongs to an unprivileged
// user (Debian's `postgres`, else `nobody`) and the directory is chowned to it.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { chown, glob, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./cove.js";

export interface TestPostgres {
  /** postgres://cove:<password>@127.0.0.1:<port>/postgres (the cluster's maintenance database). */
  url: string;
  password: string;
  port: number;
  /** Creates an empty database and returns its URL (a fresh database per test or per run). */
  createDatabase(name?: string): Promise<string>;
  /** Stops the cluster (fast shutdown) and removes its directory. */
  stop(): Promise<void>;
  /** SIGKILLs the postmaster (a crash); stop() still cleans up. */
  kill(): Promise<void>;
  /** Stops the server (fast shutdown: sessions are cut with 57P01) and keeps its data for restart(). */
  halt(): Promise<void>;
  /** Starts a halted (or killed) server again on the same port and data. */
  restart(): Promise<void>;
}

async function binDir(): Promise<string> {
  const found: string[] = [];
  for await (const p of glob("/usr/lib/postgresql/*/bin/initdb")) found.push(p);
  // The newest major version when several are installed.
  found.sort((a, b) => Number(b.split("/")[4]) - Number(a.split("/")[4]));
  if (found.length === 0) throw new Error("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/install-test-tools.sh as root");
  return found[0].replace(/\/initdb$/, "");
}

/** uid and gid to run the cluster as: ourselves unless root. */
async function owner(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = await readFile("/etc/passwd", "utf8");
  for (const name of ["postgres", "nobody"]) {
    const line = passwd.split("\n").find((l) => l.startsWith(`${name}:`));
    if (line) {
      const f = line.split(":");
      return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  }
  throw new Error("running as root and neither a postgres nor a nobody user exists to own the test cluster");
}

function run(cmd: string, args: string[], as: { uid: number; gid: number } | undefined, cwd: string): Promise<string> {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH, LC_ALL: "C" }, ...(as ?? {}) });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    child.once("error", fail);
    child.once("exit", (code) => (code === 0 ? ok(out) : fail(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${out}`))));
  });
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = await binDir();
  const as = await owner();
  const dir = await mkdtemp(join(tmpdir(), "cove-pg-"));
  const data = join(dir, "data");
  const password = randomBytes(12).toString("hex");
  try {
    await writeFile(join(dir, "pwfile"), password + "\n", { mode: 0o600 });
    if (as) {
      await chown(dir, as.uid, as.gid);
      await chown(join(dir, "pwfile"), as.uid, as.gid);
    }
    await run(join(bin, "initdb"), ["-D", data, "-U", "cove", `--pwfile=${join(dir, "pwfile")}`, "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-locale"], as, dir);
    await rm(join(dir, "pwfile"));
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  // A free port can be taken before the postmaster binds it: try again with another.
  let port = 0;
  const pgStart = () => {
    const opts = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} -c fsync=on -c max_connections=200`;
    return run(join(bin, "pg_ctl"), ["-D", data, "-l", join(dir, "log"), "-o", opts, "-w", "-t", "60", "start"], as, dir);
  };
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await pgStart();
      break;
    } catch (e) {
      if (attempt >= 3) {
        await rm(dir, { recursive: true, force: true });
        throw e;
      }
    }
  }
  const url = `postgres://cove:${password}@127.0.0.1:${port}/postgres`;
  let n = 0;
  let stopped = false;
  // A test file that crashes before stop() must not leave a cluster running: on exit (synchronous
  // work only) SIGQUIT the postmaster, PostgreSQL's immediate shutdown, and remove the directory.
  const onExit = () => {
    try {
      const pid = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
      process.kill(pid, "SIGQUIT");
      // Wait (up to 5 s, synchronously) for it to go, or it writes into the directory being removed.
      const tick = new Int32Array(new SharedArrayBuffer(4));
      for (let i = 0; i < 100; i++) {
        try { process.kill(pid, 0); } catch { break; }
        Atomics.wait(tick, 0, 0, 50);
      }
    } catch { /* not running */ }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", onExit);
  return {
    url,
    password,
    port,
    async createDatabase(name = `cove_test_${process.pid}_${++n}`) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${name}"`);
      } finally {
        await c.end();
      }
      return url.replace(/\/postgres$/, `/${name}`);
    },
    async kill() {
      const pid = Number((await readFile(join(data, "postmaster.pid"), "utf8")).split("\n")[0]);
      process.kill(pid, "SIGKILL");
    },
    async halt() {
      await run(join(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"], as, dir);
    },
    async restart() {
      await pgStart();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off("exit", onExit);
      await run(join(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"], as, dir).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
