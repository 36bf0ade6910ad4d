// The datasets page: packages of this archive (create, verify, download) and re-derivation of a
// provider's raw frames into a new archive version, both as jobs this page polls.
import { REFRESH_MS, h, api, fmtInt, fmtBytes, fmtDateTime, table, td, num, message, every } from "../ui.js";

export function datasetsPage(root) {
  const field = (label, el) => h("label", {}, label, el);
  const list = (text) => text.split(",").map((x) => x.trim()).filter(Boolean);
  const today = new Date().toISOString().slice(0, 10);

  const name = h("input", { id: "pkg-name", required: true, placeholder: "my-dataset", size: 16, pattern: "[A-Za-z0-9][A-Za-z0-9._-]*" });
  const format = h("select", { id: "pkg-format" }, h("option", { value: "tar.zst" }, ".tar.zst"), h("option", { value: "zip" }, ".zip"));
  const symbols = h("input", { id: "pkg-symbols", placeholder: "all", size: 16 });
  const types = h("input", { id: "pkg-types", placeholder: "all (trades,quotes,…)", size: 18 });
  const start = h("input", { id: "pkg-start", type: "date" });
  const end = h("input", { id: "pkg-end", type: "date" });
  const pkgMsg = h("div", { class: "msg", role: "status", "aria-live": "polite", id: "pkg-msg" });
  const pkgForm = h("form", { class: "inline", id: "pkg-form" },
    field("Name", name), field("Format", format), field("Symbols", symbols), field("Types", types),
    field("From", start), field("To", end), h("button", { type: "submit" }, "Create package"));
  const packages = h("div", { id: "packages", class: "scroll" });

  const provider = h("input", { id: "rd-provider", required: true, placeholder: "coinbase", size: 12 });
  const rdStart = h("input", { id: "rd-start", type: "date", required: true, value: today });
  const rdEnd = h("input", { id: "rd-end", type: "date", required: true, value: today });
  const out = h("input", { id: "rd-out", required: true, placeholder: "data-v2", size: 14, pattern: "[A-Za-z0-9][A-Za-z0-9._-]*" });
  const rdMsg = h("div", { class: "msg", role: "status", "aria-live": "polite", id: "rd-msg" });
  const rdForm = h("form", { class: "inline", id: "rd-form" },
    field("Provider", provider), field("From", rdStart), field("To", rdEnd), field("New version", out),
    h("button", { type: "submit" }, "Re-derive"));
  const jobs = h("div", { id: "dataset-jobs", class: "scroll" });
  const report = h("div", { id: "rederive-report", class: "scroll" });

  root.append(
    h("h1", {}, "Datasets"),
    h("div", { class: "grid" },
      h("section", { class: "card span-12" }, h("h2", {}, "Packages"),
        h("p", { class: "muted" }, "A selection of the archive as one file with a manifest (rows, time ranges, sha256 per file), a data dictionary and pandas/polars/DuckDB loaders. Import one elsewhere with mdc package import."),
        pkgForm, pkgMsg, packages),
      h("section", { class: "card span-12" }, h("h2", {}, "Re-derive from raw frames"),
        h("p", { class: "muted" }, "Runs today's parser over the provider's stored raw frames into a new archive version beside this one, and reports the rows removed and added per type and day."),
        rdForm, rdMsg, report),
      h("section", { class: "card span-12" }, h("h2", {}, "Jobs"), jobs)),
  );

  const submit = (form, msg, path, body, what) => form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const job = await api(path, { method: "POST", body: body() });
      message(msg, `${what} started (job ${job.id}).`, true);
      refresh();
    } catch (err) {
      message(msg, err.message, false);
    }
  });
  submit(pkgForm, pkgMsg, "/api/datasets/packages", () => {
    const body = { name: name.value.trim(), format: format.value, symbols: list(symbols.value), types: list(types.value) };
    if (start.value) body.start = start.value;
    if (end.value) body.end = end.value;
    return body;
  }, "Package");
  submit(rdForm, rdMsg, "/api/datasets/rederive", () => ({ provider: provider.value.trim(), start: rdStart.value, end: rdEnd.value, out: out.value.trim() }), "Re-derivation");

  const verify = async (file) => {
    try {
      const job = await api(`/api/datasets/packages/${encodeURIComponent(file)}/verify`, { method: "POST" });
      message(pkgMsg, `Verifying ${file} (job ${job.id}).`, true);
      refresh();
    } catch (err) {
      message(pkgMsg, err.message, false);
    }
  };
  const span = (m) => (m.first_ts ? `${fmtDateTime(m.first_ts)} → ${fmtDateTime(m.last_ts)}` : "—");
  const showPackages = (rows) => {
    if (!rows.length) {
      packages.replaceChildren(h("p", { class: "muted" }, "No packages yet."));
      return;
    }
    packages.replaceChildren(table(`${rows.length} packages`,
      [{ label: "Package" }, { label: "Types" }, { label: "Symbols" }, { label: "Files", num: true }, { label: "Rows", num: true }, { label: "Span (UTC)" }, { label: "Size", num: true }, { label: "mdc" }, { label: "" }],
      rows.map((p) => {
        const m = p.manifest;
        if (!m) return h("tr", { "data-package": p.file }, td(p.file), h("td", { colspan: 8, class: "msg error" }, p.error));
        return h("tr", { "data-package": p.file },
          td(h("a", { href: `/api/datasets/packages/${encodeURIComponent(p.file)}`, download: p.file }, p.file)),
          td(m.types.join(", ")), td(m.symbols.join(", ")), num(fmtInt(m.file_count)), num(fmtInt(m.rows)), td(span(m)), num(fmtBytes(p.bytes)), td(m.mdc_version),
          td(h("button", { type: "button", class: "verify", onclick: () => verify(p.file) }, "Verify")));
      })));
  };
  const summary = (j) => {
    if (j.state === "failed") return j.error;
    if (j.state === "running") return "running…";
    const r = j.result;
    if (j.kind === "package") return `${r.file}: ${fmtInt(r.files)} files, ${fmtInt(r.rows)} rows`;
    if (j.kind === "verify") return r.ok ? `OK: ${fmtInt(r.files)} files, ${fmtInt(r.rows)} rows` : r.problems.map((p) => `${p.path}: ${p.problem}`).join("; ");
    return `${fmtInt(r.frames)} frames, ${fmtInt(r.bad_frames)} bad; ${r.changes.length ? `${r.changes.length} type/day changes` : "no rows changed"}`;
  };
  const showReport = (j) => {
    if (!j) return;
    const r = j.result;
    report.replaceChildren(
      h("p", { id: "rederive-summary" }, `Job ${j.id}: ${fmtInt(r.frames)} frames re-parsed (${fmtInt(r.bad_frames)} bad), ${fmtInt(r.copied)} events copied, ${fmtInt(r.replaced)} replaced by ${fmtInt(r.derived)}; new version in ${r.out}.`),
      r.changes.length
        ? table("Rows changed", [{ label: "Type" }, { label: "Day" }, { label: "Removed", num: true }, { label: "Added", num: true }],
          r.changes.map((c) => h("tr", {}, td(c.type), td(c.day), num(fmtInt(c.removed)), num(fmtInt(c.added)))))
        : h("p", { class: "muted" }, "No rows changed."));
  };
  const showJobs = (rows) => {
    jobs.replaceChildren(rows.length
      ? table(`${rows.length} jobs`, [{ label: "Job" }, { label: "State" }, { label: "Started (UTC)" }, { label: "Result" }],
        rows.map((j) => h("tr", { "data-job": j.id, "data-state": j.state },
          td(j.id), td(j.state, j.state === "failed" ? "status-unhealthy" : j.state === "done" ? "status-healthy" : ""), td(fmtDateTime(j.started_ns)), td(summary(j)))))
      : h("p", { class: "muted" }, "No jobs since this server started."));
    showReport(rows.find((j) => j.kind === "rederive" && j.state === "done"));
  };
  const refresh = async () => {
    try {
      const [pkgs, js] = await Promise.all([api("/api/datasets/packages"), api("/api/datasets/jobs")]);
      showPackages(pkgs);
      showJobs(js);
    } catch (err) {
      jobs.replaceChildren(h("p", { class: "msg error" }, err.message));
    }
  };
  return every(REFRESH_MS, refresh);
}
