// sampledSoftmaxLoss on every backend, f32 and f64, against TensorFlow's sampled_softmax_loss
// (reference.ts): given candidates with and without accidental hits removed and log Q
// subtracted, numTries; the drawn candidates are TensorFlow's log-uniform unique sampler over
// the package's generator; the sampler's law by chi-square; every candidate of V with neither
// correction is the full softmax cross-entropy; the gradients against central differences.
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { random } from "../core/reference.js";
import { chiSquareTail, refPcg32 } from "../sampling/reference.js";
import { type Dtype, TOL, refLogUniform, refQ, refSampledLoss } from "./reference.js";

const array = (dtype: Dtype, values: ArrayLike<number>) => (dtype === "f32" ? Float32Array.from(values) : Float64Array.from(values));
function uniform(n: number, seed: number, spread: number): number[] {
  const next = random(seed);
  return Array.from({ length: n }, () => spread * (2 * next() - 1));
}
const close = (got: number, want: number, tol: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));

function caseOf(V: number, rows: number, dim: number, seed: number) {
  const next = random(seed + 3);
  return {
    h: uniform(rows * dim, seed, 1),
    weights: uniform(V * dim, seed + 1, 1),
    biases: uniform(V, seed + 2, 0.5),
    // Zipf-like targets: frequent classes are the low ids, as the sampler assumes.
    targets: Array.from({ length: rows }, () => Math.min(V - 1, Math.floor(Math.exp(next() * Math.log(V + 1))) - 1)),
    dim,
  };
}

