// The CLI side of `--what-if` (network-policy/reachability/what-if.ts): the destructive network
// commands read the inventory once (collect.ts, about 0.4 s on loopback, fine for a delete), compute
// what the change does to every registry's reachability matrix, and then either print that and
// change nothing (`--what-if`), or make the change and warn once per network it cut off. The
// warnings come after the change succeeded, so a change the service refuses warns about nothing.
import type { CommandContext, OptionSpec } from "../command.js";
import type { TableTransform } from "../output.js";
import type { Session } from "../session.js";
import type { ArmInventory } from "../../network-policy/reachability/inventory.js";
import { cutWarnings, whatIf, type NetworkChange, type WhatIfResult } from "../../network-policy/reachability/what-if.js";
import { collectInventory } from "./collect.js";

export const WHAT_IF: OptionSpec = {
  flags: "--what-if",
  description: "Change nothing: print how the change would alter the reachability matrix of every registry (the networks it cuts off).",
};

/** Builds the change once the inventory is read (a connection's id needs its registry's). */
export type ChangeOf = (s: Session, inventory: ArmInventory) => NetworkChange;

/**
 * Runs a destructive command under `--what-if`: with the flag, returns the what-if result and
 * calls nothing that writes; without it, runs `act` and warns about each network it cut off.
 */
export async function withWhatIf<T>(opts: Record<string, any>, ctx: CommandContext, changeOf: ChangeOf, act: (s: Session) => Promise<T>): Promise<T | WhatIfResult> {
  const s = await ctx.session();
  if (opts.whatIf) {
    const inventory = await collectInventory(s);
    const result = whatIf(inventory, changeOf(s, inventory));
    for (const note of result.notes) ctx.warn(note);
    return result;
  }
  let result: WhatIfResult | undefined;
  try {
    const inventory = await collectInventory(s);
    result = whatIf(inventory, changeOf(s, inventory));
  } catch (e) {
    // The change is the user's intent; a network the caller may not read in full does not stop it.
    ctx.warn(`could not work out which networks this change cuts off: ${(e as Error).message}`);
  }
  const out = await act(s);
  for (const line of result ? cutWarnings(result) : []) ctx.warn(line);
  return out;
}

export function isWhatIf(v: unknown): v is WhatIfResult {
  return !!v && typeof v === "object" && "cutOff" in v && "registries" in v && "change" in v;
}

/** The table view: one row per changed row of a registry's matrix. */
export function whatIfRows(r: WhatIfResult): Record<string, unknown>[] {
  const rows = r.registries.flatMap((reg) => reg.changes.map((c) => ({
    Registry: reg.name,
    VNet: c.vnet,
    Subnet: c.subnet,
    Before: c.before,
    After: c.after,
    Now: c.afterReason,
    Path: c.beforePath === c.afterPath ? c.afterPath : `${c.beforePath} -> ${c.afterPath}`,
  })));
  return rows.length > 0 ? rows : [{ Change: r.change, Result: "no row of any registry's reachability matrix changes" }];
}

/**
 * A command's table view that also shows a what-if result. output.ts formats an array that a
 * table view returns as rows, which is what a what-if result needs (one row per change).
 */
export function whatIfTable(table?: TableTransform): TableTransform {
  return (item: any) => (isWhatIf(item) ? (whatIfRows(item) as unknown as Record<string, unknown>) : table ? table(item) : item);
}

const sub = (s: Session) => `/subscriptions/${s.profile.subscriptionId}`;

/**
 * The id of a registry's connection, the registry found in the inventory by name (and group when
 * given); a registry that is not there gives an id nothing matches, so the result says "does not exist".
 */
export function connectionIdIn(s: Session, inv: ArmInventory, registry: string, group: string | undefined, connection: string): string {
  const reg = inv.registries.find((r) => String(r.name).toLowerCase() === registry.toLowerCase()
    && (!group || String(r.id).toLowerCase().includes(`/resourcegroups/${group.toLowerCase()}/`)));
  const regId = reg ? String(reg.id) : `${sub(s)}/resourceGroups/${group ?? "-"}/providers/Microsoft.ContainerRegistry/registries/${registry}`;
  return `${regId}/privateEndpointConnections/${connection}`;
}
