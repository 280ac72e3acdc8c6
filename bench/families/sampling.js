// The sampling family: one token from each f32 row of logits (151,936 = Qwen's vocabulary,
// 262,144 = Gemma's), with temperature and top-p ("topP") or the whole chain ("chain":
// temperature, top-k, top-p, min-p), on language-like rows and on typical ones (N(0, 2^2),
// no peak: there the top-p set holds thousands of tokens, the hard case for any filter).
// Contenders: our builds and the JS backend; JS samplers as a user would write them or as
// transformers.js does; and one softmax of the same rows, the yardstick (target: sample <= 3x).

import { softmaxYardstick, uniforms, workload } from "../workloads.js";

export const name = "sampling";
const defaultValues = "language";
const family = { name, defaultValues };

const OPTIONS = {
  topP: { temperature: 0.8, topP: 0.9 },
  chain: { temperature: 0.8, topK: 50, topP: 0.9, minP: 0.05 },
};
const SIZES = [151936, 262144];

const sample = (rows, rowLength, variant, values = defaultValues) =>
  workload(family, "sample", "f32", rows, rowLength, { variant, values, tags: rows > 1 ? ["batched"] : [] });

/** Shapes of values of the speed rule (docs/sampling.md): each against the typical row. */
const SHAPES = ["confident", "flat", "masked"];

/**
 * The workloads of a full run (both sizes, both shapes of values, batches of 4 and 16 rows, and
 * the smaller row with confident, flat and masked values), of a core one (the smaller row, both
 * variants) or of a quick one (its full chain).
 */
export function workloads({ quick = false, core = false } = {}) {
  if (quick) return [sample(1, SIZES[0], "chain")];
  if (core) return ["topP", "chain"].map((variant) => sample(1, SIZES[0], variant));
  const list = [];
  for (const n of SIZES) for (const values of ["language", "typical"]) for (const variant of ["topP", "chain"]) list.push(sample(1, n, variant, values));
  for (const values of SHAPES) for (const variant of ["topP", "chain"]) list.push(sample(1, SIZES[0], variant, values));
  // The cost per row should not depend on how many rows share a call.
  for (const rows of [4, 16]) list.push(sample(rows, SIZES[0], "chain"));
  return list;
}

/**
 * Per row, the least logit a sampled token may have: the float64 chain's kept set (sorted by
 * probability, cut by top-k, then top-p, then min-p), with one token of slack at its edge
 * (f32 sums may round the cut one token further); with the row itself, for errorOf.
 */
export function referenceOf(w, x) {
  const { temperature, topK = 0, topP = 1, minP = 0 } = OPTIONS[w.variant];
  const least = new Float64Array(w.rows);
  for (let r = 0; r < w.rows; r++) {
    const row = Array.from(x.subarray(r * w.rowLength, (r + 1) * w.rowLength)).sort((a, b) => b - a);
    const p = row.map((v) => Math.exp((v - row[0]) / temperature));
    let kept = topK > 0 ? Math.min(topK, row.length) : row.length;
    let whole = 0;
    for (let j = 0; j < kept; j++) whole += p[j];
    let mass = 0;
    let cut = 0;
    while (cut < kept && mass < topP * whole) mass += p[cut++];
    kept = cut;
    while (kept > 1 && p[kept - 1] < minP * p[0]) kept--;
    least[r] = row[Math.min(kept, row.length - 1)];
  }
  return { x, least };
}

/** 0 when every row's token is in its kept set, else 1 + how far (in logits) the worst one falls below; Infinity for no token. */
export function errorOf(w, got, { x, least }) {
  const tokens = typeof got === "number" ? [got] : got;
  if (tokens?.length !== w.rows) return Infinity;
  let worst = 0;
  for (let r = 0; r < w.rows; r++) {
    const t = tokens[r];
    if (!(Number.isInteger(t) && t >= 0 && t < w.rowLength)) return Infinity;
    const logit = x[r * w.rowLength + t];
    if (logit < least[r]) worst = Math.max(worst, 1 + least[r] - logit);
  }
  return worst;
}

// ---------------------------------------------------------------- the JS samplers

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

// ---------------------------------------------------------------- the contenders

const accepts = (w) => w.family === name;
const rowsOf = (w, x) => Array.from({ length: w.rows }, (_, r) => x.subarray(r * w.rowLength, (r + 1) * w.rowLength));

/** A build's sample(): zero-copy (the rows in a WasmArray) or copying (a Float32Array); a new seed each call. */
function ours({ name: build, kind, version, sm }, zeroCopy) {
  return {
    name: kind === "baseline" ? build : `${build} ${zeroCopy ? "zero-copy" : "copy"}`,
    kind,
    version,
    accepts,
    setup(w, inputs) {
      const arrays = [];
      let seed = 0;
      const fns = inputs.map((x) => {
        let logits = x;
        if (zeroCopy) {
          logits = sm.alloc(w.n, "f32");
          logits.array.set(x);
          arrays.push(logits);
        }
        const opts = { ...OPTIONS[w.variant], ...(w.rows > 1 && { rowLength: w.rowLength }) };
        return () => sm.sample(logits, { ...opts, seed: seed++ });
      });
      return { fns, dispose: () => arrays.forEach((a) => a.free()) };
    },
  };
}

/** A JS sampler of one row, run row by row (an Int32Array of tokens for a batch). */
function jsSampler(contenderName, pick, accepted = accepts) {
  return {
    name: contenderName,
    kind: "naive",
    version: "-",
    accepts: accepted,
    setup(w, inputs) {
      const random = uniforms(7);
      const options = OPTIONS[w.variant];
      const fns = inputs.map((x) => {
        if (w.rows === 1) return () => pick(x, options, random);
        const rows = rowsOf(w, x);
        const tokens = new Int32Array(w.rows);
        return () => {
          for (let r = 0; r < rows.length; r++) tokens[r] = pick(rows[r], options, random);
          return tokens;
        };
      });
      return { fns, dispose() {} };
    },
  };
}


/** The family's contenders over `builds` ({ name, kind, version, sm }, see bench/contenders.js). */
export async function contenders(builds) {
  const list = builds.flatMap((b) => (b.kind === "baseline" ? [ours(b, false)] : [ours(b, true), ours(b, false)]));
  list.push(
    jsSampler("filtered (JS)", filteredChain),
    jsSampler("transformers.js algorithm (JS)", transformersSampler),
    // Sorts the whole row by probability: top-p alone, as a plain JS sampler does.
    jsSampler("sorted top-p (JS)", (x, { temperature, topP }, random) => sortedTopP(x, temperature, topP, random), (w) => accepts(w) && w.variant === "topP"),
  );
  const best = builds.find((b) => b.kind === "softmax-wasm");
  if (best) list.push(softmaxYardstick(best, accepts));
  return list;
}
