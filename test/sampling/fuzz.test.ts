// Property-based checks (fast-check) of the sampling chain's state and masks against the
// float64 reference of test/sampling/reference.ts, on every backend, f32 and f64: rows with
// the dtype's limits, subnormals, infinities and ties; the penalties (repetition, frequency,
// presence) over a history, `allowed` masks (one for every row, or one per row), the
// sampler's state (accept, reset, clone, the penalty window, the seeded generator),
// gumbelSoftmax (soft and hard) from injected uniforms, and long rows whose cuts the kernels
// search in parts (top-p's band, min-p's block sums), f32, f64 and f16. test/loss/fuzz.test.ts holds the
// chain's filters and argmax/topK.
//
// `npm test` runs a bounded number of cases from a fixed seed; `npm run fuzz [seed] [runs]`
// runs this file too, with its seed and runs.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { type ChainOptions, refChain, refDraw, refPcg32 } from "./reference.js";
import { DTYPE_MAX, type Dtype, probabilityMisses, random, refRow } from "../core/reference.js";
import { f16Array, hasFloat16 } from "../support/halves.js";
import { halfValue, nearestHalf } from "../core/half-reference.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
/** Cases per property (each case runs on every backend). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const counts: Record<string, number> = {};
const count = (what: string) => {
  counts[what] = (counts[what] ?? 0) + 1;
};
afterAll(() => {
  console.log(`fuzz-sampling: seed ${SEED}, ${RUNS} runs per property (${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(", ")})`);
});

/** Near a decision boundary (a filter's threshold, a CDF step) within this, a case is skipped. */
const TOL = { f32: 1e-5, f64: 1e-12 } as const;

/** Special values a row may hold (no NaN: a NaN row is a RangeError, checked in api.test.ts). */
const SPECIAL = (dtype: Dtype) => [Infinity, -Infinity, DTYPE_MAX[dtype], -DTYPE_MAX[dtype], dtype === "f32" ? 1.4e-45 : 5e-324, 0, -0];

const rowArb = fc.record({
  dtype: fc.constantFrom<Dtype>("f32", "f64"),
  k: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 40 }), weight: 4 }, { arbitrary: fc.integer({ min: 41, max: 3000 }), weight: 1 }),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  spread: fc.constantFrom(0.01, 1, 5, 30),
  ties: fc.boolean(),
  specials: fc.array(fc.record({ at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), which: fc.nat(6) }), { maxLength: 3 }),
});
type Row = typeof rowArb extends fc.Arbitrary<infer R> ? R : never;

function buildRow(s: Row, rows = 1): Float32Array | Float64Array {
  const n = s.k * rows;
  const next = random(s.seed);
  const x = s.dtype === "f32" ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = s.ties ? Math.round(s.spread * (2 * next() - 1)) : s.spread * (2 * next() - 1);
  for (let r = 0; r < rows; r++) for (const sp of s.specials) x[r * s.k + Math.floor(sp.at * s.k)] = SPECIAL(s.dtype)[sp.which];
  return x;
}

const penaltyArb = fc.record({
  repetitionPenalty: fc.constantFrom(1, 1.3, 0.5, 1e-30, 1e30, Number.MAX_VALUE, 5e-324),
  frequencyPenalty: fc.constantFrom(0, 0, 0.4, -2, 1e300, -Number.MAX_VALUE),
  presencePenalty: fc.constantFrom(0, 0, 1, -0.5, Number.MAX_VALUE),
  temperature: fc.constantFrom(0, 1, 0.7, 3, 1e-300),
  topK: fc.constantFrom(0, 0, 2, 10),
  topP: fc.constantFrom(1, 1, 0.9, 0.3),
  minP: fc.constantFrom(0, 0, 0.1),
  minKeep: fc.constantFrom(1, 1, 3),
});

