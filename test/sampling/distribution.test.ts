// distribution(): the probabilities sample() draws from, on every backend, against the float64
// reference of the whole chain (test/sampling/reference.ts): kept tokens' probabilities within
// the softmax tolerance, exact 0 for the rest, rows summing to 1; and seeded sample() draws the
// token the inverse CDF of distribution() gives (index order) for the seed's uniform.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Kernels } from "../../dist/index.js";
import { backends } from "../support/backends.js";
// @ts-expect-error: plain JS, shared with every runtime the conformance checks run in
import { prng } from "../conformance/conformance.js";
import { type ChainOptions, type Dtype, refChain, refPcg32 } from "./reference.js";
import { STRIDE } from "../../dist/sampling/layout.js";

/** How close to a boundary a filter decision may be before rounding may decide it either way. */
const TOL: Record<Dtype, number> = { f32: 1e-5, f64: 1e-12 };
/** Probabilities against the reference: the softmax accuracy (s = 1 for probabilities). */
const PROB: Record<Dtype, number> = { f32: 2e-6, f64: 1e-13 };

const make = (dtype: Dtype, values: ArrayLike<number>) => (dtype === "f32" ? Float32Array.from(values) : Float64Array.from(values));

function logits(dtype: Dtype, n: number, seed: number, spread: number, grid: boolean): Float32Array | Float64Array {
  const next = prng(seed);
  return make(
    dtype,
    Array.from({ length: n }, () => {
      const v = (2 * next() - 1) * spread;
      return grid ? Math.round(v * 8) / 8 : v;
    }),
  );
}

/** The value `steps` representable values of the dtype above v (below for negative steps); v finite and nonzero. */
function stepsFrom(v: number, steps: number, dtype: Dtype): number {
  if (dtype === "f32") {
    const bits = new Int32Array(Float32Array.of(v).buffer);
    bits[0] += v > 0 ? steps : -steps;
    return new Float32Array(bits.buffer)[0];
  }
  const bits = new BigInt64Array(Float64Array.of(v).buffer);
  bits[0] += BigInt(v > 0 ? steps : -steps);
  return new Float64Array(bits.buffer)[0];
}

/** Checks one row of distribution() against the reference; false when the reference is ambiguous. */
function expectRow(y: ArrayLike<number>, x: ArrayLike<number>, opts: ChainOptions, dtype: Dtype, label: string): boolean {
  const ref = refChain(x, opts, dtype, TOL[dtype]);
  if (ref.ambiguous) return false;
  const want = new Float64Array(x.length);
  if (ref.greedy >= 0) want[ref.greedy] = 1;
  else ref.kept.forEach((i, j) => (want[i] = ref.p[j]));
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    sum += y[i];
    if (want[i] === 0 && y[i] !== 0) throw new Error(`${label}: token ${i} is not kept but has probability ${y[i]}`);
    if (!(Math.abs(y[i] - want[i]) <= PROB[dtype])) throw new Error(`${label}: token ${i} has ${y[i]}, the reference ${want[i]}`);
  }
  expect(Math.abs(sum - 1), label).toBeLessThanOrEqual(dtype === "f32" ? 1e-5 : 1e-12);
  return true;
}

/** The token the inverse CDF of y (index order) gives for u; undefined within tol of a step. */
function inverseCdf(y: ArrayLike<number>, u: number, tol: number): number | undefined {
  let total = 0;
  for (let i = 0; i < y.length; i++) total += y[i];
  let acc = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] === 0) continue;
    const next = acc + y[i] / total;
    if (Math.abs(next - u) <= tol || Math.abs(acc - u) <= tol) return undefined;
    if (next > u) return i;
    acc = next;
  }
  return undefined;
}

