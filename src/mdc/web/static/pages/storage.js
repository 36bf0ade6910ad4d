// The storage page of the dashboard.
import { h, api, fmtInt, fmtDateTime, fmtBytes, fmtSeconds, figure, table, td, num, message, every } from "../ui.js";

export function storagePage(root, params) {
  const stats = h("div", { id: "storage-stats" });
  const detailsOpen = { value: false }; // the disclosure stays as the user left it across refreshes
  const crumbs = h("div", { class: "crumbs", id: "crumbs" });
  const listing = h("div", { id: "archive-listing" });
  const covDays = h("select", { id: "cov-days" }, ...[7, 31, 92, 366].map((d) => h("option", { value: d, selected: d === 31 }, `${d}`)));
  const covSymbol = h("input", { id: "cov-symbol", placeholder: "all", size: 10 });
  const covForm = h("form", { class: "inline" }, h("label", {}, "Days", covDays), h("label", {}, "Symbol", covSymbol));
  const grid = h("div", { id: "coverage", class: "scroll" });
  const verifyBtn = h("button", { type: "button", id: "verify-btn" }, "Verify archive");
  const verifyMsg = h("div", { class: "msg", role: "status", "aria-live": "polite", id: "verify-status" });
  const verifyOut = h("div", { id: "verify-result", class: "scroll" });
  root.append(
    h("h1", {}, "Storage"),
    h("div", { class: "grid" },
      h("section", { class: "card span-12" }, h("h2", {}, "Archive"), stats),
      h("section", { class: "card span-12" }, h("h2", {}, "Coverage (rows per day)"), covForm, grid),
      h("section", { class: "card span-12" }, h("h2", {}, "Verify"),
        h("p", { class: "muted" }, "Re-reads every file: schema, row counts, partition and symbol of every row, ordering (as mdc archive verify)."),
        verifyBtn, verifyMsg, verifyOut),
      h("section", { class: "card span-12" }, h("h2", {}, "Browse"), crumbs, listing)),
  );
  const compact = (n) => (n === null ? "?" : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));
  const loadCoverage = async () => {
    const q = new URLSearchParams({ days: covDays.value });
    if (covSymbol.value.trim()) q.set("symbol", covSymbol.value.trim().toUpperCase());
    try {
      const cov = await api(`/api/storage/coverage?${q}`);
      if (!cov.series.length) {
        grid.replaceChildren(h("p", { class: "muted" }, "No data in the archive yet."));
        return;
      }
      const head = (c) => (cov.unit === "day" ? c.slice(8) : c);
      grid.replaceChildren(
        h("table", { class: "coverage" },
          h("caption", {}, `${cov.columns[0]} → ${cov.columns[cov.columns.length - 1]} (${cov.partition} partitions; data from ${cov.first} to ${cov.last})` +
            (cov.uncounted_files ? ` — ${cov.uncounted_files} files not counted` : "") + (cov.series_truncated ? " — first series only" : "")),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Symbol"), h("th", { scope: "col" }, "Type"), h("th", { scope: "col", class: "num" }, "Rows"),
            cov.columns.map((c) => h("th", { scope: "col", class: "day", title: c }, head(c))))),
          h("tbody", {}, cov.series.map((s) =>
            h("tr", { "data-series": `${s.symbol}/${s.type}${s.provider ? "/" + s.provider : ""}` },
              td(s.symbol), td(s.type + (s.provider ? ` (${s.provider})` : "")), num(fmtInt(s.rows)),
              cov.columns.map((c) => {
                const cell = s.cells[c];
                return cell
                  ? h("td", { class: "day has", "data-day": c, title: `${c}: ${cell.rows === null ? "rows not counted" : fmtInt(cell.rows) + " rows"}, ${cell.files} files, ${fmtBytes(cell.bytes)}` }, compact(cell.rows))
                  : h("td", { class: "day", "data-day": c, title: `${c}: no data` }, "");
              })))),
        ),
      );
    } catch (err) {
      grid.replaceChildren(h("p", { class: "msg error" }, err.message));
    }
  };
  let verifyTimer = null;
  const showVerify = (v) => {
    if (v.state === "running") {
      message(verifyMsg, `Verifying… ${fmtInt(v.files_done)} of ${fmtInt(v.files_total)} files`, true);
      return;
    }
    if (v.state === "failed") {
      message(verifyMsg, `Verification failed: ${v.error}`, false);
      return;
    }
    if (v.state !== "done") return;
    const s = v.summary;
    message(verifyMsg, `${fmtInt(v.files_total)} files verified: ${s.error} with errors, ${s.warning} with warnings, ${s.ok} ok (finished ${fmtDateTime(v.finished_ns)} UTC).`, s.error === 0);
    verifyOut.replaceChildren(
      table(
        `${v.reports.length} files${v.reports_truncated ? " (problems first; the rest left out)" : ""}`,
        [{ label: "Status" }, { label: "File" }, { label: "Type" }, { label: "Symbol" }, { label: "Partition" }, { label: "Rows", num: true }, { label: "Problems" }],
        v.reports.map((r) =>
          h("tr", { "data-status": r.status },
            td(r.status, `status-${r.status === "ok" ? "healthy" : r.status === "warning" ? "degraded" : "unhealthy"}`),
            td(r.file), td(r.type), td(r.symbol), td(r.partition), num(fmtInt(r.rows)),
            td([...r.errors, ...r.warnings].join("; ")))),
      ),
    );
  };
  const pollVerify = async () => {
    try {
      const v = await api("/api/storage/verify");
      showVerify(v);
      verifyBtn.disabled = v.state === "running";
      if (v.state === "running") verifyTimer = setTimeout(pollVerify, 500);
    } catch (err) {
      message(verifyMsg, err.message, false);
      verifyBtn.disabled = false;
    }
  };
  verifyBtn.addEventListener("click", async () => {
    verifyBtn.disabled = true;
    try {
      showVerify(await api("/api/storage/verify", { method: "POST" }));
      pollVerify();
    } catch (err) {
      message(verifyMsg, err.message, false);
      verifyBtn.disabled = false;
    }
  });
  covForm.addEventListener("submit", (e) => e.preventDefault());
  [covDays, covSymbol].forEach((el) => el.addEventListener("change", loadCoverage));
  pollVerify();
  const browse = async (path) => {
    try {
      const res = await api(`/api/storage/tree?path=${encodeURIComponent(path)}`);
      const parts = res.path ? res.path.split("/") : [];
      crumbs.replaceChildren(
        h("button", { type: "button", class: "secondary", onclick: () => browse("") }, "root"),
        ...parts.map((p, i) => h("button", { type: "button", class: "secondary", onclick: () => browse(parts.slice(0, i + 1).join("/")) }, p)),
      );
      listing.replaceChildren(
        table(
          `${res.entries.length} entries in /${res.path}${res.truncated ? " (first ones only)" : ""}`,
          [{ label: "Name" }, { label: "Size", num: true }, { label: "Modified (UTC)" }],
          res.entries.map((e) =>
            h("tr", {},
              td(e.dir
                ? h("a", { href: "#", onclick: (ev) => { ev.preventDefault(); browse(e.path); } }, e.name + "/")
                : h("a", { href: `/api/storage/download?path=${encodeURIComponent(e.path)}`, download: e.name }, e.name)),
              num(e.dir ? "" : fmtBytes(e.size)),
              td(new Date(e.mtime * 1000).toISOString().replace("T", " ").slice(0, 19))),
          ),
        ),
      );
    } catch (err) {
      listing.replaceChildren(h("p", { class: "msg error" }, err.message));
    }
  };
  const loadStats = async () => {
    try {
      const s = await api("/api/storage/stats");
      stats.replaceChildren(...storageSummary(s), storageDetails(s, detailsOpen));
    } catch (err) {
      stats.replaceChildren(h("p", { class: "msg error" }, err.message));
    }
  };
  browse(params.get("path") || "");
  const stopStats = every(5000, loadStats);
  const stopCoverage = every(5000, loadCoverage);
  return () => {
    stopStats();
    stopCoverage();
    clearTimeout(verifyTimer);
  };
}

