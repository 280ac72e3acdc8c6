// Property-based checks (fast-check): arbitrary rows against the float64 reference of
// test/core/reference.ts, on every backend and call path. Lengths from 0 to 300k with every
// vector, unroll, block and long-row boundary likely; runs of -Infinity, +Infinity, NaN,
// values at the dtype's limits, ties and subnormals anywhere; beta from -MAX_VALUE to
// MAX_VALUE (0, tiny, subnormal included); rowLength batches; online accumulators fed by
// arbitrary splits and merged in arbitrary trees. Shrinking reports a minimal failing case.
//
// `npm test` runs a bounded number of cases from a fixed seed; `npm run fuzz [seed] [runs]`
// a long run from a random seed that it prints (give the seed back to replay a failure).
// Each run prints how many cases it checked.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { Kernels } from "../../dist/index.js";
import { backends } from "../support/backends.js";
import {
  type Dtype,
  type RunKind,
  fillRun,
  logMisses,
  logRelativeMisses,
  probabilityMisses,
  random,
  refRow,
  refRows,
} from "./reference.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
/** Cases per property (each case runs on every backend). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const counts: Record<string, number> = {};

// Lengths around the 4/8/16-lane vectors and the 4x unroll, the 256-element flush, the
// 2048-element block, the long-row threshold (65,536 f32 / 32,768 f64 elements), and beyond.
const BOUNDARIES = [4, 8, 16, 32, 64, 256, 2048, 4096, 32_768, 65_536, 131_072];
const length = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 40 }), weight: 6 },
  { arbitrary: fc.tuple(fc.constantFrom(...BOUNDARIES), fc.integer({ min: -3, max: 3 })).map(([b, d]) => b + d), weight: 4 },
  { arbitrary: fc.integer({ min: 41, max: 5000 }), weight: 3 },
  { arbitrary: fc.integer({ min: 5001, max: 300_000 }), weight: 1 },
);

type Kind = RunKind;
const run = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  length: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 9, max: 70_000 })),
  kind: fc.constantFrom<Kind>("-inf", "+inf", "nan", "max", "-max", "tie", "tiny", "zero", "far"),
});

const beta = fc.oneof(
  { arbitrary: fc.constant(1), weight: 4 },
  { arbitrary: fc.double({ min: -50, max: 50, noNaN: true }), weight: 4 },
  {
    arbitrary: fc.constantFrom(0, -0, 5e-324, -5e-324, 1e-300, 1e-38, -2 / 3.4e38, 1 / Number.MAX_VALUE, 1e30, -1e30, 1e300, Number.MAX_VALUE, -Number.MAX_VALUE),
    weight: 2,
  },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 2 },
);

const row = fc.record({
  dtype: fc.constantFrom<Dtype>("f32", "f64"),
  n: length,
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  spread: fc.constantFrom(1e-3, 1, 8, 100, 1e4, 1e30),
  offset: fc.constantFrom(0, 0, 5, -1e3, 1e6),
  runs: fc.array(run, { maxLength: 4 }),
  beta,
  rows: fc.integer({ min: 1, max: 12 }),
});
type Row = typeof row extends fc.Arbitrary<infer R> ? R : never;

/** The row a spec describes, in its dtype. */
function build(spec: Row): Float32Array | Float64Array {
  const { dtype, n } = spec;
  const next = random(spec.seed);
  const x = dtype === "f32" ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = spec.offset + spec.spread * (2 * next() - 1);
  for (const r of spec.runs) {
    const start = Math.floor(r.at * n);
    fillRun(x, start, Math.min(n, start + r.length), r.kind, dtype, next, () => spec.offset + spec.spread * 50 * (2 * next() - 1));
  }
  return x;
}

/** A divisor of n near n / rows (the batch shape of a case); n itself when n is 0. */
function rowLengthOf(n: number, rows: number): number {
  if (n === 0) return 1;
  for (let r = Math.min(rows, n); r >= 1; r--) if (n % r === 0) return n / r;
  return n;
}

type Path = "copy" | "out" | "typed in place" | "WasmArray" | "WasmArray in place" | "overlap" | "number[]";
const PATHS: Path[] = ["copy", "out", "typed in place", "WasmArray", "WasmArray in place", "overlap", "number[]"];

/** Runs softmax or logSoftmax of x on one call path; returns the result's values. */
function call(sm: Kernels, op: "softmax" | "logSoftmax", x: Float32Array | Float64Array, opts: { beta: number; rowLength?: number }, path: Path): ArrayLike<number> {
  const dtype: Dtype = x instanceof Float32Array ? "f32" : "f64";
  const T = dtype === "f32" ? Float32Array : Float64Array;
  const f = (a: Parameters<Kernels["softmax"]>[0], out?: unknown) => sm[op](a as never, { ...opts, ...(out ? { out } : {}) } as never) as ArrayLike<number>;
  switch (path) {
    case "copy":
      return f(x);
    case "out": {
      const out = new T(x.length);
      f(x, out);
      return out;
    }
    case "typed in place": {
      const y = x.slice();
      f(y, y);
      return y;
    }
    case "WasmArray": {
      const a = sm.alloc(x.length, dtype);
      const b = sm.alloc(x.length, dtype);
      a.array.set(x);
      f(a, b);
      const y = b.array.slice();
      a.free();
      b.free();
      return y;
    }
    case "WasmArray in place": {
      const a = sm.alloc(x.length, dtype);
      a.array.set(x);
      f(a, a);
      const y = a.array.slice();
      a.free();
      return y;
    }
    case "overlap": {
      // out views the same buffer one element further on.
      const buffer = new T(x.length + 1);
      buffer.set(x);
      const out = buffer.subarray(1);
      f(buffer.subarray(0, x.length), out);
      return out.slice();
    }
    case "number[]":
      return f(Array.from(x));
  }
}

