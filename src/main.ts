// Composition root (house style), as named steps a reader follows in order:
//
//   loadSettings -> openStorage -> shareNodeFiles -> openTrust -> openIdentity -> openState -> openLab -> startDns ->
//   openServerTls -> composePlanes -> composePipeline -> openListeners -> startHousekeeping
//
// Each step takes what the earlier ones made and returns what it made; what it opened it registers
// on one Closers stack, so a failed start unwinds exactly what was open and `stop()` closes in
// reverse order. Nothing here decides anything; it only connects the parts and owns their life-cycle.
import { mkdir, readFile } from "node:fs/promises";
import type { Socket } from "node:net";
import { join, resolve } from "node:path";
import { pino, type Logger } from "pino";
import { loadConfig, type CoveConfig } from "./config/index.js";
import { openStores } from "./storage/open.js";
import { openRegionStores, type RegionStores } from "./storage/region-stores.js";
import type { BlobStore, MetadataStore } from "./storage/types.js";
import { shareDataDirFiles, type SharedFile } from "./storage/shared-files.js";
import { CA_CERT_FILE, CA_KEY_FILE, openLocalCa, type LocalCa } from "./http/tls/local-ca.js";
import { createServerCertificates, type ServerCertificates } from "./http/tls/server-certificates.js";
import { createIdentityProvider, type LocalIdentityProvider } from "./identity/identity-provider.js";
import { openCredentials, type Credentials } from "./identity/credentials-file.js";
import { joinSharedBootstrap, offerSharedBootstrap } from "./identity/shared-bootstrap.js";
import { TOKEN_KEY_FILE, loadSigningKeys } from "./auth/tokens.js";
import { createAccessControl } from "./auth/access-control.js";
import { loadOrCreateKey } from "./auth/key-file.js";
import { createRegistryAuth } from "./data-plane/registry-auth/registry-auth.js";
import { managementAudiences } from "./auth/audiences.js";
import { createLoginThrottle } from "./auth/login-throttle.js";
import { createAudienceGuard } from "./control-plane/arm/token-audience.js";
import { createDataPlane, createReplicator } from "./data-plane/index.js";
import { ociErrorResult, unknownHostResult } from "./data-plane/errors.js";
import { createManagementApi, mapArmError } from "./control-plane/index.js";
import { createIdentityRoutes } from "./identity/routes.js";
import { createServicePrincipalRoutes } from "./identity/service-principal-routes.js";
import { createGraphRoutes, inGraphShape } from "./identity/graph/routes.js";
import { createAuditRoutes } from "./audit/routes.js";
import { createRequestHandler, listenerLabel, type PipelineDeps } from "./http/pipeline.js";
import type { HandlerResult, ListenerInfo } from "./http/types.js";
import { openListener, type Listener, type TlsMaterial } from "./http/listener.js";
import { createConnectionWaves } from "./http/connection-waves.js";
import { PrivateListeners } from "./http/listeners.js";
import { closeGracefully } from "./http/graceful-close.js";
import { createDeniedConnections } from "./http/denied-connections.js";
import type { NetworkDenial } from "./http/network-step.js";
import { createDenialAuditor } from "./audit/denials.js";
import { CHECKPOINT_KEY_FILE, openAuditCheckpointer } from "./audit/checkpointer.js";
import { loadOrCreateSigningKey } from "./audit/checkpoint-files.js";
import { auditSink } from "./audit/log.js";
import { createTokenAggregator } from "./audit/token-aggregate.js";
import { StateHolder } from "./state/index.js";
import type { NetworkSnapshot } from "./network-policy/index.js";
import { createDnsServer } from "./dns/index.js";
import { createMetrics, type CoveMetrics as Metrics } from "./observability/metrics.js";
import { createMetricsRoute } from "./observability/metrics-route.js";
import { LabController } from "./lab/controller.js";
import { createLabRoutes } from "./lab/routes.js";
import { createAssetRoute } from "./web/assets.js";
import { createPortalRoutes } from "./web/portal-routes.js";
import { SignInCodes } from "./web/sign-in-codes.js";
import { EVIDENCE_KEY_FILE, EVIDENCE_PUBLIC_KEY_FILE, createEvidenceRoute } from "./web/evidence-route.js";
import { signingKeyAt } from "./cli/toolkit/evidence/keys.js";

