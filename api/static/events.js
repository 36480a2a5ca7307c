// Shopper events for merchandising analytics: views of result cards and clicks on them, sent in
// batches to POST /api/v1/events with the query_id of the search that showed them.
import { api } from "./api.js";

const SHOPPER_KEY = "vitrine-shopper-id";
const FLUSH_MS = 2000;
const MAX_BATCH = 1000;
let queue = [];
let timer = null;
const served = new WeakMap(); // card element -> { queryId, position }

// A random id kept in this browser: the same shopper gets the same A/B variant on every visit.
export function shopperId() {
  let id = localStorage.getItem(SHOPPER_KEY);
  if (!id) {
    id = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
    localStorage.setItem(SHOPPER_KEY, id);
  }
  return id;
}

function newId() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export function flush(keepalive = false) {
  clearTimeout(timer);
  timer = null;
  while (queue.length) {
    const events = queue.splice(0, MAX_BATCH);
    // An event lost to a network error is a missed count, never a broken page.
    fetch("/api/v1/events", { method: "POST", keepalive, credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ events }) }).catch(() => {});
  }
}

export function track(type, productId, queryId, position) {
  const event = { id: newId(), type, product_id: String(productId), shopper_id: shopperId(),
    timestamp: Date.now() / 1000 };
  if (queryId) event.query_id = queryId;
  if (position) event.position = position;
  queue.push(event);
  if (!timer) timer = setTimeout(flush, FLUSH_MS);
}

// The cards of one answer: remember which search and position each came from, and count a view.
export function trackResults(cards, body) {
  const offset = body.page ? body.page.offset : 0;
  cards.forEach((el, i) => {
    served.set(el, { queryId: body.query_id, position: offset + i + 1 });
    track("view", el.dataset.id, body.query_id, offset + i + 1);
  });
}

// One listener on the results list: a click on a card's title or photo is a click event.
export function listenForClicks(list) {
  list.addEventListener("click", (e) => {
    const cardEl = e.target.closest("li.card");
    if (!cardEl || e.target.closest("button")) return;
    const from = served.get(cardEl);
    if (from) track("click", cardEl.dataset.id, from.queryId, from.position);
  });
  addEventListener("pagehide", () => flush(true));
}
