// The symbols page of the dashboard.
import { REFRESH_MS, ARCHIVE_REASON, h, api, fmtInt, fmtAge, table, td, num, message, every, serverMode, archiveNotice, disableForm } from "../ui.js";

// As the API's SYMBOL_PATTERN; escaped for the `v` flag browsers compile `pattern` with, which
// requires `/` and `-` inside a class to be escaped (unescaped, Chromium drops the pattern).
const SYMBOL_PATTERN = "[A-Za-z0-9][A-Za-z0-9._:\\/^=\\-]{0,63}";

export function symbolsPage(root) {
  const input = h("input", { id: "new-symbol", name: "symbol", required: true, placeholder: "e.g. NVDA", pattern: SYMBOL_PATTERN, autocomplete: "off" });
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
    if ((await serverMode()) === "archive") return showArchive();
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
  let archiveShown = false;
  const showArchive = async () => {
    if (archiveShown) return;
    archiveShown = true;
    disableForm(form, `Subscriptions need a running collector: ${ARCHIVE_REASON}`);
    form.before(archiveNotice("subscribing is not possible here"));
    list.previousElementSibling.textContent = "In the archive";
    try {
      const held = await api("/api/storage/contents");
      list.replaceChildren(h("p", { id: "archive-symbols" }, held.symbols.length ? `The archive holds ${fmtInt(held.symbols.length)} symbols: ${held.symbols.join(", ")}.` : "The archive holds no data yet."));
    } catch (err) {
      message(msg, err.message, false);
    }
  };
  return every(REFRESH_MS, refresh);
}
