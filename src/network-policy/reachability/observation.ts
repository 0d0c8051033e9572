// What one client sees on its way to a registry, step by step: the DNS answers for the login server
// and the data endpoint, the connection and TLS, the /v2/ challenge, the token flow and the content.
// Two sources fill it: real sockets from the client's address (cli/toolkit/live/), and the model
// (predict.ts). diagnose.ts reads either the same way, so "the live and the modelled check give the
// same verdict and the same cause" is a comparison of two Observations' verdicts.

export type DnsSeen =
  /** A records at the end of the chain. */
  | { kind: "address"; ips: string[]; chain: string[] }
  | { kind: "nxdomain"; chain: string[] }
  /** The name exists but holds no A record. */
  | { kind: "nodata"; chain: string[] }
  /** No usable answer: timeout, refused, SERVFAIL. */
  | { kind: "failed"; message: string };

export type TransportSeen =
  | { kind: "ok" }
  /** Accepted then cut before TLS finished, or never answered: what a network drop looks like. */
  | { kind: "dropped"; detail: string }
  /** Nothing listens at that address (ECONNREFUSED). */
  | { kind: "refused"; detail: string }
  /** The certificate does not cover the name the client used. */
  | { kind: "name-mismatch"; detail: string }
  /** The certificate chain is not trusted by the client. */
  | { kind: "untrusted"; detail: string };

export interface HttpSeen {
  status: number;
  /** The first `errors[].code` (data plane) or `error` (OAuth) of the body, when there is one. */
  code?: string;
  message?: string;
}

export interface Observation {
  /** The client's source address. */
  source: string;
  /** The name the client uses for the registry (the login server, unless told otherwise). */
  host: string;
  port: number;
  dns: DnsSeen;
  /** The data endpoint name and its answer, when the registry has dedicated data endpoints. */
  dataHost?: string;
  dataDns?: DnsSeen;
  /** To the first address of `dns`; absent when DNS gave none. */
  transport?: TransportSeen;
  /** GET /v2/ without credentials: 401 with a challenge, or 403 DENIED. */
  challenge?: HttpSeen;
  /** Registry login: /oauth2/exchange (AAD token) or the Basic token endpoint. */
  login?: HttpSeen;
  /** The access token for the test repository, with the actions it grants. */
  token?: HttpSeen & { actions: string[] };
  /** Pulling (and with --push pushing then deleting) the test artifact. */
  content?: HttpSeen & { detail?: string };
}

/** The first address of a DNS answer, if any. */
export function answeredAddress(d: DnsSeen | undefined): string | undefined {
  return d?.kind === "address" ? d.ips[0] : undefined;
}
