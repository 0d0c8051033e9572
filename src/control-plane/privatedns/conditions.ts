// Optimistic concurrency on private DNS resources, as Azure DNS: `If-Match: <etag>` (or `*`) makes a
// write or delete conditional on the current etag (or on existence); `If-None-Match: *` makes a PUT
// create-only. A failed condition is 412 PreconditionFailed and nothing is written. Tools such as
// `az network private-dns record-set a add-record` and Terraform rely on these headers.

import type { ArmCall } from "../arm/types.js";
import type { ResourceRecord } from "../../storage/types.js";
import { armError } from "../arm/errors.js";

function header(c: ArmCall, name: string): string | undefined {
  const v = c.ctx.headers[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v.join(",") : String(v)).trim();
}

/** Strips quotes and a weak marker: `W/"abc"` and `"abc"` both compare as `abc`. */
function bare(tag: string): string {
  return tag.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

/** Throws PreconditionFailed when the request's If-Match / If-None-Match do not hold for `existing`. */
export function checkConditions(c: ArmCall, existing: ResourceRecord | undefined, what: string): void {
  const ifMatch = header(c, "if-match");
  if (ifMatch !== undefined && ifMatch !== "") {
    const current = existing ? String(existing.body.etag ?? "") : undefined;
    const wanted = ifMatch.split(",").map(bare);
    const ok = current !== undefined && (wanted.includes("*") || wanted.includes(current));
    if (!ok) {
      throw armError("PreconditionFailed", {
        reason: current === undefined
          ? `The condition '${ifMatch}' in the If-Match header was not satisfied: the resource '${what}' does not exist.`
          : `The condition '${ifMatch}' in the If-Match header was not satisfied. The current etag of '${what}' is '${current}'.`,
      });
    }
  }
  const ifNoneMatch = header(c, "if-none-match");
  if (ifNoneMatch !== undefined && ifNoneMatch !== "" && existing) {
    const current = String(existing.body.etag ?? "");
    const wanted = ifNoneMatch.split(",").map(bare);
    if (wanted.includes("*") || wanted.includes(current)) {
      throw armError("PreconditionFailed", {
        reason: `The condition '${ifNoneMatch}' in the If-None-Match header was not satisfied: the resource '${what}' already exists.`,
      });
    }
  }
}
