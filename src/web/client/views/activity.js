// Activity (issue 12): the audit timeline, newest first, filtered by kind and time on the server
// (GET /cove/audit's kind/since/until) and by actor here (the log stores object ids, and a reader
// types a name or part of an id); and the signed evidence bundle, downloaded with the bearer
// through a Blob URL because a plain link could not carry the token.
import { html, useState } from "../html.js";
import { call, currentSession, follow, get } from "../api.js";
import { useLoad } from "../load.js";
import { announce } from "../status.js";
import { KINDS, actorOf, kindOf, summaryOf } from "../audit-summary.js";

const LIMIT = 200;
const MAX_PAGES = 20;

const iso = (local) => (local ? new Date(local).toISOString() : undefined);

/**
 * The newest LIMIT records matching the server-side filters. Unfiltered, one page from
 * auditSeq - LIMIT holds them; filtered, pages are followed (a filtered page may be empty and still go on).
 */
async function readAudit({ kind, since, until }, auditSeq) {
  const filtered = Boolean(kind || since || until);
  const query = { limit: filtered ? 1000 : LIMIT, kind: kind || undefined, since: iso(since), until: iso(until) };
  if (!filtered && typeof auditSeq === "number") query.after = Math.max(0, auditSeq - LIMIT);
  const oneRead = !filtered && typeof auditSeq === "number";
  const records = await follow(await get("/cove/audit", query), { max: oneRead ? 1 : MAX_PAGES, keep: (x) => x.slice(-LIMIT) });
  return records.reverse();
}

/** The log names principals by object id; the signed-in one is shown by name (and found by either). */
function whoDid(event) {
  const id = actorOf(event);
  const p = currentSession()?.principal;
  return p && id && id === p.objectId ? { label: p.displayName, match: `${p.displayName} ${id}` } : { label: id, match: id };
}

function filenameOf(res) {
  const m = /filename="?([^";]+)"?/i.exec(res.headers.get("content-disposition") ?? "");
  return m ? m[1] : "evidence.tar";
}

export function Activity({ registryId, live, estateRead }) {
  const [filters, setFilters] = useState({ kind: "", actor: "", since: "", until: "" });
  const [exportError, setExportError] = useState("");
  const [exporting, setExporting] = useState(false);
  const { data, error } = useLoad(() => readAudit(filters, live.auditSeq), [filters.kind, filters.since, filters.until, live.tick, live.auditSeq === null], estateRead);
  const set = (k) => (e) => setFilters({ ...filters, [k]: e.currentTarget.value });

  const actor = filters.actor.trim().toLowerCase();
  const rows = (data ?? []).map((r) => ({ ...r, actor: whoDid(r.event) })).filter((r) => !actor || r.actor.match.toLowerCase().includes(actor));

  const exportEvidence = async () => {
    setExporting(true);
    setExportError("");
    try {
      const res = await call("POST", "/cove/portal/evidence", { body: { registryId }, as: "response" });
      const name = filenameOf(res);
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      announce(`Evidence downloaded: ${name}`);
    } catch (err) {
      setExportError(err.message);
    }
    setExporting(false);
  };

  return html`
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label for="audit-kind">Kind</label>
      <select id="audit-kind" value=${filters.kind} onChange=${set("kind")}>
        <option value="">All kinds</option>
        ${KINDS.map((k) => html`<option key=${k} value=${k}>${k}</option>`)}
      </select>
      <label for="audit-actor">Actor</label>
      <input id="audit-actor" value=${filters.actor} onInput=${set("actor")} />
      <label for="audit-since">Since</label>
      <input id="audit-since" type="datetime-local" value=${filters.since} onChange=${set("since")} />
      <label for="audit-until">Until</label>
      <input id="audit-until" type="datetime-local" value=${filters.until} onChange=${set("until")} />
    </form>
    <p><button type="button" onClick=${exportEvidence} disabled=${exporting}>Export evidence</button></p>
    ${exportError && html`<p role="alert" class="error">${exportError}</p>`}
    ${error && html`<p role="alert" class="error">${error.message}</p>`}
    <div class="scroll" tabindex="0">
    <table class="audit">
      <caption>Audit timeline</caption>
      <thead><tr><th scope="col">Time</th><th scope="col">Kind</th><th scope="col">Actor</th><th scope="col">Summary</th></tr></thead>
      <tbody>
        ${rows.map((r) => html`
          <tr key=${r.seq}>
            <td><time datetime=${r.time}>${r.time}</time></td>
            <td>${kindOf(r.event)}</td>
            <td>${r.actor.label}</td>
            <td>${summaryOf(r.event)}</td>
          </tr>`)}
        ${data && !rows.length ? html`<tr><td colspan="4">No records match.</td></tr>` : null}
        ${!data && !error ? html`<tr><td colspan="4">Loading...</td></tr>` : null}
      </tbody>
    </table>
    </div>`;
}
