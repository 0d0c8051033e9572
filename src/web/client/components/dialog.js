// A modal confirmation on the native <dialog> (showModal): the browser traps focus inside it, makes
// the rest of the page inert and turns Escape into a cancel, so the page writes none of that. Focus
// goes back to the button that opened it, or, when an action removed that button (an approved
// connection has no Approve button), to the fallback the caller names.
import { html, useEffect, useRef } from "../html.js";

let next = 0;

/**
 * @param {{title: string, onClose: () => void, fallbackFocus?: () => HTMLElement | null, children: unknown}} props
 * The caller unmounts it (sets its state to null) in onClose.
 */
export function Dialog({ title, onClose, fallbackFocus, children }) {
  const ref = useRef(null);
  const id = useRef(`dialog-title-${++next}`).current;
  const opener = useRef(null);
  useEffect(() => {
    const d = ref.current;
    opener.current = document.activeElement;
    if (!d.open) d.showModal();
    return () => {
      if (d.open) d.close();
      const back = opener.current;
      setTimeout(() => {
        const target = back?.isConnected && !back.disabled ? back : fallbackFocus?.();
        target?.focus();
      }, 0);
    };
  }, []);
  return html`
    <dialog ref=${ref} class="dialog" aria-labelledby=${id} onClose=${onClose}>
      <h2 id=${id}>${title}</h2>
      ${children}
    </dialog>`;
}
