// Inputs of the ARM body fuzz suite (arm-fuzz.test.ts): the valid writes that build one "world" (a
// resource of every type the management API writes, in two resource groups) and the mutations of a
// valid body that the suite sends in their place. Pure: no I/O; every choice comes from the Rng.
//
// A world is built twice: once as bystanders that no fuzz request names (they must read back
// unchanged at the end), once as the fuzz targets. Each step belongs to a lane; lanes touch disjoint
// resources, so the suite runs them side by side while each lane stays sequential (a write's read-back
// then sees that write and no other). `fresh` gives a new resource's path, for the create code paths.
//
// The JSON mutations (mutateBody) serve the OCI manifest suite too. A mutation may say why the body
// alone must be refused (`refusal`): over the limit, a refused media type, or malformed (JSON that
// does not parse, nests past 64 levels, is not an object); each suite says what that answer is. The
// rest are judged by the handler: a catalogued 4xx, or a 2xx when the mutation happened to be valid.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { Rng } from "./support.js";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
export type Lane = "acr" | "net" | "dns" | "authz";

/**
 * One write: `fresh` names a resource of its kind that does not exist yet; `readBack`: a GET of `path`
 * then returns what the write answered; `setup`: run when building a world (not: a PATCH, an action);
 * `limit`: the route's body limit in bytes.
 */
export interface Step {
  key: string; lane: Lane; method: "PUT" | "PATCH" | "POST"; path: string; body: Obj;
  fresh?: (n: number) => string; readBack: boolean; setup: boolean; limit: number;
}

/** What a world learns as it is built: its service principal's objectId, its endpoint connection's name. */
export interface WorldRefs { principal?: string; connection?: string }

const MiB = 1024 * 1024;
const V = { rg: "2021-04-01", acr: "2025-11-01", net: "2025-05-01", dns: "2024-06-01", authz: "2022-04-01", pol: "2025-03-01", pi: "2024-10-01" };
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";