/** A random allowed mask of k tokens (words beyond k filled with noise: they must not matter). */
function maskOf(k: number, seed: number, density: number, extraWords = 0): Uint32Array {
  const next = random(seed);
  const m = new Uint32Array(Math.ceil(k / 32) + extraWords);
  for (let i = 0; i < m.length * 32; i++) if (i >= k || next() < density) m[i >> 5] |= 1 << (i & 31);
  return m;
}

/** The library's draw against the reference: a token, a RangeError, or a skip near a boundary. */
function expectDraw(got: () => number, x: ArrayLike<number>, opts: ChainOptions, u: number, dtype: Dtype, label: string): void {
  const ref = refChain(x, opts, dtype, TOL[dtype]);
  if (ref.empty) {
    expect(got, label).toThrow(RangeError);
    count("nothing left");
    return;
  }
  if (ref.ambiguous) return;
  const want = ref.greedy >= 0 ? ref.greedy : refDraw(ref, u, TOL[dtype]);
  if (want === undefined) return;
  expect(got(), `${label} u=${u}`).toBe(want);
  count("draws");
}

describe("fuzz the sampling chain's penalties, masks and state against the float64 reference", () => {
  it("sample: penalties over a history and allowed masks (one for all rows, or one per row)", { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(
        rowArb,
        penaltyArb,
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.constantFrom(undefined, undefined, 1, 0.5, 0.5, 0.05, 0),
        fc.boolean(),
        fc.integer({ min: 1, max: 3 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (s, pen, hist, density, perRow, rows, u) => {
          const x = buildRow(s, rows);
          const history = hist.map((t) => t % s.k);
          const masks = density === undefined ? undefined : Array.from({ length: perRow ? rows : 1 }, (_, r) => maskOf(s.k, s.seed + r, density));
          const allowed = masks && (perRow && rows > 1 ? Uint32Array.from(masks.flatMap((m) => Array.from(m))) : masks[0]);
          for (const [name, sm] of backends) {
            const label = `${name} ${s.dtype} k=${s.k} rows=${rows} ${JSON.stringify(pen)} history=${history} density=${density} perRow=${perRow}`;
            const opts = { ...pen, history, ...(allowed ? { allowed } : {}) };
            let tokens: Int32Array | undefined;
            let error: unknown;
            try {
              tokens = sm.sample(x, { ...opts, rowLength: s.k, random: () => u }) as Int32Array;
            } catch (e) {
              error = e;
            }
            const refs = Array.from({ length: rows }, (_, r) => {
              const row = x.subarray(r * s.k, (r + 1) * s.k);
              const chain = { ...opts, allowed: masks?.[perRow && rows > 1 ? r : 0] };
              return { row, chain, ref: refChain(row, chain, s.dtype, TOL[s.dtype]) };
            });
            // A row with nothing left, or whose penalties overflow to Infinity - Infinity
            // (NaN), makes the call a RangeError.
            if (refs.some(({ ref }) => ref.empty || ref.logits.some(Number.isNaN))) {
              expect(error, `${label}: nothing left or NaN`).toBeInstanceOf(RangeError);
              count("nothing left");
            } else {
              expect(error, label).toBeUndefined();
              refs.forEach(({ row, chain }, r) => expectDraw(() => (tokens as Int32Array)[r], row, chain, u, s.dtype, `${label} row ${r}`));
            }
            // The logits are never written (the penalties and the mask work on a copy).
            expect(Array.from(x), label).toEqual(Array.from(buildRow(s, rows)));
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("sampler: accept, sample, reset and clone against a model of the history window and the seeded generator", { timeout: 120_000 }, () => {
    const op = fc.oneof(
      { arbitrary: fc.record({ op: fc.constant("sample" as const), row: fc.nat(3) }), weight: 5 },
      { arbitrary: fc.record({ op: fc.constant("accept" as const), tokens: fc.array(fc.nat(), { maxLength: 5 }) }), weight: 2 },
      { arbitrary: fc.record({ op: fc.constant("reset" as const) }), weight: 1 },
      { arbitrary: fc.record({ op: fc.constant("clone" as const) }), weight: 1 },
    );
    fc.assert(
      fc.property(rowArb, penaltyArb, fc.constantFrom(0, 1, 3, 64, Infinity), fc.integer({ min: 0, max: 2 ** 40 }), fc.array(op, { minLength: 1, maxLength: 12 }), fc.boolean(), (s, pen, window, seed, ops, masked) => {
        const rows = Array.from({ length: 4 }, (_, r) => buildRow({ ...s, seed: s.seed + r }));
        const allowed = masked ? maskOf(s.k, s.seed, 0.7) : undefined;
        const opts = { ...pen, penaltyWindow: window, seed, ...(allowed ? { allowed } : {}) };
        for (const [name, sm] of backends) {
          const label = `${name} ${s.dtype} k=${s.k} ${JSON.stringify({ ...opts, allowed: undefined })}`;
          let sampler = sm.sampler(opts);
          // The model: the history the penalties see, and the generator (one uniform per non-greedy draw).
          let history: number[] = [];
          let gen = refPcg32(seed);
          const remember = (ts: number[]) => {
            history.push(...ts);
            if (history.length > window) history = history.slice(history.length - window);
          };
          for (const o of ops) {
            if (o.op === "accept") {
              const ts = o.tokens.map((t) => t % s.k);
              sampler.accept(ts);
              remember(ts);
            } else if (o.op === "reset") {
              sampler.reset();
              history = [];
              gen = refPcg32(seed);
            } else if (o.op === "clone") {
              // Continue on the copy: same history and generator state, independent of the original.
              const copy = sampler.clone();
              sampler.accept([0]);
              sampler = copy;
            } else {
              const x = rows[o.row];
              const chain = { ...pen, history: history.slice(), allowed };
              const ref = refChain(x, chain, s.dtype, TOL[s.dtype]);
              if (ref.empty || ref.logits.some(Number.isNaN)) {
                expect(() => sampler.sample(x), label).toThrow(RangeError);
                count("sampler nothing left");
                continue; // a failed draw advances nothing
              }
              // The uniform this draw takes (a clone of the model's generator: advanced only by a non-greedy draw).
              const u = ref.greedy >= 0 ? NaN : gen.uniform();
              const token = sampler.sample(x);
              const want = ref.greedy >= 0 ? ref.greedy : ref.ambiguous ? undefined : refDraw(ref, u, TOL[s.dtype]);
              if (want !== undefined) expect(token, `${label} ops=${JSON.stringify(ops)} u=${u}`).toBe(want);
              remember([token]);
              count("sampler draws");
            }
            expect(sampler.history, `${label} history`).toEqual(history);
          }
        }
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });

  it("gumbelSoftmax: softmax((x - log(-log u)) / tau) and its hard one-hot, from injected uniforms", { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(
        rowArb,
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(1, 0.5, 2, 1e-3, 1e3, 5e-324, Number.MAX_VALUE),
        fc.array(fc.oneof(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.constantFrom(0, 5e-324, 1 - 2 ** -53)), { minLength: 1, maxLength: 7 }),
        (s, rows, tau, us) => {
          const x = buildRow(s, rows);
          const n = x.length;
          const u = (i: number) => us[i % us.length];
          // The perturbed logits in f64 (0 stands for 2^-53), rounded to the dtype as stored.
          const round = s.dtype === "f32" ? Math.fround : (v: number) => v;
          const z = Array.from(x, (v, i) => round(v - Math.log(-Math.log(u(i) || 2 ** -53))));
          const soft = new Float64Array(n);
          const hard = new Float64Array(n);
          for (let r = 0; r < rows; r++) {
            const row = z.slice(r * s.k, (r + 1) * s.k);
            soft.set(refRow(row, Math.min(1 / tau, Number.MAX_VALUE)).p, r * s.k);
            let best = 0;
            for (let j = 1; j < s.k; j++) if (row[j] > row[best]) best = j;
            hard[r * s.k + best] = 1;
          }
          for (const [name, sm] of backends) {
            const label = `${name} ${s.dtype} k=${s.k} rows=${rows} tau=${tau} us=${us}`;
            let call = 0;
            const y = sm.gumbelSoftmax(x, { tau, rowLength: s.k, random: () => u(call++) });
            expect(call, label).toBe(n);
            expect(probabilityMisses(y, soft, s.dtype), `soft ${label}`).toBe("");
            call = 0;
            const h = sm.gumbelSoftmax(x, { tau, hard: true, rowLength: s.k, random: () => u(call++) });
            expect(Array.from(h), `hard ${label}`).toEqual(Array.from(hard));
            count("gumbel");
          }
        },
      ),
      { seed: SEED + 2, numRuns: RUNS },
    );
  });

  it("sample: long rows (top-p's band and its histograms, min-p's block sums) with ties, masked runs, lures and weights that underflow", { timeout: 300_000 }, () => {
    // Long enough that top-p's band is sampled, checked and narrowed by histograms of the
    // weights' bits, and that a cut of the whole row is summed in many blocks (docs/sampling.md,
    // "How it stays fast"); rows built to mislead a sample of the weights, to tie across the
    // cuts, and to span more binades than the histograms have buckets.
    fc.assert(
      fc.property(
        fc.record({
          n: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 3000 }), weight: 1 }, { arbitrary: fc.integer({ min: 3001, max: 20_000 }), weight: 2 }),
          seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
          levels: fc.constantFrom(2, 7, 300, 0),
          spread: fc.constantFrom(0.3, 4, 40, 400),
          masked: fc.constantFrom(0, 0.4, 0.95),
          peak: fc.constantFrom(0, 0, 20, 1000),
          lure: fc.constantFrom(0, 0, 3, -3, -400),
        }),
        fc.record({
          temperature: fc.constantFrom(0.05, 0.8, 1, 4),
          topK: fc.constantFrom(0, 0, 0, 50, 5000),
          topP: fc.constantFrom(1, 0.3, 0.9, 0.95, 0.999),
          minP: fc.constantFrom(0, 0, 0.001, 0.05, 0.5),
          minKeep: fc.constantFrom(1, 1, 1, 4, 100),
        }),
        fc.constantFrom<Dtype | "f16">("f32", "f64", "f16"),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        ({ n, seed, levels, spread, masked, peak, lure }, opts, dtype, u) => {
          const next = random(seed);
          const values = Array.from({ length: n }, () => {
            if (next() < masked) return -Infinity;
            const v = spread * (2 * next() - 1);
            return levels ? (Math.round(((v / spread + 1) * levels) / 2) * 2 * spread) / levels - spread : v;
          });
          values[Math.floor(next() * n)] += peak;
          // The tokens a sample with a stride of 32 or 64 reads (each moving within its stride), made heavier or lighter.
          for (let j = 0; lure !== 0 && 32 * j < n; j++) values[Math.min(32 * j + (j & 31), n - 1)] += lure;
          const halves = dtype === "f16" ? values.map((v) => halfValue(nearestHalf(v))) : values;
          const exact = dtype === "f64" ? Float64Array.from(halves) : Float32Array.from(halves);
          const refDtype = dtype === "f64" ? "f64" : "f32";
          for (const [name, sm] of backends) {
            const label = `${name} ${dtype} n=${n} seed=${seed} levels=${levels} spread=${spread} masked=${masked} peak=${peak} lure=${lure} ${JSON.stringify(opts)}`;
            const half = dtype === "f16" && hasFloat16 ? f16Array(sm, Array.from(exact, nearestHalf)) : undefined;
            expectDraw(() => sm.sample(half ?? exact, { ...opts, random: () => u }) as number, exact, opts, u, refDtype, label);
            half?.free();
          }
        },
      ),
      { seed: SEED + 3, numRuns: Math.max(20, RUNS >> 1) },
    );
  });
});
