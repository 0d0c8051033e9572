// Public access (issue 12): publicNetworkAccess, the default action and the IP rules, edited as a
// draft and saved with one PATCH (RegistryUpdateParameters), then the readiness verdict for
// switching public access off. The draft follows the server until the user edits it, so a live
// update never throws away typing.
import { html, useEffect, useState } from "../html.js";
import { API, call } from "../api.js";
import { announce } from "../status.js";
import { Readiness } from "./readiness.js";

const fromRegistry = (r) => ({
  publicNetworkAccess: r.properties?.publicNetworkAccess ?? "Enabled",
  defaultAction: r.properties?.networkRuleSet?.defaultAction ?? "Allow",
  ipRules: (r.properties?.networkRuleSet?.ipRules ?? []).map((x) => x.value ?? x.iPAddressOrRange),
});

export function PublicAccess({ registryId, live, estate, estateRead }) {
  const registry = estate.data?.registry;
  const [draft, setDraft] = useState(null);
  const [dirty, setDirty] = useState(false);
  const [newRule, setNewRule] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => { if (registry && !dirty) setDraft(fromRegistry(registry)); }, [registry, dirty]);
  if (!registry || !draft) return estate.error ? null : html`<p>Loading...</p>`;

  const why = estate.data.rights.reason("firewall");
  const ctl = { disabled: Boolean(why) || busy, "aria-describedby": why ? "why-firewall" : undefined };
  const edit = (patch) => { setDraft({ ...draft, ...patch }); setDirty(true); };
  const addRule = (e) => {
    e.preventDefault();
    const v = newRule.trim();
    if (!v) return;
    if (!draft.ipRules.includes(v)) edit({ ipRules: [...draft.ipRules, v] });
    setNewRule("");
  };
  const save = async () => {
    setBusy(true);
    setError("");
    try {
      await call("PATCH", registryId, {
        query: { "api-version": API.acr },
        body: { properties: {
          publicNetworkAccess: draft.publicNetworkAccess,
          networkRuleSet: { defaultAction: draft.defaultAction, ipRules: draft.ipRules.map((value) => ({ action: "Allow", value })) },
        } },
      });
      await estate.reload();
      setDirty(false);
      announce("Firewall saved");
    } catch (err) {
      setError(err.message);
    }
    setBusy(false);
  };

  return html`
    ${why && html`<p id="why-firewall" class="reason">${why}</p>`}
    <div class="fields">
      <label for="public-network-access">Public network access</label>
      <select id="public-network-access" value=${draft.publicNetworkAccess} onChange=${(e) => edit({ publicNetworkAccess: e.currentTarget.value })} ...${ctl}>
        <option value="Enabled">Enabled</option>
        <option value="Disabled">Disabled</option>
      </select>
      <label for="default-action">Default action</label>
      <select id="default-action" value=${draft.defaultAction} onChange=${(e) => edit({ defaultAction: e.currentTarget.value })} ...${ctl}>
        <option value="Allow">Allow</option>
        <option value="Deny">Deny</option>
      </select>
    </div>
    <table class="ip-rules">
      <caption>IP rules</caption>
      <thead><tr><th scope="col">Address range</th><th scope="col"><span class="visually-hidden">Remove</span></th></tr></thead>
      <tbody>
        ${draft.ipRules.map((r) => html`
          <tr key=${r}><td>${r}</td>
            <td><button type="button" onClick=${() => edit({ ipRules: draft.ipRules.filter((x) => x !== r) })} ...${ctl}>Remove rule ${r}</button></td></tr>`)}
        ${draft.ipRules.length ? null : html`<tr><td colspan="2">No IP rules.</td></tr>`}
      </tbody>
    </table>
    <form class="add-rule" onSubmit=${addRule}>
      <label for="new-ip-rule">New IP rule</label>
      <input id="new-ip-rule" placeholder="203.0.113.0/24" value=${newRule} onInput=${(e) => setNewRule(e.currentTarget.value)} ...${ctl} />
      <button type="submit" ...${ctl}>Add rule</button>
    </form>
    ${dirty && html`<p class="note">Unsaved changes.</p>`}
    ${error && html`<p role="alert" class="error">${error}</p>`}
    <button type="button" class="primary" onClick=${save} ...${ctl}>Save firewall changes</button>
    <${Readiness} registryId=${registryId} live=${live} estateRead=${estateRead} />`;
}
