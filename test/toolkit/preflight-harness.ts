// Shared steps of the preflight cause tests: run the real `cove acr preflight --json`, check the cause
// (live and modelled alike), run every printed fix command exactly as printed (split into argv, the
// `cove` binary, no shell and no stand-in), and check preflight then passes.
import assert from "node:assert/strict";
import { realCli, type RealCli } from "../cli/real-cli.js";
import { landing, shellWords, type Landing } from "./landing.js";

export interface Harness {
  cli: RealCli;
  lz: Landing;
  preflight(...args: string[]): Promise<{ code: number; json: any; stderr: string }>;
  runFixes(fix: { cove: string; az: string }[]): Promise<string[]>;
  /** Preflight fails with `cause` (live and modelled agree), the fix is run, preflight passes. */
  causeThenFix(args: string[], cause: string): Promise<any>;
}

export async function harness(): Promise<Harness> {
  const cli = await realCli();
  const lz = await landing(cli.cove);
  const preflight = async (...args: string[]) => {
    const r = await cli.run("acr", "preflight", ...args, "--json");
    let json: any;
    try { json = JSON.parse(r.stdout); } catch { throw new Error(`preflight ${args.join(" ")} printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`); }
    return { code: r.code, json, stderr: r.stderr };
  };
  const runFixes = async (fix: { cove: string; az: string }[]) => {
    const outs: string[] = [];
    for (const f of fix) {
      const argv = shellWords(f.cove);
      assert.equal(argv[0], "cove", f.cove);
      assert.equal(shellWords(f.az)[0], "az", f.az);
      assert.doesNotMatch(f.cove, /\.\.\.|<[a-z-]+>/, "fix commands carry real names, never placeholders");
      const r = await cli.run(...argv.slice(1));
      assert.equal(r.code, 0, `${f.cove} exited ${r.code}: ${r.stderr}`);
      outs.push(r.stdout);
    }
    return outs;
  };
  return {
    cli, lz, preflight, runFixes,
    async causeThenFix(args, cause) {
      const before = await preflight(...args);
      assert.equal(before.json.ok, false, JSON.stringify(before.json, null, 2));
      assert.equal(before.json.cause, cause, JSON.stringify(before.json, null, 2));
      assert.equal(before.code, cause === "REGISTRY_NOT_FOUND" ? 3 : 5);
      assert.equal(before.json.modelled.cause, cause, "the modelled check names the same cause as the live one");
      assert.equal(before.json.agree, true);
      assert.ok(before.json.evidence && Object.keys(before.json.evidence).length > 0, "evidence is given");
      assert.ok(before.json.fix.length > 0, "a fix is printed");
      const failed = before.json.steps.filter((s: any) => s.result === "failed");
      assert.ok(failed.length <= 1, "steps stop at the first failure");
      await runFixes(before.json.fix);
      const after = await preflight(...args);
      assert.equal(after.json.ok, true, `after the fix:\n${JSON.stringify(after.json, null, 2)}`);
      assert.equal(after.code, 0, after.stderr);
      assert.equal(after.json.modelled.ok, true, `the model agrees after the fix:\n${JSON.stringify(after.json, null, 2)}`);
      return before.json;
    },
  };
}
