// sparsemax and entmax against the sort-based float64 references of reference.ts, on every
// backend, f32 and f64: anchors, rows around every tile size, input scales from 1e-5 to 1e4,
// the propositions of the sparsemax paper (translation invariance, permutation equivariance,
// the two-class closed form), the exact paths (alpha 2 and 1.5) against the search of any
// other alpha next to them, masks and special values, batches, in place and zero-copy.
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { random } from "../core/reference.js";
import { type Dtype, SUM_TOL, TOL, entmaxRef, expectEntmaxClose } from "./reference.js";

const dtypes: Dtype[] = ["f32", "f64"];
const array = (dtype: Dtype, values: ArrayLike<number>) => (dtype === "f32" ? Float32Array.from(values) : Float64Array.from(values));
/** Rows of N(0, scale^2) values (Box-Muller over the test's generator). */
function normals(n: number, seed: number, scale = 1): number[] {
  const next = random(seed);
  return Array.from({ length: n }, () => scale * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()));
}
const ALPHAS = [2, 1.5, 1.25, 1.3, 1.75, 1.1, 3];
const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 100, 257, 1000, 4099];

describe.each(backends)("%s", (_, sm) => {
  it("anchors: sparsemax [1, 2, 2] = [0, .5, .5], [2, 1, 0.1] = [1, 0, 0]; entmax 1 is softmax", () => {
    for (const dtype of dtypes) {
      expect(Array.from(sm.sparsemax(array(dtype, [1, 2, 2])))).toEqual([0, 0.5, 0.5]);
      expect(Array.from(sm.sparsemax(array(dtype, [2, 1, 0.1])))).toEqual([1, 0, 0]);
      expect(Array.from(sm.entmax(array(dtype, [1, 2, 2]), { alpha: 2 }))).toEqual([0, 0.5, 0.5]);
      const soft = sm.softmax(array(dtype, [0.5, -1, 3]));
      expect(Array.from(sm.entmax(array(dtype, [0.5, -1, 3]), { alpha: 1 }))).toEqual(Array.from(soft));
    }
    // entmax 1.5 of [0, 0, 0] is uniform; of [1, 0] (two classes, t = 1) it is ((t/2 + sqrt(2 - t^2/4))/2)^2
    expect(Array.from(sm.entmax([0, 0, 0]))).toEqual([1 / 3, 1 / 3, 1 / 3].map((v) => expect.closeTo(v, 15)));
    expect(sm.entmax([1, 0])[0]).toBeCloseTo(((0.5 + Math.sqrt(2 - 0.25)) / 2) ** 2, 14);
  });

  it("matches the reference within 2e-6 (f32) / 1e-13 (f64) at every size, alpha and input scale", () => {
    let seed = 1;
    for (const dtype of dtypes) {
      for (const alpha of ALPHAS) {
        for (const k of SIZES) {
          for (const scale of [1e-5, 0.3, 2, 30, 1e4]) {
            const x = array(dtype, normals(k, seed++, scale));
            const y = sm.entmax(x, { alpha });
            expectEntmaxClose(y, x, k, alpha, dtype);
            let sum = 0;
            for (const v of y) sum += v;
            expect(Math.abs(sum - 1)).toBeLessThanOrEqual(SUM_TOL[dtype]);
          }
        }
      }
    }
  });

  it("alpha near 1 in f64, with beta and temperature scaling x first", () => {
    for (const alpha of [1.01, 1.05, 1.5, 2]) {
      for (const beta of [0.5, 3, -2]) {
        const x = Float64Array.from(normals(500, 7 + alpha * 10 + beta, 2));
        expectEntmaxClose(sm.entmax(x, { alpha, beta }), x, 500, alpha, "f64", beta);
        expectEntmaxClose(sm.entmax(x, { alpha, temperature: 1 / beta > 0 ? 1 / beta : 2 }), x, 500, alpha, "f64", 1 / beta > 0 ? beta : 0.5);
      }
    }
  });

  it("rows of every shape (typical, flat, confident, masked) at lengths of one to three levels of samples", () => {
    // The kernels bound the threshold from below by the threshold of a sample of the row (its
    // lane-wise block maxima, then the sample's own sample): a flat row puts most of it near
    // the threshold; a confident one leaves a support of one.
    const shapes: Record<string, (k: number, seed: number) => number[]> = {
      typical: (k, seed) => normals(k, seed, 2),
      flat: (k, seed) => normals(k, seed, 0.3),
      confident: (k, seed) => normals(k, seed, 2).map((v, i) => (i === (seed * 7919) % k ? v + 20 : v)),
      masked: (k, seed) => normals(k, seed, 2).map((v, i) => (i > 0 && Math.floor(i / 17) % 5 < 2 ? -Infinity : v)),
    };
    let seed = 300;
    for (const dtype of dtypes) {
      for (const [shape, make] of Object.entries(shapes)) {
        for (const k of [4097, 32000]) {
          for (const alpha of k < 32000 ? [2, 1.5, 1.3, 1.75, 1.1, 3] : [2, 1.5, 1.3]) {
            const x = array(dtype, make(k, seed++));
            const y = sm.entmax(x, { alpha });
            expectEntmaxClose(y, x, k, alpha, dtype);
            let sum = 0;
            for (const v of y) sum += v;
            if (!(Math.abs(sum - 1) <= SUM_TOL[dtype])) throw new Error(`${shape} ${k} alpha ${alpha} ${dtype}: sum ${sum}`);
          }
        }
      }
      for (const alpha of [2, 1.3]) {
        const x = array(dtype, shapes.flat(70000, seed++));
        expectEntmaxClose(sm.entmax(x, { alpha }), x, 70000, alpha, dtype);
      }
    }
  });

  it("f32 rows at alpha = 1 + 1/n: within 3e-7 of 1 where the kernels write them from a rough step and check its sum", () => {
    // Rows of 5,000 and 32,000 at n = 4, 5, 8 and 10 whose candidates are at least a quarter of
    // the row (flat, wide flat, uniform) take the shortcut of docs/sparse.md (the model's step of
    // the rough pass, no exact pass); its output's sum must then be within 3e-7 of 1, else the row
    // is searched again, exactly, and written again. Typical rows at 1.1 too.
    const shapes: Record<string, (k: number, seed: number) => number[]> = {
      flat: (k, seed) => normals(k, seed, 0.3),
      wide: (k, seed) => normals(k, seed, 0.6),
      uniform: (k, seed) => {
        const next = random(seed);
        return Array.from({ length: k }, () => next());
      },
      typical: (k, seed) => normals(k, seed, 2),
    };
    let seed = 900;
    for (const [shape, make] of Object.entries(shapes)) {
      for (const k of [5000, 32000]) {
        for (const alpha of shape === "typical" ? [1.1] : [1.1, 1.125, 1.2, 1.25]) {
          for (let r = 0; r < (k < 32000 ? 2 : 1); r++) {
            const x = Float32Array.from(make(k, seed++));
            const y = sm.entmax(x, { alpha });
            expectEntmaxClose(y, x, k, alpha, "f32");
            let sum = 0;
            for (const v of y) sum += v;
            if (!(Math.abs(sum - 1) <= 3e-7)) throw new Error(`${shape} ${k} alpha ${alpha}: sum ${sum}`);
          }
        }
      }
    }
  });

  it("alpha near 1 and near 2, f32 and f64, typical and flat rows, with beta", () => {
    let seed = 500;
    for (const dtype of dtypes) {
      for (const alpha of [1.01, 1.02, 1.05, 1.95, 1.99, 2.01, 2.05]) {
        for (const [k, scale] of [
          [7, 2],
          [500, 2],
          [4099, 0.3],
          [4099, 2],
        ]) {
          for (const beta of k > 500 ? [1] : [1, 3]) {
            const x = array(dtype, normals(k, seed++, scale));
            const y = sm.entmax(x, { alpha, beta });
            expectEntmaxClose(y, x, k, alpha, dtype, beta);
            let sum = 0;
            for (const v of y) sum += v;
            if (!(Math.abs(sum - 1) <= SUM_TOL[dtype])) throw new Error(`alpha ${alpha} k ${k} ${dtype}: sum ${sum}`);
          }
        }
      }
    }
  });

  it("the exact paths (sparsemax, entmax 1.5) agree with the search of alphas next to them", () => {
    for (const dtype of dtypes) {
      for (const [exact, near] of [
        [2, 2 - 1e-9],
        [2, 2 + 1e-9],
        [1.5, 1.5 + 1e-9],
        [1.5, 1.5 - 1e-9],
      ]) {
        for (const scale of [0.3, 2]) {
          const x = array(dtype, normals(3000, 11 + scale, scale));
          const a = sm.entmax(x, { alpha: exact });
          const b = sm.entmax(x, { alpha: near });
          for (let i = 0; i < x.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(2 * TOL[dtype] + 1e-7);
        }
      }
    }
  });

  it("translation invariance and permutation equivariance", () => {
    for (const dtype of dtypes) {
      for (const alpha of [2, 1.5, 1.3]) {
        const values = normals(200, 23, 1);
        const y = sm.entmax(array(dtype, values), { alpha });
        const shifted = sm.entmax(array(dtype, values.map((v) => v + 64)), { alpha });
        for (let i = 0; i < 200; i++) expect(Math.abs(shifted[i] - y[i])).toBeLessThanOrEqual(4 * TOL[dtype]);
        const order = Array.from({ length: 200 }, (_, i) => (i * 37) % 200);
        const permuted = sm.entmax(array(dtype, order.map((j) => values[j])), { alpha });
        for (let i = 0; i < 200; i++) expect(Math.abs(permuted[i] - y[order[i]])).toBeLessThanOrEqual(TOL[dtype]);
      }
    }
  });

  it("two classes: sparsemax([t, 0])_0 = clip((t + 1)/2, 0, 1)", () => {
    for (const dtype of dtypes) {
      for (let t = -3; t <= 3; t += 0.125) {
        const y = sm.sparsemax(array(dtype, [t, 0]));
        expect(y[0]).toBeCloseTo(Math.min(1, Math.max(0, (t + 1) / 2)), dtype === "f32" ? 6 : 14);
        expect(y[0] + y[1]).toBeCloseTo(1, dtype === "f32" ? 6 : 14);
      }
    }
  });

  it("masks: -Infinity entries get 0 and the rest is as if they were absent; all masked gives 0s", () => {
    for (const dtype of dtypes) {
      for (const alpha of [2, 1.5, 1.4]) {
        const values = normals(64, 31, 1.5);
        const masked = values.map((v, i) => (i % 3 === 1 ? -Infinity : v));
        const y = sm.entmax(array(dtype, masked), { alpha });
        const kept = values.filter((_, i) => i % 3 !== 1);
        const r = sm.entmax(array(dtype, kept), { alpha });
        let j = 0;
        for (let i = 0; i < 64; i++) {
          if (i % 3 === 1) expect(y[i]).toBe(0);
          else expect(Math.abs(y[i] - r[j++])).toBeLessThanOrEqual(TOL[dtype]);
        }
        expect(Array.from(sm.entmax(array(dtype, [-Infinity, -Infinity, -Infinity]), { alpha }))).toEqual([0, 0, 0]);
      }
    }
  });

  it("f32 rows at alpha between 2 and 3: an entry well inside the support within f32's bound (found by fuzzing)", () => {
    // kappa = 1/(alpha - 1) < 1: p = t^kappa has slope kappa*p/t, which magnifies f32's
    // rounding of t (2.9e-4 here) by ~27 at alpha 2.94; f32 search gave 2.4e-6 error.
    for (const [values, alpha, beta] of [[[1, 0], 2.940905869007111, 0.5], [[1, 0], 2.5, 0.3], [[0.2, 1, -0.4], 2.2, 0.7]] as const) {
      const x = Float32Array.from(values);
      expectEntmaxClose(sm.entmax(x, { alpha, beta }), x, x.length, alpha, "f32", beta);
    }
  });

  it("+Infinity entries share 1/k; a NaN makes the row NaN; beta < 0 is the sparse arg-min", () => {
    for (const dtype of dtypes) {
      for (const alpha of [2, 1.5, 1.2]) {
        expect(Array.from(sm.entmax(array(dtype, [Infinity, 1, Infinity, -Infinity]), { alpha }))).toEqual([0.5, 0, 0.5, 0]);
        expect(Array.from(sm.entmax(array(dtype, [1, NaN, 2]), { alpha })).every(Number.isNaN)).toBe(true);
        expect(Array.from(sm.sparsemax(array(dtype, [3, 1, 2]), { beta: -1 }))).toEqual([0, 1, 0]);
        // beta = 0: uniform; a huge beta: the arg max, ties sharing
        expect(Array.from(sm.entmax(array(dtype, [3, 1e30, -2]), { alpha, beta: 0 }))).toEqual([1 / 3, 1 / 3, 1 / 3].map((v) => expect.closeTo(v, 6)));
        expect(Array.from(sm.entmax(array(dtype, [3, 7, 7, -2]), { alpha, beta: 1e300 }))).toEqual([0, 0.5, 0.5, 0].map((v) => expect.closeTo(v, 6)));
      }
    }
  });

  it("batches: each row of a rowLength batch is its own call; empty input gives empty output", () => {
    for (const dtype of dtypes) {
      const k = 37;
      const x = array(dtype, normals(5 * k, 41, 2));
      for (const alpha of [2, 1.5, 1.6]) {
        const y = sm.entmax(x, { alpha, rowLength: k });
        for (let r = 0; r < 5; r++) {
          const row = sm.entmax(x.subarray(r * k, (r + 1) * k), { alpha });
          expect(Array.from(y.subarray(r * k, (r + 1) * k))).toEqual(Array.from(row));
        }
      }
      expect(sm.sparsemax(array(dtype, [])).length).toBe(0);
    }
  });

  it("in place (out = x) and zero-copy WasmArrays give the same values", () => {
    for (const dtype of dtypes) {
      const values = normals(1000, 43, 2);
      const want = sm.entmax(array(dtype, values), { rowLength: 100 });
      const x = array(dtype, values);
      expect(sm.entmax(x, { rowLength: 100, out: x })).toBe(x);
      expect(Array.from(x)).toEqual(Array.from(want));
      const w = sm.alloc(1000, dtype);
      w.array.set(values);
      expect(sm.entmax(w, { rowLength: 100, out: w })).toBe(w);
      expect(Array.from(w.array)).toEqual(Array.from(want));
      w.free();
    }
  });

  it("errors name the option and the value, and change nothing", () => {
    const x = Float64Array.of(1, 2, 3);
    expect(() => sm.entmax(x, { alpha: 0.5 })).toThrow(new RangeError("alpha must be finite and >= 1 (got 0.5)"));
    expect(() => sm.entmax(x, { alpha: Infinity })).toThrow(RangeError);
    expect(() => sm.entmax(x, { alpha: "2" as unknown as number })).toThrow(new TypeError('alpha must be a number (got the string "2")'));
    expect(() => sm.sparsemax(x, { alpha: 2 } as object)).toThrow(TypeError);
    expect(() => sm.sparsemax(x, { rowLength: 2 })).toThrow(new RangeError("rowLength must divide the input length (got 2 for 3)"));
    expect(() => sm.sparsemax(x, { out: new Float32Array(3) })).toThrow(TypeError);
    expect(() => sm.sparsemax(x, { beta: 1, temperature: 1 } as object)).toThrow(TypeError);
    expect(Array.from(x)).toEqual([1, 2, 3]);
  });
});

describe("the reference itself", () => {
  it("sparsemax and entmax 1.5 by their sorts agree with its bisection at neighbouring alphas", () => {
    const z = normals(300, 3, 1);
    for (const [a, b] of [
      [2, 2 - 1e-12],
      [1.5, 1.5 + 1e-12],
    ]) {
      const p = entmaxRef(z, a).p;
      const q = entmaxRef(z, b).p;
      for (let i = 0; i < z.length; i++) expect(Math.abs(p[i] - q[i])).toBeLessThan(1e-9);
    }
  });
});
