// The data-plane harness (real stores) plus a data plane built with a known data-endpoint key and a
// clock the test moves, and a `call` that says which host the request names: the registry's login
// server or its data endpoint, the way the pipeline passes the Host header through.
import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { createDataPlane, type DataPlane } from "../../src/data-plane/index.js";
import type { RegistryView } from "../../src/domain/registry.js";
import { bodyBytes, fakeContext } from "../support/context.js";
import { openHarness, REGISTRY, OTHER_REGISTRY, type Harness, type Reply } from "../data-plane/harness.js";
import { allowAllAuth, type RecordingAuth } from "../data-plane/allow-all-auth.js";

export const ENABLED: RegistryView = { ...REGISTRY, dataEndpointEnabled: true };
export const OTHER_ENABLED: RegistryView = { ...OTHER_REGISTRY, dataEndpointEnabled: true };
export const LOGIN_HOST = "myreg.cove.test:8444";
export const DATA_HOST = "myreg.westeurope.data.cove.test:8444";
export const NAME = "library/hello";

export interface DataHarness {
  /** The plain harness: pushes go through it (its own plane, random key). */
  h: Harness;
  key: Buffer;
  auth: RecordingAuth;
  /** The plane under test, over the same stores. */
  plane: DataPlane;
  clock: { now: number };
  call(method: string, url: string, opts?: { host?: string; registry?: RegistryView; headers?: Record<string, string> }): Promise<Reply>;
  /** A second plane over the same stores (a restart, or another key). */
  planeWith(key: Buffer): DataPlane;
  close(): Promise<void>;
}

export async function openDataHarness(opts: { auth?: RecordingAuth } = {}): Promise<DataHarness> {
  const h = await openHarness();
  const key = randomBytes(32);
  const auth = opts.auth ?? allowAllAuth();
  const clock = { now: Date.UTC(2030, 0, 1) };
  const log = pino({ level: "silent" });
  const planeWith = (k: Buffer) => createDataPlane({ meta: h.meta, blobs: h.blobs, auth, log, dataEndpointKey: k, now: () => clock.now });
  const dh: DataHarness = {
    h, key, auth, clock, planeWith,
    plane: planeWith(key),
    async call(method, url, o = {}) {
      return callPlane(dh.plane, method, url, o);
    },
    close: () => h.close(),
  };
  return dh;
}

export async function callPlane(plane: DataPlane, method: string, url: string, o: { host?: string; registry?: RegistryView; headers?: Record<string, string> } = {}): Promise<Reply> {
  const ctx = fakeContext({ method, url, headers: { host: o.host ?? LOGIN_HOST, ...(o.headers ?? {}) } });
  const r = await plane.handle(ctx, o.registry ?? ENABLED);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
  const body = await bodyBytes(r.body);
  let json: any;
  try { json = body.length ? JSON.parse(body.toString("utf8")) : undefined; } catch { json = undefined; }
  return { status: r.status, headers, body, json };
}

/** Splits an absolute Location into what the client sends next: Host header and request target. */
export function follow(location: string): { host: string; url: string } {
  const u = new URL(location);
  return { host: u.host, url: u.pathname + u.search };
}
