// What the benchmark measures, in every family (bench/families/): a workload is one operation
// on one shape, dtype and shape of values, with its input data (several copies for the big
// sizes, see ROTATION). A family (core, sampling, loss) exports
//   { name, workloads({ quick, core }), referenceOf(w, x), errorOf(w, got, reference), contenders(builds, options) }
// and its contenders follow the one contract of the suite:
//   { name, kind, version, accepts(w), async?, warmMs?, errorOf?(w, got, x), setup(w, inputs) }
// setup returns { fns, dispose } with one zero-argument function per copy of the input; each
// computes the workload's result and returns it, checked by the family's errorOf against its
// float64 reference (a contender that computes something else, a reference such as a memory
// copy, checks its own output with errorOf(w, got, x)). kind: "softmax-wasm" (our builds),
// "baseline" (our pure JS backend), "naive" (textbook JS loops), "peer" (other libraries)
// and "reference" (the same data through a cheaper operation: a bound, not a contender).

import { prng as uniforms } from "../test/conformance/conformance.js";
import { f32ToHalfBits, halfBitsToNumber } from "../dist/core/half.js";
/**
 * Calls that touch at least `minBytes` (input + output) cycle through copies of their data
 * adding up to `totalBytes`, so each call reads memory, not a cache still warm from the
 * previous call on the same buffer: larger than the L3 of current desktop and server chips.
 * Smaller calls run from cache, as they do in an application that just produced the data.
 */
export const ROTATION = { minBytes: 4 * 2 ** 20, totalBytes: 128 * 2 ** 20 };

const BYTES = { f32: 4, f64: 8, f16: 2 };
/** Bytes per element of the output an input dtype gives (f16 in, f32 out). */
const OUT_BYTES = { f32: 4, f64: 8, f16: 4 };

/**
 * A workload of `family`: op on rows x rowLength elements of dtype, values drawn as VALUES[values].
 * Its id is op/dtype/shape[/variant][/values] (values when not the family's default), and its
 * tags hold the family, the shape of values and `extra.tags`.
 */
export function workload(family, op, dtype, rows, rowLength, { values = "typical", variant, tags = [], writes = false, ...extra } = {}) {
  const n = rows * rowLength;
  const shape = extra.chunk ? `${n}/${extra.chunk}` : `${rows}x${rowLength}`;
  const parts = [op, dtype, shape, variant, values === family.defaultValues ? undefined : values];
  const bytes = n * (BYTES[dtype] + (writes ? OUT_BYTES[dtype] : 0));
  return { id: parts.filter(Boolean).join("/"), family: family.name, op, variant, dtype, rows, rowLength, n, bytes, values, tags: [family.name, values, ...tags], ...extra };
}

/** mulberry32: deterministic uniforms in [0, 1), the generator of the conformance checks (they import nothing, so it lives there). */
export { uniforms };

/** Standard normal draws (Box-Muller) from uniforms. */
const normals = (next) => () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());

/**
 * Shapes of values, per row (speed must not depend on them): each fills `x` (rows of
 * rowLength) from the draws `next` (uniforms) and `normal`.
 */
export const VALUES = {
  /** N(0, 2^2): logits with no clear winner. */
  typical: (x, rowLength, next, normal) => x.forEach((_, i) => (x[i] = 2 * normal())),
  /** One logit 20 above N(0, 2^2) noise per row: a confident prediction (probabilities near 0 and 1). */
  confident: (x, rowLength, next, normal) => {
    VALUES.typical(x, rowLength, next, normal);
    for (let start = 0; start < x.length; start += rowLength) x[start + Math.floor(next() * rowLength)] += 20;
  },
  /** N(0, 0.3^2): nearly uniform probabilities. */
  flat: (x, rowLength, next, normal) => x.forEach((_, i) => (x[i] = 0.3 * normal())),
  /** typical with -Infinity over ~40% of each row, in runs of 1 to 64 (a mask); the first element stays finite. */
  masked: (x, rowLength, next, normal) => {
    VALUES.typical(x, rowLength, next, normal);
    for (let start = 0; start < x.length; start += rowLength) {
      for (let i = 1; i < rowLength; ) {
        const run = 1 + Math.floor(next() * 64);
        if (next() < 0.4) x.fill(-Infinity, start + i, start + Math.min(i + run, rowLength));
        i += run;
      }
    }
  },
  /**
   * A language model's next-token row: N(0, 2^2) for every token plus 40 "plausible" tokens
   * at 8 + N(0, 4^2) (a few tokens hold most of the mass).
   */
  language: (x, rowLength, next, normal) => {
    VALUES.typical(x, rowLength, next, normal);
    for (let start = 0; start < x.length; start += rowLength) {
      for (let j = 0; j < 40; j++) x[start + Math.floor(next() * rowLength)] = 8 + 4 * normal();
    }
  },
};

