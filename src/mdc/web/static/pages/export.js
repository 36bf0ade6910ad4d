// The export page: Lean exports (start a job, follow it, download the folder as a zip) and the
// replay WebSocket (its URL for a strategy, and a dry run that counts what it streams).
import { REFRESH_MS, h, api, fmtInt, fmtBytes, fmtDateTime, table, td, num, message, every } from "../ui.js";

const RESOLUTIONS = ["tick", "second", "minute", "hour", "daily"];

export function exportPage(root) {
  const field = (label, el) => h("label", {}, label, el);
  const today = new Date().toISOString().slice(0, 10);
  const symbols = h("input", { id: "ex-symbols", required: true, placeholder: "SPY,BTC/USD", size: 18 });
  const start = h("input", { id: "ex-start", type: "date", required: true, value: today });
  const end = h("input", { id: "ex-end", type: "date", required: true, value: today });
  const resolution = h("select", { id: "ex-resolution" }, ...RESOLUTIONS.map((r) => h("option", { value: r, selected: r === "minute" }, r)));
  const security = h("select", { id: "ex-security" }, ...["auto", "equity", "crypto"].map((s) => h("option", { value: s }, s)));
  const msg = h("div", { class: "msg", role: "status", "aria-live": "polite", id: "export-msg" });
  const jobs = h("div", { id: "export-jobs", class: "scroll" });
  const form = h("form", { class: "inline", id: "export-form" },
    field("Symbols", symbols), field("From", start), field("To", end), field("Resolution", resolution),
    field("Security type", security), h("button", { type: "submit" }, "Export to Lean"));
  const list = (text) => text.split(",").map((x) => x.trim().toUpperCase()).filter(Boolean);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const job = await api("/api/export/lean", {
        method: "POST",
        body: { symbols: list(symbols.value), start: start.value, end: end.value, resolution: resolution.value, security_type: security.value },
      });
      message(msg, `Started export ${job.id}.`, true);
      refresh();
    } catch (err) {
      message(msg, err.message, false);
    }
  });

  const speed = h("select", { id: "rp-speed" }, ...["1", "10", "100", "max"].map((s) => h("option", { value: s, selected: s === "max" }, s)));
  const types = h("input", { id: "rp-types", placeholder: "trades,quotes,bars,gaps", size: 24 });
  const url = h("code", { id: "rp-url" });
  const rpMsg = h("div", { class: "msg", role: "status", "aria-live": "polite", id: "replay-msg" });
  const replayUrl = () => {
    const q = new URLSearchParams({ from: start.value, to: end.value, speed: speed.value });
    if (symbols.value.trim()) q.set("symbols", list(symbols.value).join(","));
    if (types.value.trim()) q.set("types", types.value.replace(/\s/g, ""));
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.host}/api/replay?${q}`;
  };
  const showUrl = () => (url.textContent = replayUrl());
  [symbols, start, end, speed, types].forEach((el) => el.addEventListener("input", showUrl));
  let socket = null;
  const dryRun = h("button", { type: "button", id: "rp-run", class: "secondary" }, "Dry run");
  dryRun.addEventListener("click", () => {
    if (socket) socket.close();
    let count = 0, first = null, last = null;
    message(rpMsg, "Replaying…", true);
    socket = new WebSocket(replayUrl());
    socket.onmessage = (m) => {
      const data = JSON.parse(m.data);
      if (Array.isArray(data)) {
        count += data.length;
        if (data.length) {
          first = first ?? data[0].ts_event;
          last = data[data.length - 1].ts_event;
        }
        return;
      }
      if (data.type === "error") message(rpMsg, data.detail, false);
      if (data.type === "end") message(rpMsg, `Replayed ${fmtInt(count)} events${count ? `, ${fmtDateTime(first)} → ${fmtDateTime(last)} UTC` : ""}.`, true);
    };
    socket.onerror = () => message(rpMsg, "The replay connection failed.", false);
  });
  showUrl();

  root.append(
    h("h1", {}, "Export"),
    h("div", { class: "grid" },
      h("section", { class: "card span-12" }, h("h2", {}, "QuantConnect Lean"),
        h("p", { class: "muted" }, "Lean's folder layout, zip names, CSV columns, price scaling and time zones; bars are built from ticks when the archive has none (as mdc export lean)."),
        form, msg),
      h("section", { class: "card span-12" }, h("h2", {}, "Exports"), jobs),
      h("section", { class: "card span-12" }, h("h2", {}, "Replay"),
        h("p", { class: "muted" }, "A strategy subscribes to this WebSocket and receives the range merged by ts_event (symbols, dates from the form above)."),
        h("form", { class: "inline" }, field("Speed", speed), field("Types", types), dryRun), url, rpMsg)),
  );

  const refresh = async () => {
    try {
      const all = await api("/api/export/jobs");
      jobs.replaceChildren(
        all.length
          ? table(
              `${all.length} exports (newest first)`,
              [{ label: "Export" }, { label: "Symbols" }, { label: "Range" }, { label: "Resolution" }, { label: "State" }, { label: "Files", num: true }, { label: "Rows", num: true }, { label: "Notes" }, { label: "Result" }],
              all.map((j) =>
                h("tr", { "data-export": j.id, "data-state": j.state },
                  td(j.id), td(j.symbols.join(", ")), td(`${j.start} → ${j.end}`), td(j.resolution), td(j.state),
                  num(fmtInt(j.files.length)), num(fmtInt(j.rows)),
                  td([j.error, ...j.problems, ...j.empty.map((s) => `${s}: no data`)].filter(Boolean).join("; ")),
                  td(j.download ? h("a", { href: j.download, download: `${j.id}.zip` }, `Download (${fmtBytes(j.bundle_bytes)})`) : ""))),
            )
          : h("p", { class: "muted" }, "No exports yet."),
      );
    } catch (err) {
      jobs.replaceChildren(h("p", { class: "msg error" }, err.message));
    }
  };
  const stop = every(REFRESH_MS, refresh);
  return () => {
    stop();
    if (socket) socket.close();
  };
}
