// Speed on every input: every public function of every family on rows of one length with
// four shapes of values (bench/workloads.js VALUES: typical, confident, flat, masked), so a
// function whose time depends on the values shows as a ratio above 1 against its typical row
// (the contract: at most 1.3x). An LLM row of 32,000 where the function takes a row; the
// jacobian (K² outputs) a row of 1024; attention a decode step (1 query, heads 32, kvHeads 8,
// dim 128) over 4096 keys whose scores are shaped by a bias row; sampledSoftmaxLoss with the
// shaped row as the class biases. Every workload runs in the core run too: in every runtime.
// Each function is one workload; its contenders are the best wasm build zero-copy and the JS
// backend, each on each shape, timed in the same interleaved rounds. The check is a guard against a
// wrong answer (the JS backend in float64 on the same values, within 1e-4 relative): accuracy
// is the tests' business.

import { js } from "../../dist/index.js";
import { uniforms, valuesOf, workload } from "../workloads.js";
import { targetsOf } from "./loss.js";

export const name = "shapes";
const family = { name, defaultValues: "typical" };

const K = 32000;
export const SHAPES = ["typical", "confident", "flat", "masked"];

/** A typical row of `n` (N(0, 2^2)), the second operand of the backward functions. */
const gradientOf = (n) => valuesOf({ dtype: "f32", n, rowLength: n, values: "typical" });

/** Target probabilities: the shaped row's own softmax (0 where it is masked). */
const probabilitiesOf = (x, rowLength) => js.softmax(Float64Array.from(x), { rowLength });

const SAMPLING = {
  plain: { temperature: 1 },
  topK: { temperature: 0.8, topK: 50 },
  minP: { temperature: 0.8, minP: 0.05 },
  topP: { temperature: 0.8, topP: 0.95 },
  chain: { temperature: 0.8, topK: 50, topP: 0.9, minP: 0.05 },
};

const ATTENTION = { heads: 32, kvHeads: 8, dim: 128 };
const SAMPLED = { rows: 4, dim: 64, numSampled: 512 };

/**
 * Each function: op[/variant], its row length, rows, and how to call it on the shaped values x
 * with `sm` (a Kernels), where array(values | n) gives an input or output array of the
 * contender's kind (a WasmArray, or a typed array of the reference's dtype). Returns a
 * zero-argument function that makes the call and returns its result.
 */