/**
 * The workload's input: its shape of values, of its dtype, drawn from a seed of its own size
 * (f16: a Float32Array of halves' values); draw d > 0 (see inputsOf) from seeds of its own.
 */
export function valuesOf(w, draw = 0) {
  const x = w.dtype === "f64" ? new Float64Array(w.n) : new Float32Array(w.n);
  const next = uniforms(draw === 0 ? w.n : (w.n + Math.imul(draw, 0x9e3779b9)) >>> 0);
  VALUES[w.values](x, w.rowLength, next, normals(next));
  if (w.dtype === "f16") x.forEach((v, i) => (x[i] = halfBitsToNumber(f32ToHalfBits(v))));
  return x;
}

/** Fills an f16 WasmArray's view with values that are halves (a Float16Array takes them, a Uint16Array their bits). */
export function setHalves(view, values) {
  if (view instanceof Uint16Array) for (let i = 0; i < values.length; i++) view[i] = f32ToHalfBits(values[i]);
  else view.set(values);
}

/**
 * How many copies of the data a call of this workload cycles through: at least its `draws`
 * (different draws of the same shape of values, for functions whose time depends on the values
 * beyond their shape: a branch taken at random that one row repeated would teach the branch
 * predictor; see inputsOf).
 */
export const copiesOf = (w) => Math.max(w.draws ?? 1, w.bytes >= ROTATION.minBytes ? Math.ceil(ROTATION.totalBytes / w.bytes) : 1);

/** The input data: `copies` arrays, copy i of draw i % draws (identical copies without draws). */
export function inputsOf(w, copies) {
  const draws = Array.from({ length: Math.min(w.draws ?? 1, copies) }, (_, d) => valuesOf(w, d));
  return Array.from({ length: copies }, (_, i) => (i < draws.length ? draws[i] : draws[i % draws.length].slice()));
}

/** Splits x into subarrays of `chunk` elements (the online workload's stream). */
export function chunksOf(x, chunk) {
  const chunks = [];
  for (let start = 0; start < x.length; start += chunk) chunks.push(x.subarray(start, start + chunk));
  return chunks;
}

/**
 * One batched softmax of the same rows by a build, zero-copy: what a family's functions are
 * measured against (sampling, the loss). Its check is that each row sums to 1.
 */
export function softmaxYardstick({ name: build, version, sm }, accepts) {
  return {
    name: `softmax (${build} zero-copy)`,
    kind: "reference",
    version,
    accepts,
    errorOf(w, got) {
      for (let start = 0; start < w.n; start += w.rowLength) {
        let sum = 0;
        for (let i = start; i < start + w.rowLength; i++) sum += got.array[i];
        if (!(Math.abs(sum - 1) < 1e-3)) return Infinity;
      }
      return 0;
    },
    setup(w, inputs) {
      const arrays = [];
      const fns = inputs.map((input) => {
        const x = sm.alloc(w.n, "f32");
        const out = sm.alloc(w.n, "f32");
        x.array.set(input);
        arrays.push(x, out);
        return () => sm.softmax(x, { rowLength: w.rowLength, out });
      });
      return { fns, dispose: () => arrays.forEach((a) => a.free()) };
    },
  };
}
