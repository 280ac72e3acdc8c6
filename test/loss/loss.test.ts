// crossEntropy and logProbs against the float64 reference of loss-reference.ts: every option
// alone and combined, both target kinds, every reduction, every backend, f32 and f64; the
// gradient also against central finite differences.
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { type CeOptions, type Dtype, LOSS_TOL, crossEntropyRef, expectRel, expectRowsClose, logSoftmaxRef, numericGradient } from "./reference.js";
import { random, refRow } from "../core/reference.js";

const dtypes: Dtype[] = ["f32", "f64"];

function array(dtype: Dtype, values: ArrayLike<number>): Float32Array | Float64Array {
  return dtype === "f32" ? Float32Array.from(values) : Float64Array.from(values);
}

/** rows x k logits: uniform(-spread, spread) around a per-row offset. */
function logits(dtype: Dtype, rows: number, k: number, seed: number, spread = 4): Float32Array | Float64Array {
  const next = random(seed);
  const x = new Array<number>(rows * k);
  for (let r = 0; r < rows; r++) {
    const offset = 20 * (next() - 0.5);
    for (let j = 0; j < k; j++) x[r * k + j] = offset + spread * (2 * next() - 1);
  }
  return array(dtype, x);
}

/** Class indices, a quarter of them the ignore index. */
function indices(rows: number, k: number, seed: number, ignoreIndex = -100): Int32Array {
  const next = random(seed);
  const t = new Int32Array(rows);
  for (let r = 0; r < rows; r++) t[r] = r % 4 === 3 ? ignoreIndex : Math.floor(next() * k);
  return t;
}

/** Target probabilities: each row a random distribution with some exact zeros. */
function probabilities(rows: number, k: number, seed: number): Float64Array {
  const next = random(seed);
  const t = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < k; j++) {
      const v = next() < 0.3 ? 0 : next();
      t[r * k + j] = v;
      s += v;
    }
    for (let j = 0; j < k; j++) t[r * k + j] = s > 0 ? t[r * k + j] / s : 1 / k;
  }
  return t;
}

function weights(k: number, seed: number): number[] {
  const next = random(seed);
  return Array.from({ length: k }, () => 0.25 + 2 * next());
}

/** Checks one call against the reference: loss (reduced or per row) and gradient. */
function check(kernels: (typeof backends)[number][1], dtype: Dtype, x: Float32Array | Float64Array, target: Int32Array | Float64Array | number[], opts: CeOptions, what: string) {
  const tol = LOSS_TOL[dtype];
  const ref = crossEntropyRef(x, target, opts);
  const { loss, grad } = kernels.crossEntropy(x, target, { ...opts, grad: true });
  const k = opts.rowLength ?? x.length;
  if (opts.reduction === "none") {
    expect(loss).toBeInstanceOf(dtype === "f32" ? Float32Array : Float64Array);
    const rows = loss as Float32Array | Float64Array;
    expect(rows.length).toBe(ref.rows.length);
    for (let r = 0; r < rows.length; r++) expectRel(rows[r], ref.rows[r], tol.loss, `${what} row ${r}`);
  } else {
    expect(typeof loss).toBe("number");
    expectRel(loss as number, ref.loss, tol.loss, `${what} loss`);
  }
  expect(grad).toBeInstanceOf(dtype === "f32" ? Float32Array : Float64Array);
  expectRowsClose(grad as ArrayLike<number>, ref.grad, k, tol.grad, `${what} grad`);
  // The loss alone gives the same value.
  const alone = kernels.crossEntropy(x, target, opts);
  expect(alone.grad).toBeUndefined();
  if (opts.reduction !== "none") expect(alone.loss).toBe(loss);
}

const REDUCTIONS = ["mean", "sum", "none"] as const;
/** Each option alone, then in combinations. */
const OPTION_SETS: [string, (k: number) => CeOptions][] = [
  ["defaults", () => ({})],
  ["labelSmoothing", () => ({ labelSmoothing: 0.15 })],
  ["labelSmoothing 1", () => ({ labelSmoothing: 1 })],
  ["weight", (k) => ({ weight: weights(k, 7) })],
  ["zLoss", () => ({ zLoss: 1e-3 })],
  ["beta", () => ({ beta: 0.7 })],
  ["negative beta", () => ({ beta: -1.3 })],
  ["beta 0", () => ({ beta: 0 })],
  ["temperature", () => ({ temperature: 2.5 })],
  ["ignoreIndex 1", () => ({ ignoreIndex: 1 })],
  ["weight + labelSmoothing", (k) => ({ weight: weights(k, 8), labelSmoothing: 0.2 })],
  ["weight + labelSmoothing + zLoss + beta", (k) => ({ weight: weights(k, 9), labelSmoothing: 0.1, zLoss: 0.01, beta: 1.7 })],
  ["labelSmoothing + temperature + zLoss", () => ({ labelSmoothing: 0.3, temperature: 0.8, zLoss: 2e-4 })],
];