export type { Credentials } from "./identity/credentials-file.js";

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

function hostPort(h: { host: string; port: number }): string {
  return h.host.includes(":") ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`;
}

/** What is open, closed last-opened first. A closer that fails is logged; the others still run. */
export class Closers {
  private readonly stack: Array<{ name: string; close: () => unknown }> = [];
  constructor(private readonly log: Logger) {}
  push(name: string, close: () => unknown): void {
    this.stack.push({ name, close });
  }
  async closeAll(): Promise<void> {
    for (let c = this.stack.pop(); c; c = this.stack.pop()) {
      try { await c.close(); } catch (err) { this.log.error({ err: String(err), what: c.name }, "close failed"); }
    }
  }
}

interface Settings { cfg: CoveConfig; log: Logger; dataDir: string }

/** Step 1: config (flags > env > file > defaults), the logger (secrets redacted), the data dir (0700). */
export async function loadSettings(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv): Promise<Settings> {
  const cfg = await loadConfig({ flags, env });
  const log: Logger = pino({ level: cfg.logLevel, base: { service: "cove" }, redact: ["req.headers.authorization", "*.password", "*.clientSecret", "*.secret", "metadataUrl", "*.metadataUrl", "blobConnectionString", "*.blobConnectionString"] });
  const dataDir = resolve(cfg.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  return { cfg, log, dataDir };
}

interface Storage { blobs: BlobStore; meta: MetadataStore; regions: RegionStores }

/** Step 2: the blob store and the metadata store of the data dir (storage/open.ts). */
export async function openStorage(s: Settings, closers: Closers): Promise<Storage> {
  const { blobConnectionString: connectionString, blobContainerUrl: containerUrl } = s.cfg;
  const blob = connectionString ? { connectionString, container: s.cfg.blobContainer } : containerUrl ? { containerUrl } : undefined;
  const stores = await openStores(s.dataDir, { metadataUrl: s.cfg.metadataUrl, blob, log: s.log });
  closers.push("blob store", () => stores.blobs.close());
  closers.push("metadata store", () => stores.meta.close());
  // Geo-replicas: one more store per replica region, beside the home one (storage/region-stores.ts).
  const regions = openRegionStores(s.dataDir, { blob, log: s.log });
  closers.push("region blob stores", () => regions.close());
  return { ...stores, regions };
}

/** Signs data-endpoint URLs, so a redirect issued just before a restart (or by another node) still works. */
const DATA_ENDPOINT_KEY_FILE = join("keys", "data-endpoint.key");

/** True when other nodes may share this store: everything per data dir that they must agree on goes through it. */
const isShared = (s: Settings) => s.cfg.metadataUrl !== undefined;

/**
 * Step 2a, with a shared metadata store only (PostgreSQL): the keys and the CA are the same on every
 * node, so a token, a data-endpoint URL or a certificate from one node is good on all. The first
 * node makes them as a single node would; the others take them (storage/shared-files.ts).
 */
export async function shareNodeFiles(s: Settings, st: Storage): Promise<void> {
  if (!isShared(s)) return;
  const operatorTls = Boolean(s.cfg.tlsCertFile && s.cfg.tlsKeyFile);
  const files: SharedFile[] = [
    { path: TOKEN_KEY_FILE, mode: 0o600 },
    { path: DATA_ENDPOINT_KEY_FILE, mode: 0o600 },
    { path: CHECKPOINT_KEY_FILE, mode: 0o600 },
    { path: EVIDENCE_KEY_FILE, mode: 0o600 },
    { path: EVIDENCE_PUBLIC_KEY_FILE, mode: 0o644 },
    ...(operatorTls ? [] : [{ path: CA_KEY_FILE, mode: 0o600 }, { path: CA_CERT_FILE, mode: 0o644 }]),
  ];
  const at = (f: string) => join(s.dataDir, f);
  const { pulled, pushed } = await shareDataDirFiles(st.meta, s.dataDir, files, async () => {
    await loadSigningKeys(s.dataDir);
    await loadOrCreateKey(at(DATA_ENDPOINT_KEY_FILE));
    await loadOrCreateSigningKey(at(CHECKPOINT_KEY_FILE));
    await signingKeyAt(at(EVIDENCE_KEY_FILE), at(EVIDENCE_PUBLIC_KEY_FILE));
    if (!operatorTls) await openLocalCa(s.dataDir);
  });
  if (pulled.length || pushed.length) s.log.info({ pulled, pushed }, "shared keys and CA with the other nodes of the metadata store");
}

interface Trust { ca?: LocalCa; caCertPath: string }

/** Step 3: what clients trust: the operator's certificate when configured, else Cove's local CA. */
export async function openTrust(s: Settings): Promise<Trust> {
  if (s.cfg.tlsCertFile && s.cfg.tlsKeyFile) return { caCertPath: resolve(s.cfg.tlsCertFile) };
  const ca = await openLocalCa(s.dataDir);
  return { ca, caCertPath: ca.certPath };
}

interface Identity { idp: LocalIdentityProvider; access: ReturnType<typeof createAccessControl>; credentials: Credentials; managementEndpoint: string }

/** Step 4: the identity provider, access control from role assignments, and credentials.json (first start: bootstrap). */
export async function openIdentity(s: Settings, st: Storage, trust: Trust): Promise<Identity> {
  // Behind a load balancer, the balancer's URL (managementUrl): the issuer and audience every node shares.
  const managementEndpoint = s.cfg.managementUrl ?? `https://${hostPort(s.cfg.managementListen)}`;
  const shared = isShared(s);
  // Nodes starting at once must agree on one tenant (the provider makes it on the first start).
  const make = () => createIdentityProvider({ meta: st.meta, dataDir: s.dataDir, issuer: managementEndpoint });
  const idp = await (shared ? st.meta.exclusive(make) : make());
  const access = createAccessControl(st.meta);
  // With a shared store, one bootstrap Owner for every node (identity/shared-bootstrap.ts).
  const bootstrap = shared ? () => joinSharedBootstrap(st.meta, () => idp.bootstrap()) : () => idp.bootstrap();
  const { credentials, created, path } = await openCredentials(s.dataDir, bootstrap, {
    managementEndpoint, registryPort: s.cfg.registryPort, dnsAddress: hostPort(s.cfg.dnsListen), caCertPath: trust.caCertPath,
  });
  if (created) s.log.info({ path }, "first start: wrote bootstrap credentials");
  if (shared && !created && !(await offerSharedBootstrap(st.meta, credentials))) {
    s.log.warn({ path, clientId: credentials.clientId }, "this data dir's bootstrap principal is not the one the other nodes share; credentials.json keeps its own");
  }
  return { idp, access, credentials, managementEndpoint };
}

