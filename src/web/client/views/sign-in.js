// Sign-in, two ways (issue 12): the one-time code `cove portal` puts in the URL (#code=...), taken
// out of the address bar at once so it is not kept in history or shown on screen; or a service
// principal's client id and secret typed in. Either way the page gets an ARM token for that
// principal and acts as it, under the same role assignments as the API.
import { html, useEffect, useState } from "../html.js";
import { signIn } from "../api.js";

/** Takes `#code=...` off the URL (replaceState: no history entry) and returns it, or null. */
function takeCode() {
  const m = /^#code=([^&]+)/.exec(location.hash);
  if (!m) return null;
  history.replaceState(null, "", location.pathname + location.search + "#/");
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

export function SignIn({ notice, onSignedIn }) {
  const [code] = useState(takeCode);
  const [busy, setBusy] = useState(Boolean(code));
  const [error, setError] = useState("");
  const [clientId, setClientId] = useState("");
  const [secret, setSecret] = useState("");

  const attempt = async (body) => {
    setBusy(true);
    setError("");
    try {
      onSignedIn(await signIn(body));
    } catch (err) {
      setError(err.detail ?? err.message);
      setBusy(false);
    }
  };
  useEffect(() => { if (code) attempt({ code }); }, []);

  const submit = (e) => {
    e.preventDefault();
    attempt({ clientId: clientId.trim(), clientSecret: secret });
  };
  return html`
    <div class="sign-in">
      <h1>Sign in to Cove</h1>
      ${notice && html`<p class="notice">${notice}</p>`}
      ${busy && code ? html`<p>Signing in...</p>` : null}
      ${error && html`<p role="alert" class="error">${error}</p>`}
      <form onSubmit=${submit}>
        <p>As a service principal of Cove's identity provider, or run <code>cove portal</code> to open this page signed in as the CLI's principal.</p>
        <label for="client-id">Client ID</label>
        <input id="client-id" name="clientId" autocomplete="username" required value=${clientId} onInput=${(e) => setClientId(e.currentTarget.value)} />
        <label for="client-secret">Client secret</label>
        <input id="client-secret" name="clientSecret" type="password" autocomplete="current-password" required value=${secret} onInput=${(e) => setSecret(e.currentTarget.value)} />
        <button type="submit" disabled=${busy}>Sign in</button>
      </form>
    </div>`;
}
