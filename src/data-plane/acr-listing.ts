// ACR's own listing API under /acr/v1 (what @azure/container-registry calls; reference
// azure-sdk-clients.md section 3.2), with ACR's JSON shapes and Link paging:
//   GET /acr/v1/_catalog                       {repositories}
//   GET|DELETE /acr/v1/{name}                  repository attributes | {manifestsDeleted,tagsDeleted}
//   GET /acr/v1/{name}/_tags[/{tag}]           {registry,imageName,tags|tag}
//   DELETE /acr/v1/{name}/_tags/{tag}
//   GET /acr/v1/{name}/_manifests[/{digest}]   {registry,imageName,manifests|manifest}
//   DELETE /acr/v1/{name}/_manifests/{digest}
// Cove has no per-artifact locks yet, so changeableAttributes are always all-enabled.
import type { HandlerResult } from "../http/types.js";
import { DomainError } from "../domain/errors.js";
import type { ManifestRecord, TagRecord } from "../storage/types.js";
import type { DataPlaneDeps } from "./deps.js";
import type { OciRequest } from "./router.js";
import { nextLink, pageRequest } from "./paging.js";
import { repositoryExists } from "./listing.js";
import { deleteManifestByDigest } from "./manifests.js";

const JSON_TYPE = "application/json; charset=utf-8";
const CHANGEABLE = { deleteEnabled: true, writeEnabled: true, readEnabled: true, listEnabled: true };
/** Upper bound on tags or manifests gathered into memory for one listing. */
const GATHER_LIMIT = 100_000;

