// Wrong results found from the outside (issue 7), each on every backend and call path:
// long rows with masked runs after finite values, finite values whose beta*x overflows,
// LogSumExp and log-softmax near 0, beta = 0 (or tiny) where x - c overflows the dtype.
import { describe, expect, it } from "vitest";
import type { Kernels } from "../../dist/index.js";
import { backends } from "../support/backends.js";
import { DTYPE_MAX, type Dtype, data, expectLogs, expectLogsRelative, expectProbabilities, expectRowSums, random, refRow, refRows } from "./reference.js";

const inf = Infinity;
const DTYPES: Dtype[] = ["f32", "f64"];

function typed(dtype: Dtype, values: ArrayLike<number>): Float32Array | Float64Array {
  return dtype === "f32" ? Float32Array.from(values) : Float64Array.from(values);
}

/** softmax and logSoftmax of x through every call path: copy, typed array in place, WasmArray in place and out of place. */
function everyPath(sm: Kernels, x: Float32Array | Float64Array, beta: number, log: boolean): [string, ArrayLike<number>][] {
  const dtype: Dtype = x instanceof Float32Array ? "f32" : "f64";
  const f = (a: Parameters<Kernels["softmax"]>[0], o?: object) =>
    log ? sm.logSoftmax(a, { beta, ...o } as never) : sm.softmax(a, { beta, ...o } as never);
  const results: [string, ArrayLike<number>][] = [["copy", f(x)]];
  const inPlace = x.slice();
  f(inPlace, { out: inPlace });
  results.push(["typed array in place", inPlace]);
  const a = sm.alloc(x.length, dtype);
  const b = sm.alloc(x.length, dtype);
  a.array.set(x);
  f(a, { out: b });
  results.push(["WasmArray out of place", b.array.slice()]);
  f(a, { out: a });
  results.push(["WasmArray in place", a.array.slice()]);
  a.free();
  b.free();
  return results;
}

/** Long rows with -Infinity after finite values (masked with +Infinity for beta < 0). */
function maskedRows(dtype: Dtype, n: number, beta: number): [string, Float32Array | Float64Array][] {
  const mask = beta > 0 ? -inf : inf;
  const tail = typed(dtype, Array.from({ length: n }, (_, i) => (i < n / 2 ? Math.sin(i) * 5 : mask)));
  const third = data(dtype, n, 5, 0, n);
  third.fill(mask, Math.floor(n / 3), Math.floor((2 * n) / 3));
  const stripes = data(dtype, n, 5, 0, n + 1);
  for (let i = 0; i < n; i++) if ((i >> 12) % 2 === 1) stripes[i] = mask;
  return [
    ["sin(i)*5, masked after n/2", tail],
    ["masked middle third", third],
    ["masked stripes of 4096", stripes],
  ];
}