describe.each(backends)("%s", (_, sm) => {
  it("equals TensorFlow's loss for given candidates: accidental hits removed or not, log Q subtracted or not, numTries", () => {
    for (const dtype of ["f32", "f64"] as const) {
      for (const [V, rows, dim] of [[10, 3, 4], [500, 8, 17], [3000, 5, 64]] as const) {
        const c = caseOf(V, rows, dim, V + dim);
        const h = array(dtype, c.h);
        const weights = array(dtype, c.weights);
        const biases = array(dtype, c.biases);
        // Candidates holding some rows' targets (the accidental hits).
        const sampled = refLogUniform(Math.min(V, 7), V, refPcg32(V).uniform).sampled;
        sampled[0] = c.targets[0];
        for (const removeAccidentalHits of [true, false]) {
          for (const subtractLogQ of [true, false]) {
            for (const numTries of [sampled.length, 3 * sampled.length + 1]) {
              const opts = { removeAccidentalHits, subtractLogQ, numTries };
              const want = refSampledLoss(h, weights, biases, c.targets, sampled, dim, opts);
              const got = sm.sampledSoftmaxLoss(h, weights, biases, Int32Array.from(c.targets), { sampled: Int32Array.from(sampled), ...opts });
              expect(got.loss).toBeInstanceOf(dtype === "f32" ? Float32Array : Float64Array);
              expect(Array.from(got.sampled)).toEqual(sampled);
              expect(got.numTries).toBe(numTries);
              for (let r = 0; r < rows; r++) close(got.loss[r], want[r], TOL[dtype]);
            }
          }
        }
      }
    }
  });

  it("draws TensorFlow's log-uniform unique candidates from the seed's uniforms, the same on every backend", () => {
    const c = caseOf(1000, 4, 8, 1);
    for (const seed of [1, 2, 99]) {
      const got = sm.sampledSoftmaxLoss(c.h, c.weights, c.biases, c.targets, { numSampled: 50, seed });
      const want = refLogUniform(50, 1000, refPcg32(seed).uniform);
      expect(Array.from(got.sampled)).toEqual(want.sampled);
      expect(got.numTries).toBe(want.numTries);
      const loss = refSampledLoss(c.h, c.weights, c.biases, c.targets, want.sampled, c.dim, { removeAccidentalHits: true, subtractLogQ: true, numTries: want.numTries });
      for (let r = 0; r < 4; r++) close(got.loss[r], loss[r], TOL.f64);
    }
    // numSampled = V draws every class (the unique sampler's limit).
    const all = sm.sampledSoftmaxLoss(c.h.slice(0, 8), c.weights.slice(0, 80), c.biases.slice(0, 10), [3], { numSampled: 10, seed: 5 });
    expect(Array.from(all.sampled).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it("the sampler's law: single draws follow Q(k) = log((k + 2)/(k + 1))/log(V + 1) (chi-square)", () => {
    const V = 20;
    const c = caseOf(V, 1, 2, 4);
    const counts = new Array<number>(V).fill(0);
    const n = 4000;
    const random = ((g) => () => g.uniform())(refPcg32(12345));
    for (let i = 0; i < n; i++) counts[sm.sampledSoftmaxLoss(c.h, c.weights, c.biases, c.targets, { numSampled: 1, random }).sampled[0]]++;
    let chi = 0;
    for (let k = 0; k < V; k++) chi += (counts[k] - n * refQ(k, V)) ** 2 / (n * refQ(k, V));
    expect(chiSquareTail(chi, V - 1)).toBeGreaterThan(1e-4);
  });

  it("every class as a candidate, neither correction: the full softmax cross-entropy", () => {
    const V = 300;
    const c = caseOf(V, 6, 16, 8);
    const all = Int32Array.from({ length: V }, (_, i) => i);
    const got = sm.sampledSoftmaxLoss(c.h, c.weights, c.biases, c.targets, { sampled: all, subtractLogQ: false });
    const logits = new Float64Array(6 * V);
    for (let r = 0; r < 6; r++) {
      for (let i = 0; i < V; i++) {
        let s = c.biases[i];
        for (let d = 0; d < 16; d++) s += c.h[r * 16 + d] * c.weights[i * 16 + d];
        logits[r * V + i] = s;
      }
    }
    const want = sm.crossEntropy(logits, c.targets, { rowLength: V, reduction: "none" }).loss;
    for (let r = 0; r < 6; r++) close(got.loss[r], want[r], TOL.f64);
  });

  it("the gradient of the summed losses against central differences: h, the used rows of weights and entries of biases", () => {
    const V = 40;
    const dim = 5;
    const c = caseOf(V, 4, dim, 17);
    const sampled = [0, 1, 2, 5, 9, 13, c.targets[2]];
    const opts = { removeAccidentalHits: true, subtractLogQ: true, numTries: 11 };
    const f = (h: number[], w: number[], b: number[]) => refSampledLoss(h, w, b, c.targets, sampled, dim, opts).reduce((a, x) => a + x, 0);
    const { grad } = sm.sampledSoftmaxLoss(Float64Array.from(c.h), Float64Array.from(c.weights), Float64Array.from(c.biases), c.targets, {
      sampled: Int32Array.from(sampled),
      ...opts,
      grad: true,
    });
    const eps = 1e-6;
    const fd = (which: 0 | 1 | 2, i: number) => {
      const args = [c.h.slice(), c.weights.slice(), c.biases.slice()];
      args[which][i] += eps;
      const up = f(args[0], args[1], args[2]);
      args[which][i] -= 2 * eps;
      return (up - f(args[0], args[1], args[2])) / (2 * eps);
    };
    for (let i = 0; i < c.h.length; i++) expect(Math.abs(grad.h[i] - fd(0, i))).toBeLessThanOrEqual(1e-7);
    const used = [...new Set([...c.targets, ...sampled])].sort((a, b) => a - b);
    expect(Array.from(grad.ids)).toEqual(used);
    for (let k = 0; k < V; k++) {
      const j = used.indexOf(k);
      expect(Math.abs((j < 0 ? 0 : grad.biases[j]) - fd(2, k))).toBeLessThanOrEqual(1e-7);
      for (let d = 0; d < dim; d++) expect(Math.abs((j < 0 ? 0 : grad.weights[j * dim + d]) - fd(1, k * dim + d))).toBeLessThanOrEqual(1e-7);
    }
    const g32 = sm.sampledSoftmaxLoss(Float32Array.from(c.h), Float32Array.from(c.weights), Float32Array.from(c.biases), c.targets, {
      sampled: Int32Array.from(sampled),
      ...opts,
      grad: true,
    }).grad;
    expect(g32.weights).toBeInstanceOf(Float32Array);
    for (let i = 0; i < grad.h.length; i++) expect(Math.abs(g32.h[i] - grad.h[i])).toBeLessThanOrEqual(1e-5);
    for (let i = 0; i < grad.weights.length; i++) expect(Math.abs(g32.weights[i] - grad.weights[i])).toBeLessThanOrEqual(1e-5);
    for (let i = 0; i < grad.biases.length; i++) expect(Math.abs(g32.biases[i] - grad.biases[i])).toBeLessThanOrEqual(1e-5);
  });

  it("WasmArrays of weights are read in place, with the typed arrays' results", () => {
    const c = caseOf(200, 3, 12, 2);
    const w = sm.alloc(c.weights.length, "f32");
    w.array.set(c.weights);
    const opts = { numSampled: 20, seed: 4, grad: true } as const;
    const a = sm.sampledSoftmaxLoss(Float32Array.from(c.h), w, c.biases, c.targets, opts);
    const b = sm.sampledSoftmaxLoss(Float32Array.from(c.h), Float32Array.from(c.weights), c.biases, c.targets, opts);
    expect(Array.from(a.loss)).toEqual(Array.from(b.loss));
    expect(Array.from(a.grad.weights)).toEqual(Array.from(b.grad.weights));
    w.free();
  });

  it("refuses ids outside [0, V), numSampled outside [1, V], options of the wrong type", () => {
    const c = caseOf(10, 2, 3, 1);
    const call = (target: unknown, opts: unknown) => () => sm.sampledSoftmaxLoss(c.h, c.weights, c.biases, target as number[], opts as never);
    expect(call([0, 10], { numSampled: 2, seed: 1 })).toThrow(/target\[1\] must be a class index in \[0, 10\)/);
    expect(call([0, -1], { numSampled: 2, seed: 1 })).toThrow(RangeError);
    for (const n of [0, 11, 2.5]) expect(call([0, 1], { numSampled: n, seed: 1 })).toThrow(/numSampled must be an integer in \[1, 10\]/);
    expect(call([0, 1], { seed: 1 })).toThrow(/numSampled is required/);
    expect(call([0, 1], { sampled: [1, 10] })).toThrow(/sampled\[1\] must be a class id in \[0, 10\)/);
    expect(call([0, 1], { sampled: [1, 2], numSampled: 3 })).toThrow(RangeError);
    expect(call([0, 1], { sampled: [1, 2], seed: 3 })).toThrow(TypeError);
    expect(call([0, 1], { numSampled: 2, seed: 1, numTries: 0 })).toThrow(/numTries/);
    expect(call([0, 1], { numSampled: 2, seed: 1, subtractLogQ: "yes" })).toThrow(TypeError);
    expect(call([0, 1], { numSampled: 2, seed: 1, bogus: 1 })).toThrow(/unknown option "bogus"/);
    expect(() => sm.sampledSoftmaxLoss(c.h, c.weights.slice(1), c.biases, [0, 1], { numSampled: 2 })).toThrow(/weights must be \[10\]\[dim\]/);
  });
});
