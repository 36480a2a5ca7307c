// Calls to the Vitrine API. Errors carry the API's own message, which is written for people.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call(method, path, { json, form, token, signal } = {}) {
  const headers = { Accept: "application/json" };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, body, signal, credentials: "same-origin" });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, "network", "The server cannot be reached. Check the connection and try again.");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(response.status, data.error || "error", data.message || `The server answered ${response.status}.`);
  }
  return data;
}

export const api = {
  search(params, image, signal) {
    if (image) {
      const form = new FormData();
      for (const [key, value] of Object.entries(params)) {
        if (value === undefined || value === null) continue;
        form.append(key, typeof value === "object" ? JSON.stringify(value) : String(value));
      }
      form.append("image", image, image.name || "photo");
      return call("POST", "/shopper/search", { form, signal });
    }
    return call("POST", "/shopper/search", { json: params, signal });
  },
  product: (id) => call("GET", `/products/${encodeURIComponent(id)}`),
  similar: (id, taste, k = 8) =>
    call("GET", `/shopper/products/${encodeURIComponent(id)}/similar?k=${k}&taste=${taste}`),
  look: (id) => call("GET", `/products/${encodeURIComponent(id)}/complete-the-look`),
  me: () => call("GET", "/shopper"),
  favorites: () => call("GET", "/shopper/favorites"),
  addFavorite: (id) => call("PUT", `/shopper/favorites/${encodeURIComponent(id)}`),
  removeFavorite: (id) => call("DELETE", `/shopper/favorites/${encodeURIComponent(id)}`),
  click: (id) => call("POST", "/shopper/clicks", { json: { product_id: id } }),
  history: () => call("GET", "/shopper/history"),
  clearHistory: () => call("DELETE", "/shopper/history"),
  setTaste: (on) => call("PUT", "/shopper/preferences", { json: { taste: on } }),
  call,
};
