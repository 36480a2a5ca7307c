// Charts drawn as SVG here (no chart library): a bar series over time, and paired bars.
const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function niceMax(value) {
  if (value <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(value));
  return Math.ceil(value / p) * p;
}

/** Bars for [{label, value}], with the title of each bar telling its exact value. */
export function barChart(container, points, { height = 150, label = "" } = {}) {
  const width = 720;
  const pad = { l: 36, r: 8, t: 8, b: 22 };
  const max = niceMax(Math.max(0, ...points.map((p) => p.value)));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label });
  const innerW = width - pad.l - pad.r;
  const innerH = height - pad.t - pad.b;
  for (const f of [0, 0.5, 1]) {
    const y = pad.t + innerH * (1 - f);
    chart.append(svg("line", { x1: pad.l, x2: width - pad.r, y1: y, y2: y, class: "axis" }));
    chart.append(svg("text", { x: pad.l - 6, y: y + 4, "text-anchor": "end" }, String(Number((max * f).toFixed(1)))));
  }
  const step = innerW / Math.max(1, points.length);
  points.forEach((p, i) => {
    const h = (p.value / max) * innerH;
    const rect = svg("rect", { x: pad.l + i * step + 1, y: pad.t + innerH - h, width: Math.max(1, step - 2), height: h,
      class: "c-bar", "data-value": p.value });
    rect.append(svg("title", {}, `${p.label}: ${p.value}`));
    chart.append(rect);
    if (i % 10 === 0 || i === points.length - 1) {
      const last = i === points.length - 1;
      chart.append(svg("text", { x: last ? width - pad.r : pad.l + i * step + step / 2, y: height - 6,
        "text-anchor": last ? "end" : "middle" }, p.label));
    }
  });
  container.replaceChildren(chart);
}

/** Horizontal paired bars: [{label, a, b}] (e.g. p50 and p95), values in the same unit. */
export function pairedBars(container, rows, { names = ["a", "b"], label = "" } = {}) {
  const width = 520;
  const rowH = 30;
  const pad = { l: 90, r: 60, t: 6 };
  const height = pad.t + rows.length * rowH + 18;
  const max = Math.max(1e-9, ...rows.flatMap((r) => [r.a || 0, r.b || 0]));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label });
  rows.forEach((r, i) => {
    const y = pad.t + i * rowH;
    chart.append(svg("text", { x: pad.l - 8, y: y + 17, "text-anchor": "end" }, r.label));
    [[r.a, "c-bar", 0], [r.b, "c-bar2", 12]].forEach(([v, cls, dy]) => {
      const w = ((v || 0) / max) * (width - pad.l - pad.r);
      chart.append(svg("rect", { x: pad.l, y: y + 4 + dy, width: Math.max(1, w), height: 10, class: cls }));
      chart.append(svg("text", { x: pad.l + w + 4, y: y + 13 + dy }, v == null ? "–" : v.toFixed(1)));
    });
  });
  chart.append(svg("text", { x: pad.l, y: height - 4 }, `${names[0]} (dark) · ${names[1]} (grey)`));
  container.replaceChildren(chart);
}
