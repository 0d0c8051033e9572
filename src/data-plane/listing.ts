// Content discovery (OCI dist-spec v1.1 end-1, end-8a/8b, end-12a/12b, and the catalog that
// distribution and ACR serve): `/v2/`, tags list, `/v2/_catalog`, referrers.
import type { HandlerResult } from "../http/types.js";
import { DomainError } from "../domain/errors.js";
import { MediaType } from "../domain/oci.js";
import type { DataPlaneDeps } from "./deps.js";
import type { OciRequest } from "./router.js";
import { nextLink, pageRequest } from "./paging.js";

const JSON_TYPE = "application/json; charset=utf-8";

export function listingHandlers(d: DataPlaneDeps) {
  async function base(_r: OciRequest): Promise<HandlerResult> {
    // OCI dist-spec end-1: 200 means "this registry implements the API".
    return { status: 200, headers: { "Content-Type": JSON_TYPE }, body: {} };
  }

  async function tagsList(r: OciRequest): Promise<HandlerResult> {
    const key = r.registry.key;
    const name = r.params.name!;
    const { n, last } = pageRequest(r.ctx);
    // OCI dist-spec v1.1: n=0 returns an empty list and no Link header.
    const page = n === 0 ? { items: [], next: undefined } : await d.meta.listTags(key, name, n, last);
    if (page.items.length === 0 && !(await repositoryExists(d, key, name))) {
      throw new DomainError("NAME_UNKNOWN", "repository name not known to registry", { name });
    }
    const headers: Record<string, string> = { "Content-Type": JSON_TYPE };
    if (page.next) headers.Link = nextLink(`/v2/${name}/tags/list`, page.next, n);
    return { status: 200, headers, body: { name, tags: page.items.map((t) => t.tag) } };
  }

  async function catalog(r: OciRequest): Promise<HandlerResult> {
    const { n, last } = pageRequest(r.ctx);
    const page = n === 0 ? { items: [] as string[], next: undefined } : await d.meta.listRepositories(r.registry.key, n, last);
    const headers: Record<string, string> = { "Content-Type": JSON_TYPE };
    if (page.next) headers.Link = nextLink("/v2/_catalog", page.next, n);
    return { status: 200, headers, body: { repositories: page.items } };
  }

  async function referrers(r: OciRequest): Promise<HandlerResult> {
    const filter = r.ctx.query.get("artifactType");
    const found = await d.meta.listReferrers(r.registry.key, r.params.name!, r.params.digest!);
    const manifests = found
      .filter((m) => !filter || m.artifactType === filter)
      .sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0))
      .map((m) => ({
        mediaType: m.mediaType,
        size: m.size,
        digest: m.digest,
        // OCI dist-spec v1.1: artifactType (or the config media type for images), all annotations.
        ...(m.artifactType ? { artifactType: m.artifactType } : {}),
        ...(m.annotations && Object.keys(m.annotations).length ? { annotations: m.annotations } : {}),
      }));
    const headers: Record<string, string> = { "Content-Type": MediaType.ociIndex };
    // OCI dist-spec v1.1: a registry that applied the filter MUST say so.
    if (filter) headers["OCI-Filters-Applied"] = "artifactType";
    // OCI dist-spec v1.1: a registry supporting referrers MUST NOT answer 404; no referrers is an
    // empty index.
    return { status: 200, headers, body: { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests } };
  }

  return { base, tagsList, catalog, referrers };
}

/** A repository exists while it holds a tag or a manifest. */
export async function repositoryExists(d: DataPlaneDeps, key: string, name: string): Promise<boolean> {
  const tags = await d.meta.listTags(key, name, 1);
  if (tags.items.length > 0) return true;
  return (await d.meta.listManifests(key, name)).length > 0;
}