const FUNCTIONS = [
  // core
  { op: "softmax", call: (sm, x, w, array) => { const a = array(x), out = array(w.n); return () => sm.softmax(a, { out }); } },
  { op: "logSoftmax", call: (sm, x, w, array) => { const a = array(x), out = array(w.n); return () => sm.logSoftmax(a, { out }); } },
  { op: "logSumExp", call: (sm, x, w, array) => { const a = array(x); return () => sm.logSumExp(a); } },
  {
    op: "logSumExp",
    variant: "signed",
    call: (sm, x, w, array) => {
      const a = array(x);
      const next = uniforms(5);
      const b = array(Float32Array.from({ length: w.n }, () => 2 * next() - 0.5));
      return () => sm.logSumExp(a, { b, returnSign: true });
    },
  },
  {
    op: "online",
    call: (sm, x, w, array) => {
      const chunks = [];
      for (let s = 0; s < w.n; s += 4096) chunks.push(array(x.subarray(s, Math.min(w.n, s + 4096))));
      const acc = sm.online();
      const out = array(4096);
      return () => {
        acc.reset();
        for (const c of chunks) acc.push(c);
        return [acc.logSumExp(), acc.normalize(chunks[0], out)];
      };
    },
  },
  // sampling
  { op: "argmax", call: (sm, x, w, array) => { const a = array(x); return () => sm.argmax(a); } },
  { op: "topK", call: (sm, x, w, array) => { const a = array(x); return () => sm.topK(a, 50); } },
  ...Object.entries(SAMPLING).map(([variant, opts]) => ({
    op: "sample",
    variant,
    call: (sm, x, w, array) => {
      const a = array(x);
      return () => sm.sample(a, { ...opts, seed: 11 });
    },
  })),
  {
    op: "sampler",
    call: (sm, x, w, array) => {
      const a = array(x);
      const opts = { temperature: 0.8, topK: 50, repetitionPenalty: 1.1, penaltyWindow: 64, seed: 11 };
      // Its history moves on with each draw (within the window): the check sees the first one.
      const sampler = sm.sampler(opts);
      return () => sampler.sample(a);
    },
  },
  ...["topK", "minP"].map((variant) => ({
    op: "distribution",
    variant,
    call: (sm, x, w, array) => {
      const a = array(x), out = array(w.n);
      return () => sm.distribution(a, { ...SAMPLING[variant], out });
    },
  })),
  ...[false, true].map((hard) => ({
    op: "gumbelSoftmax",
    variant: hard ? "hard" : undefined,
    call: (sm, x, w, array) => {
      const a = array(x), out = array(w.n);
      return () => sm.gumbelSoftmax(a, { hard, seed: 13, out });
    },
  })),
  // loss: a batch of 4 rows
  ...[
    ["grad", {}],
    ["loss", null],
    ["labelSmoothing", { labelSmoothing: 0.1 }],
  ].map(([variant, extra]) => ({
    op: "crossEntropy",
    variant,
    rows: 4,
    call: (sm, x, w, array) => {
      const a = array(x), t = targetsOf(w), grad = extra && array(w.n);
      return () => sm.crossEntropy(a, t, { rowLength: w.rowLength, ...extra, ...(grad && { grad }) });
    },
  })),
  {
    op: "crossEntropy",
    variant: "probabilities",
    rows: 4,
    call: (sm, x, w, array) => {
      const a = array(x), q = array(probabilitiesOf(x, w.rowLength)), grad = array(w.n);
      return () => sm.crossEntropy(a, q, { rowLength: w.rowLength, grad });
    },
  },
  { op: "logProbs", rows: 4, call: (sm, x, w, array) => { const a = array(x), t = targetsOf(w), out = array(w.rows); return () => sm.logProbs(a, t, { rowLength: w.rowLength, out }); } },
  {
    op: "softmaxBackward",
    call: (sm, x, w, array) => {
      const y = array(js.softmax(Float64Array.from(x))), g = array(gradientOf(w.n)), out = array(w.n);
      return () => sm.softmaxBackward(g, y, { out });
    },
  },
  {
    op: "logSoftmaxBackward",
    call: (sm, x, w, array) => {
      const logY = array(js.logSoftmax(Float64Array.from(x))), g = array(gradientOf(w.n)), out = array(w.n);
      return () => sm.logSoftmaxBackward(g, logY, { out });
    },
  },
  // Into `out`: a fresh K² result per call (4 MB at K = 1024) timed the garbage collector.
  { op: "jacobian", rowLength: 1024, call: (sm, x, w, array) => { const y = array(js.softmax(Float64Array.from(x))), out = array(w.n * w.n); return () => sm.jacobian(y, { out }); } },
  // sparse
  { op: "sparsemax", call: (sm, x, w, array) => { const a = array(x), out = array(w.n); return () => sm.sparsemax(a, { out }); } },
  ...[1.5, 1.3].map((alpha) => ({
    op: "entmax",
    variant: String(alpha),
    call: (sm, x, w, array) => {
      const a = array(x), out = array(w.n);
      return () => sm.entmax(a, { alpha, out });
    },
  })),
  {
    op: "sparsemaxBackward",
    call: (sm, x, w, array) => {
      const y = array(js.sparsemax(Float64Array.from(x))), g = array(gradientOf(w.n)), out = array(w.n);
      return () => sm.sparsemaxBackward(g, y, { out });
    },
  },
  {
    op: "entmaxBackward",
    variant: "1.5",
    call: (sm, x, w, array) => {
      const y = array(js.entmax(Float64Array.from(x), { alpha: 1.5 })), g = array(gradientOf(w.n)), out = array(w.n);
      return () => sm.entmaxBackward(g, y, { alpha: 1.5, out });
    },
  },
  { op: "sparsemaxLoss", rows: 4, call: (sm, x, w, array) => { const a = array(x), t = targetsOf(w), grad = array(w.n); return () => sm.sparsemaxLoss(a, t, { rowLength: w.rowLength, grad }); } },
  {
    op: "entmaxLoss",
    variant: "1.5",
    rows: 4,
    call: (sm, x, w, array) => {
      const a = array(x), t = targetsOf(w), grad = array(w.n);
      return () => sm.entmaxLoss(a, t, { alpha: 1.5, rowLength: w.rowLength, grad });
    },
  },
  // attention: the shaped row is the bias of one query over 4096 keys
  {
    op: "attend",
    rowLength: 4096,
    call: (sm, x, w, array) => {
      const { heads, kvHeads, dim } = ATTENTION;
      const next = uniforms(17);
      // Small q·k scores: the bias decides each score's shape.
      const small = (n) => Float32Array.from({ length: n }, () => 0.1 * (2 * next() - 1));
      const q = array(small(heads * dim)), keys = array(small(w.n * kvHeads * dim)), values = array(small(w.n * kvHeads * dim));
      const bias = array(x), out = array(heads * dim);
      return () => sm.attend(q, keys, values, { heads, kvHeads, dim, bias, out, lse: true });
    },
  },
  // vocab: the shaped row is the biases of the classes
  {
    op: "sampledSoftmaxLoss",
    call: (sm, x, w, array) => {
      const { rows, dim, numSampled } = SAMPLED;
      const next = uniforms(19);
      const h = array(Float32Array.from({ length: rows * dim }, () => 0.1 * (2 * next() - 1)));
      const weights = array(Float32Array.from({ length: w.n * dim }, () => 0.1 * (2 * next() - 1)));
      // Targets on finite biases (the masked row keeps its first entry finite).
      const target = Int32Array.from({ length: rows }, () => Math.floor(next() * w.n)).map((t) => (x[t] === -Infinity ? 0 : t));
      const biases = array(x);
      return () => sm.sampledSoftmaxLoss(h, weights, biases, target, { numSampled, seed: 23 });
    },
  },
];

