#!/usr/bin/env node
// The `cove` command. The CLI lives in src/cli (built to dist/); see docs/cli.md.
//
// Cove runs on the Node.js that `npm install` brings (the `node` package in package.json), not
// on whatever `node` the shell finds first: machines here still carry an older one. npm scripts
// find the project's node on PATH by themselves; this file makes `./bin/cove.js`, `npx cove` and
// an `npm link`ed `cove` do the same. When the running Node is older than `engines.node`, it starts
// the project's node on this same file with the same arguments and stdio, passes signals on, and
// exits as the child did. This file itself must therefore parse on old Node versions too.
import { spawn } from "node:child_process";
import { readFileSync, realpathSync } from "node:fs";
import * as nodeModule from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { projectNode as findProjectNode, requiredMajor, runningTooOld } from "../scripts/project-node.js";

// Set on the child, so a project node that is itself too old fails instead of looping.
const REEXEC_GUARD = "COVE_RUNTIME_REEXEC";

const self = realpathSync(fileURLToPath(import.meta.url));
const root = dirname(dirname(self));
const reexeced = process.env[REEXEC_GUARD] !== undefined;
// Not handed on to anything Cove starts: a grandchild decides for itself.
delete process.env[REEXEC_GUARD];

if (!runningTooOld(root)) {
  // V8's compiled code for the modules a command loads (about 900 with the Azure SDKs), kept on
  // disk: it took about 0.1 to 0.25 CPU-seconds off each command here. The cache sits beside the code
  // it was compiled from and has the same owner, never in a directory another user could write to
  // first; where it cannot be written, Node runs without it. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  nodeModule.enableCompileCache?.(join(root, "node_modules", ".cache", "cove-compile-cache"));
  const { main } = await import("../dist/src/cli/index.js");
  await main();
} else {
  const required = requiredMajor(root);
  const projectNode = findProjectNode(root);
  if (reexeced || projectNode === undefined) {
    const why = reexeced
      ? `the project's Node.js (${process.execPath}) is ${process.version}`
      : `Node.js ${process.version} runs it and the project's Node.js is not installed`;
    process.stderr.write(`ERROR: cove needs Node.js ${required} or newer, but ${why}. Run \`npm install\` in ${root}.\n`);
    process.exit(1);
  }
  const child = spawn(projectNode, [...process.execArgv, self, ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, [REEXEC_GUARD]: "1" },
  });
  // This process waits for the child whatever it receives, and passes the signal on, except a
  // terminal's: Ctrl-C, Ctrl-\ and a hang-up reach the terminal's whole foreground process group,
  // the child included, and a second SIGINT would make `cove serve` stop at once instead of cleanly.
  const signals = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];
  const fromTerminal = new Set(["SIGINT", "SIGQUIT", "SIGHUP"]);
  const forward = (sig) => {
    if (!(fromTerminal.has(sig) && inTerminalForeground())) child.kill(sig);
  };
  for (const sig of signals) process.on(sig, forward);
  child.on("error", (e) => {
    process.stderr.write(`ERROR: could not start ${projectNode}: ${e.message}. Run \`npm install\` in ${root}.\n`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    for (const sig of signals) process.off(sig, forward);
    // Die of the same signal, so the caller's shell sees what the child saw.
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

/** True when this process group is the foreground group of a controlling terminal (Linux /proc). */
function inTerminalForeground() {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    // After "pid (comm) ": state ppid pgrp session tty_nr tpgid ...
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(f[5]) > 0 && f[5] === f[2];
  } catch {
    return false;
  }
}
