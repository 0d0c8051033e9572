// `cove serve --lab`: make the lab's core, run Cove inside it, and remove the whole lab when Cove
// stops. Node cannot enter a network namespace itself, so Cove runs as a child started through
// util-linux's `nsenter --net`, which changes only the network namespace: the child shares this
// process's mounts, so the host namespaces it makes (`ip netns add`) are visible to `ip netns exec`.
import { spawn } from "node:child_process";
import { createCore, removeLab } from "./core.js";
import { LabError } from "./errors.js";
import { isRoot } from "./kernel.js";
import { CORE_NAMESPACE, INSIDE_ENV, NETNS_RUN_DIR } from "./names.js";

export interface SupervisorIo {
  stderr: { write(s: string): unknown };
}

/** True in the server process that already runs inside the core. */
export function insideLab(env: Record<string, string | undefined>): boolean {
  return env[INSIDE_ENV] === "1";
}

/** Runs `cove <args>` inside a new lab core until it exits; resolves with its exit code, the lab removed. */
export async function superviseLab(labAddress: string, args: string[], env: NodeJS.ProcessEnv, io: SupervisorIo): Promise<number> {
  if (!isRoot()) throw new LabError("LabNeedsRoot", "'cove serve --lab' needs root: it creates network namespaces and links. Run it with sudo.");
  await createCore(labAddress);
  const child = spawn("nsenter", [`--net=${NETNS_RUN_DIR}/${CORE_NAMESPACE}`, "--", process.execPath, ...process.execArgv, process.argv[1]!, ...args], {
    stdio: "inherit",
    env: { ...env, [INSIDE_ENV]: "1", COVE_NETWORK_MODE: "lab" },
  });
  const forward = (sig: NodeJS.Signals) => () => { child.kill(sig); };
  const onTerm = forward("SIGTERM");
  const onInt = forward("SIGINT");
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onInt);
  const code = await new Promise<number>((resolve) => {
    child.once("error", (e) => { io.stderr.write(`ERROR: cannot start Cove inside the lab: ${e.message} (is util-linux's nsenter installed?)\n`); resolve(1); });
    child.once("exit", (c, sig) => resolve(c ?? (sig ? 128 + 15 : 1)));
  });
  process.off("SIGTERM", onTerm);
  process.off("SIGINT", onInt);
  const removed = await removeLab({ keepCore: false });
  io.stderr.write(`cove lab: removed ${removed.namespaces.length} namespaces (${removed.namespaces.join(", ") || "none"})\n`);
  return code;
}
