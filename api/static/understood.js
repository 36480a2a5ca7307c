// What the search understood in the shopper's words, as removable chips ("White ×"), with the
// notices the server sends ("showing results for 'sneakers'") and "did you mean".
// Removing a chip re-runs the search with that kind in the request's `ignore` list; an ignored
// chip stays, struck through, so that it can be put back.
import { h } from "./dom.js";

function label(attr, corrections) {
  if (attr.values.length === 1) return attr.values[0];
  const words = attr.words.map((w) => corrections[w.toLowerCase()] || w).join(" ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function chip(text, kind, ignored, handlers) {
  const action = ignored ? handlers.onRestore : handlers.onIgnore;
  return h("li", { class: `chip${ignored ? " ignored" : ""}`, dataset: { kind } },
    h("span", { class: "chip-label" }, text),
    h("button", {
      type: "button", class: "chip-x",
      "aria-label": ignored ? `Use ${text} again` : `Stop using ${text}`,
      title: ignored ? "Use it again" : "Search without it",
      onclick: () => action(kind),
    }, ignored ? "+" : "×"));
}

export function renderReading(box, body, handlers) {
  while (box.firstChild) box.firstChild.remove();
  const understood = body.understood;
  const corrections = Object.fromEntries((understood?.corrections || []).map((c) => [c.word.toLowerCase(), c.corrected]));
  const chips = (understood?.attributes || [])
    .filter((a) => a.products > 0 && (a.applied || a.ignored))
    .map((a) => chip(label(a, corrections), a.kind, a.ignored, handlers));
  const price = understood?.price;
  if (price && (price.applied || price.ignored)) chips.push(chip(price.words.join(" "), "price", price.ignored, handlers));
  if (chips.length) {
    box.append(h("div", { class: "understood-row" }, h("span", { class: "hint" }, "Understood:"),
      h("ul", { class: "chips", "aria-label": "What the search understood" }, chips)));
  }
  if (body.did_you_mean) {
    box.append(h("p", { class: "did-you-mean" }, "Did you mean ",
      h("a", { href: "#/", onclick: (e) => { e.preventDefault(); handlers.onSearch(body.did_you_mean); } },
        body.did_you_mean), "?"));
  }
  const notices = body.notices || [];
  if (notices.length) box.append(h("ul", { class: "notices" }, notices.map((n) => h("li", {}, n))));
  box.hidden = !box.firstChild;
}
