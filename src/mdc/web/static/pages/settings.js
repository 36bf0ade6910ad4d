// The settings page of the dashboard: the effective config, validation of a file's text, a
// hot reload of the running collector's config file (with the latest reloads) and the API key.
import { KEY_STORAGE, ARCHIVE_REASON, h, api, message, serverMode, fmtDateTime } from "../ui.js";

export function settingsPage(root) {
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
  const reloadMsg = h("div", { class: "msg", role: "status", "aria-live": "polite", id: "reload-msg" });
  const reloadBtn = h("button", { type: "button", id: "reload-btn", onclick: () => reload() }, "Reload config file");
  const history = h("ul", { id: "reload-history", class: "muted" });
  const showReloads = async () => {
    const st = await api("/status");
    const reloads = (st.config && st.config.reloads) || [];
    history.replaceChildren(...reloads.slice().reverse().map((r) =>
      h("li", { "data-ok": String(r.ok) }, `${fmtDateTime(r.at_ns)} UTC · ${r.trigger} · ${r.message}`)));
  };
  const showConfig = () =>
    api("/api/config")
      .then((cfg) => {
        pre.textContent = JSON.stringify(cfg, null, 2);
        if (!area.value) area.value = `provider = ${JSON.stringify(cfg.provider)}\nsymbols = ${JSON.stringify(cfg.symbols.map((s) => (typeof s === "string" ? s : s.symbol)))}\n`;
      })
      .catch((err) => (pre.textContent = err.message));
  const reload = async () => {
    reloadBtn.disabled = true;
    try {
      const res = await api("/api/config/reload", { method: "POST" });
      message(reloadMsg, res.message, true);
      showConfig();
    } catch (err) {
      message(reloadMsg, err.message, false);
    }
    reloadBtn.disabled = false;
    showReloads().catch(() => {});
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
        h("h2", {}, "Reload"),
        h("p", { class: "muted" }, "Re-read the config file the collector started with (also on SIGHUP or when the file changes). Symbols, routes, retention, budgets, log level and backfill schedules apply live; other keys are named as needing a restart. A bad file is refused and the collector keeps its config."),
        h("p", {}, reloadBtn),
        reloadMsg,
        history,
        h("h2", {}, "API key"),
        h("p", { class: "muted" }, "Needed for changes (subscriptions, jobs) once the server has MDC_API_KEY set, and for every page when it serves beyond this machine (or with http.require_key_for_reads). Sent with every request; kept in this browser only."),
        h("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); localStorage.setItem(KEY_STORAGE, key.value); message(keyMsg, "Saved in this browser.", true); } },
          h("label", {}, "X-API-Key", key), h("button", { type: "submit" }, "Save")),
        keyMsg)),
  );
  showConfig();
  serverMode().then((mode) => {
    if (mode === "archive") {
      reloadBtn.disabled = true;
      reloadBtn.title = ARCHIVE_REASON;
    } else showReloads().catch(() => {});
  });
  return () => {};
}
