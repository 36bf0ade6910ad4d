// The providers page of the dashboard.
import { REFRESH_MS, h, api, fmtInt, fmtAge, table, td, num, message, every } from "../ui.js";

export function providersPage(root) {
  const list = h("div", { id: "provider-list" });
  const channels = h("div", { id: "feed-channels" });
  const imports = h("div", { id: "import-list" });
  const reference = h("div", { id: "reference-list" });
  root.append(h("h1", {}, "Providers"), h("section", { class: "card" }, list), channels, imports, reference);
  const session = (r) =>
    r ? h("p", { class: "request-server" },
      `Request server ${r.server}: ${r.connected ? "connected" : "not connected"} · ${fmtInt(r.requests_sent)} requests · ${fmtInt(r.accepted)} accepted · ${fmtInt(r.refused)} refused · ${fmtInt(r.heartbeats)} heartbeats` + (r.last_error ? ` · ${r.last_error}` : ""))
      : "";
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
            session(p.connection.details.request_server),
            table(
              `${p.name} channels · ${fmtInt(p.connection.details.symbols)} symbols · ${fmtInt(p.connection.details.stale_books)} stale books · ${fmtInt(p.connection.details.unknown_orders)} unknown orders`,
              [{ label: "Channel" }, { label: "Venue" }, { label: "Next seq", num: true }, { label: "Messages", num: true }, { label: "Packets per line" }, { label: "Duplicates per line" }, { label: "Heartbeats", num: true }, { label: "Gaps", num: true }, { label: "Missing", num: true }, { label: "Resets", num: true }, { label: "Held", num: true }, { label: "Retransmission requests", num: true }, { label: "Refresh requests", num: true }, { label: "Refused", num: true }, { label: "Books refreshed", num: true }],
              p.connection.details.channels.map((c) =>
                h("tr", { "data-channel": c.channel },
                  td(String(c.channel)), td(c.venue), num(c.next_seq == null ? "—" : fmtInt(c.next_seq)), num(fmtInt(c.messages)),
                  td(perLine(c.packets)), td(perLine(c.duplicates)), num(fmtInt(c.heartbeats)),
                  h("td", { class: "num channel-gaps" }, fmtInt(c.gaps)), num(fmtInt(c.missing_messages)),
                  num(fmtInt(c.sequence_resets)), num(fmtInt(c.pending_packets)),
                  h("td", { class: "num channel-retrans" }, fmtInt(c.retransmission_requests)), num(fmtInt(c.refresh_requests)),
                  num(fmtInt(c.refused_requests)), h("td", { class: "num channel-refreshed" }, fmtInt(c.refreshed_books)),
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
  });
}
