// OCI vocabulary shared by the data plane and anything that names registry content: repository
// names, tags, references and the manifest media types Cove stores. Pure: no I/O, no HTTP.
import { DomainError } from "./errors.js";
import { parseDigest } from "./digest.js";

// OCI dist-spec v1.1 "Pulling manifests": <name> MUST match this expression (the v1.1 form,
// which also allows `__` and runs of `-` between alphanumerics).
export const REPOSITORY_NAME =
  /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
// OCI dist-spec v1.1: clients commonly limit "<host>/<name>" to 255 characters; a name alone
// longer than that can never be pulled, so refuse it at push time.
export const REPOSITORY_NAME_MAX = 255;

// OCI dist-spec v1.1 "Pulling manifests": a tag MUST be at most 128 characters and match this.
export const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export const MediaType = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  ociEmpty: "application/vnd.oci.empty.v1+json",
} as const;

/** Manifest media types Cove accepts on PUT (images and indexes, OCI and Docker). */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
];

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

/** Throws NAME_INVALID unless `name` is a valid repository name. */
export function validateRepositoryName(name: string): string {
  if (typeof name !== "string" || name.length === 0 || name.length > REPOSITORY_NAME_MAX || !REPOSITORY_NAME.test(name)) {
    throw new DomainError("NAME_INVALID", "invalid repository name", { name: printable(name) });
  }
  return name;
}

export function isTag(value: string): boolean {
  return TAG.test(value);
}

/** Throws TAG_INVALID (distribution's code; the OCI table has none for tags) unless `tag` is valid. */
export function validateTag(tag: string): string {
  if (!isTag(tag)) throw new DomainError("TAG_INVALID", "invalid tag", { tag: printable(tag) });
  return tag;
}

export type Reference = { kind: "tag"; tag: string } | { kind: "digest"; digest: string };

/**
 * OCI dist-spec: <reference> MUST be either a digest or a tag, and MUST NOT be in any other
 * format. Anything containing ":" is treated as a digest (tags cannot contain ":").
 */
export function parseReference(value: string): Reference {
  if (value.includes(":")) return { kind: "digest", digest: parseDigest(value).digest };
  return { kind: "tag", tag: validateTag(value) };
}

function printable(value: unknown): string {
  return String(value).replace(/[^\x20-\x7e]/g, "?").slice(0, 300);
}
