// The mdc dashboard: a hash-routed single page, no build step. Each page renders into <main>
// and returns a cleanup function (closing its streams and timers) for when the user leaves it.
import { PALETTE, barChart, lineChart } from "./charts.js";

const main = document.getElementById("main");
const REFRESH_MS = 2000;
const KEY_STORAGE = "mdc.apiKey";

// ---- helpers -----------------------------------------------------------------------------
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function api(path, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  const key = localStorage.getItem(KEY_STORAGE);
  if (key && opts.method && opts.method !== "GET") headers["X-API-Key"] = key;
  const res = await fetch(path, {
    method: opts.method || "GET",
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = new Error(errorText(data) || `${res.status} ${res.statusText}`);
    err.status = res.status;
    throw err;
  }
  return data;
}

function errorText(data) {
  if (!data || data.detail === undefined) return "";
  if (typeof data.detail === "string") return data.detail;
  return data.detail.map((d) => `${d.loc.slice(1).join(".")}: ${d.msg}`).join("; ");
}

const nf = new Intl.NumberFormat("en-US");
const fmtInt = (n) => (n === null || n === undefined ? "—" : nf.format(Math.round(n)));
const fmtPx = (p) => (p === null || p === undefined ? "—" : Number(p).toFixed(p >= 1000 ? 2 : 4).replace(/0{1,2}$/, ""));
const fmtTime = (ns) => (ns ? new Date(ns / 1e6).toISOString().slice(11, 23) : "—");
const fmtDateTime = (ns) => (ns ? new Date(ns / 1e6).toISOString().replace("T", " ").slice(0, 23) : "—");
function fmtAge(ns) {
  if (!ns) return "never";
  const s = (Date.now() * 1e6 - ns) / 1e9;
  if (s < 1) return "just now";
  if (s < 120) return `${s.toFixed(0)} s ago`;
  if (s < 7200) return `${(s / 60).toFixed(0)} min ago`;
  return `${(s / 3600).toFixed(1)} h ago`;
}
function fmtBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}
function fmtDuration(s) {
  const d = Math.floor(s / 86400), hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60), ss = Math.floor(s % 60);
  return (d ? `${d}d ` : "") + `${String(hh).padStart(2, "0")}:${String(mm).padStart(2, "0")}:${String(ss).padStart(2, "0")}`;
}

function table(caption, columns, rows, attrs = {}) {
  return h(
    "table",
    attrs,
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label)))),
    h("tbody", {}, rows),
  );
}
const td = (v, cls) => h("td", { class: cls }, v);
const num = (v) => td(v, "num");
function message(el, text, ok) {
  el.textContent = text;
  el.className = "msg " + (ok ? "ok" : "error");
}
function every(ms, fn) {
  fn();
  const id = setInterval(fn, ms);
  return () => clearInterval(id);
}

// ---- the global status stream (header badge, Overview) ------------------------------------
let latestStatus = null;
const statusListeners = new Set();
function startStatusStream() {
  const source = new EventSource("/api/stream");
  source.addEventListener("status", (ev) => {
    latestStatus = JSON.parse(ev.data);
    const badge = document.getElementById("health-badge");
    const st = latestStatus.health.status;
    badge.textContent = st;
    badge.className = "badge " + st;
    badge.title = latestStatus.health.alerts.map((a) => `${a.name}: ${a.detail}`).join("\n");
    document.getElementById("mode").textContent =
      latestStatus.mode === "live" ? `live · v${latestStatus.version}` : `archive · v${latestStatus.version}`;
    statusListeners.forEach((fn) => fn(latestStatus));
  });
  source.onerror = () => {
    const badge = document.getElementById("health-badge");
    badge.textContent = "disconnected";
    badge.className = "badge unhealthy";
  };
}
function onStatus(fn) {
  statusListeners.add(fn);
  if (latestStatus) fn(latestStatus);
  return () => statusListeners.delete(fn);
}

