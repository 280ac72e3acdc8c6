// Property-based checks (fast-check) of the loss and sampling families against the float64
// references of the test folder (test/loss/reference.ts, test/core/reference.ts,
// test/sampling/reference.ts), on every backend, f32 and f64: rows with runs of -Infinity,
// +Infinity, NaN, values at the dtype's limits, ties and subnormals; beta (temperature for
// sampling) huge, tiny, zero and negative. crossEntropy with index and probability targets,
// every reduction, ignoreIndex, weights, labelSmoothing, zLoss and the gradient; logProbs;
// softmaxBackward, logSoftmaxBackward and jacobian against their closed forms (gradients
// with the limits, infinities and NaN, under a bound of the dtype's rounding); argmax, topK
// and sample with injected uniforms (penalties, masks and the sampler's state:
// test/sampling/fuzz.test.ts).
//
// `npm test` runs a bounded number of cases from a fixed seed; `npm run fuzz [seed] [runs]`
// runs this file too, with its seed and runs.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { type CeOptions, LOSS_TOL, crossEntropyRef, expectRowsClose } from "./reference.js";
import { DTYPE_MAX, type Dtype, type RunKind, fillRun, logRelativeMisses, random, refRow } from "../core/reference.js";
import { type ChainOptions, refChain, refDraw } from "../sampling/reference.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
/** Cases per property (each case runs on every backend). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const counts: Record<string, number> = {};
const count = (what: string) => {
  counts[what] = (counts[what] ?? 0) + 1;
};
afterAll(() => {
  console.log(`fuzz-loss: seed ${SEED}, ${RUNS} runs per property (${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(", ")})`);
});

/** Smallest subnormal value of a dtype: the absolute rounding step below TINY. */
const DENORM = { f32: 1.401298464324817e-45, f64: 5e-324 } as const;

/** Smallest normal value of a dtype. */
const TINY = { f32: 1.1754943508222875e-38, f64: 2.2250738585072014e-308 } as const;

type Kind = Exclude<RunKind, "far">;
const runOf = (nan: boolean) =>
  fc.record({
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    length: fc.integer({ min: 1, max: 6 }),
    kind: fc.constantFrom<Kind>("-inf", "+inf", "max", "-max", "tie", "tiny", "zero", ...(nan ? (["nan"] as const) : [])),
  });

const betaArb = fc.oneof(
  { arbitrary: fc.constant(1), weight: 4 },
  { arbitrary: fc.double({ min: -20, max: 20, noNaN: true }), weight: 3 },
  { arbitrary: fc.constantFrom(0, -0, 5e-324, -5e-324, 1e-300, 1e-38, 1e30, -1e30, 1e300, Number.MAX_VALUE, -Number.MAX_VALUE), weight: 3 },
);

const shape = (nan: boolean) =>
  fc.record({
    dtype: fc.constantFrom<Dtype>("f32", "f64"),
    k: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 12 }), weight: 4 }, { arbitrary: fc.integer({ min: 13, max: 300 }), weight: 2 }, { arbitrary: fc.constantFrom(2047, 2048, 2049, 4100), weight: 1 }),
    rows: fc.integer({ min: 1, max: 5 }),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    spread: fc.constantFrom(1e-3, 1, 8, 100, 1e30),
    offset: fc.constantFrom(0, 5, -1e3),
    runs: fc.array(runOf(nan), { maxLength: 3 }),
  });
type Shape = typeof shape extends (nan: boolean) => fc.Arbitrary<infer R> ? R : never;

/** The logits a shape describes, runs placed in each row. */
function build(s: Shape): Float32Array | Float64Array {
  const n = s.k * s.rows;
  const next = random(s.seed);
  const x = s.dtype === "f32" ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = s.offset + s.spread * (2 * next() - 1);
  for (let r = 0; r < s.rows; r++) {
    const row = x.subarray(r * s.k, (r + 1) * s.k);
    for (const run of s.runs) {
      if (next() < 0.3) continue; // not every row holds every run
      const start = Math.floor(run.at * s.k);
      fillRun(row, start, Math.min(s.k, start + run.length), run.kind, s.dtype, next);
    }
  }
  return x;
}

/** Loss within the promised relative bound (docs/loss.md) (plus the flushed exps of a row); f32 values past f32's range may be infinite. */
function lossMisses(y: number, r: number, dtype: Dtype, slack: number): string {
  if (!Number.isFinite(r) || (dtype === "f32" && Math.abs(r) > DTYPE_MAX.f32 * (1 - 2 ** -25) && Math.abs(y) === Infinity && Math.sign(y) === Math.sign(r))) {
    return Object.is(y, r) || (Number.isNaN(y) && Number.isNaN(r)) || y === r || Number.isFinite(r) ? "" : `${y} != ${r}`;
  }
  const err = Math.abs(y - r);
  return err <= LOSS_TOL[dtype].loss * Math.abs(r) + slack ? "" : `${y} vs ${r}: relative error ${err / Math.abs(r)}`;
}

