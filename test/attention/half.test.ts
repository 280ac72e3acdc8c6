// f16 keys and values in attend (docs/attention.md, "Half precision") on every backend: against
// the float64 reference on the halves' exact values, f32 and f64 queries, the quad path (groups
// of 4 and 8 query heads) and the others, every option, halves mixed with f32 values, a cache
// of f16 WasmArrays filled in place.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { f16Array, subnormalCounts, withSubnormals } from "../support/halves.js";
import { halfValue } from "../core/half-reference.js";
import { type Dtype, attentionRef, expectAttention, values } from "./reference.js";

// Halves of magnitude below 4 of either sign, subnormals and zeros now and then.
const half = fc.oneof(
  { arbitrary: fc.integer({ min: 0x2000, max: 0x43ff }).chain((h) => fc.constantFrom(h, h | 0x8000)), weight: 10 },
  { arbitrary: fc.constantFrom(0x0001, 0x03ff, 0x8000, 0x0000), weight: 1 },
);

/** The heads, and the bits of a cache's keys and values drawn from `bits`, for a call's shape. */
function cacheOf(c: { kvHeads: number; group: number; length: number; dim: number; valueDim: number }, bits: Iterator<number>) {
  const draw = (n: number) => Array.from({ length: n }, () => bits.next().value as number);
  return { heads: c.kvHeads * c.group, kBits: draw(c.length * c.kvHeads * c.dim), vBits: draw(c.length * c.kvHeads * c.valueDim) };
}

const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

