// argmax, topK, sampler and gumbelSoftmax on every backend against float64 references
// written here, and the error rules of the sampling family (RangeError naming the option and
// value, TypeError for wrong types, a call that throws changes nothing).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Kernels } from "../../dist/index.js";
import { backends } from "../support/backends.js";
// @ts-expect-error: plain JS, shared with every runtime the conformance checks run in
import { prng } from "../conformance/conformance.js";
import { refPcg32 } from "./reference.js";

type Dtype = "f32" | "f64";
const make = (dtype: Dtype, values: ArrayLike<number>) => (dtype === "f32" ? Float32Array.from(values) : Float64Array.from(values));

/** Expects fn to throw a RangeError whose message holds every word. */
function expectRange(fn: () => unknown, ...words: string[]): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(RangeError);
  for (const word of words) expect(String((error as Error).message)).toContain(word);
}

/** Index order of a row for topK: NaN first, then values descending, equal values by lower index. */
function refOrder(row: ArrayLike<number>): number[] {
  const key = (v: number) => (Number.isNaN(v) ? Infinity : v);
  return Array.from({ length: row.length }, (_, i) => i).sort((a, b) => {
    const [va, vb] = [row[a], row[b]];
    if (Number.isNaN(va) !== Number.isNaN(vb)) return Number.isNaN(va) ? -1 : 1;
    return key(vb) > key(va) ? 1 : key(vb) < key(va) ? -1 : a - b;
  });
}

/** softmax of one row in float64 with the special values of docs/core.md (no NaN here). */
function refSoftmax(z: number[]): number[] {
  const c = Math.max(...z);
  if (c === -Infinity) return z.map(() => 0);
  if (c === Infinity) {
    const k = z.filter((v) => v === Infinity).length;
    return z.map((v) => (v === Infinity ? 1 / k : 0));
  }
  const e = z.map((v) => Math.exp(v - c));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

const values = fc.constantFrom(NaN, -Infinity, Infinity, -2, -1, 0, 0, 1, 1, 3, 7.5);

describe.each(backends)("argmax and topK on %s", (_, k) => {
  it("argmax: first maximum, NaN counts as the maximum, per row with rowLength", () => {
    fc.assert(
      fc.property(fc.array(values, { minLength: 1, maxLength: 70 }), fc.constantFrom("f32" as const, "f64" as const), (row, dtype) => {
        const x = make(dtype, row);
        expect(k.argmax(x)).toBe(refOrder(row)[0]);
        expect(k.argmax(row)).toBe(refOrder(row)[0]);
      }),
      { seed: 11, numRuns: 300 },
    );
    const x = make("f32", [1, 5, 5, 2, NaN, 0, NaN, 3, -Infinity, -Infinity, -Infinity, -Infinity]);
    const rows = k.argmax(x, { rowLength: 4 });
    expect(rows).toBeInstanceOf(Int32Array);
    expect(Array.from(rows)).toEqual([1, 0, 0]);
    const long = new Float32Array(100003).fill(-1);
    long[77777] = 2;
    long[99999] = 2;
    expect(k.argmax(long)).toBe(77777);
  });

  it("topK: values descending, ties by lower index, NaN above +Infinity, per row", () => {
    fc.assert(
      fc.property(
        fc.array(values, { minLength: 1, maxLength: 60 }),
        fc.nat(60),
        fc.constantFrom("f32" as const, "f64" as const),
        (row, kk, dtype) => {
          const count = Math.min(kk, row.length);
          const x = make(dtype, row);
          const { values: v, indices } = k.topK(x, count);
          const want = refOrder(row).slice(0, count);
          expect(Array.from(indices)).toEqual(want);
          expect(v).toBeInstanceOf(dtype === "f32" ? Float32Array : Float64Array);
          expect(Array.from(v)).toEqual(want.map((i) => x[i]));
        },
      ),
      { seed: 12, numRuns: 300 },
    );
    // Long rows go through the threshold-raising kernel: ascending, descending, all equal, random.
    const n = 50000;
    const next = prng(3);
    const rows: [string, Float64Array][] = [
      ["ascending", Float64Array.from({ length: n }, (_, i) => i)],
      ["descending", Float64Array.from({ length: n }, (_, i) => -i)],
      ["all equal", new Float64Array(n).fill(2)],
      ["random grid", Float64Array.from({ length: n }, () => Math.round(next() * 200))],
    ];
    for (const [label, row] of rows) {
      for (const count of [1, 7, 100, 3000]) {
        for (const dtype of ["f32", "f64"] as const) {
          const { indices } = k.topK(make(dtype, row), count);
          expect(Array.from(indices), `${label} k=${count}`).toEqual(refOrder(row).slice(0, count));
        }
      }
    }
    // Rows with a sample (wasm: the k largest of the sample's levels bound the row's from below):
    // lengths from one block to several levels, values with ties, +-0, masks, infinities and a NaN
    // (the kernel's loop takes a row with one), k from 1 to a quarter of the sample and beyond.
    const shapes: Record<string, (next: () => number, i: number) => number> = {
      normal: (next) => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
      grid: (next) => Math.round(next() * 50),
      zeros: (next) => (next() < 0.5 ? 0 : -0) + (next() < 0.01 ? 1 : 0),
      masked: (next, i) => ((i >> 6) % 3 === 0 ? -Infinity : next()),
      "mostly masked": (next) => (next() < 0.995 ? -Infinity : next()),
      infinities: (next) => (next() < 0.002 ? Infinity : next() < 0.002 ? -Infinity : next()),
      "one NaN": (next, i) => (i === 777 ? NaN : next()),
      ascending: (_, i) => i,
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 64, max: 40000 }),
        fc.constantFrom(...Object.keys(shapes)),
        fc.constantFrom(1, 2, 7, 50, 300, 1200),
        fc.constantFrom("f32" as const, "f64" as const),
        fc.integer({ min: 1, max: 1e6 }),
        (n, shape, kk, dtype, seed) => {
          const next = prng(seed);
          const row = Float64Array.from({ length: n }, (_, i) => shapes[shape](next, i));
          const count = Math.min(kk, n);
          const x = make(dtype, Array.from(row));
          const { values: v, indices } = k.topK(x, count);
          const want = refOrder(x).slice(0, count);
          expect(Array.from(indices), `${shape} n=${n} k=${count}`).toEqual(want);
          expect(Array.from(v)).toEqual(want.map((i) => x[i]));
        },
      ),
      { seed: 13, numRuns: 60 },
    );
    const batch = make("f64", [3, 1, 2, 9, 9, 0]);
    const { values: bv, indices: bi } = k.topK(batch, 2, { rowLength: 3 });
    expect(Array.from(bi)).toEqual([0, 2, 0, 1]);
    expect(Array.from(bv)).toEqual([3, 2, 9, 9]);
    expect(k.topK(batch, 0).indices.length).toBe(0);
  });
});

