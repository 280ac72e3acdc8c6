// LARGE: rows and matrices past 2 GiB, each test in a module instance of its own (up to 4 GiB
// of memory, freed with it): a row of 2^29 f32 through the core, sampling, loss and sparse
// calls; attention's keys and values and vocab's matrices lying past 2^31 bytes. Lengths
// times the element size pass 2^31 here, where i32 arithmetic overflows:
// 2^29 * 4 wrapped to -2^31 and sent the row down the short-row path (its f32 lane sums
// saturated: the probabilities summed to 5). Checked against a float64 reference.
//
// The data repeats with a prime period P, so the reference is exact and cheap: the sum of
// exp(x_i - m) over the row is (n div P) times the period's sum plus the sum over the first
// n mod P, each in float64; the blocks of the kernels (powers of 2) never line up with P.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { initSync } from "../../dist/index.js";
import { random } from "./reference.js";

const P = 65_521;
const TOL = { f32: { rel: 2e-6, sum: 1e-5 }, f64: { rel: 5e-14, sum: 1e-12 } } as const;

type Dtype = "f32" | "f64";

/** The period (values in [-4, 4), rounded to the dtype) and its float64 statistics. */
function period(dtype: Dtype) {
  const next = random(dtype === "f32" ? 29 : 28);
  const base = dtype === "f32" ? new Float32Array(P) : new Float64Array(P);
  for (let j = 0; j < P; j++) base[j] = 8 * next() - 4;
  let m = -Infinity;
  for (const v of base) m = Math.max(m, v);
  return { base, m };
}

/** The float64 reference of a row of n elements repeating `base`: LSE and p_i. */
function reference(base: Float32Array | Float64Array, m: number, n: number) {
  const q = Math.floor(n / P);
  const rem = n % P;
  let whole = 0;
  let head = 0;
  for (let j = 0; j < P; j++) {
    const e = Math.exp(base[j] - m);
    whole += e;
    if (j < rem) head += e;
  }
  const lse = m + Math.log(q * whole + head);
  return { lse, p: (i: number) => Math.exp(base[i % P] - lse) };
}

/** Fills a with `base` repeated: base once, then doubling copies. */
function fill(a: Float32Array | Float64Array, base: Float32Array | Float64Array): void {
  a.set(base.subarray(0, Math.min(base.length, a.length)));
  for (let have = base.length; have < a.length; have *= 2) a.copyWithin(have, 0, Math.min(have, a.length - have));
}

/** Entries checked one by one: both ends, around 2^27, 2^28, 2^29 - 1 and the period. */
function spots(n: number): number[] {
  return [0, 1, P - 1, P, 2 ** 27 - 1, 2 ** 27, n / 2 - 1, n / 2, n / 2 + 12_345, n - P, n - 2, n - 1];
}

/** The sum of a (streaming, float64, compensated) near 1, and the entries at `spots` against ref.p. */
function check(a: Float32Array | Float64Array, ref: ReturnType<typeof reference>, dtype: Dtype, what: string): void {
  let sum = 0;
  let lost = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    const t = sum + v;
    lost += Math.abs(sum) >= v ? sum - t + v : v - t + sum;
    sum = t;
  }
  sum += lost;
  expect(Math.abs(sum - 1), `${what}: probabilities sum to ${sum}`).toBeLessThanOrEqual(TOL[dtype].sum);
  for (const i of spots(a.length)) {
    const r = ref.p(i);
    // The contract's relative part (its absolute part, 1e-9 for f32, would pass any p ~ 1e-9).
    expect(Math.abs(a[i] - r), `${what} [${i}]: ${a[i]} vs ${r}`).toBeLessThanOrEqual(TOL[dtype].rel * r);
  }
}

