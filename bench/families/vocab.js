// The vocab family: softmax over a large vocabulary without touching all of it.
// - hierarchicalSoftmax: the log-probability of 8 targets (a batch of 8 hidden vectors, dim
//   64) in a Huffman tree over K = 1,000,000 outcomes with Zipf counts (the node matrix, 256 MB
//   of f32, in a WasmArray for our builds), the targets drawn by those counts as a corpus
//   gives them (each call the next of 256 batches, so the paths are not all in cache); with
//   and without the gradient. The yardstick is the full softmax + cross-entropy of the same 8
//   rows: crossEntropy over 8 x 1,000,000 given logits (the logits' matrix product, 64x more
//   work again, left out: the yardstick is a lower bound of the full softmax's cost).
// - sampledSoftmaxLoss: 32 rows, dim 64, V = 100,000 classes, 512 candidates drawn (seed) per
//   call, with and without the gradient. Yardsticks: the full cross-entropy with its logits
//   (sampledSoftmaxLoss over every class without the corrections: the same loss as a full
//   softmax, by the same kernels) and crossEntropy over 32 x 100,000 given logits.
// A workload's data (x) is the yardstick's logits [rows][K]; the vocab contenders build their
// own hidden vectors and matrices, deterministic per workload.

import { uniforms, workload } from "../workloads.js";

export const name = "vocab";
const family = { name, defaultValues: "typical" };

const DIM = 64;
const HS_ROWS = 8;
const HS_K = 1_000_000;
const SAMPLED_ROWS = 32;
const SAMPLED_V = 100_000;
const SAMPLED_S = 512;
/** Batches of targets a hierarchical-softmax contender cycles through. */
const BATCHES = 256;

/** hierarchicalSoftmax (logProb, grad) and sampledSoftmaxLoss (loss, grad); a core run (every runtime): without the gradients; a quick run: the hierarchical log-probability alone. */
export function workloads({ quick = false, core = false } = {}) {
  const hs = (variant) =>
    workload(family, "hierarchicalSoftmax", "f32", HS_ROWS, HS_K, {
      variant,
      tags: ["hierarchical"],
      label: `${HS_ROWS} rows, dim ${DIM}, Huffman tree over ${HS_K} outcomes (Zipf counts, targets drawn by them)${variant === "grad" ? ", with the gradient" : ""}`,
    });
  const sampled = (variant) =>
    workload(family, "sampledSoftmaxLoss", "f32", SAMPLED_ROWS, SAMPLED_V, {
      variant,
      tags: ["sampled"],
      label: `${SAMPLED_ROWS} rows, dim ${DIM}, ${SAMPLED_S} of ${SAMPLED_V} classes drawn per call${variant === "grad" ? ", with the gradient" : ""}`,
    });
  if (quick) return [hs("logProb")];
  if (core) return [hs("logProb"), sampled("loss")];
  return [hs("logProb"), hs("grad"), sampled("loss"), sampled("grad")];
}

// ---------------------------------------------------------------- the data

const zipf = (K) => Float64Array.from({ length: K }, (_, i) => 1e7 / (i + 1));

