// `cove lab up | exec | status | down` (docs/lab.md). The server owns the lab's hosts (it follows
// every change of the model); these commands ask it through the management endpoint. `exec` runs
// here, in the host's namespace, and `down` also sweeps the kernel itself, so a lab whose server or
// start-up was interrupted still goes away completely.
import { readFile, stat } from "node:fs/promises";
import type { CommandSpec, GroupSpec } from "../command.js";
import { CliError, usageError } from "../errors.js";
import { EXIT_ERROR } from "../exit-codes.js";
import { LAB_PATH, checkLabHost, execOnLabHost, needLabRoot } from "../lab-exec.js";
import { parseHostsFile, MAX_HOSTS_FILE_BYTES } from "../../lab/hosts-file.js";
import { removeLab } from "../../lab/core.js";
import { hostNamespace } from "../../lab/names.js";

export const groups: GroupSpec[] = [{ name: "lab", summary: "Real client hosts in network namespaces, one per modelled subnet (root; docs/lab.md)." }];

const needRoot = (verb: string) => needLabRoot(`cove lab ${verb}`);

interface LabStatus {
  mode: string;
  hosts: Array<{ name: string; address: string; prefix?: string; subnetId?: string; internet?: boolean; routes: string[] }>;
  listeners: Array<{ ipAddress: string; fqdn: string; state: string; connection: string; error?: string }>;
}

export const commands: CommandSpec[] = [
  {
    name: "lab up",
    summary: "Create one network namespace per declared client host (plus 'internet'), with addresses, routes and resolv.conf from Cove's model.",
    options: [{ flags: "--hosts <file>", description: "YAML or JSON list of {name, subnet: VNET/SUBNET | subnet id | internet, address?}." }],
    async run(opts, ctx) {
      needRoot("up");
      let hosts: ReturnType<typeof parseHostsFile> = [];
      if (opts.hosts) {
        const file = String(opts.hosts);
        let size: number;
        try { size = (await stat(file)).size; } catch (e) { throw usageError(`cannot read the hosts file ${file} (${(e as NodeJS.ErrnoException).code ?? "error"}).`); }
        if (size > MAX_HOSTS_FILE_BYTES) throw usageError(`the hosts file ${file} is larger than ${MAX_HOSTS_FILE_BYTES} bytes.`);
        try { hosts = parseHostsFile(await readFile(file, "utf8")); } catch (e) { throw new CliError(`${file}: ${(e as Error).message}`, EXIT_ERROR, (e as { code?: string }).code); }
      }
      const s = await ctx.session();
      return await s.request<LabStatus>("PUT", `${LAB_PATH}/hosts`, { hosts });
    },
  },
  {
    name: "lab status",
    summary: "The lab's hosts with their addresses and routes, and which private endpoint listeners are up (also in loopback mode).",
    options: [],
    async run(_opts, ctx) {
      const s = await ctx.session();
      return await s.request<LabStatus>("GET", LAB_PATH);
    },
  },
  {
    name: "lab exec",
    summary: "Run a command on a lab host, unmodified: cove lab exec HOST -- CMD [ARGS...]. Exits with the command's code.",
    args: [
      { name: "<host>", description: "The host's name (cove lab status lists them)." },
      { name: "[command...]", description: "The command and its arguments, after --." },
    ],
    options: [],
    printsResult: false,
    render: () => "",
    exitCode: (v: { code: number }) => v.code as 0,
    async run(_opts, ctx, args) {
      needRoot("exec");
      const [name, ...command] = args;
      if (command.length === 0) throw usageError("give the command after --: cove lab exec HOST -- CMD [ARGS...].");
      const host = await checkLabHost(name);
      return { code: await execOnLabHost(host, command, { env: ctx.env, stderr: ctx.io.stderr }) };
    },
  },
  {
    name: "lab down",
    summary: "Remove every lab host: namespaces, links, addresses, routes and resolv.conf files; a lab left by an interrupted start too.",
    options: [],
    async run(_opts, ctx) {
      needRoot("down");
      // A server that answers keeps its core (it removes it when it stops); without one, everything goes.
      let serverAnswered = false;
      let hosts: string[] = [];
      try {
        const s = await ctx.session();
        const r = await s.request<{ removed: string[] }>("DELETE", `${LAB_PATH}/hosts`);
        hosts = r.removed;
        serverAnswered = true;
      } catch (e) {
        const status = (e as { statusCode?: number }).statusCode;
        if (status === 409) serverAnswered = false;
        else if (status !== undefined) throw e;
        ctx.debug(`lab down: the server did not remove the hosts (${(e as Error).message}); sweeping the kernel`);
      }
      const swept = await removeLab({ keepCore: serverAnswered });
      return { removed: [...new Set([...hosts.map(hostNamespace), ...swept.namespaces])].sort(), links: swept.links, files: swept.files };
    },
  },
];
