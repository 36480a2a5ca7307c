// The storefront page: search (words, photo or both), filters, results, product pages,
// favorites and history. Views are chosen by the URL hash (#/, #/product/ID, #/favorites, #/history).
import { api, ApiError } from "./api.js";
import { $, ago, clear, h, price } from "./dom.js";
import { card, setFavButton, skeletons } from "./cards.js";
import { initThemeToggle } from "./themes.js";
import { renderReading } from "./understood.js";
import { initSuggest } from "./suggest.js";
import { initSteer } from "./steer.js";
import { alsoClicked } from "./discovery.js";
import { listenForClicks, shopperId, trackResults } from "./events.js";

const PAGE = 24;
const FACETS = ["occasion", "gender", "category", "colour", "season"];
const FACETS_SHOWN = 8;
const DIVERSITY = 0.1;  // the shop's first pages: no near-duplicate photos (docs/discovery.md)

const state = {
  text: "",
  image: null,
  fusion: 50,
  filters: {},       // field -> [values]
  ignore: [],        // understood kinds the shopper removed ("colour", "type", ...)
  sort: "relevance",
  taste: true,
  offset: 0,
  nextOffset: null,
  loading: false,
  searched: false,
  favorites: new Set(),
  controller: null,
  expanded: new Set(),
};

const els = {
  form: $("#search-form"), q: $("#q"), photo: $("#photo"), drop: $("#drop-zone"),
  chip: $("#image-chip"), preview: $("#image-preview"), imageName: $("#image-name"),
  imageClear: $("#image-clear"), fusion: $("#fusion"), fusionOut: $("#fusion-out"),
  facets: $("#facets"), clearFilters: $("#clear-filters"), summary: $("#summary"), status: $("#status"),
  results: $("#results"), more: $("#load-more"), sentinel: $("#sentinel"), sort: $("#sort"),
  taste: $("#taste"), favCount: $("#fav-count"), theme: $("#theme-toggle"),
  searchView: $("#search-view"), otherView: $("#other-view"), other: $("#other"),
  filtersBox: $("#filters"), filtersToggle: $("#filters-toggle"), understood: $("#understood"),
};

// -- status ----------------------------------------------------------------------------------

function setStatus(kind, title, message, action) {
  clear(els.status);
  if (!kind) return;
  els.status.append(h("div", { class: `status ${kind}` },
    title ? h("h2", {}, title) : null, h("p", {}, message), action || null));
}

function errorMessage(e) {
  if (e instanceof ApiError) {
    if (e.status === 429) return "Too many searches at once — wait a few seconds and try again.";
    return e.message;
  }
  return "Something went wrong. Try again.";
}

// -- favorites -------------------------------------------------------------------------------

function isFav(id) { return state.favorites.has(String(id)); }

function showFavCount() { els.favCount.textContent = String(state.favorites.size); }

async function toggleFavorite(id, button) {
  const key = String(id);
  const was = isFav(key);
  // Optimistic: the heart flips at once, and flips back if the server says no.
  if (was) state.favorites.delete(key); else state.favorites.add(key);
  document.querySelectorAll(`[data-fav="${CSS.escape(key)}"]`).forEach((b) => setFavButton(b, !was));
  showFavCount();
  try {
    if (was) await api.removeFavorite(key); else await api.addFavorite(key);
  } catch (e) {
    if (was) state.favorites.add(key); else state.favorites.delete(key);
    document.querySelectorAll(`[data-fav="${CSS.escape(key)}"]`).forEach((b) => setFavButton(b, was));
    showFavCount();
    if (button) button.title = errorMessage(e);
  }
}

async function loadFavorites() {
  try {
    const body = await api.favorites();
    state.favorites = new Set(body.favorites.map((f) => String(f.id)));
    showFavCount();
    return body.favorites;
  } catch {
    return [];
  }
}

// -- the search form ---------------------------------------------------------------------------