const keyOf = (f) => (f.variant ? `${f.op}/${f.variant}` : f.op);
const functionOf = (w) => FUNCTIONS.find((f) => keyOf(f) === w.key);

/**
 * One workload per function (its typical row is the workload's data), in every run but a
 * quick one. The other shapes are contenders of the same workload, so that all four are timed
 * in the same interleaved rounds: a burst of load on the machine lands on all alike.
 */
export function workloads({ quick = false } = {}) {
  if (quick) return [];
  return FUNCTIONS.map((f) => ({
    ...workload(family, f.op, "f32", f.rows ?? 1, f.rowLength ?? K, { variant: f.variant, tags: ["shapes", f.op] }),
    key: keyOf(f),
  }));
}

/** The workload with another shape of values (its own id, for the targets of its rows). */
const as = (w, values) => (values === w.values ? w : { ...w, values, id: `${w.id}/${values}` });

/** The float64 reference: the JS backend on the same values as a Float64Array. */
export function referenceOf(w, x) {
  const array = (v) => (typeof v === "number" ? new Float64Array(v) : Float64Array.from(v));
  return functionOf(w).call(js, x, w, array)();
}

/** Every number of a result, in a fixed order (arrays, WasmArrays, objects by key, numbers). */
function numbers(result, into = []) {
  if (typeof result === "number") into.push(result);
  else if (ArrayBuffer.isView(result)) for (const v of result) into.push(Number(v));
  else if (Array.isArray(result)) for (const r of result) numbers(r, into);
  else if (result && "array" in result && "free" in result) numbers(result.array, into);
  else if (result && typeof result === "object") for (const k of Object.keys(result).sort()) numbers(result[k], into);
  return into;
}

/** The worst difference in units of 1e-4 * max(1, |r|); equal values (infinities, NaN) are none. */
export function errorOf(w, got, reference) {
  const a = numbers(got);
  const b = numbers(reference);
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    if (Object.is(a[i], b[i]) || a[i] === b[i]) continue;
    const e = Math.abs(a[i] - b[i]) / (1e-4 * Math.max(1, Math.abs(b[i])));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

const accepts = (w) => w.family === name;

/** The contender name of a build's call on one shape of values ("<build>, <shape>"). */
export const shapeContender = (base, values) => `${base}, ${values}`;

/**
 * A build's call on one shape of values: WasmArrays in and out ("zero-copy"), or Float32Arrays
 * (the JS backend); checked against the reference of its own values.
 */
function ours({ name: build, kind, version, sm }, values) {
  const base = kind === "baseline" ? build : `${build} zero-copy`;
  return {
    name: shapeContender(base, values),
    kind,
    version,
    accepts,
    errorOf: (w, got) => errorOf(w, got, referenceOf(as(w, values), valuesOf(as(w, values)))),
    setup(w, inputs) {
      const arrays = [];
      const array = (v) => {
        const n = typeof v === "number" ? v : v.length;
        if (kind === "baseline") return typeof v === "number" ? new Float32Array(n) : Float32Array.from(v);
        const a = sm.alloc(n, "f32");
        if (typeof v !== "number") a.array.set(v);
        arrays.push(a);
        return a;
      };
      const shape = as(w, values);
      const x = values === w.values ? inputs[0] : valuesOf(shape);
      const fns = inputs.map(() => functionOf(w).call(sm, x, shape, array));
      return { fns, dispose: () => arrays.forEach((a) => a.free()) };
    },
  };
}

/** The best wasm build (of this checkout, and of a --compare directory) and the JS backend, each on every shape of values. */
export async function contenders(builds) {
  const best = new Set();
  const picked = builds.filter((b) => {
    const prefix = b.name.startsWith("before:") ? "before:" : "";
    if (b.kind === "baseline") return true;
    if (best.has(prefix)) return false;
    best.add(prefix);
    return true;
  });
  return picked.flatMap((b) => SHAPES.map((values) => ours(b, values)));
}
