// Half precision conversions (assembly/shared/half.ts, built as the test module
// build/opt/half-test*.wasm, and src/core/half.ts on the host): every one of the 65,536 bit
// patterns widened against a decoder written from the IEEE 754 binary16 formula, and
// rounding to nearest even against the two neighbouring halves; the SIMD code and its scalar
// twin bit for bit. Node 24's Math.f16round and DataView.getFloat16 are checked in
// test/core/half-node24.test.ts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { instantiate } from "../../bench/exp-ulp.js";
import { f32ToHalfBits, halfBitsToNumber } from "../../dist/core/half.js";
import { backends } from "../support/backends.js";
import { halfValue, nearestHalf } from "./half-reference.js";

const ALL = 65536;
const all = Uint16Array.from({ length: ALL }, (_, i) => i);

/** The f32 bits of every half, widened by a build's `widen` or `widenScalar`. */
function widenAll(file: string, fn: "widen" | "widenScalar"): Uint32Array {
  const k = instantiate(file, 8 * ALL);
  const e = k.e as unknown as Record<string, CallableFunction> & { memory: WebAssembly.Memory };
  new Uint16Array(e.memory.buffer, k.x, ALL).set(all);
  e[fn](k.x, k.y, ALL);
  return new Uint32Array(e.memory.buffer, k.y, ALL).slice();
}

/** The half bits of f32 bit patterns `bits`, narrowed by a build's `narrow` or `narrowScalar`. */
function narrowAll(file: string, fn: "narrow" | "narrowScalar", bits: Uint32Array): Uint16Array {
  const k = instantiate(file, 8 * bits.length + 64);
  const e = k.e as unknown as Record<string, CallableFunction> & { memory: WebAssembly.Memory };
  new Uint32Array(e.memory.buffer, k.x, bits.length).set(bits);
  e[fn](k.x, k.y, bits.length);
  return new Uint16Array(e.memory.buffer, k.y, bits.length).slice();
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The bit pattern of the f32 nearest v. */
const u32Of = (v: number): number => {
  f32[0] = v;
  return u32[0];
};
/** The f32 with bit pattern b. */
const f32Of = (b: number): number => {
  u32[0] = b;
  return f32[0];
};

/** The f32 bits of half h widened exactly: its value's, or for NaN its sign and whole mantissa moved to f32's places. */
const widenedBits = (h: number): number =>
  Number.isNaN(halfValue(h)) ? (((h & 0x8000) << 16) | 0x7f800000 | ((h & 0x3ff) << 13)) >>> 0 : u32Of(halfValue(h));

/** Checks got[0..n) against the widened bits of halves bits[0..n), and that got[n] (0xdeadbeef) was not written. */
function expectWidenedRow(got: Uint32Array, bits: readonly number[], what: string): void {
  const n = bits.length;
  for (let i = 0; i < n; i++) {
    const want = widenedBits(bits[i]);
    if (got[i] !== want) expect(`${what}: [${i}] = 0x${got[i].toString(16)}`).toBe(`${what}: [${i}] = 0x${want.toString(16)}`);
  }
  expect(got[n], `${what}: nothing written past the end`).toBe(0xdeadbeef);
}

/** Checks the f32 bits of every half against the formula: value, sign of zero, NaN payload. */
function expectExactWidening(bits: Uint32Array): void {
  for (let h = 0; h < ALL; h++) {
    const want = halfValue(h);
    const got = f32Of(bits[h]);
    if (Number.isNaN(want)) {
      // NaN: the sign and the whole mantissa moved to f32's places, quiet bit included.
      expect(bits[h] >>> 0, `half 0x${h.toString(16)}`).toBe(widenedBits(h));
    } else if (!Object.is(got, want)) {
      expect(got, `half 0x${h.toString(16)}`).toBe(want);
    }
  }
}

/** f32 bit patterns around every half: the half itself, its neighbours, the ties and just off them. */
function aroundEveryHalf(): Uint32Array {
  const out: number[] = [];
  for (let h = 0; h < 0x7c00; h++) {
    const v = halfValue(h);
    const next = halfValue(h + 1);
    const mid = (v + next) / 2; // exact in f32: halves have 11 significant bits
    f32[0] = mid;
    const m = u32[0];
    for (const b of [m - 1, m, m + 1]) out.push(b, (b | 0x80000000) >>> 0);
    f32[0] = v;
    out.push(u32[0], (u32[0] | 0x80000000) >>> 0);
  }
  return Uint32Array.from(out);
}

/** Random f32 bit patterns (all classes: subnormal, normal, Inf, NaN). */
function randomBits(n: number, seed: number): Uint32Array {
  let s = seed >>> 0;
  return Uint32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  });
}

