// A small stand-in for Cove's management endpoint, so the CLI's tests run without the server
// parts other people are building: the identity provider (discovery + client-credentials token),
// /subscriptions, resource groups, registries (+ listCredentials), role definitions and
// assignments, and Cove's service principal endpoint. HTTPS with a throw-away CA made by
// openssl, because every bearer-token client refuses http (azure-sdk-clients.md section 0).
// It records every request so tests can check what the CLI sent.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";

export const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
export const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
export const CLIENT_ID = "0b7d2a3c-1111-4e5f-8a9b-0c1d2e3f4a5b";
export const CLIENT_SECRET = "s3cr3t-client-value-DO-NOT-PRINT";
export const ACCESS_TOKEN = "opaque-access-token-DO-NOT-PRINT";
export const ADMIN_PASSWORD = "admin-password-ONE";
export const ADMIN_PASSWORD2 = "admin-password-TWO";
export const ACR_PUSH_ID = "8311e382-0749-4cb8-b61a-304f252e45ec";

export interface Recorded {
  method: string;
  url: string;
  body: string;
  authorization?: string;
}

export interface FakeManagement {
  endpoint: string;
  caPath: string;
  dir: string;
  requests: Recorded[];
  registries: Map<string, any>;
  servicePrincipals: any[];
  assignments: any[];
  close(): Promise<void>;
}

