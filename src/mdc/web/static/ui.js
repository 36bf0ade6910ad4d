// Shared by every dashboard page: DOM building, the API client, formatting, tables, timers and
// the one status stream (header badge and any page that listens).
export { PALETTE, barChart, lineChart } from "./charts.js";

export const REFRESH_MS = 2000;
export const KEY_STORAGE = "mdc.apiKey";

// ---- helpers -----------------------------------------------------------------------------
export function h(tag, attrs = {}, ...children) {
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

export async function api(path, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  const key = localStorage.getItem(KEY_STORAGE);
  if (key) headers["X-API-Key"] = key; // reads need it too on a non-loopback bind
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
export const fmtInt = (n) => (n === null || n === undefined ? "—" : nf.format(Math.round(n)));
export const fmtPx = (p) => (p === null || p === undefined ? "—" : Number(p).toFixed(p >= 1000 ? 2 : 4).replace(/0{1,2}$/, ""));
export const fmtTime = (ns) => (ns ? new Date(ns / 1e6).toISOString().slice(11, 23) : "—");
export const fmtDateTime = (ns) => (ns ? new Date(ns / 1e6).toISOString().replace("T", " ").slice(0, 23) : "—");
export function fmtAge(ns) {
  if (!ns) return "never";
  const s = (Date.now() * 1e6 - ns) / 1e9;
  if (s < 1) return "just now";
  if (s < 120) return `${s.toFixed(0)} s ago`;
  if (s < 7200) return `${(s / 60).toFixed(0)} min ago`;
  return `${(s / 3600).toFixed(1)} h ago`;
}
export function fmtBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}
export function fmtSeconds(s) {
  if (s === null || s === undefined) return "—";
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 120) return `${s.toFixed(0)} s`;
  if (s < 7200) return `${(s / 60).toFixed(0)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} days`;
}
export function fmtDuration(s) {
  const d = Math.floor(s / 86400), hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60), ss = Math.floor(s % 60);
  return (d ? `${d}d ` : "") + `${String(hh).padStart(2, "0")}:${String(mm).padStart(2, "0")}:${String(ss).padStart(2, "0")}`;
}

export function table(caption, columns, rows, attrs = {}) {
  return h(
    "table",
    attrs,
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label)))),
    h("tbody", {}, rows),
  );
}
export const td = (v, cls) => h("td", { class: cls }, v);
/** One headline number with its label and a line of context (``cls`` colours the value). */
export const figure = (label, value, note, id, cls) =>
  h("div", { class: "figure", id }, h("div", { class: `value ${cls || ""}` }, value), h("div", { class: "label" }, label), note ? h("div", { class: "note" }, note) : "");
export const num = (v) => td(v, "num");
export function message(el, text, ok) {
  el.textContent = text;
  el.className = "msg " + (ok ? "ok" : "error");
}
export function every(ms, fn) {
  fn();
  const id = setInterval(fn, ms);
  return () => clearInterval(id);
}

// ---- archive mode (mdc serve): no collector, so live-only controls are disabled, with why --
let modePromise = null;
/** "live" or "archive", asked of the server once per page load. */
export function serverMode() {
  modePromise ||= api("/status").then((s) => s.mode, () => "live");
  return modePromise;
}
export const ARCHIVE_REASON = "this server (mdc serve) shows an archive: no collector runs here";
/** The banner an archive view shows where live data would be. */
export const archiveNotice = (what) =>
  h("p", { class: "notice archive-note" }, `Archive view — ${ARCHIVE_REASON}, so ${what}. Start mdc collect on this data root for live data.`);
/** Disable every control of a form, each titled with the reason. */
export function disableForm(form, reason) {
  form.querySelectorAll("input, select, button, textarea").forEach((el) => {
    el.disabled = true;
    el.title = reason;
  });
}

// An EventSource cannot send the key, so a stream opens with a short-lived ?token= from
// /api/stream/token (fetched with the key; null when the server has none). A stream the server
// ends (say the token expired before a reconnect) reopens with a fresh token.
// listeners: {eventName: fn}; returns the function that closes the stream for good.
export function eventStream(path, listeners, onerror = () => {}) {
  let source = null, closed = false, timer = null;
  const retry = () => {
    if (!closed) timer = setTimeout(open, 2000);
  };
  const open = async () => {
    let url = path;
    try {
      const { token } = await api("/api/stream/token");
      if (token) url += `${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
    } catch (err) {
      onerror(err);
      return retry();
    }
    if (closed) return;
    source = new EventSource(url);
    for (const [name, fn] of Object.entries(listeners)) source.addEventListener(name, fn);
    source.onerror = () => {
      onerror(null);
      if (source.readyState === EventSource.CLOSED) retry();
    };
  };
  open();
  return () => {
    closed = true;
    clearTimeout(timer);
    if (source) source.close();
  };
}

// ---- the global status stream (header badge, Overview) ------------------------------------
let latestStatus = null;
const statusListeners = new Set();
export function startStatusStream() {
  eventStream("/api/stream", {
    status: (ev) => {
      latestStatus = JSON.parse(ev.data);
      const badge = document.getElementById("health-badge");
      const st = latestStatus.health.status;
      badge.textContent = st;
      badge.className = "badge " + st;
      badge.title = latestStatus.health.alerts.map((a) => `${a.name}: ${a.detail}`).join("\n");
      document.getElementById("mode").textContent =
        latestStatus.mode === "live" ? `live · v${latestStatus.version}` : `archive · v${latestStatus.version}`;
      statusListeners.forEach((fn) => fn(latestStatus));
    },
  }, (err) => {
    const badge = document.getElementById("health-badge");
    badge.textContent = err && err.status === 401 ? "API key needed" : "disconnected";
    badge.title = err ? err.message : "";
    badge.className = "badge unhealthy";
  });
}
export function onStatus(fn) {
  statusListeners.add(fn);
  if (latestStatus) fn(latestStatus);
  return () => statusListeners.delete(fn);
}