describe.each(backends)("%s", (_name, sm) => {
  describe.each(DTYPES)("%s", (dtype) => {
    it("long rows with masked runs after finite values, on every call path", { timeout: 120_000 }, () => {
      for (const n of [70_001, 100_000, 300_000]) {
        for (const beta of [1, -0.5]) {
          for (const [what, x] of maskedRows(dtype, n, beta)) {
            const ref = refRow(x, beta);
            for (const [path, y] of everyPath(sm, x, beta, false)) {
              const miss = expectMiss(() => {
                expectProbabilities(y, ref.p, dtype);
                expectRowSums(y, n, dtype);
              });
              expect(miss, `${n} ${what}, beta ${beta}, ${path}`).toBe("");
            }
            for (const [path, y] of everyPath(sm, x, beta, true)) {
              expect(expectMiss(() => expectLogs(y, ref.logp, dtype)), `log ${n} ${what}, beta ${beta}, ${path}`).toBe("");
            }
          }
        }
      }
    });

    it("finite values whose beta*x overflows: beta*(x - c) decides, on every path", () => {
      const max = DTYPE_MAX[dtype];
      // 4096 values near the dtype's max and one larger, at beta = 2 (f64: beta*x overflows).
      const row = typed(dtype, new Array(4097).fill(max / 1.5));
      row[1234] = max / 1.2;
      // Over several reduction blocks: the first block's extremum overflows too.
      const blocks = typed(dtype, new Array(10_000).fill(max / 1.5));
      blocks[9000] = max / 1.2;
      const small = typed(dtype, [1, 3, 2, 3, -5]);
      const cases: [Float32Array | Float64Array, number][] = [
        [row, 2],
        [blocks, 2],
        [row, -2],
        [small, Number.MAX_VALUE],
        [small, -Number.MAX_VALUE],
        [typed(dtype, [...new Array(5000).fill(2), 3, ...new Array(5000).fill(3)]), 1e300],
      ];
      for (const [x, beta] of cases) {
        const ref = refRow(x, beta);
        const label = `${x.length} values, beta ${beta}`;
        for (const [path, y] of everyPath(sm, x, beta, false)) expect(expectMiss(() => expectProbabilities(y, ref.p, dtype)), `${label} ${path}`).toBe("");
        for (const [path, y] of everyPath(sm, x, beta, true)) expect(expectMiss(() => expectLogsRelative(y, ref.logp, dtype)), `${label} ${path}`).toBe("");
        expect(sm.logSumExp(x, { beta }), label).toBe(ref.lse);
        // online: one push, then the same data in two chunks (two states with infinite beta*c).
        const one = sm.online({ beta }).push(x);
        const split = sm.online({ beta }).push(x.subarray(0, x.length >> 1));
        split.merge(sm.online({ beta }).push(x.subarray(x.length >> 1)));
        for (const acc of [one, split]) {
          expect(acc.logSumExp(), label).toBe(ref.lse);
          expect(expectMiss(() => expectProbabilities(acc.normalize(x), ref.p, dtype)), `${label} online normalize`).toBe("");
          expect(expectMiss(() => expectLogsRelative(acc.logNormalize(x), ref.logp, dtype)), `${label} online logNormalize`).toBe("");
        }
      }
    });

    it("online({ beta: MAX_VALUE }) normalizes [1, 3, 2, 3, -5] to the tied arg max", () => {
      const x = typed(dtype, [1, 3, 2, 3, -5]);
      expect(Array.from(sm.online({ beta: Number.MAX_VALUE }).push(x).normalize(x))).toEqual([0, 0.5, 0, 0.5, 0]);
      const merged = sm.online({ beta: Number.MAX_VALUE }).push(x.subarray(0, 2));
      merged.merge(sm.online({ beta: Number.MAX_VALUE }).push(x.subarray(2)));
      expect(Array.from(merged.normalize(x))).toEqual([0, 0.5, 0, 0.5, 0]);
    });

    it("beta 0 gives uniform where x - c overflows the dtype; a tiny beta still weighs the difference", () => {
      const max = DTYPE_MAX[dtype];
      for (const n of [2, 7, 4099, 70_001]) {
        const x = data(dtype, n, max, 0, n);
        x[0] = max;
        x[n - 1] = -max;
        const uniform = new Float64Array(n).fill(1 / n);
        for (const [path, y] of everyPath(sm, x, 0, false)) expect(expectMiss(() => expectProbabilities(y, uniform, dtype)), `${n} ${path}`).toBe("");
        for (const [path, y] of everyPath(sm, x, 0, true)) {
          expect(expectMiss(() => expectLogsRelative(y, new Float64Array(n).fill(-Math.log(n)), dtype)), `${n} ${path}`).toBe("");
        }
        expect(sm.logSumExp(x, { beta: 0 })).toBeCloseTo(Math.log(n), 5);
        expect(expectMiss(() => expectProbabilities(sm.online({ beta: 0 }).push(x).normalize(x), uniform, dtype))).toBe("");
        // beta*(x - c) of order 1 although x - c is beyond the dtype's range.
        for (const beta of [1 / max, -2 / max, 5e-324]) {
          const ref = refRow(x, beta);
          for (const [path, y] of everyPath(sm, x, beta, false)) expect(expectMiss(() => expectProbabilities(y, ref.p, dtype)), `${n} beta ${beta} ${path}`).toBe("");
          for (const [path, y] of everyPath(sm, x, beta, true)) expect(expectMiss(() => expectLogsRelative(y, ref.logp, dtype)), `${n} beta ${beta} ${path}`).toBe("");
          expectLogs([sm.logSumExp(x, { beta })], [ref.lse], dtype);
          expect(expectMiss(() => expectProbabilities(sm.online({ beta }).push(x).normalize(x), ref.p, dtype))).toBe("");
        }
      }
    });

    it("LogSumExp near 0 keeps its relative accuracy: log1p of the non-maximal terms", () => {
      // SciPy's regression test gh-18295: log1p(exp(-40)).
      const lse = sm.logSumExp(typed(dtype, [0, -40]));
      expect(Math.abs(lse - 4.248354255291589e-18)).toBeLessThanOrEqual((dtype === "f32" ? 1e-6 : 6e-8) * 4.248354255291589e-18);
      for (const [x, beta] of [
        [[0, -40], 1],
        [[-40, 0, -45.5, -60], 1],
        [[2.5, -30, -31.25], 1.7],
        [[0, 80], -1],
      ] as const) {
        const ref = refRow(typed(dtype, x), beta);
        const y = sm.logSumExp(typed(dtype, x), { beta });
        expect(Math.abs(y - ref.lse), `${x} beta ${beta}: ${y} vs ${ref.lse}`).toBeLessThanOrEqual(TOL_REL[dtype] * Math.abs(ref.lse));
      }
    });

    it("logSoftmax is relative-accurate for every finite entry, also near 0", () => {
      // One entry far above the rest: its log-probability is -log1p(small), tiny.
      for (const n of [2, 3, 17, 1000, 5000]) {
        for (const [margin, beta] of [
          [20, 1],
          [38, 1.3],
          [60, 1],
          [30, -0.9],
          [700, 0.1],
        ]) {
          const x = data(dtype, n, 4, 0, n + margin);
          x[n >> 1] = 4 + margin / beta;
          const ref = refRow(x, beta);
          expect(expectMiss(() => expectLogsRelative(sm.logSoftmax(x, { beta }), ref.logp, dtype)), `${n} margin ${margin} beta ${beta}`).toBe("");
          const lse = sm.logSumExp(x, { beta });
          expect(Math.abs(lse - ref.lse), `LSE ${n} margin ${margin} beta ${beta}: ${lse} vs ${ref.lse}`).toBeLessThanOrEqual(
            TOL_REL[dtype] * Math.abs(ref.lse) + 1e-300,
          );
        }
      }
    });

    it("confident rows (one logit 20 above N(0, 2) noise) keep the relative accuracy near 0, at any length and block", { timeout: 60_000 }, () => {
      const next = random(7);
      const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
      for (const n of [64, 2047, 2048, 2049, 6000, 32000]) {
        for (const [at, offset] of [
          [0, 0],
          [n - 1, -20],
          [Math.floor(n / 2), 0],
          [Math.floor(n * 0.8), 7.25],
        ]) {
          // offset moves the row so that the max is near 0 (the log results of its entry and the LSE then need r's relative accuracy).
          // beta = 1/0.7 rounds in f32; beta < 0 on the negated row: the min is the confident one.
          for (const beta of [1, 1 / 0.7, -1.3]) {
            const sign = beta < 0 ? -1 : 1;
            const x = typed(dtype, Array.from({ length: n }, () => sign * (2 * normal() + offset - 20 / Math.abs(beta))));
            x[at] = sign * (offset + (dtype === "f32" ? 0 : 0.3));
            const ref = refRow(x, beta);
            const what = `n ${n}, max at ${at}, offset ${offset}, beta ${beta}`;
            expect(expectMiss(() => expectLogsRelative(sm.logSoftmax(x, { beta }), ref.logp, dtype)), what).toBe("");
            const lse = sm.logSumExp(x, { beta });
            expect(Math.abs(lse - ref.lse), `LSE ${what}: ${lse} vs ${ref.lse}`).toBeLessThanOrEqual(TOL_REL[dtype] * Math.abs(ref.lse));
            const online = sm.online({ beta }).push(x.subarray(0, n >> 1)).push(x.subarray(n >> 1)).logSumExp();
            expect(Math.abs(online - ref.lse), `online ${what}: ${online} vs ${ref.lse}`).toBeLessThanOrEqual(TOL_REL[dtype] * Math.abs(ref.lse));
          }
        }
      }
      // Every entry but the max on one value whose difference to it rounds in the dtype: the
      // exponents' rounding errors all alike, so they add up instead of averaging out.
      for (const n of [100, 5000]) {
        const x = typed(dtype, new Array(n).fill(-19.300000123));
        x[n >> 2] = 0.7000000123;
        const ref = refRow(x, 1);
        expect(expectMiss(() => expectLogsRelative(sm.logSoftmax(x), ref.logp, dtype)), `repeated value, n ${n}`).toBe("");
        const lse = sm.logSumExp(x);
        expect(Math.abs(lse - ref.lse), `LSE repeated value, n ${n}: ${lse} vs ${ref.lse}`).toBeLessThanOrEqual(TOL_REL[dtype] * Math.abs(ref.lse));
      }
      // A batch of confident rows, each with its max near 0.
      const k = 4096;
      const rows = 5;
      const x = typed(dtype, Array.from({ length: rows * k }, () => 2 * normal() - 20));
      for (let r = 0; r < rows; r++) x[r * k + ((r * 977) % k)] = 0;
      const ref = refRows(x, 1, k);
      expect(expectMiss(() => expectLogsRelative(sm.logSoftmax(x, { rowLength: k }), ref.logp, dtype)), "batch").toBe("");
      const lse = sm.logSumExp(x, { rowLength: k }) as ArrayLike<number>;
      for (let r = 0; r < rows; r++) expect(Math.abs(lse[r] - ref.lse[r]), `batch row ${r}`).toBeLessThanOrEqual(TOL_REL[dtype] * Math.abs(ref.lse[r]) + (dtype === "f32" ? 1e-45 : 0));
    });
  });
});

const TOL_REL = { f32: 1e-6, f64: 1e-14 } as const;

/** The message of a failed expectation ("" when it passes), so that a loop can say which case failed. */
function expectMiss(check: () => void): string {
  try {
    check();
    return "";
  } catch (error) {
    return (error as Error).message.split("\n")[0];
  }
}