function setImage(file) {
  if (!file || !file.type.startsWith("image/")) {
    setStatus("error", "That is not a photo", "Choose a JPEG, PNG or WebP image.");
    return;
  }
  state.image = file;
  if (els.preview.src) URL.revokeObjectURL(els.preview.src);
  // blob: URLs are not in the CSP's img-src, so the preview is a data: URL.
  const reader = new FileReader();
  reader.onload = () => { els.preview.src = reader.result; };
  reader.readAsDataURL(file);
  els.imageName.textContent = file.name || "pasted photo";
  els.chip.hidden = false;
  newSearch();
}

els.photo.addEventListener("change", () => { if (els.photo.files[0]) setImage(els.photo.files[0]); });
els.imageClear.addEventListener("click", () => {
  state.image = null;
  els.photo.value = "";
  els.chip.hidden = true;
  els.preview.removeAttribute("src");
  els.q.focus();
  if (state.text) newSearch();
});
for (const type of ["dragenter", "dragover"]) {
  document.addEventListener(type, (e) => {
    if ([...(e.dataTransfer?.types || [])].includes("Files")) { e.preventDefault(); els.drop.classList.add("dragging"); }
  });
}
document.addEventListener("dragleave", (e) => { if (!e.relatedTarget) els.drop.classList.remove("dragging"); });
document.addEventListener("drop", (e) => {
  els.drop.classList.remove("dragging");
  const file = [...(e.dataTransfer?.files || [])].find((f) => f.type.startsWith("image/"));
  if (file) { e.preventDefault(); setImage(file); }
});
document.addEventListener("paste", (e) => {
  const item = [...(e.clipboardData?.items || [])].find((i) => i.type.startsWith("image/"));
  if (item) { e.preventDefault(); setImage(item.getAsFile()); }
});

function showFusion() {
  const v = Number(els.fusion.value);
  els.fusionOut.textContent = v === 0 ? "words only" : v === 100 ? "photo only" : `${v}% photo`;
}
els.fusion.addEventListener("input", showFusion);
els.fusion.addEventListener("change", () => {
  state.fusion = Number(els.fusion.value);
  if (state.text && state.image) newSearch();
});

initSuggest({ input: els.q, anchor: els.form, onPick: (text) => { els.q.value = text; els.form.requestSubmit(); } });
const steer = initSteer({
  results: els.results, renderCard: (r, reason) => card(r, { isFav, onFav: toggleFavorite, explain: false,
    extra: [reason, steer.buttons(r)] }),
  query: () => ({ text: state.text, k: PAGE, filters: params(0).filters }),
  onClear: () => newSearch(), onError: (e) => setStatus("error", "Refining did not work", errorMessage(e)),
});

els.form.addEventListener("submit", (e) => {
  e.preventDefault();
  steer.reset();
  state.text = els.q.value.trim();
  state.ignore = [];  // new words, read afresh
  if (!state.text && !state.image) {
    setStatus("empty", "What are you looking for?", "Type a few words, or drop, paste or pick a photo.");
    els.q.focus();
    return;
  }
  newSearch();
});
els.sort.addEventListener("change", () => { state.sort = els.sort.value; if (state.searched) newSearch(); });
els.taste.addEventListener("change", async () => {
  state.taste = els.taste.checked;
  try { await api.setTaste(state.taste); } catch { /* the per-request switch still applies */ }
  if (state.searched) newSearch();
});
els.clearFilters.addEventListener("click", () => { state.filters = {}; if (state.searched) newSearch(); });
els.filtersToggle.addEventListener("click", () => {
  const open = !els.filtersBox.classList.contains("open");
  els.filtersBox.classList.toggle("open", open);
  els.filtersToggle.setAttribute("aria-expanded", String(open));
});

// -- searching -------------------------------------------------------------------------------

function params(offset) {
  const filters = Object.fromEntries(Object.entries(state.filters).filter(([, v]) => v.length));
  return {
    text: state.text || undefined,
    alpha: state.text && state.image ? state.fusion / 100 : undefined,
    filters: Object.keys(filters).length ? filters : undefined,
    k: PAGE, offset, sort: state.sort, taste: state.taste,
    ignore: state.ignore.length ? state.ignore : undefined, diversity: DIVERSITY,
    shopper_id: shopperId(),
  };
}

