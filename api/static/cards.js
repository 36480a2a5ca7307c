// Result cards and the "why this result" explanation of a score.
import { h, fmt, price } from "./dom.js";

function bar(value) {
  const span = h("span");
  span.style.width = `${Math.max(0, Math.min(1, value)) * 100}%`;  // CSSOM, allowed by the CSP
  return h("div", { class: "bar", "aria-hidden": "true" }, span);
}

export function why(result) {
  const b = result.breakdown || {};
  const w = b.weights || {};
  const rows = [
    ["Photo match (s_image)", fmt(b.s_image), b.s_image],
    ["Words match (s_text)", fmt(b.s_text), b.s_text],
    ["Photo weight in query (alpha)", `${Math.round((b.alpha ?? 0) * 100)}%`],
    ["Weights image / text", `${w.image ?? "—"} / ${w.text ?? "—"}`],
  ];
  if (b.s_keyword !== undefined) {
    // a text search's hybrid terms: keyword (BM25) score and the understood attributes it has
    rows.push(["Keyword match (s_keyword)", fmt(b.s_keyword)]);
    rows.push(["Understood attributes (s_attributes)", fmt(b.s_attributes), b.s_attributes]);
    rows.push(["Weights keyword / attributes", `${w.keyword ?? "—"} / ${w.attributes ?? "—"}`]);
  }
  if (b.taste) {
    rows.push(["Your taste (s_taste)", fmt(b.taste.s_taste), b.taste.s_taste]);
    rows.push([`Taste contribution (× ${b.taste.weight})`, `+${fmt(b.taste.contribution)}`]);
    rows.push(["Score without taste", fmt(b.base_score)]);
  }
  rows.push(["Final score", fmt(result.score)]);
  const matched = Object.entries(b.matched_filters || {}).map(([k, v]) => `${k}: ${[].concat(v).join(", ")}`);
  return h("details", { class: "why" },
    h("summary", {}, "Why this result"),
    h("table", {},
      h("tbody", {}, rows.map(([label, text, v]) =>
        h("tr", {}, h("th", { scope: "row" }, label, v !== undefined ? bar(v) : null), h("td", {}, text))))),
    matched.length ? h("p", { class: "formula" }, `Matched filters — ${matched.join("; ")}`) : null,
    b.understood?.length ? h("p", { class: "formula" }, `Has — ${b.understood.join("; ")}`) : null,
    h("p", { class: "formula" }, b.formula || ""),
  );
}

export function favButton(id, isFav, onToggle) {
  const button = h("button", {
    type: "button", class: "fav", "aria-pressed": String(isFav),
    "aria-label": isFav ? "Remove from favorites" : "Add to favorites",
    dataset: { fav: id },
  }, isFav ? "♥" : "♡");
  button.addEventListener("click", (event) => {
    event.preventDefault();
    event.stopPropagation();
    onToggle(id, button);
  });
  return button;
}

export function setFavButton(button, isFav) {
  button.setAttribute("aria-pressed", String(isFav));
  button.setAttribute("aria-label", isFav ? "Remove from favorites" : "Add to favorites");
  button.textContent = isFav ? "♥" : "♡";
}

export function card(result, { isFav, onFav, explain = true, extra = null, eager = false }) {
  const p = result.product || result;
  const meta = [p.colour, p.article_type || p.category, p.occasion].filter(Boolean).join(" · ");
  return h("li", { class: "card", dataset: { id: p.id } },
    h("div", { class: "thumb" },
      p.image ? h("img", { src: p.image, alt: p.title || "", loading: eager ? "eager" : "lazy", decoding: "async",
        width: 300, height: 400 }) : null,
      favButton(p.id, isFav(p.id), onFav)),
    h("div", { class: "body" },
      h("a", { class: "title", href: `#/product/${encodeURIComponent(p.id)}` }, p.title || p.id),
      h("span", { class: "meta" }, meta),
      h("div", { class: "row" },
        h("strong", {}, price(p.price)),
        result.score !== undefined ? h("span", { class: "score" }, `score ${fmt(result.score)}`) : null),
      extra,
      explain && result.breakdown ? why(result) : null));
}

export function skeletons(n) {
  return Array.from({ length: n }, () => h("li", { class: "card skeleton", "aria-hidden": "true" },
    h("div", { class: "thumb" }), h("div", { class: "body" }, h("div", { class: "line" }), h("div", { class: "line" }))));
}
