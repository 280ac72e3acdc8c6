// The special values of docs/core.md, per row, and out / in-place / WasmArray data paths.
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { type Dtype, data, expectLogs, expectProbabilities, expectRowSums, refRow, refRows } from "./reference.js";

const inf = Infinity;

function typed(dtype: Dtype, values: number[]): Float32Array | Float64Array {
  return dtype === "f32" ? Float32Array.from(values) : Float64Array.from(values);
}

describe.each(backends)("%s special values", (_name, sm) => {
  describe.each(["f32", "f64"] as Dtype[])("%s", (dtype) => {
    it("empty input: empty output, LogSumExp -Infinity", () => {
      const x = typed(dtype, []);
      expect(sm.softmax(x)).toHaveLength(0);
      expect(sm.logSoftmax(x)).toHaveLength(0);
      expect(sm.logSumExp(x)).toBe(-inf);
      expect(sm.logSumExp(x, { rowLength: 3 })).toHaveLength(0);
      expect(sm.softmax(x, { rowLength: 5 })).toHaveLength(0);
    });

    it("a NaN anywhere makes its whole row NaN, and only its row", () => {
      for (const n of [1, 3, 4, 9, 37, 5000]) {
        const x = data(dtype, 2 * n, 5, 0, n);
        x[n + (n >> 1)] = NaN;
        const y = sm.softmax(x, { rowLength: n });
        const l = sm.logSoftmax(x, { rowLength: n });
        const lse = sm.logSumExp(x, { rowLength: n });
        expect(y.subarray(n).every(Number.isNaN)).toBe(true);
        expect(l.subarray(n).every(Number.isNaN)).toBe(true);
        expect(Number.isNaN(lse[1])).toBe(true);
        expectProbabilities(y.subarray(0, n), refRow(x.subarray(0, n), 1).p, dtype);
        expect(Number.isNaN(sm.logSumExp(x))).toBe(true);
      }
    });

    it("NaN wins over +Infinity and over masking, in short rows and across blocks", () => {
      const rows = [
        [inf, 1, NaN],
        [NaN, inf, inf],
        [-inf, NaN, -inf],
        [NaN, NaN],
        [NaN, -inf, 5, inf, 2, 1, 0, 3, 4],
      ];
      for (const row of rows) {
        for (const beta of [1, -1]) {
          const x = typed(dtype, beta > 0 ? row : row.map((v) => -v));
          expect(Array.from(sm.softmax(x, { beta })).every(Number.isNaN), `${row} beta ${beta}`).toBe(true);
          expect(Array.from(sm.logSoftmax(x, { beta })).every(Number.isNaN), `${row} beta ${beta}`).toBe(true);
          expect(sm.logSumExp(x, { beta }), `${row} beta ${beta}`).toBeNaN();
          expect(sm.online({ beta }).push(x).logSumExp()).toBeNaN();
        }
      }
      const n = 9000; // several blocks of the one-pass reduction (2048)
      for (const [nanAt, specialAt, special] of [
        [5000, 10, inf],
        [10, 5000, inf],
        [7000, -1, -inf],
      ] as const) {
        const x = typed(dtype, new Array(n).fill(special === -inf ? -inf : 1));
        if (specialAt >= 0) x[specialAt] = special;
        x[nanAt] = NaN;
        expect(Array.from(sm.softmax(x)).every(Number.isNaN)).toBe(true);
        expect(Array.from(sm.logSoftmax(x)).every(Number.isNaN)).toBe(true);
        expect(sm.logSumExp(x)).toBeNaN();
        expect(sm.online().push(x.subarray(0, 6000)).push(x.subarray(6000)).logSumExp()).toBeNaN();
      }
    });

    it("-Infinity entries are masked: probability 0, log-probability -Infinity", () => {
      for (const n of [2, 5, 8, 33, 3000]) {
        const x = data(dtype, n, 3, 0, n);
        for (let i = 0; i < n; i += 3) x[i] = -inf;
        const ref = refRow(x, 1);
        const y = sm.softmax(x);
        for (let i = 0; i < n; i += 3) expect(y[i]).toBe(0);
        expectProbabilities(y, ref.p, dtype);
        expectLogs(sm.logSoftmax(x), ref.logp, dtype);
        expectLogs([sm.logSumExp(x)], [ref.lse], dtype);
        // With beta < 0 the masked entries are the +Infinity ones.
        const neg = x.map((v) => -v);
        expectProbabilities(sm.softmax(neg, { beta: -1 }), ref.p, dtype);
      }
    });

    it("a row masked entirely gives 0s, -Infinity and -Infinity, never NaN", () => {
      for (const n of [1, 4, 7, 2049]) {
        const x = typed(dtype, new Array(n).fill(-inf));
        expect(Array.from(sm.softmax(x))).toEqual(new Array(n).fill(0));
        expect(Array.from(sm.logSoftmax(x))).toEqual(new Array(n).fill(-inf));
        expect(sm.logSumExp(x)).toBe(-inf);
        const pos = typed(dtype, new Array(n).fill(inf));
        expect(Array.from(sm.softmax(pos, { beta: -2 }))).toEqual(new Array(n).fill(0));
        expect(sm.logSumExp(pos, { beta: -2 })).toBe(-inf);
      }
    });

    it("+Infinity scores share the probability equally, LogSumExp is +Infinity", () => {
      const x = typed(dtype, [1, inf, -inf, 3, inf, inf, 0, 2]);
      expect(Array.from(sm.softmax(x))).toEqual([0, 1 / 3, 0, 0, 1 / 3, 1 / 3, 0, 0].map((v) => (dtype === "f32" ? Math.fround(v) : v)));
      expectLogs(sm.logSoftmax(x), [-inf, -Math.log(3), -inf, -inf, -Math.log(3), -Math.log(3), -inf, -inf], dtype);
      expect(sm.logSumExp(x)).toBe(inf);
      // beta < 0: the -Infinity entry has score +Infinity.
      expect(Array.from(sm.softmax(x, { beta: -1 }))).toEqual([0, 0, 1, 0, 0, 0, 0, 0]);
      expect(sm.logSumExp(x, { beta: -1 })).toBe(inf);
      // Spread over several blocks of the one-pass reduction.
      const big = data(dtype, 10_000, 5, 0, 8);
      big[3] = inf;
      big[9000] = inf;
      expectLogs(sm.logSoftmax(big), refRow(big, 1).logp, dtype);
      expect(sm.logSumExp(big)).toBe(inf);
    });

    it("beta 0 with an infinite entry is NaN (0 * Infinity)", () => {
      const x = typed(dtype, [1, 2, inf]);
      expect(Array.from(sm.softmax(x, { beta: 0 })).every(Number.isNaN)).toBe(true);
      expect(Number.isNaN(sm.logSumExp(typed(dtype, [1, -inf]), { beta: 0 }))).toBe(true);
      expect(Array.from(sm.logSoftmax(typed(dtype, [-inf, 0]), { beta: 0 })).every(Number.isNaN)).toBe(true);
    });

    it("rows longer than L2 (one-read path), in place and not: masked stretches, NaN, +Infinity, jumps", () => {
      const n = 300_000; // longer than 256 KiB in both dtypes: many blocks of the long-row path
      // Typed arrays are computed in place in the module's scratch area; WasmArrays in and
      // out of different arrays take the out-of-place path (exps relative to a guess).
      const a = sm.alloc(n, dtype);
      const out = sm.alloc(n, dtype);
      const both = (x: Float32Array | Float64Array, beta: number) => {
        a.array.set(x);
        return [sm.softmax(x, { beta }), sm.softmax(a, { beta, out }).array];
      };
      for (const beta of [1, -0.5]) {
        const masked = data(dtype, n, 20, 0, 1);
        masked.fill(beta > 0 ? -inf : inf, 0, 140_000); // whole blocks masked
        for (const y of both(masked, beta)) {
          expectProbabilities(y, refRow(masked, beta).p, dtype);
          expectRowSums(y, n, dtype);
        }
        const sharing = data(dtype, n, 20, 0, 2);
        sharing[299_000] = beta > 0 ? inf : -inf;
        sharing[7] = beta > 0 ? inf : -inf;
        for (const y of both(sharing, beta)) expectProbabilities(y, refRow(sharing, beta).p, dtype);
        const nan = data(dtype, n, 20, 0, 3);
        nan[250_001] = NaN;
        for (const y of both(nan, beta)) expect(Array.from(y).every(Number.isNaN)).toBe(true);
        // The row's max sits late: early blocks are rescaled down.
        const rising = data(dtype, n, 5, 0, 4).map((v, i) => v + i / 5000);
        for (const y of both(rising, beta)) expectProbabilities(y, refRow(rising, beta).p, dtype);
        // Jumps far past the extremum seen so far (blocks redone), then far below it.
        const steps = data(dtype, n, 5, 0, 5).map((v, i) => v + (i > 100_000 ? 150 / beta : 0) + (i > 200_000 ? 300 / beta : 0));
        steps[123_456] = 1000 / beta;
        for (const y of both(steps, beta)) expectProbabilities(y, refRow(steps, beta).p, dtype);
        const falling = data(dtype, n, 5, 0, 6).map((v, i) => v - (i > 150_000 ? 200 / beta : 0));
        for (const y of both(falling, beta)) expectProbabilities(y, refRow(falling, beta).p, dtype);
      }
      a.free();
      out.free();
    });

    it("special rows in a batch leave the other rows alone", () => {
      const x = typed(dtype, [1, 2, 3, NaN, 0, 0, -inf, -inf, -inf, inf, 5, inf, 4, 4, 4]);
      const ref = refRows(x, 1, 3);
      expectProbabilities(sm.softmax(x, { rowLength: 3 }), ref.p, dtype);
      expectLogs(sm.logSoftmax(x, { rowLength: 3 }), ref.logp, dtype);
      expectLogs(sm.logSumExp(x, { rowLength: 3 }), ref.lse, dtype);
    });
  });
});

