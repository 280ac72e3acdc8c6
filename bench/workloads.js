// What the suite measures: each workload is one operation on one shape and dtype, with its
// input data (several copies for the big sizes, see ROTATION), its float64 reference and
// the accuracy contract (README, "Accuracy") its output is checked against before timing.

import { logits } from "./harness.js";

/** One row of n elements: powers of 4 from 16 to 2^24, and 32000 (a common vocabulary). */
export const ROW_SIZES = [16, 64, 256, 1024, 4096, 16384, 32000, 65536, 2 ** 18, 2 ** 20, 2 ** 22, 2 ** 24];
const QUICK_ROW_SIZES = [16, 4096, 32000, 2 ** 20];
/** The rows of a core run (every runtime but the primary one): the README's speed table. */
const CORE_ROW_SIZES = [16, 4096, 32000, 2 ** 20, 2 ** 24];
/** Batches of short rows: mixture-of-experts routers (8 experts), short attention rows. */
export const SHORT_ROWS = [
  [8192, 8],
  [2048, 32],
];

/**
 * Calls that touch at least `minBytes` (input + output) cycle through copies of their data
 * adding up to `totalBytes`, so each call reads memory, not a cache still warm from the
 * previous call on the same buffer: larger than the L3 of current desktop and server chips.
 * Smaller calls run from cache, as they do in an application that just produced the data.
 */
export const ROTATION = { minBytes: 4 * 2 ** 20, totalBytes: 128 * 2 ** 20 };

const BYTES = { f32: 4, f64: 8 };

function workload(op, dtype, rows, rowLength, extra = {}) {
  const n = rows * rowLength;
  const shape = extra.chunk ? `${n}/${extra.chunk}` : `${rows}x${rowLength}`;
  const readsOnly = op === "logSumExp" || op === "online";
  const bytes = n * BYTES[dtype] * (readsOnly ? 1 : 2);
  return { id: `${op}/${dtype}/${shape}`, op, dtype, rows, rowLength, n, bytes, tags: [], ...extra };
}

/** The workloads of a full run, or of a quick one, or of a core one (f32 softmax only). */
export function workloads({ quick = false, core = false } = {}) {
  const list = [];
  const shortRows = () => {
    for (const [rows, k] of SHORT_ROWS) {
      list.push(workload("softmax", "f32", rows, k, { tags: ["short"], label: `a batch of ${rows} rows of ${k}` }));
    }
  };
  if (core) {
    for (const n of CORE_ROW_SIZES) list.push(workload("softmax", "f32", 1, n, { tags: ["row"] }));
    shortRows();
    return list;
  }
  const sizes = quick ? QUICK_ROW_SIZES : ROW_SIZES;
  for (const dtype of quick ? ["f32"] : ["f32", "f64"]) {
    const llm = (n) => dtype === "f32" && n === 32000;
    for (const n of sizes) list.push(workload("softmax", dtype, 1, n, { tags: llm(n) ? ["row", "llm"] : ["row"] }));
  }
  if (!quick) {
    list.push(workload("softmax", "f32", 8, 128256, { tags: ["llm"], label: "LLM logits, batch of 8 (Llama 3 vocabulary)" }));
    list.push(workload("softmax", "f32", 4096, 128, { tags: ["attention"], label: "attention scores, 4096 rows of 128" }));
    list.push(workload("softmax", "f32", 512, 1024, { tags: ["attention"], label: "attention scores, 512 rows of 1024" }));
  }
  shortRows();
  for (const n of quick ? [4096] : [4096, 32000, 2 ** 20]) list.push(workload("logSoftmax", "f32", 1, n, { tags: ["logSoftmax"] }));
  for (const n of quick ? [16, 4096, 2 ** 20] : [16, 4096, 32000, 2 ** 20]) {
    list.push(workload("logSumExp", "f32", 1, n, { tags: ["logSumExp"] }));
  }
  list.push(workload("online", "f32", 1, 2 ** 20, { chunk: 4096, tags: ["online"], label: "online push of 2^20 in chunks of 4096, then logSumExp()" }));
  return list;
}

/** How many copies of the data a call of this workload cycles through. */
export const copiesOf = (w) => (w.bytes >= ROTATION.minBytes ? Math.ceil(ROTATION.totalBytes / w.bytes) : 1);

/** The input data: `copies` identical arrays of the workload's dtype. */
export function inputsOf(w, copies) {
  const x = logits(w.n, w.dtype);
  return [x, ...Array.from({ length: copies - 1 }, () => x.slice())];
}

/** A sum of float64 values with Neumaier's compensation (a plain one drifts by ~1e-12 at 2^24). */
function compensatedSum(values, start, end, shift) {
  let sum = 0;
  let lost = 0;
  for (let i = start; i < end; i++) {
    const v = Math.exp(values[i] - shift);
    const t = sum + v;
    lost += Math.abs(sum) >= v ? sum - t + v : v - t + sum;
    sum = t;
  }
  return sum + lost;
}

/** Float64 reference output: an array (softmax, logSoftmax) or a number (logSumExp, online). */
export function referenceOf(w, x) {
  const out = new Float64Array(w.op === "softmax" || w.op === "logSoftmax" ? w.n : 1);
  for (let r = 0; r < w.rows; r++) {
    const start = r * w.rowLength;
    const end = start + w.rowLength;
    let max = -Infinity;
    for (let i = start; i < end; i++) if (x[i] > max) max = x[i];
    const sum = compensatedSum(x, start, end, max);
    if (w.op === "softmax") for (let i = start; i < end; i++) out[i] = Math.exp(x[i] - max) / sum;
    else if (w.op === "logSoftmax") for (let i = start; i < end; i++) out[i] = x[i] - max - Math.log(sum);
    else out[0] = max + Math.log(sum);
  }
  return w.op === "softmax" || w.op === "logSoftmax" ? out : out[0];
}

/** The accuracy contract of the README: |y - r| <= rel * r + abs (softmax), or rel * (1 + |r|). */
const CONTRACT = {
  softmax: { f32: { rel: 2e-6, abs: 1e-9 }, f64: { rel: 5e-14, abs: 1e-18 } },
  log: { f32: { rel: 1e-6 }, f64: { rel: 1e-14 } },
};

/**
 * The largest error of `got` against the reference in units of the contract's bound: at
 * most 1 means within the accuracy softmax-wasm promises; NaN or a wrong length is Infinity.
 */
export function errorOf(w, got, reference) {
  const values = typeof got === "number" ? [got] : (got?.array ?? got);
  const expected = typeof reference === "number" ? [reference] : reference;
  if (!values || values.length !== expected.length) return Infinity;
  let worst = 0;
  if (w.op === "softmax") {
    const { rel, abs } = CONTRACT.softmax[w.dtype];
    for (let i = 0; i < expected.length; i++) {
      const e = Math.abs(values[i] - expected[i]) / (rel * expected[i] + abs);
      if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
    }
  } else {
    const { rel } = CONTRACT.log[w.dtype];
    for (let i = 0; i < expected.length; i++) {
      const e = Math.abs(values[i] - expected[i]) / (rel * (1 + Math.abs(expected[i])));
      if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
    }
  }
  return worst;
}

/** Splits x into subarrays of `chunk` elements (the online workload's stream). */
export function chunksOf(x, chunk) {
  const chunks = [];
  for (let start = 0; start < x.length; start += chunk) chunks.push(x.subarray(start, start + chunk));
  return chunks;
}
