// The sampling module's f16 weight passes, called on the module itself (dist/sampling*.wasm):
// weigh's weights and keptblocks' block sums over a row of halves are, bit for bit, those the f32
// passes give on the same row widened. Rows of finite halves take the folded widening (half.ts:
// c, beta and theta scaled instead of each half multiplied), and so do rows whose only Inf halves
// are -Infinity (masked) where each one's folded weight is the exp's floor as a -Infinity's is;
// rows with a +Inf or a NaN or a beta of 2^16 or more the full one; both must agree with f32 at
// every beta, threshold and tie.
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { halfValue } from "../core/half-reference.js";
import { withSubnormals } from "../support/halves.js";

const MAX = 700;

type Exports = Record<string, (...a: number[]) => number>;

/** A module of `file` whose memory has `bytes` free at base. */
function instantiate(file: string, bytes: number) {
  const module = new WebAssembly.Module(readFileSync(new URL(`../../dist/${file}`, import.meta.url)));
  const memory = new WebAssembly.Memory({ initial: 1 });
  const e = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports;
  const base = Math.ceil(e.heapBase() / 16) * 16;
  memory.grow(Math.ceil((base + bytes) / 65536));
  return { e, memory, base };
}

// Finite halves mostly near the max (weights that matter), some anywhere, subnormals and zeros.
const finite = fc.oneof(
  { arbitrary: fc.integer({ min: 0x3c00, max: 0x4400 }).chain((h) => fc.constantFrom(h, h | 0x8000)), weight: 5 },
  { arbitrary: fc.integer({ min: 0, max: 0x7bff }).chain((h) => fc.constantFrom(h, h | 0x8000)), weight: 2 },
  { arbitrary: fc.integer({ min: 0, max: 0x3ff }).chain((h) => fc.constantFrom(h, h | 0x8000)), weight: 1 },
);
const special = fc.constantFrom(0x7c00, 0xfc00, 0x7e00);
// Rows drawn from a few halves (ties at theta on both sides of the tie) or from any.
const bitsArb = fc.oneof(
  fc.array(finite, { minLength: 1, maxLength: MAX, size: "max" }),
  fc.tuple(fc.array(finite, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { minLength: 1, maxLength: MAX, size: "max" })).map(([pool, picks]) => picks.map((p) => pool[p % pool.length])),
);
const rowArb = fc.record({
  bits: bitsArb,
  // An Inf or NaN half somewhere (the rows the full widening takes), now and then.
  special: fc.option(fc.tuple(special, fc.nat()), { freq: 4 }),
  // A masked run (-Infinity halves), now and then.
  masked: fc.oneof({ arbitrary: fc.constant(null), weight: 2 }, { arbitrary: fc.tuple(fc.nat(), fc.integer({ min: 1, max: 300 })), weight: 1 }),
  // 1e4 and 65535.99 fold; 65536 and beyond take the full widening.
  beta: fc.constantFrom(1, 0.8, 1.25, 3, 1e-3, 1e4, 65535.99, 65536, 1e6, 2 ** -140),
  // theta: -Infinity, any value, or (a fraction of the row's length) the value at that place.
  theta: fc.oneof(fc.constant(-Infinity), fc.double({ min: -70000, max: 70000, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }).map((f) => ({ f }))),
  // The tie, a fraction of the row's length (or -1).
  tie: fc.oneof(fc.constant(-1), fc.double({ min: 0, max: 1, noNaN: true })),
});

const bitsOf = (a: Float32Array | Float64Array) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

