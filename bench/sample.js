// Sampling benchmark: one token from one f32 row of logits (151,936 = Qwen's vocabulary,
// 262,144 = Gemma's), ms per token, contenders side by side in interleaved rounds.
//
//   node bench/sample.js [--quick]        (also: deno run --allow-read bench/sample.js, bun bench/sample.js)
//   import { run } from "./bench/sample.js"; await run({ log: console.log })   (in a page)
//
// Contenders, each on the same row:
//   softmax            one softmax of the row (init()'s build): the yardstick (target: sample <= 3x)
//   sample T+topP      sample(x, { temperature: 0.8, topP: 0.9 })
//   sample chain       sample(x, { temperature: 0.8, topK: 50, topP: 0.9, minP: 0.05 })
//   js T+topP / chain  the same on the `js` backend
//   sorted top-p (JS)  softmax in JS, sort every index by probability, cut at p, draw (target: >= 50x slower)
//   filtered (JS)      a careful JS sampler: max, exp-sum, only tokens above (1 - p) * sum / K
//                      are sorted (the bound this library uses), then the full chain
//   transformers.js    its MultinomialSampler's algorithm: temperature divides the logits, top-k
//                      (k = the vocabulary when top_k is unset, as its generate() does), a JS
//                      softmax of the k values, a linear random select; its top_p is not applied
// Batched rows: sample with rowLength over 1, 4 and 16 rows, ms per row.
//
// The logits: N(0, 2^2) for every token plus 40 "plausible" tokens at 8 + N(0, 4^2), the
// shape of a language model's next-token distribution (a few tokens hold most of the mass).
// A "flat" row (N(0, 2^2) only, no peak) is timed too: there the top-p set holds thousands
// of tokens, the hard case for any filter.

import { timeCases } from "./harness.js";

const isNode = typeof process !== "undefined" && process.versions?.node && !globalThis.Deno && !globalThis.Bun;
if (isNode && Number(process.versions.node.split(".")[0]) < 22) {
  // Node 20 validates relaxed SIMD only behind this flag (set before anything compiles).
  (await import("node:v8")).default.setFlagsFromString("--experimental-wasm-relaxed-simd");
}

const SIZES = [151936, 262144];
const CHAIN = { temperature: 0.8, topK: 50, topP: 0.9, minP: 0.05 };
const TOP_P = { temperature: 0.8, topP: 0.9 };

/** mulberry32 uniforms, for the data and for the JS contenders' draws. */
function uniforms(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rows of next-token-like logits (or flat ones), f32. */
export function languageLogits(length, rows = 1, seed = 1, flat = false) {
  const next = uniforms(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const x = new Float32Array(length * rows);
  for (let i = 0; i < x.length; i++) x[i] = 2 * normal();
  if (!flat) {
    for (let r = 0; r < rows; r++) for (let j = 0; j < 40; j++) x[r * length + Math.floor(next() * length)] = 8 + 4 * normal();
  }
  return x;
}

// ---------------------------------------------------------------- the JS contenders

/** Sort-based top-p: what a plain JS sampler does (softmax, sort everything, cumulate). */
function sortedTopP(x, temperature, topP, random) {
  const n = x.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[i] > max) max = x[i];
  const p = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += p[i] = Math.exp((x[i] - max) / temperature);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => p[b] - p[a] || a - b);
  let kept = 0;
  let mass = 0;
  while (kept < n && mass < topP * sum) mass += p[order[kept++]];
  let target = random() * mass;
  for (let j = 0; j < kept; j++) {
    target -= p[order[j]];
    if (target < 0) return order[j];
  }
  return order[kept - 1];
}

/**
 * A careful filtered JS sampler for the full chain: two passes over the row (max, exp-sum),
 * then only the tokens that can be in the top-p set are gathered and sorted.
 */