// ---- pages ---------------------------------------------------------------------------------
const pages = {
  overview(root) {
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
    api("/api/live/throughput")
      .then((rows) => (points = rows.map((r) => [r.ts, r.events_per_s])))
      .catch(() => {});
    const fig = (label, value, id) => h("div", { class: "figure", id }, h("div", { class: "value" }, value), h("div", { class: "label" }, label));
    const stopStatus = onStatus((s) => {
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
      alerts.replaceChildren(
        ...(s.health.alerts.length
          ? s.health.alerts.map((a) => h("li", { class: a.status }, h("b", {}, a.name), ` — ${a.detail}`))
          : [h("li", { class: "muted" }, "No alerts: every check is healthy.")]),
      );
      if (s.throughput && (!points.length || s.throughput.ts > points[points.length - 1][0])) {
        points.push([s.throughput.ts, s.throughput.events_per_s]);
        points = points.slice(-600);
      }
      lineChart(canvas, [{ label: "events/s", points }], { zero: true });
    });
    const stopChecks = every(REFRESH_MS, async () => {
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
  },

  live(root, params) {
    const select = h("select", { id: "live-symbol", "aria-label": "Symbol" });
    const bbo = h("div", { class: "bbo", id: "bbo", "aria-live": "off" });
    const canvas = h("canvas", { id: "price-chart", class: "tall", role: "img", "aria-label": "Trade prices" });
    const tape = h("tbody", { id: "trade-tape" });
    const ladder = h("tbody", { id: "book-ladder" });
    const count = h("span", { id: "trade-count", class: "muted" });
    root.append(
      h("h1", {}, "Live"),
      h("div", { class: "grid" },
        h("section", { class: "card span-12" },
          h("form", { class: "inline", onsubmit: (e) => e.preventDefault() }, h("label", {}, "Symbol", select), bbo)),
        h("section", { class: "card span-8" }, h("h2", {}, "Price (last trade, 250 ms steps) ", count), canvas),
        h("section", { class: "card span-4" }, h("h2", {}, "Order book"),
          h("table", { class: "ladder", "aria-label": "Order book ladder" },
            h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "num" }, "Bid size"), h("th", { scope: "col", class: "num" }, "Price"), h("th", { scope: "col", class: "num" }, "Ask size"))),
            ladder)),
        h("section", { class: "card span-12" }, h("h2", {}, "Trade tape"),
          h("div", { class: "scroll" },
            table("Most recent first", [{ label: "Time (UTC)" }, { label: "Price", num: true }, { label: "Size", num: true }, { label: "Side" }, { label: "Venue" }], [], {})),
        ),
      ),
    );
    root.querySelector(".scroll table tbody").replaceWith(tape);
    let source = null;
    let prices = [];
    let trades = [];
    const render = (snap) => {
      count.textContent = `· ${fmtInt(snap.trade_count)} trades seen`;
      const b = snap.bbo;
      bbo.replaceChildren(
        b ? h("span", { class: "buy" }, "Bid ", h("b", {}, fmtPx(b.bid_price)), ` × ${fmtInt(b.bid_size)}`) : h("span", { class: "muted" }, "no quote yet"),
        b ? h("span", { class: "sell" }, "Ask ", h("b", {}, fmtPx(b.ask_price)), ` × ${fmtInt(b.ask_size)}`) : "",
        b ? h("span", { class: "muted" }, `spread ${fmtPx(b.ask_price - b.bid_price)}`) : "",
      );
      tape.replaceChildren(...trades.map((t) => h("tr", {}, td(fmtTime(t.ts_event)), num(fmtPx(t.price)), num(fmtInt(t.size)), td(t.side, t.side), td(t.venue))));
      renderLadder(ladder, snap.book);
      lineChart(canvas, [{ label: select.value, points: prices.map(([ts, px]) => [ts / 1e9, px]) }]);
    };
    const open = (symbol) => {
      if (source) source.close();
      prices = [];
      trades = [];
      if (!symbol) return;
      location.replace(`#/live?symbol=${encodeURIComponent(symbol)}`);
      source = new EventSource(`/api/live/${encodeURIComponent(symbol)}/stream`);
      source.addEventListener("snapshot", (ev) => {
        const snap = JSON.parse(ev.data);
        prices = snap.prices;
        trades = snap.trades;
        render(snap);
      });
      source.addEventListener("update", (ev) => {
        const up = JSON.parse(ev.data);
        if (up.prices.length) {
          const first = up.prices[0][0];
          while (prices.length && prices[prices.length - 1][0] >= first) prices.pop();
          prices = prices.concat(up.prices).slice(-1200);
        }
        trades = up.trades.concat(trades).slice(0, 50);
        render(up);
      });
    };
    select.addEventListener("change", () => open(select.value));
    api("/api/symbols")
      .then((list) => {
        select.replaceChildren(...list.map((s) => h("option", { value: s.symbol }, s.symbol)));
        const wanted = params.get("symbol");
        if (wanted && list.some((s) => s.symbol === wanted)) select.value = wanted;
        if (!list.length) bbo.replaceChildren(h("span", { class: "muted" }, "No symbols subscribed (or no live collector)."));
        open(select.value);
      })
      .catch((e) => bbo.replaceChildren(h("span", { class: "msg error" }, e.message)));
    return () => source && source.close();
  },

  symbols(root) {
    const input = h("input", { id: "new-symbol", name: "symbol", required: true, placeholder: "e.g. NVDA", pattern: "[A-Za-z0-9][A-Za-z0-9._:/^=\\-]{0,63}", autocomplete: "off" });
    const boxes = ["trades", "quotes", "depth"].map((k) => h("input", { type: "checkbox", id: `opt-${k}`, checked: true }));
    const levels = h("input", { type: "number", id: "opt-levels", min: 1, max: 50, value: 10 });
    const msg = h("div", { class: "msg", role: "status", "aria-live": "polite", id: "symbols-msg" });
    const list = h("div", { id: "symbol-list" });
    const form = h("form", { class: "inline", id: "add-symbol-form" },
      h("label", {}, "Symbol", input),
      ...boxes.map((b, i) => h("label", { class: "check" }, b, ["Trades", "Quotes", "Depth"][i])),
      h("label", {}, "Depth levels", levels),
      h("button", { type: "submit" }, "Subscribe"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const symbol = input.value.trim().toUpperCase();
      try {
        const res = await api("/api/symbols", {
          method: "POST",
          body: { symbols: [{ symbol, trades: boxes[0].checked, quotes: boxes[1].checked, depth: boxes[2].checked, depth_levels: Number(levels.value) }] },
        });
        message(msg, res.added.length ? `Subscribed to ${res.added.join(", ")}.` : `${symbol} is already subscribed.`, true);
        input.value = "";
        refresh();
      } catch (err) {
        message(msg, err.message, false);
      }
    });
    root.append(
      h("h1", {}, "Symbols"),
      h("div", { class: "grid" },
        h("section", { class: "card span-12" }, h("h2", {}, "Subscribe"), form, msg),
        h("section", { class: "card span-12" }, h("h2", {}, "Subscribed"), list)),
    );
    const remove = async (symbol) => {
      try {
        await api(`/api/symbols/${encodeURIComponent(symbol)}`, { method: "DELETE" });
        message(msg, `Unsubscribed from ${symbol}.`, true);
        refresh();
      } catch (err) {
        message(msg, err.message, false);
      }
    };
    const refresh = async () => {
      try {
        const rows = await api("/api/symbols");
        list.replaceChildren(
          table(
            `${rows.length} symbols`,
            [{ label: "Symbol" }, { label: "Trades" }, { label: "Quotes" }, { label: "Depth" }, { label: "Levels", num: true }, { label: "Events", num: true }, { label: "Last event" }, { label: "Actions" }],
            rows.map((s) =>
              h("tr", { "data-symbol": s.symbol },
                td(h("a", { href: `#/live?symbol=${encodeURIComponent(s.symbol)}` }, s.symbol)),
                td(s.trades ? "yes" : "no"), td(s.quotes ? "yes" : "no"), td(s.depth ? "yes" : "no"),
                num(s.depth_levels), h("td", { class: "num events" }, fmtInt(s.events)), td(fmtAge(s.last_event_ns)),
                td(h("button", { class: "danger", type: "button", "aria-label": `Unsubscribe ${s.symbol}`, onclick: () => remove(s.symbol) }, "Remove")),
              ),
            ),
          ),
        );
      } catch (err) {
        message(msg, err.message, false);
      }
    };
    return every(REFRESH_MS, refresh);
  },

  providers(root) {
    const list = h("div", { id: "provider-list" });
    const channels = h("div", { id: "feed-channels" });
    const imports = h("div", { id: "import-list" });
    root.append(h("h1", {}, "Providers"), h("section", { class: "card" }, list), channels, imports);
    const perLine = (o) => Object.entries(o || {}).map(([k, v]) => `${k} ${fmtInt(v)}`).join(", ") || "—";
    const caps = (c) =>
      ["trades", "quotes", "depth", "bars", "corporate_actions"].filter((k) => c[k]).join(", ") + (c.max_depth_levels ? ` (${c.max_depth_levels} levels)` : "");
    return every(REFRESH_MS, async () => {
      try {
        const rows = await api("/api/providers");
        list.replaceChildren(
          table(
            `${rows.length} providers known`,
            [{ label: "Provider" }, { label: "Kind" }, { label: "Capabilities" }, { label: "Credentials" }, { label: "Connection" }, { label: "Messages", num: true }, { label: "Events", num: true }, { label: "Gaps", num: true }, { label: "Bad frames", num: true }, { label: "Reconnects", num: true }, { label: "Last message" }],
            rows.map((p) =>
              h("tr", { "data-provider": p.name },
                td(h("span", { title: p.plan_notes ? `${p.description}. Plans: ${p.plan_notes}` : p.description }, p.name + (p.primary ? " (primary)" : ""))),
                td([p.streaming && "stream", p.historical && "history", p.search && "search"].filter(Boolean).join(", ")),
                td(caps(p.capabilities)),
                td(p.credentials.length ? p.credentials.map((c) => `${c.name}: ${c.set ? "set" : "missing"}`).join(", ") : "none needed"),
                p.connection ? td(p.connection.state, p.connection.connected ? "status-healthy" : "status-degraded") : td("not running", "muted"),
                num(p.connection ? fmtInt(p.connection.messages) : "—"),
                h("td", { class: "num conn-events" }, p.connection ? fmtInt(p.connection.events) : "—"),
                h("td", { class: "num conn-gaps" }, p.connection ? fmtInt(p.connection.gaps) : "—"),
                h("td", { class: "num conn-bad-frames" }, p.connection ? fmtInt(p.connection.bad_frames) : "—"),
                num(p.connection ? fmtInt(p.connection.reconnects) : "—"),
                td(p.connection ? fmtAge(p.connection.last_message_ns) : "—"),
              ),
            ),
          ),
        );
        // Channel-level feeds (NYSE XDP): sequence, A/B arbitration and gaps per channel.
        const feeds = rows.filter((p) => p.connection && p.connection.details && p.connection.details.channels);
        channels.replaceChildren(
          ...feeds.map((p) =>
            h("section", { class: "card", "data-feed": p.name },
              table(
                `${p.name} channels · ${fmtInt(p.connection.details.symbols)} symbols · ${fmtInt(p.connection.details.stale_books)} stale books · ${fmtInt(p.connection.details.unknown_orders)} unknown orders`,
                [{ label: "Channel" }, { label: "Venue" }, { label: "Next seq", num: true }, { label: "Messages", num: true }, { label: "Packets per line" }, { label: "Duplicates per line" }, { label: "Heartbeats", num: true }, { label: "Gaps", num: true }, { label: "Missing", num: true }, { label: "Resets", num: true }, { label: "Held", num: true }],
                p.connection.details.channels.map((c) =>
                  h("tr", { "data-channel": c.channel },
                    td(String(c.channel)), td(c.venue), num(c.next_seq == null ? "—" : fmtInt(c.next_seq)), num(fmtInt(c.messages)),
                    td(perLine(c.packets)), td(perLine(c.duplicates)), num(fmtInt(c.heartbeats)),
                    h("td", { class: "num channel-gaps" }, fmtInt(c.gaps)), num(fmtInt(c.missing_messages)),
                    num(fmtInt(c.sequence_resets)), num(fmtInt(c.pending_packets)),
                  ),
                ),
              ),
            ),
          ),
        );
        const done = await api("/api/imports");
        imports.replaceChildren(
          done.length
            ? h("section", { class: "card" },
                table(`${done.length} file imports (mdc import)`,
                  [{ label: "Kind" }, { label: "File" }, { label: "Events", num: true }, { label: "State" }],
                  done.map((i) => h("tr", {}, td(i.kind), td(i.source), num(fmtInt(i.events)), td(i.done ? "done" : "interrupted")))))
            : "",
        );
      } catch (err) {
        list.replaceChildren(h("p", { class: "msg error" }, err.message));
      }
    });
  },

  storage(root, params) {
    const stats = h("div", { id: "storage-stats" });
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
        const store = s.store ? Object.entries(s.store).filter(([, v]) => typeof v !== "object") : [];
        stats.replaceChildren(
          h("div", { class: "figures" },
            h("div", { class: "figure" }, h("div", { class: "value", id: "archive-files" }, fmtInt(s.disk.files)), h("div", { class: "label" }, "files")),
            h("div", { class: "figure" }, h("div", { class: "value", id: "archive-bytes" }, fmtBytes(s.disk.bytes)), h("div", { class: "label" }, "on disk")),
            h("div", { class: "figure" }, h("div", { class: "value" }, s.format), h("div", { class: "label" }, "format")),
            ...store.map(([k, v]) => h("div", { class: "figure" }, h("div", { class: "value" }, typeof v === "number" ? fmtInt(v) : String(v)), h("div", { class: "label" }, k.replaceAll("_", " ")))),
          ),
          h("p", { class: "muted" }, `Root: ${s.root}`),
        );
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
  },

  quality(root) {
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
    return every(REFRESH_MS, refresh);
  },

  backfill(root) {
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
        h("section", { class: "card span-12" }, h("h2", {}, "Jobs"), body)),
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
    const refresh = async () => {
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
        form.querySelectorAll("input, select, button").forEach((el) => (el.disabled = err.status === 501));
        body.replaceChildren(h("p", { class: "notice", id: "backfill-unavailable" }, err.message));
      }
    };
    return every(REFRESH_MS, refresh);
  },

  settings(root) {
    const pre = h("pre", { id: "config-view", tabindex: 0, "aria-label": "Effective configuration" }, "loading…");
    const area = h("textarea", { id: "config-text", "aria-label": "Config file text (TOML) to validate", spellcheck: "false" });
    const msg = h("div", { class: "msg", role: "status", "aria-live": "polite", id: "validate-msg" });
    const key = h("input", { id: "api-key", type: "password", autocomplete: "off", value: localStorage.getItem(KEY_STORAGE) || "" });
    const keyMsg = h("div", { class: "msg", role: "status", "aria-live": "polite" });
    const validate = async () => {
      try {
        const res = await api("/api/config/validate", { method: "POST", body: { toml: area.value } });
        message(msg, res.valid ? "Valid configuration." : res.error, res.valid);
      } catch (err) {
        message(msg, err.message, false);
      }
    };
    root.append(
      h("h1", {}, "Settings"),
      h("div", { class: "grid" },
        h("section", { class: "card span-6" }, h("h2", {}, "Effective configuration (secrets masked)"), pre),
        h("section", { class: "card span-6" },
          h("h2", {}, "Validate a config file"),
          area,
          h("p", {}, h("button", { type: "button", id: "validate-btn", onclick: validate }, "Validate")),
          msg,
          h("h2", {}, "API key"),
          h("p", { class: "muted" }, "Needed for changes (subscriptions, jobs) when the server has MDC_API_KEY set. Kept in this browser only."),
          h("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); localStorage.setItem(KEY_STORAGE, key.value); message(keyMsg, "Saved in this browser.", true); } },
            h("label", {}, "X-API-Key", key), h("button", { type: "submit" }, "Save")),
          keyMsg)),
    );
    api("/api/config")
      .then((cfg) => {
        pre.textContent = JSON.stringify(cfg, null, 2);
        if (!area.value) area.value = `provider = ${JSON.stringify(cfg.provider)}\nsymbols = ${JSON.stringify(cfg.symbols.map((s) => (typeof s === "string" ? s : s.symbol)))}\n`;
      })
      .catch((err) => (pre.textContent = err.message));
    return () => {};
  },
};

