// A hash router: the page is one document, the view is in location.hash so that links, the back
// button and a bookmark all work without server routes. Two views: `#/` (registries) and
// `#/registry/<encodeURIComponent(resource id)>` (its Networking view).
import { useEffect, useState } from "./html.js";

/** @returns {{view: "registries"} | {view: "registry", id: string}} */
export function parseHash(hash) {
  const m = /^#\/registry\/(.+)$/.exec(hash);
  if (m) {
    try {
      return { view: "registry", id: decodeURIComponent(m[1]) };
    } catch { /* a broken escape: fall back to the list */ }
  }
  return { view: "registries" };
}

export const registryHref = (id) => `#/registry/${encodeURIComponent(id)}`;

export function useRoute() {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseHash(location.hash));
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  return route;
}
