// The page's files on the management listener: `GET /` is the page, `GET /web/<file>` its modules and
// stylesheet (src/web/client/), `GET /web/vendor/*` the two libraries it runs on, straight from
// node_modules (Preact and htm publish browser-ready ES modules; there is no build step). Files are
// read once, at start, into memory (about 60 KB): a request never touches the disk, and a path is a
// key of that table, never joined onto a directory, so no `..` or symlink reaches another file.
//
// Every answer carries the page's security headers. The policy allows scripts, styles and fetches from
// this origin only, so an injected `<script>` or `onerror=` cannot run even if a name slipped through
// unescaped; `frame-ancestors 'none'` (and X-Frame-Options for old browsers) stops clickjacking.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { HandlerResult, RequestContext } from "../http/types.js";
import { webError } from "./errors.js";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:", "connect-src 'self'",
  "form-action 'none'", "frame-ancestors 'none'", "base-uri 'none'",
].join("; ");

export const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

interface Asset { type: string; body: Buffer; etag: string }

/** The client's source directory: src/web/client beside this module's source (dist/src/web -> src/web). */
export function clientDir(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  const root = here.includes(`${sep}dist${sep}`) ? here.slice(0, here.lastIndexOf(`${sep}dist${sep}`)) : join(here, "..", "..");
  return join(root, "src", "web", "client");
}

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else if (TYPES[extname(name)] && extname(name) !== ".html") out.push(p);
  }
  return out;
}

function asset(type: string, body: Buffer): Asset {
  return { type, body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` };
}

/** Reads the page's files. Throws at start when the client directory is missing (a broken checkout). */
export function loadAssets(dir = clientDir()): Map<string, Asset> {
  const table = new Map<string, Asset>();
  let index: Buffer;
  try {
    index = readFileSync(join(dir, "index.html"));
  } catch (e) {
    throw new Error(`the networking page's files are missing: ${join(dir, "index.html")} (${(e as NodeJS.ErrnoException).code}). Cove serves them from src/web/client/ of its checkout; a copy of Cove needs src/ beside dist/.`);
  }
  table.set("/", asset(TYPES[".html"], index));
  for (const p of files(dir)) table.set(`/web/${relative(dir, p).split(sep).join("/")}`, asset(TYPES[extname(p)], readFileSync(p)));
  const require = createRequire(import.meta.url);
  const preact = require.resolve("preact");
  const preactDir = preact.slice(0, preact.lastIndexOf(`${sep}preact${sep}`) + "/preact/".length);
  table.set("/web/vendor/preact.mjs", asset(TYPES[".js"], readFileSync(join(preactDir, "dist", "preact.mjs"))));
  // Preact's hooks import the bare name "preact", which a browser cannot resolve without an import
  // map (an inline script, which the policy forbids): point it at the file served beside it.
  const hooks = readFileSync(join(preactDir, "hooks", "dist", "hooks.mjs"), "utf8").replace(/from\s*["']preact["']/g, 'from"./preact.mjs"');
  table.set("/web/vendor/hooks.mjs", asset(TYPES[".js"], Buffer.from(hooks)));
  const htm = require.resolve("htm");
  table.set("/web/vendor/htm.mjs", asset(TYPES[".js"], readFileSync(join(htm.slice(0, htm.lastIndexOf(`${sep}htm${sep}`) + "/htm/".length), "dist", "htm.module.js"))));
  return table;
}

/** GET or HEAD of `/`, `/index.html` or `/web/...`; undefined for every other path (the API's). */
export function createAssetRoute(table: Map<string, Asset> = loadAssets()) {
  return async function assets(ctx: RequestContext): Promise<HandlerResult | undefined> {
    const path = ctx.rawPath === "/index.html" ? "/" : ctx.rawPath;
    if (path !== "/" && !path.startsWith("/web/") && path !== "/web") return undefined;
    if (ctx.method !== "GET" && ctx.method !== "HEAD") return undefined;
    const a = table.get(path);
    if (!a) return { ...webError("AssetNotFound", `The page has no file '${path.slice(0, 200)}'.`), headers: { ...SECURITY_HEADERS, "Cache-Control": "no-store" } };
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS, "Content-Type": a.type, ETag: a.etag,
      // The page itself is always revalidated, so a new version shows at the next load; modules too (they are small).
      "Cache-Control": "no-cache",
    };
    if (ctx.headers["if-none-match"] === a.etag) return { status: 304, headers };
    return { status: 200, headers, body: a.body };
  };
}
