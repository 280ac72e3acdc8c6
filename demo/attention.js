// The attention panel: one decode step (one query, every head) over a KV cache, the shape of an
// 8B-class model with grouped-query attention (32 query heads, 8 kv heads, head size 128). The
// cache lives in WasmArrays (f32, or f16 where the browser has Float16Array), as a decode loop
// keeps it; attend() reads it in place. Beside it: the same call on the pure TypeScript `js`
// backend, and a naive loop (scores, max, exp, sum, weighted sum per head) as a page would
// write it. The table gives ms per step, tokens per second, GB/s of cache read and the
// largest difference from the naive loop (which sums in float64).
import { init, js } from "softmax-wasm";
import { appendCells, benchmarkButton, interleaved, median, yieldToBrowser } from "./timing.js";

const $ = (id) => document.getElementById(id);
const ui = {
  length: $("a-length"),
  cache: $("a-cache"),
  run: $("a-run"),
  progress: $("a-progress"),
  status: $("a-status"),
  result: $("a-result"),
  body: document.querySelector("#a-table tbody"),
};

const HEADS = 32;
const KV_HEADS = 8;
const DIM = 128;
const REPS = 7;
const CONTENDERS = ["WASM attend", "js attend", "naive loop"];
const hasHalf = typeof Float16Array === "function";

const sm = await init();
if (!hasHalf) {
  ui.cache.querySelector('option[value="f16"]').disabled = true;
  ui.cache.title = "this browser has no Float16Array";
}

/** Deterministic values in [-1, 1) (xorshift32). */
function fill(array, seed) {
  let s = seed >>> 0;
  for (let i = 0; i < array.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    array[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return array;
}

/** One decode step written plainly: per head, the scores, their max, exp and sum, then the weighted sum of the values. */
function naive(q, keys, values, length, out) {
  const group = HEADS / KV_HEADS;
  const scale = 1 / Math.sqrt(DIM);
  const scores = new Float64Array(length);
  for (let h = 0; h < HEADS; h++) {
    const g = Math.floor(h / group);
    let max = -Infinity;
    for (let j = 0; j < length; j++) {
      let s = 0;
      const k = (j * KV_HEADS + g) * DIM;
      for (let d = 0; d < DIM; d++) s += q[h * DIM + d] * keys[k + d];
      scores[j] = s * scale;
      if (scores[j] > max) max = scores[j];
    }
    let sum = 0;
    for (let j = 0; j < length; j++) sum += scores[j] = Math.exp(scores[j] - max);
    for (let d = 0; d < DIM; d++) {
      let o = 0;
      for (let j = 0; j < length; j++) o += scores[j] * values[(j * KV_HEADS + g) * DIM + d];
      out[h * DIM + d] = o / sum;
    }
  }
  return out;
}

async function benchmark(length, cache, progress) {
  const n = length * KV_HEADS * DIM;
  const Plain = cache === "f16" ? Float16Array : Float32Array;
  const q = fill(new Float32Array(HEADS * DIM), 7);
  const keys = fill(new Plain(n), 11);
  const values = fill(new Plain(n), 13);
  const kw = sm.alloc(n, cache);
  const vw = sm.alloc(n, cache);
  try {
    kw.array.set(keys);
    vw.array.set(values);
    const opts = { heads: HEADS, kvHeads: KV_HEADS, dim: DIM };
    const outs = CONTENDERS.map(() => new Float32Array(HEADS * DIM));
    const reference = new Float64Array(HEADS * DIM);
    const calls = [
      () => sm.attend(q, kw, vw, { ...opts, out: outs[0] }),
      () => js.attend(q, keys, values, { ...opts, out: outs[1] }),
      () => naive(q, keys, values, length, outs[2]),
    ];
    progress(0, "warming up");
    await yieldToBrowser();
    const { samples, batch } = await interleaved(calls, REPS, (rep) => progress(rep / REPS, `round ${rep}/${REPS}`));
    naive(q, keys, values, length, reference);
    let vmax = 0;
    for (let i = 0; i < n; i++) vmax = Math.max(vmax, Math.abs(values[i]));
    const maxDiff = outs.map((out) => out.reduce((m, y, i) => Math.max(m, Math.abs(y - reference[i])), 0) / vmax);
    const bytes = 2 * n * (cache === "f16" ? 2 : 4);
    // For tools and tests: the inputs and the WASM result of the last run.
    window.attentionDemo = { q, keys, values, out: outs[0], opts: { ...opts, length } };
    return { ms: samples.map(median), samples, batch, maxDiff, bytes };
  } finally {
    kw.free();
    vw.free();
  }
}

const fmt = (v, digits = 3) => String(Number(v.toPrecision(digits)));

function showTable(r) {
  ui.body.replaceChildren(
    ...CONTENDERS.map((name, c) => {
      const tr = document.createElement("tr");
      tr.dataset.contender = name;
      tr.dataset.ms = String(r.ms[c]);
      tr.dataset.diff = String(r.maxDiff[c]);
      const range = `median of ${REPS} batches of ${r.batch[c]} calls; range ${fmt(Math.min(...r.samples[c]))}–${fmt(Math.max(...r.samples[c]))} ms`;
      const cells = [
        [name],
        [fmt(r.ms[c]), range],
        [fmt(1000 / r.ms[c])],
        [fmt(r.bytes / r.ms[c] / 1e6)],
        [`×${fmt(r.ms[2] / r.ms[c])}`],
        [r.maxDiff[c].toExponential(1).replace("-", "−")],
      ];
      appendCells(tr, cells);
      return tr;
    }),
  );
}

benchmarkButton({ button: ui.run, progress: ui.progress, status: ui.status, result: ui.result, state: "attention", what: "attention benchmark" }, async (progress) => {
  const length = Number(ui.length.value);
  const cache = ui.cache.value;
  const label = `${length.toLocaleString("en-US")} keys, ${cache} cache`;
  showTable(await benchmark(length, cache, (fraction, message) => progress(fraction, `${label}: ${message}`)));
  return (seconds) => `${label}: done in ${seconds.toFixed(1)} s on ${sm.backend}`;
});