/** A GUID that is a pure function of its inputs (role definitions and assignments are named by GUIDs). */
function guid(...parts: (string | number)[]): string {
  const h = createHash("sha256").update(parts.join(":")).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The writes of world `p` (a short prefix) in subscription `sub`; its VNets use 10.`net`.x and 10.`net+1`.x. */
export function world(sub: string, p: string, net: number, refs: WorldRefs): Step[] {
  const S = `/subscriptions/${sub}`;
  const rg = `${S}/resourceGroups/${p}-rg`;
  const pol = `${S}/resourceGroups/${p}-pol`;
  const acr = `${rg}/providers/Microsoft.ContainerRegistry/registries`;
  const reg = `${acr}/${p}reg01`;
  const link = `${acr}/${p}link01`;
  const N = `${rg}/providers/Microsoft.Network`;
  const vnet = `${N}/virtualNetworks/${p}-vnet`;
  const vnet2 = `${N}/virtualNetworks/${p}-vnet2`;
  const pe = `${N}/privateEndpoints/${p}-pe`;
  const zone = `${N}/privateDnsZones/privatelink.cove.test`;
  const zone2 = `${N}/privateDnsZones/${p}.example.com`;
  const roleDef = `${S}/providers/Microsoft.Authorization/roleDefinitions/${guid(p, "role")}`;
  const defs = `${S}/providers/Microsoft.Authorization/policyDefinitions`;
  const v = (path: string, version: string) => `${path}?api-version=${version}`;
  const tags = { world: p };
  const step = (key: string, lane: Lane, method: Step["method"], path: string, body: Obj, o: Partial<Step> = {}): Step =>
    ({ key, lane, method, path, body, readBack: method !== "POST", setup: method === "PUT", limit: MiB, ...o });
  const never = (type: string): Obj => ({ allOf: [{ field: "type", equals: type }, { field: "name", equals: "no-such-name" }] });
  return [
    step("rg", "acr", "PUT", v(rg, V.rg), { location: "westeurope", tags }, { fresh: (n) => v(`${S}/resourceGroups/${p}-new${n}`, V.rg) }),
    step("rg-pol", "authz", "PUT", v(pol, V.rg), { location: "westeurope" }),
    step("rg-patch", "acr", "PATCH", v(rg, V.rg), { tags: { world: p, patched: "yes" } }),
    step("registry", "acr", "PUT", v(reg, V.acr), { location: "westeurope", sku: { name: "Premium" }, tags, properties: { adminUserEnabled: false, policies: { retentionPolicy: { days: 7, status: "disabled" } } } },
      { fresh: (n) => v(`${acr}/${p}new${n}`, V.acr) }),
    step("registry-patch", "acr", "PATCH", v(reg, V.acr), { tags, properties: { adminUserEnabled: true, networkRuleSet: { defaultAction: "Allow", ipRules: [{ action: "Allow", value: "127.0.0.1" }] } } }),
    step("replication", "acr", "PUT", v(`${reg}/replications/northeurope`, V.acr), { location: "northeurope", properties: { regionEndpointEnabled: true } },
      { fresh: (n) => v(`${reg}/replications/${p}rep${n}`, V.acr) }),
    step("replication-patch", "acr", "PATCH", v(`${reg}/replications/northeurope`, V.acr), { tags, properties: { regionEndpointEnabled: false } }),
    step("regenerate", "acr", "POST", v(`${reg}/regenerateCredential`, V.acr), { name: "password2" }),
    step("check-name", "acr", "POST", v(`${S}/providers/Microsoft.ContainerRegistry/checkNameAvailability`, V.acr), { name: `${p}reg01`, type: "Microsoft.ContainerRegistry/registries" }),
    step("link-registry", "net", "PUT", v(link, V.acr), { location: "westeurope", sku: { name: "Premium" } }, { setup: true, readBack: false }),
    step("vnet", "net", "PUT", v(vnet, V.net), { location: "westeurope", tags, properties: { addressSpace: { addressPrefixes: [`10.${net}.0.0/16`] }, subnets: [{ name: "default", properties: { addressPrefix: `10.${net}.0.0/24` } }] } },
      { fresh: (n) => v(`${N}/virtualNetworks/${p}-new${n}`, V.net) }),
    step("subnet", "net", "PUT", v(`${vnet}/subnets/pe`, V.net), { properties: { addressPrefix: `10.${net}.1.0/24`, privateEndpointNetworkPolicies: "Disabled" } },
      { fresh: (n) => v(`${vnet}/subnets/new${n}`, V.net) }),
    step("vnet2", "net", "PUT", v(vnet2, V.net), { location: "westeurope", properties: { addressSpace: { addressPrefixes: [`10.${net + 1}.0.0/16`] } } }, { readBack: false }),
    step("peering", "net", "PUT", v(`${vnet}/virtualNetworkPeerings/to2`, V.net), { properties: { remoteVirtualNetwork: { id: vnet2 }, allowVirtualNetworkAccess: true, allowForwardedTraffic: false } },
      { fresh: (n) => v(`${vnet}/virtualNetworkPeerings/new${n}`, V.net) }),
    step("pe", "net", "PUT", v(pe, V.net), {
      location: "westeurope", tags,
      properties: { subnet: { id: `${vnet}/subnets/pe` }, privateLinkServiceConnections: [{ name: "conn", properties: { privateLinkServiceId: link, groupIds: ["registry"] } }] },
    }, { fresh: (n) => v(`${N}/privateEndpoints/${p}-new${n}`, V.net) }),
    step("connection", "net", "PUT", v(`${link}/privateEndpointConnections/${refs.connection ?? "unknown"}`, V.acr),
      { properties: { privateLinkServiceConnectionState: { status: "Approved", description: "approved by the fuzz world" } } }),
    step("what-if", "net", "POST", v(`${link}/whatIf`, V.acr), { change: { kind: "delete-endpoint", endpointId: pe } }),
    step("zone", "dns", "PUT", v(zone, V.dns), { location: "global", tags }, { readBack: false }),
    step("zone2", "dns", "PUT", v(zone2, V.dns), { location: "global", tags }, { fresh: (n) => v(`${N}/privateDnsZones/new${n}.${p}.example.com`, V.dns) }),
    step("zone2-patch", "dns", "PATCH", v(zone2, V.dns), { tags: { world: p, patched: "yes" } }),
    step("a-record", "dns", "PUT", v(`${zone}/A/manual`, V.dns), { properties: { ttl: 300, metadata: { why: "fuzz" }, aRecords: [{ ipv4Address: `10.${net}.9.9` }] } },
      { fresh: (n) => v(`${zone}/A/new${n}`, V.dns) }),
    step("a-record-patch", "dns", "PATCH", v(`${zone}/A/manual`, V.dns), { properties: { ttl: 60 } }),
    step("cname", "dns", "PUT", v(`${zone}/CNAME/alias`, V.dns), { properties: { ttl: 300, cnameRecord: { cname: "example.com" } } }, { setup: false, readBack: false }),
    step("vnet-link", "dns", "PUT", v(`${zone}/virtualNetworkLinks/hub`, V.dns), { location: "global", tags, properties: { virtualNetwork: { id: vnet }, registrationEnabled: false } },
      { fresh: (n) => v(`${zone}/virtualNetworkLinks/new${n}`, V.dns) }),
    step("vnet-link-patch", "dns", "PATCH", v(`${zone}/virtualNetworkLinks/hub`, V.dns), { properties: { registrationEnabled: false, resolutionPolicy: "Default" } }),
    step("zone-group", "net", "PUT", v(`${pe}/privateDnsZoneGroups/default`, V.net), { properties: { privateDnsZoneConfigs: [{ name: "acr", properties: { privateDnsZoneId: zone } }] } },
      { fresh: (n) => v(`${pe}/privateDnsZoneGroups/new${n}`, V.net) }),
    step("principal", "authz", "POST", "/cove/identity/servicePrincipals", { displayName: `${p}-principal` }, { setup: true, limit: 64 * 1024 }),
    step("role-definition", "authz", "PUT", v(roleDef, V.authz), {
      properties: { roleName: `${p} registry reader`, description: "reads registries", type: "CustomRole", permissions: [{ actions: ["Microsoft.ContainerRegistry/registries/read"], notActions: [] }], assignableScopes: [rg] },
    }, { fresh: (n) => v(`${S}/providers/Microsoft.Authorization/roleDefinitions/${guid(p, "role", n)}`, V.authz) }),
    step("role-assignment", "authz", "PUT", v(`${rg}/providers/Microsoft.Authorization/roleAssignments/${guid(p, "assignment")}`, V.authz), {
      properties: { roleDefinitionId: roleDef, principalId: refs.principal ?? "unknown", principalType: "ServicePrincipal", description: "fuzz world" },
    }, { fresh: (n) => v(`${rg}/providers/Microsoft.Authorization/roleAssignments/${guid(p, "assignment", n)}`, V.authz) }),
    step("policy-definition", "authz", "PUT", v(`${defs}/${p}-deny`, V.pol), {
      properties: { mode: "All", displayName: "deny nothing", parameters: { effect: { type: "String", allowedValues: ["Deny", "Audit"], defaultValue: "Deny" } },
        policyRule: { if: never("Microsoft.Network/virtualNetworks"), then: { effect: "[parameters('effect')]" } } },
    }, { fresh: (n) => v(`${defs}/${p}-new${n}`, V.pol) }),
    step("modify-definition", "authz", "PUT", v(`${defs}/${p}-modify`, V.pol), {
      properties: { mode: "Indexed", policyRule: { if: never("Microsoft.Network/privateDnsZones"),
        then: { effect: "modify", details: { roleDefinitionIds: [`/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`], operations: [{ operation: "addOrReplace", field: "tags['fuzz']", value: "1" }] } } } },
    }, { readBack: false }),
    step("policy-assignment", "authz", "PUT", v(`${pol}/providers/Microsoft.Authorization/policyAssignments/${p}-assign`, V.pol), {
      properties: { policyDefinitionId: `${defs}/${p}-deny`, parameters: { effect: { value: "Audit" } }, enforcementMode: "Default", description: "audits nothing" },
    }, { fresh: (n) => v(`${pol}/providers/Microsoft.Authorization/policyAssignments/${p}-new${n}`, V.pol) }),
    step("modify-assignment", "authz", "PUT", v(`${pol}/providers/Microsoft.Authorization/policyAssignments/${p}-modify`, V.pol), {
      location: "westeurope", identity: { type: "SystemAssigned" }, properties: { policyDefinitionId: `${defs}/${p}-modify` },
    }, { readBack: false }),
    step("exemption", "authz", "PUT", v(`${pol}/providers/Microsoft.Authorization/policyExemptions/${p}-exempt`, V.pol), {
      properties: { policyAssignmentId: `${pol}/providers/Microsoft.Authorization/policyAssignments/${p}-assign`, exemptionCategory: "Waiver", displayName: "waived", expiresOn: "2999-01-01T00:00:00Z" },
    }, { fresh: (n) => v(`${pol}/providers/Microsoft.Authorization/policyExemptions/${p}-new${n}`, V.pol) }),
    step("remediation", "authz", "PUT", v(`${pol}/providers/Microsoft.PolicyInsights/remediations/${p}-fix`, V.pi), {
      properties: { policyAssignmentId: `${pol}/providers/Microsoft.Authorization/policyAssignments/${p}-modify`, resourceDiscoveryMode: "ExistingNonCompliant", resourceCount: 10, parallelDeployments: 2, failureThreshold: { percentage: 0.5 } },
    }, { readBack: false, fresh: (n) => v(`${pol}/providers/Microsoft.PolicyInsights/remediations/${p}-new${n}`, V.pi) }),
    step("restrictions", "authz", "POST", v(`${pol}/providers/Microsoft.PolicyInsights/checkPolicyRestrictions`, V.pi), {
      resourceDetails: { resourceContent: { type: "Microsoft.Network/virtualNetworks", name: "vnet", location: "westeurope" }, apiVersion: V.net }, pendingFields: [{ field: "location", values: ["westeurope"] }], includeAuditEffect: true,
    }),
  ];
}

/** One request body a suite sends (no `contentType`: no header; `chunked`: no Content-Length), and why the body alone must be refused. */
export interface BodyCase { what: string; body: Buffer; contentType?: string; chunked?: boolean; refusal?: "too-large" | "media-type" | "malformed" }

/** A route's body rules: its size limit, the Content-Type of a valid body, and other types it refuses or accepts. */
export interface BodyRules { limit: number; type: string; refused: readonly string[]; accepted: readonly (string | undefined)[] }

/** The ARM routes' media types (control-plane/arm/request-body.ts): JSON, `+json` and text/json; no Content-Type is JSON. */
export const ARM_TYPES = {
  type: "application/json",
  refused: ["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/octet-stream", "application/jsonx", "json", "*/*"],
  accepted: ["application/json; charset=utf-8", "APPLICATION/JSON", "text/json", "application/merge-patch+json", "application/json; foo=bar", undefined],
} as const;

type Path = (string | number)[];
const MARK = "\u0001mark\u0001";
const clone = <T>(v: T): T => structuredClone(v);
const show = (p: Path) => p.map((k) => (typeof k === "number" ? `[${k}]` : `.${k}`)).join("").replace(/^\./, "") || "(root)";

function pathsOf(v: Json, at: Path = [], out: Path[] = []): Path[] {
  if (at.length) out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...at, i], out));
  else if (v !== null && typeof v === "object") for (const k of Object.keys(v)) pathsOf(v[k]!, [...at, k], out);
  return out;
}
const getAt = (v: Json, p: Path): Json => p.reduce<Json>((o, k) => (o as any)[k], v);
function setAt(doc: Obj, p: Path, value: Json): Obj {
  const c = clone(doc);
  (getAt(c, p.slice(0, -1)) as any)[p[p.length - 1]!] = value;
  return c;
}
function removeAt(doc: Obj, p: Path): Obj {
  const c = clone(doc);
  const parent = getAt(c, p.slice(0, -1)) as any;
  if (Array.isArray(parent)) parent.splice(p[p.length - 1] as number, 1);
  else delete parent[p[p.length - 1]!];
  return c;
}
/** The document's text with the value at `p` written as `raw` (text JSON.stringify would never produce). */
const rawAt = (doc: Obj, p: Path, raw: string) => JSON.stringify(setAt(doc, p, MARK)).replace(JSON.stringify(MARK), () => raw);
const parses = (b: Buffer) => { try { JSON.parse(b.toString("utf8").replace(/^\uFEFF/, "")); return true; } catch { return false; } };
const kindOf = (v: Json) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
const objectPaths = (doc: Obj) => [[], ...pathsOf(doc)].filter((p) => kindOf(getAt(doc, p)) === "object");

