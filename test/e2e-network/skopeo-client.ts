// skopeo (containers/image, Go) as the real client of the e2e-network tests: a private /etc/hosts maps
// the registry's names to the address under test (runWithHosts), Cove's CA sits in a cert dir, and a
// small OCI layout made by scripts/make-oci-image.mjs is the image pushed and pulled.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, mkdir, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestCove } from "../support/cove.js";
import { runWithHosts, type RunResult } from "../support/hosts.js";

const exec = promisify(execFile);

export interface Skopeo {
  /** The OCI layout (tag v1) to push. */
  layout: string;
  /** Its manifest digest. */
  digest: string;
  certDir: string;
  work: string;
  run(hosts: Record<string, string>, args: string[]): Promise<RunResult>;
  /** `skopeo inspect --raw` of `ref` with `creds`. */
  inspect(hosts: Record<string, string>, creds: string, ref: string): Promise<RunResult>;
  push(hosts: Record<string, string>, creds: string, ref: string): Promise<RunResult>;
  dispose(): Promise<void>;
}

export async function skopeoFor(cove: TestCove): Promise<Skopeo> {
  const work = await mkdtemp(join(tmpdir(), "cove-e2e-network-"));
  const certDir = join(work, "certs");
  await mkdir(certDir);
  await writeFile(join(certDir, "ca.crt"), cove.ca);
  const layout = join(work, "image");
  const { stdout } = await exec(process.execPath, ["scripts/make-oci-image.mjs", layout, "v1", "16", "4"]);
  // Short deadline: in reset mode every refusal is immediate, and a hung client must not hang the suite.
  const run = (hosts: Record<string, string>, args: string[]) => runWithHosts(hosts, "skopeo", args, { timeoutMs: 30_000 });
  return {
    layout, digest: stdout.trim(), certDir, work, run,
    inspect: (hosts, creds, ref) => run(hosts, ["inspect", "--raw", "--retry-times", "0", "--cert-dir", certDir, "--creds", creds, ref]),
    push: (hosts, creds, ref) => run(hosts, ["copy", "--retry-times", "0", "--dest-cert-dir", certDir, "--dest-creds", creds, `oci:${layout}:v1`, ref]),
    dispose: () => rm(work, { recursive: true, force: true }),
  };
}
