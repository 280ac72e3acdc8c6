// SciPy's weighted LogSumExp: logSumExp(x, { b, returnSign }) against a float64 reference
// written from the formula, SciPy's regression cases (gh-18295, gh-22903 and the cases of its
// test suite), and properties (fast-check) on every backend.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";

/** Reference: log|S|, sign(S) and the condition number sum|terms| / |S|, S = sum_j b_j exp(beta x_j) in float64. */
function reference(x: ArrayLike<number>, b: ArrayLike<number>, beta: number): { value: number; sign: number; kappa: number } {
  let top = -Infinity;
  for (let j = 0; j < x.length; j++) if (b[j] !== 0 && beta * x[j] > top) top = beta * x[j];
  if (top === -Infinity) return { value: -Infinity, sign: 0, kappa: 1 };
  let sum = 0;
  let lost = 0;
  let magnitude = 0;
  for (let j = 0; j < x.length; j++) {
    if (b[j] === 0) continue;
    const t = b[j] * Math.exp(beta * x[j] - top);
    const s = sum + t;
    lost += Math.abs(sum) >= Math.abs(t) ? sum - s + t : t - s + sum;
    sum = s;
    magnitude += Math.abs(t);
  }
  sum += lost;
  return { value: top + Math.log(Math.abs(sum)), sign: Math.sign(sum), kappa: sum === 0 ? Infinity : magnitude / Math.abs(sum) };
}

/** |y - r| within the f64 contract, widened by the cancellation of mixed-sign weights (kappa). */
function expectClose(y: number, r: { value: number; kappa: number }, rel = 1e-14): void {
  if (!Number.isFinite(r.value)) {
    expect(y).toBe(r.value);
    return;
  }
  expect(Math.abs(y - r.value)).toBeLessThanOrEqual(rel * (1 + Math.abs(r.value)) + 4e-16 * r.kappa);
}

const finite = fc.double({ min: -50, max: 50, noNaN: true, noDefaultInfinity: true });
// Weights below 1e-6 in magnitude are 0: scaled by k they could underflow.
const weight = fc.oneof(fc.double({ min: -5, max: 5, noNaN: true, noDefaultInfinity: true }).map((w) => (Math.abs(w) < 1e-6 ? 0 : w)), fc.constant(0), fc.constant(1));
const rowOf = (n: number) => fc.tuple(fc.array(finite, { minLength: n, maxLength: n }), fc.array(weight, { minLength: n, maxLength: n }));
const row = fc.integer({ min: 1, max: 40 }).chain(rowOf);
const beta = fc.oneof(fc.constant(1), fc.double({ min: -3, max: 3, noNaN: true, noDefaultInfinity: true }));

