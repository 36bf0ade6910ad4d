// The Data quality page: the archive's completeness calendar (click a day: its gaps and a
// Repair button that queues the backfill), anomalies with filters, the providers of one
// symbol's day side by side, and the live gap and integrity events.
import { REFRESH_MS, h, api, fmtInt, fmtTime, fmtDateTime, table, td, num, message, every, PALETTE, barChart, serverMode, archiveNotice } from "../ui.js";

const KINDS = ["price_spike", "volume_outlier", "crossed_quote", "locked_quote", "stale_quote", "ts_out_of_order", "future_timestamp", "trade_outside_bbo", "bad_ohlc", "provider_divergence"];
const isoDay = (d) => d.toISOString().slice(0, 10);
const scoreClass = (s) => (s >= 99 ? "good" : s >= 90 ? "fair" : s >= 50 ? "poor" : "bad");

export function qualityPage(root, params) {
  const today = new Date();
  const from = h("input", { id: "c-from", type: "date", value: params.get("from") || isoDay(new Date(today - 29 * 86400e3)) });
  const to = h("input", { id: "c-to", type: "date", value: params.get("to") || isoDay(today) });
  const symbols = h("input", { id: "c-symbols", placeholder: "configured symbols", size: 18, value: params.get("symbols") || "" });
  const kind = h("select", { id: "c-type" }, ...["trades", "quotes", "bars"].map((k) => h("option", { value: k }, k)));
  const check = h("button", { type: "submit", id: "c-check" }, "Check");
  const calendar = h("div", { id: "completeness" });
  const day = h("div", { id: "day-detail" });
  const cform = h("form", { class: "inline", id: "completeness-form" }, h("label", {}, "From", from), h("label", {}, "To", to), h("label", {}, "Symbols", symbols), h("label", {}, "Type", kind), check);

  const aSymbol = h("input", { id: "a-symbol", placeholder: "AAPL", size: 10 });
  const aKind = h("select", { id: "a-kind" }, h("option", { value: "" }, "any kind"), ...KINDS.map((k) => h("option", { value: k }, k)));
  const aSeverity = h("select", { id: "a-severity" }, ...["info", "warning", "error"].map((s) => h("option", { value: s }, `${s} or worse`)));
  const anomalies = h("div", { id: "anomalies" });
  const aform = h("form", { class: "inline", id: "anomaly-form" }, h("label", {}, "Symbol", aSymbol), h("label", {}, "Kind", aKind), h("label", {}, "Severity", aSeverity), h("button", { type: "submit" }, "Find"));
  const compare = h("div", { id: "provider-compare" }, h("p", { class: "muted" }, "Click a day in the calendar to compare its providers."));

  const type = h("select", { id: "q-type" }, h("option", { value: "" }, "gaps and integrity"), h("option", { value: "gap" }, "gaps"), h("option", { value: "integrity" }, "integrity"));
  const symbol = h("input", { id: "q-symbol", placeholder: "any", size: 10 });
  const reason = h("input", { id: "q-reason", placeholder: "any", size: 14 });
  const canvas = h("canvas", { id: "quality-chart", role: "img", "aria-label": "Gap and integrity events per minute, last 30 minutes" });
  const legend = h("ul", { class: "legend", id: "quality-legend" });
  const events = h("div", { id: "quality-events" });
  const bad = h("div", { id: "bad-frames" });
  const form = h("form", { class: "inline" }, h("label", {}, "Type", type), h("label", {}, "Symbol", symbol), h("label", {}, "Reason / kind", reason));
  form.addEventListener("submit", (e) => e.preventDefault());
  const live = h("div", { class: "grid", id: "live-quality" },
    h("section", { class: "card span-12" }, h("h2", {}, "Gap and integrity events per minute (last 30 minutes)"), canvas, legend),
    h("section", { class: "card span-12" }, h("h2", {}, "Events"), form, h("div", { class: "scroll" }, events)),
    h("section", { class: "card span-12" }, h("h2", {}, "Bad frames"), bad));
  root.append(
    h("h1", {}, "Data quality"),
    h("div", { class: "grid" },
      h("section", { class: "card span-12" }, h("h2", {}, "Completeness per session day"), cform, h("p", { class: "muted" }, "Score 0–100 per day against the exchange calendar (docs/quality.md); grey days had no session."), calendar, day),
      h("section", { class: "card span-6" }, h("h2", {}, "Anomalies"), aform, h("div", { class: "scroll" }, anomalies)),
      h("section", { class: "card span-6" }, h("h2", {}, "Providers compared"), compare)),
    live,
  );

  // -- completeness calendar ------------------------------------------------------------------
  let rows = [];
  const loadCalendar = async () => {
    const q = new URLSearchParams({ start: from.value, end: to.value, type: kind.value });
    if (symbols.value.trim()) q.set("symbols", symbols.value.trim().toUpperCase());
    calendar.replaceChildren(h("p", { class: "muted" }, "checking the archive…"));
    day.replaceChildren();
    try {
      const body = await api(`/api/quality/completeness?${q}`);
      rows = body.days;
      calendar.replaceChildren(...body.symbols.map((s) => symbolCalendar(s, body, selectDay)));
      if (!aSymbol.value && body.symbols.length) aSymbol.value = body.symbols[0];
    } catch (err) {
      calendar.replaceChildren(h("p", { class: "msg error" }, err.message));
    }
  };
  const selectDay = (sym, date) => {
    calendar.querySelectorAll("button[aria-pressed=true]").forEach((b) => b.setAttribute("aria-pressed", "false"));
    calendar.querySelector(`button[data-symbol="${CSS.escape(sym)}"][data-day="${date}"]`)?.setAttribute("aria-pressed", "true");
    const r = rows.find((x) => x.symbol === sym && x.day === date);
    const note = h("span", { class: "msg", id: "repair-msg", role: "status" });
    const repair = h("button", { type: "button", id: "repair" }, `Repair ${sym} ${date}`);
    repair.addEventListener("click", async () => {
      repair.disabled = true;
      try {
        const job = await api("/api/backfill/jobs", { method: "POST", body: { symbols: [sym], start: date, end: date, type: r.kind === "bars" ? "bars" : r.kind, granularity: r.kind === "bars" ? r.interval : "1d", repair: true } });
        message(note, `backfill job ${job.id} queued (${job.state}); see Backfill`, true);
      } catch (err) {
        message(note, err.message, false);
        repair.disabled = false;
      }
    });
    serverMode().then((mode) => { if (mode === "archive") { repair.disabled = true; repair.title = "repairs run inside mdc collect"; } });
    day.replaceChildren(
      h("h3", {}, `${sym} ${date} (${r.kind}): score ${r.score}, ${r.covered_pct} % covered${r.early_close ? ", early close" : ""}`),
      h("p", { class: "muted" }, `session ${fmtTime(r.open_ns)}–${fmtTime(r.close_ns)} UTC; expected ${fmtInt(r.expected_s)} s, missing ${fmtInt(r.missing_s)} s, halted ${fmtInt(r.halted_s)} s; ${r.empty_minutes} of ${r.expected_minutes} minutes empty; ${r.known_gaps} recorded gaps, ${r.repaired_gaps} repaired`),
      r.missing.length
        ? table(`${r.missing.length} missing spans`, [{ label: "From (UTC)" }, { label: "To (UTC)" }, { label: "Seconds", num: true }, { label: "Reason" }, { label: "Detail" }],
          r.missing.map((m) => h("tr", {}, td(fmtTime(m.from_ts)), td(fmtTime(m.to_ts)), num(fmtInt(m.seconds)), td(m.reason), td(m.detail))), { id: "day-gaps" })
        : h("p", { id: "day-gaps" }, "Nothing missing."),
      h("p", {}, repair, " ", note),
    );
    loadCompare(sym, date);
  };
  cform.addEventListener("submit", (e) => { e.preventDefault(); loadCalendar(); });

  // -- providers compared -----------------------------------------------------------------------
  const loadCompare = async (sym, date) => {
    try {
      const c = await api(`/api/quality/compare?symbol=${encodeURIComponent(sym)}&day=${date}`);
      compare.replaceChildren(
        h("div", { class: "scroll" }, table(`${sym} ${date}: ${c.providers.length} providers`, [{ label: "Provider" }, { label: "Trades", num: true }, { label: "Quotes", num: true }, { label: "Volume", num: true }, { label: "VWAP", num: true }, { label: "Low", num: true }, { label: "High", num: true }, { label: "First" }, { label: "Last" }],
          c.providers.map((p) => h("tr", { "data-provider": p.provider }, td(p.provider), num(fmtInt(p.trades)), num(fmtInt(p.quotes)), num(fmtInt(p.volume)), num(p.vwap === null ? "—" : p.vwap.toFixed(4)), num(p.low ?? "—"), num(p.high ?? "—"), td(fmtTime(p.first_ns)), td(fmtTime(p.last_ns)))))),
        c.divergences.length
          ? h("ul", { id: "divergences" }, ...c.divergences.map((d) => h("li", { class: "warning" }, `${fmtTime(d.ts_event)} ${d.providers}: ${d.detail}`)))
          : h("p", { class: "muted", id: "divergences" }, c.providers.length > 1 ? "No divergence between the providers." : "One provider: nothing to compare."),
      );
    } catch (err) {
      compare.replaceChildren(h("p", { class: "msg error" }, err.message));
    }
  };

  // -- anomalies --------------------------------------------------------------------------------
  const loadAnomalies = async () => {
    const sym = aSymbol.value.trim().toUpperCase();
    if (!sym) return;
    const q = new URLSearchParams({ symbol: sym, start: from.value, end: to.value, severity: aSeverity.value });
    if (aKind.value) q.set("kind", aKind.value);
    anomalies.replaceChildren(h("p", { class: "muted" }, "replaying the archive…"));
    try {
      const a = await api(`/api/quality/anomalies?${q}`);
      const counts = Object.entries(a.counts).map(([k, n]) => `${k} ${n}`).join(", ") || "none";
      anomalies.replaceChildren(
        table(`${fmtInt(a.matched)} of ${fmtInt(Object.values(a.counts).reduce((x, y) => x + y, 0))} findings (${counts})`, [{ label: "Time (UTC)" }, { label: "Kind" }, { label: "Severity" }, { label: "Provider" }, { label: "Detail" }],
          a.findings.map((f) => h("tr", { class: f.severity, "data-kind": f.kind }, td(fmtDateTime(f.ts_event)), td(f.kind), td(f.severity), td(f.provider), td(f.detail))), { id: "anomaly-table" }),
      );
    } catch (err) {
      anomalies.replaceChildren(h("p", { class: "msg error" }, err.message));
    }
  };
  aform.addEventListener("submit", (e) => { e.preventDefault(); loadAnomalies(); });
  [aKind, aSeverity].forEach((el) => el.addEventListener("change", loadAnomalies));
  loadCalendar().then(loadAnomalies);

  // -- live events (unchanged) ------------------------------------------------------------------
  const refresh = async () => {
    const q = new URLSearchParams();
    if (type.value) q.set("type", type.value);
    if (symbol.value.trim()) q.set("symbol", symbol.value.trim().toUpperCase());
    if (reason.value.trim()) q.set("reason", reason.value.trim());
    try {
      const [evs, summary] = await Promise.all([api(`/api/quality/events?${q}`), api("/api/quality/summary?bucket_s=60")]);
      const keys = [...new Set(summary.buckets.flatMap((b) => Object.keys(b.counts)))];
      keys.sort();
      barChart(canvas, summary.buckets.map((b) => ({ t: b.ts_ns / 1e9, counts: b.counts })), keys, { bucket: 60, buckets: 30, empty: "no gap or integrity events seen" });
      legend.replaceChildren(...keys.map((k, i) => h("li", {}, h("span", { class: "swatch", style: `background:${PALETTE[i % PALETTE.length]}` }), k)));
      events.replaceChildren(
        table(
          `${evs.length} events (newest first)`,
          [{ label: "Received (UTC)" }, { label: "Type" }, { label: "Symbol" }, { label: "Reason / kind" }, { label: "Span / severity" }, { label: "Provider" }, { label: "Detail" }],
          evs.map((r) =>
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
    live.before(archiveNotice("live gap and integrity events are not shown; the archive's completeness and anomalies above are")));
  return every(REFRESH_MS, refresh);
}

/** One symbol's month-by-week calendar of buttons, coloured by the day's score. */
function symbolCalendar(sym, body, onPick) {
  const scores = new Map(body.days.filter((d) => d.symbol === sym).map((d) => [d.day, d.score]));
  const start = new Date(`${body.start}T00:00:00Z`), end = new Date(`${body.end}T00:00:00Z`);
  const first = new Date(start - ((start.getUTCDay() + 6) % 7) * 86400e3); // back to Monday
  const cells = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map((d) => h("div", { class: "cal-head" }, d));
  for (let t = first; t <= end; t = new Date(+t + 86400e3)) {
    const date = isoDay(t);
    if (t < start) { cells.push(h("div", { class: "cal-pad" })); continue; }
    const score = scores.get(date);
    if (score === undefined) {
      cells.push(h("div", { class: "cal-day none", title: `${date}: no session` }, String(t.getUTCDate())));
      continue;
    }
    const b = h("button", { type: "button", class: `cal-day ${scoreClass(score)}`, "data-symbol": sym, "data-day": date, "aria-pressed": "false", title: `${date}: score ${score}` }, String(t.getUTCDate()), h("small", {}, String(Math.round(score))));
    b.addEventListener("click", () => onPick(sym, date));
    cells.push(b);
  }
  const s = body.scores.find((x) => x.symbol === sym);
  return h("div", { class: "cal-symbol" }, h("h3", {}, `${sym}: completeness ${s && s.completeness !== null ? s.completeness : "—"}`), h("div", { class: "cal", "data-symbol": sym, role: "group", "aria-label": `${sym} completeness calendar` }, ...cells));
}