const WRONG: Json[] = [0, -1, 3.5, true, false, "", "x", "0", [], [null], [1, "a"], {}, { a: "b" }];
const ODD = ["\u0000", "\ud800", "\udfff\ud800", "\u202egnp.exe", "a\r\nb", "\u{1F4A5}".repeat(100), " ", "../../etc/passwd", "%00%2f", "<script>x</script>", "'; DROP TABLE resources; --"];
const NUMBERS = ["1e400", "-1e400", "-0", "1e-400", "9007199254740993", "2147483648", "-2147483649", "1.5", "0.1e1", "123456789012345678901234567890"];
const BROKEN = ["//", "/* c */", "'", "NaN", "Infinity", "undefined", "+1", "0x10", "01", ",", ",}", "}", "]", "{", "\\", "\u0007", "\"\n\""];
const UTF8 = [[0xff], [0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]];
const TOP = ["[]", "[{}]", "\"text\"", "42", "true", "null", "", "   ", "\uFEFF"];
const HUGE = [300, 5_000, 200_000];
const OVER = [1, 2 * MiB, 4 * MiB, 8 * MiB];

/** A mutation of `valid` (a body the route accepts) under the route's `rules`. */
export function mutateBody(rng: Rng, valid: Obj, rules: BodyRules): BodyCase {
  const limit = rules.limit;
  const paths = pathsOf(valid);
  const anyPath = () => rng.pick(paths);
  const json = (d: Obj | string, what: string, extra: Partial<BodyCase> = {}): BodyCase =>
    ({ what, body: Buffer.from(typeof d === "string" ? d : JSON.stringify(d)), contentType: rules.type, ...extra });
  const kinds: Array<[number, () => BodyCase]> = [
    [8, () => rng.chance(0.5) ? json(valid, "the valid body") : json({ ...valid, tags: { [`k${rng.int(1000)}`]: `v${rng.int(1000)}` } }, "the valid body with other tags")],
    [14, () => {
      const p = anyPath();
      const was = kindOf(getAt(valid, p));
      const v = rng.pick(WRONG.filter((w) => kindOf(w) !== was));
      return json(setAt(valid, p, v), `${show(p)}: ${was} -> ${JSON.stringify(v)}`);
    }],
    [6, () => { const p = anyPath(); return json(setAt(valid, p, null), `${show(p)} = null`); }],
    [2, () => {
      const deep = rng.int(3) + 1;
      const nulled = JSON.parse(JSON.stringify(valid, function (this: any, k, v) { return k !== "" && (v === null || typeof v !== "object") ? null : v; }));
      const body = deep === 1 ? Object.fromEntries(Object.keys(valid).map((k) => [k, null])) : nulled;
      return json(body, deep === 1 ? "null at every top-level key" : "null at every leaf");
    }],
    [8, () => { const p = anyPath(); return json(removeAt(valid, p), `${show(p)} removed`); }],
    [8, () => {
      const p = rng.pick(objectPaths(valid));
      const o = getAt(valid, p) as Obj;
      const near = Object.keys(o).map((k) => (k === k.toLowerCase() ? k.toUpperCase() : k.toLowerCase()));
      const key = rng.pick([...near, "unknownProperty", "__proto__", "constructor", "", " ", "k".repeat(600), "ключ", "a.b", "$ref"]);
      const c = clone(valid);
      // defineProperty: an assignment to "__proto__" would set the prototype, not send the key.
      Object.defineProperty(getAt(c, p), key, { value: rng.pick(WRONG), enumerable: true, writable: true, configurable: true });
      return json(c, `unknown key ${JSON.stringify(key.slice(0, 20))} at ${show(p)}`);
    }],
    [3, () => { const p = anyPath(); const n = rng.pick(HUGE); return json(setAt(valid, p, "x".repeat(n)), `${show(p)}: a ${n}-character string`); }],
    [2, () => {
      const p = anyPath();
      const n = limit + rng.pick(OVER);
      const c = json(setAt(valid, p, "y".repeat(n)), `${show(p)}: a ${n}-character string, over the ${limit}-byte limit`, { refusal: "too-large" });
      return rng.chance(0.5) ? { ...c, chunked: true, what: `${c.what}, chunked` } : c;
    }],
    [3, () => {
      const p = anyPath();
      const n = rng.pick([100, 1_000, 10_000]);
      const raw = rng.chance(0.5) ? "[".repeat(n) + "]".repeat(n) : '{"a":'.repeat(n) + "1" + "}".repeat(n);
      return json(rawAt(valid, p, raw), `${show(p)}: nested ${n} levels deep`, { refusal: "malformed" });
    }],
    [8, () => {
      const text = JSON.stringify(valid);
      const at = 1 + rng.int(text.length - 1);
      const op = rng.int(3);
      const bad = op === 0 ? text.slice(0, at) : op === 1 ? text.slice(0, at) + rng.pick(BROKEN) + text.slice(at) : rawAt(valid, anyPath(), rng.pick(BROKEN));
      const c = json(bad, op === 0 ? `cut at byte ${at}` : op === 1 ? `garbage at byte ${at}` : "a value that is not JSON");
      return parses(c.body) ? c : { ...c, refusal: "malformed" };
    }],
    [4, () => {
      const p = anyPath();
      const bytes = rng.pick(UTF8);
      const [head, tail] = JSON.stringify(setAt(valid, p, `a${MARK}b`)).split(JSON.stringify(MARK).slice(1, -1));
      return { what: `${show(p)}: invalid UTF-8 ${Buffer.from(bytes).toString("hex")}`, body: Buffer.concat([Buffer.from(head!), Buffer.from(bytes), Buffer.from(tail!)]), contentType: rules.type };
    }],
    [6, () => { const p = anyPath(); const s = rng.pick(ODD); return json(setAt(valid, p, s), `${show(p)} = ${JSON.stringify(s.slice(0, 20))}`); }],
    [6, () => {
      const p = rng.pick(objectPaths(valid).filter((q) => Object.keys(getAt(valid, q) as Obj).length > 0));
      const key = rng.pick(Object.keys(getAt(valid, p) as Obj));
      const dup = JSON.stringify(rng.pick(WRONG));
      const first = rng.chance(0.5);
      const c = clone(valid);
      const o = getAt(c, p) as Obj;
      const members = Object.entries(o);
      for (const k of Object.keys(o)) delete o[k];
      if (first) o[MARK] = MARK;
      for (const [k, x] of members) o[k] = x;
      if (!first) o[MARK] = MARK;
      const text = JSON.stringify(c).replace(`${JSON.stringify(MARK)}:${JSON.stringify(MARK)}`, () => `${JSON.stringify(key)}:${dup}`);
      return json(text, `${show(p)}: key ${JSON.stringify(key)} twice, ${first ? "first" : "last"} = ${dup}`);
    }],
    [6, () => {
      const nums = paths.filter((p) => typeof getAt(valid, p) === "number");
      const p = nums.length && rng.chance(0.6) ? rng.pick(nums) : anyPath();
      const n = rng.pick(NUMBERS);
      return json(rawAt(valid, p, n), `${show(p)} = ${n}`);
    }],
    [5, () => {
      if (rng.chance(0.6)) { const t = rng.pick(rules.refused); return json(valid, `Content-Type ${t}`, { contentType: t, refusal: "media-type" }); }
      const t = rng.pick(rules.accepted);
      return json(valid, `Content-Type ${t ?? "absent"}`, { contentType: t });
    }],
    [3, () => { const t = rng.pick(TOP); return json(t, `the body ${JSON.stringify(t)}`, { refusal: "malformed" }); }],
  ];
  let roll = rng.int(kinds.reduce((s, [w]) => s + w, 0));
  for (const [w, make] of kinds) {
    if ((roll -= w) < 0) {
      const made = make();
      // Over the limit is refused before anything else but the media type.
      const c: BodyCase = made.body.length > limit && made.refusal !== "media-type" ? { ...made, refusal: "too-large" } : made;
      return c.chunked === undefined && rng.chance(0.1) ? { ...c, chunked: true, what: `${c.what}, chunked` } : c;
    }
  }
  throw new Error("unreachable");
}

/**
 * What goes on the wire for `c`. A body the server refuses before reading it all (over `limit`, or
 * `early`: refused for the request line alone) is sent as a streaming client sends it, whose answer is
 * then awaited: with its full Content-Length, its first 16 KiB; chunked and over the limit, its first
 * limit + 1 bytes. The server answers such a body early and closes the connection (Connection: close,
 * http/pipeline.ts): a client still writing megabytes into it may get a reset before the answer.
 * The caller destroys `stream` once answered.
 */
export function onTheWire(c: BodyCase, limit: number, early = false): { body: Buffer | Readable; headers: Record<string, string>; stream?: Readable } {
  const headers: Record<string, string> = c.contentType === undefined ? {} : { "content-type": c.contentType };
  if (c.body.length > (early ? 16 * 1024 : limit)) {
    const stream = new Readable({ read() {} });
    stream.push(c.body.subarray(0, c.chunked && !early ? limit + 1 : 16 * 1024));
    if (!c.chunked) headers["content-length"] = String(c.body.length);
    return { body: stream, headers, stream };
  }
  if (!c.chunked) return { body: c.body, headers };
  const stream = Readable.from([c.body]);
  return { body: stream, headers, stream };
}