describe.each(backends)("crossEntropy on %s", (_name, kernels) => {
  describe.each(dtypes)("%s", (dtype) => {
    // Row lengths around the SIMD widths and unrolls, and one long enough for several flushes.
    for (const k of [1, 2, 3, 4, 5, 8, 9, 17, 33, 257, 1030]) {
      const rows = k > 100 ? 3 : 6;
      it(`K = ${k}: every option alone and combined, index targets, every reduction`, () => {
        const x = logits(dtype, rows, k, k);
        for (const [label, make] of OPTION_SETS) {
          const base = make(k);
          const t = indices(rows, k, k + 1, base.ignoreIndex ?? -100);
          if (base.ignoreIndex === 1) t[0] = 1;
          for (const reduction of REDUCTIONS) {
            check(kernels, dtype, x, t, { ...base, rowLength: k, reduction }, `${label} ${reduction}`);
          }
        }
      });
      it(`K = ${k}: probability targets, every option and reduction`, () => {
        const x = logits(dtype, rows, k, 100 + k);
        const t = probabilities(rows, k, k + 2);
        for (const [label, make] of OPTION_SETS) {
          if (label.startsWith("ignoreIndex")) continue;
          for (const reduction of REDUCTIONS) {
            check(kernels, dtype, x, t, { ...make(k), rowLength: k, reduction }, `${label} ${reduction}`);
          }
        }
      });
    }

    it("number[] index targets and number[] probabilities", () => {
      const k = 7;
      const x = logits(dtype, 4, k, 3);
      check(kernels, dtype, x, [3, -100, 0, 6], { rowLength: k }, "number[] indices");
      check(kernels, dtype, x, Array.from(probabilities(4, k, 5)), { rowLength: k, reduction: "sum" }, "number[] probabilities");
    });

    it("f32 probabilities and weights with f64 logits (and the other way round)", () => {
      const k = 9;
      const x = logits(dtype, 3, k, 12);
      const t = Float32Array.from(probabilities(3, k, 13));
      const w = Float32Array.from(weights(k, 14));
      const ref = crossEntropyRef(x, Float64Array.from(t), { rowLength: k, weight: Array.from(w), labelSmoothing: 0.1 });
      const got = kernels.crossEntropy(x, t, { rowLength: k, weight: w, labelSmoothing: 0.1, grad: true });
      expectRel(got.loss, ref.loss, LOSS_TOL[dtype].loss);
      expectRowsClose(got.grad, ref.grad, k, LOSS_TOL[dtype].grad);
    });

    it("one row without rowLength; a confident row keeps its small loss to full relative accuracy", () => {
      const x = array(dtype, [12, -3, 0, 1.5, -30]);
      check(kernels, dtype, x, [0], {}, "one row");
      const y = array(dtype, [0, -40, -38.5]);
      const ref = crossEntropyRef(y, [0], {});
      expect(ref.loss).toBeGreaterThan(0);
      expect(ref.loss).toBeLessThan(1e-16);
      expectRel(kernels.crossEntropy(y, [0]).loss, ref.loss, LOSS_TOL[dtype].loss, "tiny loss");
      expectRel(-kernels.logProbs(y, [0])[0], ref.loss, LOSS_TOL[dtype].loss, "tiny log-probability");
    });

    it("gradient against central finite differences (f64 reference of the loss)", () => {
      // The library's gradient against differences of the reference loss, and the
      // reference's gradient against the same differences: both are checked independently.
      const k = 6;
      const rows = 4;
      const x = logits("f64", rows, k, 77, 2);
      const cases: [Int32Array | Float64Array, CeOptions][] = [
        [new Int32Array([2, -100, 5, 0]), { rowLength: k, labelSmoothing: 0.2, weight: weights(k, 3), zLoss: 0.05, beta: 0.8 }],
        [new Int32Array([1, 4, -100, 0]), { rowLength: k, reduction: "sum", beta: -1.1, zLoss: 0.01 }],
        [new Int32Array([1, 4, 3, 0]), { rowLength: k, reduction: "none", labelSmoothing: 0.5 }],
        [probabilities(rows, k, 4), { rowLength: k, labelSmoothing: 0.1, weight: weights(k, 5), zLoss: 0.02, temperature: 1.5 }],
      ];
      for (const [t, opts] of cases) {
        const f = (v: Float64Array) => {
          const r = crossEntropyRef(v, t, opts);
          return opts.reduction === "none" ? r.rows.reduce((a, b) => a + b, 0) : r.loss;
        };
        const numeric = numericGradient(f, Float64Array.from(x));
        const got = kernels.crossEntropy(array(dtype, x), t, { ...opts, grad: true }).grad;
        const ref = crossEntropyRef(x, t, opts).grad;
        // Central differences with h = 1e-5 are good to ~1e-9 here; f32 inputs round x.
        expectRowsClose(ref, numeric, k, 1e-8, "reference vs differences");
        expectRowsClose(got, numeric, k, dtype === "f32" ? 1e-5 : 1e-8, "gradient vs differences");
      }
    });
  });
});

