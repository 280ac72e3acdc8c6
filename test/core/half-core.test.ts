// f16 input to the core functions (docs/core.md, "Half precision") on every backend: rows of
// arbitrary half bit patterns (normal, subnormal, ±0, ±Infinity runs, NaN) against the float64
// reference on the halves' exact values, with f32's tolerances; f16 `out` equal to the f32
// result rounded to nearest even; in place; online accumulators fed f16 chunks. Inputs as this
// backend's f16 WasmArray, another backend's, and the Uint16Array view of one (Float16Array
// inputs: test/core/half-node24.mjs).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Kernels, WasmArray } from "../../dist/index.js";
import { f32ToHalfBits } from "../../dist/core/half.js";
import { backends } from "../support/backends.js";
import { halfValue } from "./half-reference.js";
import { logMisses, probabilityMisses, refRows } from "./reference.js";

const hasFloat16 = typeof (globalThis as { Float16Array?: unknown }).Float16Array === "function";
/** A NaN's sign is not part of the contract (nor visible in a JS number): every NaN reads as one. */
const oneNaN = (h: number): number => ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0 ? 0x7e00 : h);
/** Bits of the halves in an f16 WasmArray's view (a Float16Array holds values). */
const bitsOf = (a: ArrayLike<number>): number[] => (hasFloat16 ? Array.from(a, f32ToHalfBits) : Array.from(a, oneNaN));

const NEG_INF = 0xfc00;
const POS_INF = 0x7c00;
const NAN = 0x7e00;
// Halves: mostly moderate normal values (|x| < 16), then any pattern, runs of -Infinity.
const half = fc.oneof(
  { arbitrary: fc.integer({ min: 0x3000, max: 0x4bff }).chain((h) => fc.constantFrom(h, h | 0x8000)), weight: 8 },
  { arbitrary: fc.integer({ min: 0, max: 0xffff }), weight: 1 },
  { arbitrary: fc.constantFrom(NEG_INF, 0x0001, 0x8001, 0x0000, 0x8000, 0x7bff, 0xfbff), weight: 1 },
);
const rowLength = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(8, 16, 32, 2047, 2048, 2049, 8192, 8193));
const special = fc.option(fc.constantFrom(NEG_INF, POS_INF, NAN), { nil: undefined, freq: 4 });
const call = fc.record({
  k: rowLength,
  rows: fc.integer({ min: 1, max: 4 }),
  seed: fc.array(half, { minLength: 1, maxLength: 64 }),
  maskedRun: fc.integer({ min: 0, max: 3000 }),
  special,
  beta: fc.oneof(fc.constant(1), fc.double({ min: -8, max: 8, noNaN: true }), fc.constantFrom(0, 1e30, -1e-40)),
});

/** A batch of `rows` rows of k halves from the generated pieces (a -Infinity run, maybe one special). */
function halvesOf(c: { k: number; rows: number; seed: number[]; maskedRun: number; special?: number }): Uint16Array {
  const n = c.k * c.rows;
  const bits = Uint16Array.from({ length: n }, (_, i) => c.seed[(i * 7 + (i >> 3)) % c.seed.length]);
  bits.fill(NEG_INF, Math.floor(n / 3), Math.min(n, Math.floor(n / 3) + c.maskedRun));
  if (c.special !== undefined) bits[(c.seed[0] * 31) % n] = c.special;
  return bits;
}

/** An f16 WasmArray of `owner` holding the bits. */
function f16Array(owner: Kernels, bits: Uint16Array): WasmArray<"f16"> {
  const a = owner.alloc(bits.length, "f16");
  if (hasFloat16) a.array.set(Array.from(bits, halfValue));
  else (a.array as Uint16Array).set(bits);
  return a;
}

