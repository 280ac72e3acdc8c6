// The kernels' exp: error bound over a sweep of inputs (the full sweep is `npm run accuracy`),
// and the scalar twin computing exactly what the SIMD code computes.
import { describe, expect, it } from "vitest";
import { instantiate, measureExp } from "../../bench/exp-ulp.js";
import { backends } from "../support/backends.js";
import { random, refRow } from "./reference.js";

// The bounds documented in assembly/exp.ts and the README.
const BOUNDS = { f32Negative: 2.25, f32Positive: 6.1, f64Negative: 1, f64Positive: 3 };

describe.each(["exp-test-relaxed.wasm", "exp-test.wasm", "exp-test-scalar.wasm"])("%s exp", (file) => {
  it("stays within the documented ulp bounds", () => {
    const r = measureExp(file, { f32Stride: 9973, f64Points: 1 << 18 });
    for (const [name, bound] of Object.entries(BOUNDS)) {
      const { maxUlp, count } = r[name as keyof typeof BOUNDS];
      expect(count).toBeGreaterThan(50_000);
      expect(maxUlp, name).toBeLessThanOrEqual(bound);
    }
  });
});

describe("scalar twin", () => {
  it("gives bit-identical exps to the SIMD code", () => {
    const run = (file: string, dtype: "f32" | "f64", input: Float64Array) => {
      const k = instantiate(file, 16 * input.length);
      const e = k.e as Record<string, CallableFunction> & { memory: WebAssembly.Memory };
      const T = dtype === "f32" ? Float32Array : Float64Array;
      new T(e.memory.buffer, k.x, input.length).set(input);
      e[`${dtype}_exp`](k.x, k.y, input.length);
      return Array.from(new T(e.memory.buffer, k.y, input.length));
    };
    const next = random(7);
    const input = Float64Array.from({ length: 4099 }, () => (next() - 0.9) * 800);
    input.set([0, -0, Infinity, -Infinity, NaN, -87.4, -708.5, 88.8, 709.9]);
    for (const dtype of ["f32", "f64"] as const) {
      expect(run("exp-test.wasm", dtype, input)).toEqual(run("exp-test-scalar.wasm", dtype, input));
    }
  });
});

describe.each(backends.filter(([name]) => name !== "js"))("%s exp of x in (0, 64], where the long-row path evaluates it", (_name, sm) => {
  // Out of place, a long row's blocks are exponentiated relative to the first block's max
  // (here 0) and redone only past 64: a row rising from 0 to just under 64 after its first
  // block has every exp of (0, 64) in its output, scaled by one factor, so the relative error
  // of each probability is that exp's (plus the scaling's rounding).
  // Bounds in units of 2^-23 (f32) / 2^-52 (f64) of relative error, measured with the
  // reference's own Math.exp (within 1 ulp in f64) and the scaling's rounding included.
  it.each([
    ["f32", 4],
    ["f64", 8],
  ] as const)("%s: relative error within %d units of the last place", (dtype, bound) => {
    const n = 100_000; // longer than the in-cache limit in both dtypes
    const first = 2048; // the first block: 0s
    const x = sm.alloc(n, dtype);
    const y = sm.alloc(n, dtype);
    for (let i = first; i < n; i++) x.array[i] = (63.99 * (i - first + 1)) / (n - first);
    sm.softmax(x, { out: y });
    const ref = refRow(x.array, 1);
    const ulp = dtype === "f32" ? 2 ** -23 : 2 ** -52;
    // The common factor (1/sum, its rounding) divided out: the ratio at x = 0 (exp exact there).
    const factor = y.array[0] / ref.p[0];
    let worst = 0;
    for (let i = first; i < n; i++) worst = Math.max(worst, Math.abs(y.array[i] / ref.p[i] / factor - 1) / ulp);
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(bound);
    x.free();
    y.free();
  });
});
