// One place that binds htm to Preact, so every view imports `html` from here and the vendor paths
// (served by the management listener from node_modules, no build step) are written once.
import { h, render, Fragment } from "/web/vendor/preact.mjs";
import htm from "/web/vendor/htm.mjs";

export { h, render, Fragment };
export { useState, useEffect, useRef, useMemo, useCallback, useLayoutEffect } from "/web/vendor/hooks.mjs";

/** Tagged templates instead of JSX: the browser runs the files as they are. */
export const html = htm.bind(h);
