// The confirmation of an approve, reject or remove: the description to record, and the what-if
// impact of the change before it is made ({registry}/whatIf, the server's run of the same model the
// CLI's --what-if runs). When what-if cannot be read the dialog says so and still lets the owner
// decide: the impact informs the action, it does not gate it.
import { html, useState } from "../html.js";
import { API, call } from "../api.js";
import { useLoad } from "../load.js";
import { impactWords, subnetPrefixes } from "../impact.js";
import { Dialog } from "../components/dialog.js";

const CHANGE = { approve: "approve-connection", reject: "reject-connection", remove: "delete-connection" };

function Impact({ registryId, kind, row, vnets }) {
  const { data, error } = useLoad(
    () => call("POST", `${registryId}/whatIf`, { query: { "api-version": API.acr }, body: { change: { kind: CHANGE[kind], connectionId: row.c.id } } }),
    [],
  );
  let body;
  if (error) body = html`<p>Impact not available: ${error.message}</p>`;
  else if (!data) body = html`<p>Working out the impact...</p>`;
  else {
    const [headline, ...rest] = impactWords(data, subnetPrefixes(vnets));
    body = html`<p class="headline">${headline}</p>${rest.length ? html`<ul>${rest.map((s, i) => html`<li key=${i}>${s}</li>`)}</ul>` : null}`;
  }
  return html`
    <section class="impact" aria-labelledby="impact-title" aria-live="polite">
      <h3 id="impact-title">Impact</h3>
      ${body}
    </section>`;
}

export function ConnectionDialog({ registryId, kind, row, vnets, verb, onConfirm, onClose, fallbackFocus }) {
  const [description, setDescription] = useState(kind === "remove" ? "" : row.description);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const confirm = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      await onConfirm(description);
      onClose();
    } catch (err) {
      setError(err.message);
      setBusy(false);
    }
  };
  return html`
    <${Dialog} title=${`${verb} ${row.name}?`} onClose=${onClose} fallbackFocus=${fallbackFocus}>
      <form method="dialog" onSubmit=${confirm}>
        <label for="connection-description">Description</label>
        <textarea id="connection-description" rows="3" value=${description} onInput=${(e) => setDescription(e.currentTarget.value)}></textarea>
        <${Impact} registryId=${registryId} kind=${kind} row=${row} vnets=${vnets} />
        ${error && html`<p role="alert" class="error">${error}</p>`}
        <div class="buttons">
          <button type="submit" disabled=${busy}>Confirm</button>
          <button type="button" onClick=${onClose}>Cancel</button>
        </div>
      </form>
    </${Dialog}>`;
}
