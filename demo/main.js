// The demo page: softmax of typed-in logits at any temperature, and a quick benchmark of the
// WASM kernels against the pure TypeScript baseline. Plain ES module, no build step.
import { init, js } from "softmax-wasm";
import { appendCells, benchmarkButton, interleaved, median, yieldToBrowser } from "./timing.js";

const $ = (id) => document.getElementById(id);

const ui = {
  backend: $("backend"),
  isolation: $("isolation"),
  logits: $("logits"),
  logitsError: $("logits-error"),
  temperature: $("temperature"),
  temperatureValue: $("temperature-value"),
  negative: $("negative"),
  beta: $("beta"),
  betaError: $("beta-error"),
  dtype: $("dtype"),
  result: document.querySelector(".result"),
  bars: $("bars"),
  lse: $("lse"),
  sum: $("sum"),
  entropy: $("entropy"),
  runBench: $("run-bench"),
  benchProgress: $("bench-progress"),
  benchStatus: $("bench-status"),
  benchResult: $("bench-result"),
  benchChart: $("bench-chart"),
  benchBody: document.querySelector("#bench-table tbody"),
};

/** At most this many logits are drawn: the page stays responsive. */
const MAX_LOGITS = 4096;

// ---------------------------------------------------------------------------- formatting

/** A number for display: 6 significant digits, signed infinities as symbols. */
function fmt(v, digits = 6) {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "∞";
  if (v === -Infinity) return "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  const s = a >= 1e-4 && a < 1e6 ? String(Number(v.toPrecision(digits))) : v.toExponential(digits - 1);
  return s.replaceAll("-", "−");
}

/** Full precision, for data-* attributes that tests and tools can read back exactly. */
const exact = (v) => String(v);

// ---------------------------------------------------------------------------- input

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const SPECIAL = { inf: Infinity, "+inf": Infinity, "-inf": -Infinity, infinity: Infinity, "+infinity": Infinity, "-infinity": -Infinity, nan: NaN };

/** Parses comma/space/semicolon separated logits; throws an Error naming the bad token. */
function parseLogits(text) {
  const tokens = text.split(/[\s,;]+/).filter((t) => t !== "");
  if (tokens.length === 0) throw new Error("Type at least one logit, e.g. 2, 1, 0.1");
  if (tokens.length > MAX_LOGITS) throw new Error(`The demo draws at most ${MAX_LOGITS} logits (got ${tokens.length})`);
  return tokens.map((token, i) => {
    const special = SPECIAL[token.toLowerCase()];
    if (special !== undefined) return special;
    if (!DECIMAL.test(token)) throw new Error(`Logit ${i + 1} is not a number: "${token}"`);
    return Number(token);
  });
}

function showError(element, message) {
  element.hidden = message === undefined;
  element.textContent = message ?? "";
}

// ---------------------------------------------------------------------------- temperature / beta

/** β is the state; the slider shows log10 T = -log10 |β|, the checkbox its sign. */
let beta = 1;

function syncScale({ fromField = false } = {}) {
  const t = 1 / Math.abs(beta);
  if (beta !== 0) ui.temperature.value = String(Math.min(2, Math.max(-2, Math.log10(t))));
  ui.temperatureValue.textContent = beta === 0 ? "∞ (β = 0, uniform)" : `T = ${fmt(t, 4)}`;
  ui.negative.checked = beta < 0 || (beta === 0 && ui.negative.checked);
  if (!fromField) ui.beta.value = String(Number(beta.toPrecision(6)));
  ui.beta.dataset.value = exact(beta);
}

ui.temperature.addEventListener("input", () => {
  const sign = ui.negative.checked ? -1 : 1;
  beta = sign * 10 ** -Number(ui.temperature.value);
  showError(ui.betaError);
  syncScale();
  update();
});

ui.negative.addEventListener("change", () => {
  beta = (ui.negative.checked ? -1 : 1) * Math.abs(beta);
  syncScale();
  update();
});

ui.beta.addEventListener("input", () => {
  const value = ui.beta.value.trim() === "" ? NaN : Number(ui.beta.value);
  if (!Number.isFinite(value)) {
    showError(ui.betaError, "β must be a finite number (0 gives the uniform distribution)");
    ui.result.classList.add("stale");
    return;
  }
  showError(ui.betaError);
  beta = value;
  syncScale({ fromField: true });
  update();
});

// ---------------------------------------------------------------------------- the softmax view

