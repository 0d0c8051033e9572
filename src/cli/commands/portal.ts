// `cove portal`: opens the networking page signed in as the CLI's principal, without typing a secret
// into a browser. The server makes a one-time code (60 s, works once) for the caller; the URL carries
// it in its fragment, which a browser never sends to a server, so it lands in no access log. The URL
// is printed either way; a browser is started only where there is a display to show it (DISPLAY or
// WAYLAND_DISPLAY, or BROWSER naming one), and never with --no-browser.
import { spawn } from "node:child_process";
import type { CommandSpec, GroupSpec } from "../command.js";

export const groups: GroupSpec[] = [];

interface Code { url: string; expiresOn: string; expiresInSeconds: number }

/** Starts the user's browser on `url`, detached; false when there is none to start. */
function openBrowser(url: string, env: Record<string, string | undefined>): boolean {
  const browser = env.BROWSER || ((env.DISPLAY || env.WAYLAND_DISPLAY) ? "xdg-open" : undefined);
  if (!browser) return false;
  try {
    const child = spawn(browser, [url], { detached: true, stdio: "ignore" });
    child.on("error", () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}

export const commands: CommandSpec[] = [
  {
    name: "portal",
    summary: "Open the networking page signed in as the logged-in principal: prints a URL with a one-time code (valid 60 s, once) and opens it in a browser when there is a display.",
    options: [{ flags: "--no-browser", description: "Only print the URL." }],
    table: (v: any) => ({ Url: v.url, Expires: v.expiresOn, Browser: v.browser }),
    async run(opts, ctx) {
      const session = await ctx.session();
      const code = await session.request<Code>("POST", "/cove/portal/codes");
      const opened = opts.browser !== false && openBrowser(code.url, ctx.env);
      if (!opened) ctx.warn(`Open this URL in a browser within ${code.expiresInSeconds} seconds; it signs in once.`);
      return { url: code.url, expiresOn: code.expiresOn, browser: opened ? "opened" : "not opened" };
    },
  },
];