describe.each(backends)("sampler on %s", (_, k) => {
  it("records its draws, advances its generator, reset and clone", () => {
    const x = make("f32", Array.from({ length: 50 }, (_, i) => Math.sin(i) * 3));
    const s = k.sampler({ seed: 9, temperature: 0.9, topP: 0.95 });
    const first = [s.sample(x), s.sample(x), s.sample(x)];
    expect(s.history).toEqual(first);
    // The same tokens as sample() with the uniforms the seed's PCG32 stream gives in order.
    const gen = refPcg32(9);
    const viaSample = first.map(() => k.sample(x, { temperature: 0.9, topP: 0.95, random: () => gen.uniform() }));
    expect(viaSample).toEqual(first);
    const copy = s.clone();
    const next = [s.sample(x), s.sample(x)];
    expect([copy.sample(x), copy.sample(x)]).toEqual(next);
    expect(copy.history).toEqual([...first, ...next]);
    s.reset();
    expect(s.history).toEqual([]);
    expect([s.sample(x), s.sample(x), s.sample(x)]).toEqual(first);
  });

  it("penalizes its history within the window; accept adds prompt tokens", () => {
    const x = make("f64", [5, 4.9, 4.8, 0]);
    // Greedy with a strong repetition penalty cycles through the top tokens.
    const s = k.sampler({ temperature: 0, repetitionPenalty: 2, penaltyWindow: 2 });
    expect([s.sample(x), s.sample(x), s.sample(x), s.sample(x)]).toEqual([0, 1, 2, 0]);
    expect(s.history).toEqual([2, 0]); // only the window is kept
    const p = k.sampler({ temperature: 0, presencePenalty: 10 }).accept([0, 1]).accept(2);
    expect(p.sample(x)).toBe(3);
    const unlimited = k.sampler({ temperature: 0, frequencyPenalty: 0.06, penaltyWindow: Infinity });
    unlimited.accept(new Int32Array(100)); // 100 zeros: 5 - 6 < 4.9
    expect(unlimited.sample(x)).toBe(1);
    const none = k.sampler({ temperature: 0, repetitionPenalty: 2, penaltyWindow: 0 });
    expect([none.sample(x), none.sample(x)]).toEqual([0, 0]);
  });

  it("penalized f32 logits are rounded to f32 before they are compared", () => {
    // Each row holds a logit x and, unpenalized, fround(x / 1.1): penalized x ties with it
    // only once rounded to f32, and a tie goes to the lower index. Unrounded, x / 1.1 lies
    // above fround(x / 1.1) for x = fround(2.3) and below it for x = fround(3.7).
    for (const x0 of [2.3, 3.7]) {
      const x = Math.fround(x0);
      const penalized = Math.fround(x / 1.1);
      expect(x / 1.1, `x = ${x}`).not.toBe(penalized);
      for (const [row, at] of [[[penalized, x, 0], 1], [[x, penalized, 0], 0]] as const) {
        const s = k.sampler({ temperature: 0, repetitionPenalty: 1.1 }).accept(at);
        expect(s.sample(make("f32", row)), `row ${row}, history [${at}]`).toBe(0);
        expect(k.sample(make("f32", row), { temperature: 0, repetitionPenalty: 1.1, history: [at] })).toBe(0);
      }
    }
  });

  it("the penalties see the whole history by default (as Hugging Face); penaltyWindow 64 keeps llama.cpp's", () => {
    // Token 0 leads by 1.9 and was seen once, 100 tokens ago; presence 2 puts it below token 1.
    const x = make("f64", [5, 3.1, 0, 0]);
    const history = [0, ...new Array(99).fill(2)];
    const whole = k.sampler({ temperature: 0, presencePenalty: 2 }).accept(history);
    expect(whole.history).toEqual(history);
    expect(whole.sample(x)).toBe(1);
    const recent = k.sampler({ temperature: 0, presencePenalty: 2, penaltyWindow: 64 }).accept(history);
    expect(recent.history).toEqual(history.slice(-64));
    expect(recent.sample(x)).toBe(0);
    // Every token of a 100-token history counts: a frequency penalty sees all 100.
    const counts = k.sampler({ temperature: 0, frequencyPenalty: 0.02 }).accept(new Array(100).fill(0));
    expect(counts.sample(make("f64", [5, 3.01]))).toBe(1); // 5 - 100 * 0.02 = 3 < 3.01
    expect(k.sampler({ temperature: 0, frequencyPenalty: 0.02, penaltyWindow: 64 }).accept(new Array(100).fill(0)).sample(make("f64", [5, 3.01]))).toBe(0);
  });

  it("property: a sampler's penalties are those of sample() with its window of the history", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 12 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(0, 1, 3, 8, Infinity),
        fc.integer({ min: 1, max: 1000 }),
        (batches, window, seed) => {
          const next = prng(seed);
          const x = make("f64", Array.from({ length: 16 }, () => next() * 4));
          const opts = { temperature: 0, repetitionPenalty: 1.3, frequencyPenalty: 0.2, presencePenalty: 0.1 };
          const s = k.sampler({ ...opts, penaltyWindow: window });
          const all: number[] = [];
          for (const batch of batches) {
            s.accept(batch);
            all.push(...batch);
            const seen = window === 0 ? [] : all.slice(-window);
            expect(s.history).toEqual(seen);
            const want = k.sample(x, { ...opts, history: seen });
            const clone = s.clone();
            expect(clone.sample(x)).toBe(want);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("history as transformers.js keeps input_ids: BigInt64Array and bigint[], for sample, sampler and accept", () => {
    const x = make("f32", Array.from({ length: 40 }, (_, i) => Math.cos(i) * 2));
    const ids = [3, 3, 17, 0, 39, 12];
    const opts = { temperature: 0.7, repetitionPenalty: 1.8, frequencyPenalty: 0.3, presencePenalty: 0.2 };
    for (let j = 0; j < 20; j++) {
      const random = () => (j + 0.5) / 20;
      const want = k.sample(x, { ...opts, history: ids, random });
      expect(k.sample(x, { ...opts, history: BigInt64Array.from(ids.map(BigInt)), random })).toBe(want);
      expect(k.sample(x, { ...opts, history: ids.map(BigInt), random })).toBe(want);
      expect(k.sample(x, { ...opts, history: BigUint64Array.from(ids.map(BigInt)), random })).toBe(want);
    }
    const plain = k.sampler({ ...opts, seed: 4 }).accept(ids);
    const big = k.sampler({ ...opts, seed: 4 }).accept(BigInt64Array.from(ids.map(BigInt)));
    const list = k.sampler({ ...opts, seed: 4 }).accept(ids.slice(0, 5).map(BigInt)).accept(BigInt(ids[5]));
    expect(big.history).toEqual(ids);
    expect(list.history).toEqual(ids);
    for (let j = 0; j < 10; j++) {
      const t = plain.sample(x);
      expect(big.sample(x)).toBe(t);
      expect(list.sample(x)).toBe(t);
    }
    // Out of range and negative bigints: RangeError naming the entry.
    expectRange(() => k.sample(x, { ...opts, history: [1n, 40n] }), "history[1]", "40");
    expectRange(() => k.sample(x, { history: BigInt64Array.of(-1n) }), "history[0]", "-1n");
    expectRange(() => k.sampler().accept([2n ** 60n]), "tokens[0]");
    expect(() => k.sample(x, { history: [1n, 2] as never })).not.toThrow();
  });

  it("allowed: in the options or per call", () => {
    const x = make("f32", [1, 2, 3, 4]);
    const s = k.sampler({ allowed: Uint32Array.of(0b0011), temperature: 0 });
    expect(s.sample(x)).toBe(1);
    expect(s.sample(x, { allowed: Uint32Array.of(0b0101) })).toBe(2);
  });

  it("allowed: a longer mask is one for every row (bits past K ignored), rows * ceil(K/32) words one per row", () => {
    // Two rows of 35 tokens: ceil(35/32) = 2 words per row.
    const x = make("f32", Array.from({ length: 70 }, (_, i) => i % 5));
    const padded = new Uint32Array(8).fill(0xffff0000); // a mask sized for a padded vocabulary
    padded[0] = 1 << 4; // token 4
    padded[1] = (1 << 2) | (1 << 9) | 0xffff0000; // token 34; bits 9 and up are tokens past K
    const drawn = new Set<number>();
    for (let seed = 0; seed < 40; seed++) for (const t of k.sample(x, { rowLength: 35, allowed: padded, seed })) drawn.add(t);
    expect([...drawn].sort((a, b) => a - b)).toEqual([4, 34]);
    expect(k.sampler({ temperature: 0 }).sample(x.subarray(0, 35), { allowed: padded })).toBe(4);
    const perRow = Uint32Array.of(1 << 4, 0, 0, 1 << 1); // row 0: token 4; row 1: token 33
    expect(Array.from(k.sample(x, { rowLength: 35, allowed: perRow, seed: 1 }))).toEqual([4, 33]);
    expect(() => k.sample(x, { rowLength: 35, allowed: Uint32Array.of(~0) })).toThrow(RangeError);
  });

  it("a draw that throws changes neither history nor generator", () => {
    const x = make("f32", [0, 1, 2, 3]);
    const s = k.sampler({ seed: 4 });
    const twin = k.sampler({ seed: 4 });
    expect(() => s.sample(make("f32", [0, NaN, 1, 2]))).toThrow(RangeError);
    expect(() => s.sample(x, { allowed: Uint32Array.of(0) })).toThrow(RangeError);
    expect(() => s.sample(x, { allowed: new Uint32Array(0) })).toThrow(RangeError);
    expect(s.history).toEqual([]);
    expect([s.sample(x), s.sample(x), s.sample(x)]).toEqual([twin.sample(x), twin.sample(x), twin.sample(x)]);
  });
});

describe.each(backends)("gumbelSoftmax on %s", (_, k) => {
  for (const dtype of ["f32", "f64"] as const) {
    it(`${dtype}: softmax((x + g) / tau) with g = -log(-log u), rows, out, hard`, () => {
      const tol = dtype === "f32" ? { rel: 2e-6, abs: 1e-9 } : { rel: 5e-14, abs: 1e-18 };
      const n = 24;
      const x = make(dtype, Array.from({ length: n }, (_, i) => (i % 5) - 2 + (i === 7 ? -Infinity : 0)));
      for (const tau of [1, 0.5, 3]) {
        const gen = prng(tau * 10);
        const us = Array.from({ length: n }, () => gen());
        let call = 0;
        const y = k.gumbelSoftmax(x, { tau, rowLength: 8, random: () => us[call++] });
        expect(y).toBeInstanceOf(dtype === "f32" ? Float32Array : Float64Array);
        for (let r = 0; r < 3; r++) {
          // The library rounds x + g to the dtype before scaling by 1/tau: so does the reference.
          const round = dtype === "f32" ? Math.fround : (v: number) => v;
          const z = Array.from({ length: 8 }, (_, j) => round(x[r * 8 + j] - Math.log(-Math.log(us[r * 8 + j]))) / tau);
          const want = refSoftmax(z);
          for (let j = 0; j < 8; j++) expect(Math.abs(y[r * 8 + j] - want[j])).toBeLessThanOrEqual(tol.rel * want[j] + tol.abs);
        }
        call = 0;
        const hard = k.gumbelSoftmax(x, { tau, rowLength: 8, hard: true, random: () => us[call++] });
        for (let r = 0; r < 3; r++) {
          const row = Array.from(y.subarray(r * 8, r * 8 + 8));
          const best = row.indexOf(Math.max(...row));
          expect(Array.from(hard.subarray(r * 8, r * 8 + 8))).toEqual(row.map((_, j) => (j === best ? 1 : 0)));
        }
      }
      // out (in place too), and u = 0 never gives log(0).
      const out = dtype === "f32" ? new Float32Array(n) : new Float64Array(n);
      expect(k.gumbelSoftmax(x, { out, seed: 1 })).toBe(out);
      const inPlace = x.slice();
      k.gumbelSoftmax(inPlace, { out: inPlace, seed: 1 });
      expect(Array.from(inPlace)).toEqual(Array.from(out));
      const zero = k.gumbelSoftmax(make(dtype, [1, 2, 3]), { random: () => 0 });
      expect(Array.from(zero).every(Number.isFinite)).toBe(true);
      expect(Math.abs(zero.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
    });
  }

  it("a seed draws the same noise on every backend (PCG32, one uniform per element)", () => {
    const x = make("f64", [0.5, -1, 2, 0, 1]);
    const gen = refPcg32(77);
    const want = refSoftmax(Array.from(x, (v) => v - Math.log(-Math.log(gen.uniform()))));
    const y = k.gumbelSoftmax(x, { seed: 77 });
    for (let j = 0; j < 5; j++) expect(Math.abs(y[j] - want[j])).toBeLessThanOrEqual(5e-14 * want[j] + 1e-18);
  });
});

describe.each(backends)("sampling errors on %s", (_, k) => {
  const x = () => Float32Array.from([1, 2, 3, 4, 5, 6]);


  it("out-of-range options: RangeError naming the option and value", () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ temperature: -1 }, ["temperature", "-1"]],
      [{ temperature: NaN }, ["temperature", "NaN"]],
      [{ temperature: Infinity }, ["temperature", "Infinity"]],
      [{ topK: -1 }, ["topK", "-1"]],
      [{ topK: 2.5 }, ["topK", "2.5"]],
      [{ topP: 0 }, ["topP", "0"]],
      [{ topP: 1.5 }, ["topP", "1.5"]],
      [{ topP: NaN }, ["topP", "NaN"]],
      [{ minP: 1 }, ["minP", "1"]],
      [{ minP: -0.1 }, ["minP", "-0.1"]],
      [{ minKeep: 0 }, ["minKeep", "0"]],
      [{ repetitionPenalty: 0 }, ["repetitionPenalty", "0"]],
      [{ frequencyPenalty: Infinity }, ["frequencyPenalty", "Infinity"]],
      [{ presencePenalty: NaN }, ["presencePenalty", "NaN"]],
      [{ seed: 1.5 }, ["seed", "1.5"]],
      [{ seed: 2 ** 60 }, ["seed"]],
      [{ rowLength: 4 }, ["rowLength", "4"]],
      [{ allowed: new Uint32Array(0) }, ["allowed", "0"]],
      [{ history: [1, 7], repetitionPenalty: 2 }, ["history[1]", "7"]],
      [{ history: [-1] }, ["history[0]", "-1"]],
      [{ random: () => 1 }, ["random", "1"]],
      [{ random: () => -0.5 }, ["random", "-0.5"]],
    ];
    for (const [opts, words] of cases) expectRange(() => k.sample(x(), opts), ...words);
    expectRange(() => k.sampler({ penaltyWindow: -1 }), "penaltyWindow", "-1");
    expectRange(() => k.gumbelSoftmax(x(), { tau: 0 }), "tau", "0");
    expectRange(() => k.gumbelSoftmax(x(), { out: new Float32Array(5) }), "out", "5");
    expectRange(() => k.topK(x(), 7), "k", "7");
    expectRange(() => k.topK(x(), -1), "k", "-1");
    expectRange(() => k.argmax(new Float32Array(0)), "empty");
    expectRange(() => k.argmax(x(), { rowLength: 4 }), "rowLength", "4");
  });

  it("NaN logits and nothing left to draw: RangeError", () => {
    expectRange(() => k.sample(Float32Array.from([1, NaN, 2])), "NaN", "1");
    expectRange(() => k.sample(Float64Array.from([1, 2, 3, NaN]), { rowLength: 2 }), "NaN", "row 1");
    expectRange(() => k.sample(Float32Array.from([-Infinity, -Infinity])), "nothing left to draw");
    expectRange(() => k.sample(x(), { allowed: Uint32Array.of(0) }), "nothing left to draw");
    expectRange(() => k.sample(x(), { allowed: Uint32Array.of(0), temperature: 0 }), "nothing left to draw");
    expectRange(() => k.sample(new Float32Array(0)), "empty");
  });

  it("wrong types: TypeError", () => {
    const bad: Record<string, unknown>[] = [
      { temperature: "1" },
      { topK: "5" },
      { allowed: [1, 2] },
      { allowed: new Int32Array(1) },
      { history: "abc" },
      { history: [1, "2"] },
      { history: new Float32Array(2) },
      { random: 0.5 },
      { seed: "1" },
      { seed: 1, random: Math.random },
      { unknown: 1 },
    ];
    for (const opts of bad) expect(() => k.sample(x(), opts), JSON.stringify(opts)).toThrow(TypeError);
    expect(() => k.sample("abc" as never)).toThrow(TypeError);
    expect(() => k.sample([1, "a"] as never)).toThrow(TypeError);
    expect(() => k.topK(x(), "2" as never)).toThrow(TypeError);
    expect(() => k.gumbelSoftmax(x(), { hard: 1 } as never)).toThrow(TypeError);
    expect(() => k.gumbelSoftmax(x(), { out: new Float64Array(6) } as never)).toThrow(TypeError);
    expect(() => k.sampler({ rowLength: 3 } as never)).toThrow(TypeError);
    expect(() => k.sampler().sample(x(), { temperature: 1 } as never)).toThrow(TypeError);
    expect(() => k.sampler().accept([0.5])).toThrow(RangeError);
  });

  it("a call that throws changes neither x nor out, and the instance keeps working", () => {
    const logits = x();
    const before = Array.from(logits);
    const mask = Uint32Array.of(0);
    for (const opts of [{ allowed: mask, history: [0, 1], repetitionPenalty: 3 }, { topP: 2 }, { random: () => 5 }]) {
      expect(() => k.sample(logits, opts)).toThrow(RangeError);
      expect(Array.from(logits)).toEqual(before);
    }
    const out = new Float32Array(6).fill(-7);
    let calls = 0;
    expect(() =>
      k.gumbelSoftmax(logits, {
        out,
        random: () => {
          if (++calls === 4) throw new Error("source failed");
          return 0.5;
        },
      }),
    ).toThrow("source failed");
    expect(Array.from(out)).toEqual(new Array(6).fill(-7));
    expect(() => k.gumbelSoftmax(logits, { out: logits, random: () => 2 })).toThrow(RangeError);
    expect(Array.from(logits)).toEqual(before);
    expect(k.sample(logits, { temperature: 0 })).toBe(5);
    const wasmArray = k.alloc(6);
    wasmArray.array.set(logits);
    expect(k.sample(wasmArray, { temperature: 0, history: [5], repetitionPenalty: 10 })).toBe(4);
    expect(Array.from(wasmArray.array)).toEqual(before);
    wasmArray.free();
  });
});
