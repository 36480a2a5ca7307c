// More like this, less like this: marks on result cards steer the page by example
// (POST /api/v1/recommend) without retyping; each card then says which example pulled it.
import { api } from "./api.js";
import { clear, fmt, h } from "./dom.js";

export function initSteer({ results, query, renderCard, onClear, onError }) {
  const positive = new Set();
  const negative = new Set();
  const bar = h("div", { class: "steer-bar", id: "steer-bar", "aria-live": "polite", hidden: true });
  results.before(bar);

  function reset() { positive.clear(); negative.clear(); bar.hidden = true; }

  function showBar() {
    const clearBtn = h("button", { type: "button", class: "btn small ghost", id: "steer-clear" }, "Clear");
    clearBtn.addEventListener("click", () => { reset(); onClear(); });
    clear(bar).append(`Refining by example: ${positive.size} more like, ${negative.size} less like `, clearBtn);
    bar.hidden = false;
  }

  async function refine() {
    if (!positive.size && !query().text) { reset(); onClear(); return; }
    showBar();
    const q = query();
    const body = { positive: [...positive], negative: [...negative], k: q.k };
    if (q.text) body.text = q.text;
    if (q.filters) body.filters = q.filters;
    results.setAttribute("aria-busy", "true");
    try {
      const found = await api.call("POST", "/recommend", { json: body });
      clear(results).append(...found.results.map((r) => renderCard(r, reason(r))));
    } catch (e) { onError(e); }
    finally { results.removeAttribute("aria-busy"); }
  }

  function mark(id, set, other) {
    if (set.has(id)) set.delete(id); else { set.add(id); other.delete(id); }
    refine();
  }

  function buttons(result) {
    const id = String(result.id ?? result.product?.id);
    const more = h("button", { type: "button", class: "btn small steer-more", "aria-pressed": String(positive.has(id)),
      dataset: { steer: "more", id } }, "▲ More like this");
    const less = h("button", { type: "button", class: "btn small steer-less", "aria-pressed": String(negative.has(id)),
      dataset: { steer: "less", id } }, "▼ Less like this");
    more.addEventListener("click", () => mark(id, positive, negative));
    less.addEventListener("click", () => mark(id, negative, positive));
    return h("span", { class: "steer" }, more, less);
  }

  function reason(result) {
    const b = result.breakdown || {};
    const pulled = b.pulled_by === "[text]" ? "your words" : b.pulled_by === "[photo]" ? "your photo" : `#${b.pulled_by}`;
    const text = [`Pulled by ${pulled} (${fmt(b.s_pulled)})`];
    if (b.pushed_by) text.push(`kept away from #${b.pushed_by} (${fmt(b.s_pushed)})`);
    return h("span", { class: "reason steer-reason" }, text.join(" · "));
  }

  return { buttons, reset, active: () => positive.size + negative.size > 0 };
}
