// The networking page's error catalogue (docs/errors.md, "Networking page"): what its own endpoints
// (sign-in, codes, assets) answer, in ARM's body shape `{"error":{"code","message"}}` so the page reads
// every error of the management endpoint one way. test/web/errors-doc.test.ts holds the doc's table to it.
import type { HandlerResult } from "../http/types.js";

export const WEB_ERRORS = {
  SignInFailed: { status: 401, when: "A sign-in with a one-time code that is unknown, used or older than 60 s, or with a client id and secret that do not match." },
  SignInThrottled: { status: 429, when: "Too many failed sign-ins for that client id or from that address (the identity provider's limits); Retry-After says when to try again." },
  CrossOriginRequest: { status: 403, when: "A sign-in POST whose Origin is not the management endpoint's own, or whose Content-Type is not application/json." },
  InvalidSignInRequest: { status: 400, when: "A sign-in body that is not JSON, over 8 KiB, or has neither a code nor a client id and secret." },
  TooManySignInCodes: { status: 429, when: "More than 20 unused sign-in codes are open for one principal; they expire 60 s after they were made." },
  AssetNotFound: { status: 404, when: "A path under /web/ that is not one of the page's files." },
} as const;

export type WebErrorCode = keyof typeof WEB_ERRORS;

export function webError(code: WebErrorCode, message: string, headers: Record<string, string> = {}): HandlerResult {
  return { status: WEB_ERRORS[code].status, headers: { "Cache-Control": "no-store", ...headers }, body: { error: { code, message } } };
}
