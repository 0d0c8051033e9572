// The CLI's one error catalogue: every failure a command can meet becomes a CliError carrying
// the exit code (exit-codes.ts) and the line printed as `ERROR: <message>` on stderr. SDK and
// identity errors are mapped here, in one place, so commands just throw or let errors through.
import { EXIT_AUTH, EXIT_ERROR, EXIT_NOT_FOUND, EXIT_USAGE, type ExitCode } from "./exit-codes.js";

export class CliError extends Error {
  readonly exitCode: ExitCode;
  /** ARM / OAuth error code when the service sent one, e.g. "ResourceNotFound". */
  readonly code?: string;

  constructor(message: string, exitCode: ExitCode = EXIT_ERROR, code?: string) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
    this.code = code;
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

export function notLoggedIn(): CliError {
  return new CliError("Please run 'cove login' to setup account.", EXIT_AUTH);
}

export function notFound(message: string, code = "ResourceNotFound"): CliError {
  return new CliError(message, EXIT_NOT_FOUND, code);
}

/** An error answered by the management endpoint (ARM `{error:{code,message}}` body) outside the SDKs. */
export class ServiceError extends Error {
  readonly statusCode: number;
  readonly code?: string;
  constructor(statusCode: number, code: string | undefined, message: string) {
    super(message);
    this.name = "ServiceError";
    this.statusCode = statusCode;
    this.code = code;
  }
}

const TLS_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "ERR_TLS_CERT_ALTNAME_INVALID", "CERT_HAS_EXPIRED",
]);
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH", "EAI_AGAIN"]);

function armErrorOf(body: unknown): { code?: string; message?: string } | undefined {
  if (!body || typeof body !== "object") return undefined;
  const b = body as Record<string, unknown>;
  const inner = (b.error && typeof b.error === "object" ? b.error : b) as Record<string, unknown>;
  const code = typeof inner.code === "string" ? inner.code : undefined;
  const message = typeof inner.message === "string" ? inner.message : undefined;
  return code || message ? { code, message } : undefined;
}

function exitForStatus(status: number | undefined): ExitCode {
  if (status === 404) return EXIT_NOT_FOUND;
  if (status === 401) return EXIT_AUTH;
  return EXIT_ERROR;
}

function findCode(e: unknown, depth = 0): string | undefined {
  if (!e || typeof e !== "object" || depth > 4) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string" && (TLS_CODES.has(code) || NETWORK_CODES.has(code))) return code;
  return findCode((e as { cause?: unknown }).cause, depth + 1);
}

/** Maps anything thrown while running a command to a CliError (the message never holds a secret: no bodies of requests are echoed). */
export function toCliError(e: unknown, endpoint?: string): CliError {
  if (e instanceof CliError) return e;
  const err = e as Record<string, any> | undefined;
  const name = typeof err?.name === "string" ? err.name : "";

  const sysCode = findCode(e);
  if (sysCode && TLS_CODES.has(sysCode)) {
    return new CliError(`TLS: the server certificate of ${endpoint ?? "the management endpoint"} is not trusted (${sysCode}). Log in with --ca-cert <Cove's ca.crt> or set NODE_EXTRA_CA_CERTS.`, EXIT_ERROR, sysCode);
  }
  if (sysCode && NETWORK_CODES.has(sysCode)) {
    return new CliError(`Cannot reach ${endpoint ?? "the management endpoint"} (${sysCode}). Is 'cove serve' running?`, EXIT_ERROR, sysCode);
  }

  if (name === "AuthenticationError" || name === "CredentialUnavailableError" || name === "AuthenticationRequiredError") {
    const resp = err?.errorResponse as { error?: string; errorDescription?: string } | undefined;
    const detail = oauthDescription(resp?.errorDescription) || resp?.error || firstLine(String(err?.message ?? ""));
    return new CliError(`Authentication failed: ${detail}`, EXIT_AUTH, resp?.error);
  }

  if (name === "ServiceError" || name === "RestError") {
    const status: number | undefined = err?.statusCode;
    let arm = armErrorOf(err?.details);
    if (!arm && typeof err?.response?.bodyAsText === "string") {
      try { arm = armErrorOf(JSON.parse(err.response.bodyAsText)); } catch { /* not JSON */ }
    }
    const code = arm?.code ?? (typeof err?.code === "string" && !/^REQUEST_SEND_ERROR|PARSE_ERROR$/.test(err.code) ? err.code : undefined);
    const message = arm?.message ?? firstLine(String(err?.message ?? "request failed"));
    const text = code ? `(${code}) ${message}\nCode: ${code}\nMessage: ${message}` : message;
    return new CliError(text, exitForStatus(status), code);
  }

  return new CliError(firstLine(String(err?.message ?? e)), EXIT_ERROR);
}

/** MSAL wraps the provider's error_description in timestamps and trace ids; keep the AADSTS sentence. */
function oauthDescription(d: string | undefined): string | undefined {
  if (!d) return undefined;
  const m = /Description: (.*?)(?: Trace ID:| Correlation ID:| - Timestamp:|$)/.exec(d);
  return (m ? m[1] : d).trim();
}

function firstLine(s: string): string {
  const line = s.split("\n").find((l) => l.trim() !== "") ?? s;
  return line.trim();
}
