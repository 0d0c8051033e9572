// Parses a pushed manifest into what the registry must check and remember: its media type, the
// blobs and child manifests it references, its `subject`, artifact type and annotations. Pure:
// existence checks against the stores happen in manifests.ts.
//
// Accepted: OCI image manifest and index (image-spec v1.1), Docker image manifest v2 schema 2
// and manifest list. Refused with MANIFEST_INVALID: anything else (e.g. Docker schema 1), JSON
// that does not parse, and descriptors without a valid digest or size.
import { DomainError } from "../domain/errors.js";
import { parseDigest } from "../domain/digest.js";
import { MANIFEST_MEDIA_TYPES, MediaType, isIndexMediaType } from "../domain/oci.js";

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  platform?: { architecture?: string; os?: string; variant?: string };
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface ManifestDocument {
  mediaType: string;
  isIndex: boolean;
  /** config + layers (images); empty for indexes. Non-distributable layers with urls are left out. */
  blobRefs: string[];
  /** The descriptors behind blobRefs, each with where it sits (`config`, `layers[2]`), for size checks. */
  blobDescriptors: { digest: string; size: number; where: string }[];
  /** manifests[] (indexes). */
  manifestRefs: string[];
  children: Descriptor[];
  subject?: string;
  /**
   * The artifact type a referrers descriptor carries (OCI dist-spec v1.1 "Listing Referrers"):
   * the manifest's own artifactType, else (image manifests only) the config's media type.
   */
  artifactType?: string;
  annotations?: Record<string, string>;
}

function invalid(reason: string, detail?: Record<string, unknown>): DomainError {
  return new DomainError("MANIFEST_INVALID", reason, detail);
}

/** Content-Type without parameters (OCI dist-spec: registries SHOULD ignore parameters). */
export function bareMediaType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const t = contentType.split(";")[0]!.trim().toLowerCase();
  return t === "" ? undefined : t;
}

/**
 * How deep a manifest's JSON may nest. Real manifests stop at 4 (index -> manifests[] -> platform
 * -> features[]); JSON.parse itself copes with 100k levels, but the stored document must stay
 * safe for any code that walks it recursively later (canonical JSON, logging).
 */
export const MAX_MANIFEST_DEPTH = 64;

export function parseManifest(body: Buffer, contentType: string | undefined): ManifestDocument {
  const depth = jsonDepthOver(body, MAX_MANIFEST_DEPTH);
  if (depth) throw invalid(`manifest JSON nests deeper than ${MAX_MANIFEST_DEPTH} levels`, { maxDepth: MAX_MANIFEST_DEPTH });
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString("utf8"));
  } catch {
    throw invalid("manifest is not valid JSON");
  }
  if (!isObject(doc)) throw invalid("manifest is not a JSON object");
  const declared = typeof doc.mediaType === "string" ? doc.mediaType : undefined;
  const header = bareMediaType(contentType);
  // OCI dist-spec: when a manifest has a mediaType field, the client MUST set Content-Type to it.
  if (declared !== undefined && header !== undefined && header !== declared && header !== "application/json") {
    throw invalid("Content-Type differs from the manifest's mediaType", { contentType: header, mediaType: declared });
  }
  const mediaType = declared ?? (header && header !== "application/json" ? header : inferMediaType(doc));
  if (!MANIFEST_MEDIA_TYPES.includes(mediaType)) throw invalid("unsupported manifest media type", { mediaType });
  if (doc.schemaVersion !== 2) throw invalid("schemaVersion must be 2");

  const artifactType = optionalString(doc.artifactType, "artifactType");
  const annotations = optionalAnnotations(doc.annotations, "annotations");
  const subject = doc.subject === undefined ? undefined : descriptor(doc.subject, "subject").digest;

  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw invalid("an index needs a manifests array");
    const children = doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`));
    return {
      mediaType, isIndex: true, blobRefs: [], blobDescriptors: [], manifestRefs: unique(children.map((c) => c.digest)), children,
      subject, artifactType, annotations,
    };
  }
  const config = descriptor(doc.config, "config");
  if (!Array.isArray(doc.layers)) throw invalid("an image manifest needs a layers array");
  const layers = doc.layers.map((l, i) => ({ ...descriptor(l, `layers[${i}]`), where: `layers[${i}]` }));
  // Non-distributable ("foreign") layers live at their urls, not in the registry.
  const stored = layers.filter((l) => !(l.urls && l.urls.length > 0 && /nondistributable|foreign/.test(l.mediaType)));
  const blobDescriptors = [{ digest: config.digest, size: config.size, where: "config" }, ...stored.map((l) => ({ digest: l.digest, size: l.size, where: l.where }))];
  return {
    mediaType, isIndex: false, blobRefs: unique(blobDescriptors.map((b) => b.digest)), blobDescriptors, manifestRefs: [], children: [],
    subject, artifactType: artifactType ?? config.mediaType, annotations,
  };
}

/** True when `[`/`{` nest deeper than `max` outside strings: one pass over the bytes, no parse. */
function jsonDepthOver(body: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte (multi-byte escapes hold no quotes)
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

function inferMediaType(doc: Record<string, unknown>): string {
  if (Array.isArray(doc.manifests)) return MediaType.ociIndex;
  if (doc.config !== undefined && Array.isArray(doc.layers)) return MediaType.ociManifest;
  throw invalid("manifest has no mediaType and no recognisable shape");
}

function descriptor(v: unknown, where: string): Descriptor {
  if (!isObject(v)) throw invalid(`${where} is not a descriptor`);
  if (typeof v.mediaType !== "string" || v.mediaType === "") throw invalid(`${where}.mediaType is missing`);
  if (typeof v.digest !== "string") throw invalid(`${where}.digest is missing`);
  let digest: string;
  try {
    digest = parseDigest(v.digest).digest;
  } catch {
    throw invalid(`${where}.digest is not a valid digest`, { digest: String(v.digest).slice(0, 200) });
  }
  if (typeof v.size !== "number" || !Number.isSafeInteger(v.size) || v.size < 0) throw invalid(`${where}.size is not a non-negative integer`);
  const d: Descriptor = { mediaType: v.mediaType, digest, size: v.size };
  if (v.urls !== undefined) {
    if (!Array.isArray(v.urls) || !v.urls.every((u) => typeof u === "string")) throw invalid(`${where}.urls is not a list of strings`);
    d.urls = v.urls as string[];
  }
  if (isObject(v.platform)) {
    d.platform = {
      architecture: typeof v.platform.architecture === "string" ? v.platform.architecture : undefined,
      os: typeof v.platform.os === "string" ? v.platform.os : undefined,
      variant: typeof v.platform.variant === "string" ? v.platform.variant : undefined,
    };
  }
  d.annotations = optionalAnnotations(v.annotations, `${where}.annotations`);
  d.artifactType = optionalString(v.artifactType, `${where}.artifactType`);
  return d;
}

function optionalString(v: unknown, where: string): string | undefined {
  if (v === undefined || v === "") return undefined;
  if (typeof v !== "string") throw invalid(`${where} is not a string`);
  return v;
}

function optionalAnnotations(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  // OCI image spec: annotations MUST be a map of string to string.
  if (!isObject(v) || !Object.values(v).every((x) => typeof x === "string")) throw invalid(`${where} is not a string map`);
  return v as Record<string, string>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
