// The settings page of the dashboard.
import { KEY_STORAGE, h, api, message } from "../ui.js";

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
  root.append(
    h("h1", {}, "Settings"),
    h("div", { class: "grid" },
      h("section", { class: "card span-6" }, h("h2", {}, "Effective configuration (secrets masked)"), pre),
      h("section", { class: "card span-6" },
        h("h2", {}, "Validate a config file"),
        area,
        h("p", {}, h("button", { type: "button", id: "validate-btn", onclick: validate }, "Validate")),
        msg,
        h("h2", {}, "API key"),
        h("p", { class: "muted" }, "Needed for changes (subscriptions, jobs) once the server has MDC_API_KEY set, and for every page when it serves beyond this machine (or with http.require_key_for_reads). Sent with every request; kept in this browser only."),
        h("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); localStorage.setItem(KEY_STORAGE, key.value); message(keyMsg, "Saved in this browser.", true); } },
          h("label", {}, "X-API-Key", key), h("button", { type: "submit" }, "Save")),
        keyMsg)),
  );
  api("/api/config")
    .then((cfg) => {
      pre.textContent = JSON.stringify(cfg, null, 2);
      if (!area.value) area.value = `provider = ${JSON.stringify(cfg.provider)}\nsymbols = ${JSON.stringify(cfg.symbols.map((s) => (typeof s === "string" ? s : s.symbol)))}\n`;
    })
    .catch((err) => (pre.textContent = err.message));
  return () => {};
}