describe.each(backends)("%s data paths", (_name, sm) => {
  it("out is written and returned; in place when out is x", () => {
    const x = data("f32", 1003, 9, 0, 1);
    const ref = refRow(x, 1);
    const out = new Float32Array(1003);
    expect(sm.softmax(x, { out })).toBe(out);
    expectProbabilities(out, ref.p, "f32");
    const copy = x.slice();
    expect(sm.logSoftmax(copy, { out: copy })).toBe(copy);
    expectLogs(copy, ref.logp, "f32");
    const lseOut = new Float64Array(3);
    const x64 = data("f64", 30, 9, 0, 2);
    expect(sm.logSumExp(x64, { rowLength: 10, out: lseOut })).toBe(lseOut);
    expectLogs(lseOut, refRows(x64, 1, 10).lse, "f64");
    const one = new Float64Array(1);
    expect(sm.logSumExp(x64, { out: one })).toBe(one[0]);
  });

  it("an out that overlaps x without being x is not corrupted", () => {
    const buffer = new Float64Array(21);
    buffer.set(data("f64", 20, 4, 0, 3));
    const x = buffer.subarray(0, 20);
    const ref = refRow(x, 1);
    const out = buffer.subarray(1, 21);
    sm.softmax(x, { out });
    expectProbabilities(out, ref.p, "f64");
  });

  it("WasmArray in and out, zero-copy and in place", () => {
    for (const dtype of ["f32", "f64"] as const) {
      const n = 777;
      const x = data(dtype, n, 7, 1, 4);
      const ref = refRow(x, 0.5);
      const a = sm.alloc(n, dtype);
      const b = sm.alloc(n, dtype);
      a.array.set(x);
      expect(a.length).toBe(n);
      expect(a.dtype).toBe(dtype);
      const y = sm.softmax(a, { beta: 0.5 });
      expect(y).toBeInstanceOf(dtype === "f32" ? Float32Array : Float64Array);
      expectProbabilities(y, ref.p, dtype);
      expect(sm.softmax(a, { beta: 0.5, out: b })).toBe(b);
      expectProbabilities(b.array, ref.p, dtype);
      expect(Array.from(a.array)).toEqual(Array.from(x)); // input untouched
      sm.logSoftmax(a, { beta: 0.5, out: a });
      expectLogs(a.array, ref.logp, dtype);
      expectLogs([sm.logSumExp(b, { beta: 0 })], [refRow(b.array, 0).lse], dtype);
      a.free();
      b.free();
    }
  });

  it("WasmArrays of another backend are accepted as data", () => {
    for (const [, other] of backends) {
      const a = other.alloc(50, "f64");
      a.array.set(data("f64", 50, 3, 0, 5));
      expectProbabilities(sm.softmax(a), refRow(a.array, 1).p, "f64");
      const out = other.alloc(50, "f64");
      sm.softmax(a, { out });
      expectProbabilities(out.array, refRow(a.array, 1).p, "f64");
      a.free();
      out.free();
    }
  });

  it("alloc defaults to f32, frees, and throws on use after free", () => {
    const a = sm.alloc(10);
    expect(a.dtype).toBe("f32");
    expect(a.array).toBeInstanceOf(Float32Array);
    expect(a.array).toHaveLength(10);
    a.free();
    expect(() => a.array).toThrow(Error);
    expect(() => sm.softmax(a)).toThrow(Error);
    expect(() => sm.softmax(new Float32Array(10), { out: a })).toThrow(Error);
    a.free(); // idempotent
    const b = sm.alloc(0, "f64");
    expect(b.array).toHaveLength(0);
    expect(sm.softmax(b)).toHaveLength(0);
    {
      using c = sm.alloc(4, "f64");
      c.array.set([1, 2, 3, 4]);
      expectProbabilities(sm.softmax(c), refRow([1, 2, 3, 4], 1).p, "f64");
      b[Symbol.dispose]();
      expect(() => b.array).toThrow(Error);
    }
  });
});
