// The networking page's entry: sign-in until there is a session, then the header, the nav and the
// view the hash names. Everything the page shows comes from the public management API through
// api.js; nothing is rendered as markup except the server's SVG (views/reachability.js).
import { html, render, useEffect, useRef, useState } from "./html.js";
import { currentSession, signOut } from "./api.js";
import { useRoute } from "./router.js";
import { useLive } from "./live.js";
import { StatusRegion } from "./status.js";
import { SignIn } from "./views/sign-in.js";
import { Registries } from "./views/registries.js";
import { Networking } from "./views/networking.js";

function SignedIn({ session, onSignOut }) {
  const route = useRoute();
  const live = useLive(() => onSignOut("Your session ended; sign in again."));
  // A new view takes focus to its heading, as a page load would: the link that led there is gone.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) { first.current = false; return; }
    const h1 = document.querySelector("main h1");
    h1?.setAttribute("tabindex", "-1");
    h1?.focus();
  }, [route.view, route.id]);
  return html`
    <header class="top">
      <span class="brand">Cove</span>
      <nav aria-label="Main"><a href="#/">Registries</a></nav>
      <span class="who">Signed in as ${session.principal?.displayName ?? session.principal?.appId}</span>
      <button type="button" onClick=${() => onSignOut("")}>Sign out</button>
    </header>
    <main>
      ${route.view === "registry" ? html`<${Networking} id=${route.id} live=${live} />` : html`<${Registries} live=${live} />`}
      <${StatusRegion} />
    </main>`;
}

function App() {
  const [session, setSession] = useState(currentSession());
  const [notice, setNotice] = useState("");
  const out = (message) => {
    signOut();
    setNotice(message);
    setSession(null);
  };
  if (!session) return html`<main><${SignIn} notice=${notice} onSignedIn=${(s) => { setNotice(""); setSession(s); }} /><${StatusRegion} /></main>`;
  return html`<${SignedIn} session=${session} onSignOut=${out} />`;
}

render(html`<${App} />`, document.getElementById("app"));