// The figures an operator looks at: disk against the budget, growth, lag, errors.
function storageSummary(s) {
  const u = s.summary;
  const d = u.disk;
  const budget = d.budget_bytes ? `${(d.budget_used * 100).toFixed(0)} % of the ${fmtBytes(d.budget_bytes)} budget (retention_max_mb)` : "no size budget (retention_max_mb = 0)";
  const figs = [
    figure("Archive on disk", fmtBytes(d.used_bytes), `${fmtInt(s.disk.files)} files · ${budget}`, "st-used"),
    figure("Disk free", fmtBytes(d.free_bytes), `of ${fmtBytes(d.total_bytes)} · writing pauses below ${fmtBytes(d.min_free_bytes)}`, "st-free", d.headroom_bytes ? "" : "status-unhealthy"),
  ];
  if (!u.writing) {
    return [
      h("p", { class: "notice", id: "storage-archive-note" }, "Archive view: no collector writes here (mdc serve), so there is no write rate, WAL or checkpoint to show. Start mdc collect on this root for live figures."),
      h("div", { class: "figures wide" }, figs),
      h("p", { class: "muted" }, `Root: ${s.root} · format ${s.format}`),
    ];
  }
  const rate = u.write_rate_bytes_per_s;
  const measuring = `measuring (${fmtSeconds(u.rate_window_s)} of samples so far)`;
  const fills = u.pause_in_s === null ? "" : ` · writing pauses in ${fmtSeconds(u.pause_in_s)} at this rate`;
  const cp = u.checkpoint;
  const late = cp.age_s !== null && cp.age_s > Math.max(10, cp.interval_s * 10);
  figs.push(
    figure("Write rate", rate === null ? "—" : `${fmtBytes(rate)}/s`, rate === null ? measuring : `over the last ${fmtSeconds(u.rate_window_s)}`, "st-rate"),
    figure("Projected per day", u.projected_daily_bytes === null ? "—" : fmtBytes(u.projected_daily_bytes), rate === null ? measuring : `at the measured rate${fills}`, "st-daily"),
    figure("WAL lag", `${fmtInt(u.wal.lag_records)} records`, `not yet checkpointed · WAL ${fmtBytes(u.wal.bytes)} in ${fmtInt(u.wal.segments)} segment${u.wal.segments === 1 ? "" : "s"} · fsync ${u.wal.fsync}`, "st-lag"),
    figure("Last checkpoint", cp.age_s === null ? "none yet" : `${fmtSeconds(cp.age_s)} ago`, `every ${fmtSeconds(cp.interval_s)} · ${fmtInt(cp.count)} so far`, "st-checkpoint", late ? "status-degraded" : ""),
    figure("Errors", fmtInt(u.errors), u.last_error || "none since start", "st-errors", u.errors ? "status-unhealthy" : ""),
    figure("State", u.paused ? "paused" : u.writable ? "writing" : "not writable", u.pause_reason || `format ${s.format}`, "st-state", u.paused || !u.writable ? "status-unhealthy" : "status-healthy"),
  );
  return [h("div", { class: "figures wide" }, figs), h("p", { class: "muted" }, `Root: ${s.root}`)];
}