function filteredChain(x, { temperature, topK = 0, topP = 1, minP = 0 }, random) {
  const n = x.length;
  const beta = 1 / temperature;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp((x[i] - max) * beta);
  let least = topP < 1 ? ((1 - topP) * sum) / n : 0;
  if (minP > 0) least = Math.max(least, minP);
  const floor = max + Math.log(least) / beta;
  const idx = [];
  for (let i = 0; i < n; i++) if (x[i] >= floor) idx.push(i);
  idx.sort((a, b) => x[b] - x[a] || a - b);
  let kept = topK > 0 ? Math.min(topK, idx.length) : idx.length;
  while (topK > 0 && kept < idx.length && x[idx[kept]] === x[idx[topK - 1]]) kept++;
  const w = idx.map((i) => Math.exp((x[i] - max) * beta));
  let whole = sum;
  if (topK > 0) {
    whole = 0;
    for (let j = 0; j < kept; j++) whole += w[j];
  }
  let mass = 0;
  let cut = 0;
  while (cut < kept && mass < topP * whole) mass += w[cut++];
  kept = topP < 1 ? cut : kept;
  while (minP > 0 && kept > 1 && w[kept - 1] < minP * w[0]) kept--;
  const chosen = idx.slice(0, kept).sort((a, b) => a - b);
  let total = 0;
  for (const i of chosen) total += Math.exp((x[i] - max) * beta);
  let target = random() * total;
  for (const i of chosen) {
    target -= Math.exp((x[i] - max) * beta);
    if (target < 0) return i;
  }
  return chosen[chosen.length - 1];
}

/** The k largest (index, value) pairs, descending: a bounded min-heap for small k, a sort otherwise. */
function topItems(x, k) {
  const n = x.length;
  if (k >= n / 8) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[b] - x[a]);
    return order.slice(0, k).map((i) => [i, x[i]]);
  }
  const heap = [];
  const less = (a, b) => a[1] < b[1];
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (heap.length === k && v <= heap[0][1]) continue;
    if (heap.length < k) {
      heap.push([i, v]);
      for (let c = heap.length - 1; c > 0; ) {
        const p = (c - 1) >> 1;
        if (!less(heap[c], heap[p])) break;
        [heap[c], heap[p]] = [heap[p], heap[c]];
        c = p;
      }
    } else {
      heap[0] = [i, v];
      for (let p = 0; ; ) {
        const l = 2 * p + 1;
        const r = l + 1;
        let m = p;
        if (l < k && less(heap[l], heap[m])) m = l;
        if (r < k && less(heap[r], heap[m])) m = r;
        if (m === p) break;
        [heap[m], heap[p]] = [heap[p], heap[m]];
        p = m;
      }
    }
  }
  return heap.sort((a, b) => b[1] - a[1]);
}

/** transformers.js's MultinomialSampler path (see the header). */
function transformersSampler(x, { temperature, topK = 0 }, random) {
  const logits = x.slice();
  for (let i = 0; i < logits.length; i++) logits[i] /= temperature;
  const k = topK > 0 ? Math.min(topK, logits.length) : logits.length;
  const top = topItems(logits, k);
  const values = top.map((t) => t[1]);
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  const probabilities = exps.map((e) => e / sum);
  let total = 0;
  for (const p of probabilities) total += p;
  let r = random() * total;
  for (let i = 0; i < probabilities.length; i++) {
    r -= probabilities[i];
    if (r <= 0) return top[i][0];
  }
  return top[0][0];
}

// ---------------------------------------------------------------- the run

const ms = (ns) => (ns / 1e6).toFixed(ns < 1e6 ? 4 : 2);

