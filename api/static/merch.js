// Merchandising on the admin dashboard: the numbers read from shopper events (the same
// GET /analytics/report the API serves) and the A/B tests with their per-variant results.
import { api } from "./api.js";
import { $, clear, h } from "./dom.js";
import { barChart } from "./charts.js";

const TOKEN_KEY = "vitrine-admin-token";
const pct = (x) => (x == null ? "–" : `${(x * 100).toFixed(1)}%`);
const num = (x, d = 2) => (x == null ? "–" : Number(x).toFixed(d));
const day = (t) => new Date(t).toISOString().slice(0, 10);

export function authed(method, path, json) {
  return api.call(method, path, { json, token: sessionStorage.getItem(TOKEN_KEY) });
}

function table(el, items, cells) {
  clear(el.tBodies[0]).append(...items.map((it) => h("tr", {}, cells(it))));
  if (!items.length) el.tBodies[0].append(h("tr", {}, h("td", { colspan: 6, class: "hint" }, "Nothing yet.")));
}

const td = (v, cls) => h("td", cls ? { class: cls } : {}, String(v));

async function renderReport() {
  const start = $("#an-start").value, end = $("#an-end").value;
  let r;
  try { r = await authed("GET", `/analytics/report?start=${start}&end=${end}`); } catch (e) {
    $("#an-status").textContent = e.message;
    return;
  }
  $("#an-status").textContent = "";
  const o = r.overall;
  $("#an-searches").textContent = String(o.searches);
  $("#an-ctr").textContent = pct(o.ctr);
  $("#an-conv").textContent = pct(o.conversion);
  $("#an-pos").textContent = num(o.avg_click_position);
  $("#an-revenue").textContent = num(o.revenue);
  barChart($("#an-days"), r.days.map((d) => ({ label: d.day.slice(5), value: Math.round((d.ctr || 0) * 1000) / 10 })),
    { label: "CTR per day (%)" });
  table($("#an-queries"), r.queries, (q) => [td(q.query), td(q.searches, "num"), td(pct(q.ctr), "num"),
    td(pct(q.conversion), "num"), td(num(q.avg_click_position), "num")]);
  table($("#an-noclick"), r.no_click_queries, (q) => [td(q.query), td(q.searches, "num")]);
  table($("#an-zero"), r.zero_result_queries, (q) => [td(q.query), td(q.searches, "num")]);
  table($("#an-products"), r.top_products, (p) => [td(p.product_id), td(p.clicks, "num"), td(p.purchases, "num")]);
}

async function renderExperiments() {
  const list = $("#exp-list");
  let body;
  try { body = await authed("GET", "/experiments"); } catch (e) {
    clear(list).append(h("p", { class: "error-text" }, e.message));
    return;
  }
  const blocks = await Promise.all(body.experiments.map(async (rec) => {
    const id = rec.experiment.id;
    const res = await authed("GET", `/experiments/${encodeURIComponent(id)}/results`);
    const stop = rec.status === "running" ? h("button", { type: "button", class: "btn small", onclick: async () => {
      await authed("POST", `/experiments/${encodeURIComponent(id)}/stop`); renderExperiments();
    } }, "Stop") : null;
    const ci = (c) => (c ? `${pct(c[0])} – ${pct(c[1])}` : "–");
    return h("div", { class: "experiment" }, h("h3", {}, `${id} · ${rec.status} `, stop),
      h("table", { class: "data" }, h("thead", {}, h("tr", {}, ["Variant", "Searches", "CTR (95% CI)", "Conversion",
        "Revenue / search", "Verdict"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, res.results.map((v) => h("tr", {}, [td(v.variant), td(v.searches, "num"),
        td(`${pct(v.ctr)} (${ci(v.ctr_ci)})`, "num"), td(pct(v.conversion), "num"), td(num(v.revenue_per_search), "num"),
        td(v.verdict || "control")])))));
  }));
  clear(list).append(...blocks);
  if (!blocks.length) list.append(h("p", { class: "hint" }, "No experiments yet."));
}

async function createExperiment(e) {
  e.preventDefault();
  const out = $("#exp-error");
  out.textContent = "";
  try {
    await authed("POST", "/experiments", JSON.parse($("#exp-json").value));
    renderExperiments();
  } catch (err) { out.textContent = err.message; }
}

export function refreshMerch() {
  if ($("#dashboard").hidden) return;
  renderReport();
  renderExperiments();
}

$("#an-end").value = day(Date.now());
$("#an-start").value = day(Date.now() - 6 * 86400000);
$("#an-form").addEventListener("submit", (e) => { e.preventDefault(); renderReport(); });
$("#exp-form").addEventListener("submit", createExperiment);
$("#refresh").addEventListener("click", refreshMerch);
new MutationObserver(refreshMerch).observe($("#dashboard"), { attributes: true, attributeFilter: ["hidden"] });
setInterval(refreshMerch, 30000);
refreshMerch();
