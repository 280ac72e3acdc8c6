// Values against the float64 reference, at every vector/unroll/block boundary, in ranges
// where a naive exp overflows, with temperatures and betas of every sign, in batches.
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { type Dtype, TOL, data, expectLogs, expectLogsRelative, expectProbabilities, expectRowSums, refRow, refRows } from "./reference.js";

// Around the 4/8/16-lane vectors, the 4x unroll, the 256-element flush and the 2048 block.
const SIZES = [
  0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 1023, 1024, 1025, 2047,
  2048, 2049, 4095, 4096, 4097, 6143, 10_000,
];
// [spread, offset]: exp(x) alone overflows for most of these.
const RANGES: [number, number][] = [
  [1, 0],
  [100, 0],
  [1000, 0],
  [10, 1e4],
  [50, -3e4],
];
const DTYPES: Dtype[] = ["f32", "f64"];

describe.each(backends)("%s values", (_name, sm) => {
  describe.each(DTYPES)("%s", (dtype) => {
    it.each(RANGES)("softmax, logSoftmax, logSumExp at every size (spread %d, offset %d)", (spread, offset) => {
      for (const n of SIZES) {
        const x = data(dtype, n, spread, offset, n * 7 + spread);
        const ref = refRow(x, 1);
        const y = sm.softmax(x);
        expect(y).toBeInstanceOf(dtype === "f32" ? Float32Array : Float64Array);
        expectProbabilities(y, ref.p, dtype);
        expectRowSums(y, n, dtype);
        expectLogsRelative(sm.logSoftmax(x), ref.logp, dtype);
        expectLogs([sm.logSumExp(x)], [ref.lse], dtype);
      }
    });

    it.each([1e-3, 0.1, 0.5, 1, 3, 10, 1e4])("temperature %d", (temperature) => {
      for (const n of [1, 5, 17, 1000, 3000]) {
        const x = data(dtype, n, 20, 0, n);
        const ref = refRow(x, 1 / temperature);
        expectProbabilities(sm.softmax(x, { temperature }), ref.p, dtype);
        expectLogsRelative(sm.logSoftmax(x, { temperature }), ref.logp, dtype);
        expectLogs([sm.logSumExp(x, { temperature })], [ref.lse], dtype);
      }
    });

    it.each([-1e6, -100, -2.5, -1, -1e-3, 0, 1e-3, 0.25, 7, 1e6])("beta %d", (beta) => {
      for (const n of [1, 6, 33, 2500, 4099]) {
        const x = data(dtype, n, 30, 5, n + 11);
        const ref = refRow(x, beta);
        const y = sm.softmax(x, { beta });
        expectProbabilities(y, ref.p, dtype);
        expectRowSums(y, n, dtype);
        expectLogsRelative(sm.logSoftmax(x, { beta }), ref.logp, dtype);
        expectLogs([sm.logSumExp(x, { beta })], [ref.lse], dtype);
      }
    });

    it("beta 0 gives the uniform distribution on finite rows", () => {
      const x = data(dtype, 37, 1e3, 0, 3);
      const ref = refRow(x, 0);
      expectProbabilities(sm.softmax(x, { beta: 0 }), ref.p, dtype);
      expectLogsRelative(sm.logSoftmax(x, { beta: 0 }), ref.logp, dtype);
      expectLogs([sm.logSumExp(x, { beta: 0 })], [ref.lse], dtype);
    });

    it("a huge beta gives the arg max, ties sharing, never overflow: the difference beta*(x - c) decides", () => {
      // Short rows, and rows over several reduction blocks (2048) and beyond L2 (long rows).
      const base = [1, 3, 2, 3, -5];
      for (const n of [5, 4099, 70_001]) {
        const x = dtype === "f32" ? new Float32Array(n) : new Float64Array(n);
        for (let i = 0; i < n; i++) x[i] = base[i % 5];
        for (const beta of [1e30, 1e300, Number.MAX_VALUE, -1e30, -1e300, -Number.MAX_VALUE]) {
          const ref = refRow(x, beta);
          expectProbabilities(sm.softmax(x, { beta }), ref.p, dtype);
          expectLogsRelative(sm.logSoftmax(x, { beta }), ref.logp, dtype);
          expect(sm.logSumExp(x, { beta })).toBe(ref.lse);
          const acc = sm.online({ beta }).push(x);
          expectProbabilities(acc.normalize(x), ref.p, dtype);
          expect(acc.logSumExp()).toBe(ref.lse);
        }
        // A subnormal temperature is a valid temperature: the same arg max.
        expectProbabilities(sm.softmax(x, { temperature: 5e-324 }), refRow(x, Number.MAX_VALUE).p, dtype);
      }
    });

    it.each([1, 2, 3, 4, 5, 8, 16, 17, 128, 1000])("batched rows of %d", (k) => {
      const rows = 7;
      const x = data(dtype, rows * k, 40, -10, k);
      const beta = k % 2 ? 0.7 : -1.3;
      const ref = refRows(x, beta, k);
      const y = sm.softmax(x, { rowLength: k, beta });
      expectProbabilities(y, ref.p, dtype);
      expectRowSums(y, k, dtype);
      expectLogsRelative(sm.logSoftmax(x, { rowLength: k, beta }), ref.logp, dtype);
      const lse = sm.logSumExp(x, { rowLength: k, beta });
      expect(lse).toBeInstanceOf(dtype === "f32" ? Float32Array : Float64Array);
      expectLogs(lse, dtype === "f32" ? Float32Array.from(ref.lse) : ref.lse, dtype);
    });

    it("rows of 100000 and 2^20 + 3", () => {
      for (const n of [100_000, 2 ** 20 + 3]) {
        const x = data(dtype, n, 25, 3, 99);
        const ref = refRow(x, 1.5);
        const y = sm.softmax(x, { beta: 1.5 });
        expectProbabilities(y, ref.p, dtype);
        expectRowSums(y, n, dtype);
        expectLogsRelative(sm.logSoftmax(x, { beta: 1.5 }), ref.logp, dtype);
        expectLogs([sm.logSumExp(x, { beta: 1.5 })], [ref.lse], dtype);
      }
    });

    it("properties: translation invariance, rank preserved", () => {
      const x = data(dtype, 1001, 10, 0, 5);
      const shifted = x.map((v) => v + 64); // exact in both dtypes at this magnitude
      const y = sm.softmax(x);
      const z = sm.softmax(shifted);
      for (let i = 0; i < x.length; i++) expect(Math.abs(y[i] - z[i])).toBeLessThanOrEqual(2 * (TOL[dtype].rel * y[i] + TOL[dtype].abs));
      const ranks = Array.from({ length: x.length }, (_, i) => i).sort((i, j) => x[i] - x[j]);
      for (let r = 1; r < ranks.length; r++) expect(y[ranks[r]]).toBeGreaterThanOrEqual(y[ranks[r - 1]]);
    });
  });

  it("number[] input computes in f64", () => {
    const x = [0.1, 2, -3, 40, 5.5];
    const y = sm.softmax(x);
    expect(y).toBeInstanceOf(Float64Array);
    expectProbabilities(y, refRow(x, 1).p, "f64");
  });

  it.each(DTYPES)("a row of 2^24 %s elements meets the tolerance", { timeout: 60_000 }, (dtype) => {
    const n = 2 ** 24;
    const x = data(dtype, n, 12, 0, 2024);
    const ref = refRow(x, 1);
    const y = sm.softmax(x);
    expectProbabilities(y, ref.p, dtype);
    expectRowSums(y, n, dtype);
    expectLogs([sm.logSumExp(x)], [ref.lse], dtype);
  });
});