/** The float data of a workload: h [rows][DIM], the matrix ([K-1][DIM] nodes or [V][DIM] weights), biases. */
const data = new Map();
function dataOf(w, js) {
  if (!data.has(w.op)) {
    const next = uniforms(w.rowLength + 17);
    const uniform = (n, spread) => Float32Array.from({ length: n }, () => spread * (2 * next() - 1));
    const hierarchical = w.op === "hierarchicalSoftmax";
    const rows = hierarchical ? w.rowLength - 1 : w.rowLength;
    // The matrix in multiples of 2^-11 up to 0.5: exact in f16 as in f32, so the f16 contender computes on the same values.
    const matrix = uniform(rows * DIM, 0.5).map((v) => Math.round(v * 2048) / 2048);
    const d = { matrix, h: uniform(w.rows * BATCHES * DIM, 1), biases: uniform(w.rowLength, 0.1) };
    if (hierarchical) {
      const counts = zipf(w.rowLength);
      d.tree = js.huffman(counts);
      // Targets by the counts: the inverse CDF of their cumulative sums.
      const cdf = new Float64Array(w.rowLength);
      let total = 0;
      for (let i = 0; i < w.rowLength; i++) cdf[i] = total += counts[i];
      d.targets = Array.from({ length: BATCHES }, () =>
        Int32Array.from({ length: w.rows }, () => {
          const u = next() * total;
          let lo = 0;
          let hi = w.rowLength - 1;
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (cdf[mid] <= u) lo = mid + 1;
            else hi = mid;
          }
          return lo;
        }),
      );
      let depth = 0;
      for (const t of d.targets) for (const i of t) depth += d.tree.lengths[i];
      d.meanDepth = depth / (BATCHES * w.rows);
    } else {
      d.targets = Array.from({ length: BATCHES }, () => Int32Array.from({ length: w.rows }, () => Math.min(w.rowLength - 1, Math.floor(Math.exp(next() * Math.log1p(w.rowLength))) - 1)));
    }
    data.set(w.op, d);
  }
  return data.get(w.op);
}

/** The h rows of batch b. */
const hOf = (d, w, b) => d.h.subarray(b * w.rows * DIM, (b + 1) * w.rows * DIM);

// ---------------------------------------------------------------- reference and check

