// Live updates (issue 12: a CLI or API change shows within 2 s without a reload): poll
// /cove/portal/version every second and bump `tick` when the store's version or the audit log's last
// sequence changed. Views re-read on a new tick; polling is one small request, and needs no
// long-lived connection through proxies (server-sent events would).
import { useEffect, useRef, useState } from "./html.js";
import { get } from "./api.js";
import { announceRefresh } from "./status.js";

const EVERY_MS = 1000;

/** @param {(err: Error) => void} onUnauthorized called when the token stopped working (it expired) */
export function useLive(onUnauthorized) {
  const [live, setLive] = useState({ tick: 0, version: null, auditSeq: null });
  const last = useRef(null);
  useEffect(() => {
    let stopped = false;
    let timer;
    const poll = async () => {
      try {
        const v = await get("/cove/portal/version");
        const seen = `${v.version}/${v.auditSeq}`;
        if (last.current !== null && last.current !== seen) {
          setLive((s) => ({ tick: s.tick + 1, version: v.version, auditSeq: v.auditSeq }));
          announceRefresh();
        } else if (last.current === null) {
          setLive((s) => ({ ...s, version: v.version, auditSeq: v.auditSeq }));
        }
        last.current = seen;
      } catch (err) {
        if (err.status === 401) { onUnauthorized(err); return; }
        // Anything else (the server restarting): try again next second.
      }
      if (!stopped) timer = setTimeout(poll, EVERY_MS);
    };
    poll();
    return () => { stopped = true; clearTimeout(timer); };
  }, []);
  return live;
}
