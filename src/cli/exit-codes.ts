// The `cove` command's exit codes. They follow the Azure CLI where it defines one (0 success,
// 1 error, 2 usage error from argparse, 3 missing resource, measured in
// ../shared/reference/az-cli.md section 4) and add 4 for "not logged in / authentication failed",
// which az folds into 1 but scripts want to tell apart (re-login versus retry), and 5 for "a check
// ran and found a problem", so a pipeline tells a finding from a failure to run the check.
// docs/errors.md ("CLI exit codes") and docs/cli.md list this table; test/cli/exit-codes-doc.test.ts
// fails when they drift apart.

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;
export const EXIT_NOT_FOUND = 3;
export const EXIT_AUTH = 4;
export const EXIT_CHECK_FAILED = 5;

export type ExitCode = typeof EXIT_OK | typeof EXIT_ERROR | typeof EXIT_USAGE | typeof EXIT_NOT_FOUND | typeof EXIT_AUTH | typeof EXIT_CHECK_FAILED;

export interface ExitCodeEntry {
  code: ExitCode;
  name: string;
  meaning: string;
}

export const EXIT_CODES: readonly ExitCodeEntry[] = [
  { code: EXIT_OK, name: "OK", meaning: "The command succeeded." },
  { code: EXIT_ERROR, name: "ERROR", meaning: "The service refused or failed the request (ARM error code in the message), the server could not be reached, or a checked file is invalid." },
  { code: EXIT_USAGE, name: "USAGE", meaning: "Bad command line: unknown command or flag, missing required flag, malformed or oversized value. Nothing was sent." },
  { code: EXIT_NOT_FOUND, name: "NOT_FOUND", meaning: "The resource named on the command line does not exist (ARM 404, e.g. ResourceNotFound, ResourceGroupNotFound), as az." },
  { code: EXIT_AUTH, name: "AUTH", meaning: "Not logged in (run `cove login`), or the identity provider refused the credentials (HTTP 401)." },
  { code: EXIT_CHECK_FAILED, name: "CHECK_FAILED", meaning: "A check ran and found a problem: preflight named a root cause, a readiness check refused the change (nothing was changed), or evidence verification failed." },
];