// The relaxed-SIMD build (the default where it runs): the short-row path that wrapped is SIMD
// code, the same source in the SIMD build; the loops of the other paths are shared by every
// build. Kept to one call per family so that the file runs in seconds.
describe("LARGE: a row of 2 GiB (f32, 2^29) on wasm-relaxed-simd", () => {
  it("argmax, crossEntropy (the loss alone: the one-read pass), then softmax in place", { timeout: 120_000 }, () => {
    const n = 2 ** 29;
    const K = initSync(readFileSync(new URL("../../dist/softmax-relaxed.wasm", import.meta.url)));
    const { base, m } = period("f32");
    const ref = reference(base, m, n);
    const a = K.alloc(n, "f32");
    try {
      fill(a.array, base);
      // argmax: the first maximum, in the first period (the session holds no index room:
      // 2 GiB of indices would not fit next to the row).
      expect(K.argmax(a), "argmax").toBe(base.indexOf(m));
      // topK keeps a candidate buffer of the row's size (indices and two value arrays): past
      // wasm32 here, a RangeError that says so, and nothing changed.
      expect(() => K.topK(a, 5)).toThrow(/logits too large.*536870912 f32 elements.*bytes with the call's working space/);
      const y = n - 77;
      const loss = K.crossEntropy(a, [y]).loss as number;
      const want = ref.lse - base[y % P];
      expect(Math.abs(loss - want), `crossEntropy ${loss} vs ${want}`).toBeLessThanOrEqual(1e-6 * Math.abs(ref.lse));
      K.softmax(a, { out: a });
      check(a.array, ref, "f32", "softmax in place");
    } finally {
      a.free();
    }
  });
});

/**
 * The threshold τ of α-entmax (α = 1 + 1/power, power 1 = sparsemax, 2 = entmax 1.5) of a
 * row of n elements repeating `base`: Σ_i max(0, x_i/power − τ)^power = 1, by bisection in
 * float64 over the period with each entry's multiplicity; and p_i at τ.
 */
function thresholdOf(base: Float32Array, m: number, n: number, power: 1 | 2) {
  const q = Math.floor(n / P);
  const rem = n % P;
  const term = (x: number, tau: number) => Math.max(0, x / power - tau) ** power;
  const excess = (tau: number) => {
    let s = 0;
    for (let j = 0; j < P; j++) s += (j < rem ? q + 1 : q) * term(base[j], tau);
    return s - 1;
  };
  let lo = m / power - 1;
  let hi = m / power;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (excess(mid) > 0) lo = mid;
    else hi = mid;
  }
  return (i: number) => term(base[i % P], (lo + hi) / 2);
}

describe("LARGE: every family past 2^31 bytes (f32, wasm-relaxed-simd)", () => {
  it("logSumExp and logSoftmax in place of a 2^29 row; sparsemax says it needs more room than wasm32 has, then runs on the largest row that fits", { timeout: 600_000 }, () => {
    const n = 2 ** 29;
    const K = initSync(readFileSync(new URL("../../dist/softmax-relaxed.wasm", import.meta.url)));
    const { base, m } = period("f32");
    const ref = reference(base, m, n);
    let a = K.alloc(n, "f32");
    try {
      fill(a.array, base);
      const lse = K.logSumExp(a) as number;
      expect(Math.abs(lse - ref.lse), `logSumExp ${lse} vs ${ref.lse}`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(ref.lse)));
      // sparsemax keeps a work area of 12 bytes per element beside the row: 6 GiB here.
      const before = [a.array[0], a.array[n - 1]];
      expect(() => K.sparsemax(a, { out: a })).toThrow(/x too large.*536870912 f32 elements.*bytes with the call's working space/);
      expect([a.array[0], a.array[n - 1]]).toEqual(before);
      K.logSoftmax(a, { out: a });
      for (const i of spots(n)) {
        const r = base[i % P] - ref.lse;
        expect(Math.abs(a.array[i] - r), `logSoftmax [${i}]: ${a.array[i]} vs ${r}`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(r)));
      }
      a.free();
      // 16 bytes per element in all: the largest row that fits beside the module's own space.
      const big = 2 ** 28 - 2 ** 18;
      a = K.alloc(big, "f32");
      for (const [power, call] of [[1, () => K.sparsemax(a, { out: a })], [2, () => K.entmax(a, { alpha: 1.5, out: a })]] as const) {
        fill(a.array, base);
        const p = thresholdOf(base, m, big, power);
        call();
        let sum = 0;
        for (let i = 0; i < big; i++) sum += a.array[i];
        expect(Math.abs(sum - 1), `${power}: sums to ${sum}`).toBeLessThanOrEqual(1e-5);
        const top = base.indexOf(m);
        for (const i of [...spots(big), top, top + P * 1000, top + P * (Math.floor(big / P) - 1)]) {
          expect(Math.abs(a.array[i] - p(i)), `${power} [${i}]: ${a.array[i]} vs ${p(i)}`).toBeLessThanOrEqual(2e-6);
        }
      }
    } finally {
      a.free();
    }
  });
});

