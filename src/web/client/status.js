// The one live region (role="status"): views announce results ("Firewall saved", "Updated") here
// rather than each owning a region, so a screen reader hears one voice. The text is cleared first
// and set on the next frame, so the same message twice is announced twice.
import { html, useEffect, useState } from "./html.js";

const listeners = new Set();

export function announce(message) {
  for (const l of listeners) l("");
  requestAnimationFrame(() => { for (const l of listeners) l(message); });
}

export function StatusRegion() {
  const [text, setText] = useState("");
  useEffect(() => {
    listeners.add(setText);
    return () => listeners.delete(setText);
  }, []);
  return html`<div role="status" class="status" aria-live="polite">${text}</div>`;
}
