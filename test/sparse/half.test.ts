// f16 logits in the sparse family (docs/sparse.md, "Half precision") on every backend: the wasm
// kernels read the halves themselves (f16_entmax), the js backend takes them widened. Either way
// the result is, bit for bit, that of the same call on the row widened to f32, and within f32's
// tolerances of the float64 reference on the halves' exact values; an f16 `out` (the input itself
// for in place) is that result rounded to nearest even. Inputs as this backend's f16 WasmArray
// (read in place) and another backend's (its Uint16Array view, copied in as halves); Float16Array
// inputs and outputs: test/sparse/half-node24.mjs. The backward passes of f16 gradY and y, and the
// Fenchel-Young losses of f16 logits, in f32: equal to those of the widened arrays.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Kernels, WasmArray } from "../../dist/index.js";
import { backends } from "../support/backends.js";
import { bitsOf, f16Array, subnormalCounts, withSubnormals } from "../support/halves.js";
import { halfValue, nearestHalf } from "../core/half-reference.js";
import { expectEntmaxClose } from "./reference.js";

const NEG_INF = 0xfc00;
const POS_INF = 0x7c00;
const NAN = 0x7e00;

// Halves of either sign up to 64 (ties are common at f16's resolution), subnormals and -Infinity now and then.
const half = fc.oneof(
  { arbitrary: fc.integer({ min: 0x2000, max: 0x53ff }).chain((h) => fc.constantFrom(h, h | 0x8000)), weight: 12 },
  { arbitrary: fc.constantFrom(NEG_INF, 0x0001, 0x8000, 0x0000), weight: 1 },
);
const rowsOfHalves = fc.integer({ min: 1, max: 70 }).chain((k) =>
  fc.record({
    k: fc.constant(k),
    bits: fc.array(half, { minLength: k, maxLength: 3 * k }).map((b) => b.slice(0, b.length - (b.length % k))),
    alpha: fc.constantFrom(1.5, 2, 1.3, 1.8),
  }),
);

// Long rows, past the kernels' blocks of 64 (the samples read as halves) and their second level
// of samples (over 4,096): a seed of halves repeated, runs of -Infinity (masks), a NaN or
// +Infinity now and then, any alpha (1: the core's softmax; above 3: the f64 path), any beta.
const longRows = fc.record({
  k: fc.constantFrom(64, 65, 127, 200, 1000, 4160, 5000),
  rows: fc.integer({ min: 1, max: 3 }),
  seed: fc.array(half, { minLength: 1, maxLength: 97 }),
  maskedRun: fc.integer({ min: 0, max: 3000 }),
  special: fc.option(fc.constantFrom(POS_INF, NAN), { nil: undefined, freq: 5 }),
  alpha: fc.constantFrom(1.5, 2, 1.3, 1.1, 2.5, 3.5, 1),
  beta: fc.constantFrom(1, -1, 0.25, 3, 0, 1e-3, 1e-6),
});

/** The bits of the f32s of y (NaN's payload is the kernel's). */
const f32Bits = (y: Float32Array): Uint32Array => new Uint32Array(y.buffer, y.byteOffset, y.length);

/** A copy of y with every NaN the same NaN. */
const nanAsOne = (y: Float32Array): Float32Array => y.map((v) => (Number.isNaN(v) ? NaN : v));