/**
 * Step 5: ONE view of registries and the network, rebuilt on the store's change feed after every
 * committed write: the data plane's registry lookup, the decision, the DNS views and the listeners read it.
 */
export async function openState(s: Settings, st: Storage, closers: Closers): Promise<StateHolder> {
  const state = await StateHolder.open({
    meta: st.meta, suffix: s.cfg.loginServerSuffix, publicAddress: s.cfg.publicAddress,
    onError: (err, what) => s.log.error({ err: String(err), what }, "state view: rebuild or subscriber failed"),
  });
  closers.push("state view", () => state.close());
  return state;
}

/**
 * Step 5a: in lab mode, the lab's hosts and routes (src/lab/): this process runs inside the core
 * namespace that `cove serve --lab` made. Closing removes the hosts; the supervisor sweeps the rest.
 */
export async function openLab(s: Settings, state: StateHolder, closers: Closers): Promise<LabController | undefined> {
  if (s.cfg.networkMode !== "lab") return undefined;
  const lab = new LabController({ labAddress: s.cfg.labAddress, log: s.log.child({ component: "lab" }), snapshot: () => state.current().network });
  await lab.start();
  closers.push("lab hosts", () => lab.down());
  return lab;
}

/**
 * Step 6: DNS, before any HTTP listener: a start that cannot serve DNS fails loudly, naming the
 * address and the three ways to choose another (DESIGN.md section 2, face 3).
 */