describe.each(backends)("%s: f16 input", (_name, sm) => {
  const foreign = sm.backend === "js" ? backends[0][1] : backends[3][1];

  it("softmax, logSoftmax and logSumExp of halves meet f32's accuracy on their exact values", () => {
    fc.assert(
      fc.property(call, fc.constantFrom("own", "foreign", "view"), (c, source) => {
        const bits = halvesOf(c);
        const values = Array.from(bits, halfValue);
        const ref = refRows(values, c.beta, c.k);
        const owned = f16Array(source === "foreign" ? foreign : sm, bits);
        // A view is read again for each call: a call may grow the memory and detach older views.
        const x = () => (source === "view" ? (owned.array as never) : owned);
        const opts = { beta: c.beta, rowLength: c.k };
        const p = sm.softmax(x(), opts);
        expect(p).toBeInstanceOf(Float32Array);
        expect(probabilityMisses(p, ref.p, "f32")).toBe("");
        const logp = sm.logSoftmax(x(), opts);
        expect(logMisses(logp, ref.logp, "f32")).toBe("");
        const lse = sm.logSumExp(x(), opts);
        expect(logMisses(lse, ref.lse, "f32")).toBe("");
        if (c.rows === 1) expect(logMisses([sm.logSumExp(x(), { beta: c.beta })], [ref.lse[0]], "f32")).toBe("");
        owned.free();
      }),
      { seed: 20261204, numRuns: 60 },
    );
  });

  it("rounds to nearest even into an f16 out, also in place", () => {
    fc.assert(
      fc.property(call, (c) => {
        const bits = halvesOf(c);
        const x = f16Array(sm, bits);
        const opts = { beta: c.beta, rowLength: c.k };
        for (const fn of ["softmax", "logSoftmax"] as const) {
          const wide = sm[fn](x, opts);
          const want = Array.from(wide, (v) => f32ToHalfBits(v));
          const out = sm.alloc(bits.length, "f16");
          expect(sm[fn](x, { ...opts, out })).toBe(out);
          expect(bitsOf(out.array)).toEqual(want);
          const plain = sm.alloc(bits.length, "f16").array; // a view: copied out, not in place
          sm[fn](x, { ...opts, out: plain as never });
          expect(bitsOf(plain)).toEqual(want);
          const inPlace = f16Array(sm, bits);
          sm[fn](inPlace, { ...opts, out: inPlace });
          expect(bitsOf(inPlace.array)).toEqual(want);
          out.free();
          inPlace.free();
        }
        const lse = sm.logSumExp(x, opts);
        const lseOut = sm.alloc(c.rows, "f16");
        sm.logSumExp(x, { ...opts, out: lseOut });
        expect(bitsOf(lseOut.array)).toEqual(Array.from(lse, (v) => f32ToHalfBits(v)));
        lseOut.free();
        x.free();
      }),
      { seed: 7, numRuns: 40 },
    );
  });

  it("online: f16 chunks of any split give the whole row's LogSumExp; normalize follows the chunk", () => {
    fc.assert(
      fc.property(call, fc.array(fc.integer({ min: 0, max: 1 << 14 }), { maxLength: 4 }), (c, cuts) => {
        const bits = halvesOf(c);
        const values = Array.from(bits, halfValue);
        const ref = refRows(values, c.beta, bits.length);
        const points = [...new Set([0, ...cuts.map((v) => v % (bits.length + 1)), bits.length])].sort((a, b) => a - b);
        const acc = sm.online({ beta: c.beta });
        for (let i = 1; i < points.length; i++) {
          const chunk = f16Array(sm, bits.subarray(points[i - 1], points[i]));
          acc.push(chunk);
          chunk.free();
        }
        expect(logMisses([acc.logSumExp()], [ref.lse[0]], "f32")).toBe("");
        const whole = f16Array(sm, bits);
        const p = acc.normalize(whole);
        expect(p).toBeInstanceOf(Float32Array);
        if (Number.isFinite(ref.lse[0])) expect(probabilityMisses(p, ref.p, "f32")).toBe("");
        const out = sm.alloc(bits.length, "f16");
        acc.logNormalize(whole, out);
        expect(bitsOf(out.array)).toEqual(Array.from(acc.logNormalize(whole), (v) => f32ToHalfBits(v)));
        out.free();
        whole.free();
      }),
      { seed: 11, numRuns: 40 },
    );
  });

  it("long rows (the one-read path, block by block) with masked runs, a NaN and +Infinity", () => {
    const n = 200_003;
    const bits = Uint16Array.from({ length: n }, (_, i) => (0x3c00 + ((i * 2654435761) >>> 22)) | (i & 1 ? 0x8000 : 0));
    bits.fill(NEG_INF, 5000, 90_000);
    for (const [at, value] of [[-1, 0], [150_000, POS_INF], [3, POS_INF], [199_999, NAN]] as const) {
      const b = bits.slice();
      if (at >= 0) b[at] = value;
      const x = f16Array(sm, b);
      const ref = refRows(Array.from(b, halfValue), 1, n);
      expect(probabilityMisses(sm.softmax(x), ref.p, "f32")).toBe("");
      expect(logMisses(sm.logSoftmax(x), ref.logp, "f32")).toBe("");
      expect(logMisses([sm.logSumExp(x)], ref.lse, "f32")).toBe("");
      x.free();
    }
  });

  it("logSumExp and online().push of halves give the f32 call's bits on the same values", () => {
    // The halves are widened exactly, a block at a time, and summed as the f32 row is: rows of
    // small and large extrema, with subnormal halves, a masked run or an Inf/NaN, betas up to and
    // past 2^16, rows past a block of 2,048.
    const extremum = fc.constantFrom(0x3000, 0x2fff, 0x3400, 0x4bff, 0x0400, 0x03ff, 0x0000, 0x7bff);
    const beta = fc.oneof(fc.constant(1), fc.double({ min: -8, max: 8, noNaN: true }), fc.constantFrom(65535.9, 65536, -70000, 1e-3));
    const row = fc.record({
      k: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(2047, 2048, 2049, 6000)),
      rows: fc.integer({ min: 1, max: 3 }),
      top: extremum,
      negative: fc.boolean(),
      subnormals: fc.constantFrom(0, 0.01, 0.5),
      masked: fc.integer({ min: 0, max: 3000 }),
      special: fc.option(fc.constantFrom(NEG_INF, POS_INF, NAN), { nil: undefined, freq: 4 }),
      beta,
      seed: fc.nat(),
    });
    fc.assert(
      fc.property(row, (c) => {
        // Each row's halves at most its top's magnitude (its extremum, for its beta's sign).
        const n = c.k * c.rows;
        let s = c.seed | 1;
        const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) / 2 ** 24;
        const bits = Uint16Array.from({ length: n }, (_, i) => {
          if (i % c.k === 0) return c.top | (c.negative ? 0x8000 : 0);
          const h = next() < c.subnormals ? Math.floor(next() * 0x3ff) + 1 : Math.floor(next() * (c.top + 1));
          return h | (c.negative !== next() < 0.1 ? 0x8000 : 0);
        });
        bits.fill(NEG_INF, Math.floor(n / 3), Math.min(n, Math.floor(n / 3) + c.masked));
        if (c.special !== undefined) bits[c.seed % n] = c.special;
        const values = Float32Array.from(bits, halfValue);
        const x = f16Array(sm, bits);
        const opts = { beta: c.beta, rowLength: c.k };
        expect(Array.from(sm.logSumExp(x, opts))).toEqual(Array.from(sm.logSumExp(values, opts)));
        const acc = sm.online({ beta: c.beta });
        const want = sm.online({ beta: c.beta });
        acc.push(x);
        want.push(values);
        expect(acc.logSumExp()).toBe(want.logSumExp());
        x.free();
      }),
      { seed: 20261206, numRuns: 80 },
    );
  });

  it("rejects an out of the wrong dtype or length, naming it", () => {
    const x = f16Array(sm, Uint16Array.of(0x3c00, 0x4000));
    expect(() => sm.softmax(x, { out: new Float64Array(2) as never })).toThrow(/out must have the output dtype f32 or f16 \(got a Float64Array\)/);
    expect(() => sm.softmax(x, { out: new Float32Array(3) })).toThrow(RangeError);
    expect(() => sm.softmax(new Float32Array(2), { out: sm.alloc(2, "f16") as never })).toThrow(/out must have the output dtype f32 \(got a f16 WasmArray\)/);
    x.free();
  });
});
