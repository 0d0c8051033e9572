// `cove acr evidence export|verify|diff` (issue 9 section 6): a signed bundle for the change record,
// checked offline by whoever holds the signer's public key, from its directory or a .tar of it. The work is in toolkit/evidence/
// (bundle.ts draws the directory); these are the flags and the values printed. export needs a
// login; verify and diff read only the bundles, never the network.
import type { CommandSpec, GroupSpec, OptionSpec } from "../command.js";
import { CliError } from "../errors.js";
import { parseGroupName, parseNonEmpty, parseRegistryName } from "../flags.js";
import { parseSince } from "../toolkit/evidence/since.js";

export const groups: GroupSpec[] = [{ name: "acr evidence", summary: "Export, verify and compare signed evidence bundles of a registry's private access." }];

/** The default audit window, as readiness's. */
const DEFAULT_SINCE = "7d";

const PUBLIC_KEY: OptionSpec = {
  flags: "--public-key <file>",
  description: "The signer's Ed25519 public key you hold (PEM or JWK). Without it the signature is checked only against the key the bundle names, which proves nothing.",
  parse: parseNonEmpty,
};

export const commands: CommandSpec[] = [
  {
    name: "acr evidence export",
    summary: "Write a signed evidence bundle of a registry (evidence.json, report.md, manifest.json, manifest.sig) to a new directory.",
    options: [
      { flags: "-n, --name <name>", description: "Name of the registry.", parse: parseRegistryName, required: true },
      { flags: "-g, --resource-group <group>", description: "Resource group of the registry (any when omitted).", parse: parseGroupName },
      { flags: "--output-dir <dir>", description: "Directory to write the bundle to; it must not exist yet, or be empty.", parse: parseNonEmpty, required: true },
      { flags: "--since <when>", description: `Start of the audit window: a duration back from now (30m, 24h, 7d, 2w) or an ISO 8601 time. Default ${DEFAULT_SINCE}.`, parse: (v: string) => parseSince(v) },
      { flags: "--preflight <file...>", description: "Results of 'cove acr preflight --json' to include as given (one JSON file each)." },
      { flags: "--signing-key <file>", description: "An Ed25519 private key (PEM, PKCS#8, mode 0600) to sign with, instead of the CLI's own key.", parse: parseNonEmpty },
    ],
    async run(opts, ctx) {
      const { runExport } = await import("../toolkit/evidence/export-run.js");
      return runExport({
        name: opts.name, group: opts.resourceGroup, since: opts.since ?? parseSince(DEFAULT_SINCE), preflight: opts.preflight ?? [],
        outputDir: opts.outputDir, signingKey: opts.signingKey,
      }, { env: ctx.env, debug: ctx.debug, warn: ctx.warn, debugOn: opts.debug === true });
    },
  },
  {
    name: "acr evidence verify",
    summary: "Check an evidence bundle offline: every digest (naming the first file or field that changed) and the signature against the public key you hold. Exit 5 when it does not hold.",
    args: [{ name: "<bundle>", description: "The bundle's directory, or a .tar of it (the networking page's download)." }],
    options: [PUBLIC_KEY],
    async run(opts, ctx, args) {
      const [{ verifyBundle }, { readPublicKey }] = await Promise.all([import("../toolkit/evidence/verify.js"), import("../toolkit/evidence/keys.js")]);
      const trusted = opts.publicKey ? await readPublicKey(opts.publicKey) : undefined;
      const { result } = await verifyBundle(args[0]!, trusted);
      if (!trusted) {
        ctx.warn(`The signature was not checked against a trusted key: it verifies with the key the bundle names, fingerprint ${result.signature.signerFingerprint}, which anyone could have made. Compare that fingerprint with the signer's, or give --public-key.`);
      }
      return result;
    },
  },
  {
    name: "acr evidence diff",
    summary: "Compare two evidence bundles (both verified first): one sentence per changed fact.",
    args: [{ name: "<bundle1>", description: "The first (earlier) bundle: a directory or a .tar." }, { name: "<bundle2>", description: "The second (later) bundle: a directory or a .tar." }],
    options: [{ ...PUBLIC_KEY, description: "The signer's public key you hold; both bundles must verify with it. Without it each is checked against the key it names." }],
    table: (c: { fact: string; change: string }) => ({ Fact: c.fact, Change: c.change }),
    async run(opts, ctx, args) {
      const [{ verifyBundle }, { readPublicKey }, { diffEvidence }] = await Promise.all([
        import("../toolkit/evidence/verify.js"), import("../toolkit/evidence/keys.js"), import("../toolkit/evidence/diff.js"),
      ]);
      const trusted = opts.publicKey ? await readPublicKey(opts.publicKey) : undefined;
      // Which of the two failed matters here: the message names the directory.
      const checked = (dir: string) => verifyBundle(dir, trusted).catch((e: unknown) => {
        throw e instanceof CliError ? new CliError(`${dir}: ${e.message}`, e.exitCode, e.code) : e;
      });
      const a = await checked(args[0]!);
      const b = await checked(args[1]!);
      if (!trusted) ctx.warn(`The signatures were not checked against a trusted key (signers ${a.result.signature.signerFingerprint} and ${b.result.signature.signerFingerprint}); give --public-key.`);
      return diffEvidence(await a.evidence(), await b.evidence());
    },
  },
];