export async function startDns(s: Settings, state: StateHolder, metrics: Metrics, closers: Closers): Promise<{ host: string; port: number }> {
  const { cfg } = s;
  const dns = createDnsServer({
    listen: cfg.dnsListen,
    state,
    threads: cfg.dnsThreads,
    upstream: cfg.dnsUpstream,
    log: s.log.child({ component: "dns" }),
    onQuery: (view, rcode, count) => metrics.dnsQuery(view, rcode, count),
    onThreadQueries: (thread, count) => metrics.dnsThreadQueries(thread, count),
    tcp: {
      queryTimeoutMs: cfg.dnsTcpQueryTimeoutSeconds * 1000,
      maxConnections: cfg.dnsTcpMaxConnections,
      maxConnectionsPerSource: cfg.dnsTcpMaxConnectionsPerSource,
    },
    rateLimit: { responsesPerSecond: cfg.dnsRateLimit, slip: cfg.dnsRateLimitSlip, vnets: cfg.dnsRateLimitVnets },
    onRateLimit: (action, count) => metrics.dnsRateLimited(action, count),
  });
  try {
    await dns.start();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new Error(`cannot start the DNS server on ${hostPort(cfg.dnsListen)} (UDP and TCP): ${code}: ${(err as Error).message}. ` +
      "Free that address or choose another with --dns-listen / COVE_DNS_LISTEN / dnsListen (port 0 picks a free port).");
  }
  closers.push("dns server", () => dns.stop());
  return { host: cfg.dnsListen.host, port: dns.address().udp.port };
}

interface ServerTls { material: TlsMaterial; certificates?: ServerCertificates }

/**
 * Step 7: what every listener presents, private ones included: chosen by SNI, wildcards for login
 * servers and data endpoints, the address certificate without SNI (http/tls/server-certificates.ts).
 * One object for the Cove's life: a registry in a new location gets its data-endpoint wildcard
 * (a subscriber of the view) before its write is answered. The default certificate names the
 * listen addresses only, never a registry; `localhost` because that is how a user on this host types it.
 */
export async function openServerTls(s: Settings, trust: Trust, state: StateHolder, closers: Closers): Promise<ServerTls> {
  const { cfg, log } = s;
  if (!trust.ca) return { material: { cert: await readFile(cfg.tlsCertFile!), key: await readFile(cfg.tlsKeyFile!) } };
  const addresses = ["localhost", cfg.managementListen.host, cfg.publicAddress, ...(cfg.managementUrl ? [new URL(cfg.managementUrl).hostname.replace(/^\[|\]$/g, "")] : [])];
  const certificates = await createServerCertificates(trust.ca, { suffix: cfg.loginServerSuffix, addresses });
  await certificates.addLocations(state.current().locations());
  closers.push("data-endpoint certificates", state.subscribe(async (view) => {
    const added = await certificates.addLocations(view.locations());
    if (added.length) log.info({ locations: added }, "issued data endpoint certificates");
  }));
  return { material: certificates.material, certificates };
}

interface Planes {
  routes: PipelineDeps["management"]["routes"];
  verifyToken: PipelineDeps["management"]["verifyToken"];
  dataPlane: ReturnType<typeof createDataPlane>;
  denials: ReturnType<typeof createDenialAuditor>;
  /** Set once the private listeners exist (step 10): the endpoints' `listenerStatus` comes from them. */
  privateListeners?: PrivateListeners;
}