/** Times every contender at each size; returns the rows it logged. */
export async function run({ log = console.log, quick = false } = {}) {
  // Node, Deno and Bun read the binary from a file (the package's "node" entry); a page fetches it.
  const { init, js } = await import(typeof document === "undefined" ? "../dist/node.js" : "../dist/index.js");
  const sm = await init();
  const runtime = globalThis.Deno ? `Deno ${Deno.version.deno}` : globalThis.Bun ? `Bun ${Bun.version}` : isNode ? `Node ${process.versions.node}` : (globalThis.navigator?.userAgent ?? "unknown");
  log(`sampling benchmark, ${runtime}, backend ${sm.backend}, ms per token (median of interleaved rounds)`);
  const timing = quick ? { rounds: 5, runMs: 10, warmMs: 50 } : { rounds: 9, runMs: 30, warmMs: 150 };
  const results = [];
  for (const n of SIZES) {
    for (const flat of [false, true]) {
      const x = languageLogits(n, 1, n, flat);
      const out = new Float32Array(n);
      const random = uniforms(7);
      let seed = 0;
      const cases = [
        { name: "softmax", fn: () => sm.softmax(x, { out }) },
        { name: "sample T+topP", fn: () => sm.sample(x, { ...TOP_P, seed: seed++ }) },
        { name: "sample chain", fn: () => sm.sample(x, { ...CHAIN, seed: seed++ }) },
        { name: "js T+topP", fn: () => js.sample(x, { ...TOP_P, seed: seed++ }) },
        { name: "js chain", fn: () => js.sample(x, { ...CHAIN, seed: seed++ }) },
        { name: "filtered (JS) T+topP", fn: () => filteredChain(x, TOP_P, random) },
        { name: "filtered (JS) chain", fn: () => filteredChain(x, CHAIN, random) },
        { name: "transformers.js T", fn: () => transformersSampler(x, TOP_P, random) },
        { name: "transformers.js T+topK", fn: () => transformersSampler(x, CHAIN, random) },
        { name: "sorted top-p (JS)", fn: () => sortedTopP(x, TOP_P.temperature, TOP_P.topP, random), warmMs: 1 },
      ];
      const timed = await timeCases(cases, { ...timing, budgetMs: quick ? 3000 : 10000 });
      const by = Object.fromEntries(timed.map((t) => [t.name, t.ns]));
      log(`\nf32 row of ${n}${flat ? ", flat (no peak)" : ""}:`);
      for (const t of timed) log(`  ${t.name.padEnd(24)} ${ms(t.ns).padStart(9)} ms`);
      const ratio = (a, b) => (by[a] / by[b]).toFixed(2);
      log(`  sample T+topP / softmax = ${ratio("sample T+topP", "softmax")}x, chain / softmax = ${ratio("sample chain", "softmax")}x (target <= 3)`);
      log(`  sorted top-p / sample T+topP = ${ratio("sorted top-p (JS)", "sample T+topP")}x (target >= 50)`);
      log(`  filtered JS / sample: T+topP ${ratio("filtered (JS) T+topP", "sample T+topP")}x, chain ${ratio("filtered (JS) chain", "sample chain")}x; transformers.js / sample chain ${ratio("transformers.js T+topK", "sample chain")}x`);
      results.push({ n, flat, runtime, backend: sm.backend, ms: Object.fromEntries(timed.map((t) => [t.name, t.ns / 1e6])) });
    }
  }
  // Batched rows: the cost per row should not depend on how many rows share a call. Past the
  // cache (16 rows of f32 are 9.7 MB) every row is read from memory: softmax of the same rows
  // is the yardstick for that.
  const n = SIZES[0];
  const batch = languageLogits(n, 16, 3);
  const batchOut = new Float32Array(batch.length);
  let seed = 0;
  const cases = [1, 4, 16].flatMap((rows) => {
    const x = batch.subarray(0, rows * n);
    const out = batchOut.subarray(0, rows * n);
    return [
      { name: `sample chain, ${rows} rows`, rows, fn: () => sm.sample(x, { ...CHAIN, rowLength: n, seed: seed++ }) },
      { name: `softmax, ${rows} rows`, rows, fn: () => sm.softmax(x, { rowLength: n, out }) },
    ];
  });
  const timed = await timeCases(cases, { ...timing, budgetMs: quick ? 3000 : 10000 });
  log(`\nbatched rows of ${n}, ms per row:`);
  for (const [i, t] of timed.entries()) log(`  ${t.name.padEnd(24)} ${ms(t.ns / cases[i].rows).padStart(9)} ms`);
  results.push({ batched: n, runtime, msPerRow: Object.fromEntries(timed.map((t, i) => [t.name, t.ns / 1e6 / cases[i].rows])) });
  return results;
}

if (typeof document === "undefined") {
  const args = globalThis.Deno ? Deno.args : (globalThis.process?.argv ?? []);
  await run({ quick: args.includes("--quick") });
}
