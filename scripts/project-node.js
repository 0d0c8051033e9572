// Which Node.js the project runs on: the `node` package that `npm install` brings (package.json
// pins it), because machines and CI here still carry an older one. bin/cove.js and
// scripts/run-tests.js use this to move onto it when an older node started them. Plain JavaScript
// that parses on old Node versions too, since an old node is exactly what runs it first.
import { readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The oldest major version `engines.node` in `root`/package.json accepts (">=26" -> 26). */
export function requiredMajor(root) {
  const range = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).engines?.node ?? "";
  return Number(/(\d+)/.exec(range)?.[1] ?? 0);
}

/** True when the running Node.js is older than the project needs. */
export function runningTooOld(root) {
  return Number(process.versions.node.split(".")[0]) < requiredMajor(root);
}

/** The `node` package's binary, wherever npm placed the package (hoisted or not); undefined when missing. */
export function projectNode(root) {
  try {
    const bin = join(dirname(createRequire(join(root, "package.json")).resolve("node/package.json")), "bin", "node");
    realpathSync(bin);
    return bin;
  } catch {
    return undefined;
  }
}