/** LSE values within the promised (1 + |r|) bound; f32 results beyond f32's range may be infinite. */
function lseMisses(y: ArrayLike<number>, r: ArrayLike<number>, dtype: Dtype): string {
  const rounded = dtype === "f32" ? Float64Array.from(r, (v) => (Number.isFinite(Math.fround(v)) ? v : Math.fround(v))) : r;
  return logMisses(y, rounded, dtype);
}

function count(what: string, n = 1) {
  counts[what] = (counts[what] ?? 0) + n;
}

afterAll(() => {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(`fuzz: seed ${SEED}, ${RUNS} runs per property, ${total} checked cases (${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(", ")})`);
});

describe("fuzz against the float64 reference", () => {
  it("softmax, logSoftmax, logSumExp: every backend, every call path, batches", { timeout: 600_000 }, () => {
    fc.assert(
      fc.property(row, fc.constantFrom(...PATHS), fc.boolean(), (spec, path, batched) => {
        const x = build(spec);
        const k = batched ? rowLengthOf(spec.n, spec.rows) : spec.n;
        const opts = batched ? { beta: spec.beta, rowLength: k } : { beta: spec.beta };
        const dtype: Dtype = path === "number[]" ? "f64" : spec.dtype;
        const ref = batched ? refRows(x, spec.beta, k) : { ...refRow(x, spec.beta), lse: undefined };
        const single = batched ? undefined : refRow(x, spec.beta);
        for (const [name, sm] of backends) {
          const label = `${name} ${spec.dtype} n=${spec.n} k=${k} beta=${spec.beta} ${path}`;
          const p = call(sm, "softmax", x, opts, path);
          expect(probabilityMisses(p, ref.p, dtype), `softmax ${label}`).toBe("");
          const logp = call(sm, "logSoftmax", x, opts, path);
          expect(logRelativeMisses(logp, ref.logp, dtype), `logSoftmax ${label}`).toBe("");
          if (batched) {
            const lse = sm.logSumExp(x, { beta: spec.beta, rowLength: k });
            expect(lseMisses(lse, (ref as { lse: Float64Array }).lse, spec.dtype), `logSumExp ${label}`).toBe("");
          } else {
            expect(logMisses([sm.logSumExp(x, { beta: spec.beta })], [single!.lse], spec.dtype), `logSumExp ${label}`).toBe("");
          }
          count("rows");
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("online: arbitrary splits merged in arbitrary trees agree with the one-shot reference", { timeout: 600_000 }, () => {
    const split = fc.record({ cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }), tree: fc.array(fc.boolean(), { maxLength: 8 }) });
    fc.assert(
      fc.property(row, split, (spec, { cuts, tree }) => {
        const x = build(spec);
        const ref = refRow(x, spec.beta);
        const bounds = [0, ...cuts.map((c) => Math.floor(c * x.length)).sort((a, b) => a - b), x.length];
        for (const [name, sm] of backends) {
          // Chunks into accumulators; tree[i] says whether the next chunk is merged into the
          // previous accumulator (a subtree) or starts a new one; then all fold in order.
          const accs = [sm.online({ beta: spec.beta })];
          for (let i = 0; i + 1 < bounds.length; i++) {
            const chunk = x.subarray(bounds[i], bounds[i + 1]);
            if (tree[i]) accs.push(sm.online({ beta: spec.beta }).push(chunk));
            else accs[accs.length - 1].push(chunk);
          }
          const acc = accs.reduceRight((into, other) => other.merge(into));
          const label = `${name} ${spec.dtype} n=${spec.n} beta=${spec.beta} cuts=${bounds}`;
          expect(logMisses([acc.logSumExp()], [ref.lse], spec.dtype), `online logSumExp ${label}`).toBe("");
          expect(acc.count, label).toBe(x.length);
          expect(probabilityMisses(acc.normalize(x), ref.p, spec.dtype), `online normalize ${label}`).toBe("");
          expect(lseMisses(acc.logNormalize(x), ref.logp, spec.dtype), `online logNormalize ${label}`).toBe("");
          count("online");
        }
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });

  it("the backends agree with each other: the same rows NaN, the same log-probabilities -Infinity", { timeout: 600_000 }, () => {
    fc.assert(
      fc.property(row, (spec) => {
        const x = build(spec);
        const k = rowLengthOf(spec.n, spec.rows);
        const patterns = backends.map(([, sm]) =>
          Array.from(sm.logSoftmax(x, { beta: spec.beta, rowLength: k }), (v) => (Number.isNaN(v) ? "n" : v === -Infinity ? "m" : "p")).join(""),
        );
        for (const p of patterns) expect(p).toBe(patterns[0]);
        count("patterns", backends.length);
      }),
      { seed: SEED + 2, numRuns: RUNS },
    );
  });
});
