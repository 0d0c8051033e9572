// The login-server suffix of a Cove, read from its cloud metadata (`GET /metadata/endpoints`,
// unauthenticated, as `az cloud register` would discover it): credentials.json does not carry it,
// and the custom cloud's acrLoginServerEndpoint must match it for az's fallbacks (az-cli.md 4.5,
// 4.7). Asking first also proves, before any az process starts, that Cove answers and its CA is
// the one we hand to az.
import { request } from "node:https";
import { readFile } from "node:fs/promises";
import { CliError } from "../errors.js";
import { EXIT_ERROR } from "../exit-codes.js";

const TIMEOUT_MS = 10_000;
const MAX_BODY = 64 * 1024;

export async function loginServerSuffix(managementEndpoint: string, caCertPath: string | undefined): Promise<string> {
  const ca = caCertPath ? await readFile(caCertPath, "utf8").catch((e: Error) => {
    throw new CliError(`Cannot read Cove's CA certificate ${caCertPath}: ${e.message}`, EXIT_ERROR);
  }) : undefined;
  const url = new URL("/metadata/endpoints?api-version=2022-09-01", managementEndpoint);
  const body = await new Promise<string>((done, fail) => {
    const req = request(url, { method: "GET", ca, timeout: TIMEOUT_MS, headers: { accept: "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        text += c;
        if (text.length > MAX_BODY) req.destroy(new Error("the answer is too large"));
      });
      res.on("end", () => (res.statusCode === 200 ? done(text) : fail(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on("error", fail);
    req.end();
  }).catch((e: Error & { code?: string }) => {
    throw new CliError(`Cove's management endpoint ${managementEndpoint} did not answer /metadata/endpoints (${e.code ?? e.message}): is 'cove serve' running, and is this its data directory?`, EXIT_ERROR);
  });
  let suffix: unknown;
  try {
    const doc = JSON.parse(body);
    suffix = (Array.isArray(doc) ? doc[0] : doc)?.suffixes?.acrLoginServer;
  } catch { /* reported below */ }
  if (typeof suffix !== "string" || !/^[a-z0-9.-]{1,253}$/i.test(suffix)) {
    throw new CliError(`${managementEndpoint}/metadata/endpoints names no login-server suffix: is it a Cove?`, EXIT_ERROR);
  }
  return suffix.replace(/^\./, "");
}
