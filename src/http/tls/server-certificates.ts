// The server certificates a Cove presents, chosen by SNI as Azure does (Azure presents *.azurecr.io
// and *.<region>.data.azurecr.io, see Azure/acr#425): `*.<suffix>` for login servers,
// `*.<location>.data.<suffix>` for data endpoints (one per location in use), and a default certificate
// naming only the listen addresses for a handshake
// without SNI (a client dialling an IP sends none, RFC 6066 section 3).
//
// Why wildcards: a certificate that lists every login server tells anyone who completes a handshake the
// name of every registry, those in other resource groups and those with public access disabled
// included. A wildcard names none of them, and it does not change when a registry is created or
// deleted; only a new location needs a new certificate.
//
// A wildcard covers one label, so `<registry>.privatelink.<suffix>` is not covered: a client using the
// privatelink name directly fails on the TLS name, exactly as in Azure.
import { createSecureContext, type SecureContext } from "node:tls";
import type { LocalCa } from "./local-ca.js";
import { dataEndpointWildcard } from "../../domain/resource-ids.js";

/**
 * Server certificates live 90 days (local-ca.ts) and are no longer re-issued when registries change,
 * so a long-running Cove renews them itself: every certificate once it is this old, leaving two
 * thirds of its life as margin for a check that runs only every few hours.
 */
export const RENEW_AFTER_MS = 30 * 24 * 3600_000;

/** Which certificate a server name gets: the login wildcard, a location's data wildcard, or the default. */
export type CertificateChoice = { kind: "login" } | { kind: "data"; location: string } | { kind: "default" };

/** Picks the certificate for an SNI server name (pure; lower-cased, a trailing dot ignored). */
export function chooseCertificate(servername: string, suffix: string, locations: ReadonlySet<string>): CertificateChoice {
  const name = servername.toLowerCase().replace(/\.$/, "");
  const tail = `.${suffix.toLowerCase()}`;
  if (!name.endsWith(tail) || name.length === tail.length) return { kind: "default" };
  const labels = name.slice(0, -tail.length).split(".");
  if (labels.length === 3 && labels[2] === "data" && locations.has(labels[1]!)) return { kind: "data", location: labels[1]! };
  // Any other name under the suffix (an unknown registry, a privatelink name, a location not in use)
  // gets the login wildcard, as Azure presents *.azurecr.io; whether it covers the name is the client's check.
  return { kind: "login" };
}

/** What a listener needs: the default certificate and key, and the per-name choice by SNI. */
export interface SniMaterial {
  cert: string;
  key: string;
  sni(servername: string): SecureContext | undefined;
}

export interface ServerCertificates {
  /** One object for the life of the Cove: `sni` sees locations added later, nothing needs re-installing. */
  readonly material: SniMaterial;
  /** Issues a data-endpoint wildcard for every location not covered yet; returns the locations added. */
  addLocations(locations: Iterable<string>): Promise<string[]>;
  /** The locations with a data-endpoint certificate. */
  locations(): string[];
  /**
   * Re-issues every certificate when the current ones are RENEW_AFTER_MS old at `now`; true when it did.
   * `sni` sees the new contexts at once; the default certificate reaches a listener through its
   * setSecureContext(material), which the caller does when this answers true.
   */
  renewIfDue(now?: number): Promise<boolean>;
}

export interface ServerCertificateOptions {
  suffix: string;
  /** Listen addresses (IPs or host names) the default certificate names. */
  addresses: string[];
}

export async function createServerCertificates(ca: LocalCa, o: ServerCertificateOptions): Promise<ServerCertificates> {
  const suffix = o.suffix.toLowerCase();
  const context = async (names: string[]) => createSecureContext(await ca.issue(names));
  const byDefault = await ca.issue(o.addresses);
  let login = await context([`*.${suffix}`]);
  let issuedAt = Date.now();
  const data = new Map<string, SecureContext>();
  const known = new Set<string>();
  // Issuance is async: one chain, so two registry changes at once do not issue a location twice.
  let chain: Promise<unknown> = Promise.resolve();

  const material: SniMaterial = {
    cert: byDefault.cert,
    key: byDefault.key,
    sni(servername) {
      const c = chooseCertificate(servername, suffix, known);
      if (c.kind === "login") return login;
      if (c.kind === "data") return data.get(c.location);
      return undefined;
    },
  };

  return {
    material,
    locations: () => [...known].sort(),
    addLocations(locations) {
      const run = chain.then(async () => {
        const added: string[] = [];
        for (const raw of locations) {
          const loc = raw.toLowerCase();
          // A location is one DNS label; anything else could not form a data endpoint name anyway.
          if (known.has(loc) || !/^[a-z0-9-]{1,63}$/.test(loc)) continue;
          data.set(loc, await context([dataEndpointWildcard(loc, suffix)]));
          known.add(loc);
          added.push(loc);
        }
        return added;
      });
      chain = run.catch(() => undefined);
      return run;
    },
    renewIfDue(now = Date.now()) {
      const run = chain.then(async () => {
        if (now - issuedAt < RENEW_AFTER_MS) return false;
        const fresh = await ca.issue(o.addresses);
        const freshLogin = await context([`*.${suffix}`]);
        const freshData = new Map<string, SecureContext>();
        for (const loc of known) freshData.set(loc, await context([dataEndpointWildcard(loc, suffix)]));
        // Swapped only once all are issued, so a failure half-way leaves the old set whole.
        material.cert = fresh.cert;
        material.key = fresh.key;
        login = freshLogin;
        for (const [loc, c] of freshData) data.set(loc, c);
        issuedAt = Date.now();
        return true;
      });
      chain = run.catch(() => undefined);
      return run;
    },
  };
}
