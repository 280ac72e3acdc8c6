// The sampling panel: the logits typed above go through sample()'s chain (temperature, top-k,
// top-p, min-p); the bar chart shows the distribution the draw uses, kept tokens highlighted,
// and a button draws tokens with a seeded sampler. The kept set shown here is computed in the
// page from softmax() and checked against the library: for each kept token, the uniform at
// the middle of its step of the CDF must draw that token.
import { init } from "softmax-wasm";

const $ = (id) => document.getElementById(id);
const ui = {
  logits: $("logits"),
  dtype: $("dtype"),
  temperature: $("s-temperature"),
  topK: $("s-topk"),
  topP: $("s-topp"),
  minP: $("s-minp"),
  seed: $("s-seed"),
  count: $("s-count"),
  draw: $("s-draw"),
  bars: $("s-bars"),
  tokens: $("s-tokens"),
  status: $("s-status"),
  panel: $("sampling"),
};

const sm = await init();

/** The logits of the textarea (the playground's parser rules), or undefined when it has an error. */
function logitsOf() {
  const tokens = ui.logits.value.split(/[\s,;]+/).filter((t) => t !== "");
  const values = tokens.map((t) => {
    const s = t.toLowerCase().replace("infinity", "inf");
    return s === "inf" || s === "+inf" ? Infinity : s === "-inf" ? -Infinity : Number(t);
  });
  if (values.length === 0 || values.some((v) => Number.isNaN(v))) return undefined;
  return ui.dtype.value === "f32" ? Float32Array.from(values) : Float64Array.from(values);
}

function options() {
  return {
    temperature: Number(ui.temperature.value),
    topK: Number(ui.topK.value),
    topP: Number(ui.topP.value),
    minP: Number(ui.minP.value),
  };
}

/**
 * The tokens the chain keeps, with their probabilities renormalized over the kept: every
 * filter keeps a prefix of the order (logits descending, equal logits by lower index).
 */
function keptOf(x, { temperature, topK, topP, minP }) {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (x[b] > x[a] ? 1 : x[b] < x[a] ? -1 : a - b));
  if (x[order[0]] === -Infinity) return { kept: [], q: new Float64Array(n) };
  if (temperature === 0) {
    const q = new Float64Array(n);
    q[order[0]] = 1;
    return { kept: [order[0]], q };
  }
  const p = sm.softmax(Float64Array.from(x), { temperature });
  let size = n;
  if (topK > 0 && topK < n) {
    size = topK;
    while (size < n && x[order[size]] === x[order[topK - 1]]) size++;
  }
  if (topP < 1) {
    let whole = 0;
    for (let j = 0; j < size; j++) whole += p[order[j]];
    let mass = 0;
    let j = 0;
    while (j < size && mass < topP * whole) mass += p[order[j++]];
    size = Math.max(j, 1);
  }
  if (minP > 0) {
    let count = 0;
    for (let j = 0; j < size; j++) if (p[order[j]] >= minP * p[order[0]]) count++;
    size = Math.max(count, 1);
  }
  const kept = order.slice(0, size).sort((a, b) => a - b);
  const total = kept.reduce((s, i) => s + p[i], 0);
  const q = new Float64Array(n);
  for (const i of kept) q[i] = p[i] / total;
  return { kept, q };
}

let drawn = new Map();

function update() {
  ui.panel.dataset.state = "busy";
  $("s-temperature-value").textContent = ui.temperature.value === "0" ? "0 (greedy)" : ui.temperature.value;
  $("s-topk-value").textContent = ui.topK.value === "0" ? "off" : ui.topK.value;
  $("s-topp-value").textContent = ui.topP.value === "1" ? "off" : ui.topP.value;
  $("s-minp-value").textContent = ui.minP.value === "0" ? "off" : ui.minP.value;
  const x = logitsOf();
  if (!x) {
    ui.status.textContent = "Enter finite or ±inf logits above to sample.";
    ui.bars.replaceChildren();
    return;
  }
  const opts = options();
  const { kept, q } = keptOf(x, opts);
  // Check the highlight against the library's own draws, one uniform per kept token.
  let acc = 0;
  let agree = true;
  for (const i of kept) {
    if (q[i] === 0) continue;
    const u = acc + q[i] / 2;
    acc += q[i];
    if (sm.sample(x, { ...opts, random: () => u }) !== i) agree = false;
  }
  const top = Math.max(...q);
  const rows = Array.from(x, (xi, i) => {
    const row = document.createElement("div");
    row.className = kept.includes(i) ? "row kept" : "row";
    row.dataset.index = String(i);
    row.dataset.q = String(q[i]);
    row.dataset.drawn = String(drawn.get(i) ?? 0);
    row.innerHTML = `<span class="num" role="cell"></span><span class="num logit" role="cell"></span>
      <span class="track" role="cell"><span class="fill"></span></span><span class="num p" role="cell"></span><span class="num n" role="cell"></span>`;
    const [index, logit, , prob, count] = row.children;
    index.textContent = `#${i}`;
    logit.textContent = String(Number(xi.toPrecision(6))).replaceAll("-", "−");
    row.querySelector(".fill").style.width = `${top > 0 ? (q[i] / top) * 100 : 0}%`;
    prob.textContent = q[i] === 0 ? "0" : q[i].toPrecision(4);
    count.textContent = drawn.has(i) ? `×${drawn.get(i)}` : "";
    return row;
  });
  ui.bars.replaceChildren(...rows);
  ui.status.textContent = `${kept.length} of ${x.length} tokens kept${agree ? "" : " (the library's draws disagree with this view!)"}`;
  ui.panel.dataset.agree = String(agree);
  ui.panel.dataset.state = "ready";
}

ui.draw.addEventListener("click", () => {
  const x = logitsOf();
  if (!x) return;
  const seed = Number(ui.seed.value);
  try {
    const sampler = sm.sampler({ ...options(), seed });
    const tokens = Array.from({ length: Number(ui.count.value) }, () => sampler.sample(x));
    drawn = new Map();
    for (const t of tokens) drawn.set(t, (drawn.get(t) ?? 0) + 1);
    ui.tokens.textContent = tokens.join(" ");
    ui.tokens.dataset.tokens = tokens.join(",");
  } catch (error) {
    ui.tokens.textContent = error.message;
    ui.tokens.dataset.tokens = "";
  }
  update();
});

for (const input of [ui.temperature, ui.topK, ui.topP, ui.minP]) input.addEventListener("input", update);
ui.logits.addEventListener("input", () => {
  drawn = new Map();
  update();
});
ui.dtype.addEventListener("change", update);
update();
