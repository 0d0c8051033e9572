// The one configuration schema: every knob, its type, default, environment variable and meaning,
// in one table. Unknown keys are errors (house style habit 8). Precedence, highest first:
// command-line flag, environment (COVE_<KEY in SCREAMING_SNAKE>), config file, default.

export interface CoveConfig {
  dataDir: string;
  metadataUrl?: string;
  blobConnectionString?: string;
  blobContainer: string;
  blobContainerUrl?: string;
  managementListen: { host: string; port: number };
  managementUrl?: string;
  registryPort: number;
  publicAddress: string;
  loginServerSuffix: string;
  dnsListen: { host: string; port: number };
  tlsCertFile?: string;
  tlsKeyFile?: string;
  trustedProxies: string[];
  uploadTtlMinutes: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  shutdownGraceSeconds: number;
  dnsUpstream?: { host: string; port: number };
  privateEndpointDenyMode: "drop" | "reset";
  bodyProgressTimeoutSeconds: number;
  bodyProgressMinBytes: number;
  tlsHandshakeTimeoutSeconds: number;
  headersTimeoutSeconds: number;
  keepAliveTimeoutSeconds: number;
  dnsTcpQueryTimeoutSeconds: number;
  dnsTcpMaxConnections: number;
  dnsTcpMaxConnectionsPerSource: number;
  dnsRateLimit: number;
  dnsRateLimitSlip: number;
  dnsRateLimitVnets: "exempt" | "limit";
  dnsThreads: number;
  auditCheckpointSeconds: number;
  auditDenialLimit: number;
  auditDenialWindowSeconds: number;
  auditDenialSources: number;
  loginFailureLimit: number;
  loginSourceFailureLimit: number;
  loginFailureWindowSeconds: number;
  networkMode: "loopback" | "lab";
  labAddress: string;
  replicationSweepSeconds: number;
  replicationPublicRegion?: string;
}

type Kind = "string" | "port" | "hostPort" | "ip" | "suffix" | "number" | "ipList" | "logLevel" | "path" | "enum";

export interface Field {
  key: keyof CoveConfig;
  kind: Kind;
  default?: unknown;
  /** A "hostPort" field that accepts port 0 (the kernel picks a free one; the log names it). */
  anyPort?: boolean;
  /** The accepted values of an "enum" field. */
  values?: readonly string[];
  /** Bounds of a "number" field (inclusive), when narrower than 0..1e9. */
  min?: number;
  max?: number;
  doc: string;
}