describe.each(backends)("logProbs on %s", (_name, kernels) => {
  describe.each(dtypes)("%s", (dtype) => {
    for (const k of [1, 3, 4, 8, 17, 100, 2049]) {
      it(`K = ${k}, with beta, temperature and out`, () => {
        const rows = 5;
        const x = logits(dtype, rows, k, 200 + k, 8);
        const t = Array.from({ length: rows }, (_, r) => (r * 7919) % k);
        for (const opts of [{}, { beta: 2.5 }, { beta: -0.5 }, { temperature: 3 }, { beta: 0 }]) {
          const beta = "beta" in opts ? (opts.beta as number) : "temperature" in opts ? 1 / (opts.temperature as number) : 1;
          const ref = t.map((y, r) => logSoftmaxRef(Array.from(x.subarray(r * k, (r + 1) * k), (v) => beta * v)).logp[y]);
          const got = kernels.logProbs(x, Int32Array.from(t), { ...opts, rowLength: k });
          expect(got).toBeInstanceOf(dtype === "f32" ? Float32Array : Float64Array);
          expectRowsClose(got, ref, 1, LOSS_TOL[dtype].grad, JSON.stringify(opts));
          const out = dtype === "f32" ? new Float32Array(rows) : new Float64Array(rows);
          expect(kernels.logProbs(x, t, { ...opts, rowLength: k, out })).toBe(out);
          expect(Array.from(out)).toEqual(Array.from(got));
        }
      });
    }

    it("confident rows: the log-probability of the arg max near 0 within 1e-6 (f32) / 1e-14 (f64) relative", () => {
      const next = random(11);
      const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
      const tol = dtype === "f32" ? 1e-6 : 1e-14;
      for (const k of [64, 2048, 2049, 32000]) {
        const rows = 3;
        // One logit 20 above N(0, 2) noise (the max near 0), then every other entry on one value
        // whose difference to the max rounds in the dtype (the exponents' errors all alike).
        const noise = Array.from({ length: rows * k }, (_, i) => (i >= 2 * k ? -19.300000123 : 2 * normal() - 20));
        const x = array(dtype, noise);
        const t = Int32Array.from({ length: rows }, (_, r) => (r * 7919 + 5) % k);
        for (let r = 0; r < rows; r++) x[r * k + t[r]] = r === 2 ? 0.7000000123 : 0.5 * r;
        const got = kernels.logProbs(x, t, { rowLength: k });
        for (let r = 0; r < rows; r++) {
          const ref = refRow(x.subarray(r * k, (r + 1) * k), 1).logp[t[r]];
          expect(Math.abs(got[r] - ref), `k ${k} row ${r}: ${got[r]} vs ${ref}`).toBeLessThanOrEqual(tol * Math.abs(ref));
        }
      }
    });

    it("agrees with logSoftmax at the target and with -crossEntropy per row", () => {
      const k = 50;
      const x = logits(dtype, 4, k, 9);
      const t = new Int32Array([0, 49, 7, 23]);
      const lp = kernels.logProbs(x, t, { rowLength: k });
      const full = kernels.logSoftmax(x, { rowLength: k });
      const ce = kernels.crossEntropy(x, t, { rowLength: k, reduction: "none" }).loss;
      for (let r = 0; r < 4; r++) {
        expectRel(lp[r], full[r * k + t[r]], dtype === "f32" ? 2e-6 : 1e-14);
        expect(lp[r]).toBe(-ce[r]);
      }
    });

    it("special rows: masked entries, a masked target, +Infinity entries, NaN", () => {
      const x = array(dtype, [-Infinity, 1, 2, -Infinity, -Infinity, 5, Infinity, 0, Infinity, 1, NaN, 2]);
      const got = kernels.logProbs(x, [1, 0, 0, 0], { rowLength: 3 });
      const ref = [0, 1, 2, 3].map((r) => logSoftmaxRef(Array.from(x.subarray(3 * r, 3 * r + 3))).logp[[1, 0, 0, 0][r]]);
      expect(ref[1]).toBe(-Infinity);
      expectRowsClose(got, ref, 1, LOSS_TOL[dtype].grad);
      expect(kernels.logProbs(x, [1, 0, 1, 0], { rowLength: 3 })[2]).toBe(-Infinity);
      expect(kernels.logProbs(array(dtype, [-Infinity, -Infinity]), [1])[0]).toBe(-Infinity);
    });
  });
});
