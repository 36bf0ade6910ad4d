// The backfill page of the dashboard.
import { REFRESH_MS, ARCHIVE_REASON, h, api, fmtInt, table, td, num, message, every, disableForm, serverMode, archiveNotice } from "../ui.js";

export function backfillPage(root) {
  const field = (label, el) => h("label", {}, label, el);
  const symbols = h("input", { id: "bf-symbols", required: true, placeholder: "AAPL,MSFT", size: 18 });
  const today = new Date().toISOString().slice(0, 10);
  const start = h("input", { id: "bf-start", type: "date", required: true, value: today });
  const end = h("input", { id: "bf-end", type: "date", required: true, value: today });
  const type = h("select", { id: "bf-type" }, ...["bars", "trades", "quotes", "corporate_actions"].map((t) => h("option", { value: t }, t)));
  const granularity = h("input", { id: "bf-granularity", value: "1d", size: 5 });
  const providers = h("input", { id: "bf-providers", placeholder: "config order", size: 16 });
  const priority = h("input", { id: "bf-priority", type: "number", value: 0, min: -1000, max: 1000 });
  const msg = h("div", { class: "msg", role: "status", "aria-live": "polite", id: "backfill-msg" });
  const body = h("div", { id: "backfill-body" });
  const form = h("form", { class: "inline", id: "backfill-form" },
    field("Symbols", symbols), field("From", start), field("To", end), field("Type", type),
    field("Granularity", granularity), field("Providers", providers), field("Priority", priority),
    h("button", { type: "submit" }, "Start backfill"));
  const list = (text) => text.split(",").map((x) => x.trim()).filter(Boolean);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const job = await api("/api/backfill/jobs", {
        method: "POST",
        body: { symbols: list(symbols.value.toUpperCase()), start: start.value, end: end.value, type: type.value, granularity: granularity.value, providers: list(providers.value), priority: Number(priority.value) },
      });
      message(msg, `Queued job ${job.id} (${job.chunks_total} chunks).`, true);
      refresh();
    } catch (err) {
      message(msg, err.message, false);
    }
  });
  root.append(
    h("h1", {}, "Backfill"),
    h("div", { class: "grid" },
      h("section", { class: "card span-12" }, h("h2", {}, "New job"), form, msg),
      h("section", { class: "card span-12" }, h("h2", {}, "Jobs"), body),
      h("section", { class: "card span-12" }, h("h2", {}, "Missing data"), gapsSection())),
  );
  const act = async (id, action) => {
    try {
      await api(`/api/backfill/jobs/${encodeURIComponent(id)}${action === "cancel" ? "" : "/" + action}`, { method: action === "cancel" ? "DELETE" : "POST" });
      message(msg, `Job ${id}: ${action} requested.`, true);
      refresh();
    } catch (err) {
      message(msg, err.message, false);
    }
  };
  let archiveShown = false;
  const refresh = async () => {
    if ((await serverMode()) === "archive") {
      if (!archiveShown) {
        archiveShown = true;
        disableForm(form, `Backfill jobs run inside a collector: ${ARCHIVE_REASON}`);
        body.replaceChildren(archiveNotice("no backfill job can run here; use mdc backfill from the command line or jobs inside mdc collect"));
        body.firstChild.id = "backfill-unavailable";
      }
      return;
    }
    try {
      const jobs = await api("/api/backfill/jobs");
      body.replaceChildren(
        table(
          `${jobs.length} jobs (newest first)`,
          [{ label: "Job" }, { label: "Symbols" }, { label: "Range" }, { label: "Type" }, { label: "State" }, { label: "Chunks done", num: true }, { label: "Failed", num: true }, { label: "Rows", num: true }, { label: "Actions" }],
          jobs.map((j) =>
            h("tr", { "data-job": j.id },
              td(j.id), td(j.spec.symbols.join(", ")), td(`${j.spec.start} → ${j.spec.end}`),
              td(`${j.spec.type} ${j.spec.type === "bars" ? j.spec.granularity : ""}`), td(j.state),
              num(`${j.chunks_done}/${j.chunks_total}`), num(fmtInt(j.chunks_failed)), num(fmtInt(j.rows_written)),
              td(
                ["queued", "running"].includes(j.state) ? h("button", { type: "button", class: "secondary", onclick: () => act(j.id, "pause") }, "Pause") : "",
                ["paused", "failed"].includes(j.state) ? h("button", { type: "button", class: "secondary", onclick: () => act(j.id, "resume") }, "Resume") : "",
                ["queued", "running", "paused"].includes(j.state) ? h("button", { type: "button", class: "danger", onclick: () => act(j.id, "cancel") }, "Cancel") : "",
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      if (err.status === 501) disableForm(form, err.message);
      body.replaceChildren(h("p", { class: "notice", id: "backfill-unavailable" }, err.message));
    }
  };
  return every(REFRESH_MS, refresh);
}

// What the archive lacks in the sessions that have ended (GET /api/backfill/gaps), with what
// was judged per symbol and any archive lines that could not be read.
function gapsSection() {
  const symbols = h("input", { id: "gaps-symbols", placeholder: "configured", size: 18 });
  const type = h("select", { id: "gaps-type" }, ...["trades,quotes", "trades", "quotes", "bars"].map((t) => h("option", { value: t }, t)));
  const out = h("div", { id: "gaps-body", "aria-live": "polite" });
  const time = (ns) => new Date(ns / 1e6).toISOString().slice(11, 19);
  const find = async (e) => {
    e.preventDefault();
    out.replaceChildren(h("p", { class: "muted" }, "searching…"));
    try {
      const query = new URLSearchParams({ type: type.value });
      if (symbols.value.trim()) query.set("symbols", symbols.value.toUpperCase());
      const report = await api(`/api/backfill/gaps?${query}`);
      const shown = report.spans.slice(0, 200);
      out.replaceChildren(
        h("ul", { id: "gaps-scopes" }, report.scopes.map((s) => h("li", {}, s.summary))),
        ...Object.entries(report.skipped_lines).map(([path, n]) => h("p", { class: "notice" }, `skipped ${fmtInt(n)} unreadable line(s) in ${path}`)),
        report.spans.length
          ? table(
              `${fmtInt(report.spans.length)} missing spans` + (report.spans.length > shown.length ? ` (first ${shown.length} shown)` : "") + " — times UTC",
              [{ label: "Symbol" }, { label: "Type" }, { label: "Day" }, { label: "From" }, { label: "To" }, { label: "Minutes", num: true }, { label: "Reason" }],
              shown.map((g) => h("tr", {}, td(g.symbol), td(g.kind === "bars" ? `bars ${g.interval}` : g.kind), td(g.day), td(time(g.from_ts)), td(time(g.to_ts)), num((g.seconds / 60).toFixed(1)), td(g.reason + (g.detail ? ` (${g.detail})` : "")))),
              { id: "gaps-table" },
            )
          : h("p", { id: "gaps-none" }, "No gaps in the sessions judged."),
      );
    } catch (err) {
      out.replaceChildren(h("p", { class: "msg error" }, err.message));
    }
  };
  return h("div", {},
    h("form", { class: "inline", id: "gaps-form", onsubmit: find },
      h("label", {}, "Symbols", symbols), h("label", {}, "Type", type), h("button", { type: "submit" }, "Find gaps")),
    out);
}
