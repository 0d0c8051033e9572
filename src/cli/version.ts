// The version `cove --version` prints: package.json's, read next to the build (dist/src/cli ->
// the package root), so the number cannot drift from what npm installed. The second line names
// the Node.js it runs on, as `az --version` names its Python: Cove brings its own (bin/cove.js).
import { readFileSync } from "node:fs";

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

/** What `cove --version` prints (without the final newline). */
export function versionText(): string {
  return `cove ${packageVersion()}\nNode.js ${process.version}`;
}