/** Step 8: the registry (data plane with ACR auth) and the management surfaces, with their audit. */
export async function composePlanes(s: Settings, st: Storage, id: Identity, state: StateHolder, metrics: Metrics, closers: Closers, lab?: LabController): Promise<Planes> {
  const { cfg, log, dataDir } = s;
  const { meta, blobs } = st;
  const { idp, access, credentials } = id;
  // The audit log's head is signed with a key in the data dir, so truncation and rewrites show. Opened
  // first, closed last: its final checkpoint covers the denial summary and failed-login counts below.
  const checkpoints = await openAuditCheckpointer({ meta, dataDir, log, intervalMs: Math.max(1, cfg.auditCheckpointSeconds) * 1000 });
  closers.push("audit checkpoints", () => checkpoints.close());
  // Logins, token issues and service-principal changes are audited (DESIGN.md section 2, face 4).
  const audit = auditSink(meta);
  const denials = createDenialAuditor(meta, log, {
    limit: cfg.auditDenialLimit,
    windowMs: Math.max(1, cfg.auditDenialWindowSeconds) * 1000,
    maxSources: cfg.auditDenialSources,
  });
  closers.push("denial auditor", () => denials.close());
  // Routine token issues are counted per principal, registry and minute, with each client's path
  // (the endpoint's id from the view at issue time); closed after the listeners, so in-flight
  // requests are counted, and before the last checkpoint, which covers them.
  const tokens = createTokenAggregator(meta, log, { endpointAt: (ip) => state.current().network.endpointAt(ip)?.endpointId });
  closers.push("token aggregator", () => tokens.close());
  // Every password check, on both listeners, shares one set of failure limits and one exact audit.
  const throttle = createLoginThrottle({
    userLimit: cfg.loginFailureLimit,
    sourceLimit: cfg.loginSourceFailureLimit,
    windowSeconds: Math.max(1, cfg.loginFailureWindowSeconds),
    audit,
    onAuditError: (err, lost) => log.error({ err: String(err), lost }, "failed-login audit append failed"),
  });
  closers.push("login throttle", () => throttle.close());
  // Tokens count only at the surface they were minted for (auth/audiences.ts).
  const audiences = managementAudiences(cfg.managementListen).with(cfg.managementUrl ? [cfg.managementUrl] : []);
  const registryAuth = createRegistryAuth({ meta, idp, access, log, audit, tokenIssues: tokens.record, armAudiences: audiences, throttle });
  const dataEndpointKey = await loadOrCreateKey(join(dataDir, DATA_ENDPOINT_KEY_FILE));
  // Pushes land in the home store; the replicator copies them to each replica region's store.
  const replicator = createReplicator({ meta, home: blobs, regions: st.regions, registries: () => state.current().registries(), log, sweepMs: cfg.replicationSweepSeconds * 1000 });
  closers.push("replicator", () => replicator.close());
  closers.push("replicator follows the view", state.subscribe(() => replicator.kick()));
  const dataPlane = createDataPlane({
    meta, blobs, auth: registryAuth, log, uploadTtlMs: cfg.uploadTtlMinutes * 60_000, dataEndpointKey,
    regions: st.regions, publicRegion: cfg.replicationPublicRegion,
    endpointRegion: (ip) => state.current().network.endpointAt(ip)?.location,
    onManifestStored: (key) => replicator.notify(key), onBlobRemoved: (digest) => replicator.forget(digest),
  });
  const planes: Planes = { routes: {}, verifyToken: (t) => idp.verifyAccessToken(t, audiences), dataPlane, denials };
  const arm = createManagementApi({
    meta, access, log,
    tenantId: credentials.tenantId,
    subscriptionId: credentials.subscriptionId,
    loginServerSuffix: cfg.loginServerSuffix,
    registryPort: cfg.registryPort,
    // Writes are answered once the view (and the listeners, a subscriber of it) include them.
    caughtUp: () => state.caughtUp(),
    // publicAccessReadiness reads the log as GET /cove/audit does: the current minute's token counts first.
    flushAudit: () => tokens.flush("read"),
    listenerStatus: (ip) => planes.privateListeners?.status(ip) ?? { state: "Pending" },
  });
  const health = async (ctx: { method: string; rawPath: string }): Promise<HandlerResult | undefined> =>
    ctx.method === "GET" && ctx.rawPath === "/healthz" ? { status: 200, body: { status: "ok" } } : undefined;
  // The networking page (src/web/): its files, its sign-in and change poll; it reads the same API as the CLI.
  // Sign-in codes in the shared store when there is one: behind a balancer, any node trades a code.
  const codes = isShared(s) ? new SignInCodes(Date.now, meta) : undefined;
  const portal = createPortalRoutes({ idp, meta, managementEndpoint: id.managementEndpoint, throttle, audit, codes });
  planes.routes = {
    health,
    webPage: createAssetRoute(),
    portalSignIn: portal.open,
    portal: portal.secured,
    portalEvidence: createEvidenceRoute({
      managementEndpoint: id.managementEndpoint, caCertPath: credentials.caCertPath,
      tenantId: credentials.tenantId, subscriptionId: credentials.subscriptionId,
      dataDir, log, dnsServer: credentials.dnsAddress,
    }),
    identity: createIdentityRoutes(idp, { audit, throttle }),
    // Graph's paths get Graph's error shape from the guard too (az prints Graph's error.message).
    audienceGuard: inGraphShape(createAudienceGuard(idp, { audiences, audit }), log),
    graph: createGraphRoutes(idp, access, meta, { audit, log }),
    servicePrincipals: createServicePrincipalRoutes(idp, access, { audit }),
    auditLog: createAuditRoutes(meta, access, credentials.subscriptionId, checkpoints, () => tokens.flush("read")),
    metrics: createMetricsRoute(metrics, access, credentials.subscriptionId),
    lab: createLabRoutes({
      access, subscriptionId: credentials.subscriptionId, mode: cfg.networkMode, lab, snapshot: () => state.current().network,
      listenerStatus: (ip) => planes.privateListeners?.status(ip) ?? { state: "Pending" },
      endpoints: { management: id.managementEndpoint, publicEndpoint: hostPort({ host: cfg.publicAddress, port: cfg.registryPort }), dns: hostPort(cfg.dnsListen) },
    }),
    arm: arm.handle,
  };
  return planes;
}

