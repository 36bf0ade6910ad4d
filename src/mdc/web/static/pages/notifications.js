// The Notifications page: the [[alerts]] rules (snooze / wake), open incidents, and every
// notification sent (or held by a snooze), newest first.
import { REFRESH_MS, h, api, fmtDateTime, fmtDuration, table, td, message, every } from "../ui.js";

export function notificationsPage(root) {
  const rules = h("div", { id: "alert-rules" });
  const open = h("div", { id: "alert-open" });
  const list = h("div", { id: "notifications" });
  const note = h("p", { class: "msg", id: "snooze-msg", role: "status" });
  root.append(
    h("h1", {}, "Notifications"),
    h("div", { class: "grid" },
      h("section", { class: "card span-12" }, h("h2", {}, "Alert rules ([[alerts]] in the config)"), rules, note),
      h("section", { class: "card span-12" }, h("h2", {}, "Open incidents"), open),
      h("section", { class: "card span-12" }, h("h2", {}, "Notifications (newest first)"), h("div", { class: "scroll" }, list))),
  );
  const snooze = async (rule, seconds) => {
    try {
      await api(`/api/alerts/${encodeURIComponent(rule)}/snooze?seconds=${seconds}`, { method: "POST" });
      message(note, seconds ? `${rule} snoozed for ${fmtDuration(seconds)}` : `${rule} awake`, true);
      refresh();
    } catch (err) {
      message(note, err.message, false);
    }
  };
  const button = (label, rule, seconds) => {
    const b = h("button", { type: "button", "data-rule": rule }, label);
    b.addEventListener("click", () => snooze(rule, seconds));
    return b;
  };
  const refresh = async () => {
    let body;
    try {
      body = await api("/api/alerts");
    } catch (err) {
      rules.replaceChildren(h("p", { class: "msg error" }, err.message));
      return;
    }
    if (!body.live) {
      rules.replaceChildren(h("p", { class: "muted" }, "Alert rules are evaluated by a running collector (mdc collect); this server only shows an archive."));
    } else if (!body.rules.length) {
      rules.replaceChildren(h("p", { class: "muted" }, "No alert rules configured: add [[alerts]] to the config (docs/quality.md)."));
    } else {
      rules.replaceChildren(table(`${body.rules.length} rule${body.rules.length === 1 ? "" : "s"}`, [{ label: "Rule" }, { label: "When" }, { label: "Targets" }, { label: "Open", num: true }, { label: "Snoozed until (UTC)" }, { label: "" }],
        body.rules.map((r) => h("tr", { "data-rule": r.name }, td(r.name), td(r.when), td(r.targets.join(", ")), td(String(r.open), "num"), td(r.snoozed_until_ns ? fmtDateTime(r.snoozed_until_ns) : "—"),
          td(r.snoozed_until_ns ? button("Wake", r.name, 0) : button("Snooze 1 h", r.name, 3600))))));
    }
    open.replaceChildren(body.open.length
      ? table(`${body.open.length} open`, [{ label: "Rule" }, { label: "Subject" }, { label: "Since (UTC)" }, { label: "For" }, { label: "Detail" }, { label: "Notified" }],
        body.open.map((i) => h("tr", {}, td(i.rule), td(i.subject), td(fmtDateTime(i.started_ns)), td(fmtDuration(i.seconds)), td(i.detail), td(i.notified ? "yes" : "held (snoozed)"))))
      : h("p", { class: "muted" }, "Nothing open."));
    list.replaceChildren(body.notifications.length
      ? table(`${body.notifications.length} notifications`, [{ label: "At (UTC)" }, { label: "State" }, { label: "Rule" }, { label: "Subject" }, { label: "Detail" }, { label: "Delivery" }],
        body.notifications.map((n) => h("tr", { class: n.state === "firing" ? "error" : "", "data-state": n.state }, td(fmtDateTime(n.ts_ns)), td(n.state), td(n.rule), td(n.subject), td(n.detail),
          td(Object.entries(n.delivered).map(([t, d]) => `${t}: ${d}`).join("; ")))))
      : h("p", { class: "muted" }, "No notifications yet."));
  };
  return every(REFRESH_MS, refresh);
}
