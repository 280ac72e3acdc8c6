// LARGE: a row of 2 GiB, 2^29 f32, in a module instance of its own (2 GiB of memory, freed
// with it); one call per family (argmax, crossEntropy, softmax). Lengths times the element size pass 2^31 here, where i32 arithmetic overflows:
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

/** Fills a with `base` repeated: the period once, then doubling copies. */
function fill(a: Float32Array | Float64Array, base: Float32Array | Float64Array): void {
  a.set(base.subarray(0, Math.min(P, a.length)));
  for (let have = P; have < a.length; have *= 2) a.copyWithin(have, 0, Math.min(have, a.length - have));
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
