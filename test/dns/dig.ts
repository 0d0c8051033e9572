// Runs the real `dig` (bind9-dnsutils) from a chosen source address and reads its output the way a
// user does: the status, the flags and the answer/authority sections.

import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface DigResult {
  status: string;
  flags: string[];
  question: string;
  answer: string[][];
  authority: string[][];
  /** The OPT pseudo-section line ("; EDNS: version: 0, flags:; udp: 1232"), if any. */
  edns?: string;
  raw: string;
}

export async function dig(port: number, source: string, name: string, type = "A", ...extra: string[]): Promise<DigResult> {
  const args = ["-b", source, "@127.0.0.1", "-p", String(port), name, type, "+tries=1", "+time=3", ...extra];
  const { stdout } = await run("dig", args, { timeout: 15_000 });
  return parseDig(stdout);
}

export function parseDig(raw: string): DigResult {
  const status = /status: ([A-Z0-9]+)/.exec(raw)?.[1] ?? "";
  const flags = (/;; flags:([^;]*);/.exec(raw)?.[1] ?? "").trim().split(/\s+/).filter(Boolean);
  const section = (title: string): string[][] => {
    const i = raw.indexOf(`;; ${title} SECTION:\n`);
    if (i < 0) return [];
    const rest = raw.slice(i).split("\n").slice(1);
    const rows: string[][] = [];
    for (const line of rest) {
      if (line.trim() === "" || line.startsWith(";;")) break;
      rows.push(line.trim().split(/\s+/));
    }
    return rows;
  };
  const q = raw.indexOf(";; QUESTION SECTION:\n");
  const question = q < 0 ? "" : (raw.slice(q).split("\n")[1] ?? "").replace(/^;/, "").trim();
  const edns = /; EDNS: [^\n]*/.exec(raw)?.[0];
  return { status, flags, question, answer: section("ANSWER"), authority: section("AUTHORITY"), edns, raw };
}
