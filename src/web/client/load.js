// Loading what a view shows. The last good answer stays on screen while a live refresh re-reads it,
// so rows keep their DOM nodes (and focus) instead of flashing to "Loading...". `reload()` lets an
// action wait until the page shows its result before it moves focus or announces.
import { useEffect, useRef, useState } from "./html.js";

/**
 * @template T
 * @param {() => Promise<T>} fn
 * @param {unknown[]} deps re-run when any changes (the live tick among them)
 * @param {boolean} [enabled] false holds the read back (a section waits for the one the user came for)
 * @returns {{data: T | undefined, error: Error | undefined, loading: boolean, reload: () => Promise<void>}}
 */
export function useLoad(fn, deps, enabled = true) {
  const [state, setState] = useState({ data: undefined, error: undefined, loading: true });
  const [nonce, setNonce] = useState(0);
  const waiting = useRef([]);
  useEffect(() => {
    if (!enabled) return undefined;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    const done = () => {
      // After Preact has rendered the new state (its renders are queued as microtasks).
      const resolvers = waiting.current.splice(0);
      setTimeout(() => resolvers.forEach((r) => r()), 0);
    };
    fn().then(
      (data) => { if (live) { setState({ data, error: undefined, loading: false }); done(); } },
      (error) => { if (live) { setState((s) => ({ data: s.data, error, loading: false })); done(); } },
    );
    return () => { live = false; };
  }, [...deps, nonce, enabled]);
  const reload = () => new Promise((resolve) => { waiting.current.push(resolve); setNonce((n) => n + 1); });
  return { ...state, reload };
}

/** A promise's answer or the error it failed with, never a throw: one missing API must not blank the others. */
export const settle = (p) => p.then((value) => ({ value }), (error) => ({ error }));