const FILTERS: ChainOptions[] = [
  {},
  { temperature: 0.5 },
  { temperature: 3 },
  { topK: 1 },
  { topK: 40 },
  { topP: 0.3 },
  { topP: 0.9 },
  { topP: 0.999 },
  { minP: 0.05 },
  { topK: 20, topP: 0.8 },
  { topP: 0.8, minP: 0.1 },
  { temperature: 0.7, topK: 50, topP: 0.9, minP: 0.05 },
  { topK: 2, minKeep: 7 },
  { topP: 0.1, minKeep: 7 },
  { minP: 0.9, minKeep: 7 },
  { temperature: 0 },
];

describe.each(backends)("distribution on %s", (_, k) => {
  for (const dtype of ["f32", "f64"] as const) {
    it(`${dtype}: the reference chain's kept probabilities, 0 elsewhere, rows sum to 1`, () => {
      let checked = 0;
      for (const [n, seed] of [[1, 1], [7, 2], [300, 3], [5000, 4]]) {
        for (const grid of [true, false]) {
          const x = logits(dtype, n, seed * 7 + Number(grid), 6, grid);
          for (const opts of FILTERS) {
            const y = k.distribution(x, opts);
            expect(y).toBeInstanceOf(dtype === "f32" ? Float32Array : Float64Array);
            if (expectRow(y, x, opts, dtype, `n=${n} grid=${grid} ${JSON.stringify(opts)}`)) checked++;
          }
        }
      }
      // Only a few crossings sit within tol of a boundary (rounding may put them either side).
      expect(checked).toBeGreaterThan(0.9 * 4 * 2 * FILTERS.length);
    });

    it(`${dtype}: long flat rows (top-p over thousands of candidates), penalties and masks`, () => {
      const x = logits(dtype, 40_000, 11, 1, false);
      const history = [3, 3, 3, 10, 10, 250, 17, 3, 299, 0];
      const allowed = new Uint32Array(Math.ceil(40_000 / 32));
      const next = prng(5);
      for (let w = 0; w < allowed.length; w++) allowed[w] = Math.floor(next() * 2 ** 32);
      const sets: ChainOptions[] = [
        { topP: 0.9 },
        { temperature: 0.8, topP: 0.95 },
        { history, repetitionPenalty: 1.3, frequencyPenalty: 0.2, presencePenalty: 0.5 },
        { allowed, topP: 0.5 },
        { history, repetitionPenalty: 1.5, allowed, temperature: 0.6, topK: 30, topP: 0.9, minP: 0.02 },
        { history, repetitionPenalty: 1.5, allowed, temperature: 0 },
      ];
      // With 40,000 near-equal weights an f32 top-p crossing may sit within tol of p: skipped.
      const checked = sets.filter((opts) => expectRow(k.distribution(x, opts), x, opts, dtype, JSON.stringify(opts).slice(0, 80)));
      expect(checked.length).toBeGreaterThanOrEqual(dtype === "f32" ? 3 : sets.length);
      // The input is never written.
      expect(Array.from(x)).toEqual(Array.from(logits(dtype, 40_000, 11, 1, false)));
    });

    it(`${dtype}: a seeded sample draws the inverse CDF of the distribution (index order) at the seed's uniform`, () => {
      let checked = 0;
      for (const [n, seed] of [[50, 1], [3000, 2]]) {
        const x = logits(dtype, n, seed, 4, seed === 1);
        for (const opts of FILTERS.filter((o) => o.temperature !== 0)) {
          const y = k.distribution(x, opts);
          for (let s = 0; s < 40; s++) {
            const want = inverseCdf(y, refPcg32(s).uniform(), TOL[dtype]);
            if (want === undefined) continue;
            expect(k.sample(x, { ...opts, seed: s }), `n=${n} ${JSON.stringify(opts)} seed ${s}`).toBe(want);
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(2 * 15 * 40 * 0.9);
    });
  }

  it("property: any row and chain matches the reference", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -40, max: 40 }), { minLength: 1, maxLength: 80 }),
        fc.record({
          temperature: fc.constantFrom(0, 0.25, 1, 2),
          topK: fc.integer({ min: 0, max: 12 }),
          topP: fc.constantFrom(1, 0.95, 0.6, 0.2),
          minP: fc.constantFrom(0, 0.01, 0.3),
          minKeep: fc.integer({ min: 1, max: 4 }),
        }),
        fc.constantFrom<Dtype>("f32", "f64"),
        (ints, opts, dtype) => {
          const x = make(dtype, ints.map((v) => v / 4));
          expectRow(k.distribution(x, opts), x, opts, dtype, `${JSON.stringify(ints)} ${JSON.stringify(opts)}`);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("min-p alone keeps exactly the tokens with exp(β(x - c)) >= minP: values a step of the dtype either side of the cut, and every token of a flat row", () => {
    for (const dtype of ["f32", "f64"] as const) {
      for (const [minP, temperature] of [
        [0.05, 0.8],
        [0.3, 1],
        [0.01, 2.5],
        [0.5, 1e-3],
      ]) {
        const beta = 1 / temperature;
        const c = 3;
        const cut = make(dtype, [c + Math.log(minP) / beta])[0];
        const x = make(dtype, [c, -Infinity, -5, c - 1, ...[-3, -2, -1, 0, 1, 2, 3].map((steps) => stepsFrom(cut, steps, dtype))]);
        const label = `${dtype} minP ${minP} T ${temperature}`;
        const y = k.distribution(x, { minP, temperature });
        for (let i = 0; i < x.length; i++) expect(y[i] > 0, `${label}: token ${i} (${x[i]})`).toBe(Math.exp((x[i] - c) * beta) >= minP);
        for (let seed = 0; seed < 20; seed++) expect(y[k.sample(x, { minP, temperature, seed })], `${label} seed ${seed}`).toBeGreaterThan(0);
      }
      const flat = logits(dtype, 4096, 5, 0.5, false);
      expect(k.distribution(flat, { minP: 0.05, temperature: 0.8 }).every((p) => p > 0), `${dtype} flat row`).toBe(true);
    }
  });

  it("property: top-p on long rows with heavy ties and masked runs matches the reference", () => {
    // Long enough that the top-p cut is searched in a band of the row's weights and narrowed
    // (docs/sampling.md); few distinct values, so ties straddle every cut.
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 6000 }),
          seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
          levels: fc.constantFrom(2, 5, 40, 4000),
          masked: fc.constantFrom(0, 0.4, 0.99),
          peak: fc.boolean(),
          lure: fc.constantFrom(0, 0, 6, -6),
        }),
        fc.record({
          temperature: fc.constantFrom(0.3, 0.8, 1, 3),
          topP: fc.constantFrom(0.05, 0.5, 0.9, 0.95, 0.999),
          minP: fc.constantFrom(0, 0, 0.001, 0.2),
          minKeep: fc.constantFrom(1, 1, 1, 3, 50),
        }),
        fc.constantFrom<Dtype>("f32", "f64"),
        ({ n, seed, levels, masked, peak, lure }, opts, dtype) => {
          const next = prng(seed);
          const values = Array.from({ length: n }, () => (next() < masked ? -Infinity : (Math.floor(next() * levels) / levels) * 8 - 4));
          values[Math.floor(next() * n)] = peak ? 20 : 0;
          // lure: the tokens the band search samples (one per STRIDE, moving within its
          // stride) made heavier or lighter than the rest, so that its guess misses and is widened.
          for (let j = 0; lure !== 0 && STRIDE * j < n; j++) values[Math.min(STRIDE * j + (j & (STRIDE - 1)), n - 1)] += lure;
          const x = make(dtype, values);
          expectRow(k.distribution(x, opts), x, opts, dtype, `n ${n} seed ${seed} levels ${levels} masked ${masked} peak ${peak} lure ${lure} ${JSON.stringify(opts)}`);
        },
      ),
      { numRuns: 120 },
    );
  });

  it("a batch mixing rows with +Infinity (the kept logits' softmax) and min-p cuts (the js backend's spread), in place too", () => {
    const n = 300;
    for (const dtype of ["f32", "f64"] as Dtype[]) {
      const rows = [logits(dtype, n, 5, 4, false), logits(dtype, n, 6, 0.3, false), logits(dtype, n, 7, 4, true), logits(dtype, n, 8, 4, false)];
      rows[0][17] = rows[0][250] = Infinity;
      rows[2][100] = Infinity;
      const x = make(dtype, rows.flatMap((row) => Array.from(row)));
      for (const opts of [{ minP: 0.05 }, { temperature: 0.5, minP: 0.3 }]) {
        const inPlace = x.slice();
        for (const y of [k.distribution(x, { ...opts, rowLength: n }), k.distribution(inPlace, { ...opts, rowLength: n, out: inPlace })]) {
          rows.forEach((row, r) => expect(expectRow(y.subarray(r * n, (r + 1) * n), row, opts, dtype, `${dtype} row ${r} ${JSON.stringify(opts)}`)).toBe(true));
        }
      }
    }
  });

  it("rows of a batch, number[] input, out (in place and a WasmArray)", () => {
    const rows = 4;
    const n = 37;
    const x = logits("f32", rows * n, 3, 5, true);
    const opts = { temperature: 0.8, topK: 10, topP: 0.9 };
    const y = k.distribution(x, { ...opts, rowLength: n });
    for (let r = 0; r < rows; r++) expectRow(y.subarray(r * n, (r + 1) * n), x.subarray(r * n, (r + 1) * n), opts, "f32", `row ${r}`);
    // number[] gives Float64Array, computed in f64.
    const plain = Array.from(x.subarray(0, n));
    const y64 = k.distribution(plain, opts);
    expect(y64).toBeInstanceOf(Float64Array);
    expectRow(y64, plain, opts, "f64", "number[]");
    // In place: out is the logits.
    const inPlace = x.slice();
    expect(k.distribution(inPlace, { ...opts, rowLength: n, out: inPlace })).toBe(inPlace);
    expect(Array.from(inPlace)).toEqual(Array.from(y));
    // A WasmArray as input and out.
    const wa = k.alloc(rows * n);
    wa.array.set(x);
    const wo = k.alloc(rows * n);
    expect(k.distribution(wa, { ...opts, rowLength: n, out: wo })).toBe(wo);
    expect(Array.from(wo.array)).toEqual(Array.from(y));
    wa.free();
    wo.free();
  });

  it("+Infinity logits share equally; errors as sample's", () => {
    expect(Array.from(k.distribution(Float64Array.from([1, Infinity, -Infinity, 5, Infinity])))).toEqual([0, 0.5, 0, 0, 0.5]);
    expect(Array.from(k.distribution(Float64Array.from([1, Infinity, 5, Infinity, Infinity]), { topP: 0.5 }))).toEqual([0, 0.5, 0, 0.5, 0]);
    expect(() => k.distribution(Float32Array.from([1, NaN]))).toThrow(RangeError);
    expect(() => k.distribution(Float32Array.from([-Infinity, -Infinity]))).toThrow(/nothing left to draw/);
    expect(() => k.distribution(new Float32Array(0))).toThrow(RangeError);
    expect(() => k.distribution(Float32Array.of(1, 2), { seed: 1 } as never)).toThrow(TypeError);
    expect(() => k.distribution(Float32Array.of(1, 2), { out: new Float64Array(2) } as never)).toThrow(/out/);
    expect(() => k.distribution(Float32Array.of(1, 2), { out: new Float32Array(3) })).toThrow(RangeError);
    expect(() => k.distribution(Float32Array.of(1, 2), { topP: 0 })).toThrow(/topP/);
  });
});

describe("distribution is the same on every backend", () => {
  it("f64 rows agree to 1e-13 across backends", () => {
    const x = logits("f64", 20_000, 21, 3, false);
    const opts = { temperature: 0.9, topP: 0.95, minP: 0.001, history: [1, 2, 3], repetitionPenalty: 1.2 };
    const results = backends.map(([, k]: [string, Kernels]) => k.distribution(x, opts));
    for (const y of results.slice(1)) for (let i = 0; i < x.length; i++) expect(Math.abs(y[i] - results[0][i])).toBeLessThanOrEqual(1e-13);
  });
});