describe.each(["sampling-relaxed.wasm", "sampling.wasm", "sampling-scalar.wasm"])("%s", (file) => {
  // Halves, their f32s, two rows of weights, two of block sums.
  const { e, memory, base } = instantiate(file, MAX * (2 + 4 + 8) + 2 * 8 * MAX);
  const at = { h: base, f: base + 2 * MAX, w16: base + 6 * MAX, w32: base + 10 * MAX, b16: base + 14 * MAX, b32: base + 22 * MAX };

  it("weigh and keptblocks give the f32 passes' bits on f16 rows (finite or not, every beta), and draw over the stored weights the f32 draw's token", () => {
    let folded = 0;
    let masked = 0;
    fc.assert(
      fc.property(rowArb, ({ bits, special: sp, masked: run, beta, theta, tie: tieAt }) => {
        const row = bits.slice();
        if (run) row.fill(0xfc00, run[0] % row.length, (run[0] % row.length) + run[1]);
        if (sp) row[sp[1] % row.length] = sp[0];
        const n = row.length;
        const values = row.map(halfValue);
        if (values.some(Number.isNaN)) return; // the host stops at a NaN (argmax) before these passes
        new Uint16Array(memory.buffer, at.h, n).set(row);
        new Float32Array(memory.buffer, at.f, n).set(values);
        // c: the row max (argmax's), and whether the row is finite (f16_finite after f16_argmax).
        const top = e.f16_argmax(at.h, n);
        const c = values[top];
        if (c === -Infinity || c === Infinity) return; // the host takes such rows elsewhere
        const isFinite = e.f16_finite();
        const onlyMasked = !values.every(Number.isFinite) && values.every((v) => Number.isFinite(v) || v === -Infinity);
        expect(isFinite).toBe(values.every(Number.isFinite) ? 1 : onlyMasked ? 2 : 0);
        if (isFinite === 1 && Math.abs(Math.fround(beta)) < 65536) folded++;
        if (isFinite === 2) masked++;
        const t = typeof theta === "number" ? theta : values[Math.floor(theta.f * n)];
        const tie = tieAt < 0 ? -1 : Math.floor(tieAt * n);
        const s16 = e.f16_weigh(at.h, n, c, beta, at.w16, isFinite);
        const s32 = e.f32_weigh(at.f, n, c, beta, at.w32);
        expect(Object.is(s16, s32), `weigh sum ${s16} vs ${s32}`).toBe(true);
        expect(bitsOf(new Float32Array(memory.buffer, at.w16, n))).toEqual(bitsOf(new Float32Array(memory.buffer, at.w32, n)));
        const k16 = e.f16_keptblocks(at.h, n, c, beta, t, tie, at.b16, isFinite);
        const k32 = e.f32_keptblocks(at.f, n, c, beta, t, tie, at.b32);
        expect(Object.is(k16, k32), `keptblocks total ${k16} vs ${k32} (theta ${t}, tie ${tie})`).toBe(true);
        const blocks = Math.ceil(n / 64);
        expect(Array.from(new Float64Array(memory.buffer, at.b16, blocks))).toEqual(Array.from(new Float64Array(memory.buffer, at.b32, blocks)));
        // draw over weigh's stored weights (its blocks' sums compare the halves folded with theta).
        for (const share of [0, 0.37, 0.999]) {
          const target = k32 * share;
          expect(e.f16_draw(at.h, n, c, beta, t, tie, target, at.w16, 0, isFinite), `draw at ${share} of ${k32}`).toBe(e.f32_draw(at.f, n, c, beta, t, tie, target, at.w32, 0));
        }
      }),
      { seed: 112, numRuns: 900 },
    );
    expect(folded).toBeGreaterThan(100);
    expect(masked).toBeGreaterThan(25);
  });

  it("f16_subnormal after f16_argmax: 1 exactly where more than half of the row's halves are subnormal (counted by blocks, settled early or late)", () => {
    const big = 2 ** 17 + 4100;
    const grown = instantiate(file, 2 * big);
    const check = (bits: number[]) => {
      new Uint16Array(grown.memory.buffer, grown.base, bits.length).set(bits);
      grown.e.f16_argmax(grown.base, bits.length);
      const count = bits.filter((b) => (b & 0x7c00) === 0 && (b & 0x3ff) !== 0).length;
      expect(grown.e.f16_subnormal(), `${count} subnormals in ${bits.length}`).toBe(count > bits.length >> 1 ? 1 : 0);
    };
    fc.assert(
      fc.property(fc.constantFrom(1, 7, 8, 15, 16, 17, 4095, 4096, 8191, 8192, 20000, big), fc.nat(), fc.integer({ min: -2, max: 2 }), (n, offset, delta) => {
        // Zeros of both signs, the smallest normal halves and 1 (none subnormal), with subnormals around the share.
        const base = Array.from({ length: n }, (_, i) => [0x0000, 0x8000, 0x0400, 0x8400, 0x3c00][i % 5]);
        const count = Math.max(0, (n >> 1) + delta);
        check(withSubnormals(base, count, offset));
        check(withSubnormals(base, Math.max(0, (n >> 12) + delta), offset));
        // Gathered at the row's start or end: the count settles early or only at the last block.
        check(base.map((b, i) => (i < count ? 0x8001 + (i % 0x3fe) : b)));
        check(base.map((b, i) => (i >= n - count ? 1 + (i % 0x3ff) : b)));
      }),
      { seed: 17, numRuns: 80 },
    );
    check(Array.from({ length: big }, (_, i) => 1 + (i % 0x3ff)));
  });
});