function newSearch() {
  if (location.hash && location.hash !== "#/") {
    history.pushState(null, "", "#/");
    route();
  }
  // The words go in the address, so a search can be bookmarked, shared and reloaded.
  const url = new URL(location.href);
  if (state.text) url.searchParams.set("q", state.text); else url.searchParams.delete("q");
  history.replaceState(null, "", url);
  state.offset = 0;
  runSearch(false);
}

async function runSearch(append) {
  if (state.controller) state.controller.abort();
  const controller = new AbortController();
  state.controller = controller;
  state.loading = true;
  state.searched = true;
  els.more.hidden = true;
  const offset = append ? state.nextOffset : 0;
  if (!append) {
    setStatus(null);
    clear(els.results).append(...skeletons(8));
    els.results.setAttribute("aria-busy", "true");
    els.summary.textContent = "Searching…";
  }
  try {
    const body = await api.search(params(offset), state.image, controller.signal);
    if (controller.signal.aborted) return;
    if (!append) clear(els.results);
    const cards = body.results.map((r, i) =>
      card(r, { isFav, onFav: toggleFavorite, eager: !append && i < 4, extra: steer.buttons(r) }));
    els.results.append(...cards);
    trackResults(cards, body); // merchandising events (events.js)
    state.nextOffset = body.page.next_offset;
    els.more.hidden = state.nextOffset === null;
    if (body.facets) renderFacets(body.facets);
    if (!append) renderReading(els.understood, body, readingHandlers);
    summarize(body);
    if (!append && body.results.length === 0) {
      setStatus("empty", "No matches", "Nothing matches these filters. Remove a filter or try other words.",
        h("button", { type: "button", class: "btn", onclick: () => { state.filters = {}; newSearch(); } },
          "Clear filters"));
    }
  } catch (e) {
    if (e.name === "AbortError") return;
    if (!append) clear(els.results);
    els.summary.textContent = "";
    setStatus("error", "The search did not work", errorMessage(e),
      h("button", { type: "button", class: "btn", onclick: () => runSearch(append) }, "Try again"));
  } finally {
    if (state.controller === controller) {
      state.loading = false;
      els.results.removeAttribute("aria-busy");
    }
  }
}

const readingHandlers = {
  onIgnore: (kind) => { state.ignore = [...new Set([...state.ignore, kind])]; newSearch(); },
  onRestore: (kind) => { state.ignore = state.ignore.filter((k) => k !== kind); newSearch(); },
  onSearch: (text) => { els.q.value = text; state.text = text; state.ignore = []; newSearch(); },
};

function summarize(body) {
  const total = body.page.total_matching;
  const shown = els.results.children.length;
  const what = [state.text && `“${state.text}”`, state.image && "your photo"].filter(Boolean).join(" + ");
  const personal = body.personalization?.taste ? " · personalised to your taste" : "";
  els.summary.textContent = `${shown} shown${total != null ? ` of ${total} matching the filters` : ""} for ${what}` +
    `${personal} · ${Math.round(body.timings.total_ms)} ms`;
}

function renderFacets(facets) {
  clear(els.facets);
  for (const field of FACETS) {
    const counts = facets[field] || {};
    const selected = state.filters[field] || [];
    const values = Object.keys(counts);
    for (const v of selected) if (!values.includes(v)) values.push(v);
    if (!values.length) continue;
    const showAll = state.expanded.has(field);
    const visible = showAll ? values : values.slice(0, FACETS_SHOWN);
    const box = h("fieldset", { dataset: { facet: field } }, h("legend", {}, field.replace("_", " ")),
      visible.map((value) => {
        const id = `f-${field}-${value}`.replace(/[^A-Za-z0-9_-]/g, "_");
        const input = h("input", { type: "checkbox", id, checked: selected.includes(value), value });
        input.addEventListener("change", () => {
          const now = new Set(state.filters[field] || []);
          if (input.checked) now.add(value); else now.delete(value);
          state.filters[field] = [...now];
          newSearch();
        });
        const n = counts[value] ?? 0;
        return h("label", { class: `facet${n ? "" : " zero"}`, for: id }, input, h("span", {}, value),
          h("span", { class: "count", "aria-label": `${n} products` }, String(n)));
      }),
      values.length > FACETS_SHOWN ? h("button", {
        type: "button", class: "btn small ghost more-facets",
        onclick: () => { if (showAll) state.expanded.delete(field); else state.expanded.add(field); renderFacets(facets); },
      }, showAll ? "Fewer" : `All ${values.length}`) : null);
    els.facets.append(box);
  }
}

