// How the Azure Blob driver reads the service's answers. Every failure of a call to Azure Storage
// becomes either the storage error the contract names for that situation (the call sites decide:
// a 404 on an upload is UploadNotFound, a 412 on its ETag is UploadOffsetMismatch) or, for anything
// else the service or the network says, StoreUnavailable: the data plane answers 503 and the
// client retries. The reason kept is the HTTP status and Azure's error code only: a RestError's
// message and request carry the account's URL and headers, which stay out of errors and logs.
import { isRestError } from "@azure/storage-blob";
import { StoreUnavailable, isStorageError } from "../domain/errors.js";

export const STORE_NAME = "blob store";

/** Azure's status for a failed call, when the thrown value is the SDK's RestError. */
export function azureStatus(e: unknown): number | undefined {
  return isRestError(e) ? e.statusCode : undefined;
}

/** Azure's error code (x-ms-error-code), or the network error's code. */
export function azureCode(e: unknown): string | undefined {
  return isRestError(e) ? e.code : undefined;
}

/**
 * An error thrown by an Azure call, in the store's words. Storage errors and failures that are not
 * the SDK's (a client's body stream that broke, an abort) pass through unchanged: they are not
 * about the store.
 */
/** @azure/identity's failures to get a token: the store cannot be reached as this identity (its messages stay out). */
const CREDENTIAL_ERRORS: Record<string, string> = {
  CredentialUnavailableError: "no identity: DefaultAzureCredential found none to sign in with",
  AuthenticationError: "no token: the identity's sign-in was refused",
  AggregateAuthenticationError: "no token: every credential DefaultAzureCredential tried failed",
};

export function fromAzure(e: unknown): unknown {
  if (e instanceof Error && Object.hasOwn(CREDENTIAL_ERRORS, e.name)) return new StoreUnavailable(STORE_NAME, CREDENTIAL_ERRORS[e.name]!);
  if (isStorageError(e) || !isRestError(e)) return e;
  const status = e.statusCode === undefined ? "no answer" : String(e.statusCode);
  const code = e.code && /^[A-Za-z0-9_]{1,64}$/.test(e.code) ? ` ${e.code}` : "";
  return new StoreUnavailable(STORE_NAME, status + code);
}

/** Runs an Azure call and rethrows its failure in the store's words. */
export async function azureCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw fromAzure(e);
  }
}
