// The login profile: what `cove login` verified and later commands use. One JSON file,
// `$COVE_CONFIG_DIR/profile.json` (default `~/.config/cove/profile.json`, apart from any data dir), mode 0600 in a 0700
// directory, written to a temporary file and renamed so a crash never leaves half a profile.
// It holds a client secret, so it is never printed (`cove account show` leaves it out).
import { mkdir, readFile, rename, rm, writeFile, chmod } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

export interface Profile {
  managementEndpoint: string;
  authorityHost: string;
  tenantId: string;
  subscriptionId: string;
  /** The service principal of a client-secret login; absent with `credential: "default"`. */
  clientId: string;
  clientSecret: string;
  /**
   * "default": `DefaultAzureCredential` (environment, workload or managed identity, az's login),
   * which stores no secret; absent: the client secret above.
   */
  credential?: "default";
  /** The Azure cloud named at login (`--cloud`), for the endpoints it implies. */
  cloud?: string;
  /** Absolute path of the CA certificate that signed the server's certificate, when not trusted system-wide. */
  caCertPath?: string;
  /**
   * Cove's DNS server, "host:port" (credentials.json `dnsAddress`): the live checks (preflight,
   * check-health) ask it from the client's address, as a client in that network would.
   */
  dnsServer?: string;
}

export function configDir(env: Record<string, string | undefined>): string {
  return env.COVE_CONFIG_DIR || join(env.HOME || homedir(), ".config", "cove");
}

export function profilePath(env: Record<string, string | undefined>): string {
  return join(configDir(env), "profile.json");
}

const REQUIRED: (keyof Profile)[] = ["managementEndpoint", "authorityHost", "tenantId", "subscriptionId", "clientId", "clientSecret"];
const DEFAULT_CREDENTIAL_REQUIRED: (keyof Profile)[] = ["managementEndpoint", "authorityHost", "subscriptionId"];

/** The stored profile, or undefined when not logged in (no file, or a file that is not a profile). */
export async function loadProfile(env: Record<string, string | undefined>): Promise<Profile | undefined> {
  let text: string;
  try {
    text = await readFile(profilePath(env), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  let p: Record<string, unknown>;
  try { p = JSON.parse(text); } catch { return undefined; }
  const required = p?.credential === "default" ? DEFAULT_CREDENTIAL_REQUIRED : REQUIRED;
  if (!p || typeof p !== "object" || !required.every((k) => typeof p[k] === "string" && p[k] !== "")) return undefined;
  return p as unknown as Profile;
}

export async function saveProfile(env: Record<string, string | undefined>, profile: Profile): Promise<string> {
  const dir = configDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = profilePath(env);
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(profile, null, 2) + "\n", { mode: 0o600, flag: "wx" });
    // writeFile's mode is filtered by the umask; 0600 must hold whatever the umask is.
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return path;
}

/** Removes the profile; false when there was none. */
export async function removeProfile(env: Record<string, string | undefined>): Promise<boolean> {
  const path = profilePath(env);
  try {
    await rm(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}
