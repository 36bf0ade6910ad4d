// The live page of the dashboard.
import { ARCHIVE_REASON, h, api, eventStream, fmtInt, fmtPx, fmtTime, table, td, num, lineChart, serverMode, archiveNotice } from "../ui.js";

export function livePage(root, params) {
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
  let stop = null;
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
    if (stop) stop();
    prices = [];
    trades = [];
    if (!symbol) return;
    location.replace(`#/live?symbol=${encodeURIComponent(symbol)}`);
    stop = eventStream(`/api/live/${encodeURIComponent(symbol)}/stream`, {
      snapshot: (ev) => {
        const snap = JSON.parse(ev.data);
        prices = snap.prices;
        trades = snap.trades;
        render(snap);
      },
      update: (ev) => {
        const up = JSON.parse(ev.data);
        if (up.prices.length) {
          const first = up.prices[0][0];
          while (prices.length && prices[prices.length - 1][0] >= first) prices.pop();
          prices = prices.concat(up.prices).slice(-1200);
        }
        trades = up.trades.concat(trades).slice(0, 50);
        render(up);
      },
    });
  };
  select.addEventListener("change", () => open(select.value));
  serverMode().then((mode) => (mode === "archive" ? showArchive() : start()));
  const showArchive = () => {
    select.disabled = true;
    select.title = ARCHIVE_REASON;
    bbo.replaceChildren(archiveNotice("there are no live trades, quotes or books; query the archive with mdc query"));
    canvas.replaceWith(h("p", { class: "muted", id: "price-chart" }, "No live prices in an archive view."));
    ladder.replaceChildren(h("tr", {}, h("td", { colspan: 3, class: "muted" }, "No live order book in an archive view.")));
  };
  const start = () => api("/api/symbols")
    .then((list) => {
      select.replaceChildren(...list.map((s) => h("option", { value: s.symbol }, s.symbol)));
      const wanted = params.get("symbol");
      if (wanted && list.some((s) => s.symbol === wanted)) select.value = wanted;
      if (!list.length) bbo.replaceChildren(h("span", { class: "muted" }, "No symbols subscribed (or no live collector)."));
      open(select.value);
    })
    .catch((e) => bbo.replaceChildren(h("span", { class: "msg error" }, e.message)));
  return () => stop && stop();
}

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