/** The first position where the f32s of a and b differ in their bits (-1: none), and both there. */
function firstDifference(a: Float32Array, b: Float32Array): [number, number?, number?] {
  const x = f32Bits(a);
  const y = f32Bits(b);
  if (x.length !== y.length) return [Math.min(x.length, y.length)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return [i, a[i], b[i]];
  return [-1];
}

/** An f16 result is the f32 one rounded to nearest even (a NaN any NaN). */
function expectHalvesOf(out: WasmArray<"f16">, y: Float32Array): void {
  const bits = bitsOf(out);
  const want = Array.from(y, (v) => (Number.isNaN(v) ? NAN : nearestHalf(v)));
  const got = bits.map((b) => ((b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0 ? NAN : b));
  expect(got).toEqual(want);
}

/** sparsemax (alpha 2) or entmax of x. */
const call = (sm: Kernels, x: unknown, alpha: number, opts: Record<string, unknown>) =>
  (alpha === 2 ? sm.sparsemax(x as Float32Array, opts) : sm.entmax(x as Float32Array, { ...opts, alpha })) as unknown as Float32Array | WasmArray;

describe.each(backends)("%s: f16 logits", (name, sm) => {
  // Another backend's f16 WasmArray: not this one's, so its halves are copied in.
  const other = backends.find(([n]) => n !== name && n !== "js")?.[1] ?? sm;

  it("sparsemax and entmax: f32 outputs within f32's tolerance of the reference on the halves' values; an f16 out is that result rounded to nearest even", () => {
    fc.assert(
      fc.property(rowsOfHalves, ({ k, bits, alpha }) => {
        const x = f16Array(sm, bits);
        const values = bits.map(halfValue);
        const y = call(sm, x, alpha, { rowLength: k }) as Float32Array;
        expect(y).toBeInstanceOf(Float32Array);
        expectEntmaxClose(y, values, k, alpha, "f32");
        // The same f32 computation as on the widened values, bit for bit.
        expect(f32Bits(y)).toEqual(f32Bits(call(sm, Float32Array.from(values), alpha, { rowLength: k }) as Float32Array));
        const out = sm.alloc(bits.length, "f16");
        expect(call(sm, x, alpha, { rowLength: k, out })).toBe(out);
        expectHalvesOf(out, y);
        out.free();
        x.free();
      }),
      { seed: 1604, numRuns: 80 },
    );
  });

  it("long rows (blocks, masks, NaN, +Infinity, every kind of alpha, any beta): the widened row's result bit for bit, copied or in place", () => {
    fc.assert(
      fc.property(longRows, ({ k, rows, seed, maskedRun, special, alpha, beta }) => {
        const n = k * rows;
        const bits = Array.from({ length: n }, (_, i) => seed[(i * 7 + (i >> 6)) % seed.length]);
        for (let i = 0; i < Math.min(maskedRun, n); i++) bits[(i * 13) % n] = NEG_INF;
        if (special !== undefined) bits[n >> 1] = special;
        const widened = Float32Array.from(bits, halfValue);
        const opts = { rowLength: k, beta };
        const want = call(sm, widened, alpha, opts) as Float32Array;
        // This backend's f16 WasmArray, in place in its memory.
        const x = f16Array(sm, bits);
        expect(f32Bits(call(sm, x, alpha, opts) as Float32Array)).toEqual(f32Bits(want));
        // An f32 WasmArray out, and another backend's f16 WasmArray (copied in).
        const y = sm.alloc(n, "f32");
        const copied = f16Array(other, bits);
        expect(call(sm, copied, alpha, { ...opts, out: y })).toBe(y);
        expect(f32Bits(y.array as Float32Array)).toEqual(f32Bits(want));
        // In place: the f16 input is the output, rounded to nearest even.
        expect(call(sm, x, alpha, { ...opts, out: x })).toBe(x);
        expectHalvesOf(x, want);
        expect(call(sm, copied, alpha, { ...opts, out: copied })).toBe(copied);
        expectHalvesOf(copied, want);
        if (alpha !== 1) expectEntmaxClose(want, Array.from(widened), k, alpha, "f32", beta);
        copied.free();
        y.free();
        x.free();
      }),
      { seed: 1606, numRuns: 60 },
    );
  });

  it("long rows with subnormal halves at, just past and far past the share where the kernels widen the row once (every kind of alpha): the widened row's result bit for bit", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(4160, 20000),
        fc.array(half, { minLength: 1, maxLength: 50 }),
        fc.nat(),
        fc.constantFrom(1.5, 2, 1.3, 3.5),
        fc.constantFrom(1, 3e3),
        (k, seedBits, offset, alpha, beta) => {
          const base = Array.from({ length: k }, (_, i) => seedBits[(i * 7 + (i >> 6)) % seedBits.length]);
          for (const count of subnormalCounts(k)) {
            const bits = withSubnormals(base, count, offset);
            const widened = Float32Array.from(bits, halfValue);
            const want = call(sm, widened, alpha, { beta }) as Float32Array;
            const x = f16Array(sm, bits);
            expect(firstDifference(call(sm, x, alpha, { beta }) as Float32Array, want), `${count} subnormals`).toEqual([-1]);
            x.free();
          }
        },
      ),
      { seed: 1618, numRuns: 10 },
    );
  });

  it("all 65,536 halves: in rows of 64 consecutive bit patterns, and the 63,490 that are not NaN shuffled into one row, as the widened rows", () => {
    const all = Array.from({ length: 65536 }, (_, h) => h);
    const x = f16Array(sm, all);
    const widened = Float32Array.from(all, halfValue);
    // Rows of one binade's neighbours: beta brings the spreads of different binades to the scale of the threshold.
    for (const beta of [1, 2 ** 10, 2 ** -10, 2 ** 24, -1]) {
      for (const alpha of [2, 1.5, 1.3, 3.5]) {
        const opts = { rowLength: 64, beta };
        expect(firstDifference(call(sm, x, alpha, opts) as Float32Array, call(sm, widened, alpha, opts) as Float32Array)).toEqual([-1]);
      }
    }
    x.free();
    // Not NaN: every finite half and both infinities, in an order of no pattern (the +Infinity shares 1).
    const shuffled = all.filter((h) => (h & 0x7c00) !== 0x7c00 || (h & 0x3ff) === 0);
    expect(shuffled.length).toBe(63490);
    for (let i = shuffled.length - 1, s = 12345; i > 0; i--) {
      s = (s * 1103515245 + 12345) >>> 0;
      const j = s % (i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const finite = shuffled.filter((h) => h !== POS_INF);
    for (const row of [shuffled, finite]) {
      const h = f16Array(sm, row);
      const w = Float32Array.from(row, halfValue);
      for (const beta of [1, 2 ** -12, -(2 ** -12)]) {
        for (const alpha of [2, 1.5, 1.3]) {
          expect(firstDifference(call(sm, h, alpha, { beta }) as Float32Array, call(sm, w, alpha, { beta }) as Float32Array)).toEqual([-1]);
        }
      }
      h.free();
    }
  }, 120_000);

  it("sparsemaxBackward and entmaxBackward of f16 gradY and y (read by the kernels as halves, or widened): the widened arrays' results bit for bit", () => {
    fc.assert(
      fc.property(longRows, fc.array(half, { minLength: 1, maxLength: 61 }), ({ k, rows, seed, maskedRun, alpha, beta }, gSeed) => {
        const n = k * rows;
        const bits = Array.from({ length: n }, (_, i) => seed[(i * 7 + (i >> 6)) % seed.length]);
        for (let i = 0; i < Math.min(maskedRun, n); i++) bits[(i * 13) % n] = NEG_INF;
        // y: the forward's output rounded to halves (a support, zeros off it); gradY: any halves but -Infinity.
        const y = f16Array(sm, bits);
        call(sm, y, alpha, { rowLength: k, out: y });
        const g = f16Array(sm, Array.from({ length: n }, (_, i) => (gSeed[i % gSeed.length] === NEG_INF ? 0x3c00 : gSeed[i % gSeed.length])));
        const gw = Float32Array.from(bitsOf(g), halfValue);
        const yw = Float32Array.from(bitsOf(y), halfValue);
        const opts = { rowLength: k, beta };
        const back = (gi: unknown, yi: unknown, o: Record<string, unknown> = {}) =>
          (alpha === 2 ? sm.sparsemaxBackward(gi as Float32Array, yi as Float32Array, { ...opts, ...o }) : sm.entmaxBackward(gi as Float32Array, yi as Float32Array, { ...opts, alpha, ...o })) as unknown as Float32Array | WasmArray;
        const want = back(gw, yw) as Float32Array;
        expect(firstDifference(back(g, y) as Float32Array, want)).toEqual([-1]);
        const out = sm.alloc(n, "f32");
        const gc = f16Array(other, bitsOf(g));
        const yc = f16Array(other, bitsOf(y));
        expect(back(gc, yc, { out })).toBe(out);
        expect(firstDifference(out.array as Float32Array, want)).toEqual([-1]);
        // One of the two halves (the kernels of a lone f16 operand), also into the f32 one in place.
        expect(firstDifference(back(g, yw) as Float32Array, want)).toEqual([-1]);
        expect(firstDifference(back(gw, y) as Float32Array, want)).toEqual([-1]);
        const overY = Float32Array.from(yw);
        expect(back(g, overY, { out: overY })).toBe(overY);
        expect(firstDifference(overY, want)).toEqual([-1]);
        const overG = sm.alloc(n, "f32");
        (overG.array as Float32Array).set(gw);
        expect(back(overG, y, { out: overG })).toBe(overG);
        expect(firstDifference(overG.array as Float32Array, want)).toEqual([-1]);
        for (const a of [out, gc, yc, g, y, overG]) a.free();
      }),
      { seed: 1607, numRuns: 40 },
    );
  });

  it("sparsemaxBackward and entmaxBackward over every half as y and as gradY (signed zeros, subnormals, negatives, Inf, NaN), in rows with and without an Inf or NaN, tails of 0 to 7: the widened arrays' results bit for bit", () => {
    const all: number[] = Array.from({ length: 65536 }, (_, h) => h);
    for (let i = all.length - 1, s = 4242; i > 0; i--) {
      s = (s * 1103515245 + 12345) >>> 0;
      const j = s % (i + 1);
      [all[i], all[j]] = [all[j], all[i]];
    }
    const special = (h: number) => (h & 0x7c00) === 0x7c00;
    const finite = all.filter((h) => !special(h));
    const reversed = (a: number[]) => a.slice().reverse();
    const specials = [POS_INF, NEG_INF, NAN, 0xfe01];
    // The kernels read halves as finite in vectors and go back for rows whose vectors hold an Inf
    // or NaN (sparsemax: in gradY only): rows of every case, y and gradY each.
    const cases: [string, (k: number) => [number[], number[]]][] = [
      ["all halves", () => [all, reversed(all)]],
      ["finite halves", () => [finite, reversed(finite)]],
      ["y any, gradY finite", () => [all.slice(0, finite.length), reversed(finite)]],
      ["y finite, gradY any", () => [finite, reversed(all).slice(0, finite.length)]],
      // An Inf or NaN as each row's last entry: in the scalar tail where k % 4 > 0.
      [
        "finite, an Inf or NaN last in each row",
        (k) => {
          const y = finite.slice();
          const g = reversed(finite);
          for (let r = 0, i = k - 1; i < y.length; r++, i += k) {
            y[i] = specials[r % 4];
            g[i] = specials[(r + 1) % 4];
          }
          return [y, g];
        },
      ],
    ];
    for (const [what, rowsOf] of cases) {
      for (const k of [3, 7, 12, 100, 4099, 4103, 4104]) {
        const [yAll, gAll] = rowsOf(k);
        const n = yAll.length - (yAll.length % k);
        const yb = yAll.slice(0, n);
        const gb = gAll.slice(0, n);
        const y = f16Array(sm, yb);
        const g = f16Array(sm, gb);
        const yw = Float32Array.from(bitsOf(y), halfValue);
        const gw = Float32Array.from(bitsOf(g), halfValue);
        for (const alpha of [2, 1.5, 1.3]) {
          for (const beta of [1, -0.5, 0, 3e38]) {
            const opts = { rowLength: k, beta };
            const back = (gi: unknown, yi: unknown) =>
              (alpha === 2 ? sm.sparsemaxBackward(gi as Float32Array, yi as Float32Array, opts) : sm.entmaxBackward(gi as Float32Array, yi as Float32Array, { ...opts, alpha })) as Float32Array;
            // (A NaN's payload is the engine's: the widened arrays' NaNs are JavaScript's.)
            expect([what, k, alpha, beta, firstDifference(nanAsOne(back(g, y)), nanAsOne(back(gw, yw)))]).toEqual([what, k, alpha, beta, [-1]]);
          }
        }
        y.free();
        g.free();
      }
    }
  }, 120_000);

  it("entmaxBackward of f16 rows whose blocks of 2,048 hold subnormal halves in y, in gradY, in neither, or only away from the kernel's sample (its loops of their own and its inline loop): the widened arrays' results bit for bit", () => {
    // Halves by kind: normal in [0.1, 1] (bits 0x2e66-0x3c00), subnormal (bits 1-0x3ff), and
    // normal ones with a subnormal every 61st (the sample reads 4 vectors of 8 per block).
    const normal = (i: number) => 0x2e66 + ((i * 2654435761) >>> 0) % (0x3c00 - 0x2e66);
    const subnormal = (i: number) => 1 + (((i * 40503) >>> 0) % 0x3ff);
    const sparse = (i: number) => (i % 61 === 60 ? subnormal(i) : normal(i));
    const kinds = [normal, subnormal, sparse];
    const sign = (i: number, h: number) => (((i * 7) >>> 2) & 1 ? h | 0x8000 : h);
    for (const k of [2048, 5000, 6148, 6151]) {
      for (let pattern = 0; pattern < 9; pattern++) {
        const rows = 2;
        // Block b of the row: y of kind (pattern + b) % 3, gradY of kind (pattern / 3 + 2b) % 3 (random signs).
        const yb = Array.from({ length: rows * k }, (_, i) => kinds[(pattern + (((i % k) / 2048) | 0)) % 3](i));
        const gb = Array.from({ length: rows * k }, (_, i) => sign(i, kinds[(((pattern / 3) | 0) + 2 * (((i % k) / 2048) | 0)) % 3](i + 17)));
        // Zeros in y, off the support.
        for (let i = 5; i < yb.length; i += 23) yb[i] = 0;
        const y = f16Array(sm, yb);
        const g = f16Array(sm, gb);
        const yw = Float32Array.from(yb, halfValue);
        const gw = Float32Array.from(gb, halfValue);
        for (const beta of [1, -0.5]) {
          const opts = { rowLength: k, beta, alpha: 1.5 };
          const got = sm.entmaxBackward(g, y, opts) as Float32Array;
          expect([k, pattern, beta, firstDifference(got, sm.entmaxBackward(gw, yw, opts) as Float32Array)]).toEqual([k, pattern, beta, [-1]]);
        }
        y.free();
        g.free();
      }
    }
  });

  it("sparsemaxLoss and entmaxLoss of f16 logits: f32 losses and gradients equal to those of the widened logits", () => {
    fc.assert(
      fc.property(rowsOfHalves, fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), ({ k, bits, alpha }, picks) => {
        const rows = bits.length / k;
        const targets = Int32Array.from({ length: rows }, (_, r) => picks[r % 3] % k);
        const x = f16Array(sm, bits);
        const widened = Float32Array.from(bits.map(halfValue));
        const opts = { rowLength: k, reduction: "none" as const, grad: true };
        const got = alpha === 2 ? sm.sparsemaxLoss(x, targets, opts) : sm.entmaxLoss(x, targets, { ...opts, alpha });
        const want = alpha === 2 ? sm.sparsemaxLoss(widened, targets, opts) : sm.entmaxLoss(widened, targets, { ...opts, alpha });
        expect(got.loss).toBeInstanceOf(Float32Array);
        expect(got.grad).toBeInstanceOf(Float32Array);
        expect(got).toEqual(want);
        x.free();
      }),
      { seed: 1605, numRuns: 40 },
    );
  });

  it("an out of another dtype is a TypeError naming both", () => {
    const x = f16Array(sm, [0x3c00, 0x4000, 0x3800]);
    expect(() => sm.sparsemax(x, { out: new Float64Array(3) })).toThrow(/out must have the output dtype f32 or f16/);
    x.free();
  });
});
