// sparsemaxBackward and entmaxBackward against central finite differences of the forward
// functions, and the Fenchel-Young losses against the reference of reference.ts: their value
// (0 when the target is p*), every reduction, weights, ignoreIndex, index and probability
// targets, and their gradient p* - q against finite differences; on every backend.
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { random } from "../core/reference.js";
import { type Dtype, TOL, fyLossRef } from "./reference.js";

const array = (dtype: Dtype, values: ArrayLike<number>) => (dtype === "f32" ? Float32Array.from(values) : Float64Array.from(values));
function uniform(n: number, seed: number, spread: number): number[] {
  const next = random(seed);
  return Array.from({ length: n }, () => spread * (2 * next() - 1));
}
const LOSS_TOL = { f32: 1e-5, f64: 1e-12 } as const;

describe.each(backends)("%s", (_, sm) => {
  it("backward passes are the vector-Jacobian products of the forward passes (central differences, f64)", () => {
    const k = 24;
    for (const alpha of [2, 1.5, 1.3, 1.8]) {
      for (const beta of [1, 2.5, -0.7]) {
        const x = uniform(k, 5 + alpha * 7 + beta, 1.5);
        const g = uniform(k, 9, 1);
        const y = sm.entmax(Float64Array.from(x), { alpha, beta });
        const got = alpha === 2 ? sm.sparsemaxBackward(Float64Array.from(g), y, { beta }) : sm.entmaxBackward(Float64Array.from(g), y, { alpha, beta });
        const h = 1e-6;
        for (let i = 0; i < k; i++) {
          const up = x.slice();
          const down = x.slice();
          up[i] += h;
          down[i] -= h;
          const pu = sm.entmax(Float64Array.from(up), { alpha, beta });
          const pd = sm.entmax(Float64Array.from(down), { alpha, beta });
          let fd = 0;
          for (let j = 0; j < k; j++) fd += (g[j] * (pu[j] - pd[j])) / (2 * h);
          expect(Math.abs(got[i] - fd)).toBeLessThanOrEqual(1e-6);
        }
      }
    }
  });

  it("f32 backward matches f64 within 2e-6 s; alpha 1 is softmaxBackward; out may be gradY; batches", () => {
    const k = 50;
    for (const alpha of [2, 1.5, 1.25, 1]) {
      const x = uniform(4 * k, 21, 3);
      const g = uniform(4 * k, 22, 2);
      const y64 = sm.entmax(Float64Array.from(x), { alpha, rowLength: k });
      const want = sm.entmaxBackward(Float64Array.from(g), y64, { alpha, rowLength: k });
      const got = sm.entmaxBackward(Float32Array.from(g), Float32Array.from(y64), { alpha, rowLength: k });
      for (let i = 0; i < 4 * k; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(2e-6 * 2);
      if (alpha === 1) {
        const soft = sm.softmaxBackward(Float64Array.from(g), y64, { rowLength: k });
        for (let i = 0; i < 4 * k; i++) expect(want[i]).toBeCloseTo(soft[i], 14);
      }
      const inPlace = Float64Array.from(g);
      expect(sm.entmaxBackward(inPlace, y64, { alpha, rowLength: k, out: inPlace })).toBe(inPlace);
      expect(Array.from(inPlace)).toEqual(Array.from(want));
      for (let r = 0; r < 4; r++) {
        const row = sm.entmaxBackward(Float64Array.from(g.slice(r * k, (r + 1) * k)), y64.subarray(r * k, (r + 1) * k), { alpha });
        for (let j = 0; j < k; j++) expect(row[j]).toBeCloseTo(want[r * k + j], 14);
      }
    }
  });

  it("out = y, out = gradY, zero-copy and apart: the same bits at every alpha (the kernels keep y's powers in out when they may)", () => {
    const k = 203;
    for (const dtype of ["f32", "f64"] as const) {
      for (const alpha of [1.3, 1.1, 1.75, 1.5]) {
        const x = uniform(3 * k, 61 + alpha, 4);
        const g = uniform(3 * k, 62, 2);
        const y = sm.entmax(array(dtype, x), { alpha, rowLength: k });
        const opts = { alpha, rowLength: k };
        const want = Array.from(sm.entmaxBackward(array(dtype, g), y, opts));
        const y64 = sm.entmax(Float64Array.from(x), opts);
        const ref = sm.entmaxBackward(Float64Array.from(g), y64, opts);
        for (let i = 0; i < 3 * k; i++) expect(Math.abs(want[i] - ref[i])).toBeLessThanOrEqual(TOL[dtype] * 2);
        const overY = array(dtype, y);
        expect(sm.entmaxBackward(array(dtype, g), overY, { ...opts, out: overY })).toBe(overY);
        expect(Array.from(overY)).toEqual(want);
        const overG = array(dtype, g);
        expect(sm.entmaxBackward(overG, y, { ...opts, out: overG })).toBe(overG);
        expect(Array.from(overG)).toEqual(want);
        const wg = sm.alloc(3 * k, dtype);
        const wy = sm.alloc(3 * k, dtype);
        const wo = sm.alloc(3 * k, dtype);
        for (const out of [wo, wy, wg]) {
          wg.array.set(g);
          wy.array.set(y);
          expect(sm.entmaxBackward(wg, wy, { ...opts, out })).toBe(out);
          expect(Array.from(out.array)).toEqual(want);
        }
        wg.array.set(g);
        expect(sm.entmaxBackward(wg, wg, { ...opts, out: wg })).toBe(wg);
        expect(Array.from(wg.array)).toEqual(Array.from(sm.entmaxBackward(array(dtype, g), array(dtype, g), opts)));
        for (const w of [wg, wy, wo]) w.free();
      }
    }
  });

  it("gradY off the support does not matter, Infinity and NaN included (every position, every dtype)", () => {
    const k = 37;
    for (const dtype of ["f32", "f64"] as const) {
      for (const alpha of [2, 1.5, 1.3]) {
        const x = uniform(k, 41 + alpha, 3);
        const y = sm.entmax(array(dtype, x), { alpha });
        const g = array(dtype, uniform(k, 43, 1));
        const want = Array.from(sm.entmaxBackward(g, y, { alpha }));
        const off = Array.from(y.keys()).filter((i) => !(y[i] > 0));
        expect(off.length).toBeGreaterThan(k / 2);
        for (const j of off) {
          for (const bad of [Infinity, -Infinity, NaN]) {
            const gj = g.slice();
            gj[j] = bad;
            const got = alpha === 2 ? sm.sparsemaxBackward(gj, y) : sm.entmaxBackward(gj, y, { alpha });
            expect(Array.from(got), `${dtype} alpha ${alpha}, gradY[${j}] = ${bad}`).toEqual(want);
          }
        }
      }
    }
  });

  it("sparsemaxLoss([1, 2, 2], [1]) = 0.25 and losses are 0 where the target is p*", () => {
    expect(sm.sparsemaxLoss([1, 2, 2], [1]).loss).toBeCloseTo(0.25, 15);
    for (const dtype of ["f32", "f64"] as Dtype[]) {
      for (const alpha of [2, 1.5, 1.3]) {
        const x = array(dtype, uniform(60, 31, 2));
        const q = sm.entmax(x, { alpha, rowLength: 20 });
        const { loss, grad } = sm.entmaxLoss(x, q, { alpha, rowLength: 20, reduction: "none", grad: true });
        for (const v of loss) expect(Math.abs(v)).toBeLessThanOrEqual(dtype === "f32" ? 1e-6 : 1e-14);
        for (const v of grad) expect(Math.abs(v)).toBeLessThanOrEqual(dtype === "f32" ? 1e-6 : 1e-14);
      }
    }
  });

  it("losses match the reference: index and probability targets, every reduction, weights, ignoreIndex", () => {
    const k = 13;
    const rows = 6;
    for (const dtype of ["f32", "f64"] as Dtype[]) {
      for (const alpha of [2, 1.5, 1.2]) {
        const xs = uniform(rows * k, 41 + alpha, 3);
        const x = array(dtype, xs);
        const targets = Int32Array.from([3, -100, 0, 12, 7, 3]);
        const weight = Float64Array.from(uniform(k, 43, 1).map((v) => 1 + v / 2));
        const theta = (r: number) => Array.from(x.subarray(r * k, (r + 1) * k));
        const onehot = (y: number) => Array.from({ length: k }, (_, j) => (j === y ? 1 : 0));
        const perRow = Array.from(targets, (y, r) => (y < 0 ? 0 : weight[y] * fyLossRef(theta(r), onehot(y), alpha)));
        const wsum = Array.from(targets).reduce((s, y) => (y < 0 ? s : s + weight[y]), 0);
        const opts = { alpha, rowLength: k, weight };
        const rel = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(LOSS_TOL[dtype] * Math.max(1, Math.abs(b)));
        rel(sm.entmaxLoss(x, targets, opts).loss, perRow.reduce((a, b) => a + b) / wsum);
        rel(sm.entmaxLoss(x, targets, { ...opts, reduction: "sum" }).loss, perRow.reduce((a, b) => a + b));
        const none = sm.entmaxLoss(x, targets, { ...opts, reduction: "none" }).loss;
        perRow.forEach((v, r) => rel(none[r], v));
        // probability targets: each row a distribution with zeros
        const q = new Float64Array(rows * k);
        const next = random(47);
        for (let r = 0; r < rows; r++) {
          let s = 0;
          for (let j = 0; j < k; j++) s += q[r * k + j] = next() < 0.3 ? 0 : next();
          for (let j = 0; j < k; j++) q[r * k + j] /= s;
        }
        const probRows = Array.from({ length: rows }, (_, r) => fyLossRef(theta(r), Array.from(q.subarray(r * k, (r + 1) * k)), alpha));
        rel(sm.entmaxLoss(x, array(dtype, q), { alpha, rowLength: k }).loss, probRows.reduce((a, b) => a + b) / rows);
        // an index target is the one-hot probability target
        const y = Int32Array.from([2, 5, 0, 1, 9, 12]);
        const hot = new Float64Array(rows * k);
        y.forEach((c, r) => (hot[r * k + c] = 1));
        rel(sm.entmaxLoss(x, y, { alpha, rowLength: k }).loss, sm.entmaxLoss(x, array(dtype, hot), { alpha, rowLength: k }).loss);
      }
    }
  });

  it("the loss gradient is p* - q, scaled as the reduction, against central differences (f64)", () => {
    const k = 9;
    for (const alpha of [2, 1.5, 1.4]) {
      const x = uniform(3 * k, 51 + alpha, 2);
      const targets = [4, 0, -100];
      for (const reduction of ["mean", "sum"] as const) {
        const { grad } = sm.entmaxLoss(Float64Array.from(x), targets, { alpha, rowLength: k, reduction, beta: 1.3, grad: true });
        const h = 1e-6;
        for (let i = 0; i < x.length; i++) {
          const up = x.slice();
          const down = x.slice();
          up[i] += h;
          down[i] -= h;
          const f = (v: number[]) => sm.entmaxLoss(Float64Array.from(v), targets, { alpha, rowLength: k, reduction, beta: 1.3 }).loss;
          expect(Math.abs(grad[i] - (f(up) - f(down)) / (2 * h))).toBeLessThanOrEqual(1e-6);
        }
      }
    }
  });

  it("entmaxLoss at alpha 1 is the cross-entropy; grad in place over the logits; errors", () => {
    const x = Float64Array.from(uniform(40, 61, 3));
    const t = [3, 7, 0, 9];
    expect(sm.entmaxLoss(x, t, { alpha: 1, rowLength: 10 }).loss).toBeCloseTo(sm.crossEntropy(x, t, { rowLength: 10 }).loss, 12);
    const g = sm.sparsemaxLoss(x, t, { rowLength: 10, grad: true }).grad;
    const inPlace = x.slice();
    expect(sm.sparsemaxLoss(inPlace, t, { rowLength: 10, grad: inPlace }).grad).toBe(inPlace);
    expect(Array.from(inPlace)).toEqual(Array.from(g));
    expect(() => sm.sparsemaxLoss(x, x, { weight: new Float64Array(40) })).toThrow(TypeError);
    expect(() => sm.sparsemaxLoss(x, [40])).toThrow(new RangeError("target[0] must be a class index in [0, 40) or ignoreIndex -100 (got 40)"));
    expect(() => sm.entmaxLoss(x, [1], { reduction: "avg" as "mean" })).toThrow(RangeError);
    expect(() => sm.sparsemaxLoss(x, [1], { alpha: 2 } as object)).toThrow(TypeError);
    expect(Number.isNaN(sm.sparsemaxLoss(x, [-100, -100, -100, -100], { rowLength: 10 }).loss)).toBe(true);
    expect(sm.sparsemaxLoss([0, -Infinity, 1], [1]).loss).toBe(Infinity);
  });
});
