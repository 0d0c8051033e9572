#!/usr/bin/env node
// The `cove` command. The CLI lives in src/cli (built to dist/); see docs/cli.md.
const { main } = await import("../dist/src/cli/index.js");
await main();
