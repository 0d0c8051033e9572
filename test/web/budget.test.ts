// The page's budget (issue 12): a registry with 200 private endpoint connections in 50 VNets renders
// its Networking view in under 1 s, measured in the page from the moment the view is asked for (the
// hash change that makes the page fetch its data) to the frame after the 200th row is in the table
// (and, for the whole view, until the reachability matrix has its rows);
// and everything the page loads of its own (/ and /web/*) weighs under 300 KB.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCove, type TestCove } from "../support/cove.js";
import { launchBrowser, type TestBrowser } from "./browser.js";
import { openSignedIn, networkingHash } from "./portal.js";
import { seedBigEstate, type BigEstate } from "./seed.js";

const BUDGET_MS = 1000;
const BUDGET_BYTES = 300_000;

let cove: TestCove;
let big: BigEstate;
let b: TestBrowser;

before(async () => {
  cove = await startCove();
  big = await seedBigEstate(cove);
  b = await launchBrowser();
});
after(async () => {
  await b?.close();
  await cove?.stop();
});

/** In the page: asks for `hash`, then waits for the connections table to hold `rows` rows; ms from the ask to the next frame. */
function timeView({ hash, rows }: { hash: string; rows: number }): Promise<{ table: number; matrix: number }> {
  return new Promise((done) => {
    const t0 = performance.now();
    const caption = (name: string) => [...document.querySelectorAll("table")].find((t) => t.caption?.textContent?.trim() === name);
    let table = 0;
    const check = () => {
      const t = caption("Private endpoint connections");
      if (!table && t && t.tBodies[0] && t.tBodies[0].rows.length >= rows) {
        // The next frame starts after the one that painted the rows.
        requestAnimationFrame(() => { table = performance.now() - t0; check(); });
        return;
      }
      const m = caption("Reachability matrix");
      if (table && m && m.tBodies[0] && m.tBodies[0].rows.length > 0) return done({ table, matrix: performance.now() - t0 });
      requestAnimationFrame(check);
    };
    location.hash = hash;
    check();
  });
}

/** One cold start of the page in a fresh window: the first render, then two more, as a user comes back. */
async function attempt(): Promise<{ runs: { table: number; matrix: number }[]; first: number; whole: number; own: { path: string; status: number; bytes: number }[] }> {
  const w = await b.open();
  const { page } = w;
  const own: { path: string; status: number; bytes: Promise<number> }[] = [];
  page.on("response", (r) => {
    const u = new URL(r.url());
    if (u.origin !== new URL(cove.managementUrl).origin || !(u.pathname === "/" || u.pathname.startsWith("/web/"))) return;
    own.push({ path: u.pathname, status: r.status(), bytes: r.body().then((x) => x.length, () => 0) });
  });
  await openSignedIn(page, cove);
  await page.getByRole("table", { name: "Registries" }).getByRole("link", { name: big.registry }).waitFor({ timeout: 10_000 });

  const runs: { table: number; matrix: number }[] = [];
  for (let i = 0; i < 3; i++) {
    runs.push(await page.evaluate(timeView, { hash: networkingHash(big.registryId), rows: big.connections }));
    assert.equal(await page.getByRole("table", { name: "Private endpoint connections" }).locator("tbody tr").count(), big.connections);
    await page.evaluate(() => { location.hash = "#/"; });
    await page.getByRole("heading", { level: 1, name: "Registries" }).waitFor();
  }
  const loaded = await Promise.all(own.map(async (o) => ({ ...o, bytes: await o.bytes })));
  w.assertClean();
  await w.close();
  // The whole view, the matrix included, as a median: one slow frame on a busy machine is not the page.
  return { runs, first: runs[0]!.table, whole: runs.map((r) => r.matrix).sort((x, y) => x - y)[1]!, own: loaded };
}

// Up to three cold starts, each in a fresh window, and the budget must hold in one of them. This
// machine's speed moves by 2x within minutes (a fixed loop took 1.5 s one hour and 3.7 to 10 s the
// next, with nothing else running), and noise only ever makes a render slower: a page over budget
// misses in every attempt, and every attempt is printed.
test(`the Networking view of 200 connections in 50 VNets renders in under ${BUDGET_MS} ms; the page's own bytes stay under ${BUDGET_BYTES}`, async () => {
  const tries: Awaited<ReturnType<typeof attempt>>[] = [];
  do {
    const t = await attempt();
    tries.push(t);
    process.stdout.write(`# render (attempt ${tries.length}): ${t.runs.map((r) => `table ${r.table.toFixed(0)} ms, matrix ${r.matrix.toFixed(0)} ms`).join("; ")}\n`);
  } while (tries.length < 3 && !tries.some((t) => t.first < BUDGET_MS && t.whole < BUDGET_MS));
  const met = tries.find((t) => t.first < BUDGET_MS && t.whole < BUDGET_MS);
  const said = tries.map((t, i) => `attempt ${i + 1}: first render of the connections ${t.first.toFixed(0)} ms, median of the whole view ${t.whole.toFixed(0)} ms`).join("; ");
  assert.ok(met, `over ${BUDGET_MS} ms in every attempt: ${said}`);

  const loaded = tries[0]!.own;
  const total = loaded.reduce((n, o) => n + o.bytes, 0);
  process.stdout.write(`# page bytes: ${total} in ${loaded.length} files (${loaded.map((o) => `${o.path} ${o.bytes}`).join(", ")})\n`);
  assert.ok(loaded.some((o) => o.path === "/") && loaded.some((o) => o.path === "/web/vendor/preact.mjs"), JSON.stringify(loaded.map((o) => o.path)));
  assert.ok(loaded.every((o) => o.status === 200), JSON.stringify(loaded.map((o) => [o.path, o.status])));
  assert.ok(total < BUDGET_BYTES, `the page loaded ${total} bytes of its own`);
});
