// The mdc dashboard: a hash-routed single page, no build step. Each page (one module under
// pages/) renders into <main> and returns a cleanup function (closing its streams and timers)
// for when the user leaves it.
import { startStatusStream } from "./ui.js";
import { overviewPage } from "./pages/overview.js";
import { livePage } from "./pages/live.js";
import { symbolsPage } from "./pages/symbols.js";
import { providersPage } from "./pages/providers.js";
import { storagePage } from "./pages/storage.js";
import { qualityPage } from "./pages/quality.js";
import { backfillPage } from "./pages/backfill.js";
import { exportPage } from "./pages/export.js";
import { notificationsPage } from "./pages/notifications.js";
import { datasetsPage } from "./pages/datasets.js";
import { settingsPage } from "./pages/settings.js";
import { remotePage } from "./pages/remote.js";

const main = document.getElementById("main");
const pages = {
  overview: overviewPage,
  live: livePage,
  symbols: symbolsPage,
  providers: providersPage,
  storage: storagePage,
  quality: qualityPage,
  backfill: backfillPage,
  export: exportPage,
  notifications: notificationsPage,
  datasets: datasetsPage,
  settings: settingsPage,
  remote: remotePage,
};

let cleanup = null;
function route() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  const name = pages[path] ? path : "overview";
  const params = new URLSearchParams(query || "");
  if (cleanup && route.current === name && name === "live") return; // symbol switch inside Live
  if (cleanup) cleanup();
  route.current = name;
  main.replaceChildren();
  document.querySelectorAll("#nav a").forEach((a) => {
    if (a.dataset.page === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  document.title = `${document.querySelector(`#nav a[data-page="${name}"]`).textContent} — mdc`;
  cleanup = pages[name](main, params) || null;
  main.focus();
}

window.addEventListener("hashchange", route);
startStatusStream();
route();
