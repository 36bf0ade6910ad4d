// The overview page of the dashboard.
import { REFRESH_MS, h, api, fmtInt, fmtBytes, fmtDuration, figure, table, td, every, onStatus, lineChart, serverMode, archiveNotice } from "../ui.js";

export function overviewPage(root) {
  const figures = h("div", { class: "figures", id: "figures" });
  const alerts = h("ul", { class: "alerts", id: "alerts", "aria-live": "polite" });
  const canvas = h("canvas", { id: "throughput-chart", role: "img", "aria-label": "Events per second over the last minutes" });
  const checks = h("div", { id: "checks" });
  root.append(
    h("h1", {}, "Overview"),
    h("div", { class: "grid" },
      h("section", { class: "card span-12" }, h("h2", {}, "Figures"), figures),
      h("section", { class: "card span-8" }, h("h2", {}, "Throughput (events/s)"), canvas),
      h("section", { class: "card span-4" }, h("h2", {}, "Alerts"), alerts),
      h("section", { class: "card span-12" }, h("h2", {}, "Health checks"), checks),
    ),
  );
  let points = [];
  serverMode().then((mode) => mode === "live" &&
    api("/api/live/throughput")
      .then((rows) => (points = rows.map((r) => [r.ts, r.events_per_s])))
      .catch(() => {}));
  let incidents = []; // open [[alerts]] incidents (GET /api/alerts)
  const renderAlerts = (s) => {
    const items = [
      ...incidents.map((i) => h("li", { class: "unhealthy incident" }, h("b", {}, i.rule), ` — ${i.subject}: ${i.detail} `, h("a", { href: "#/notifications" }, "notifications"))),
      ...s.health.alerts.map((a) => h("li", { class: a.status }, h("b", {}, a.name), ` — ${a.detail}`)),
    ];
    alerts.replaceChildren(...(items.length ? items : [h("li", { class: "muted" }, "No alerts: every check is healthy and no alert rule is firing.")]));
  };
  const fig = (label, value, id) => figure(label, value, null, id);
  let held = null; // what the archive holds (archive view only)
  const stopStatus = onStatus((s) => {
    if (s.mode === "archive") {
      if (!held) {
        held = {};
        canvas.replaceWith(archiveNotice("there is no live throughput"));
        api("/api/storage/contents").then((c) => (held = c), (err) => (held = { error: err.message }));
      }
      figures.replaceChildren(
        fig("Health", s.health.status, "fig-health"),
        fig("Mode", "archive view", "fig-mode"),
        fig("Symbols in the archive", held.symbols ? fmtInt(held.symbols.length) : "…", "fig-symbols"),
        fig("Event types", held.types ? Object.keys(held.types).join(", ") || "none" : "…", "fig-types"),
        fig("Data from", held.first || "—", "fig-first"),
        fig("Data to", held.last || "—", "fig-last"),
        fig("Archive files", held.files === undefined ? "…" : fmtInt(held.files), "fig-files"),
        fig("Archive size", held.bytes === undefined ? "…" : fmtBytes(held.bytes), "fig-size"),
        fig("Uptime", fmtDuration(s.uptime_s), "fig-uptime"),
      );
      renderAlerts(s);
      return;
    }
    const p = s.pipeline || {};
    const consumers = p.consumers || [];
    const dropped = consumers.reduce((n, c) => n + c.dropped, 0);
    const connected = Object.values(s.providers || {}).filter((x) => x.connected).length;
    figures.replaceChildren(
      fig("Health", s.health.status, "fig-health"),
      fig("Events received", fmtInt(p.events_in), "fig-events"),
      fig("Events stored", fmtInt(p.events_stored), "fig-stored"),
      fig("Events/s", s.throughput ? fmtInt(s.throughput.events_per_s) : "—", "fig-rate"),
      fig("Symbols", fmtInt(Object.keys(s.symbols || {}).length), "fig-symbols"),
      fig("Providers connected", `${connected}/${Object.keys(s.providers || {}).length}`, "fig-providers"),
      fig("Dropped (live consumers)", fmtInt(dropped), "fig-dropped"),
      fig("Bad frames", fmtInt(p.bad_frames), "fig-bad"),
      fig("Uptime", fmtDuration(s.uptime_s), "fig-uptime"),
    );
    renderAlerts(s);
    if (s.throughput && (!points.length || s.throughput.ts > points[points.length - 1][0])) {
      points.push([s.throughput.ts, s.throughput.events_per_s]);
      points = points.slice(-600);
    }
    lineChart(canvas, [{ label: "events/s", points }], { zero: true });
  });
  const stopChecks = every(REFRESH_MS, async () => {
    try {
      incidents = (await api("/api/alerts")).open;
    } catch {
      incidents = [];
    }
    try {
      const res = await fetch("/health");
      const report = await res.json();
      checks.replaceChildren(
        table(
          "Health checks (degraded or unhealthy ones also appear under Alerts)",
          [{ label: "Check" }, { label: "Status" }, { label: "Detail" }],
          report.checks.map((c) => h("tr", {}, td(c.name), td(c.status, `status-${c.status}`), td(c.detail))),
        ),
      );
    } catch {
      /* the badge shows the disconnection */
    }
  });
  return () => {
    stopStatus();
    stopChecks();
  };
}
