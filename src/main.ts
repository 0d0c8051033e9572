// Composition root (house style): load config -> open stores -> identity and access -> state view ->
// DNS -> planes -> listeners. Nothing here decides anything; it only connects the parts and
// owns their life-cycle.
import { mkdir, writeFile, access as fsAccess, readFile } from "node:fs/promises";
import type { Socket } from "node:net";
import { join, resolve } from "node:path";
import { pino, type Logger } from "pino";
import { loadConfig, type CoveConfig } from "./config/index.js";
import { openStores } from "./storage/open.js";
import { openLocalCa, type LocalCa } from "./http/tls/local-ca.js";
import { createServerCertificates } from "./http/tls/server-certificates.js";
import { createIdentityProvider } from "./identity/identity-provider.js";
import { createAccessControl } from "./auth/access-control.js";
import { loadOrCreateKey } from "./auth/key-file.js";
import { createRegistryAuth } from "./data-plane/registry-auth/registry-auth.js";
import { managementAudiences } from "./auth/audiences.js";
import { createLoginThrottle } from "./auth/login-throttle.js";
import { createAudienceGuard } from "./control-plane/arm/token-audience.js";
import { createDataPlane } from "./data-plane/index.js";
import { ociErrorResult, unknownHostResult } from "./data-plane/errors.js";
import { createManagementApi, mapArmError } from "./control-plane/index.js";
import { createIdentityRoutes } from "./identity/routes.js";
import { createServicePrincipalRoutes } from "./identity/service-principal-routes.js";
import { createAuditRoutes } from "./audit/routes.js";
import { createRequestHandler, listenerLabel, type PipelineDeps } from "./http/pipeline.js";
import type { HandlerResult, ListenerInfo } from "./http/types.js";
import { openListener, type Listener, type TlsMaterial } from "./http/listener.js";
import { PrivateListeners } from "./http/listeners.js";
import { createDeniedConnections } from "./http/denied-connections.js";
import type { NetworkDenial } from "./http/network-step.js";
import { createDenialAuditor } from "./audit/denials.js";
import { openAuditCheckpointer } from "./audit/checkpointer.js";
import { auditSink } from "./audit/log.js";
import { StateHolder } from "./state/index.js";
import { createDnsServer, type DnsServer } from "./dns/index.js";
import { createMetrics } from "./observability/metrics.js";
import { createMetricsRoute } from "./observability/metrics-route.js";

export interface Credentials {
  tenantId: string;
  subscriptionId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
  managementEndpoint: string;
  registryPort: number;
  dnsAddress: string;
  caCertPath: string;
}

