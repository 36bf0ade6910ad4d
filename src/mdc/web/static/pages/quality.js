// The quality page of the dashboard.
import { REFRESH_MS, h, api, fmtInt, fmtTime, fmtDateTime, table, td, every, PALETTE, barChart, serverMode, archiveNotice } from "../ui.js";

export function qualityPage(root) {
  const type = h("select", { id: "q-type" }, h("option", { value: "" }, "gaps and integrity"), h("option", { value: "gap" }, "gaps"), h("option", { value: "integrity" }, "integrity"));
  const symbol = h("input", { id: "q-symbol", placeholder: "any", size: 10 });
  const reason = h("input", { id: "q-reason", placeholder: "any", size: 14 });
  const canvas = h("canvas", { id: "quality-chart", role: "img", "aria-label": "Gap and integrity events per minute, last 30 minutes" });
  const legend = h("ul", { class: "legend", id: "quality-legend" });
  const events = h("div", { id: "quality-events" });
  const bad = h("div", { id: "bad-frames" });
  const form = h("form", { class: "inline" }, h("label", {}, "Type", type), h("label", {}, "Symbol", symbol), h("label", {}, "Reason / kind", reason));
  form.addEventListener("submit", (e) => e.preventDefault());
  root.append(
    h("h1", {}, "Data quality"),
    h("div", { class: "grid" },
      h("section", { class: "card span-12" }, h("h2", {}, "Gap and integrity events per minute (last 30 minutes)"), canvas, legend),
      h("section", { class: "card span-12" }, h("h2", {}, "Events"), form, h("div", { class: "scroll" }, events)),
      h("section", { class: "card span-12" }, h("h2", {}, "Bad frames"), bad)),
  );
  const refresh = async () => {
    const q = new URLSearchParams();
    if (type.value) q.set("type", type.value);
    if (symbol.value.trim()) q.set("symbol", symbol.value.trim().toUpperCase());
    if (reason.value.trim()) q.set("reason", reason.value.trim());
    try {
      const [rows, summary] = await Promise.all([api(`/api/quality/events?${q}`), api("/api/quality/summary?bucket_s=60")]);
      const keys = [...new Set(summary.buckets.flatMap((b) => Object.keys(b.counts)))];
      keys.sort();
      barChart(canvas, summary.buckets.map((b) => ({ t: b.ts_ns / 1e9, counts: b.counts })), keys, { bucket: 60, buckets: 30, empty: "no gap or integrity events seen" });
      legend.replaceChildren(...keys.map((k, i) => h("li", {}, h("span", { class: "swatch", style: `background:${PALETTE[i % PALETTE.length]}` }), k)));
      events.replaceChildren(
        table(
          `${rows.length} events (newest first)`,
          [{ label: "Received (UTC)" }, { label: "Type" }, { label: "Symbol" }, { label: "Reason / kind" }, { label: "Span / severity" }, { label: "Provider" }, { label: "Detail" }],
          rows.map((r) =>
            h("tr", { "data-type": r.type },
              td(fmtDateTime(r.ts_recv)), td(r.type), td(r.symbol), td(r.reason),
              td(r.type === "gap" ? `${fmtTime(r.from_ts)} → ${fmtTime(r.to_ts)}` : r.severity),
              td(r.provider), td(r.detail)),
          ),
        ),
      );
    } catch (err) {
      events.replaceChildren(h("p", { class: "msg error" }, err.message));
    }
    if ((await serverMode()) === "archive") {
      bad.replaceChildren(h("p", { class: "muted" }, "No live feed, so no bad frames."));
      return;
    }
    try {
      const frames = await api("/api/quality/bad-frames");
      bad.replaceChildren(
        table(
          `${fmtInt(frames.count)} bad frames since start (most recent shown)`,
          [{ label: "Received (UTC)" }, { label: "Provider" }, { label: "Error" }, { label: "Frame" }],
          frames.recent.slice(0, 20).map((f) => h("tr", {}, td(fmtDateTime(f.ts_recv)), td(f.provider), td(f.error), td(f.frame.slice(0, 120)))),
        ),
      );
    } catch (err) {
      bad.replaceChildren(h("p", { class: "muted" }, err.message));
    }
  };
  [type, symbol, reason].forEach((el) => el.addEventListener("change", refresh));
  serverMode().then((mode) => mode === "archive" &&
    root.querySelector(".grid").before(archiveNotice("live gap and integrity events are not shown; the gaps stored in the archive are listed by mdc gaps")));
  return every(REFRESH_MS, refresh);
}