/** Checks narrowed bits against the nearest half (ties to even); NaN gives a quiet NaN (of the same sign where `nanSign`). */
function expectNearestEven(input: Uint32Array, got: Uint16Array, nanSign = true): void {
  for (let i = 0; i < input.length; i++) {
    const x = f32Of(input[i]);
    const h = got[i];
    if (Number.isNaN(x)) {
      expect((h & 0x7e00) === 0x7e00 && (!nanSign || h >> 15 === input[i] >>> 31), `NaN 0x${input[i].toString(16)} -> 0x${h.toString(16)}`).toBe(true);
      continue;
    }
    const want = nearestHalf(x);
    if (h !== want) expect(`0x${h.toString(16)}`, `f32 0x${input[i].toString(16)} (${x})`).toBe(`0x${want.toString(16)}`);
  }
}

describe.each(["half-test-relaxed.wasm", "half-test.wasm", "half-test-scalar.wasm"])("%s", (file) => {
  it("widens all 65,536 halves exactly (subnormals, signed zeros, Infinity, NaN payloads)", () => {
    expectExactWidening(widenAll(file, "widen"));
  });

  it("widens every finite half exactly on the path for data without Inf or NaN", () => {
    const finite = all.filter((h) => (h & 0x7c00) !== 0x7c00);
    const k = instantiate(file, 8 * ALL);
    const e = k.e as unknown as Record<string, CallableFunction> & { memory: WebAssembly.Memory };
    new Uint16Array(e.memory.buffer, k.x, finite.length).set(finite);
    e.widen(k.x, k.y, finite.length);
    const wide = new Float32Array(e.memory.buffer, k.y, finite.length);
    for (let i = 0; i < finite.length; i++) {
      if (!Object.is(wide[i], halfValue(finite[i]))) expect(wide[i], `half 0x${finite[i].toString(16)}`).toBe(halfValue(finite[i]));
    }
  });

  it("widens every finite half exactly by the small widening (runs that hold subnormal halves), at every length of the tail", () => {
    const finite = all.filter((h) => (h & 0x7c00) !== 0x7c00);
    const k = instantiate(file, 8 * ALL);
    const e = k.e as unknown as Record<string, CallableFunction> & { memory: WebAssembly.Memory };
    new Uint16Array(e.memory.buffer, k.x, finite.length).set(finite);
    expect(e.widenSmall(k.x, k.y, finite.length)).toBeLessThan(0x7c00);
    const wide = new Float32Array(e.memory.buffer, k.y, finite.length);
    for (let i = 0; i < finite.length; i++) {
      if (!Object.is(wide[i], halfValue(finite[i]))) expect(wide[i], `half 0x${finite[i].toString(16)}`).toBe(halfValue(finite[i]));
    }
    // Lengths 0-24 from an odd start: the 8s, then the tail one at a time; nothing past n written.
    const bits = [0x0001, 0x83ff, 0x0400, 0x8000, 0x3c00, 0xfbff, 0x0000, 0x0200, 0x7bff, 0x8001, 0x03ff, 0x1234];
    for (let n = 0; n <= 24; n++) {
      const row = Array.from({ length: n }, (_, i) => bits[(i * 5 + 3) % bits.length]);
      new Uint16Array(e.memory.buffer, k.x, n).set(row);
      new Uint32Array(e.memory.buffer, k.y, n + 1).fill(0xdeadbeef);
      e.widenSmall(k.x, k.y, n);
      expectWidenedRow(new Uint32Array(e.memory.buffer, k.y, n + 1), row, `n ${n}`);
    }
    // The exponents it raises tell an Inf or NaN among the whole 8s.
    for (const special of [0x7c00, 0xfc00, 0x7e01]) {
      const row = Array.from({ length: 16 }, (_, i) => (i === 9 ? special : bits[i % bits.length]));
      new Uint16Array(e.memory.buffer, k.x, 16).set(row);
      if (!file.includes("scalar")) expect(e.widenSmall(k.x, k.y, 16)).toBe(0x7c00);
    }
  });

  it("widens every length (16 halves a step, then one at a time) exactly, with an Inf or NaN at any place or none", () => {
    const k = instantiate(file, 1024);
    const e = k.e as unknown as Record<string, CallableFunction> & { memory: WebAssembly.Memory };
    // Finite halves whose 16-bit halves differ in every part (sign, low mantissa bits, exponent).
    const finite = Array.from({ length: 48 }, (_, i) => (0x1357 * (i + 1) + (i & 1 ? 0x8000 : 0)) & 0xffff).map((h) =>
      (h & 0x7c00) === 0x7c00 ? h ^ 0x4000 : h,
    );
    for (let n = 0; n <= 48; n++) {
      for (let at = -1; at < n; at++) {
        for (const special of at < 0 ? [0] : [0x7c00, 0xfc00, 0x7e01, 0xfd00]) {
          const bits = finite.slice(0, n);
          if (at >= 0) bits[at] = special;
          new Uint16Array(e.memory.buffer, k.x, n).set(bits);
          new Uint32Array(e.memory.buffer, k.y, n + 1).fill(0xdeadbeef);
          e.widen(k.x, k.y, n);
          expectWidenedRow(new Uint32Array(e.memory.buffer, k.y, n + 1), bits, `n ${n}`);
        }
      }
    }
  });

  it("widens long rows exactly where a subnormal, Inf or NaN half sits at a block's edges, inside it or in the tail", () => {
    // widenHalves widens blocks of 512 without float arithmetic and redoes exactly a block that
    // holds a subnormal, Inf or NaN half (half.ts: EXACT_BLOCK): one such half at every edge.
    const n = 1600 + 13;
    const k = instantiate(file, 8 * 1632);
    const e = k.e as unknown as Record<string, CallableFunction> & { memory: WebAssembly.Memory };
    const normal = Array.from({ length: n }, (_, i) => ((0x0400 + ((i * 7919) % 0x7800)) | (i & 2 ? 0x8000 : 0)) & 0xffff);
    for (const at of [0, 15, 16, 511, 512, 513, 1023, 1024, 1535, 1536, 1599, 1600, n - 1]) {
      for (const odd of [0x0001, 0x83ff, 0x0200, 0x7c00, 0xfe01, 0x0000, 0x8000]) {
        const bits = normal.slice();
        bits[at] = odd;
        bits[(at * 3 + 700) % n] = 0x8123 & 0x83ff; // a second subnormal elsewhere
        new Uint16Array(e.memory.buffer, k.x, n).set(bits);
        new Uint32Array(e.memory.buffer, k.y, n + 1).fill(0xdeadbeef);
        e.widen(k.x, k.y, n);
        expectWidenedRow(new Uint32Array(e.memory.buffer, k.y, n + 1), bits, `0x${odd.toString(16)} at ${at}`);
      }
    }
  });

  it("widens in SIMD bit for bit as the scalar twin", () => {
    expect(widenAll(file, "widen")).toEqual(widenAll(file, "widenScalar"));
  });

  it("rounds to the nearest half, ties to even, around every half and on random f32s", () => {
    const input = new Uint32Array([...aroundEveryHalf(), ...randomBits(200_003, 17)]);
    const got = narrowAll(file, "narrow", input);
    expectNearestEven(input, got);
    expect(got).toEqual(narrowAll(file, "narrowScalar", input));
  });

  it("gives every half back from its f32 (NaNs quiet)", () => {
    const back = narrowAll(file, "narrow", widenAll(file, "widen"));
    for (let h = 0; h < ALL; h++) {
      const want = Number.isNaN(halfValue(h)) ? h | 0x200 : h;
      if (back[h] !== want) expect(`0x${back[h].toString(16)}`, `half 0x${h.toString(16)}`).toBe(`0x${want.toString(16)}`);
    }
  });

  it("orders halves by value with integer keys, and finds the key of the least half >= any f32", () => {
    const k = instantiate(file, 16 * 64);
    const e = k.e as unknown as Record<string, CallableFunction> & { memory: WebAssembly.Memory };
    const order = e.order as (h: number) => number;
    const atLeast = e.orderAtLeast as (t: number) => number;
    // Every half but NaN, ascending by value: keys rise with the values, equal exactly for equal values (+0, -0).
    const byValue = Array.from(all).filter((h) => !Number.isNaN(halfValue(h))).sort((a, b) => halfValue(a) - halfValue(b));
    for (let i = 1; i < byValue.length; i++) {
      const [a, b] = [byValue[i - 1], byValue[i]];
      const rise = halfValue(a) < halfValue(b);
      if (rise ? !(order(a) < order(b)) : order(a) !== order(b)) expect(`0x${a.toString(16)} ${order(a)}, 0x${b.toString(16)} ${order(b)}`).toBe("ordered as their values");
    }
    // The least half >= t by a search over the sorted values, for t at, between and beyond the halves.
    const least = (t: number) => {
      let lo = 0;
      let hi = byValue.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (halfValue(byValue[mid]) >= t) hi = mid;
        else lo = mid + 1;
      }
      return order(byValue[lo]);
    };
    const ts = [-Infinity, Infinity, 0, -0, 65504, 65505, 65519.99, 65520, 1e30, -65504, -65505, -65520, -1e30, 2 ** -24, 2 ** -25, -(2 ** -25), 1e-40, -1e-40];
    for (let h = 0; h < ALL; h += 7) {
      const v = halfValue(h);
      if (Number.isFinite(v)) ts.push(v, f32Of(u32Of(v) + 1), f32Of(u32Of(v) - 1 + (v === 0 ? 2 : 0)));
    }
    for (const t of ts) {
      const want = least(Math.fround(t));
      if (atLeast(t) !== want) expect(`orderAtLeast(${t}) = ${atLeast(t)}`).toBe(`orderAtLeast(${t}) = ${want}`);
    }
    expect(atLeast(NaN)).toBe(0x7c01); // above every half that is not NaN
  });

  it("tells the halves above 0 on their bits as their values do: all 65,536 (signed zeros, subnormals, Infinity, NaN), SIMD and scalar twin", () => {
    const k = instantiate(file, 8 * ALL);
    const e = k.e as unknown as Record<string, CallableFunction> & { memory: WebAssembly.Memory };
    new Uint16Array(e.memory.buffer, k.x, ALL).set(all);
    for (const fn of ["notPositive", "notPositiveScalar"]) {
      e[fn](k.x, k.y, ALL);
      const got = new Uint16Array(e.memory.buffer, k.y, ALL);
      for (let h = 0; h < ALL; h++) {
        const want = halfValue(h) > 0 ? 0 : 1;
        if (got[h] !== want) expect(`${fn} 0x${h.toString(16)}: ${got[h]}`).toBe(`${fn} 0x${h.toString(16)}: ${want}`);
      }
    }
  });

  it("widens halves and takes their extremum in one pass: exact f32s, and extremum<f32>'s result bit for bit (signed zeros, Inf, NaN)", () => {
    const k = instantiate(file, 16 * 256);
    const e = k.e as unknown as Record<string, CallableFunction> & { memory: WebAssembly.Memory };
    const specials = [0x0000, 0x8000, 0x0001, 0x8001, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0xfe00, 0x7c01, 0x3c00, 0xbc00];
    const half = fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(...specials), fc.integer({ min: 0x3800, max: 0x4400 }));
    fc.assert(
      fc.property(fc.array(half, { maxLength: 200, size: "max" }), fc.boolean(), (halves, lowest) => {
        const n = halves.length;
        new Uint16Array(e.memory.buffer, k.x, n).set(halves);
        const got = e.widenPick(k.x, k.y, n, lowest ? 1 : 0) as number;
        const wide = new Float32Array(e.memory.buffer, k.y, n).slice();
        for (let i = 0; i < n; i++) {
          const want = halfValue(halves[i]);
          if (!(Object.is(wide[i], want) || (Number.isNaN(want) && Number.isNaN(wide[i])))) return false;
        }
        let ref = lowest ? Infinity : -Infinity;
        for (const v of wide) ref = Number.isNaN(v) || Number.isNaN(ref) ? NaN : lowest ? Math.min(ref, v) : Math.max(ref, v);
        if (!(got === ref || (Number.isNaN(got) && Number.isNaN(ref)))) return false;
        const plain = e.pickF32(k.y, n, lowest ? 1 : 0) as number;
        return Object.is(got, plain) || (Number.isNaN(got) && Number.isNaN(plain));
      }),
      { numRuns: 3000 },
    );
  });

  it("widens long rows with masked runs exactly, with or without its extremum: Inf and NaN halves beside subnormal ones in the same 8s", () => {
    // Only the 8s that hold an Inf or NaN half are widened again by the exact form (after the
    // quick widening, or after the small one where the block held a subnormal half); a block
    // after one that held an Inf or NaN (or the first, after such a last block of the call
    // before: startSpecial) is widened by quickTopAll8, exact for them, its NaN found by the
    // largest magnitude.
    const k = instantiate(file, 8 * 3100);
    const e = k.e as unknown as Record<string, CallableFunction> & { memory: WebAssembly.Memory };
    const row = fc.record({
      n: fc.integer({ min: 1, max: 3000 }),
      runs: fc.array(fc.tuple(fc.nat(3000), fc.integer({ min: 1, max: 700 })), { maxLength: 4 }),
      subnormals: fc.constantFrom(0, 0.02, 0.6),
      odd: fc.array(fc.tuple(fc.nat(3000), fc.constantFrom(0x7c00, 0xfc00, 0x7e00, 0xfe01, 0x0001, 0x8000)), { maxLength: 3 }),
      seed: fc.nat(),
      lowest: fc.boolean(),
      start: fc.boolean(),
    });
    fc.assert(
      fc.property(row, (c) => {
        let s = c.seed | 1;
        const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) / 2 ** 24;
        const halves = Array.from({ length: c.n }, () =>
          (next() < c.subnormals ? Math.floor(next() * 0x3ff) + 1 : 0x2000 + Math.floor(next() * 0x2800)) | (next() < 0.5 ? 0x8000 : 0),
        );
        for (const [at, len] of c.runs) halves.fill(0xfc00, at % c.n, Math.min(c.n, (at % c.n) + len));
        for (const [at, h] of c.odd) halves[at % c.n] = h;
        new Uint16Array(e.memory.buffer, k.x, c.n).set(halves);
        new Uint32Array(e.memory.buffer, k.y, c.n + 1).fill(0xdeadbeef);
        e.startSpecial(c.start ? 1 : 0);
        e.widen(k.x, k.y, c.n);
        expectWidenedRow(new Uint32Array(e.memory.buffer, k.y, c.n + 1), halves, "widen");
        new Uint32Array(e.memory.buffer, k.y, c.n + 1).fill(0xdeadbeef);
        e.startSpecial(c.start ? 1 : 0);
        const got = e.widenPick(k.x, k.y, c.n, c.lowest ? 1 : 0) as number;
        expectWidenedRow(new Uint32Array(e.memory.buffer, k.y, c.n + 1), halves, "widenPick");
        let ref = c.lowest ? Infinity : -Infinity;
        for (const h of halves) {
          const v = halfValue(h);
          ref = Number.isNaN(v) || Number.isNaN(ref) ? NaN : c.lowest ? Math.min(ref, v) : Math.max(ref, v);
        }
        expect(Object.is(got, ref) || (Number.isNaN(got) && Number.isNaN(ref)), `extremum ${got}, reference ${ref}`).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("takes the extremum of long rows of tiny halves exactly: subnormal blocks widened again, a subnormal extremum exact", () => {
    // widenPick widens blocks of 512 quickly (no float arithmetic), redoes exactly those holding a
    // subnormal half, and makes a pick that is a subnormal half's quick value exact.
    const k = instantiate(file, 8 * 1664);
    const e = k.e as unknown as Record<string, CallableFunction> & { memory: WebAssembly.Memory };
    const tiny = fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 0x3ff }).chain((h) => fc.constantFrom(h, h | 0x8000)), weight: 6 },
      { arbitrary: fc.integer({ min: 0x400, max: 0x1000 }).chain((h) => fc.constantFrom(h, h | 0x8000)), weight: 1 },
    );
    // A block's subnormal pick against the last halves' exact values (once wrong: the quick
    // -2*2^-136 kept over the exact -2^-24 of 0x8001 in the tail).
    const cases = [[[0, 0, 0, 0, 0, 1024, 0, 0, 0, 0, 0, 32770, 0, 0, 0, 0, 32769, 0, 0, 1516], true]] as [number[], boolean][];
    fc.assert(
      fc.property(fc.array(tiny, { minLength: 1, maxLength: 1600, size: "max" }), fc.boolean(), (halves, lowest) => {
        const n = halves.length;
        new Uint16Array(e.memory.buffer, k.x, n).set(halves);
        const got = e.widenPick(k.x, k.y, n, lowest ? 1 : 0) as number;
        const wide = new Float32Array(e.memory.buffer, k.y, n).slice();
        for (let i = 0; i < n; i++) if (!Object.is(wide[i], halfValue(halves[i]))) return false;
        return Object.is(got, e.pickF32(k.y, n, lowest ? 1 : 0) as number);
      }),
      { numRuns: 1000, examples: cases },
    );
  });

  it("tells whether the halves its extremum read were all finite (no Inf, no NaN), at every position and length", () => {
    const k = instantiate(file, 16 * 64);
    const e = k.e as unknown as Record<string, CallableFunction> & { memory: WebAssembly.Memory };
    for (const n of [0, 1, 7, 8, 15, 16, 17, 40, 64]) {
      const x = new Uint16Array(e.memory.buffer, k.x, n);
      for (let i = 0; i < n; i++) x[i] = 0x3c00 + i;
      expect(e.finite(k.x, n), `n ${n}`).toBe(1);
      x[n - 1 >= 0 ? n - 1 : 0] = 0x7bff; // the largest finite half
      expect(e.finite(k.x, n), `n ${n} with 65504`).toBe(1);
      for (let at = 0; at < n; at++) {
        for (const h of [0x7c00, 0xfc00, 0x7e00, 0xfe00, 0x7c01]) {
          const keep = x[at];
          x[at] = h;
          expect(e.finite(k.x, n), `n ${n}, 0x${h.toString(16)} at ${at}`).toBe(0);
          x[at] = keep;
        }
      }
    }
  });

  it("folds every finite half to x*2^-112 exactly (SIMD and scalar), and folded thresholds keep the order of the values", () => {
    const finite = Array.from(all).filter((h) => (h & 0x7c00) !== 0x7c00);
    const k = instantiate(file, 8 * ALL);
    const e = k.e as unknown as Record<string, CallableFunction> & { memory: WebAssembly.Memory };
    new Uint16Array(e.memory.buffer, k.x, finite.length).set(finite);
    e.fold(k.x, k.y, finite.length);
    const folded = new Float32Array(e.memory.buffer, k.y, finite.length).slice();
    for (let i = 0; i < finite.length; i++) {
      const want = halfValue(finite[i]) * 2 ** -112;
      if (!Object.is(folded[i], want)) expect(folded[i], `half 0x${finite[i].toString(16)}`).toBe(want);
      const one = e.foldedOf(halfValue(finite[i])) as number;
      if (!Object.is(one, want)) expect(one, `foldedOf half 0x${finite[i].toString(16)}`).toBe(want);
    }
    // The least half >= t, folded: at every finite half, either side of it and between halves.
    // The infinities' patterns fold to +-2^16 * 2^-112, beyond every finite half.
    const values = [-Infinity, ...finite.map(halfValue).sort((a, b) => a - b), Infinity];
    const foldedValue = (v: number) => (Number.isFinite(v) ? v * 2 ** -112 : Math.sign(v) * 2 ** -96);
    const top = 65504 * 2 ** -112;
    const leastAtLeast = (t: number): number | undefined => values.find((v) => v >= t);
    const probes = [-Infinity, Infinity, NaN, 65520, -65520, 1e6, -1e6, 2 ** -25, -(2 ** -25)];
    for (let i = 0; i < values.length; i += 7) {
      const v = values[i];
      probes.push(v, Math.fround(v * (1 + 2 ** -20)), Math.fround(v * (1 - 2 ** -20)));
      if (i + 1 < values.length) probes.push(Math.fround((v + values[i + 1]) / 2));
    }
    for (const t of probes) {
      const got = e.foldedFloor(t) as number;
      const least = Number.isNaN(t) ? undefined : leastAtLeast(Math.fround(t));
      if (least === undefined) {
        expect(got > top, `t ${t}: above every finite half (got ${got})`).toBe(true);
        continue;
      }
      // -0 and +0 fold to -0 and +0, equal as f32 compares them.
      if (got !== foldedValue(least)) expect(got, `t ${t}`).toBe(foldedValue(least));
    }
  });

  it("widens and narrows arrays of any length and alignment of the tail", () => {
    fc.assert(
      fc.property(fc.uint16Array({ minLength: 0, maxLength: 41 }), (halves) => {
        const k = instantiate(file, 16 * 64);
        const e = k.e as unknown as Record<string, CallableFunction> & { memory: WebAssembly.Memory };
        new Uint16Array(e.memory.buffer, k.x, halves.length).set(halves);
        e.widen(k.x, k.y, halves.length);
        const wide = new Float32Array(e.memory.buffer, k.y, halves.length);
        for (let i = 0; i < halves.length; i++) {
          const want = halfValue(halves[i]);
          if (Number.isNaN(want)) expect(wide[i]).toBeNaN();
          else expect(Object.is(wide[i], want)).toBe(true);
        }
        expect(new Float32Array(e.memory.buffer, k.y + 4 * halves.length, 1)[0]).toBe(0); // nothing written past n
      }),
    );
  });
});

