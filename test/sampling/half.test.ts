// f16 logits in the sampling family (docs/sampling.md, "Half precision") on every backend:
// argmax and topK against the rules on the halves' exact values; sample, distribution and
// gumbelSoftmax draw from f16 logits exactly what they draw from the same values in f32.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { f16Array, subnormalCounts, withSubnormals } from "../support/halves.js";
import { halfValue } from "../core/half-reference.js";

// Halves with many ties (a small range), subnormals, ±Infinity and now and then a NaN.
const half = fc.oneof(
  { arbitrary: fc.integer({ min: 0x3c00, max: 0x3c0f }).chain((h) => fc.constantFrom(h, h | 0x8000)), weight: 6 },
  { arbitrary: fc.integer({ min: 0, max: 0x7bff }).chain((h) => fc.constantFrom(h, h | 0x8000)), weight: 3 },
  { arbitrary: fc.constantFrom(0xfc00, 0x7c00, 0x0001, 0x8000, 0x7e00), weight: 1 },
);
const row = fc.array(half, { minLength: 1, maxLength: 300, size: "max" });

/** torch.topk's order on values: NaN first, then descending, ties by lower index. */
function refTopK(v: number[], k: number): number[] {
  const key = (x: number) => (Number.isNaN(x) ? Infinity : x);
  const idx = v.map((_, i) => i);
  idx.sort((a, b) => {
    const na = Number.isNaN(v[a]);
    const nb = Number.isNaN(v[b]);
    if (na !== nb) return na ? -1 : 1;
    return key(v[b]) - key(v[a]) || a - b;
  });
  return idx.slice(0, k);
}

describe.each(backends)("%s: f16 logits", (_name, sm) => {
  it("argmax and topK follow the rules on the exact values; values come back f32", () => {
    fc.assert(
      fc.property(row, fc.integer({ min: 0, max: 8 }), (bits, k0) => {
        const v = bits.map(halfValue);
        const x = f16Array(sm, bits);
        const nan = v.findIndex(Number.isNaN);
        const max = v.reduce((m, a) => (a > m ? a : m), -Infinity);
        expect(sm.argmax(x)).toBe(nan >= 0 ? nan : v.indexOf(max));
        const k = Math.min(k0, v.length);
        const { values, indices } = sm.topK(x, k);
        expect(values).toBeInstanceOf(Float32Array);
        const want = refTopK(v, k);
        expect(Array.from(indices)).toEqual(want);
        expect(Array.from(values)).toEqual(want.map((i) => v[i]));
        x.free();
      }),
      { seed: 99, numRuns: 80 },
    );
  });

  it("sample, distribution and gumbelSoftmax give what the same values give in f32", () => {
    fc.assert(
      fc.property(row, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (bits, seed) => {
        const v = bits.map((b) => (Number.isNaN(halfValue(b)) ? 0 : halfValue(b)));
        const clean = v.map((_, i) => (Number.isNaN(halfValue(bits[i])) ? 0 : bits[i]));
        if (!v.some(Number.isFinite)) return;
        const x = f16Array(sm, clean);
        const f = Float32Array.from(v);
        const opts = { temperature: 0.8, topK: 20, topP: 0.9, seed };
        let token: number | undefined;
        try {
          token = sm.sample(f, opts) as number;
        } catch (e) {
          expect(() => sm.sample(x, opts)).toThrow((e as Error).constructor as never);
          return;
        }
        expect(sm.sample(x, opts)).toBe(token);
        if ("distribution" in sm) {
          const d = (sm as unknown as { distribution(x: unknown, o: object): Float32Array }).distribution;
          const { seed: _, ...chain } = opts; // distribution draws nothing: no seed
          expect(Array.from(d(x, chain))).toEqual(Array.from(d(f, chain)));
        }
        const g = sm.gumbelSoftmax(x, { tau: 0.5, seed });
        expect(g).toBeInstanceOf(Float32Array);
        expect(Array.from(g)).toEqual(Array.from(sm.gumbelSoftmax(f, { tau: 0.5, seed })));
        x.free();
      }),
      { seed: 5, numRuns: 60 },
    );
  });

  it("long rows with subnormal halves at, just past and far past the share where the kernels widen the row once: sample, distribution and topK as in f32", () => {
    const finite = fc.integer({ min: 0, max: 0x4c00 }).chain((h) => fc.constantFrom(h, h | 0x8000));
    fc.assert(
      fc.property(
        fc.constantFrom(4160, 20000),
        fc.array(finite, { minLength: 1, maxLength: 50 }),
        fc.nat(),
        fc.constantFrom(0.8, 1, 3e4),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (k, seedBits, offset, temperature, seed) => {
          const base = Array.from({ length: k }, (_, i) => seedBits[(i * 7 + (i >> 6)) % seedBits.length]);
          for (const count of subnormalCounts(k)) {
            const bits = withSubnormals(base, count, offset);
            const f = Float32Array.from(bits, halfValue);
            const x = f16Array(sm, bits);
            for (const opts of [{ temperature, seed }, { temperature, topP: 0.9, seed }, { temperature, minP: 0.05, seed }]) {
              expect(sm.sample(x, opts), `${count} subnormals, ${JSON.stringify(opts)}`).toBe(sm.sample(f, opts));
            }
            if ("distribution" in sm) {
              const d = (sm as unknown as { distribution(x: unknown, o: object): Float32Array }).distribution;
              expect(Array.from(d(x, { temperature, topP: 0.9 }))).toEqual(Array.from(d(f, { temperature, topP: 0.9 })));
            }
            const t16 = sm.topK(x, 50);
            const t32 = sm.topK(f, 50);
            expect(Array.from(t16.indices)).toEqual(Array.from(t32.indices));
            expect(Array.from(t16.values)).toEqual(Array.from(t32.values));
            x.free();
          }
        },
      ),
      { seed: 18, numRuns: 10 },
    );
  });
});