let sm = js;

function update() {
  let logits;
  try {
    logits = parseLogits(ui.logits.value);
  } catch (error) {
    ui.logits.setAttribute("aria-invalid", "true");
    showError(ui.logitsError, error.message);
    ui.result.classList.add("stale");
    return;
  }
  ui.logits.removeAttribute("aria-invalid");
  showError(ui.logitsError);

  const x = ui.dtype.value === "f32" ? Float32Array.from(logits) : Float64Array.from(logits);
  const p = sm.softmax(x, { beta });
  const logp = sm.logSoftmax(x, { beta });
  const lse = sm.logSumExp(x, { beta });

  let sum = 0;
  let entropy = 0;
  for (let i = 0; i < p.length; i++) {
    sum += p[i];
    if (p[i] > 0) entropy -= p[i] * logp[i];
  }
  const top = p.reduce((best, v, i) => (v > p[best] ? i : best), 0);

  const rows = Array.from(p, (pi, i) => {
    const row = document.createElement("div");
    row.className = i === top && pi > 0 ? "row top" : "row";
    row.setAttribute("role", "row");
    row.dataset.x = exact(x[i]);
    row.dataset.p = exact(pi);
    row.dataset.logp = exact(logp[i]);
    row.innerHTML = `<span class="num logit" role="cell"></span>
      <span class="track" role="cell"><span class="fill"></span></span>
      <span class="num p" role="cell"></span><span class="num logp" role="cell"></span>`;
    row.querySelector(".logit").textContent = fmt(x[i]);
    row.querySelector(".fill").style.width = `${Number.isNaN(pi) ? 0 : pi * 100}%`;
    row.querySelector(".p").textContent = fmt(pi);
    row.querySelector(".logp").textContent = fmt(logp[i]);
    return row;
  });
  ui.bars.replaceChildren(...rows);
  ui.result.classList.remove("stale");

  ui.lse.textContent = fmt(lse);
  ui.lse.dataset.value = exact(lse);
  ui.sum.textContent = fmt(sum, 8);
  ui.entropy.textContent = fmt(entropy, 4);
  document.body.dataset.state = "ready";
}

ui.logits.addEventListener("input", update);
ui.dtype.addEventListener("change", update);

// ---------------------------------------------------------------------------- benchmark

const SIZES = [1024, 32000, 1 << 20];
const REPS = 11;
const CONTENDERS = ["WASM zero-copy", "WASM copying", "js"];

/** Deterministic logits in [-10, 10), so runs are comparable. */
function randomLogits(n, seed = 12345) {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    x[i] = ((s >>> 0) / 2 ** 32) * 20 - 10;
  }
  return x;
}

async function benchmark(progress) {
  const results = [];
  const steps = SIZES.length * CONTENDERS.length * REPS;
  let step = 0;
  for (const n of SIZES) {
    const x = randomLogits(n);
    const yWasm = new Float32Array(n);
    const yJs = new Float32Array(n);
    const xw = sm.alloc(n, "f32");
    const yw = sm.alloc(n, "f32");
    try {
      xw.array.set(x);
      const calls = [
        () => sm.softmax(xw, { out: yw }),
        () => sm.softmax(x, { out: yWasm }),
        () => js.softmax(x, { out: yJs }),
      ];
      progress(step / steps, `${n.toLocaleString("en-US")} elements: warming up`);
      await yieldToBrowser();
      const { samples: ms, batch } = await interleaved(calls, REPS, (rep) => {
        step += calls.length;
        progress(step / steps, `${n.toLocaleString("en-US")} elements: round ${rep}/${REPS}`);
      });
      const samples = ms.map((rounds) => rounds.map((t) => (t * 1e6) / n));
      let maxDiff = 0;
      const zeroCopy = yw.array;
      for (let i = 0; i < n; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(zeroCopy[i] - yJs[i]), Math.abs(yWasm[i] - yJs[i]));
      }
      results.push({ n, nsPerElement: samples.map(median), samples, batch, maxDiff });
    } finally {
      xw.free();
      yw.free();
    }
  }
  return results;
}

const SVG = "http://www.w3.org/2000/svg";

function svg(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The smallest of 1, 2, 2.5, 5 times a power of ten that is >= v. */
function niceCeil(v) {
  const decade = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * decade).find((t) => t >= v);
}