function makeCert(dir: string): { key: Buffer; cert: Buffer; caPath: string } {
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=cove-cli-test-ca",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
  writeFileSync(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  run(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf"]);
  return { key: readFileSync(join(dir, "server.key")), cert: readFileSync(join(dir, "server.crt")), caPath: join(dir, "ca.crt") };
}

const ROLE_DEFINITIONS = [
  { name: ACR_PUSH_ID, roleName: "AcrPush" },
  { name: "7f951dda-4ed3-4680-a7ca-43fe172d538d", roleName: "AcrPull" },
  { name: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", roleName: "Owner" },
];

export async function startFakeManagement(): Promise<FakeManagement> {
  const dir = mkdtempSync(join(tmpdir(), "cove-cli-fake-"));
  const { key, cert, caPath } = makeCert(dir);
  const requests: Recorded[] = [];
  const groups = new Map<string, any>();
  const registries = new Map<string, any>();
  const servicePrincipals: any[] = [];
  const assignments: any[] = [];
  let origin = "";

  const sub = `/subscriptions/${SUBSCRIPTION}`;
  const registryBody = (rg: string, name: string, props: any) => ({
    id: `${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerRegistry/registries/${name}`,
    name, type: "Microsoft.ContainerRegistry/registries", location: props.location ?? "eastus",
    sku: { name: props.sku ?? "Premium", tier: props.sku ?? "Premium" },
    properties: { loginServer: `${name}.cove.test`, adminUserEnabled: props.adminUserEnabled ?? false, provisioningState: "Succeeded", publicNetworkAccess: "Enabled" },
  });
  const armError = (status: number, code: string, message: string) => ({ status, body: { error: { code, message } } });

  function route(method: string, path: string, query: URLSearchParams, body: any, auth: string | undefined): { status: number; body?: unknown } {
    let m: RegExpExecArray | null;
    if (method === "GET" && (m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path))) {
      const t = m[1];
      return { status: 200, body: { issuer: `${origin}/${t}/v2.0`, authorization_endpoint: `${origin}/${t}/oauth2/v2.0/authorize`, token_endpoint: `${origin}/${t}/oauth2/v2.0/token`, jwks_uri: `${origin}/${t}/discovery/v2.0/keys` } };
    }
    if (method === "POST" && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(path)) {
      const form = new URLSearchParams(body as string);
      if (form.get("client_id") === CLIENT_ID && form.get("client_secret") === CLIENT_SECRET) return { status: 200, body: { token_type: "Bearer", expires_in: 3599, access_token: ACCESS_TOKEN } };
      return { status: 401, body: { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided.", error_codes: [7000215] } };
    }
    if (auth !== `Bearer ${ACCESS_TOKEN}`) return armError(401, "AuthenticationFailed", "Authentication failed.");
    const lower = path.toLowerCase();
    if (method === "GET" && lower === "/subscriptions") return { status: 200, body: { value: [{ id: sub, subscriptionId: SUBSCRIPTION, displayName: "cove-local", state: "Enabled" }] } };
    if ((m = /^\/subscriptions\/[^/]+\/resourcegroups\/([^/]+)$/i.exec(path))) {
      const rg = m[1];
      if (method === "PUT") {
        const g = { id: `${sub}/resourceGroups/${rg}`, name: rg, type: "Microsoft.Resources/resourceGroups", location: body.location, properties: { provisioningState: "Succeeded" } };
        groups.set(rg.toLowerCase(), g);
        return { status: 201, body: g };
      }
      const g = groups.get(rg.toLowerCase());
      if (!g) return armError(404, "ResourceGroupNotFound", `Resource group '${rg}' could not be found.`);
      if (method === "GET") return { status: 200, body: g };
      if (method === "DELETE") { groups.delete(rg.toLowerCase()); return { status: 200 }; }
    }
    if (method === "GET" && /^\/subscriptions\/[^/]+\/resourcegroups$/i.test(path)) return { status: 200, body: { value: [...groups.values()] } };
    if (method === "GET" && /^\/subscriptions\/[^/]+\/providers\/microsoft\.containerregistry\/registries$/i.test(path)) return { status: 200, body: { value: [...registries.values()] } };
    if ((m = /^\/subscriptions\/[^/]+\/resourcegroups\/([^/]+)\/providers\/microsoft\.containerregistry\/registries\/([^/]+)(\/listCredentials)?$/i.exec(path))) {
      const [, rg, name, action] = m;
      const key = `${rg}/${name}`.toLowerCase();
      if (method === "PUT") {
        const r = registryBody(rg, name, { location: body.location, sku: body.sku?.name, adminUserEnabled: body.properties?.adminUserEnabled });
        registries.set(key, r);
        return { status: 200, body: r };
      }
      const r = registries.get(key);
      if (!r) return armError(404, "ResourceNotFound", `The Resource 'Microsoft.ContainerRegistry/registries/${name}' under resource group '${rg}' was not found.`);
      if (method === "GET" && !action) return { status: 200, body: r };
      if (method === "POST" && action) return { status: 200, body: { username: name, passwords: [{ name: "password", value: ADMIN_PASSWORD }, { name: "password2", value: ADMIN_PASSWORD2 }] } };
    }
    if (method === "GET" && (m = /^(.*)\/providers\/Microsoft\.Authorization\/roleDefinitions$/i.exec(path))) {
      const scope = m[1];
      const f = /roleName eq '(.*)'/.exec(query.get("$filter") ?? "");
      const defs = ROLE_DEFINITIONS.filter((d) => !f || d.roleName === f[1].replace(/''/g, "'"));
      return { status: 200, body: { value: defs.map((d) => ({ id: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${d.name}`, name: d.name, type: "Microsoft.Authorization/roleDefinitions", properties: { roleName: d.roleName, type: "BuiltInRole" } })) } };
    }
    if (method === "PUT" && (m = /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments\/([^/]+)$/i.exec(path))) {
      const a = { id: path, name: m[2], type: "Microsoft.Authorization/roleAssignments", properties: { ...body.properties, scope: m[1] } };
      assignments.push(a);
      return { status: 201, body: a };
    }
    if (method === "GET" && /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Authorization\/roleAssignments$/i.test(path)) return { status: 200, body: { value: assignments } };
    if (path === "/cove/identity/servicePrincipals") {
      if (method === "GET") return { status: 200, body: { value: servicePrincipals.map(({ password: _p, ...sp }) => sp) } };
      if (method === "POST") {
        const sp = { appId: randomUUID(), objectId: randomUUID(), displayName: body.displayName, password: "sp-password-" + randomUUID(), tenant: TENANT };
        servicePrincipals.push(sp);
        return { status: 201, body: sp };
      }
    }
    return armError(404, "NotFoundInFake", `${method} ${path}`);
  }

  const server: Server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      // Parsed by hand: ARM clients send `//subscriptions/...` for scope-based paths, which
      // new URL(path, base) would read as a host name.
      const raw = req.url ?? "/";
      const q = raw.indexOf("?");
      const pathname = (q < 0 ? raw : raw.slice(0, q)).replace(/\/{2,}/g, "/");
      const searchParams = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
      requests.push({ method: req.method ?? "", url: req.url ?? "", body: text, authorization: req.headers.authorization });
      let body: any = text;
      if ((req.headers["content-type"] ?? "").includes("json") && text) body = JSON.parse(text);
      const out = route(req.method ?? "GET", decodeURIComponent(pathname), searchParams, body, req.headers.authorization);
      const payload = out.body === undefined ? "" : JSON.stringify(out.body);
      res.writeHead(out.status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
      res.end(payload);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint: origin, caPath, dir, requests, registries, servicePrincipals, assignments,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes a credentials.json as `cove serve` does on first start. */
export function writeCredentials(dir: string, fake: FakeManagement, caCertPath = fake.caPath): void {
  writeFileSync(join(dir, "credentials.json"), JSON.stringify({
    tenantId: TENANT, subscriptionId: SUBSCRIPTION, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET,
    authorityHost: fake.endpoint, managementEndpoint: fake.endpoint, registryPort: 8444, dnsAddress: "127.0.0.1:5353", caCertPath,
  }), { mode: 0o600 });
}
