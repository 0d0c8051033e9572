// A write buffer over the metadata store: a handler runs against it as against the store (its own
// writes are visible to its own reads), but nothing reaches the store until `commit`. This is how a
// Deny leaves no partial write, and how a Modify re-runs the request with its rewritten body
// without a trace of the first attempt. After commit (or once discarded) it passes straight through,
// so anything a handler schedules for later is never lost.
import type { MetadataStore, ResourceRecord } from "../../storage/types.js";

type Write =
  | { kind: "put"; rec: ResourceRecord }
  | { kind: "delete"; id: string; recursive: boolean }
  /** A registry's content, dropped with the registry: only once the write is committed. */
  | { kind: "content"; registry: string };

export interface Overlay {
  store: MetadataStore;
  /** The buffered writes, in order. */
  writes(): readonly Write[];
  /** Resources the buffered writes put (the last body of each), in write order. */
  puts(): ResourceRecord[];
  /** Ids the buffered writes deleted (recursively deleted ids name their prefix). */
  deletes(): string[];
  commit(): Promise<void>;
}

const key = (id: string) => id.toLowerCase();

export function overlay(real: MetadataStore): Overlay {
  const log: Write[] = [];
  const current = new Map<string, ResourceRecord | null>();
  const prefixes: string[] = [];
  let direct = false;

  const gone = (id: string) => prefixes.some((p) => key(id).startsWith(p + "/"));
  const shadow = (id: string): ResourceRecord | null | undefined => {
    const k = key(id);
    if (current.has(k)) return current.get(k)!;
    return gone(id) ? null : undefined;
  };

  const store: MetadataStore = new Proxy(real, {
    get(target, prop, receiver) {
      if (direct) {
        const v = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      }
      switch (prop) {
        case "getResource":
          return async (id: string) => {
            const s = shadow(id);
            return s === undefined ? target.getResource(id) : s ?? undefined;
          };
        case "putResource":
          return async (rec: ResourceRecord) => {
            log.push({ kind: "put", rec });
            current.set(key(rec.id), rec);
          };
        case "deleteResource":
          return async (id: string, recursive = false) => {
            const existed = (shadow(id) ?? (shadow(id) === null ? undefined : await target.getResource(id))) !== undefined;
            log.push({ kind: "delete", id, recursive });
            current.set(key(id), null);
            if (recursive) {
              prefixes.push(key(id));
              for (const k of [...current.keys()]) if (k.startsWith(key(id) + "/")) current.set(k, null);
            }
            return existed;
          };
        case "deleteRegistryContent":
          return async (registry: string) => {
            log.push({ kind: "content", registry });
          };
        case "listResources":
          return async (filter: { type?: string; underId?: string }) => {
            const base = await target.listResources(filter);
            const byId = new Map(base.map((r) => [key(r.id), r] as const));
            for (const k of [...byId.keys()]) if (gone(k)) byId.delete(k);
            for (const [k, r] of current) {
              if (r === null) { byId.delete(k); continue; }
              const typeOk = filter.type === undefined || r.type.toLowerCase() === filter.type.toLowerCase();
              const underOk = filter.underId === undefined || k.startsWith(filter.underId.toLowerCase());
              if (typeOk && underOk) byId.set(k, r);
              else byId.delete(k);
            }
            return [...byId.values()].sort((a, b) => (key(a.id) < key(b.id) ? -1 : key(a.id) > key(b.id) ? 1 : 0));
          };
        default: {
          const v = Reflect.get(target, prop, receiver);
          return typeof v === "function" ? v.bind(target) : v;
        }
      }
    },
  });

  return {
    store,
    writes: () => log,
    puts() {
      const last = new Map<string, ResourceRecord>();
      for (const w of log) {
        if (w.kind === "put") last.set(key(w.rec.id), w.rec);
        else if (w.kind === "delete") last.delete(key(w.id));
      }
      return [...last.values()].filter((r) => current.get(key(r.id)) !== null);
    },
    deletes: () => log.filter((w): w is Write & { kind: "delete" } => w.kind === "delete").map((w) => w.id),
    async commit() {
      direct = true;
      for (const w of log) {
        if (w.kind === "put") await real.putResource(w.rec);
        else if (w.kind === "delete") await real.deleteResource(w.id, w.recursive);
        else await real.deleteRegistryContent(w.registry);
      }
    },
  };
}
