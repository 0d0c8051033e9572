// The one configuration schema: every knob, its type, default, environment variable and meaning,
// in one table. Unknown keys are errors (house style habit 8). Precedence, highest first:
// command-line flag, environment (COVE_<KEY in SCREAMING_SNAKE>), config file, default.

export interface CoveConfig {
  dataDir: string;
  managementListen: { host: string; port: number };
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
}

type Kind = "string" | "port" | "hostPort" | "ip" | "suffix" | "number" | "ipList" | "logLevel" | "path";

export interface Field {
  key: keyof CoveConfig;
  kind: Kind;
  default?: unknown;
  doc: string;
}

export const FIELDS: readonly Field[] = [
  { key: "dataDir", kind: "path", default: "./.cove", doc: "Where the database, blobs, CA and credentials.json live." },
  { key: "managementListen", kind: "hostPort", default: "127.0.0.1:8443", doc: "HTTPS address of the management endpoint (ARM API, identity provider, /healthz)." },
  { key: "registryPort", kind: "port", default: 8444, doc: "Port of the registry data plane on the public address (and, later, on every private endpoint IP)." },
  { key: "publicAddress", kind: "ip", default: "127.0.0.1", doc: "IP address of the registry's public endpoint." },
  { key: "loginServerSuffix", kind: "suffix", default: "cove.test", doc: "DNS suffix of login servers: <registry>.<suffix>. Use azurecr.io to rehearse with production names." },
  { key: "dnsListen", kind: "hostPort", default: "127.0.0.1:5353", doc: "UDP/TCP address of the DNS server (served from a later release; written to credentials.json now)." },
  { key: "tlsCertFile", kind: "path", doc: "Operator-supplied PEM certificate (chain) for every listener, instead of the local CA's." },
  { key: "tlsKeyFile", kind: "path", doc: "PEM private key for tlsCertFile." },
  { key: "trustedProxies", kind: "ipList", default: [], doc: "Proxy addresses whose X-Forwarded-For is believed. Empty: the socket address is the client address." },
  { key: "uploadTtlMinutes", kind: "number", default: 1440, doc: "Upload sessions idle longer than this expire and their bytes are reclaimed." },
  { key: "logLevel", kind: "logLevel", default: "info", doc: "Structured JSON log level." },
  { key: "shutdownGraceSeconds", kind: "number", default: 10, doc: "On SIGTERM, how long in-flight requests may run before connections are cut." },
];

export function envName(key: string): string {
  return "COVE_" + key.replace(/[A-Z]/g, (c) => "_" + c).toUpperCase();
}
