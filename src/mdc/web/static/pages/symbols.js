// The symbols page: search-as-you-type over the instrument registry (debounced, keyboard
// navigable), one-click subscribe/unsubscribe, the per-instrument mapping view (identity,
// every provider's spelling, what the archive holds), watchlists and index lists, and the
// subscriptions of the running collector.
import { REFRESH_MS, ARCHIVE_REASON, h, api, fmtInt, fmtAge, fmtBytes, table, td, num, message, every, serverMode, archiveNotice, disableForm } from "../ui.js";

const DEBOUNCE_MS = 150;
const SUGGESTIONS = 8;
// As the API's SYMBOL_PATTERN; escaped for the `v` flag browsers compile `pattern` with, which
// requires `/` and `-` inside a class to be escaped (unescaped, Chromium drops the pattern).
const SYMBOL_PATTERN = "[A-Za-z0-9][A-Za-z0-9._:\\/^=\\-]{0,63}";

export function symbolsPage(root) {
  const msg = h("div", { class: "msg", role: "status", "aria-live": "polite", id: "symbols-msg" });
  let subscribed = new Set();

  // ---- subscribe / unsubscribe (one click each) ---------------------------------------------
  const subscribe = async (symbol, opts = {}) => {
    try {
      const res = await api("/api/symbols", { method: "POST", body: { symbols: [{ symbol, ...opts }] } });
      message(msg, res.added.length ? `Subscribed to ${res.added.join(", ")}.` : `${symbol} is already subscribed.`, true);
      await refresh();
    } catch (err) {
      message(msg, err.message, false);
    }
  };
  const unsubscribe = async (symbol) => {
    try {
      await api(`/api/symbols/${encodeURIComponent(symbol)}`, { method: "DELETE" });
      message(msg, `Unsubscribed from ${symbol}.`, true);
      await refresh();
    } catch (err) {
      message(msg, err.message, false);
    }
  };
  const toggle = (symbol) =>
    subscribed.has(symbol)
      ? h("button", { class: "danger", type: "button", "aria-label": `Unsubscribe ${symbol}`, onclick: () => unsubscribe(symbol) }, "Unsubscribe")
      : h("button", { type: "button", "aria-label": `Subscribe ${symbol}`, onclick: () => subscribe(symbol) }, "Subscribe");

  // ---- search as you type ---------------------------------------------------------------------
  const search = h("input", {
    id: "symbol-search", type: "search", role: "combobox", autocomplete: "off", placeholder: "Apple, AAPL, BRK-B, BTC-USD …",
    "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": "symbol-suggestions",
  });
  const list = h("ul", { id: "symbol-suggestions", role: "listbox", class: "suggestions", hidden: true, "aria-label": "Matching instruments" });
  const detail = h("div", { id: "instrument-detail" });
  let hits = [];
  let active = -1;
  let timer = null;
  let asked = 0;
  const close = () => {
    list.hidden = true;
    search.setAttribute("aria-expanded", "false");
    search.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const mark = (i) => {
    active = i;
    [...list.children].forEach((li, j) => li.setAttribute("aria-selected", j === i ? "true" : "false"));
    if (i >= 0) search.setAttribute("aria-activedescendant", `suggestion-${i}`);
  };
  const show = (rows) => {
    hits = rows;
    list.replaceChildren(
      ...rows.map((r, i) =>
        h("li", { id: `suggestion-${i}`, role: "option", "aria-selected": "false", "data-symbol": r.symbol, onmousedown: (e) => { e.preventDefault(); pick(i); } },
          h("strong", {}, r.symbol), " ", h("span", { class: "muted" }, [r.name, r.mic, r.asset_class].filter(Boolean).join(" · ")),
          r.subscribed ? h("span", { class: "badge" }, " subscribed") : null),
      ),
    );
    if (!rows.length) list.append(h("li", { class: "muted", role: "option", "aria-disabled": "true" }, "No match in the registry: ask the providers (button below) or run mdc symbols refresh."));
    list.hidden = false;
    search.setAttribute("aria-expanded", "true");
    mark(rows.length ? 0 : -1);
  };
  const query = async () => {
    const q = search.value.trim();
    if (!q) return close();
    const mine = ++asked;
    try {
      const rows = await api(`/api/instruments/search?q=${encodeURIComponent(q)}&limit=${SUGGESTIONS}`);
      if (mine === asked) show(rows); // a slower, older answer never replaces a newer one
    } catch (err) {
      message(msg, err.message, false);
    }
  };
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(query, DEBOUNCE_MS);
  });
  search.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && hits.length) { e.preventDefault(); list.hidden ? query() : mark((active + 1) % hits.length); }
    else if (e.key === "ArrowUp" && hits.length) { e.preventDefault(); mark((active - 1 + hits.length) % hits.length); }
    else if (e.key === "Enter" && !list.hidden && active >= 0) { e.preventDefault(); pick(active); }
    else if (e.key === "Escape") close();
  });
  search.addEventListener("blur", () => setTimeout(close, 100));

  const ask = h("button", { type: "button", id: "lookup-providers", onclick: async () => {
    const q = search.value.trim();
    if (!q) return;
    ask.disabled = true;
    try {
      const res = await api("/api/instruments/lookup", { method: "POST", body: { query: q } });
      const found = Object.values(res.results).reduce((n, r) => n + r.length, 0);
      const failed = Object.keys(res.errors);
      message(msg, `Providers answered ${found} listings${failed.length ? `; no answer from ${failed.join(", ")}` : ""}.`, found > 0);
      await query();
    } catch (err) {
      message(msg, err.message, false);
    } finally {
      ask.disabled = false;
    }
  } }, "Ask the providers");

  const pick = async (i) => {
    const chosen = hits[i];
    close();
    search.value = chosen.symbol;
    await showInstrument(chosen.symbol);
  };
  const showInstrument = async (symbol) => {
    try {
      const inst = await api(`/api/instruments/${encodeURIComponent(symbol)}`);
      renderDetail(inst);
    } catch (err) {
      detail.replaceChildren();
      message(msg, err.message, false);
    }
  };
  let shown = null;
  const renderDetail = (inst) => {
    shown = inst;
    const ident = [["Name", inst.name], ["Asset class", inst.asset_class], ["Primary exchange (MIC)", inst.mic], ["Currency", inst.currency],
      ["FIGI", inst.figi], ["Composite FIGI", inst.composite_figi], ["Share-class FIGI", inst.share_class_figi], ["ISIN", inst.isin], ["CUSIP", inst.cusip],
      ["Tick size", inst.tick_size], ["Lot size", inst.lot_size], ["Active", inst.active ? "yes" : "no"]];
    detail.replaceChildren(
      h("div", { class: "instrument-head" }, h("h3", { id: "instrument-symbol" }, inst.symbol), toggle(inst.symbol),
        h("a", { href: `#/live?symbol=${encodeURIComponent(inst.symbol)}` }, "Live view")),
      h("dl", { class: "pairs", id: "instrument-identity" }, ident.filter(([, v]) => v !== "" && v !== null && v !== undefined).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))])),
      table("Spelling per provider", [{ label: "Provider" }, { label: "Spelling" }, { label: "From" }],
        Object.entries(inst.spellings).map(([p, s]) => h("tr", { "data-provider": p }, td(p), td(s.symbol), td(s.from === "listed" ? "its reference data" : "spelling rules"))),
        { id: "instrument-spellings" }),
      inst.archive.length
        ? table("In the archive", [{ label: "Type" }, { label: "Partitions", num: true }, { label: "First" }, { label: "Last" }, { label: "Size", num: true }],
          inst.archive.map((a) => h("tr", {}, td(a.type), num(fmtInt(a.partitions)), td(a.first), td(a.last), num(fmtBytes(a.bytes)))), { id: "instrument-archive" })
        : h("p", { class: "muted", id: "instrument-archive" }, "The archive holds nothing for this instrument yet."),
    );
  };

  // ---- manual subscribe (symbols the registry does not hold) ----------------------------------
  const input = h("input", { id: "new-symbol", name: "symbol", required: true, placeholder: "e.g. NVDA", pattern: SYMBOL_PATTERN, autocomplete: "off" });
  const boxes = ["trades", "quotes", "depth"].map((k) => h("input", { type: "checkbox", id: `opt-${k}`, checked: true }));
  const levels = h("input", { type: "number", id: "opt-levels", min: 1, max: 50, value: 10 });
  const form = h("form", { class: "inline", id: "add-symbol-form" },
    h("label", {}, "Symbol", input),
    ...boxes.map((b, i) => h("label", { class: "check" }, b, ["Trades", "Quotes", "Depth"][i])),
    h("label", {}, "Depth levels", levels),
    h("button", { type: "submit" }, "Subscribe"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const symbol = input.value.trim().toUpperCase();
    await subscribe(symbol, { trades: boxes[0].checked, quotes: boxes[1].checked, depth: boxes[2].checked, depth_levels: Number(levels.value) });
    input.value = "";
  });

  // ---- watchlists and index lists -------------------------------------------------------------
  const lists = h("select", { id: "watchlist-select", "aria-label": "Watchlist" });
  const listBody = h("div", { id: "watchlist-body" });
  const saveName = h("input", { id: "watchlist-name", placeholder: "name", pattern: "[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}", "aria-label": "Save subscriptions as" });
  const loadLists = async () => {
    try {
      const [wls, idx] = await Promise.all([api("/api/watchlists"), api("/api/indexes")]);
      const current = lists.value;
      lists.replaceChildren(
        h("option", { value: "" }, "Choose a list"),
        h("optgroup", { label: "Watchlists" }, wls.map((w) => h("option", { value: `w:${w.name}` }, `${w.name} (${w.symbols}, ${w.source})`))),
        h("optgroup", { label: "Index lists" }, idx.map((i) => h("option", { value: `i:${i.name}` }, `${i.title} (${i.members}, as of ${i.as_of})`))),
      );
      lists.value = current;
    } catch (err) {
      message(msg, err.message, false);
    }
  };
  const showList = async () => {
    const [kind, name] = lists.value.split(":");
    if (!name) return listBody.replaceChildren();
    try {
      if (kind === "w") {
        const wl = await api(`/api/watchlists/${encodeURIComponent(name)}`);
        listBody.replaceChildren(
          h("div", { class: "row-actions" },
            h("button", { type: "button", id: "watchlist-subscribe", onclick: async () => {
              try {
                const res = await api(`/api/watchlists/${encodeURIComponent(name)}/subscribe`, { method: "POST" });
                message(msg, `Subscribed to ${res.added.length} symbols of ${name}.`, true);
                await refresh();
              } catch (err) { message(msg, err.message, false); }
            } }, "Subscribe all"),
            h("a", { href: `/api/watchlists/${encodeURIComponent(name)}?format=csv`, download: `${name}.csv` }, "Export CSV")),
          table(`${wl.symbols.length} symbols (${wl.source})`, [{ label: "Symbol" }, { label: "Provider" }, { label: "Depth levels", num: true }, { label: "" }],
            wl.symbols.map((s) => h("tr", { "data-symbol": s.symbol }, td(s.symbol), td(s.provider || "—"), num(s.depth_levels), td(toggle(s.symbol))))),
        );
      } else {
        const idx = await api(`/api/indexes/${encodeURIComponent(name)}`);
        listBody.replaceChildren(
          h("p", { class: "muted" }, `${idx.title}: ${idx.source}.`),
          table(`${idx.members.length} members`, [{ label: "Symbol" }, { label: "Name" }, { label: "Added" }, { label: "" }],
            idx.members.map((m) => h("tr", { "data-symbol": m.symbol }, td(m.symbol), td(m.name), td(m.added || "—"), td(toggle(m.symbol))))),
        );
      }
    } catch (err) {
      message(msg, err.message, false);
    }
  };
  lists.addEventListener("change", showList);
  const saveForm = h("form", { class: "inline", id: "save-watchlist-form" }, h("label", {}, "Save subscriptions as", saveName), h("button", { type: "submit" }, "Save"));
  saveForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = saveName.value.trim();
    try {
      const rows = await api("/api/symbols");
      await api(`/api/watchlists/${encodeURIComponent(name)}`, { method: "PUT", body: { symbols: rows.map(({ symbol, trades, quotes, depth, depth_levels }) => ({ symbol, trades, quotes, depth, depth_levels })) } });
      message(msg, `Saved ${rows.length} symbols as ${name}.`, true);
      saveName.value = "";
      await loadLists();
    } catch (err) {
      message(msg, err.message, false);
    }
  });

  // ---- subscribed -----------------------------------------------------------------------------
  const subs = h("div", { id: "symbol-list" });
  const refresh = async () => {
    if ((await serverMode()) === "archive") return showArchive();
    try {
      const rows = await api("/api/symbols");
      subscribed = new Set(rows.map((r) => r.symbol));
      subs.replaceChildren(
        table(
          `${rows.length} symbols`,
          [{ label: "Symbol" }, { label: "Trades" }, { label: "Quotes" }, { label: "Depth" }, { label: "Levels", num: true }, { label: "Events", num: true }, { label: "Last event" }, { label: "Actions" }],
          rows.map((s) =>
            h("tr", { "data-symbol": s.symbol },
              td(h("a", { href: `#/live?symbol=${encodeURIComponent(s.symbol)}` }, s.symbol)),
              td(s.trades ? "yes" : "no"), td(s.quotes ? "yes" : "no"), td(s.depth ? "yes" : "no"),
              num(s.depth_levels), h("td", { class: "num events" }, fmtInt(s.events)), td(fmtAge(s.last_event_ns)),
              td(h("button", { class: "danger", type: "button", "aria-label": `Unsubscribe ${s.symbol}`, onclick: () => unsubscribe(s.symbol) }, "Remove")),
            ),
          ),
        ),
      );
      if (shown) renderDetail({ ...shown, subscribed: subscribed.has(shown.symbol) });
    } catch (err) {
      message(msg, err.message, false);
    }
  };

  let archiveShown = false;
  const showArchive = async () => {
    if (archiveShown) return;
    archiveShown = true;
    const reason = `Subscriptions need a running collector: ${ARCHIVE_REASON}`;
    disableForm(form, reason);
    disableForm(saveForm, reason);
    form.before(archiveNotice("subscribing is not possible here"));
    subs.previousElementSibling.textContent = "In the archive";
    try {
      const held = await api("/api/storage/contents");
      subs.replaceChildren(h("p", { id: "archive-symbols" }, held.symbols.length ? `The archive holds ${fmtInt(held.symbols.length)} symbols: ${held.symbols.join(", ")}.` : "The archive holds no data yet."));
    } catch (err) {
      message(msg, err.message, false);
    }
  };

  root.append(
    h("h1", {}, "Symbols"),
    h("div", { class: "grid" },
      h("section", { class: "card span-12" }, h("h2", {}, "Find an instrument"),
        h("div", { class: "search-row" }, h("div", { class: "combo" }, h("label", { for: "symbol-search" }, "Search the instrument registry"), search, list), ask),
        detail, msg),
      h("section", { class: "card span-6" }, h("h2", {}, "Subscribe by symbol"), form),
      h("section", { class: "card span-6" }, h("h2", {}, "Watchlists and index lists"), lists, listBody, saveForm),
      h("section", { class: "card span-12" }, h("h2", {}, "Subscribed"), subs)),
  );
  loadLists();
  const stop = every(REFRESH_MS, refresh);
  return () => {
    clearTimeout(timer);
    stop();
  };
}