describe("the folded widening's arithmetic (half.ts: widenFolded4)", () => {
  it("(o - o_c)*(beta*2^112) is (x - c)*beta in f32 for every finite half x, c from every binade and |beta| < 2^16", () => {
    const fr = Math.fround;
    const finite = Array.from(all).filter((h) => (h & 0x7c00) !== 0x7c00).map(halfValue);
    // c: zeros, subnormals, every binade's first and last half, both signs (x - c near 0, and
    // differences that round at f32's 24 bits).
    const cs = [0, -0, 2 ** -24, 3 * 2 ** -24, 2 ** -14 - 2 ** -24, 65504];
    for (let e = -14; e <= 15; e++) cs.push(2 ** e, 2 ** e * (2 - 2 ** -10), 2 ** e * (1 + 2 ** -10));
    for (const c of [...cs]) cs.push(-c);
    const betas = [1, 0.8, 1.25, 3, 1e-3, 1e4, 65535.9921875, 2 ** -149, -1.7, 7e-40];
    let checked = 0;
    for (const b0 of betas) {
      const b = fr(b0);
      const bf = fr(b * 2 ** 112);
      expect(Number.isFinite(bf)).toBe(true);
      for (const c of cs) {
        const oc = c * 2 ** -112;
        for (const x of finite) {
          const want = fr(fr(x - c) * b);
          const got = fr(fr(x * 2 ** -112 - oc) * bf);
          if (!Object.is(got, want)) expect(`x ${x} c ${c} beta ${b}: ${got}`).toBe(`x ${x} c ${c} beta ${b}: ${want}`);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(5e6);
    // At 2^16, beta*2^112 is no f32: the kernels widen such rows in full.
    expect(fr(65536 * 2 ** 112)).toBe(Infinity);
  });
});

describe("the host's conversions (src/core/half.ts)", () => {
  it("decode all 65,536 halves as the formula does", () => {
    for (let h = 0; h < ALL; h++) {
      const want = halfValue(h);
      const got = halfBitsToNumber(h);
      if (!Object.is(got, want) && !(Number.isNaN(want) && Number.isNaN(got))) expect(got, `half 0x${h.toString(16)}`).toBe(want);
    }
  });

  it("round f32 values to the nearest half, ties to even (a JS number's NaN has no sign to keep)", () => {
    const input = new Uint32Array([...aroundEveryHalf(), ...randomBits(100_003, 5)]);
    const got = Uint16Array.from(input, (b) => f32ToHalfBits(f32Of(b)));
    expectNearestEven(input, got, false);
  });
});

describe.each(backends)("%s: f16 WasmArrays and validation", (_name, sm) => {
  const hasFloat16 = typeof (globalThis as { Float16Array?: unknown }).Float16Array === "function";

  it("alloc(n, 'f16') holds halves: a Float16Array where the runtime has one, else a Uint16Array of the bits", () => {
    const a = sm.alloc(4, "f16");
    expect(a.dtype).toBe("f16");
    expect(a.length).toBe(4);
    expect(a.array.constructor.name).toBe(hasFloat16 ? "Float16Array" : "Uint16Array");
    expect(a.array.length).toBe(4);
    if (!hasFloat16) {
      a.array.set([0x3c00, 0xc000, 0x7c00, 0x0001]); // 1, -2, Infinity, 2^-24
      const lse = sm.logSumExp(a);
      expect(lse).toBeCloseTo(Math.log(Math.exp(1) + Math.exp(-2) + Math.exp(2 ** -24) + Infinity), 12);
    }
    a.free();
    expect(() => a.array).toThrow(Error);
  });

  it("keeps a usable f16 view after the memory grows", () => {
    const a = sm.alloc(3, "f16");
    a.array.set([0x3c00, 0x4000, 0x4200]);
    const big = sm.alloc(1 << 22, "f32"); // grows the wasm memory
    expect(Array.from(a.array)).toEqual(hasFloat16 ? [1, 2, 3] : [0x3c00, 0x4000, 0x4200]);
    big.free();
    a.free();
  });

  it("never reads a plain Uint16Array as halves", () => {
    const plain = new Uint16Array([0x3c00, 0x4000]);
    expect(() => sm.softmax(plain as never)).toThrow(TypeError);
    expect(() => sm.softmax(plain as never)).toThrow(/Float16Array or an f16 WasmArray/);
    expect(() => sm.online().push(plain as never)).toThrow(TypeError);
  });

  it("rejects an unknown alloc dtype by name", () => {
    expect(() => sm.alloc(2, "f8" as never)).toThrow(/dtype must be "f32", "f64" or "f16" \(got the string "f8"\)/);
  });
});
