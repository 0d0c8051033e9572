// `cove az setup`: the steps that make the real az talk to one Cove (az-cli.md 2, measured), either
// run here one az process at a time or printed as a shell script (--print) for a user to run. The
// same list drives both, so the script is what setup does. Every step may run again: config set
// overwrites, the cloud is updated when it exists, login replaces the account. The secret never
// appears in the script: it is read from credentials.json by the printed command, or taken from a
// variable the user sets.
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CliError } from "../errors.js";
import { EXIT_AUTH, EXIT_ERROR } from "../exit-codes.js";
import { NOWHERE_PROXY, azEnv, directHosts, runCaptured } from "./az-process.js";
import { CLOUD_CONFIG_FILE, CLOUD_NAME, SETUP_FILE, cloudConfig, type AzTarget } from "./target.js";

/** Settings that keep az quiet and local: no telemetry, survey, extension download or upgrade. */
export const AZ_CONFIG = [
  "core.collect_telemetry=false",
  "core.survey_message=false",
  "output.show_survey_link=no",
  "extension.use_dynamic_install=no",
  "auto-upgrade.enable=no",
];

/** The variable a --print script reads the secret of a `-u` principal from. */
export const SECRET_VARIABLE = "COVE_AZ_PASSWORD";

export interface SetupPlan {
  target: AzTarget;
  loginServerSuffix: string;
  /** The principal az logs in as: the bootstrap one unless `-u` named another. */
  clientId: string;
  /** The secret of a `-u` principal; undefined: the bootstrap secret of credentials.json. */
  password?: string;
  shim: boolean;
  shimDir: string;
}

/** What cove-az.json records (never a secret), and what setup prints. */
export interface SetupRecord {
  azureConfigDir: string;
  cloud: string;
  managementEndpoint: string;
  loginServerSuffix: string;
  tenantId: string;
  user: { name: string; type: "servicePrincipal" };
  shim: boolean;
  caBundle: string | null;
  setUpAt: string;
}

interface Step {
  what: string;
  args: string[];
}

const SECRET = "\u0000secret\u0000";
/**
 * The secret goes to az as ONE argument, `--password=<secret>`: Cove's secrets are random url-safe
 * text and may begin with '-', which az's parser takes for a flag after `-p` ("expected one argument").
 */
const PASSWORD = (secret: string) => `--password=${secret}`;

function steps(plan: SetupPlan, cloudFile: string, register: boolean): Step[] {
  const cloud = register ? "register" : "update";
  return [
    { what: "az config set", args: ["config", "set", ...AZ_CONFIG, "--only-show-errors"] },
    { what: `az cloud ${cloud}`, args: ["cloud", cloud, "--name", CLOUD_NAME, "--cloud-config", `@${cloudFile}`, "--only-show-errors"] },
    { what: "az cloud set", args: ["cloud", "set", "--name", CLOUD_NAME, "--only-show-errors"] },
    {
      what: `az login --service-principal -u ${plan.clientId}`,
      args: ["login", "--service-principal", "-u", plan.clientId, SECRET, "--tenant", plan.target.tenantId, "-o", "none", "--only-show-errors"],
    },
  ];
}

async function cloudRegistered(configDir: string): Promise<boolean> {
  try {
    const text = await readFile(join(configDir, "clouds.config"), "utf8");
    return text.split("\n").some((l) => l.trim() === `[${CLOUD_NAME}]`);
  } catch {
    return false;
  }
}

