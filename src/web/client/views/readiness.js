// Readiness to disable public access (the toolkit's `cove acr readiness`, served at
// {registry}/publicAccessReadiness): who used the public endpoint lately, and whether each has a
// private path or would break, with the commands that would give it one.
import { html } from "../html.js";
import { API, get } from "../api.js";
import { useLoad } from "../load.js";

const VERDICT = { "will-break": "Would break", "has-private-path": "Has a private path", unknown: "Unknown" };
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

function verdictText(r) {
  const n = r.summary?.willBreak ?? 0;
  if (n > 0) return `Not ready: ${plural(n, "client would break", "clients would break")}`;
  if (!r.clients?.length) return `Ready: no client used the public endpoint since ${r.since}`;
  const unknown = r.summary?.unknown ?? 0;
  return `Ready: ${plural(r.summary?.hasPrivatePath ?? 0, "client has", "clients have")} a private path${unknown ? `; ${plural(unknown, "client", "clients")} could not be placed` : ""}`;
}

export function Readiness({ registryId, live, estateRead }) {
  const { data, error } = useLoad(() => get(`${registryId}/publicAccessReadiness`, { "api-version": API.acr }), [registryId, live.tick], estateRead);
  return html`
    <h3 id="readiness-title">Readiness to disable public access</h3>
    ${error && !data ? html`<p>not available: ${error.message}</p>` : null}
    ${!data && !error ? html`<p>Loading...</p>` : null}
    ${data && html`
      <p class=${`verdict ${(data.summary?.willBreak ?? 0) > 0 ? "verdict-bad" : "verdict-ok"}`}>${verdictText(data)}</p>
      <ul class="clients" aria-labelledby="readiness-title">
        ${(data.clients ?? []).map((c) => html`
          <li key=${c.clientIp}>
            <strong>${c.clientIp}</strong> (${c.network}): <span class=${`badge verdict-${c.verdict}`}>${VERDICT[c.verdict] ?? c.verdict}</span> ${c.reason}
            ${(c.fix ?? []).map((f, i) => html`<div key=${i}><code>${f.cove}</code></div>`)}
          </li>`)}
      </ul>`}`;
}