export const FIELDS: readonly Field[] = [
  { key: "dataDir", kind: "path", default: "./.cove", doc: "Where the database, blobs, CA and credentials.json live." },
  { key: "metadataUrl", kind: "string", doc: "A postgres:// or postgresql:// URL: keep the metadata in that PostgreSQL database (docs/storage.md) instead of SQLite in the data dir. Unset: SQLite. Its password is a secret: never logged, masked in messages." },
  { key: "blobConnectionString", kind: "string", doc: "An Azure Storage connection string: keep blob bytes in Azure Blob Storage (docs/storage.md) instead of files in the data dir. Azurite's development connection string works. Unset: files. A secret (it holds the account key): never logged, never echoed in messages." },
  { key: "blobContainerUrl", kind: "string", doc: "Instead of a connection string: the container's URL (https://<account>.blob.core.windows.net/<container>), reached as DefaultAzureCredential's identity (a managed identity, workload identity or AZURE_* environment), so no key is in Cove's configuration (docs/storage.md). The container is created when missing." },
  { key: "blobContainer", kind: "string", default: "cove", doc: "The blob container Cove uses in that storage account (created when missing; 3-63 of a-z, 0-9 and single hyphens)." },
  { key: "managementListen", kind: "hostPort", default: "127.0.0.1:8443", doc: "HTTPS address of the management endpoint (ARM API, identity provider, /healthz)." },
  { key: "managementUrl", kind: "string", doc: "The management API's URL as clients reach it, when that is not managementListen: the load balancer in front of several nodes (docs/scale-out.md), https://host[:port]. Tokens for it are accepted, the certificate names its host, and credentials.json records it. Unset: https://<managementListen>." },
  { key: "registryPort", kind: "port", default: 8444, doc: "Port of the registry data plane on the public address and on every private endpoint IP." },
  { key: "publicAddress", kind: "ip", default: "127.0.0.1", doc: "IP address of the registry's public endpoint." },
  { key: "loginServerSuffix", kind: "suffix", default: "cove.test", doc: "DNS suffix of login servers: <registry>.<suffix>. Use azurecr.io to rehearse with production names." },
  { key: "dnsListen", kind: "hostPort", anyPort: true, default: "127.0.0.1:5353", doc: "UDP/TCP address of the DNS server (authoritative for the suffix and the private zones). A bind failure stops the start. Port 0: any free port (logged)." },
  { key: "dnsUpstream", kind: "hostPort", doc: "Resolver (IP:PORT) to which queries outside Cove's zones are forwarded. Unset: they are REFUSED." },
  { key: "bodyProgressTimeoutSeconds", kind: "number", default: 30, min: 1, max: 3600, doc: "A request body that delivers fewer than bodyProgressMinBytes in this many seconds is ended (408, Connection: close) and its socket closed, on every HTTPS listener." },
  { key: "bodyProgressMinBytes", kind: "number", default: 1024, min: 1, max: 1000000000, doc: "Bytes a request body must deliver per bodyProgressTimeoutSeconds interval." },
  { key: "tlsHandshakeTimeoutSeconds", kind: "number", default: 10, min: 1, max: 600, doc: "A connection must send its first byte within this many seconds, and finish its TLS handshake within as many again, or it is closed." },
  { key: "headersTimeoutSeconds", kind: "number", default: 30, min: 1, max: 600, doc: "A request's head (request line and headers) must arrive whole within this many seconds of its first byte (of the TLS handshake's end, for a connection's first request), or it is answered 408 and the connection closed, on every HTTPS listener." },
  { key: "keepAliveTimeoutSeconds", kind: "number", default: 30, min: 1, max: 3600, doc: "An idle keep-alive connection is closed after this many seconds without a request, on every HTTPS listener. Behind a load balancer or proxy, set it above the proxy's own idle timeout, so the proxy never sends a request on a connection Cove is closing." },
  { key: "dnsTcpQueryTimeoutSeconds", kind: "number", default: 5, min: 1, max: 120, doc: "A DNS message over TCP must arrive whole within this many seconds of its first byte, or the connection is closed." },
  { key: "dnsTcpMaxConnections", kind: "number", default: 128, min: 1, max: 100000, doc: "Open DNS TCP connections at most; when full, the oldest idle (else slowest) connection makes room for a newcomer." },
  { key: "dnsTcpMaxConnectionsPerSource", kind: "number", default: 16, min: 1, max: 100000, doc: "Open DNS TCP connections per source address at most; the newest beyond it is closed." },
  { key: "dnsRateLimit", kind: "number", default: 100, max: 1000000, doc: "UDP responses per second per client prefix (/24, /56) and response kind; over it answers are dropped or slipped. 0: off." },
  { key: "dnsRateLimitSlip", kind: "number", default: 2, max: 10, doc: "Over the rate, every Nth response is sent as an empty truncated (TC) answer so a real client retries over TCP. 0: drop all." },
  { key: "dnsRateLimitVnets", kind: "enum", values: ["exempt", "limit"], default: "exempt", doc: "UDP clients inside a modelled VNet: exempt from response rate limiting (a VNet carries no forged sources; BIND's exempt-clients), or limit them like any other." },
  { key: "dnsThreads", kind: "number", default: 2, min: 1, max: 16, doc: "UDP sockets answering DNS, one per thread, all on dnsListen (SO_REUSEPORT, Linux): the main thread's and dnsThreads - 1 workers'; TCP stays on the main thread. 1: the main thread alone. Each socket limits at dnsRateLimit / dnsThreads." },
  { key: "tlsCertFile", kind: "path", doc: "Operator-supplied PEM certificate (chain) for every listener, instead of the local CA's." },
  { key: "tlsKeyFile", kind: "path", doc: "PEM private key for tlsCertFile." },
  { key: "trustedProxies", kind: "ipList", default: [], doc: "Proxy addresses whose X-Forwarded-For is believed. Empty: the socket address is the client address." },
  { key: "uploadTtlMinutes", kind: "number", default: 1440, min: 1, max: 525600, doc: "An upload session expires this many minutes after it started, whether or not it is still being written (its client starts again), and its bytes are reclaimed; so are upload bytes with no session once idle as long." },
  { key: "logLevel", kind: "logLevel", default: "info", doc: "Structured JSON log level." },
  { key: "privateEndpointDenyMode", kind: "enum", values: ["drop", "reset"], default: "drop", doc: "A connection refused at a private endpoint IP: drop (held without an answer until the client gives up, Azure's i/o timeout) or reset (closed at once, for fast tests)." },
  { key: "shutdownGraceSeconds", kind: "number", default: 10, doc: "On SIGTERM, how long in-flight requests may run before connections are cut." },
  { key: "auditCheckpointSeconds", kind: "number", default: 60, min: 1, max: 86400, doc: "How often (seconds, at least 1) the audit log's head is signed as a checkpoint when the log has grown; also signed at shutdown." },
  { key: "auditDenialLimit", kind: "number", default: 60, max: 1000000, doc: "Denied requests audited one by one per client IP and window; the rest are counted exactly in the window's summary." },
  { key: "auditDenialWindowSeconds", kind: "number", default: 60, min: 1, max: 86400, doc: "Length (seconds, at least 1) of the denial audit window; its summary is written when it ends." },
  { key: "auditDenialSources", kind: "number", default: 256, min: 1, max: 1000000, doc: "Client IPs tracked by name per denial window; denials from further sources are counted together." },
  { key: "loginFailureLimit", kind: "number", default: 10, min: 1, max: 1000000, doc: "Failed password checks per user name (appId, admin user) and window before further attempts get 429 with Retry-After, without a password check (docs/identity.md)." },
  { key: "loginSourceFailureLimit", kind: "number", default: 100, min: 1, max: 1000000, doc: "Failed password checks per client IP and window before every login from it gets 429 with Retry-After." },
  { key: "networkMode", kind: "enum", values: ["loopback", "lab"], default: "loopback", doc: "loopback: every address on this host (VNets in 127.0.0.0/8, no root). lab: Cove runs in a network namespace of its own and each declared client host gets one (root; `cove serve --lab`, docs/lab.md); managementListen, registryPort, publicAddress and dnsListen then default to labAddress:8443, 443, labAddress and labAddress:53." },
  { key: "labAddress", kind: "ip", default: "198.19.255.254", doc: "Lab mode: the address every lab host reaches, carrying the public endpoint, the DNS server and the management endpoint. Its /24 is the lab's own (internet hosts get addresses in it); no VNet may overlap it." },
  { key: "loginFailureWindowSeconds", kind: "number", default: 60, min: 1, max: 86400, doc: "Length (seconds, at least 1) of the failed-login window; also how often failed logins are audited as exact counts." },
  { key: "replicationSweepSeconds", kind: "number", default: 30, min: 1, max: 86400, doc: "Geo-replication: how often every replica is checked against its registry's content even without a push, so a replica store (or the home store) that was down catches up by itself (docs/storage.md, Replica regions)." },
  { key: "replicationPublicRegion", kind: "string", doc: "Geo-replication: the region whose data endpoint public clients' blob downloads are redirected to, when it is an enabled replica of the registry. Unset: the registry's home region. Private clients always go to their private endpoint's region." },
];

export function envName(key: string): string {
  return "COVE_" + key.replace(/[A-Z]/g, (c) => "_" + c).toUpperCase();
}