/** Step 9: the one request pipeline's dependencies (http/pipeline.ts says what happens to a request). */
export function composePipeline(s: Settings, planes: Planes, state: StateHolder, metrics: Metrics): PipelineDeps {
  const { cfg, log } = s;
  const denied = createDeniedConnections({ mode: cfg.privateEndpointDenyMode });
  const onDenial = (d: NetworkDenial) => {
    metrics.denial(d.decision.reason, d.via.kind);
    planes.denials.recordNetwork(d);
  };
  return {
    log,
    trustedProxies: new Set(cfg.trustedProxies),
    management: { routes: planes.routes, verifyToken: planes.verifyToken, mapError: (err, ctx) => mapArmError(err, ctx, { log }) },
    registry: {
      byHost: (h) => state.current().registryByHost(h),
      handle: (ctx, registry) => planes.dataPlane.handle(ctx, registry),
      mapError: ociErrorResult,
      unknownHost: unknownHostResult,
    },
    onDenied: (ctx, status, registry) => planes.denials.record(ctx, status, registry),
    network: { snapshot: () => state.current().network, denied, onDenial },
    onRequest: (listener, status) => metrics.request(listener, status),
    bodyProgress: { intervalMs: cfg.bodyProgressTimeoutSeconds * 1000, minBytes: cfg.bodyProgressMinBytes },
  };
}

interface Listeners { fixed: Listener[]; privateListeners: PrivateListeners }

/**
 * Step 10: the management and public listeners, then one listener per private endpoint IP, following
 * the view (the holder awaits their reconcile before a writer is answered). Closed gracefully: held
 * connections cut, in-flight requests given `shutdownGraceSeconds`, idle keep-alives closed at once.
 */
export async function openListeners(s: Settings, deps: PipelineDeps, tls: ServerTls, state: StateHolder, planes: Planes, metrics: Metrics, closers: Closers, lab?: LabController): Promise<Listeners> {
  const { cfg, log } = s;
  const handshakeTimeoutMs = cfg.tlsHandshakeTimeoutSeconds * 1000;
  const headersTimeoutMs = cfg.headersTimeoutSeconds * 1000;
  const keepAliveTimeoutMs = cfg.keepAliveTimeoutSeconds * 1000;
  const denied = deps.network!.denied;
  const fixed: Listener[] = [];
  // After a wave of thousands of connections, their memory is collected (connection-waves.ts).
  const waves = createConnectionWaves({ log });
  closers.push("connection waves", () => waves.close());
  const pl = new PrivateListeners({
    port: cfg.registryPort,
    log,
    material: () => tls.material,
    onRequest: (info) => createRequestHandler(deps, info),
    snapshot: () => state.current().network,
    denied,
    trustedProxies: deps.trustedProxies,
    reserved: new Set([cfg.publicAddress]),
    onDenial: deps.network!.onDenial,
    onConnection: (socket, info) => { metrics.trackConnection(listenerLabel(info), socket); waves.track(socket); },
    handshakeTimeoutMs,
    headersTimeoutMs,
    keepAliveTimeoutMs,
    ...(lab ? { prepare: (snapshot: NetworkSnapshot) => lab.sync(snapshot) } : {}),
  });
  closers.push("listeners", () => closeGracefully(fixed, pl, cfg.shutdownGraceSeconds, () => denied.closeAll()));
  const track = (info: ListenerInfo) => (socket: Socket) => { metrics.trackConnection(listenerLabel(info), socket); waves.track(socket); };
  for (const info of [
    { kind: "management", address: cfg.managementListen.host, port: cfg.managementListen.port },
    { kind: "registry", via: "public", address: cfg.publicAddress, port: cfg.registryPort },
  ] as ListenerInfo[]) {
    fixed.push(await openListener({ info, material: tls.material, onRequest: createRequestHandler(deps, info), log, onConnection: track(info), handshakeTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs }));
  }
  planes.privateListeners = pl;
  closers.push("private listeners follow the view", state.subscribe(() => pl.reconcile()));
  await pl.reconcile();
  metrics.bindGauges({ privateListeners: () => pl.addresses().length, heldConnections: () => denied.size() });
  return { fixed, privateListeners: pl };
}

