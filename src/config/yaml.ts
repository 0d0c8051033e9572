// The yaml package, loaded on first use. It is 72 modules, and every `cove` command used to load
// them at start-up through the output formats, the config loader and the lab's hosts file, though
// only `--output yaml`, a YAML config and a hosts file read any YAML. Its CommonJS build is required
// synchronously, so the callers stay synchronous.
import { createRequire } from "node:module";
import type * as Yaml from "yaml";

let loaded: typeof Yaml | undefined;

export function yaml(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)("yaml") as typeof Yaml;
  return loaded;
}
