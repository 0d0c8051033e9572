// The README's "networking page" block, run as written: with bash, in a directory laid out like a
// checkout whose .cove is a running Cove's data dir, as a user with a fresh HOME and no display. It must
// log in, print the page's URL with a one-time code, and that URL must sign a real Chromium in as the
// bootstrap principal, once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, spawnCove, type SpawnedCove } from "../support/cove.js";
import { launchBrowser, screenshot, type TestBrowser } from "./browser.js";

async function portalBlock(): Promise<string> {
  const readme = await readFile("README.md", "utf8");
  const m = /<!-- portal:begin -->\s*```bash\n([\s\S]*?)```\s*<!-- portal:end -->/.exec(readme);
  assert.ok(m, "README.md has the networking page's block");
  return m[1]!;
}

let base: string;
let checkout: string;
let home: string;
let cove: SpawnedCove | undefined;
let browser: TestBrowser | undefined;

before(async () => {
  base = await mkdtemp(join(tmpdir(), "cove-readme-portal-"));
  checkout = join(base, "checkout");
  home = join(base, "home");
  await mkdir(checkout);
  await mkdir(home);
  await symlink(resolve("bin"), join(checkout, "bin"));
  await symlink(resolve("scripts"), join(checkout, "scripts"));
  cove = await spawnCove(join(checkout, ".cove"), await freePort(), await freePort());
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (cove) { cove.child.kill("SIGTERM"); await cove.waitExit(); }
  if (base) await rm(base, { recursive: true, force: true });
});

test("the README's networking page block prints a URL that signs Chromium in as the bootstrap principal, once", async () => {
  const block = await portalBlock();
  const r = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", block], {
    cwd: checkout,
    // No DISPLAY, WAYLAND_DISPLAY or BROWSER: `cove portal` prints the URL and starts no browser.
    env: { PATH: process.env.PATH, HOME: home, TMPDIR: base, NODE_EXTRA_CA_CERTS: "", LANG: "C.UTF-8" },
    timeout: 60_000,
  });
  const printed = JSON.parse(r.stdout.slice(r.stdout.lastIndexOf("{\n")));
  assert.equal(printed.browser, "not opened");
  assert.match(r.stderr, /Open this URL in a browser within 60 seconds/);
  const url = new URL(printed.url);
  assert.equal(url.origin, cove!.credentials.managementEndpoint, "the URL is the management endpoint's");
  assert.match(url.hash, /^#code=[A-Za-z0-9_-]{43}$/, "the code is in the fragment, never in the path or query");

  const first = await browser!.open();
  await first.page.goto(printed.url);
  await first.page.getByRole("banner").getByText("Signed in as cove-bootstrap").waitFor({ timeout: 10_000 });
  assert.equal(new URL(first.page.url()).hash.includes("code="), false, "the page removes the code from the address bar");
  await screenshot(first.page, "readme-portal-signed-in");
  first.assertClean();

  const second = await browser!.open();
  await second.page.goto(printed.url);
  await second.page.getByRole("alert").getByText(/expired|already used/).waitFor({ timeout: 10_000 });
  assert.equal(await second.page.getByRole("banner").getByText(/Signed in as/).count(), 0, "a used code signs nobody in");
});
