// Content digests as the OCI image spec defines them (descriptor.md "Digests"):
//   digest    ::= algorithm ":" encoded
//   algorithm ::= component ([+._-] component)*,  component ::= [a-z0-9]+
//   encoded   ::= [a-zA-Z0-9=_-]+
// Cove accepts the two registered algorithms only: sha256 (64 lower-case hex) and sha512
// (128 lower-case hex). Anything else is DIGEST_INVALID, decided here before any storage call,
// so that a digest can never smuggle a path (`..`, `/`, NUL) into a driver.
import { createHash, type Hash } from "node:crypto";
import { DomainError } from "./errors.js";

export type DigestAlgorithm = "sha256" | "sha512";

const ENCODED_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  encoded: string;
  /** The canonical string, "<algorithm>:<encoded>". */
  digest: string;
}

/** Parses and validates a digest string; throws DIGEST_INVALID. */
export function parseDigest(value: string): ParsedDigest {
  if (typeof value !== "string" || value.length > 200 || !GRAMMAR.test(value)) {
    throw new DomainError("DIGEST_INVALID", "invalid digest format", { digest: printable(value) });
  }
  const i = value.indexOf(":");
  const algorithm = value.slice(0, i);
  const encoded = value.slice(i + 1);
  if (algorithm !== "sha256" && algorithm !== "sha512") {
    // OCI image spec: implementations MAY reject unregistered or unsupported algorithms.
    throw new DomainError("DIGEST_INVALID", "unsupported digest algorithm", { digest: printable(value), supported: ["sha256", "sha512"] });
  }
  // OCI image spec: the encoded portion of sha256/sha512 MUST be lower-case hex of the exact length.
  if (encoded.length !== ENCODED_LENGTH[algorithm] || !/^[a-f0-9]+$/.test(encoded)) {
    throw new DomainError("DIGEST_INVALID", "invalid digest encoding", { digest: printable(value) });
  }
  return { algorithm, encoded, digest: value };
}

export function isDigest(value: string): boolean {
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}

/** Digest of an in-memory buffer (manifests only: blobs are hashed while streamed by the BlobStore). */
export function digestOf(bytes: Buffer, algorithm: DigestAlgorithm = "sha256"): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
}

export function createDigestHash(algorithm: DigestAlgorithm): Hash {
  return createHash(algorithm);
}

/** Keeps error details readable and bounded when a client sends garbage. */
function printable(value: unknown): string {
  return String(value).replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
}