els.more.addEventListener("click", () => { if (!state.loading && state.nextOffset !== null) runSearch(true); });
new IntersectionObserver((entries) => {
  // Infinite scroll: the next page loads when the end of the list comes into view.
  if (entries.some((e) => e.isIntersecting) && !state.loading && state.nextOffset !== null && !els.searchView.hidden) {
    runSearch(true);
  }
}, { rootMargin: "400px" }).observe(els.sentinel);

// -- other views -----------------------------------------------------------------------------

function showOther(...children) {
  els.searchView.hidden = true;
  els.otherView.hidden = false;
  clear(els.other).append(...children);
  els.other.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

function back() {
  return h("a", { class: "btn small back", href: "#/" }, "← Back to results");
}

async function productView(id) {
  showOther(h("p", { class: "status" }, "Loading the product…"));
  document.title = "Product — Vitrine";
  let product;
  try {
    product = (await api.product(id)).product;
  } catch (e) {
    showOther(back(), h("div", { class: "status error" }, h("h2", {}, "This product cannot be shown"),
      h("p", {}, errorMessage(e))));
    return;
  }
  api.click(id).catch(() => {});  // feeds the taste vector; failures do not matter to the shopper
  document.title = `${product.title} — Vitrine`;
  const favBtn = h("button", { type: "button", class: "btn", "aria-pressed": String(isFav(id)), dataset: { fav: id } },
    isFav(id) ? "♥ In favorites" : "♡ Add to favorites");
  favBtn.addEventListener("click", async () => {
    await toggleFavorite(id);
    favBtn.textContent = isFav(id) ? "♥ In favorites" : "♡ Add to favorites";
  });
  const fields = ["gender", "category", "sub_category", "article_type", "colour", "season", "occasion", "year"];
  const similar = h("ul", { class: "grid", id: "similar", "aria-label": "Similar items" }, skeletons(4));
  const look = h("ul", { class: "look", id: "look", "aria-label": "Complete the look" }, skeletons(3));
  showOther(
    back(),
    h("article", { class: "product" },
      h("div", { class: "photo" }, product.image ? h("img", { src: product.image, alt: product.title, width: 420, height: 560 }) : null),
      h("div", {},
        h("h1", {}, product.title),
        product.price != null ? h("p", {}, h("strong", {}, price(product.price))) : null,
        h("dl", {}, fields.filter((f) => product[f] != null && product[f] !== "").map((f) =>
          [h("dt", {}, f.replace("_", " ")), h("dd", {}, String(product[f]))]).flat()),
        favBtn)),
    h("h2", { class: "section-title" }, "Similar items"), similar,
    h("h2", { class: "section-title" }, "Complete the look"), look,
    ...alsoClicked(id, (r, extra) => card(r, { isFav, onFav: toggleFavorite, explain: false, extra })),
  );
  api.similar(id, state.taste).then((body) => {
    clear(similar).append(...body.results.map((r) => card(r, { isFav, onFav: toggleFavorite })));
    if (!body.results.length) similar.replaceWith(h("p", { class: "status" }, "No similar items yet."));
  }).catch((e) => similar.replaceWith(h("p", { class: "status error" }, errorMessage(e))));
  api.look(id).then((body) => {
    clear(look).append(...body.suggestions.map((s) => card({ product: s.product }, {
      isFav, onFav: toggleFavorite, explain: false,
      extra: h("span", { class: "reason" }, h("span", { class: "tag" }, s.slot || ""), " ", s.reason || ""),
    })));
    if (!body.suggestions.length) look.replaceWith(h("p", { class: "status" }, body.note || "No outfit suggestions for this item."));
  }).catch((e) => look.replaceWith(h("p", { class: "status error" }, errorMessage(e))));
}

async function favoritesView() {
  document.title = "Favorites — Vitrine";
  showOther(h("p", { class: "status" }, "Loading your favorites…"));
  const favorites = await loadFavorites();
  const list = h("ul", { class: "grid", id: "favorites", "aria-label": "Favorites" },
    favorites.map((f) => card({ product: f.product }, { isFav, onFav: toggleFavorite, explain: false })));
  showOther(back(), h("div", { class: "view-title" }, h("h1", {}, `Favorites (${favorites.length})`)),
    favorites.length ? list : h("div", { class: "status" }, h("h2", {}, "No favorites yet"),
      h("p", {}, "Tap the heart on any product to keep it here. Favorites also tune your results to your taste.")));
}

async function historyView() {
  document.title = "History — Vitrine";
  showOther(h("p", { class: "status" }, "Loading your searches…"));
  let entries = [];
  try { entries = (await api.history()).history; } catch (e) {
    showOther(back(), h("div", { class: "status error" }, h("p", {}, errorMessage(e))));
    return;
  }
  const clearBtn = h("button", { type: "button", class: "btn small", id: "clear-history" }, "Clear history");
  clearBtn.addEventListener("click", async () => { await api.clearHistory(); historyView(); });
  const items = entries.map((e) => {
    const filters = Object.entries(e.filters || {}).map(([k, v]) => `${k}: ${[].concat(v).join(", ")}`).join("; ");
    const again = h("button", { type: "button", class: "btn small", disabled: !e.text },
      e.text ? "Search again" : "Photo not kept");
    again.addEventListener("click", () => {
      els.q.value = e.text || "";
      state.text = e.text || "";
      state.filters = Object.fromEntries(Object.entries(e.filters || {}).filter(([, v]) => Array.isArray(v)));
      state.sort = e.sort || "relevance";
      els.sort.value = state.sort;
      newSearch();
    });
    return h("li", {}, h("strong", {}, e.text || "(photo)"), e.image ? h("span", { class: "tag" }, "photo") : null,
      filters ? h("span", { class: "hint" }, filters) : null,
      h("span", { class: "when" }, ago(e.at)), again);
  });
  showOther(back(), h("div", { class: "view-title" }, h("h1", {}, "Your searches"), entries.length ? clearBtn : null),
    entries.length ? h("ul", { class: "history-list", id: "history" }, items)
      : h("div", { class: "status" }, h("h2", {}, "No searches yet"), h("p", {}, "Your past searches show up here.")));
}

function route() {
  const hash = location.hash || "#/";
  const product = hash.match(/^#\/product\/(.+)$/);
  if (product) return productView(decodeURIComponent(product[1]));
  if (hash === "#/favorites") return favoritesView();
  if (hash === "#/history") return historyView();
  document.title = "Vitrine — fashion search";
  els.otherView.hidden = true;
  els.searchView.hidden = false;
  return undefined;
}

window.addEventListener("hashchange", route);

// -- start -----------------------------------------------------------------------------------

initThemeToggle(els.theme);
showFusion();
// One request first: a new shopper's cookie is set by it, so the next ones share one id.
api.me().then((me) => { state.taste = me.taste; els.taste.checked = me.taste; }).catch(() => {})
  .finally(loadFavorites);
route();
const initial = new URLSearchParams(location.search).get("q");
if (initial) {
  els.q.value = initial;
  state.text = initial.trim();
  if (state.text) newSearch();
}
if (!state.searched) {
  setStatus("empty", "Find it by words, by photo, or both",
    "Try “black leather watch”, or drop a photo anywhere on the page. Use the slider to say how much the photo counts.");
}
listenForClicks(els.results); // click events for merchandising analytics (events.js)