const ceOptions = fc.record({
  reduction: fc.constantFrom<"mean" | "sum" | "none">("mean", "sum", "none"),
  byIndex: fc.boolean(),
  ignoreIndex: fc.constantFrom(-100, 0, 3),
  ignoreRate: fc.constantFrom(0, 0.3, 1),
  weighted: fc.boolean(),
  labelSmoothing: fc.constantFrom(0, 0, 0.1, 1, 0.5),
  zLoss: fc.constantFrom(0, 0, 1e-4, 1),
  sparse: fc.boolean(), // probability targets with zeros
});

describe("fuzz the loss and sampling families against the float64 references", () => {
  it("crossEntropy: loss and gradient, every backend", { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(shape(true), ceOptions, betaArb, (s, o, beta) => {
        const x = build(s);
        const next = random(s.seed ^ 0x5bd1e995);
        const { k, rows, dtype } = s;
        let target: number[] | Float32Array | Float64Array;
        if (o.byIndex) {
          target = Array.from({ length: rows }, () => (next() < o.ignoreRate ? o.ignoreIndex : Math.floor(next() * k)));
        } else {
          const t = dtype === "f32" ? new Float32Array(k * rows) : new Float64Array(k * rows);
          for (let r = 0; r < rows; r++) {
            let sum = 0;
            for (let j = 0; j < k; j++) sum += t[r * k + j] = o.sparse && next() < 0.6 ? 0 : next();
            if (sum === 0) t[r * k] = sum = 1;
            for (let j = 0; j < k; j++) t[r * k + j] /= sum;
          }
          target = t;
        }
        const weight = o.weighted ? Array.from({ length: k }, () => (next() < 0.1 ? 0 : 0.1 + 3 * next())) : undefined;
        const opts: CeOptions = { rowLength: k, reduction: o.reduction, ignoreIndex: o.ignoreIndex, labelSmoothing: o.labelSmoothing, zLoss: o.zLoss, beta, ...(weight ? { weight } : {}) };
        const ref = crossEntropyRef(x, target, opts);
        const slack = k * rows * TINY[dtype];
        let total = 0;
        if (o.byIndex) for (const y of target) if (y !== o.ignoreIndex) total += weight ? weight[y] : 1;
        const zeroWeight = o.byIndex && total === 0;
        // In f32, gradients past f32's range are +-Infinity.
        const refGrad = dtype === "f32" ? ref.grad.map(Math.fround) : ref.grad;
        for (const [name, sm] of backends) {
          const label = `${name} ${dtype} k=${k} rows=${rows} beta=${beta} ${JSON.stringify(o)}`;
          const t = o.byIndex ? Int32Array.from(target) : target;
          const { loss, grad } = sm.crossEntropy(x, t as Int32Array, { ...opts, grad: true } as never) as { loss: number | ArrayLike<number>; grad: ArrayLike<number> };
          if (o.reduction === "none") {
            const ys = loss as ArrayLike<number>;
            expect(ys.length, label).toBe(rows);
            for (let r = 0; r < rows; r++) expect(lossMisses(ys[r], ref.rows[r], dtype, k * TINY[dtype]), `loss row ${r} ${label}`).toBe("");
          } else {
            expect(lossMisses(loss as number, ref.loss, dtype, slack), `loss ${label}`).toBe("");
          }
          // A mean over a total target weight of 0 divides by 0: its gradient is not compared.
          if (!(o.reduction === "mean" && zeroWeight)) expectRowsClose(grad, refGrad, k, LOSS_TOL[dtype].grad, `grad ${label}`);
          count("crossEntropy");
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("softmaxBackward, logSoftmaxBackward and jacobian: against the closed forms, gradients with limit values", { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(shape(false), shape(true), betaArb, (ys, gs, beta) => {
        // y: softmax (and log-softmax) rows of a shape, in the dtype; g: any values of the
        // same size, the limits, subnormals, infinities and NaN included.
        const { k, rows, dtype } = ys;
        const g0 = build({ ...gs, k, rows, dtype });
        const x = build(ys);
        const round = dtype === "f32" ? Math.fround : (v: number) => v;
        const make = (n: number) => (dtype === "f32" ? new Float32Array(n) : new Float64Array(n));
        const y = make(k * rows);
        const logY = make(k * rows);
        for (let r = 0; r < rows; r++) {
          const ref = refRow(Array.from(x.subarray(r * k, (r + 1) * k)), 1);
          for (let j = 0; j < k; j++) {
            y[r * k + j] = ref.p[j];
            logY[r * k + j] = ref.logp[j];
          }
        }
        // The closed forms in float64 from the dtype's inputs, and a bound of the rounding of
        // each entry in the dtype: eps * |beta| * (the magnitudes that enter it).
        const eps = dtype === "f32" ? 2 ** -21 : 2 ** -49;
        const soft = { want: new Float64Array(k * rows), bound: new Float64Array(k * rows) };
        const log = { want: new Float64Array(k * rows), bound: new Float64Array(k * rows) };
        for (let r = 0; r < rows; r++) {
          let dot = 0;
          let dotAbs = 0;
          let sum = 0;
          let sumAbs = 0;
          let inf = 0; // the infinities of g alone decide the sum where there are any
          for (let j = r * k; j < (r + 1) * k; j++) {
            if (!Number.isFinite(g0[j])) inf += g0[j];
            if (y[j] !== 0) dot += g0[j] * y[j];
            if (y[j] !== 0) dotAbs += Math.abs(g0[j] * y[j]);
            sum += g0[j];
            sumAbs += Math.abs(g0[j]);
          }
          if (inf !== 0) sum = inf;
          for (let j = r * k; j < (r + 1) * k; j++) {
            const p = Math.exp(logY[j]);
            // Differences past f64's range in halves (the result may be finite).
            const diff = (a: number, b: number, f: (d: number) => number) => (Number.isFinite(a - b) || !Number.isFinite(a) || !Number.isFinite(b) ? f(a - b) : 2 * f(0.5 * a - 0.5 * b));
            soft.want[j] = diff(g0[j], dot, (d) => beta * (y[j] * d));
            // beta = 0 times an infinite magnitude: the result is exactly 0 (bound 0, not NaN).
            // Plus the absolute error of subnormal intermediates (d, g_j - d) times beta.
            soft.bound[j] = (eps * Math.abs(beta) * y[j] * (Math.abs(g0[j]) + 2 * dotAbs) * k || 0) + Math.abs(beta) * DENORM[dtype] * k;
            log.want[j] = diff(g0[j], p * sum, (d) => beta * d);
            // p = exp(logY_j) in the dtype: below its smallest normal value, an absolute error.
            log.bound[j] = (eps * Math.abs(beta) * (Math.abs(g0[j]) + 2 * p * sumAbs) * k || 0) + Math.abs(beta) * (TINY[dtype] * sumAbs + DENORM[dtype] * k);
          }
        }
        const misses = (got: ArrayLike<number>, ref: { want: Float64Array; bound: Float64Array }) => {
          for (let i = 0; i < ref.want.length; i++) {
            const r = ref.want[i];
            const v = got[i];
            if (!Number.isFinite(r)) {
              if (!Object.is(v, r) && !(Number.isNaN(v) && Number.isNaN(r))) return `[${i}] ${v} != ${r}`;
              continue;
            }
            // Past the dtype's range (or its rounding): the dtype's infinity of that sign.
            if (Math.abs(r) + ref.bound[i] >= DTYPE_MAX[dtype]) {
              if (!(Math.sign(v) === Math.sign(r) || v === 0)) return `[${i}] ${v} vs ${r} (beyond the dtype)`;
              continue;
            }
            if (!(Math.abs(v - r) <= ref.bound[i] + TINY[dtype] * k)) return `[${i}] ${v} vs ${r}: error ${Math.abs(v - r)} > ${ref.bound[i]}`;
          }
          return "";
        };
        for (const [name, sm] of backends) {
          const label = `${name} ${dtype} k=${k} rows=${rows} beta=${beta}`;
          expect(misses(sm.softmaxBackward(g0, y, { rowLength: k, beta }), soft), `softmaxBackward ${label}`).toBe("");
          expect(misses(sm.logSoftmaxBackward(g0, logY, { rowLength: k, beta }), log), `logSoftmaxBackward ${label}`).toBe("");
          count("backward");
          if (rows === 1 && k <= 300) {
            const J = sm.jacobian(y, { beta });
            for (let i = 0; i < k; i++) {
              for (let j = 0; j < k; j++) {
                const want = round(beta * y[i] * ((i === j ? 1 : 0) - y[j]));
                const got = J[i * k + j];
                const err = Math.abs(got - want);
                if (!(err <= eps * Math.abs(want) + TINY[dtype] || (Math.abs(want) === Infinity && got === want))) {
                  expect.fail(`jacobian ${label} [${i}, ${j}]: ${got} vs ${want}`);
                }
              }
            }
            count("jacobian");
          }
        }
      }),
      { seed: SEED + 4, numRuns: RUNS },
    );
  });

  it("logProbs: log-softmax at the targets, relative accuracy near 0", { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(shape(true), betaArb, (s, beta) => {
        const x = build(s);
        const next = random(s.seed ^ 0x27d4eb2d);
        const { k, rows, dtype } = s;
        const target = Int32Array.from({ length: rows }, () => Math.floor(next() * k));
        // Half the targets the row's arg max: log-probabilities near 0.
        for (let r = 0; r < rows; r++) {
          if (next() < 0.5) {
            let best = 0;
            for (let j = 1; j < k; j++) if ((beta < 0 ? x[r * k + j] < x[r * k + best] : x[r * k + j] > x[r * k + best])) best = j;
            target[r] = best;
          }
        }
        const ref = Array.from(target, (y, r) => refRow(Array.from(x.subarray(r * k, (r + 1) * k)), beta).logp[y]);
        for (const [name, sm] of backends) {
          const label = `${name} ${dtype} k=${k} rows=${rows} beta=${beta} targets=${target}`;
          const y = sm.logProbs(x, target, { rowLength: k, beta });
          expect(logRelativeMisses(y, ref, dtype, k * TINY[dtype]), `logProbs ${label}`).toBe("");
          count("logProbs");
        }
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });

  it("argmax and topK: first maximum, NaN above +Infinity, ties by lower index", { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(shape(true), fc.integer({ min: 1, max: 40 }), (s, kk) => {
        const x = build(s);
        const { k, rows } = s;
        const top = Math.min(kk, k);
        const rank = (v: number) => (Number.isNaN(v) ? Infinity : v);
        const above = (a: number, b: number) => (Number.isNaN(a) && !Number.isNaN(b)) || (!Number.isNaN(b) && a > b);
        const wantMax: number[] = [];
        const wantTop: number[] = [];
        for (let r = 0; r < rows; r++) {
          let best = r * k;
          for (let j = r * k + 1; j < (r + 1) * k; j++) if (above(x[j], x[best]) && !Number.isNaN(x[best])) best = j;
          wantMax.push(best - r * k);
          const order = Array.from({ length: k }, (_, j) => j).sort((a, b) => {
            const va = x[r * k + a];
            const vb = x[r * k + b];
            if (Number.isNaN(va) !== Number.isNaN(vb)) return Number.isNaN(va) ? -1 : 1;
            return rank(vb) > rank(va) ? 1 : rank(vb) < rank(va) ? -1 : a - b;
          });
          wantTop.push(...order.slice(0, top));
        }
        for (const [name, sm] of backends) {
          const label = `${name} ${s.dtype} k=${k} rows=${rows} top=${top}`;
          const am = sm.argmax(x, { rowLength: k }) as Int32Array;
          expect(Array.from(am), `argmax ${label}`).toEqual(wantMax);
          const { values, indices } = sm.topK(x, top, { rowLength: k });
          expect(Array.from(indices), `topK ${label}`).toEqual(wantTop);
          for (let i = 0; i < indices.length; i++) expect(values[i], `topK value ${label}`).toBe(x[Math.floor(i / top) * k + indices[i]]);
          count("argmax/topK");
        }
      }),
      { seed: SEED + 2, numRuns: RUNS },
    );
  });

  it("sample: each injected uniform draws the reference's token; NaN or nothing left is a RangeError", { timeout: 120_000 }, () => {
    const chain = fc.record({
      temperature: fc.oneof(fc.constantFrom(0, 1, 0.5, 2, 5e-324, 1e-300, 1e-30, 1e30, 1e300, Number.MAX_VALUE), fc.double({ min: 0.01, max: 20, noNaN: true })),
      topK: fc.constantFrom(0, 0, 1, 3, 50),
      topP: fc.constantFrom(1, 1, 0.9, 0.5, 0.01),
      minP: fc.constantFrom(0, 0, 0.05, 0.5),
      minKeep: fc.constantFrom(1, 1, 2, 5),
    });
    const TOL = { f32: 1e-5, f64: 1e-12 } as const;
    fc.assert(
      fc.property(shape(true), chain, fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 4 }), (s, c, us) => {
        const x0 = build(s);
        const x = x0.subarray(0, s.k); // one row
        const opts: ChainOptions = { ...c };
        const nan = x.some((v) => Number.isNaN(v));
        const ref = nan ? undefined : refChain(x, opts, s.dtype, TOL[s.dtype]);
        for (const [name, sm] of backends) {
          const label = `${name} ${s.dtype} k=${s.k} ${JSON.stringify(c)}`;
          if (!ref || ref.empty) {
            expect(() => sm.sample(x, { ...c, random: () => us[0] }), label).toThrow(RangeError);
            count("sample errors");
            continue;
          }
          if (ref.ambiguous) continue;
          for (const u of us) {
            const want = ref.greedy >= 0 ? ref.greedy : refDraw(ref, u, TOL[s.dtype]);
            if (want === undefined) continue;
            expect(sm.sample(x, { ...c, random: () => u }), `${label} u=${u} kept=${ref.kept.slice(0, 10)}`).toBe(want);
            count("sample");
          }
        }
      }),
      { seed: SEED + 3, numRuns: RUNS * 2 },
    );
  });
});
