// Property-based checks (fast-check) of sparsemax and entmax on every backend, f32 and f64,
// against the sort-based reference of reference.ts: rows of any length with -Infinity runs,
// +Infinity, NaN, ties and values from 1e-5 to 1e4 apart; alpha 2, 1.5 or any in (1, 3];
// beta scaling. Each row sums to 1, is nonnegative, keeps the order of its scores (within
// rounding: the vector lanes and the scalar tail round the same power apart), and
// equals the reference within the contract's tolerance.
import fc from "fast-check";
import { describe, it } from "vitest";
import { backends } from "../support/backends.js";
import { type Dtype, SUM_TOL, TOL, expectEntmaxClose } from "./reference.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

const value = fc.oneof(
  { arbitrary: fc.double({ min: -3, max: 3, noNaN: true }), weight: 8 },
  { arbitrary: fc.constantFrom(-Infinity, 0, 1, 1), weight: 2 },
  { arbitrary: fc.constantFrom(Infinity, NaN), weight: 1 },
);
const caseArb = fc.record({
  dtype: fc.constantFrom<Dtype>("f32", "f64"),
  values: fc.array(value, { minLength: 1, maxLength: 70 }),
  scale: fc.constantFrom(1e-5, 0.01, 1, 30, 1e4),
  alpha: fc.oneof(fc.constantFrom(2, 1.5), fc.double({ min: 1.1, max: 3, noNaN: true })),
  beta: fc.constantFrom(1, 2, -1, 0.5),
});

describe.each(backends)("%s", (_, sm) => {
  it("entmax equals the reference, sums to 1, is nonnegative and keeps the order of the scores", () => {
    fc.assert(
      fc.property(caseArb, ({ dtype, values, scale, alpha, beta }) => {
        const raw = values.map((v) => v * scale);
        const x = dtype === "f32" ? Float32Array.from(raw) : Float64Array.from(raw);
        const y = sm.entmax(x, { alpha, beta });
        expectEntmaxClose(y, x, x.length, alpha, dtype, beta);
        if (y.some(Number.isNaN)) return;
        let sum = 0;
        for (const v of y) sum += v;
        const anyLive = Array.from(x).some((v) => v * beta > -Infinity);
        if (anyLive && Math.abs(sum - 1) > SUM_TOL[dtype]) throw new Error(`sum ${sum}`);
        for (let i = 0; i < x.length; i++) {
          if (!(y[i] >= 0)) throw new Error(`negative ${y[i]}`);
          for (let j = 0; j < x.length; j++) if (x[i] * beta > x[j] * beta && y[i] < y[j] - TOL[dtype]) throw new Error(`order at ${i}, ${j}`);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