async function writePrivate(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

export async function runSetup(plan: SetupPlan, az: string, env: Record<string, string | undefined>): Promise<SetupRecord> {
  const { target } = plan;
  // az keeps the service principal's secret in this directory (service_principal_entries.json).
  await mkdir(target.configDir, { recursive: true, mode: 0o700 });
  await chmod(target.configDir, 0o700);
  const cloudFile = join(target.configDir, CLOUD_CONFIG_FILE);
  await writePrivate(cloudFile, JSON.stringify(cloudConfig(target.managementEndpoint, plan.loginServerSuffix), null, 2) + "\n");
  const childEnv = azEnv(target, env, { loginServerSuffix: plan.loginServerSuffix, shimDir: plan.shim ? plan.shimDir : undefined });
  const secret = plan.password ?? target.clientSecret;
  for (const step of steps(plan, cloudFile, !(await cloudRegistered(target.configDir)))) {
    const r = await runCaptured(az, step.args.map((a) => (a === SECRET ? PASSWORD(secret) : a)), childEnv);
    if (r.code !== 0) {
      const login = step.args[0] === "login";
      const said = r.stderr.trim().split("\n").filter((l) => !l.includes(secret)).join("\n");
      throw new CliError(`cove az setup: ${step.what} failed (exit ${r.code}):\n${said}`, login ? EXIT_AUTH : EXIT_ERROR);
    }
  }
  const record: SetupRecord = {
    azureConfigDir: target.configDir,
    cloud: CLOUD_NAME,
    managementEndpoint: target.managementEndpoint,
    loginServerSuffix: plan.loginServerSuffix,
    tenantId: target.tenantId,
    user: { name: plan.clientId, type: "servicePrincipal" },
    shim: plan.shim,
    caBundle: target.caCertPath ?? null,
    setUpAt: new Date().toISOString(),
  };
  await writePrivate(join(target.configDir, SETUP_FILE), JSON.stringify(record, null, 2) + "\n");
  return record;
}

/** The set-up this config dir holds, or undefined when `cove az setup` has not finished there. */
export async function readSetup(target: AzTarget): Promise<SetupRecord | undefined> {
  try {
    const r = JSON.parse(await readFile(join(target.configDir, SETUP_FILE), "utf8")) as SetupRecord;
    return r && r.managementEndpoint === target.managementEndpoint ? r : undefined;
  } catch {
    return undefined;
  }
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(s: string): string {
  return SAFE.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function line(args: string[], secret: string): string {
  return ["az", ...args.map((a) => (a === SECRET ? PASSWORD(secret) : shellQuote(a)))].join(" ");
}

/** The shell script for `--print`: the same steps, with the environment as export lines. */
export function setupScript(plan: SetupPlan): string {
  const { target } = plan;
  const cloudFile = `"$AZURE_CONFIG_DIR/${CLOUD_CONFIG_FILE}"`;
  const all = steps(plan, "CLOUD_FILE", true);
  const cloudArgs = (s: Step) => line(s.args, "").replace("@CLOUD_FILE", `@${cloudFile}`);
  const update = steps(plan, "CLOUD_FILE", false)[1];
  const secret = plan.password === undefined
    ? `"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["clientSecret"])' ${shellQuote(target.credentialsFile)})"`
    : `"$${SECRET_VARIABLE}"`;
  const shimLine = `export PYTHONPATH=${shellQuote(plan.shimDir)}\${PYTHONPATH:+:$PYTHONPATH}`;
  const out = [
    `# az against Cove at ${target.managementEndpoint} (cove az setup --print; docs/az.md). Paste into a shell.`,
    `export AZURE_CONFIG_DIR=${shellQuote(target.configDir)}`,
    ...(target.caCertPath ? [`export REQUESTS_CA_BUNDLE=${shellQuote(target.caCertPath)}`] : []),
    "export AZURE_CORE_COLLECT_TELEMETRY=false",
    "# Every host but Cove's fails at once, without a DNS lookup (az looks up azure.microsoft.com on a fresh config dir):",
    `export HTTPS_PROXY=${NOWHERE_PROXY} HTTP_PROXY=${NOWHERE_PROXY} https_proxy=${NOWHERE_PROXY} http_proxy=${NOWHERE_PROXY}`,
    `export NO_PROXY=${shellQuote(directHosts(target, plan.loginServerSuffix))} no_proxy=${shellQuote(directHosts(target, plan.loginServerSuffix))}`,
    "# The opt-in compatibility shim for Debian's az 2.45 (network commands, role assignments; docs/az.md):",
    plan.shim ? shimLine : `# ${shimLine}`,
    "# acr check-health: run it as  ACC_CLOUD=1 az acr check-health ...  (skips its docker/helm/notary checks).",
    'mkdir -p -m 0700 "$AZURE_CONFIG_DIR"',
    `cat > ${cloudFile} <<'EOF'`,
    JSON.stringify(cloudConfig(target.managementEndpoint, plan.loginServerSuffix), null, 2),
    "EOF",
    line(all[0].args, ""),
    `if az cloud show --name ${CLOUD_NAME} -o none 2>/dev/null; then ${cloudArgs(update)}; else ${cloudArgs(all[1])}; fi`,
    line(all[2].args, ""),
    ...(plan.password === undefined
      ? [`# The bootstrap service principal's secret is read from ${target.credentialsFile}, never printed.`]
      : [`# Set ${SECRET_VARIABLE} to the secret of ${plan.clientId} first (it is not printed).`]),
    line(all[3].args, secret),
  ];
  return out.join("\n") + "\n";
}
