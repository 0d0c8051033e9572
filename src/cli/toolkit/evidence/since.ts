// `--since` for evidence exports: a duration back from now or an ISO 8601 time, checked while the
// command line is parsed (commander's InvalidArgumentError: exit 2, nothing sent). Kept apart
// from export.ts so the command table does not load the toolkit to parse a flag.
import { InvalidArgumentError } from "commander";

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

/** `30m`, `24h`, `7d`, `2w`, or e.g. `2026-12-01T00:00:00Z`: the window's start as an ISO time. */
export function parseSince(v: string, now = new Date()): string {
  const m = /^(\d{1,6})([smhdw])$/.exec(v.trim());
  if (m) return new Date(now.getTime() - Number(m[1]) * UNITS[m[2]!]!).toISOString();
  const t = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(v.trim()) ? Date.parse(v) : NaN;
  if (Number.isNaN(t)) throw new InvalidArgumentError("Expected a duration such as 30m, 24h, 7d or 2w, or an ISO 8601 time such as 2026-12-01T00:00:00Z.");
  return new Date(t).toISOString();
}
