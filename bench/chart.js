// The results chart as a hand-written SVG: throughput (elements per second) against row
// length, both axes logarithmic, one line per contender, for one row of f32 softmax.

const WIDTH = 960;
const HEIGHT = 560;
const PLOT = { left: 72, right: 700, top: 64, bottom: 500 };

const STYLE = {
  "wasm-relaxed-simd": "#d62728",
  "wasm-simd": "#ff7f0e",
  wasm: "#a8a800",
  js: "#8c564b",
  "naive-js": "#17becf",
  "transformers-js": "#9467bd",
  "tfjs-wasm": "#1f77b4",
  "ort-web-wasm": "#2ca02c",
  "ort-node-cpu": "#e377c2",
};

/** Colour and dash pattern of a contender: a build's copying API is its colour, dashed. */
function styleOf(name) {
  if (name.startsWith("copy:")) return { color: "#666", dash: name.includes("wasm") ? "2 3" : "7 4" };
  const [base, api] = name.split(" ");
  return { color: STYLE[base] ?? "#333", dash: api === "copy" ? "7 4" : "" };
}

const escape = (text) => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

const SIZE_LABELS = ["", "K", "M", "G"];
/** 16, 64, ..., 1K, 4K, ... (binary prefixes, as row lengths are powers of 2). */
function sizeLabel(n) {
  let unit = 0;
  while (n >= 1024 && n % 1024 === 0) {
    n /= 1024;
    unit++;
  }
  return `${n}${SIZE_LABELS[unit]}`;
}

const RATE_LABELS = ["", "k", "M", "G", "T"];
/** 1M, 10M, 100M, 1G, ... for a power of ten. */
function rateLabel(exponent) {
  const unit = Math.floor(exponent / 3);
  return `${10 ** (exponent - unit * 3)}${RATE_LABELS[unit]}`;
}

/**
 * SVG text of the chart. series: [{ name, points: [[n, elementsPerSecond], ...] }] in legend
 * order; title and subtitle head the chart.
 */
export function chartSvg({ title, subtitle, series }) {
  const all = series.flatMap((s) => s.points);
  const xMin = Math.log2(Math.min(...all.map((p) => p[0])));
  const xMax = Math.log2(Math.max(...all.map((p) => p[0])));
  const yMin = Math.floor(Math.log10(Math.min(...all.map((p) => p[1]))));
  const yMax = Math.ceil(Math.log10(Math.max(...all.map((p) => p[1]))));
  const px = (n) => PLOT.left + ((Math.log2(n) - xMin) / (xMax - xMin || 1)) * (PLOT.right - PLOT.left);
  const py = (rate) => PLOT.bottom - ((Math.log10(rate) - yMin) / (yMax - yMin || 1)) * (PLOT.bottom - PLOT.top);
  const f = (v) => v.toFixed(1);

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${PLOT.left}" y="26" font-size="16" font-weight="bold">${escape(title)}</text>`,
    `<text x="${PLOT.left}" y="46" fill="#555">${escape(subtitle)}</text>`,
  ];
  for (let e = yMin; e <= yMax; e++) {
    const y = f(py(10 ** e));
    parts.push(`<line x1="${PLOT.left}" y1="${y}" x2="${PLOT.right}" y2="${y}" stroke="#ddd"/>`);
    parts.push(`<text x="${PLOT.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#333">${rateLabel(e)}</text>`);
  }
  for (let e = Math.ceil(xMin / 2) * 2; e <= xMax; e += 2) {
    const x = f(px(2 ** e));
    parts.push(`<line x1="${x}" y1="${PLOT.top}" x2="${x}" y2="${PLOT.bottom}" stroke="#eee"/>`);
    parts.push(`<text x="${x}" y="${PLOT.bottom + 18}" text-anchor="middle" fill="#333">${sizeLabel(2 ** e)}</text>`);
  }
  parts.push(
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#999"/>`,
    `<text x="${(PLOT.left + PLOT.right) / 2}" y="${PLOT.bottom + 40}" text-anchor="middle">row length (elements, log scale)</text>`,
    `<text transform="translate(18 ${(PLOT.top + PLOT.bottom) / 2}) rotate(-90)" text-anchor="middle">elements per second (log scale, higher is better)</text>`,
  );
  series.forEach((s, i) => {
    const { color, dash } = styleOf(s.name);
    const points = [...s.points].sort((a, b) => a[0] - b[0]);
    const path = points.map(([n, rate]) => `${f(px(n))},${f(py(rate))}`).join(" ");
    const dashAttribute = dash ? ` stroke-dasharray="${dash}"` : "";
    parts.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"${dashAttribute}/>`);
    for (const [n, rate] of points) parts.push(`<circle cx="${f(px(n))}" cy="${f(py(rate))}" r="2.5" fill="${color}"/>`);
    const ly = PLOT.top + 8 + i * 20;
    parts.push(
      `<line x1="${PLOT.right + 20}" y1="${ly}" x2="${PLOT.right + 50}" y2="${ly}" stroke="${color}" stroke-width="2"${dashAttribute}/>`,
      `<text x="${PLOT.right + 58}" y="${ly}" dominant-baseline="middle">${escape(s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

/** The chart of a results document: every contender over the one-row f32 softmax workloads. */
export function chartOf(doc, source = "") {
  const rows = doc.workloads.filter((w) => w.op === "softmax" && w.dtype === "f32" && w.rows === 1 && (w.values ?? "typical") === "typical");
  const series = doc.contenders
    .map(({ name }) => ({
      name,
      points: rows.flatMap((w) => w.results.filter((r) => r.contender === name).map((r) => [w.n, (w.n / r.ns) * 1e9])),
    }))
    .filter((s) => s.points.length > 0);
  const date = doc.date.slice(0, 10);
  return chartSvg({
    title: "softmax of one f32 row: elements per second",
    subtitle: `Node ${doc.runtime.version}, ${doc.cpu.model}, ${date}; median of interleaved rounds${source ? ` (${source})` : ""}`,
    series,
  });
}