describe("LARGE: attention and vocab read rows past 2^31 bytes (f32, wasm-relaxed-simd)", () => {
  it("attend over 1 GiB of keys and 1 GiB of values lying past 2 GiB; sampledSoftmaxLoss and hierarchicalSoftmax over 3 GiB matrices", { timeout: 600_000 }, () => {
    const K = initSync(readFileSync(new URL("../../dist/softmax-relaxed.wasm", import.meta.url)));
    const next = random(31);
    // Attention, one head of dim 16 over 2^24 keys (1024 segments): key and value rows repeat
    // with the period P, so the float64 reference weighs each of P rows by its count.
    const dim = 16;
    const L = 2 ** 24;
    const pad = K.alloc(2 ** 28, "f32");
    const keys = K.alloc(L * dim, "f32");
    const values = K.alloc(L * dim, "f32");
    try {
      expect(values.array.byteOffset + values.array.byteLength).toBeGreaterThan(3 * 2 ** 30);
      const kb = Float32Array.from({ length: P * dim }, () => 2 * next() - 1);
      const vb = Float32Array.from({ length: P * dim }, () => 2 * next() - 1);
      fill(keys.array, kb);
      fill(values.array, vb);
      const q = Float32Array.from({ length: dim }, () => next() - 0.5);
      const out = K.attend(q, keys, values, { dim }) as Float32Array;
      const scores = Array.from({ length: P }, (_, j) => q.reduce((s, v, c) => s + v * kb[j * dim + c], 0) / Math.sqrt(dim));
      const top = Math.max(...scores);
      const want = new Float64Array(dim);
      let z = 0;
      for (let j = 0; j < P; j++) {
        const w = Math.exp(scores[j] - top) * (Math.floor(L / P) + (j < L % P ? 1 : 0));
        z += w;
        for (let c = 0; c < dim; c++) want[c] += w * vb[j * dim + c];
      }
      for (let c = 0; c < dim; c++) expect(Math.abs(out[c] - want[c] / z), `attend [${c}]`).toBeLessThanOrEqual(2e-6);
    } finally {
      pad.free();
      keys.free();
      values.free();
    }
    // Vocab: 49,152 rows of dim 16,384, 3 GiB; the last rows start 3 GiB in.
    const wide = 2 ** 14;
    const rows = 3 * 2 ** 14;
    const matrix = K.alloc(rows * wide, "f32");
    try {
      const pattern = Float32Array.from({ length: P }, () => (2 * next() - 1) / 64);
      fill(matrix.array, pattern);
      const h = Float32Array.from({ length: wide }, () => 2 * next() - 1);
      const dot = (row: number) => h.reduce((s, v, d) => s + v * pattern[(row * wide + d) % P], 0);
      const target = rows - 1;
      const sampled = [0, 7, rows / 2 + 3, rows - 2, 2 ** 15 + 1];
      const { loss } = K.sampledSoftmaxLoss(h, matrix, new Float32Array(rows), [target], { sampled, subtractLogQ: false });
      const logits = [target, ...sampled].map(dot);
      const m = Math.max(...logits);
      const want = m + Math.log(logits.reduce((s, v) => s + Math.exp(v - m), 0)) - logits[0];
      expect(Math.abs((loss as Float32Array)[0] - want), `sampledSoftmaxLoss ${loss} vs ${want}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want)));
      // The matrix as the node rows of a tree over rows + 1 outcomes: the root is its last row.
      const tree = K.huffman(Float64Array.from({ length: rows + 1 }, (_, i) => 1 + ((i * 7919) % 1000)));
      const { logProb } = K.hierarchicalSoftmax(h, matrix, tree, [rows]);
      let start = 0;
      for (let i = 0; i < rows; i++) start += tree.lengths[i];
      let sum = 0;
      for (let j = start; j < start + tree.lengths[rows]; j++) {
        const s = (1 - 2 * tree.codes[j]) * dot(tree.points[j]);
        sum -= Math.log1p(Math.exp(-s));
      }
      expect(tree.points[start]).toBe(rows - 1);
      expect(Math.abs((logProb as Float32Array)[0] - sum), `hierarchicalSoftmax ${logProb} vs ${sum}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(sum)));
    } finally {
      matrix.free();
    }
  });
});
