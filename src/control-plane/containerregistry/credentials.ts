// Registry admin credentials (ACR's admin user): username = registry name, two random passwords.
// Stored as their own resource record `<registry id>/adminCredentials` (type
// Cove/registryAdminCredentials) so the registry document never carries secrets and the data-plane
// auth reads them without parsing the registry. Never logged, never in an audit event.

import { randomBytes } from "node:crypto";
import type { MetadataStore } from "../../storage/types.js";

export const ADMIN_CREDENTIALS_TYPE = "Cove/registryAdminCredentials";
export const PASSWORD_NAMES = ["password", "password2"] as const;
export type PasswordName = (typeof PASSWORD_NAMES)[number];

export interface AdminCredentials {
  username: string;
  passwords: Array<{ name: PasswordName; value: string }>;
}

export const adminCredentialsId = (registryId: string) => `${registryId}/adminCredentials`;

/** 32 alphanumerics (~190 bits): safe to paste into shells, URLs and Basic auth alike. */
export function newPassword(): string {
  let out = "";
  while (out.length < 32) out += randomBytes(48).toString("base64").replace(/[^A-Za-z0-9]/g, "");
  return out.slice(0, 32);
}

export async function createAdminCredentials(meta: MetadataStore, registryId: string, username: string): Promise<AdminCredentials> {
  const body: AdminCredentials = {
    username,
    passwords: PASSWORD_NAMES.map((name) => ({ name, value: newPassword() })),
  };
  await meta.putResource({ id: adminCredentialsId(registryId), type: ADMIN_CREDENTIALS_TYPE, body: body as unknown as Record<string, unknown> });
  return body;
}

/** The stored credentials; created on first use for a registry that predates them. */
export async function readAdminCredentials(meta: MetadataStore, registryId: string, username: string): Promise<AdminCredentials> {
  const rec = await meta.getResource(adminCredentialsId(registryId));
  if (rec) return rec.body as unknown as AdminCredentials;
  return createAdminCredentials(meta, registryId, username);
}

export async function regeneratePassword(meta: MetadataStore, registryId: string, username: string, which: PasswordName): Promise<AdminCredentials> {
  const current = await readAdminCredentials(meta, registryId, username);
  const next: AdminCredentials = {
    username: current.username,
    passwords: PASSWORD_NAMES.map((name) =>
      name === which ? { name, value: newPassword() } : current.passwords.find((p) => p.name === name) ?? { name, value: newPassword() }),
  };
  await meta.putResource({ id: adminCredentialsId(registryId), type: ADMIN_CREDENTIALS_TYPE, body: next as unknown as Record<string, unknown> });
  return next;
}
