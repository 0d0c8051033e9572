// The one live region (role="status"): views announce results ("Firewall saved", "Updated") here
// rather than each owning a region, so a screen reader hears one voice. The text is cleared and set
// on the next frame, so the same message twice is announced twice. A live refresh right after an
// action is the action's own echo: "Updated" then would talk over "Approved <name>", so it waits.
import { html, useEffect, useState } from "./html.js";

const listeners = new Set();
const QUIET_MS = 2500;
let lastAction = 0;

function say(message) {
  for (const l of listeners) l("");
  requestAnimationFrame(() => { for (const l of listeners) l(message); });
}

export function announce(message) {
  lastAction = Date.now();
  say(message);
}

/** "Updated", unless an action spoke in the last moments. */
export function announceRefresh() {
  if (Date.now() - lastAction > QUIET_MS) say("Updated");
}

export function StatusRegion() {
  const [text, setText] = useState("");
  useEffect(() => {
    listeners.add(setText);
    return () => listeners.delete(setText);
  }, []);
  return html`<div role="status" class="status">${text}</div>`;
}
