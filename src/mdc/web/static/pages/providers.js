// The providers page of the dashboard: every known provider in one table, then one panel per
// running provider with its live connection and whatever facts the provider publishes in
// `connection.details` (IB: server version, data farms, market-data lines in use; NYSE XDP:
// per-channel sequence and A/B line counters), rendered generically so a new provider's facts
// appear without a page change. The Check button asks POST /api/providers/NAME/check (one live
// authenticated request) and keeps its answer on the row across refreshes.
import { REFRESH_MS, h, api, fmtInt, fmtAge, fmtDateTime, table, td, num, every, serverMode, archiveNotice } from "../ui.js";

export function providersPage(root) {
  const list = h("div", { id: "provider-list", class: "fit" });
  const live = h("div", { id: "provider-details" });
  const imports = h("div", { id: "import-list" });
  const reference = h("div", { id: "reference-list" });
  root.append(h("h1", {}, "Providers"), h("section", { class: "card" }, list), live, imports, reference);
  serverMode().then((mode) => mode === "archive" && list.before(archiveNotice("no provider is connected and no live state is shown")));
  const caps = (c) =>
    ["trades", "quotes", "depth", "bars", "corporate_actions"].filter((k) => c[k]).map((k) => k.replace("_", " ")).join(", ") + (c.max_depth_levels ? ` (${c.max_depth_levels} levels)` : "");
  const counter = (p, key, cls) => h("td", { class: `num ${cls}` }, p.connection ? fmtInt(p.connection[key]) : "—");
  const checks = new Map(); // provider name -> "running" | {outcome, message}
  const checkCell = (p) => {
    const r = checks.get(p.name);
    const running = r === "running";
    const shown = r && !running
      ? h("span", { class: `check-result ${r.outcome === "ok" ? "status-healthy" : "status-unhealthy"}`, "data-outcome": r.outcome }, ` ${r.outcome.replace("_", " ")}: ${r.message}`)
      : "";
    return h("td", { class: "text check" },
      h("button", { type: "button", class: "secondary", disabled: running, onclick: () => runCheck(p.name) }, running ? "Checking…" : "Check"),
      shown);
  };
  const runCheck = async (name) => {
    checks.set(name, "running");
    refresh();
    try {
      checks.set(name, await api(`/api/providers/${encodeURIComponent(name)}/check`, { method: "POST" }));
    } catch (err) {
      checks.set(name, { outcome: "failed", message: err.message });
    }
    refresh();
  };
  const refresh = async () => {
    try {
      const rows = await api("/api/providers");
      list.replaceChildren(
        table(
          `${rows.length} providers known · ${rows.filter((p) => p.running).length} running here`,
          [{ label: "Provider" }, { label: "Kind" }, { label: "Capabilities" }, { label: "Credentials" }, { label: "Connection" }, { label: "Messages", num: true }, { label: "Events", num: true }, { label: "Gaps", num: true }, { label: "Bad frames", num: true }, { label: "Reconnects", num: true }, { label: "Last message" }, { label: "Check" }],
          rows.map((p) =>
            h("tr", { "data-provider": p.name },
              td(h("span", { title: p.plan_notes ? `${p.description}. Plans: ${p.plan_notes}` : p.description }, p.name + (p.primary ? " (primary)" : ""))),
              td([p.streaming && "stream", p.historical && "history", p.search && "search"].filter(Boolean).join(", "), "text"),
              td(caps(p.capabilities), "text"),
              td(p.credentials.length ? p.credentials.map((c) => `${c.name}: ${c.set ? "set" : "missing"}`).join(", ") : "none needed", "text"),
              p.connection ? td(p.connection.state, p.connection.connected ? "status-healthy" : "status-degraded") : td("not running", "muted"),
              counter(p, "messages", ""), counter(p, "events", "conn-events"), counter(p, "gaps", "conn-gaps"),
              counter(p, "bad_frames", "conn-bad-frames"), counter(p, "reconnects", ""),
              td(p.connection ? fmtAge(p.connection.last_message_ns) : "—"),
              checkCell(p),
            ),
          ),
          { class: "wrap" },
        ),
      );
      live.replaceChildren(...rows.filter((p) => p.connection).map(livePanel));
      const done = await api("/api/imports");
      imports.replaceChildren(
        done.length
          ? h("section", { class: "card" },
              table(`${done.length} file imports (mdc import)`,
                [{ label: "Kind" }, { label: "File" }, { label: "Events", num: true }, { label: "State" }],
                done.map((i) => h("tr", {}, td(i.kind), td(i.source, "text"), num(fmtInt(i.events)), td(i.done ? "done" : "interrupted")))))
          : "",
      );
      // Reference tables (mdc import taq EQY_US_ALL_REF_MASTER_…): days held per table.
      const tables = Object.entries(await api("/api/reference"));
      reference.replaceChildren(
        tables.length
          ? h("section", { class: "card" },
              table(`${tables.length} reference tables`,
                [{ label: "Table" }, { label: "Days", num: true }, { label: "Latest" }],
                tables.map(([name, days]) => h("tr", { "data-table": name }, td(name), num(fmtInt(days.length)), td(days[days.length - 1] || "—")))))
          : "",
      );
    } catch (err) {
      list.replaceChildren(h("p", { class: "msg error" }, err.message));
    }
  };
  return every(REFRESH_MS, refresh);
}

// One running provider: its connection, then its published details.
function livePanel(p) {
  const c = p.connection;
  const facts = [
    ["state", c.state, c.connected ? "status-healthy" : "status-degraded"],
    ["since", c.since_ns ? `${fmtDateTime(c.since_ns)} UTC` : "—"],
    ["subscribed", c.subscribed.length ? `${c.subscribed.length}: ${c.subscribed.join(", ")}` : "none"],
    ["errors", fmtInt(c.errors)],
    ["last error", c.last_error || "none", c.last_error ? "status-unhealthy" : ""],
  ];
  const { scalars, tables } = detailParts(c.details || {});
  return h("section", { class: "card provider-detail", "data-detail": p.name },
    h("h2", {}, `${p.name} — live state`),
    h("dl", { class: "facts" }, ...facts.concat(scalars).map(([k, v, cls]) => h("div", { "data-key": k }, h("dt", {}, k), h("dd", { class: cls || null }, v)))),
    ...tables.map(([k, rows]) => h("div", { class: "fit" }, detailTable(k, rows))),
  );
}

const label = (k) => k.replaceAll("_", " ");
function plain(v) {
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "number") return fmtInt(v);
  if (Array.isArray(v)) return v.length ? v.map(plain).join(", ") : "none";
  if (typeof v === "object") {
    const parts = Object.entries(v).map(([k, x]) => `${label(k)} ${plain(x)}`);
    return parts.length ? parts.join(", ") : "none";
  }
  return String(v);
}

// Scalars, lists and small objects become one line each; lists of records become tables.
function detailParts(details) {
  const scalars = [];
  const tables = [];
  for (const [k, v] of Object.entries(details)) {
    if (Array.isArray(v) && v.length && v.every((x) => x && typeof x === "object" && !Array.isArray(x))) tables.push([k, v]);
    else scalars.push([label(k), plain(v)]);
  }
  return { scalars, tables };
}

function detailTable(key, rows) {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const isNum = (c) => rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === "number");
  return table(
    `${label(key)} (${rows.length})`,
    columns.map((c) => ({ label: label(c), num: isNum(c) })),
    rows.map((r) => h("tr", {}, columns.map((c) => h("td", { class: isNum(c) ? "num" : "text", "data-col": c }, plain(r[c]))))),
    { class: "wrap", "data-table": key },
  );
}
