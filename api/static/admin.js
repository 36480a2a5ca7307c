// The admin dashboard: sign in with client credentials (-> JWT), then stats, queue and clients.
import { ApiError, api } from "./api.js";
import { $, ago, clear, h } from "./dom.js";
import { barChart, pairedBars } from "./charts.js";
import { initThemeToggle } from "./themes.js";

const TOKEN_KEY = "vitrine-admin-token";
const REFRESH_MS = 15000;
const STAGES = ["encode", "candidates", "rerank", "taste", "facets", "total"];
let timer = null;

// sessionStorage: the token lives as long as this tab, not on the disk for later visitors.
const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

const els = {
  loginView: $("#login-view"), loginForm: $("#login-form"), loginError: $("#login-error"),
  dashboard: $("#dashboard"), status: $("#dash-status"), refresh: $("#refresh"), logout: $("#logout"),
};

function authed(method, path, json) {
  return api.call(method, path, { json, token: token.get() }).catch((e) => {
    if (e instanceof ApiError && e.status === 401) {
      signOut("Your session ended; sign in again.");
    }
    throw e;
  });
}

function rows(tbody, items, cells) {
  clear(tbody).append(...items.map((item) => h("tr", {}, cells(item))));
  if (!items.length) tbody.append(h("tr", {}, h("td", { colspan: 5, class: "hint" }, "Nothing yet.")));
}

function renderStats(s) {
  $("#kpi-hour").textContent = String(s.searches_last_hour);
  $("#kpi-total").textContent = String(s.totals.searches);
  $("#kpi-zero").textContent = String(s.totals.zero_results);
  $("#kpi-cache").textContent = s.cache.hit_ratio == null ? "–" : `${Math.round(s.cache.hit_ratio * 100)}%`;
  $("#kpi-points").textContent = s.index.points == null ? "–" : String(s.index.points);
  $("#kpi-model").textContent = s.index.serving_model || "–";
  barChart($("#spm-chart"), s.searches_per_minute.map((m) => ({
    label: new Date(m.minute * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }), value: m.searches,
  })), { label: "Searches per minute over the last hour" });
  const lat = STAGES.filter((st) => s.latency_ms[st]?.samples).map((st) => ({
    label: st, a: s.latency_ms[st].p50, b: s.latency_ms[st].p95, n: s.latency_ms[st].samples,
  }));
  pairedBars($("#latency-chart"), lat, { names: ["p50", "p95"], label: "Latency p50 and p95 per stage" });
  rows($("#latency-table tbody"), lat, (r) => [h("td", {}, r.label), h("td", { class: "num" }, r.a.toFixed(1)),
    h("td", { class: "num" }, r.b.toFixed(1)), h("td", { class: "num" }, String(r.n))]);
  rows($("#top-table tbody"), s.top_queries, (q) => [h("td", {}, q.query), h("td", { class: "num" }, String(q.searches))]);
  rows($("#zero-table tbody"), s.zero_result_queries,
    (q) => [h("td", {}, q.query), h("td", { class: "num" }, String(q.searches))]);
  const queue = $("#queue");
  clear(queue);
  if (s.queue.error) queue.append(h("p", { class: "error-text" }, s.queue.error));
  else {
    for (const [name, n] of Object.entries(s.queue)) {
      queue.append(h("span", { class: "pill", dataset: { queue: name } }, `${name === "started" ? "running" : name}: `,
        h("strong", {}, String(n))));
    }
  }
}

async function renderFailed() {
  const list = $("#failed");
  let body;
  try { body = await authed("GET", "/jobs?limit=20"); } catch (e) {
    clear(list).append(h("li", { class: "hint" }, e.message));
    return;
  }
  clear(list).append(...body.failed.map((job) => {
    const retry = h("button", { type: "button", class: "btn small" }, "Retry");
    retry.addEventListener("click", async () => {
      retry.disabled = true;
      try { await authed("POST", `/jobs/${encodeURIComponent(job.id)}/retry`); await refresh(); } catch (e) {
        retry.disabled = false;
        retry.title = e.message;
      }
    });
    return h("li", {}, h("strong", {}, job.id), h("span", { class: "reason" }, job.reason || job.error || "failed"),
      h("span", { class: "hint" }, (job.product_ids || []).join(", ")), h("span", {}, retry));
  }));
  if (!body.failed.length) list.append(h("li", { class: "hint" }, "No failed jobs."));
}

async function renderClients() {
  const body = await authed("GET", "/admin/clients");
  rows($("#clients-table tbody"), body.clients, (c) => {
    const del = h("button", { type: "button", class: "btn small", "aria-label": `Delete client ${c.client_id}` }, "Delete");
    del.addEventListener("click", async () => {
      if (!confirm(`Delete client ${c.client_id}? Its tokens stop working.`)) return;
      await authed("DELETE", `/admin/clients/${encodeURIComponent(c.client_id)}`);
      renderClients();
    });
    return [h("td", {}, h("code", {}, c.client_id)), h("td", {}, c.name), h("td", {}, c.scopes),
      h("td", {}, c.rate_limit || "default"), h("td", {}, c.created ? ago(Number(c.created)) : ""), h("td", {}, del)];
  });
}

$("#client-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const scopes = [...document.querySelectorAll('input[name="scope"]:checked')].map((i) => i.value);
  const box = $("#new-secret");
  box.hidden = false;
  try {
    const made = await authed("POST", "/admin/clients", { scopes, name: $("#client-name").value.trim() });
    box.replaceChildren(h("strong", {}, "Client created. Copy the secret now: it is not shown again."), h("br"),
      "client_id ", h("code", { id: "new-client-id" }, made.client_id), h("br"),
      "client_secret ", h("code", { id: "new-client-secret" }, made.client_secret));
    renderClients();
  } catch (err) {
    box.replaceChildren(h("span", { class: "error-text" }, err.message));
  }
});

async function refresh() {
  els.status.textContent = "Updating…";
  try {
    const stats = await authed("GET", "/admin/stats");
    renderStats(stats);
    await Promise.all([renderFailed(), renderClients()]);
    els.status.textContent = `Updated ${new Date().toLocaleTimeString()}${stats.redis ? "" : " · Redis is down: analytics paused"}`;
  } catch (e) {
    els.status.textContent = `Could not update: ${e.message}`;
  }
}

function showDashboard() {
  els.loginView.hidden = true;
  els.dashboard.hidden = false;
  els.refresh.hidden = false;
  els.logout.hidden = false;
  refresh();
  clearInterval(timer);
  timer = setInterval(refresh, REFRESH_MS);
}

function signOut(message = "") {
  const t = token.get();
  token.clear();
  clearInterval(timer);
  if (t && !message) api.call("POST", "/auth/revoke", { token: t }).catch(() => {});
  els.dashboard.hidden = true;
  els.refresh.hidden = true;
  els.logout.hidden = true;
  els.loginView.hidden = false;
  els.loginError.textContent = message;
}

els.loginForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  els.loginError.textContent = "";
  try {
    const pair = await api.call("POST", "/auth/token", {
      json: { client_id: $("#client-id").value.trim(), client_secret: $("#client-secret").value },
    });
    token.set(pair.access_token);
    if (!String(pair.scope || "").split(" ").includes("admin")) {
      signOut("This client has no admin scope.");
      return;
    }
    showDashboard();
  } catch (err) {
    els.loginError.textContent = err.message || "Sign-in failed.";
  }
});
els.refresh.addEventListener("click", refresh);
els.logout.addEventListener("click", () => signOut());
initThemeToggle($("#theme-toggle"));
if (token.get()) showDashboard();
