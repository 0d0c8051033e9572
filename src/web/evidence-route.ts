// POST /cove/portal/evidence {"registryId"}: the networking page's "Export evidence" button. The
// answer is the signed bundle `cove acr evidence export` writes (evidence.json, report.md,
// manifest.json, manifest.sig) as one ustar file, verified with `cove acr evidence verify <file.tar>`.
//
// The bundle is built AS THE CALLER: the toolkit, in a worker thread with the CLI export's heap cap
// (WORKER_LIMITS), talks to this management endpoint over HTTPS with the caller's own bearer token
// as its credential, so it holds exactly what that principal may read, as the CLI would export for
// it; a registry the caller may not read is the ARM error the toolkit met (404, 403), never a 500.
// It is signed with the server's own Ed25519 key, <data-dir>/keys/evidence-signing.key (PKCS#8 PEM,
// 0600, made on first use; the public key beside it, evidence-signing.pub.pem, is the auditor's).
// The bundle is written to a temporary directory that is removed once the answer is sent, or failed.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import type { RouteFn } from "../http/pipeline.js";
import type { HandlerResult, RequestContext } from "../http/types.js";
import { armError, ARM_ERRORS } from "../control-plane/arm/errors.js";
import { readJsonBody } from "../control-plane/arm/request-body.js";
import { DomainError } from "../domain/errors.js";
import { openOutput, BUNDLE_FILES } from "../cli/toolkit/evidence/bundle.js";
import { WORKER_LIMITS } from "../cli/toolkit/evidence/export-run.js";
import { signingKeyAt } from "../cli/toolkit/evidence/keys.js";
import { parseSince } from "../cli/toolkit/evidence/since.js";
import { tarLength, tarStream } from "../cli/toolkit/evidence/tar.js";
import type { PageExportDone, PageExportInput, PageExportMessage } from "./evidence-worker.js";

export const EVIDENCE_PATH = "/cove/portal/evidence";
const ROUTE = /^\/cove\/portal\/evidence\/?$/i;
const MAX_BODY = 8 * 1024;
/** The audit window, as the CLI's default (`--since 7d`). */
const WINDOW = "7d";
/** Exports at once; more wait their turn (each is a worker of up to ~100 MiB of heap). */
const MAX_RUNNING = 2;
const REGISTRY_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]{1,90})\/providers\/Microsoft\.ContainerRegistry\/registries\/([A-Za-z0-9]{5,50})$/i;

export interface EvidenceRouteOptions {
  /** This management endpoint, https://host:port, as clients reach it. */
  managementEndpoint: string;
  /** The CA that signed the management endpoint's certificate. */
  caCertPath: string;
  tenantId: string;
  subscriptionId: string;
  dataDir: string;
  log: Logger;
  /** Cove's DNS, "host:port" (credentials.json dnsAddress): resolves the login server for the repository list. Absent: that finding is "unknown". */
  dnsServer?: string;
}

function bearerOf(ctx: RequestContext): string | undefined {
  const h = ctx.headers.authorization;
  return typeof h === "string" ? /^Bearer\s+(\S{1,16384})\s*$/i.exec(h)?.[1] : undefined;
}

/** The token's own `exp` (verified by the pipeline already), so the SDK sees when it runs out. */
function expiryOf(token: string): number {
  try {
    const exp = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"))?.exp;
    if (typeof exp === "number") return exp * 1000;
  } catch { /* not a JWT: the server answers 401 if it is not good */ }
  return Date.now() + 5 * 60_000;
}

function parseRegistryId(v: unknown, subscriptionId: string): { group: string; name: string } {
  const m = typeof v === "string" ? REGISTRY_ID.exec(v) : null;
  if (!m) {
    throw armError("InvalidParameter", {
      target: "registryId",
      reason: "It must be a registry's resource id: /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>.",
    }, { target: "registryId" });
  }
  if (m[1]!.toLowerCase() !== subscriptionId.toLowerCase()) throw armError("SubscriptionNotFound", { subscriptionId: m[1]! });
  return { group: m[2]!, name: m[3]! };
}

/** yyyymmddThhmmssZ of an ISO time. */
const stamp = (iso: string) => iso.replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");

function runWorker(input: PageExportInput): Promise<PageExportDone> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./evidence-worker.js", import.meta.url), { workerData: input, resourceLimits: WORKER_LIMITS, stdout: false, stderr: false });
    let settled = false;
    worker.on("message", (m: PageExportMessage) => {
      settled = true;
      if (m.kind === "done") resolve(m.value);
      else reject(m);
    });
    worker.on("error", (e: NodeJS.ErrnoException) => {
      settled = true;
      reject({ message: e.code === "ERR_WORKER_OUT_OF_MEMORY" ? `the export needed more than its ${WORKER_LIMITS.maxOldGenerationSizeMb} MiB of heap` : e.message });
    });
    worker.on("exit", (code) => { if (!settled) reject({ message: `the export stopped (exit ${code}) before it finished` }); });
  });
}