/** Grouped bars: one group per size, one bar per contender, height in ns/element. */
function drawChart(results) {
  const width = 640;
  const height = 260;
  const pad = { top: 28, right: 12, bottom: 44, left: 48 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const niceTop = niceCeil(Math.max(...results.flatMap((r) => r.nsPerElement)));
  const y = (v) => pad.top + plotH - (v / niceTop) * plotH;
  const chart = ui.benchChart;
  chart.setAttribute("viewBox", `0 0 ${width} ${height}`);
  chart.replaceChildren();

  for (let i = 0; i <= 4; i++) {
    const v = (niceTop * i) / 4;
    chart.append(svg("line", { class: "grid", x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v) }));
    chart.append(svg("text", { class: "axis", x: pad.left - 6, y: y(v) + 4, "text-anchor": "end" }, fmt(v, 3)));
  }
  chart.append(svg("text", { class: "axis", x: 4, y: 14 }, "ns / element"));

  const groupW = plotW / results.length;
  const barW = Math.min(44, (groupW * 0.75) / CONTENDERS.length);
  results.forEach((r, g) => {
    const x0 = pad.left + g * groupW + (groupW - barW * CONTENDERS.length) / 2;
    r.nsPerElement.forEach((v, c) => {
      const x = x0 + c * barW;
      chart.append(svg("rect", { class: `bar c${c}`, x: x + 2, y: y(v), width: barW - 4, height: pad.top + plotH - y(v) }));
      chart.append(svg("text", { class: "value", x: x + barW / 2, y: y(v) - 4, "text-anchor": "middle" }, fmt(v, 2)));
    });
    const cx = pad.left + (g + 0.5) * groupW;
    chart.append(svg("text", { class: "axis", x: cx, y: height - pad.bottom + 16, "text-anchor": "middle" }, `${r.n.toLocaleString("en-US")} elements`));
    const speedup = r.nsPerElement[2] / r.nsPerElement[0];
    chart.append(svg("text", { class: "speedup", x: cx, y: height - pad.bottom + 32, "text-anchor": "middle" }, `×${fmt(speedup, 3)} zero-copy vs js`));
  });

  const legend = svg("g", { transform: `translate(${width - pad.right - 3 * 130}, 6)` });
  CONTENDERS.forEach((name, c) => {
    legend.append(svg("rect", { class: `bar c${c}`, x: c * 130, y: 0, width: 12, height: 12 }));
    legend.append(svg("text", { class: "axis", x: c * 130 + 16, y: 10 }, name));
  });
  chart.append(legend);
}

function showTable(results) {
  ui.benchBody.replaceChildren(
    ...results.map((r) => {
      const [zeroCopy, copying, base] = r.nsPerElement;
      const tr = document.createElement("tr");
      tr.dataset.n = String(r.n);
      tr.dataset.ns = JSON.stringify(r.nsPerElement);
      const spread = (c) => `median of ${REPS} batches of ${r.batch[c]} calls; range ${fmt(Math.min(...r.samples[c]), 3)}–${fmt(Math.max(...r.samples[c]), 3)}`;
      const cells = [
        [r.n.toLocaleString("en-US")],
        [fmt(zeroCopy, 3), spread(0)],
        [fmt(copying, 3), spread(1)],
        [fmt(base, 3), spread(2)],
        [`×${fmt(base / zeroCopy, 3)}`],
        [`×${fmt(base / copying, 3)}`],
        [fmt(r.maxDiff, 2)],
      ];
      appendCells(tr, cells);
      return tr;
    }),
  );
}

benchmarkButton({ button: ui.runBench, progress: ui.benchProgress, status: ui.benchStatus, result: ui.benchResult, state: "bench", what: "benchmark" }, async (progress) => {
  const results = await benchmark(progress);
  drawChart(results);
  showTable(results);
  return (seconds) => `done in ${seconds.toFixed(1)} s on ${sm.backend}, ${navigator.hardwareConcurrency} logical cores`;
});


// ---------------------------------------------------------------------------- start

ui.isolation.textContent = crossOriginIsolated ? "cross-origin isolated" : "not cross-origin isolated";
ui.isolation.classList.toggle("warn", !crossOriginIsolated);
syncScale();
try {
  sm = await init();
  ui.backend.textContent = sm.backend;
} catch (error) {
  ui.backend.textContent = `js (WASM failed to load: ${error.message})`;
  ui.backend.classList.add("warn");
}
ui.backend.dataset.value = sm.backend;
update();
