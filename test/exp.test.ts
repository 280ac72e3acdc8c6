// The kernels' exp: error bound over a sweep of inputs (the full sweep is `npm run accuracy`),
// and the scalar twin computing exactly what the SIMD code computes.
import { describe, expect, it } from "vitest";
import { measureExp } from "../bench/exp-ulp.js";
import { scalarBytes, simdBytes } from "./backends.js";
import { random } from "./reference.js";

// The bounds documented in assembly/exp.ts and the README.
const BOUNDS = { f32Negative: 2.25, f32Positive: 6.1, f64Negative: 1, f64Positive: 3 };

describe.each(["softmax-relaxed.wasm", "softmax.wasm", "softmax-scalar.wasm"])("%s exp", (file) => {
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
    const run = (bytes: Uint8Array, dtype: "f32" | "f64", input: Float64Array) => {
      const e = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as Record<string, CallableFunction> & {
        memory: WebAssembly.Memory;
      };
      e.memory.grow(64);
      const T = dtype === "f32" ? Float32Array : Float64Array;
      const x = new T(e.memory.buffer, 65536, input.length);
      x.set(input);
      e[`${dtype}_exp`](65536, 65536 + 8 * input.length, input.length);
      return Array.from(new T(e.memory.buffer, 65536 + 8 * input.length, input.length));
    };
    const next = random(7);
    const input = Float64Array.from({ length: 4099 }, () => (next() - 0.9) * 800);
    input.set([0, -0, Infinity, -Infinity, NaN, -87.4, -708.5, 88.8, 709.9]);
    for (const dtype of ["f32", "f64"] as const) {
      expect(run(simdBytes, dtype, input)).toEqual(run(scalarBytes, dtype, input));
    }
  });
});