// Everything else, for when something looks wrong: per-folder sizes and every store counter.
function storageDetails(s, open) {
  const shown = (k, v) => {
    if (v === null || v === undefined || v === "") return "—";
    if (Array.isArray(v)) return v.length ? `${v.length} values, latest ${v[v.length - 1]}` : "none";
    if (typeof v === "boolean") return v ? "yes" : "no";
    if (typeof v !== "number") return String(v);
    if (k.endsWith("_ns")) return v ? `${fmtDateTime(v)} UTC` : "never";
    if (k.endsWith("bytes") || k.endsWith("_bytes_written")) return fmtBytes(v);
    if (k.endsWith("seconds") || k.endsWith("_seconds_total")) return `${v.toFixed(3)} s`;
    return fmtInt(v);
  };
  const el = h("details", { id: "storage-details", open: open.value || null },
    h("summary", {}, "Details: every store counter and the size of each folder"),
    table("Folders under the root", [{ label: "Folder" }, { label: "Files", num: true }, { label: "Size", num: true }],
      Object.entries(s.disk.by_folder).sort().map(([name, b]) => h("tr", {}, td(name), num(fmtInt(b.files)), num(fmtBytes(b.bytes))))),
    s.store
      ? table("Store counters (as in /status and /metrics)", [{ label: "Counter" }, { label: "Value", num: true }],
          Object.entries(s.store).map(([k, v]) => h("tr", { "data-counter": k }, td(k.replaceAll("_", " ")), num(shown(k, v)))))
      : "",
  );
  el.addEventListener("toggle", () => (open.value = el.open));
  return el;
}