function hostPort(h: { host: string; port: number }): string {
  return h.host.includes(":") ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`;
}

async function exists(p: string): Promise<boolean> {
  try { await fsAccess(p); return true; } catch { return false; }
}

/**
 * What the default (no SNI) certificate names: the listen addresses only, never a registry. `localhost`
 * stays because it names nothing and is how a user on this host types the management URL.
 */
function addressNames(cfg: CoveConfig): string[] {
  return ["localhost", cfg.managementListen.host, cfg.publicAddress];
}

export interface RunningCove {
  config: CoveConfig;
  credentials: Credentials;
  /** Where the DNS server listens (the configured address, with the port the kernel chose for port 0). */
  dnsAddress: { host: string; port: number };
  /** The private endpoint IPs with an open listener right now. */
  privateListenerAddresses(): string[];
  /** The composed request pipeline's dependencies (bench/policy-overhead-bench.ts builds its A/B listener from them). */
  readonly pipelineDeps: PipelineDeps;
  stop(): Promise<void>;
}

/** Starts every listener; resolves once all of them accept connections. */
export async function start(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv = process.env): Promise<RunningCove> {
  const cfg = await loadConfig({ flags, env });
  const log: Logger = pino({ level: cfg.logLevel, base: { service: "cove" }, redact: ["req.headers.authorization", "*.password", "*.clientSecret", "*.secret"] });
  const dataDir = resolve(cfg.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });

  const { blobs, meta } = await openStores(dataDir);
  const managementEndpoint = `https://${hostPort(cfg.managementListen)}`;
  const idp = await createIdentityProvider({ meta, dataDir, issuer: managementEndpoint });
  const access = createAccessControl(meta);

  let ca: LocalCa | undefined;
  let caCertPath: string;
  if (cfg.tlsCertFile && cfg.tlsKeyFile) {
    caCertPath = resolve(cfg.tlsCertFile);
  } else {
    ca = await openLocalCa(dataDir);
    caCertPath = ca.certPath;
  }

  const credPath = join(dataDir, "credentials.json");
  let credentials: Credentials;
  if (await exists(credPath)) {
    credentials = JSON.parse(await readFile(credPath, "utf8")) as Credentials;
  } else {
    const boot = await idp.bootstrap();
    credentials = {
      tenantId: boot.tenantId,
      subscriptionId: boot.subscriptionId,
      clientId: boot.clientId,
      clientSecret: boot.clientSecret,
      authorityHost: managementEndpoint,
      managementEndpoint,
      registryPort: cfg.registryPort,
      dnsAddress: hostPort(cfg.dnsListen),
      caCertPath,
    };
    await writeFile(credPath, JSON.stringify(credentials, null, 2) + "\n", { mode: 0o600 });
    log.info({ path: credPath }, "first start: wrote bootstrap credentials");
  }

  const metrics = createMetrics();

  // ONE view of registries and the network, rebuilt on the store's change feed after every committed
  // write: the data plane's registry lookup, the decision, the DNS views and the listeners read it.
  const state = await StateHolder.open({
    meta, suffix: cfg.loginServerSuffix, publicAddress: cfg.publicAddress,
    onError: (err, what) => log.error({ err: String(err), what }, "state view: rebuild or subscriber failed"),
  });

  // DNS first: the operator wants a start that cannot serve DNS to fail loudly, before any HTTP
  // listener is up (DESIGN.md section 2, face 3).
  const dns: DnsServer = createDnsServer({
    listen: cfg.dnsListen,
    snapshot: () => state.current().network,
    upstream: cfg.dnsUpstream,
    log: log.child({ component: "dns" }),
    onQuery: (view, rcode) => metrics.dnsQuery(view, rcode),
    tcp: {
      queryTimeoutMs: cfg.dnsTcpQueryTimeoutSeconds * 1000,
      maxConnections: cfg.dnsTcpMaxConnections,
      maxConnectionsPerSource: cfg.dnsTcpMaxConnectionsPerSource,
    },
    rateLimit: { responsesPerSecond: cfg.dnsRateLimit, slip: cfg.dnsRateLimitSlip },
    onRateLimit: (action) => metrics.dnsRateLimited(action),
  });
  try {
    await dns.start();
  } catch (err) {
    await state.close();
    await meta.close();
    await blobs.close();
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new Error(`cannot start the DNS server on ${hostPort(cfg.dnsListen)} (UDP and TCP): ${code}: ${(err as Error).message}. ` +
      "Free that address or choose another with --dns-listen / COVE_DNS_LISTEN / dnsListen (port 0 picks a free port).");
  }
  const dnsAddress = { host: cfg.dnsListen.host, port: dns.address().udp.port };

  // Every listener, private ones included, presents the same material: chosen by SNI, wildcards for
  // login servers and data endpoints, the address certificate without SNI (src/http/tls/server-certificates.ts).
  // One object for the Cove's life: a new location only adds a context its `sni` finds.
  const certificates = ca ? await createServerCertificates(ca, { suffix: cfg.loginServerSuffix, addresses: addressNames(cfg) }) : undefined;
  await certificates?.addLocations(state.current().locations());
  // A registry in a new location gets its data-endpoint wildcard before its write is answered.
  const unsubscribeCertificates = state.subscribe(async (view) => {
    const added = await certificates?.addLocations(view.locations());
    if (added?.length) log.info({ locations: added }, "issued data endpoint certificates");
  });
  const material: TlsMaterial = certificates?.material ?? { cert: await readFile(cfg.tlsCertFile!), key: await readFile(cfg.tlsKeyFile!) };
  const fixed: Listener[] = [];
  let privateListeners: PrivateListeners | undefined;

  // Logins, token issues and service-principal changes are audited (DESIGN.md section 2, face 4).
  const audit = auditSink(meta);
  // Tokens count only at the surface they were minted for (auth/audiences.ts).
  const mgmtAudiences = managementAudiences(cfg.managementListen);
  // Every password check, on both listeners, shares one set of failure limits and one exact audit.
  const loginThrottle = createLoginThrottle({
    userLimit: cfg.loginFailureLimit,
    sourceLimit: cfg.loginSourceFailureLimit,
    windowSeconds: Math.max(1, cfg.loginFailureWindowSeconds),
    audit,
    onAuditError: (err, lost) => log.error({ err: String(err), lost }, "failed-login audit append failed"),
  });
  const registryAuth = createRegistryAuth({ meta, idp, access, log, audit, armAudiences: mgmtAudiences, throttle: loginThrottle });
  // Data-endpoint URLs are signed with a key kept in the data dir, so a redirect issued just
  // before a restart still works after it.
  const dataEndpointKey = await loadOrCreateKey(join(dataDir, "keys", "data-endpoint.key"));
  const dataPlane = createDataPlane({ meta, blobs, auth: registryAuth, log, uploadTtlMs: cfg.uploadTtlMinutes * 60_000, dataEndpointKey });
  const arm = createManagementApi({
    meta, access, log,
    tenantId: credentials.tenantId,
    subscriptionId: credentials.subscriptionId,
    loginServerSuffix: cfg.loginServerSuffix,
    registryPort: cfg.registryPort,
    // Writes are answered once the view (and the listeners, a subscriber of it) include them.
    caughtUp: () => state.caughtUp(),
    // The endpoint's `listenerStatus` comes from the listeners themselves (created below).
    listenerStatus: (ip) => privateListeners?.status(ip) ?? { state: "Pending" },
  });
  const denials = createDenialAuditor(meta, log, {
    limit: cfg.auditDenialLimit,
    windowMs: Math.max(1, cfg.auditDenialWindowSeconds) * 1000,
    maxSources: cfg.auditDenialSources,
  });
  // The audit log's head is signed with a key in the data dir, so truncation and rewrites show.
  const checkpoints = await openAuditCheckpointer({ meta, dataDir, log, intervalMs: Math.max(1, cfg.auditCheckpointSeconds) * 1000 });
  const deniedConnections = createDeniedConnections({ mode: cfg.privateEndpointDenyMode });
  const onDenial = (d: NetworkDenial) => {
    metrics.denial(d.decision.reason, d.via.kind);
    denials.recordNetwork(d);
  };

  const health = async (ctx: { method: string; rawPath: string }): Promise<HandlerResult | undefined> =>
    ctx.method === "GET" && ctx.rawPath === "/healthz" ? { status: 200, body: { status: "ok" } } : undefined;

  const trustedProxies = new Set(cfg.trustedProxies);
  const deps: PipelineDeps = {
    log,
    trustedProxies,
    management: {
      routes: {
        health,
        identity: createIdentityRoutes(idp, { audit, throttle: loginThrottle }),
        audienceGuard: createAudienceGuard(idp, { audiences: mgmtAudiences, audit }),
        servicePrincipals: createServicePrincipalRoutes(idp, access, { audit }),
        auditLog: createAuditRoutes(meta, access, credentials.subscriptionId, checkpoints),
        metrics: createMetricsRoute(metrics, access, credentials.subscriptionId),
        arm: arm.handle,
      },
      verifyToken: (t) => idp.verifyAccessToken(t, mgmtAudiences),
      mapError: (err, ctx) => mapArmError(err, ctx, { log }),
    },
    registry: {
      byHost: (h) => state.current().registryByHost(h),
      handle: (ctx, registry) => dataPlane.handle(ctx, registry),
      mapError: ociErrorResult,
      unknownHost: unknownHostResult,
    },
    onDenied: (ctx, status, registry) => denials.record(ctx, status, registry),
    network: { snapshot: () => state.current().network, denied: deniedConnections, onDenial },
    onRequest: (listener, status) => metrics.request(listener, status),
    bodyProgress: { intervalMs: cfg.bodyProgressTimeoutSeconds * 1000, minBytes: cfg.bodyProgressMinBytes },
  };

  const handshakeTimeoutMs = cfg.tlsHandshakeTimeoutSeconds * 1000;
  const track = (info: ListenerInfo) => (socket: Socket) => metrics.trackConnection(listenerLabel(info), socket);
  async function listen(info: ListenerInfo): Promise<void> {
    fixed.push(await openListener({ info, material, onRequest: createRequestHandler(deps, info), log, onConnection: track(info), handshakeTimeoutMs }));
  }
  try {
    await listen({ kind: "management", address: cfg.managementListen.host, port: cfg.managementListen.port });
    await listen({ kind: "registry", via: "public", address: cfg.publicAddress, port: cfg.registryPort });
  } catch (err) {
    await Promise.all(fixed.map((l) => l.close(true)));
    await dns.stop();
    await loginThrottle.close();
    await denials.close();
    await checkpoints.close();
    await state.close();
    await meta.close();
    await blobs.close();
    throw err;
  }

  const pl = new PrivateListeners({
    port: cfg.registryPort,
    log,
    material: () => material,
    onRequest: (info) => createRequestHandler(deps, info),
    snapshot: () => state.current().network,
    denied: deniedConnections,
    trustedProxies,
    reserved: new Set([cfg.publicAddress]),
    onDenial,
    onConnection: (socket, info) => metrics.trackConnection(listenerLabel(info), socket),
    handshakeTimeoutMs,
  });
  privateListeners = pl;
  // The listeners follow the view; the holder awaits the reconcile before writers are answered.
  const unsubscribe = state.subscribe(() => pl.reconcile());
  await pl.reconcile();
  metrics.bindGauges({ privateListeners: () => pl.addresses().length, heldConnections: () => deniedConnections.size() });

  // Server certificates are renewed well before their 90 days run out (http/tls/server-certificates.ts).
  const renewer = setInterval(() => {
    certificates?.renewIfDue().then((renewed) => {
      if (!renewed) return;
      for (const l of fixed) l.setSecureContext(material);
      pl.setSecureContext(material);
      log.info("renewed the server certificates");
    }, (e) => log.error({ err: String(e) }, "server certificate renewal failed; retrying at the next check"));
  }, 6 * 3600_000);
  renewer.unref();

  const sweeper = setInterval(() => {
    dataPlane.sweep().then((n) => n && log.info({ reclaimed: n }, "expired upload sessions reclaimed"), (e) => log.warn({ err: String(e) }, "upload sweep failed"));
  }, 60_000);
  sweeper.unref();

  log.info({
    management: managementEndpoint,
    registry: `https://${hostPort({ host: cfg.publicAddress, port: cfg.registryPort })}`,
    dns: hostPort(dnsAddress),
    privateEndpointListeners: pl.addresses().length,
    dataDir,
  }, "cove is serving");

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    stopping ??= (async () => {
      clearInterval(sweeper);
      clearInterval(renewer);
      unsubscribe();
      unsubscribeCertificates();
      deniedConnections.closeAll();
      const listeners = [...fixed, ...pl.listeners()];
      const closed = Promise.all([...fixed.map((l) => l.close(false)), pl.close(false)]);
      // Keep-alive connections go idle as their last request finishes: close each as soon as it does,
      // rather than waiting for the keep-alive timeout.
      const reaper = setInterval(() => { for (const l of listeners) l.server.closeIdleConnections(); }, 50);
      for (const l of listeners) l.server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((ok) => { timer = setTimeout(ok, cfg.shutdownGraceSeconds * 1000); });
      await Promise.race([closed, grace]);
      clearInterval(reaper);
      clearTimeout(timer);
      for (const l of listeners) for (const s of l.connections) s.destroy();
      await closed;
      await dns.stop();
      // The denial summary and the failed-login counts first, so the last checkpoint covers them.
      await loginThrottle.close();
      await denials.close();
      await checkpoints.close();
      await state.close();
      await meta.close();
      await blobs.close();
      log.info("stopped");
    })();
    return stopping;
  }
  return { config: cfg, credentials, dnsAddress, privateListenerAddresses: () => pl.addresses(), pipelineDeps: deps, stop };
}

/** `cove serve`: start, then stop cleanly on SIGTERM/SIGINT. */
export async function serve(flags: Record<string, string | undefined>): Promise<void> {
  const running = await start(flags);
  const onSignal = (sig: string) => {
    running.stop().then(() => process.exit(0), (e) => { console.error(`stop after ${sig} failed: ${String(e)}`); process.exit(1); });
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
}