describe.each(backends)("%s: f16 keys and values", (_name, sm) => {
  it("Inf and NaN halves: the block that holds one is widened with them, the others as finite", () => {
    // Blocks of finite halves take a shorter widening; a block with an Inf or NaN the full one.
    const heads = 8;
    const kvHeads = 2;
    const dim = 8;
    const length = 70; // three blocks of keys
    for (const [where, bits] of [["key", 0x7e00], ["key", 0x7c00], ["value", 0x7c00], ["value", 0xfe00], ["value", 0x7bff]] as const) {
      const kBits = Array.from({ length: length * kvHeads * dim }, (_, i) => 0x3000 + ((i * 37) % 0xc00));
      const vBits = Array.from({ length: length * kvHeads * dim }, (_, i) => (0x2c00 + ((i * 53) % 0x1000)) | (i % 3 === 0 ? 0x8000 : 0));
      const at = (40 * kvHeads + 1) * dim + 3; // key row 40 (the second block), kv head 1
      (where === "key" ? kBits : vBits)[at] = bits;
      using k = f16Array(sm, kBits);
      using v = f16Array(sm, vBits);
      const q = values("f32", heads * dim, 7, 0.5);
      const got = sm.attend(q, k, v, { heads, kvHeads, dim });
      const ref = attentionRef(q, kBits.map(halfValue), vBits.map(halfValue), { heads, kvHeads, dim });
      const scale = Math.max(...vBits.map(halfValue).filter(Number.isFinite).map(Math.abs));
      for (let i = 0; i < ref.out.length; i++) {
        const r = ref.out[i];
        const y = got[i];
        if (Number.isFinite(r)) expect(Math.abs(y - r), `${where} ${bits.toString(16)} out[${i}]`).toBeLessThanOrEqual(2e-6 * scale);
        else expect(Object.is(y, r) || (Number.isNaN(y) && Number.isNaN(r)), `${where} ${bits.toString(16)} out[${i}] = ${y}, reference ${r}`).toBe(true);
      }
    }
  });

  it("equal the reference on the halves' values, q f32 or f64, any head mapping and options", () => {
    const call = fc.record({
      kvHeads: fc.integer({ min: 1, max: 3 }),
      group: fc.constantFrom(1, 3, 4, 8),
      dim: fc.integer({ min: 1, max: 19 }),
      valueDim: fc.integer({ min: 1, max: 19 }),
      queries: fc.integer({ min: 1, max: 4 }),
      length: fc.integer({ min: 0, max: 75 }),
      causal: fc.boolean(),
      window: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
      softcap: fc.option(fc.constantFrom(0.5, 5), { nil: undefined }),
      sinks: fc.boolean(),
      qd: fc.constantFrom<Dtype>("f32", "f64"),
      seed: fc.integer({ min: 0, max: 1 << 30 }),
    });
    fc.assert(
      fc.property(call, fc.infiniteStream(half), (c, bits) => {
        const { heads, kBits, vBits } = cacheOf(c, bits);
        const keys = f16Array(sm, kBits);
        const vals = f16Array(sm, vBits);
        const q = values(c.qd, c.queries * heads * c.dim, c.seed, 1.5);
        const opts = {
          heads, kvHeads: c.kvHeads, dim: c.dim, valueDim: c.valueDim, causal: c.causal, window: c.window, softcap: c.softcap,
          sinks: c.sinks ? Array.from({ length: heads }, (_, h) => h - 1) : undefined,
        };
        const got = sm.attend(q, keys, vals, { ...opts, lse: true });
        expect(got.out).toBeInstanceOf(c.qd === "f32" ? Float32Array : Float64Array);
        const v = vBits.map(halfValue);
        expectAttention(got, attentionRef(q, kBits.map(halfValue), v, opts as never), v, c.qd);
        keys.free();
        vals.free();
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("give the bits of the same values in f32 on the quad path (blocks of finite halves)", () => {
    // Groups of 4 and 8 query heads (the quad path), dims with and without a tail; a block
    // holding an Inf or NaN half takes the generic path instead (checked against the reference above).
    const call = fc.record({
      kvHeads: fc.integer({ min: 1, max: 2 }),
      group: fc.constantFrom(4, 8),
      dim: fc.integer({ min: 1, max: 21 }),
      valueDim: fc.integer({ min: 1, max: 21 }),
      queries: fc.integer({ min: 1, max: 3 }),
      length: fc.integer({ min: 1, max: 70 }),
      causal: fc.boolean(),
      softcap: fc.option(fc.constant(5), { nil: undefined }),
      seed: fc.integer({ min: 0, max: 1 << 30 }),
    });
    fc.assert(
      fc.property(call, fc.infiniteStream(half), (c, bits) => {
        const { heads, kBits, vBits } = cacheOf(c, bits);
        const q = values("f32", c.queries * heads * c.dim, c.seed, 1.5);
        const opts = { heads, kvHeads: c.kvHeads, dim: c.dim, valueDim: c.valueDim, causal: c.causal, softcap: c.softcap, lse: true };
        using k16 = f16Array(sm, kBits);
        using v16 = f16Array(sm, vBits);
        const got = sm.attend(q, k16, v16, opts);
        const want = sm.attend(q, Float32Array.from(kBits, halfValue), Float32Array.from(vBits, halfValue), opts);
        expect(Array.from(got.out), "out").toEqual(Array.from(want.out));
        expect(Array.from(got.lse), "lse").toEqual(Array.from(want.lse));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("blocks of keys or values holding a few, some or only subnormal halves: the bits of the same values in f32", () => {
    // 8 kv heads of dim 64: a block of 32 keys holds 16,384 halves of keys and as many of values.
    // A block is widened first where more than 1 in 64 of the first 4,096 of its keys or values
    // are subnormal: counts about that share (spread from a random offset) fall on either side.
    const kvHeads = 8;
    const dim = 64;
    const length = 100; // blocks of 32, 32, 32 and 4 keys
    const block = 32 * kvHeads * dim;
    fc.assert(
      fc.property(
        fc.constantFrom(1, 3, 4, 8),
        fc.constantFrom("keys", "values", "both"),
        fc.constantFrom(...subnormalCounts(block), block >> 6, (block >> 6) + (block >> 8)),
        fc.nat(),
        fc.constantFrom<Dtype>("f32", "f64"),
        // Queries of 60 give f32 queries' blocks scores past the f32 path's reach (computed in f64).
        fc.constantFrom(1.5, 60),
        (group, where, count, offset, qd, qScale) => {
          const heads = kvHeads * group;
          const n = length * kvHeads * dim;
          const base = Array.from({ length: n }, (_, i) => (0x3000 + ((i * 37) % 0xc00)) | (i % 3 === 0 ? 0x8000 : 0));
          // The subnormals in the second block (and, spread at the same share, over the last one).
          const sub = withSubnormals(base.slice(block, 2 * block), count, offset);
          const tail = withSubnormals(base.slice(3 * block), Math.ceil((count * (n - 3 * block)) / block), offset);
          const bits = base.slice(0, block).concat(sub, base.slice(2 * block, 3 * block), tail);
          const kBits = where === "values" ? base : bits;
          const vBits = where === "keys" ? base : bits;
          const q = values(qd, 2 * heads * dim, offset, qScale);
          const opts = { heads, kvHeads, dim, lse: true };
          using k16 = f16Array(sm, kBits);
          using v16 = f16Array(sm, vBits);
          const got = sm.attend(q, k16, v16, opts);
          const want = sm.attend(q, Float32Array.from(kBits, halfValue), Float32Array.from(vBits, halfValue), opts);
          expect(Array.from(got.out), `${count} subnormals in ${where}`).toEqual(Array.from(want.out));
          expect(Array.from(got.lse), "lse").toEqual(Array.from(want.lse));
        },
      ),
      { seed: SEED, numRuns: 24 },
    );
  });

  it("f16 keys with f32 values, and a decode loop over an f16 cache written in place", () => {
    const heads = 8;
    const kvHeads = 2;
    const dim = 16;
    const capacity = 40;
    const next = values("f64", 2 * capacity * kvHeads * dim, 1400, 1);
    const kBits = Array.from({ length: capacity * kvHeads * dim }, (_, i) => 0x3c00 ^ (Math.floor(Math.abs(next[i]) * 997) & 0x83ff));
    const vBits = Array.from({ length: capacity * kvHeads * dim }, (_, i) => 0x3800 ^ (Math.floor(Math.abs(next[i + capacity * kvHeads * dim]) * 991) & 0x83ff));
    const keys = f16Array(sm, kBits);
    const vals = f16Array(sm, vBits);
    const k = kBits.map(halfValue);
    const v = vBits.map(halfValue);
    const v32 = Float32Array.from(v);
    const q = values("f32", heads * dim, 1401, 1);
    const mixed = sm.attend(q, keys, v32, { heads, kvHeads, dim, lse: true });
    expectAttention(mixed, attentionRef(q, k, v, { heads, kvHeads, dim }), v, "f32");
    using out = sm.alloc(heads * dim);
    for (let t = 1; t <= capacity; t++) {
      sm.attend(q, keys, vals, { heads, kvHeads, dim, length: t, out });
      expectAttention({ out: out.array }, attentionRef(q, k.slice(0, t * kvHeads * dim), v.slice(0, t * kvHeads * dim), { heads, kvHeads, dim }), v, "f32", `length ${t}`);
    }
    keys.free();
    vals.free();
  });
});