export function acrListingHandlers(d: DataPlaneDeps) {
  async function requireRepository(r: OciRequest): Promise<void> {
    if (!(await repositoryExists(d, r.registry.key, r.params.name!))) {
      throw new DomainError("NAME_UNKNOWN", "repository name not known to registry", { name: r.params.name });
    }
  }

  async function allTags(key: string, name: string): Promise<TagRecord[]> {
    const out: TagRecord[] = [];
    let last: string | undefined;
    while (out.length < GATHER_LIMIT) {
      const page = await d.meta.listTags(key, name, 1000, last);
      out.push(...page.items);
      if (!page.next || page.items.length === 0) break;
      last = page.next;
    }
    return out;
  }

  const tagJson = (t: TagRecord) => ({
    name: t.tag, digest: t.digest, createdTime: t.createdAt, lastUpdateTime: t.updatedAt, signed: false, changeableAttributes: CHANGEABLE,
  });

  function manifestJson(m: ManifestRecord, tags: string[], platform?: { architecture?: string; os?: string }) {
    const doc = safeJson(m.body);
    const refs = Array.isArray(doc?.manifests)
      ? doc.manifests.map((c: any) => ({ digest: c?.digest, architecture: c?.platform?.architecture, os: c?.platform?.os }))
      : undefined;
    const imageSize = doc && !refs
      ? [doc.config, ...(Array.isArray(doc.layers) ? doc.layers : [])].reduce((s: number, x: any) => s + (typeof x?.size === "number" ? x.size : 0), 0)
      : m.size;
    return {
      digest: m.digest, imageSize, createdTime: m.createdAt, lastUpdateTime: m.createdAt,
      ...(platform?.architecture ? { architecture: platform.architecture } : {}),
      ...(platform?.os ? { os: platform.os } : {}),
      mediaType: m.mediaType,
      ...(doc?.config?.mediaType ? { configMediaType: doc.config.mediaType } : {}),
      tags, ...(refs ? { references: refs } : {}), changeableAttributes: CHANGEABLE,
    };
  }

  /** architecture/os of an image come from its config blob (read only when small). */
  async function platformOf(m: ManifestRecord): Promise<{ architecture?: string; os?: string } | undefined> {
    const doc = safeJson(m.body);
    const digest = doc?.config?.digest;
    if (typeof digest !== "string" || typeof doc.config.size !== "number" || doc.config.size > 1 << 20) return undefined;
    try {
      const chunks: Buffer[] = [];
      for await (const c of await d.blobs.read(digest)) chunks.push(Buffer.from(c));
      const cfg = safeJson(Buffer.concat(chunks));
      return { architecture: typeof cfg?.architecture === "string" ? cfg.architecture : undefined, os: typeof cfg?.os === "string" ? cfg.os : undefined };
    } catch {
      return undefined;
    }
  }

  const envelope = (r: OciRequest) => ({ registry: r.registry.loginServer, imageName: r.params.name! });

  async function catalog(r: OciRequest): Promise<HandlerResult> {
    const { n, last } = pageRequest(r.ctx);
    const page = n === 0 ? { items: [] as string[], next: undefined } : await d.meta.listRepositories(r.registry.key, n, last);
    const headers: Record<string, string> = { "Content-Type": JSON_TYPE };
    // The SDK requests the Link path verbatim (no api-version added), as ACR sends it.
    if (page.next) headers.Link = nextLink("/acr/v1/_catalog", page.next, n, { orderby: "" });
    return { status: 200, headers, body: { repositories: page.items } };
  }

  async function getRepository(r: OciRequest): Promise<HandlerResult> {
    const key = r.registry.key;
    const name = r.params.name!;
    const manifests = await d.meta.listManifests(key, name);
    const tags = await allTags(key, name);
    if (manifests.length === 0 && tags.length === 0) throw new DomainError("NAME_UNKNOWN", "repository name not known to registry", { name });
    const times = [...manifests.map((m) => m.createdAt), ...tags.map((t) => t.updatedAt)].sort();
    return {
      status: 200,
      headers: { "Content-Type": JSON_TYPE },
      body: {
        ...envelope(r), createdTime: times[0], lastUpdateTime: times[times.length - 1],
        manifestCount: manifests.length, tagCount: tags.length, changeableAttributes: CHANGEABLE,
      },
    };
  }

  async function deleteRepository(r: OciRequest): Promise<HandlerResult> {
    const key = r.registry.key;
    const name = r.params.name!;
    const manifests = await d.meta.listManifests(key, name);
    const tags = await allTags(key, name);
    if (!(await d.meta.deleteRepository(key, name))) throw new DomainError("NAME_UNKNOWN", "repository name not known to registry", { name });
    // Reclaim bytes no repository links any more.
    const blobs = new Set(manifests.flatMap((m) => m.blobRefs));
    for (const digest of blobs) {
      await d.locks.run(digest, async () => {
        if ((await d.meta.countBlobLinks(digest)) === 0) await d.blobs.remove(digest);
      });
    }
    return {
      status: 202,
      headers: { "Content-Type": JSON_TYPE },
      body: { manifestsDeleted: manifests.map((m) => m.digest), tagsDeleted: tags.map((t) => t.tag) },
    };
  }

  async function listTags(r: OciRequest): Promise<HandlerResult> {
    const key = r.registry.key;
    const name = r.params.name!;
    await requireRepository(r);
    const { n, last } = pageRequest(r.ctx);
    const orderby = r.ctx.query.get("orderby") ?? "";
    const digestFilter = r.ctx.query.get("digest");
    let items: TagRecord[];
    let next: string | undefined;
    if (orderby === "" && !digestFilter) {
      const page = n === 0 ? { items: [], next: undefined } : await d.meta.listTags(key, name, n, last);
      items = page.items;
      next = page.next;
    } else {
      ({ items, next } = pageInMemory(sortTags(await allTags(key, name), orderby).filter((t) => !digestFilter || t.digest === digestFilter), (t) => t.tag, n, last));
    }
    const headers: Record<string, string> = { "Content-Type": JSON_TYPE };
    if (next) headers.Link = nextLink(`/acr/v1/${name}/_tags`, next, n, { orderby });
    return { status: 200, headers, body: { ...envelope(r), tags: items.map(tagJson) } };
  }

  async function getTag(r: OciRequest): Promise<HandlerResult> {
    const t = await d.meta.getTag(r.registry.key, r.params.name!, r.params.tag!);
    if (!t) throw new DomainError("MANIFEST_UNKNOWN", "tag unknown to the repository", { tag: r.params.tag });
    return { status: 200, headers: { "Content-Type": JSON_TYPE }, body: { ...envelope(r), tag: tagJson(t) } };
  }

  async function deleteTag(r: OciRequest): Promise<HandlerResult> {
    if (!(await d.meta.deleteTag(r.registry.key, r.params.name!, r.params.tag!))) {
      throw new DomainError("MANIFEST_UNKNOWN", "tag unknown to the repository", { tag: r.params.tag });
    }
    return { status: 202, headers: { "Content-Length": 0 } };
  }

  async function listManifests(r: OciRequest): Promise<HandlerResult> {
    const key = r.registry.key;
    const name = r.params.name!;
    await requireRepository(r);
    const { n, last } = pageRequest(r.ctx);
    const orderby = r.ctx.query.get("orderby") ?? "";
    const all = (await d.meta.listManifests(key, name)).slice(0, GATHER_LIMIT);
    const sorted = orderby === "timedesc" || orderby === "timeasc"
      ? [...all].sort((a, b) => (orderby === "timeasc" ? 1 : -1) * (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0))
      : [...all].sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
    const { items, next } = pageInMemory(sorted, (m) => m.digest, n, last);
    const byDigest = groupTags(await allTags(key, name));
    const headers: Record<string, string> = { "Content-Type": JSON_TYPE };
    if (next) headers.Link = nextLink(`/acr/v1/${name}/_manifests`, next, n, { orderby });
    return { status: 200, headers, body: { ...envelope(r), manifests: items.map((m) => manifestJson(m, byDigest.get(m.digest) ?? [])) } };
  }

  async function getManifestProperties(r: OciRequest): Promise<HandlerResult> {
    const key = r.registry.key;
    const name = r.params.name!;
    const m = await d.meta.getManifest(key, name, r.params.digest!);
    if (!m) throw new DomainError("MANIFEST_UNKNOWN", "manifest unknown to the repository", { digest: r.params.digest });
    const tags = groupTags(await allTags(key, name)).get(m.digest) ?? [];
    return { status: 200, headers: { "Content-Type": JSON_TYPE }, body: { ...envelope(r), manifest: manifestJson(m, tags, await platformOf(m)) } };
  }

  async function deleteManifest(r: OciRequest): Promise<HandlerResult> {
    await deleteManifestByDigest(d, r.registry.key, r.params.name!, r.params.digest!);
    return { status: 202, headers: { "Content-Length": 0 } };
  }

  return { catalog, getRepository, deleteRepository, listTags, getTag, deleteTag, listManifests, getManifestProperties, deleteManifest };
}

