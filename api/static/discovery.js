// "Shoppers also clicked" on the product page: co-clicks first, similar items to fill the row.
import { api } from "./api.js";
import { clear, h } from "./dom.js";

export function alsoClicked(id, renderCard) {
  const list = h("ul", { class: "grid", id: "also-clicked", "aria-label": "Shoppers also clicked" });
  const section = [h("h2", { class: "section-title" }, "Shoppers also clicked"), list];
  api.call("GET", `/products/${encodeURIComponent(id)}/also-clicked?k=4`).then((body) => {
    clear(list).append(...body.results.map((r) => renderCard(r, h("span", { class: "reason" },
      r.source === "co_click" ? `${r.shoppers} shoppers opened both` : "similar item"))));
    if (!body.results.length) list.replaceWith(h("p", { class: "status" }, "Nothing yet."));
  }).catch(() => list.replaceWith(h("p", { class: "status" }, "Not available right now.")));
  return section;
}
