// How `cove acr check-health` reports, line for line as `az acr check-health` does (azure-cli
// acr/check_health.py and _errors.py, acr-networking.md 4.4): every line goes to stderr through the
// CLI's logger, a passed check as `WARNING: <check> : OK`, an error as
// `<UTC timestamp> An error occurred: <CODE>\n<message>`. Without --ignore-errors the first error
// ends the command (`ERROR: ...` plus the deep link, exit 1); with it the error is printed as an
// `ERROR:` line and the checks go on (exit 0). Cove's own checks use the same format, with the
// root-cause codes of the toolkit's catalogue and their fix commands.
import { CliError } from "../../errors.js";
import { EXIT_ERROR } from "../../exit-codes.js";
import type { CommandContext } from "../../command.js";

export const FAQ_MESSAGE = "\nPlease refer to https://aka.ms/acr/health-check for more information.";

/** The az error codes and texts (azure-cli acr/_errors.py), `{}` filled in order. */
export const AZ_ERRORS = {
  CONNECTIVITY_DNS_ERROR: "Failed to reach DNS for registry '{}'. Please check if the spelling is correct, if the CLI environment is on correct cloud and your network connectivity.",
  CONNECTIVITY_FORBIDDEN_ERROR: "Looks like you don't have access to registry '{}'. To see configured firewall rules, run 'az acr show --query networkRuleSet --name {}'. Details: https://learn.microsoft.com/azure/container-registry/container-registry-health-error-reference#connectivity_forbidden_error",
  CONNECTIVITY_CHALLENGE_ERROR: "Registry '{}' did not issue a challenge.",
  CONNECTIVITY_AAD_LOGIN_ERROR: "Registry '{}' does not support AAD login.",
  CONNECTIVITY_REFRESH_TOKEN_ERROR: "Access to registry '{}' was denied. Response code: {}. Please try running 'az login' again to refresh permissions.",
  CONNECTIVITY_ACCESS_TOKEN_ERROR: "Access to registry '{}' was denied. Response code: {}. Please try running 'az login' again to refresh permissions.",
  CONNECTIVITY_SSL_ERROR: "Unable to establish a secure connection to the registry '{}'. Are you using a proxy server?",
  LOGIN_SERVER_ERROR: "An error occurred while retrieving the login server for registry '{}'. Please check if the spelling is correct, if the CLI environment is on correct cloud and if you have the right permissions on it.",
} as const;

export type AzErrorCode = keyof typeof AZ_ERRORS;

export interface HealthError {
  /** An az code (AZ_ERRORS) or a root cause of the toolkit's catalogue. */
  title: string;
  message: string;
  /** Lines printed after the message in both modes (Cove's evidence and fix commands). */
  extra?: string[];
  /** az's deep link (https://aka.ms/acr/errors#<code>) when the error ends the command; az codes only. */
  deepLink?: boolean;
}

export function azError(code: AzErrorCode, ...args: (string | number)[]): HealthError {
  let i = 0;
  return { title: code, message: AZ_ERRORS[code].replace(/\{\}/g, () => String(args[i++] ?? "")), deepLink: true };
}

/** Python's str(datetime.utcnow()), which az puts before every error: "2026-12-01 15:04:05.123000". */
export function utcStamp(now = new Date()): string {
  return now.toISOString().replace("T", " ").replace("Z", "000");
}

export interface HealthLog {
  pass(check: string): void;
  line(text: string): void;
  /** Prints the error and returns (--ignore-errors), or throws the CliError that ends the command. */
  error(e: HealthError): void;
  /** How many errors were printed and passed over. */
  readonly ignored: number;
  /**
   * Cove's root cause for the client's path, added after an az error that ends the command: az
   * stops at the first error, and Cove's own checks, which would name the cause, then never run.
   */
  diagnosis: string[];
}

export function healthLog(ctx: CommandContext, ignoreErrors: boolean): HealthLog {
  let ignored = 0;
  const log: HealthLog = {
    diagnosis: [],
    pass: (check) => ctx.warn(`${check} : OK`),
    line: (text) => ctx.warn(text),
    error(e) {
      const body = [`${utcStamp()} An error occurred: ${e.title}`, e.message, ...(e.extra ?? [])].join("\n");
      if (!ignoreErrors) {
        const link = e.deepLink ? `\n\nPlease refer to https://aka.ms/acr/errors#${e.title.toLowerCase()} for more information.` : "";
        const cove = e.deepLink && log.diagnosis.length ? `\n${log.diagnosis.join("\n")}` : "";
        throw new CliError(body + link + cove, EXIT_ERROR, e.title);
      }
      ignored++;
      // az's logger.error: an ERROR line on stderr, and the checks go on. --only-show-errors keeps it.
      ctx.io.stderr.write(`ERROR: ${body}\n`);
    },
    get ignored() { return ignored; },
  };
  return log;
}
