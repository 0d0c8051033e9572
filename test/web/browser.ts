// The browser the page tests drive: Debian's Chromium through playwright-core (pinned 1.64.1, the
// version probed with Chromium 156), headless, as root in CI. Each page is watched: console errors,
// uncaught exceptions and Content-Security-Policy violations are collected, so a test can assert
// there were none. Axe runs inside the page with the page's CSP still on, and screenshots go to
// test-artifacts/web/ for CI to keep.
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";

const CHROMIUM = process.env.COVE_CHROMIUM ?? "/usr/bin/chromium";
export const ARTIFACTS = resolve("test-artifacts/web");
const AXE = resolve("node_modules/axe-core/axe.min.js");

export interface CspViolation {
  directive: string;
  blocked: string;
  sample: string;
  /** The script that caused it: empty for code evaluated through DevTools (axe), never for the page's modules. */
  file: string;
  line: number;
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions, in order. */
  errors: string[];
  csp: CspViolation[];
  /** Every text the live region (role="status") has shown, in order: what a screen reader announced. */
  announcements: string[];
  /** Waits until the live region has announced `text` (exactly, or matching). */
  announced(text: string | RegExp, ms?: number): Promise<string>;
  /** Fails unless there was no CSP violation and no console error (except those matching `allow`). */
  assertClean(allow?: RegExp[]): void;
  close(): Promise<void>;
}

export interface TestBrowser {
  browser: Browser;
  /** A page in a fresh context: its own memory, so its own sign-in. */
  open(): Promise<WatchedPage>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // As root there is no sandbox; the rest keeps Chromium from calling out of the machine
    // (updates, sync, field trials) and from QUIC, which Cove does not speak. Launch's own
    // temporary profile (a fresh --user-data-dir) is used and removed on close.
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const contexts: BrowserContext[] = [];
  return {
    browser,
    async open() {
      // ignoreHTTPSErrors: the browser is not what is tested for TLS here (test/tls tests the
      // certificates and their chain); Chromium would otherwise need Cove's test CA in an NSS
      // database of its profile.
      const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
      contexts.push(context);
      const page = await context.newPage();
      return watch(page, context);
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
    },
  };
}

async function watch(page: Page, context: BrowserContext): Promise<WatchedPage> {
  const errors: string[] = [];
  const csp: CspViolation[] = [];
  const announcements: string[] = [];
  page.on("console", (m) => {
    // A failed load's message names no resource; its location does.
    if (m.type() === "error") errors.push(`console: ${m.text()}${/^Failed to load resource/.test(m.text()) ? ` (${m.location().url})` : ""}`);
  });
  page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
  // The report comes back through a binding; the listener is added by an init script, which
  // Chromium runs outside the page's CSP, so watching does not weaken what is watched.
  await page.exposeBinding("__coveCspViolation", (_src, v: CspViolation) => { csp.push(v); });
  await page.exposeBinding("__coveAnnounced", (_src, text: string) => { announcements.push(text); });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      (window as any).__coveCspViolation({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, file: e.sourceFile, line: e.lineNumber });
    });
    // The live region's texts as they come: a later "Updated" must not hide an action's result.
    const last = new WeakMap<Element, string>();
    new MutationObserver(() => {
      for (const el of document.querySelectorAll("[role=status]")) {
        const text = (el.textContent ?? "").trim();
        if (text && text !== last.get(el)) (window as any).__coveAnnounced(text);
        last.set(el, text);
      }
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  return {
    page, context, errors, csp, announcements,
    announced: (text, ms = 5000) => until(`the live region announcing ${text}`, () => announcements.find((a) => (typeof text === "string" ? a === text : text.test(a))), ms),
    assertClean(allow = []) {
      const bad = errors.filter((e) => !allow.some((a) => a.test(e)));
      if (csp.length || bad.length) {
        throw new Error(`the page was not clean:\n${[...csp.map((v) => `CSP ${v.directive} blocked ${v.blocked} at ${v.file || "(evaluated)"}:${v.line} ${v.sample}`), ...bad].join("\n")}`);
      }
    },
    close: () => context.close(),
  };
}

interface AxeNode { target: string[]; html: string; failureSummary?: string }
interface AxeViolation { id: string; impact: string; help: string; helpUrl: string; nodes: AxeNode[] }

/**
 * Runs axe-core on the page as it is now and fails with every violation spelled out. The script is
 * evaluated through the DevTools protocol (playwright's evaluate), which CSP does not govern, so the
 * page's own script-src 'self' stays in force for everything the page does. Axe adds <style>
 * elements of its own while it checks (visibility, pointer-events); the page's style-src 'self'
 * refuses them, and those refusals, which come from no file of the page, are not the page's.
 */
export async function assertAccessible(w: WatchedPage, view: string): Promise<void> {
  const { page } = w;
  const mark = { csp: w.csp.length, errors: w.errors.length };
  const source = await readFile(AXE, "utf8");
  if (!(await page.evaluate(() => typeof (window as any).axe === "object"))) await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const r = await (window as any).axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v: any) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, nodes: v.nodes.map((n: any) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })) }));
  }) as AxeViolation[];
  await page.waitForTimeout(100);
  const axesOwn = (v: CspViolation) => v.file === "" && v.directive.startsWith("style-src") && v.blocked === "inline";
  const during = w.csp.splice(mark.csp);
  const kept = during.filter((v) => !axesOwn(v));
  w.csp.push(...kept);
  // The console's words for the refusals dropped above.
  const errs = w.errors.splice(mark.errors);
  w.errors.push(...errs.filter((e) => kept.length === during.length || !/inline style/.test(e)));
  if (violations.length === 0) return;
  const text = violations.map((v) => [
    `${v.id} (${v.impact}): ${v.help} ${v.helpUrl}`,
    ...v.nodes.slice(0, 5).map((n) => `  ${n.target.join(" ")}: ${n.html.slice(0, 160)}\n    ${(n.failureSummary ?? "").replace(/\n/g, "\n    ")}`),
    ...(v.nodes.length > 5 ? [`  ... and ${v.nodes.length - 5} more`] : []),
  ].join("\n")).join("\n");
  throw new Error(`axe found ${violations.length} violation(s) on the ${view} view:\n${text}`);
}

