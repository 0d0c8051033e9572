// `cove audit verify`: an auditor's own check that today's audit log extends a checkpoint they
// saved earlier. The records and Cove's checkpoints are fetched from the management endpoint, but
// the chain is recomputed and every signature checked here, with the public key the auditor
// holds, never one the server sends (docs/audit.md).
import type { CommandSpec, GroupSpec } from "../command.js";
import { CliError, usageError } from "../errors.js";
import { EXIT_ERROR } from "../exit-codes.js";
import { verifyAuditLog, type ReadAuditPage } from "../../audit/verify-log.js";
import { publicKeyFrom, readText } from "../toolkit/evidence/keys.js";

/** A page of records as GET /cove/audit returns it (the CLI knows the log only through the API). */
type AuditPage = Awaited<ReturnType<ReadAuditPage>>;

const PAGE = 1000;
/** Pages fetched at most: a log of 100 million records; the loop always ends. */
const MAX_PAGES = 100_000;

export const groups: GroupSpec[] = [{ name: "audit", summary: "Verify Cove's audit log against checkpoints you saved." }];

export const commands: CommandSpec[] = [
  {
    name: "audit verify",
    summary: "Prove that the audit log still extends a checkpoint you saved, with the public key you hold. Exit 1 when it does not.",
    options: [
      { flags: "--checkpoint <file>", description: "A checkpoint saved from GET /cove/audit/checkpoints (one JSON object).", required: true },
      { flags: "--public-key <file>", description: "The audit public key saved from GET /cove/audit/public-key (PEM, or JWK with ?format=jwk).", required: true },
    ],
    async run(opts, ctx) {
      let saved: unknown;
      try {
        saved = JSON.parse(await readText(opts.checkpoint, "checkpoint"));
      } catch (e) {
        if (e instanceof CliError) throw e;
        throw usageError(`'${opts.checkpoint}' is not JSON: ${(e as Error).message}`);
      }
      const key = publicKeyFrom(await readText(opts.publicKey, "public key"), opts.publicKey);
      const session = await ctx.session();

      const checkpoints: unknown[] = [];
      let after = 0;
      for (let i = 0; i < MAX_PAGES; i++) {
        const page = await session.request<{ value: unknown[]; nextLink?: string }>("GET", `/cove/audit/checkpoints?after=${after}&limit=${PAGE}`);
        checkpoints.push(...page.value);
        const last = (page.value.at(-1) as { seq?: unknown } | undefined)?.seq;
        if (!page.nextLink || typeof last !== "number" || last <= after) break;
        after = last;
      }
      let pages = 0;
      const readPage: ReadAuditPage = async (afterSeq, limit) => {
        if (++pages > MAX_PAGES) throw new CliError("the audit log did not end after 100,000 pages", EXIT_ERROR);
        return (await session.request<{ value: AuditPage }>("GET", `/cove/audit?after=${afterSeq}&limit=${limit}`)).value;
      };
      const result = await verifyAuditLog(readPage, [saved, ...checkpoints], key);
      if (!result.ok) {
        throw new CliError(`The audit log does not extend the checkpoint: ${result.code} at seq ${result.seq}: ${result.reason}`, EXIT_ERROR, result.code);
      }
      return result;
    },
  },
];