/** The server's evidence key and its public key, in the data dir. */
export const EVIDENCE_KEY_FILE = join("keys", "evidence-signing.key");
export const EVIDENCE_PUBLIC_KEY_FILE = join("keys", "evidence-signing.pub.pem");

export function createEvidenceRoute(o: EvidenceRouteOptions): RouteFn {
  const keyPath = join(o.dataDir, EVIDENCE_KEY_FILE);
  const publicKeyPath = join(o.dataDir, EVIDENCE_PUBLIC_KEY_FILE);
  let running = 0;
  const waiting: (() => void)[] = [];
  const turn = async () => {
    if (running >= MAX_RUNNING) await new Promise<void>((go) => waiting.push(go));
    running++;
  };
  const done = () => { running--; waiting.shift()?.(); };

  return async function evidenceRoute(ctx: RequestContext): Promise<HandlerResult | undefined> {
    if (!ROUTE.test(ctx.rawPath)) return undefined;
    const token = bearerOf(ctx);
    if (!ctx.principal || !token) throw armError("AuthenticationFailed");
    if (ctx.method !== "POST") throw armError("MethodNotAllowed", { method: ctx.method });
    const body = await readJsonBody(ctx, MAX_BODY);
    const { group, name } = parseRegistryId(body.registryId, o.subscriptionId);
    const key = await signingKeyAt(keyPath, publicKeyPath);
    if (key.created) o.log.info({ key: keyPath, publicKey: publicKeyPath, fingerprint: key.fingerprint }, "created the server's evidence signing key");

    const started = Date.now();
    const tmp = await mkdtemp(join(tmpdir(), "cove-page-evidence-"));
    let handedOver = false;
    await turn();
    try {
      const out = await openOutput(join(tmp, "bundle"));
      const principal = ctx.principal;
      let value: PageExportDone;
      try {
        value = await runWorker({
          profile: {
            managementEndpoint: o.managementEndpoint, authorityHost: o.managementEndpoint, tenantId: o.tenantId, subscriptionId: o.subscriptionId,
            // exportedBy: the caller, never the server. No secret: the credential is the caller's token.
            clientId: principal.clientId ?? principal.id, clientSecret: "", caCertPath: o.caCertPath, dnsServer: o.dnsServer,
          },
          accessToken: token, expiresOnTimestamp: expiryOf(token), name, group, since: parseSince(WINDOW),
          outputDir: out.dir, spoolFile: out.spoolFile, key,
        });
      } catch (e) {
        const f = e as { message: string; code?: string; status?: number };
        // The toolkit met an ARM error (the registry is not there, or not the caller's to read): that answer, as ARM gave it.
        if (f.code && Object.hasOwn(ARM_ERRORS, f.code) && f.code !== "InternalServerError") throw new DomainError(f.code, f.message);
        const byStatus = f.status === 404 ? "ResourceNotFound" : f.status === 403 ? "AuthorizationFailed" : f.status === 401 ? "InvalidAuthenticationToken" : undefined;
        if (byStatus) throw new DomainError(byStatus, f.message);
        o.log.warn({ requestId: ctx.requestId, registry: name, principal: principal.id, code: f.code, status: f.status, err: f.message }, "page evidence export failed");
        throw armError("InternalServerError");
      }
      // A registry name is 5-50 letters and digits (ARM refuses others), so it is safe in a header.
      const dir = `evidence-${/^[A-Za-z0-9]{1,50}$/.test(value.registryName) ? value.registryName : name}-${stamp(value.createdAt)}`;
      const files = [...BUNDLE_FILES].sort().map((f) => ({ name: f, path: join(out.dir, f), size: value.files[f]! }));
      const stream = tarStream(dir, files, Date.parse(value.createdAt));
      stream.once("close", () => void rm(tmp, { recursive: true, force: true }));
      handedOver = true;
      o.log.info({ requestId: ctx.requestId, registry: name, principal: principal.id, bundleId: value.bundleId, ms: Date.now() - started }, "page evidence exported");
      return {
        status: 200,
        headers: {
          "content-type": "application/x-tar",
          "content-disposition": `attachment; filename="${dir}.tar"`,
          "content-length": tarLength(files),
          "cache-control": "no-store",
        },
        body: stream,
      };
    } finally {
      done();
      if (!handedOver) await rm(tmp, { recursive: true, force: true });
    }
  };
}