function renderLadder(tbody, book) {
  if (!book) {
    tbody.replaceChildren(h("tr", {}, h("td", { colspan: 3, class: "muted" }, "No order book for this symbol.")));
    return;
  }
  const depth = Math.min(10, Math.max(book.bids.length, book.asks.length));
  const asks = book.asks.slice(0, depth).reverse();
  const bids = book.bids.slice(0, depth);
  const maxSize = Math.max(1, ...asks.map((l) => l[1]), ...bids.map((l) => l[1]));
  const bar = (size) => h("span", { style: `width:${Math.round((size / maxSize) * 100)}%` });
  const rows = [
    ...asks.map(([px, sz]) => h("tr", { class: "ask" }, td(""), h("td", { class: "num ask" }, fmtPx(px)), h("td", { class: "num ask bar" }, bar(sz), fmtInt(sz)))),
    h("tr", { class: "spread" }, h("td", { colspan: 3 }, bids.length && asks.length ? `spread ${fmtPx(book.asks[0][0] - book.bids[0][0])}` : "—")),
    ...bids.map(([px, sz]) => h("tr", { class: "bid" }, h("td", { class: "num bid bar" }, bar(sz), fmtInt(sz)), h("td", { class: "num bid" }, fmtPx(px)), td(""))),
  ];
  tbody.replaceChildren(...rows);
}

// ---- router --------------------------------------------------------------------------------
let cleanup = null;
function route() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  const name = pages[path] ? path : "overview";
  const params = new URLSearchParams(query || "");
  if (cleanup && route.current === name && name === "live") return; // symbol switch inside Live
  if (cleanup) cleanup();
  route.current = name;
  main.replaceChildren();
  document.querySelectorAll("#nav a").forEach((a) => {
    if (a.dataset.page === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  document.title = `${document.querySelector(`#nav a[data-page="${name}"]`).textContent} — mdc`;
  cleanup = pages[name](main, params) || null;
  main.focus();
}

window.addEventListener("hashchange", route);
startStatusStream();
route();
