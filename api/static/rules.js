// Merchandising rules on the admin dashboard: the list, a JSON editor, and a live preview of a
// search's first page before and after the draft (POST /rules/preview; nothing is saved).
import { $, clear, h } from "./dom.js";
import { authed } from "./merch.js";

const EXAMPLE = { name: "summer-sale", priority: 10, conditions: { query_contains: "dress" },
  consequences: { pin: [{ product_id: "10000", position: 1 }], banner: "Summer sale: 20% off dresses" } };
let debounce = null;

async function renderRules() {
  let body;
  try { body = await authed("GET", "/rules"); } catch { return; }
  const list = clear($("#rules-list"));
  for (const rec of body.rules) {
    const r = rec.rule;
    list.append(h("li", {}, h("button", { type: "button", class: "btn small", onclick: () => {
      $("#rule-json").value = JSON.stringify(r, null, 2); preview();
    } }, "Edit"), ` ${r.name} · priority ${r.priority} · v${rec.version} by ${rec.updated_by} `,
    h("button", { type: "button", class: "btn small", onclick: async () => {
      await authed("DELETE", `/rules/${encodeURIComponent(r.name)}`); renderRules();
    } }, "Delete")));
  }
  if (!body.rules.length) list.append(h("li", { class: "hint" }, "No rules yet."));
}

function column(el, side) {
  clear(el).append(...(side.results || []).map((r, i) => h("li", {}, `${i + 1}. ${r.title} `,
    r.rules.length ? h("em", {}, `(${r.rules.join("; ")})`) : null)));
  if (side.banners) el.prepend(h("li", { class: "hint" }, `Banner: ${side.banners.join(" / ")}`));
  if (side.redirect) el.prepend(h("li", { class: "hint" }, `Redirect: ${side.redirect}`));
}

async function preview() {
  const out = $("#rule-error");
  out.textContent = "";
  let rule;
  try { rule = JSON.parse($("#rule-json").value); } catch { out.textContent = "The rule is not valid JSON."; return; }
  try {
    const body = await authed("POST", "/rules/preview", { search: { text: $("#preview-q").value || "dress", k: 10 }, rule });
    column($("#preview-before"), body.before);
    column($("#preview-after"), body.after);
  } catch (e) { out.textContent = e.message; }
}

async function save(e) {
  e.preventDefault();
  const out = $("#rule-error");
  try {
    const rule = JSON.parse($("#rule-json").value);
    const known = (await authed("GET", "/rules")).rules.some((rec) => rec.rule.name === rule.name);
    if (known) await authed("PATCH", `/rules/${encodeURIComponent(rule.name)}`, rule);
    else await authed("POST", "/rules", rule);
    out.textContent = "Saved.";
    renderRules();
  } catch (err) { out.textContent = err.message; }
}

$("#rule-json").value = JSON.stringify(EXAMPLE, null, 2);
$("#rule-form").addEventListener("submit", save);
for (const el of [$("#rule-json"), $("#preview-q")]) {
  el.addEventListener("input", () => { clearTimeout(debounce); debounce = setTimeout(preview, 400); });
}
$("#refresh").addEventListener("click", renderRules);
new MutationObserver(() => { if (!$("#dashboard").hidden) { renderRules(); preview(); } })
  .observe($("#dashboard"), { attributes: true, attributeFilter: ["hidden"] });
if (!$("#dashboard").hidden) renderRules();
