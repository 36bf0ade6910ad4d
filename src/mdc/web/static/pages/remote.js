// The Remote page: the collectors seen on core NATS (`mdc serve --live nats://…`), each with its
// status, rate, counts and last prices, and a picker for one collector's symbols and sampled
// tape. Everything comes from GET /api/remote/collectors[/ID], once a second: views arrive
// once per collector interval, so a faster poll would show nothing new.
import { h, api, fmtInt, fmtPx, fmtTime, fmtDuration, table, td, num, every } from "../ui.js";

const REMOTE_MS = 1000;

export function remotePage(root, params) {
  const head = h("p", { id: "remote-bus", class: "muted" }, "connecting…");
  const list = h("div", { id: "remote-collectors", class: "fit" });
  const picker = h("select", { id: "remote-collector", "aria-label": "Collector" });
  const symbols = h("div", { id: "remote-symbols" });
  const tape = h("div", { id: "remote-tape" });
  root.append(
    h("h1", {}, "Remote collectors"),
    head,
    h("section", { class: "card" }, list),
    h("section", { class: "card" }, h("h2", {}, "Collector ", picker), symbols),
    h("section", { class: "card" }, h("h2", {}, "Sampled tape"), tape),
  );
  let chosen = params.get("collector") || "";
  picker.addEventListener("change", () => {
    chosen = picker.value;
    refresh();
  });
  const state = (c) => {
    if (c.stale) return ["stale", "status-unhealthy"];
    if (c.fatal_error) return ["failed", "status-unhealthy"];
    if (c.storage_paused) return ["storage paused", "status-degraded"];
    const providers = Object.values(c.providers || {});
    const up = providers.filter((p) => p.connected).length;
    return up === providers.length && c.accepting ? ["streaming", "status-healthy"] : [`${up}/${providers.length} connected`, "status-degraded"];
  };
  const refresh = async () => {
    let data;
    try {
      data = await api("/api/remote/collectors");
    } catch (err) {
      head.textContent = err.message;
      list.replaceChildren();
      return;
    }
    head.textContent = `${data.connected ? "watching" : "waiting for"} ${data.subject} on ${data.servers} · ${fmtInt(data.messages)} views received` +
      (data.bad_messages ? ` · ${fmtInt(data.bad_messages)} bad (${data.last_bad})` : "");
    const rows = data.collectors;
    list.replaceChildren(
      table(
        `${rows.length} collectors seen`,
        [{ label: "Collector" }, { label: "State" }, { label: "Provider" }, { label: "Events/s", num: true }, { label: "Events", num: true }, { label: "Symbols", num: true }, { label: "Last prices" }, { label: "Dropped", num: true }, { label: "Uptime" }, { label: "Last view" }],
        rows.map((c) => {
          const [label, cls] = state(c);
          return h("tr", { "data-collector": c.collector },
            td(h("a", { href: `#/remote?collector=${encodeURIComponent(c.collector)}` }, c.collector)),
            td(label, cls),
            td(c.provider || "—", "text"),
            h("td", { class: "num rate" }, fmtInt(c.events_per_s)),
            h("td", { class: "num events" }, fmtInt(c.events_in)),
            h("td", { class: "num symbol-count" }, fmtInt(c.symbol_count)),
            td(Object.entries(c.last_prices).map(([s, p]) => `${s} ${fmtPx(p)}`).join(" · ") || "—", "text last-prices"),
            num(fmtInt(c.dropped)),
            td(fmtDuration(c.uptime_s)),
            td(`${c.age_s.toFixed(1)} s ago`),
          );
        }),
      ),
    );
    const ids = rows.map((c) => c.collector);
    if (!ids.includes(chosen)) chosen = ids[0] || "";
    if (picker.options.length !== ids.length || [...picker.options].some((o, i) => o.value !== ids[i])) {
      picker.replaceChildren(...ids.map((id) => h("option", { value: id }, id)));
    }
    picker.value = chosen;
    if (!chosen) {
      symbols.replaceChildren(h("p", { class: "muted" }, "No collector has published a live view yet (mdc collect --live nats://…)."));
      tape.replaceChildren();
      return;
    }
    let one;
    try {
      one = await api(`/api/remote/collectors/${encodeURIComponent(chosen)}`);
    } catch (err) {
      symbols.replaceChildren(h("p", { class: "error" }, err.message));
      return;
    }
    const names = Object.keys(one.symbols).sort();
    symbols.replaceChildren(
      table(
        `${names.length} symbols of ${one.collector}`,
        [{ label: "Symbol" }, { label: "Trades", num: true }, { label: "Quotes", num: true }, { label: "Last", num: true }, { label: "Size", num: true }, { label: "Bid", num: true }, { label: "Ask", num: true }, { label: "Last trade" }],
        names.map((s) => {
          const r = one.symbols[s];
          return h("tr", { "data-symbol": s },
            td(s),
            h("td", { class: "num trades" }, fmtInt(r.trades)),
            h("td", { class: "num quotes" }, fmtInt(r.quotes)),
            h("td", { class: "num last" }, fmtPx(r.last_price)),
            num(r.last_size ?? "—"),
            num(fmtPx(r.bid)),
            num(fmtPx(r.ask)),
            td(fmtTime(r.last_trade_ns)),
          );
        }),
      ),
    );
    tape.replaceChildren(
      table(
        `last ${one.tape.length} trades`,
        [{ label: "Time" }, { label: "Symbol" }, { label: "Venue" }, { label: "Price", num: true }, { label: "Size", num: true }, { label: "Side" }],
        one.tape.slice().reverse().map((t) => h("tr", {}, td(fmtTime(t.ts_event)), td(t.symbol), td(t.venue), num(fmtPx(t.price)), num(t.size), td(t.side))),
      ),
    );
  };
  return every(REMOTE_MS, refresh);
}