/** A screenshot kept as a test artifact, test-artifacts/web/<name>.png: the whole page, or one element of it. */
export async function screenshot(target: Page | Locator, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  if ("goto" in target) await target.screenshot({ path, fullPage: true });
  else await target.screenshot({ path });
  return path;
}

/** The page from its top down to the bottom of `last`: the picture of a view without its long tail. */
export async function screenshotDownTo(page: Page, last: Locator, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.evaluate(() => window.scrollTo(0, 0));
  const box = await last.boundingBox();
  if (!box) throw new Error(`${name}: nothing to picture`);
  const width = await page.evaluate(() => document.documentElement.clientWidth);
  await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width, height: Math.ceil(box.y + box.height + 16) } });
  return path;
}

/**
 * A table's body as rows of column name -> cell text, read in the page: the header row's cells name
 * the columns (the table's first row of <th>), each later row's th/td cells fill them.
 */
export async function tableRows(table: Locator): Promise<Record<string, string>[]> {
  return table.evaluate((t: HTMLTableElement) => {
    const rows = [...t.rows];
    const head = rows.findIndex((r) => r.cells.length > 0 && [...r.cells].every((c) => c.tagName === "TH"));
    const names = [...rows[head]!.cells].map((c) => (c.textContent ?? "").trim());
    return rows.slice(head + 1).filter((r) => r.parentElement?.tagName !== "TFOOT").map((r) => {
      const out: Record<string, string> = {};
      [...r.cells].forEach((c, i) => { out[names[i] ?? String(i)] = (c.textContent ?? "").replace(/\s+/g, " ").trim(); });
      return out;
    });
  });
}

/** The visible text a disabled control's aria-describedby points at. */
export async function describedBy(p: Page, buttonName: string): Promise<string> {
  const ids = await p.getByRole("button", { name: buttonName }).getAttribute("aria-describedby");
  if (!ids) throw new Error(`${buttonName} has no aria-describedby`);
  const texts = [];
  for (const id of ids.split(/\s+/)) {
    const el = p.locator(`[id="${id}"]`);
    if (!(await el.isVisible())) throw new Error(`the description #${id} of ${buttonName} is not visible`);
    texts.push(await el.innerText());
  }
  return texts.join(" ");
}

/** Polls `probe` until it returns a truthy value or `ms` pass; the last value (or error) explains a timeout. */
export async function until<T>(what: string, probe: () => Promise<T> | T, ms = 5000, every = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, every));
  }
}