const softplus = (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
function dot(a, ao, b, bo) {
  let s = 0;
  for (let k = 0; k < DIM; k++) s += a[ao + k] * b[bo + k];
  return s;
}

/** The f64 values a call must give, computed from what it returns (its batch and, for the sampled loss, its candidates). */
export function referenceOf() {
  return {};
}

/** Errors in units of the contract's bound for f32, 1e-5 relative to max(1, |r|). */
export function errorOf(w, got) {
  const d = data.get(w.op);
  const b = got?.batch;
  if (!d || b === undefined) return Infinity;
  const h = hOf(d, w, b);
  const targets = d.targets[b];
  const values = w.op === "hierarchicalSoftmax" ? got.logProb : got.loss;
  let worst = 0;
  for (let r = 0; r < w.rows; r++) {
    let want = 0;
    const t = targets[r];
    if (w.op === "hierarchicalSoftmax") {
      d.starts ??= startsOf(d.tree);
      const start = d.starts[t];
      for (let s = start; s < start + d.tree.lengths[t]; s++) {
        const z = dot(h, r * DIM, d.matrix, d.tree.points[s] * DIM);
        want -= d.tree.codes[s] === 0 ? softplus(-z) : softplus(z);
      }
    } else {
      const V = w.rowLength;
      const S = got.sampled.length;
      const logE = (k) => {
        const q = (Math.log(k + 2) - Math.log(k + 1)) / Math.log(V + 1);
        return Math.log(got.numTries === S ? q * S : -Math.expm1(got.numTries * Math.log1p(-q)));
      };
      const logits = [dot(h, r * DIM, d.matrix, t * DIM) + d.biases[t] - logE(t)];
      for (const s of got.sampled) logits.push(s === t ? -Infinity : dot(h, r * DIM, d.matrix, s * DIM) + d.biases[s] - logE(s));
      const m = Math.max(...logits);
      want = m + Math.log(logits.reduce((a, l) => a + Math.exp(l - m), 0)) - logits[0];
    }
    const e = Math.abs(values[r] - want) / (1e-5 * Math.max(1, Math.abs(want)));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

function startsOf(tree) {
  const starts = new Float64Array(tree.lengths.length);
  for (let i = 1; i < starts.length; i++) starts[i] = starts[i - 1] + tree.lengths[i - 1];
  return starts;
}

// ---------------------------------------------------------------- contenders

const accepts = (w) => w.family === name;

/**
 * A build's call: the matrix in a WasmArray ("zero-copy"), in an f16 WasmArray ("f16 matrix":
 * h stays f32, the rows a call reads are widened; where the runtime has Float16Array) or a
 * typed array ("copy": only its used rows are copied in).
 */
function ours({ name: build, kind, version, sm }, how, js) {
  return {
    name: kind === "baseline" ? build : `${build} ${how}`,
    kind,
    version,
    accepts,
    setup(w, inputs) {
      const d = dataOf(w, js);
      const arrays = [];
      let matrix = d.matrix;
      if (how !== "copy") {
        matrix = sm.alloc(d.matrix.length, how === "f16 matrix" ? "f16" : "f32");
        matrix.array.set(d.matrix);
        arrays.push(matrix);
      }
      const grad = w.variant === "grad";
      let b = 0;
      const fns = inputs.map(() => () => {
        b = (b + 1) % BATCHES;
        const h = hOf(d, w, b);
        const result =
          w.op === "hierarchicalSoftmax"
            ? sm.hierarchicalSoftmax(h, matrix, d.tree, d.targets[b], { grad })
            : sm.sampledSoftmaxLoss(h, matrix, d.biases, d.targets[b], { numSampled: SAMPLED_S, seed: b, grad });
        result.batch = b;
        return result;
      });
      return { fns, dispose: () => arrays.forEach((a) => a.free()) };
    },
  };
}

/** The full softmax + cross-entropy of the same rows over given logits (the workload's data), zero-copy: crossEntropy of the loss family. */
function fullCrossEntropy({ name: build, version, sm }) {
  return {
    name: `full softmax + cross-entropy, logits given (${build} zero-copy)`,
    kind: "reference",
    version,
    accepts,
    errorOf: (w, got) => (Number.isFinite(got.loss) ? 0 : Infinity),
    setup(w, inputs) {
      const arrays = [];
      const t = Int32Array.from({ length: w.rows }, (_, r) => (r * 7919) % w.rowLength);
      const grad = w.variant === "grad" ? sm.alloc(w.n, "f32") : undefined;
      if (grad) arrays.push(grad);
      const fns = inputs.map((input) => {
        const x = sm.alloc(w.n, "f32");
        x.array.set(input);
        arrays.push(x);
        return () => sm.crossEntropy(x, t, { rowLength: w.rowLength, grad });
      });
      return { fns, dispose: () => arrays.forEach((a) => a.free()) };
    },
  };
}

/** The full cross-entropy with its logits: sampledSoftmaxLoss over every class, no correction (the full softmax's loss), weights zero-copy. */
function fullWithLogits({ name: build, version, sm }, js) {
  return {
    name: `full softmax + cross-entropy with the logits (${build} zero-copy)`,
    kind: "reference",
    version,
    accepts: (w) => accepts(w) && w.op === "sampledSoftmaxLoss",
    errorOf: (w, got) => (got.loss.every(Number.isFinite) ? 0 : Infinity),
    setup(w, inputs) {
      const d = dataOf(w, js);
      const weights = sm.alloc(d.matrix.length, "f32");
      weights.array.set(d.matrix);
      const all = Int32Array.from({ length: w.rowLength }, (_, i) => i);
      const grad = w.variant === "grad";
      let b = 0;
      const fns = inputs.map(() => () => {
        b = (b + 1) % BATCHES;
        return sm.sampledSoftmaxLoss(hOf(d, w, b), weights, d.biases, d.targets[b], { sampled: all, subtractLogQ: false, grad });
      });
      return { fns, dispose: () => weights.free() };
    },
  };
}

/** The family's contenders over `builds` ({ name, kind, version, sm }, see bench/contenders.js). */
export async function contenders(builds) {
  const js = builds.find((b) => b.kind === "baseline")?.sm ?? builds[0].sm;
  const list = builds.flatMap((b) => (b.kind === "baseline" ? [ours(b, "copy", js)] : [ours(b, "zero-copy", js), ours(b, "copy", js)]));
  const best = builds.find((b) => b.kind === "softmax-wasm");
  if (best) list.push(fullCrossEntropy(best), fullWithLogits(best, js));
  if (best && typeof Float16Array === "function") list.push(ours(best, "f16 matrix", js));
  return list;
}
