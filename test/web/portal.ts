// Signing the browser in, as a user does: a one-time code from POST /cove/portal/codes (what
// `cove portal` asks for) opened as its url, or a service principal's id and secret typed into the
// form. Both end when the header names the principal.
import type { Page } from "playwright-core";
import type { TestCove } from "../support/cove.js";
import { managementToken } from "../support/arm.js";
import { https } from "../support/http.js";

export interface PortalCode {
  code: string;
  url: string;
  expiresInSeconds: number;
}

/** A one-time code for the principal whose token is given (the bootstrap principal by default). */
export async function portalCode(cove: TestCove, token?: string): Promise<PortalCode> {
  const bearer = token ?? (await managementToken(cove));
  const r = await https(`${cove.managementUrl}/cove/portal/codes`, { method: "POST", ca: cove.ca, headers: { authorization: `Bearer ${bearer}` } });
  if (r.status !== 201) throw new Error(`POST /cove/portal/codes: ${r.status} ${r.body}`);
  return r.json();
}

/** Opens a code's url and waits until the header says who is signed in. */
export async function openSignedIn(page: Page, cove: TestCove, displayName: RegExp | string = /Signed in as/, token?: string): Promise<void> {
  const { url } = await portalCode(cove, token);
  await page.goto(url);
  await page.getByRole("banner").getByText(displayName).waitFor({ timeout: 10_000 });
}

/** Types a client id and secret into the sign-in form and presses "Sign in". */
export async function fillSignIn(page: Page, cove: TestCove, clientId: string, secret: string): Promise<void> {
  await page.goto(`${cove.managementUrl}/`);
  await page.getByRole("heading", { level: 1, name: "Sign in to Cove" }).waitFor();
  await page.getByLabel("Client ID").fill(clientId);
  await page.getByLabel("Client secret").fill(secret);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** The hash route of a registry's Networking view. */
export const networkingHash = (registryId: string) => `#/registry/${encodeURIComponent(registryId)}`;

/** Follows a hash route in the open page, as a link does: the same document, so the sign-in stays. */
export async function goToHash(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => { location.hash = h; }, hash);
}
