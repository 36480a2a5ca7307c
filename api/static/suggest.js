// Search-as-you-type: suggestions under the search box, with the top 3 products of the
// highlighted one. Keyboard: ↓/↑ move, Enter searches the highlighted one, Escape closes.
import { api } from "./api.js";
import { clear, h } from "./dom.js";

const DEBOUNCE_MS = 80;
const PREVIEW_MS = 150;
const KIND_LABEL = { query: "popular", brand: "brand", type: "type", colour_type: "colour + type", understood: "" };

export function initSuggest({ input, anchor, onPick }) {
  const list = h("ul", { id: "suggest-list", class: "suggest", role: "listbox", "aria-label": "Suggestions", hidden: true });
  const previews = h("div", { class: "suggest-previews", id: "suggest-previews", "aria-live": "polite" });
  const box = h("div", { class: "suggest-box", id: "suggest-box", hidden: true }, list, previews);
  anchor.append(box);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", "suggest-list");
  input.setAttribute("aria-expanded", "false");
  let items = [];
  let active = -1;
  let timer = 0;
  let previewTimer = 0;
  let asked = 0;
  const cache = new Map();

  function close() {
    clearTimeout(previewTimer);
    box.hidden = true; list.hidden = true; active = -1; items = [];
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(i) {
    active = i;
    [...list.children].forEach((li, j) => li.setAttribute("aria-selected", String(j === i)));
    if (i < 0) { input.removeAttribute("aria-activedescendant"); clear(previews); return; }
    input.setAttribute("aria-activedescendant", `suggest-${i}`);
    clearTimeout(previewTimer);
    const text = items[i].text;
    previewTimer = setTimeout(() => preview(text), PREVIEW_MS);
  }

  async function preview(text) {
    let found = cache.get(text);
    if (!found) {
      try { found = (await api.call("GET", `/suggest/preview?k=3&q=${encodeURIComponent(text)}`)).results; }
      catch { return; }
      cache.set(text, found);
    }
    if (active < 0 || items[active]?.text !== text) return;
    clear(previews).append(...found.map((p) =>
      h("img", { src: p.image, alt: p.title, title: p.title, width: 60, height: 80, class: "suggest-thumb" })));
  }

  function pick(i) {
    const chosen = items[i];
    close();
    if (chosen) onPick(chosen.text);
  }

  function render(found) {
    items = found;
    clear(list).append(...found.map((s, i) => {
      const li = h("li", { id: `suggest-${i}`, role: "option", "aria-selected": "false", class: "suggest-item",
        dataset: { kind: s.kind } },
        h("span", { class: "suggest-text" }, s.text),
        h("span", { class: "suggest-meta" }, [KIND_LABEL[s.kind], `${s.count}`].filter(Boolean).join(" · ")));
      li.addEventListener("mousedown", (e) => { e.preventDefault(); pick(i); });
      li.addEventListener("mouseenter", () => highlight(i));
      return li;
    }));
    clear(previews);
    const open = found.length > 0;
    box.hidden = !open; list.hidden = !open; active = -1;
    input.setAttribute("aria-expanded", String(open));
  }

  async function ask() {
    const typed = input.value;
    const mine = ++asked;
    if (!typed.trim()) { close(); return; }
    try {
      const body = await api.call("GET", `/suggest?q=${encodeURIComponent(typed)}`);
      if (mine === asked && document.activeElement === input) render(body.suggestions);
    } catch { close(); }
  }

  // A search sent (Enter, the button, a pick) closes them, and an answer still on its way is dropped.
  anchor.addEventListener("submit", () => { asked++; clearTimeout(timer); close(); });
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(ask, DEBOUNCE_MS); });
  input.addEventListener("blur", () => setTimeout(close, 100));
  input.addEventListener("keydown", (e) => {
    if (box.hidden || !items.length) return;
    if (e.key === "ArrowDown") { e.preventDefault(); highlight((active + 1) % items.length); }
    else if (e.key === "ArrowUp") { e.preventDefault(); highlight(active <= 0 ? items.length - 1 : active - 1); }
    else if (e.key === "Escape") { e.preventDefault(); close(); }
    else if (e.key === "Enter" && active >= 0) { e.preventDefault(); pick(active); }
    else if (e.key === "Enter") close();
  });
  return { close };
}