/** Step 11: the timers: server certificates renewed well before their 90 days end; expired uploads reclaimed. */
export function startHousekeeping(s: Settings, tls: ServerTls, listeners: Listeners, planes: Planes, closers: Closers): void {
  const { log } = s;
  const renewer = setInterval(() => {
    tls.certificates?.renewIfDue().then((renewed) => {
      if (!renewed) return;
      for (const l of listeners.fixed) l.setSecureContext(tls.material);
      listeners.privateListeners.setSecureContext(tls.material);
      log.info("renewed the server certificates");
    }, (e) => log.error({ err: String(e) }, "server certificate renewal failed; retrying at the next check"));
  }, 6 * 3600_000);
  renewer.unref();
  const sweeper = setInterval(() => {
    planes.dataPlane.sweep().then((n) => n && log.info({ reclaimed: n }, "expired upload sessions reclaimed"), (e) => log.warn({ err: String(e) }, "upload sweep failed"));
  }, 60_000);
  sweeper.unref();
  closers.push("timers", () => { clearInterval(renewer); clearInterval(sweeper); });
}

/** Starts every listener; resolves once all of them accept connections. A failed start closes what it opened. */
export async function start(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv = process.env): Promise<RunningCove> {
  const s = await loadSettings(flags, env);
  const closers = new Closers(s.log);
  try {
    const st = await openStorage(s, closers);
    await shareNodeFiles(s, st);
    const trust = await openTrust(s);
    const id = await openIdentity(s, st, trust);
    const metrics = createMetrics();
    const state = await openState(s, st, closers);
    const lab = await openLab(s, state, closers);
    const dnsAddress = await startDns(s, state, metrics, closers);
    const tls = await openServerTls(s, trust, state, closers);
    const planes = await composePlanes(s, st, id, state, metrics, closers, lab);
    const deps = composePipeline(s, planes, state, metrics);
    const listeners = await openListeners(s, deps, tls, state, planes, metrics, closers, lab);
    startHousekeeping(s, tls, listeners, planes, closers);
    const pl = listeners.privateListeners;
    s.log.info({
      management: id.managementEndpoint,
      registry: `https://${hostPort({ host: s.cfg.publicAddress, port: s.cfg.registryPort })}`,
      dns: hostPort(dnsAddress),
      privateEndpointListeners: pl.addresses().length,
      dataDir: s.dataDir,
    }, "cove is serving");
    let stopping: Promise<void> | undefined;
    const stop = () => (stopping ??= closers.closeAll().then(() => s.log.info("stopped")));
    return { config: s.cfg, credentials: id.credentials, dnsAddress, privateListenerAddresses: () => pl.addresses(), pipelineDeps: deps, stop };
  } catch (err) {
    await closers.closeAll();
    throw err;
  }
}

/** `cove serve`: start, then stop cleanly on SIGTERM/SIGINT. */
export async function serve(flags: Record<string, string | undefined>): Promise<void> {
  const running = await start(flags);
  const onSignal = (sig: string) => {
    running.stop().then(() => process.exit(0), (e) => { console.error(`stop after ${sig} failed: ${String(e)}`); process.exit(1); });
  };
  // `on`, not `once`: under `cove serve --lab` a Ctrl-C reaches this process twice (the terminal's
  // and the supervisor's forward), and a second signal must not kill a stop under way.
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
}
