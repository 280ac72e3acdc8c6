// Batches of short rows (the SIMD builds fold each row of up to 128 bytes inside a few vectors,
// several rows per call of the kernel; rows with a NaN or a non-finite extremum go back to
// the general path): against the float64 reference, with special values anywhere, in place
// or not, for every build.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { type Dtype, expectProbabilities, expectRowSums, refRows } from "./reference.js";

const SPECIAL = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

/** A batch: rows of k values in [-spread, spread], some entries replaced by special values. */
const batch = (dtype: Dtype) =>
  fc
    .record({
      rows: fc.integer({ min: 1, max: 40 }),
      k: fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 36),
      spread: fc.constantFrom(1, 30, 200),
      beta: fc.constantFrom(1, 2.5, 0.125, -1, -3.75, 40),
      specials: fc.array(fc.record({ at: fc.nat(), value: fc.constantFrom(...SPECIAL) }), { maxLength: 6 }),
      seed: fc.integer(),
      inPlace: fc.boolean(),
    })
    .map((b) => {
      const n = b.rows * b.k;
      const x = dtype === "f32" ? new Float32Array(n) : new Float64Array(n);
      let s = b.seed >>> 0 || 1;
      for (let i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        x[i] = ((s >>> 0) / 2 ** 32 - 0.5) * 2 * b.spread;
      }
      for (const { at, value } of b.specials) x[at % n] = value;
      return { ...b, x };
    });

describe.each(backends)("%s: batches of short rows", (_name, sm) => {
  for (const dtype of ["f32", "f64"] as const) {
    it(`${dtype}: softmax of every row matches the reference (special values, in place or not)`, () => {
      fc.assert(
        fc.property(batch(dtype), ({ x, k, beta, inPlace }) => {
          const r = refRows(x, beta, k);
          const before = x.slice();
          const input = inPlace ? x.slice() : x;
          const y = sm.softmax(input, { rowLength: k, beta, out: inPlace ? input : undefined });
          expectProbabilities(y, r.p, dtype);
          expectRowSums(y, k, dtype);
          if (!inPlace) expect(x).toEqual(before);
        }),
        { seed: 8, numRuns: 150 },
      );
    });
  }

  it("f32: a batch of 8192 rows of 8 and 2048 rows of 32 (the benchmark's shapes), zero-copy", () => {
    for (const [rows, k] of [
      [8192, 8],
      [2048, 32],
    ]) {
      const a = sm.alloc(rows * k);
      const out = sm.alloc(rows * k);
      for (let i = 0; i < rows * k; i++) a.array[i] = Math.sin(i * 0.37) * 12 - (i % k === 3 ? 40 : 0);
      const y = sm.softmax(a, { rowLength: k, out }).array as Float32Array;
      expectProbabilities(y, refRows(a.array, 1, k).p, "f32");
      expectRowSums(y, k, "f32");
      a.free();
      out.free();
    }
  });
});