describe.each(backends)("%s weighted logSumExp", (_name, sm) => {
  it("SciPy's gh-18295: the sum next to the max keeps its relative accuracy", () => {
    const y = sm.logSumExp([0, -40], { b: [1, 1] });
    expect(Math.abs(y - 4.248354255291589e-18)).toBeLessThanOrEqual(1e-14 * 4.248354255291589e-18);
    expect(sm.logSumExp([0, -40], { b: [2, 2] })).toBeCloseTo(Math.LN2, 15);
  });

  it("SciPy's gh-22903: a negative weight at the max, a positive total", () => {
    const x = [3.06409428, 0.37251854, 3.87471931];
    const b = [1.88190708, 2.84174795, -0.85016884];
    const y = sm.logSumExp(x, { b });
    expect(Math.abs(y - 1.2452165157907382)).toBeLessThanOrEqual(1e-13);
    expectClose(y, reference(x, b, 1));
    expect(sm.logSumExp(x, { b, returnSign: true }).sign).toBe(1);
  });

  it("SciPy's test cases: signs, a zero total, a zero weight, scaled weights", () => {
    const a = sm.logSumExp([1, 1, 1], { b: [1, -1, -1], returnSign: true });
    expect(a.value).toBeCloseTo(1, 15);
    expect(a.sign).toBe(-1);
    expect(sm.logSumExp([1, 1], { b: [1, -1], returnSign: true })).toEqual({ value: -Infinity, sign: 0 });
    expect(sm.logSumExp([1, 10000], { b: [1, 0] })).toBe(1);
    expectClose(sm.logSumExp([1000, 1000], { b: [1.2, 1.2] }), { value: 1000 + Math.log(2.4), kappa: 1 });
    const c = sm.logSumExp([1, 2], { b: [1, -1], returnSign: true });
    expect(c.value).toBeCloseTo(1.5413248546129181, 14);
    expect(c.sign).toBe(-1);
    const x = Float64Array.from({ length: 200 }, (_, i) => i);
    const b = Float64Array.from({ length: 200 }, (_, i) => 200 - i);
    expectClose(sm.logSumExp(x, { b }), reference(x, b, 1));
  });

  it("a negative total is NaN unless returnSign; entries of weight 0 drop out whatever they are", () => {
    expect(sm.logSumExp([1, 2], { b: [1, -1] })).toBeNaN();
    expect(sm.logSumExp([1, NaN, Infinity, -Infinity], { b: [1, 0, 0, 0] })).toBe(1);
    expect(sm.logSumExp([NaN, Infinity], { b: [0, 0], returnSign: true })).toEqual({ value: -Infinity, sign: 0 });
    expect(sm.logSumExp([], { b: [], returnSign: true })).toEqual({ value: -Infinity, sign: 0 });
    expect(sm.logSumExp([1, NaN], { b: [1, 2], returnSign: true })).toEqual({ value: NaN, sign: NaN });
  });

  it("+Infinity entries: their summed weight decides; masked rows are a zero total", () => {
    expect(sm.logSumExp([Infinity, 1, Infinity], { b: [2, 5, -1], returnSign: true })).toEqual({ value: Infinity, sign: 1 });
    expect(sm.logSumExp([Infinity, 1], { b: [-2, 1], returnSign: true })).toEqual({ value: Infinity, sign: -1 });
    expect(sm.logSumExp([Infinity, 1], { b: [-2, 1] })).toBeNaN();
    expect(sm.logSumExp([Infinity, Infinity], { b: [1, -1] })).toBeNaN();
    expect(sm.logSumExp([-Infinity, -Infinity], { b: [3, -1], returnSign: true })).toEqual({ value: -Infinity, sign: 0 });
    // beta < 0 turns -Infinity into the top score; beta = 0 with an infinite entry is NaN, as unweighted.
    expect(sm.logSumExp([-Infinity, 3], { b: [2, 1], beta: -1 })).toBe(Infinity);
    expect(sm.logSumExp([Infinity, 3], { b: [2, 1], beta: 0 })).toBeNaN();
    expectClose(sm.logSumExp([5, 3], { b: [2, -0.5], beta: 0 }), { value: Math.log(1.5), kappa: 1 });
  });

  it("weights cancelling at the max leave the rest: log|S| stays exact (where SciPy's s/m divides by 0)", () => {
    const x = [2, 2, 0];
    const b = [1, -1, 3];
    expectClose(sm.logSumExp(x, { b }), reference(x, b, 1));
    expect(sm.logSumExp(x, { b, returnSign: true }).sign).toBe(1);
  });

  it("rowLength: b of rowLength weights every row alike, b of the input's length each entry; arrays of the output dtype", () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const rows = sm.logSumExp(x, { rowLength: 3, b: [1, -2, 0.5], returnSign: true });
    expect(rows.value).toBeInstanceOf(Float32Array);
    expect(rows.sign).toBeInstanceOf(Float32Array);
    for (let r = 0; r < 2; r++) {
      const ref = reference(x.subarray(r * 3, r * 3 + 3), [1, -2, 0.5], 1);
      expect(Math.abs(rows.value[r] - ref.value)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(ref.value)));
      expect(rows.sign[r]).toBe(ref.sign);
    }
    const b = [1, 2, 3, 0, 1, 1];
    const out = new Float64Array(2);
    const each = sm.logSumExp(Float64Array.from(x), { rowLength: 3, b, out });
    expect(each).toBe(out);
    expectClose(out[0], reference([1, 2, 3], [1, 2, 3], 1));
    expectClose(out[1], reference([4, 5, 6], [0, 1, 1], 1));
    // A WasmArray of weights goes in like any input.
    const w = sm.alloc(3, "f64");
    w.array.set([1, 1, 1]);
    expect(sm.logSumExp(x, { rowLength: 3, b: w })).toEqual(sm.logSumExp(x, { rowLength: 3, b: [1, 1, 1] }));
    w.free();
  });

  it("returnSign without b: sign 1, or 0 for an empty or masked row", () => {
    expect(sm.logSumExp([1, 2, 3], { returnSign: true })).toEqual({ value: sm.logSumExp([1, 2, 3]), sign: 1 });
    expect(sm.logSumExp([-Infinity], { returnSign: true })).toEqual({ value: -Infinity, sign: 0 });
    const rows = sm.logSumExp([1, 2, -Infinity, -Infinity], { rowLength: 2, returnSign: true });
    expect(Array.from(rows.sign)).toEqual([1, 0]);
    expect(Array.from(rows.value)).toEqual(Array.from(sm.logSumExp([1, 2, -Infinity, -Infinity], { rowLength: 2 })));
  });

  it("errors name the option and the value", () => {
    expect(() => sm.logSumExp([1, 2, 3], { b: [1, 2] })).toThrow(RangeError);
    expect(() => sm.logSumExp([1, 2, 3], { b: [1, 2] })).toThrow(/b must have .*\(got length 2 for 3\)/);
    expect(() => sm.logSumExp([1, 2, 3, 4], { rowLength: 2, b: [1, 2, 3] })).toThrow(/got length 3 for 4/);
    expect(() => sm.logSumExp([1, 2], { b: "1,2" as never })).toThrow(TypeError);
    expect(() => sm.logSumExp([1, 2], { b: "1,2" as never })).toThrow(/b must be/);
    expect(() => sm.logSumExp([1, 2], { b: [1, "2"] as never })).toThrow(/b\[1\] must be a number/);
    expect(() => sm.logSumExp([1, 2], { returnSign: 1 as never })).toThrow(/returnSign must be a boolean \(got the number 1\)/);
    expect(() => sm.softmax([1, 2], { b: [1, 1] } as never)).toThrow(/unknown option "b"/);
  });

  it("matches the float64 reference, with mixed signs, any beta (property)", () => {
    fc.assert(
      fc.property(row, beta, ([x, b], bt) => {
        const ref = reference(x, b, bt);
        const got = sm.logSumExp(x, { b, beta: bt, returnSign: true });
        expect(got.sign).toBe(ref.sign);
        expectClose(got.value, ref);
        const plain = sm.logSumExp(x, { b, beta: bt });
        if (ref.sign < 0) expect(plain).toBeNaN();
        else expect(plain).toBe(got.value);
      }),
      { seed: 20261204, numRuns: 200 },
    );
  });

  it("b = 1 is the unweighted LogSumExp; scaling b by k adds log k; zero weights ignore their entries (property)", () => {
    fc.assert(
      fc.property(row, beta, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), fc.constantFrom(NaN, Infinity, -Infinity), ([x, b], bt, k, wild) => {
        const xs = Float64Array.from(x);
        const plain = sm.logSumExp(xs, { beta: bt });
        expect(Math.abs(sm.logSumExp(xs, { b: xs.map(() => 1), beta: bt }) - plain)).toBeLessThanOrEqual(1e-14 * (1 + Math.abs(plain)));
        const base = sm.logSumExp(xs, { b, beta: bt, returnSign: true });
        const scaled = sm.logSumExp(xs, { b: b.map((v) => v * k), beta: bt, returnSign: true });
        expect(scaled.sign).toBe(base.sign);
        if (Number.isFinite(base.value)) {
          const ref = reference(x, b, bt);
          expect(Math.abs(scaled.value - (base.value + Math.log(k)))).toBeLessThanOrEqual(1e-14 * (1 + Math.abs(base.value)) + 8e-16 * ref.kappa);
        } else expect(scaled.value).toBe(base.value);
        const masked = xs.map((v, j) => (b[j] === 0 ? wild : v));
        expect(sm.logSumExp(masked, { b, beta: bt, returnSign: true })).toEqual(base);
      }),
      { seed: 20261205, numRuns: 200 },
    );
  });

  it("long rows of one-signed weights, and near 0 where beta*x rounds: within the contract, relative near 0 (property)", () => {
    const long = fc.integer({ min: 50, max: 3000 }).chain((n) =>
      fc.tuple(
        fc.array(fc.double({ min: -60, max: 60, noNaN: true }), { minLength: n, maxLength: n }),
        fc.array(fc.double({ min: 1e-3, max: 5, noNaN: true }), { minLength: n, maxLength: n }),
        fc.constantFrom(1, -1, 0.7, 2.5),
      ),
    );
    fc.assert(
      fc.property(long, fc.boolean(), ([x, b, bt], nearZero) => {
        if (!nearZero) {
          const ref = reference(x, b, bt);
          expectClose(sm.logSumExp(Float64Array.from(x), { b: Float64Array.from(b), beta: bt }), ref);
          return;
        }
        // The max (0, weight 1) far above the rest: log|S| = log1p(rest) is below 1e-8. The rest
        // lies 400 further down with weights e^400 larger, so that its exponents (420-480) carry
        // their rounding into the terms (an ulp of 420 is 5.7e-14 of exp) where beta*x rounds
        // (beta 0.7): the reference takes beta*x exactly (Dekker's product) and corrects each
        // exp by the product's low part.
        // Two terms of the rest at most: a long rest would average the roundings away.
        const xs = x.slice(0, 3).map((v, j) => (j === 0 ? 0 : (-420 - Math.abs(v)) / bt));
        const bs = b.slice(0, 3).map((v, j) => (j === 0 ? 1 : v * Math.exp(400)));
        let rest = 0;
        let lost = 0;
        for (let j = 1; j < xs.length; j++) {
          const t = bs[j] * Math.exp(bt * xs[j]) * (1 + productError(bt, xs[j]));
          const s = rest + t;
          lost += rest - s + t;
          rest = s;
        }
        const r = Math.log1p(rest + lost);
        const y = sm.logSumExp(Float64Array.from(xs), { b: Float64Array.from(bs), beta: bt });
        expect(Math.abs(y - r)).toBeLessThanOrEqual(1e-14 * r);
      }),
      { seed: 20261206, numRuns: 100 },
    );
  });
});

/** a*b - fl(a*b), exactly (Dekker's product; a and b well inside f64's range). */
function productError(a: number, b: number): number {
  const split = (v: number): [number, number] => {
    const t = 134217729 * v;
    const hi = t - (t - v);
    return [hi, v - hi];
  };
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return ah * bh - p + ah * bl + al * bh + al * bl;
}