function sortTags(tags: TagRecord[], orderby: string): TagRecord[] {
  if (orderby !== "timedesc" && orderby !== "timeasc") return tags;
  const sign = orderby === "timeasc" ? 1 : -1;
  return [...tags].sort((a, b) => sign * (a.updatedAt < b.updatedAt ? -1 : a.updatedAt > b.updatedAt ? 1 : 0));
}

/** A page of an already ordered list, after the item whose key is `last`. */
function pageInMemory<T>(items: T[], keyOf: (t: T) => string, n: number | undefined, last: string | undefined): { items: T[]; next?: string } {
  let start = 0;
  if (last !== undefined) {
    const i = items.findIndex((t) => keyOf(t) === last);
    start = i < 0 ? items.length : i + 1;
  }
  if (n === 0) return { items: [] };
  const end = n === undefined ? items.length : start + n;
  const page = items.slice(start, end);
  return { items: page, next: end < items.length && page.length > 0 ? keyOf(page[page.length - 1]!) : undefined };
}

function groupTags(tags: TagRecord[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const t of tags) m.set(t.digest, [...(m.get(t.digest) ?? []), t.tag]);
  return m;
}

function safeJson(b: Buffer): any {
  try {
    return JSON.parse(b.toString("utf8"));
  } catch {
    return undefined;
  }
}
