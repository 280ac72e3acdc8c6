// f16 logits in the sparse family (docs/sparse.md, "Half precision") on every backend:
// sparsemax and entmax of halves against the float64 reference on the halves' exact values with
// f32's tolerances (f32 outputs), an f16 `out` rounded to nearest even from the f32 result, and
// the Fenchel-Young losses of f16 logits in f32.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { bitsOf, f16Array } from "../support/halves.js";
import { halfValue, nearestHalf } from "../core/half-reference.js";
import { expectEntmaxClose } from "./reference.js";

// Halves of either sign up to 64 (ties are common at f16's resolution), subnormals and -Infinity now and then.
const half = fc.oneof(
  { arbitrary: fc.integer({ min: 0x2000, max: 0x53ff }).chain((h) => fc.constantFrom(h, h | 0x8000)), weight: 12 },
  { arbitrary: fc.constantFrom(0xfc00, 0x0001, 0x8000, 0x0000), weight: 1 },
);
const rowsOfHalves = fc.integer({ min: 1, max: 70 }).chain((k) =>
  fc.record({
    k: fc.constant(k),
    bits: fc.array(half, { minLength: k, maxLength: 3 * k }).map((b) => b.slice(0, b.length - (b.length % k))),
    alpha: fc.constantFrom(1.5, 2, 1.3, 1.8),
  }),
);

describe.each(backends)("%s: f16 logits", (_name, sm) => {
  it("sparsemax and entmax: f32 outputs within f32's tolerance of the reference on the halves' values; an f16 out is that result rounded to nearest even", () => {
    fc.assert(
      fc.property(rowsOfHalves, ({ k, bits, alpha }) => {
        const x = f16Array(sm, bits);
        const values = bits.map(halfValue);
        const y = alpha === 2 ? sm.sparsemax(x, { rowLength: k }) : sm.entmax(x, { rowLength: k, alpha });
        expect(y).toBeInstanceOf(Float32Array);
        expectEntmaxClose(y, values, k, alpha, "f32");
        // The same f32 computation as on the widened values, bit for bit.
        const widened = Float32Array.from(values);
        expect(y).toEqual(alpha === 2 ? sm.sparsemax(widened, { rowLength: k }) : sm.entmax(widened, { rowLength: k, alpha }));
        const out = sm.alloc(bits.length, "f16");
        const returned = alpha === 2 ? sm.sparsemax(x, { rowLength: k, out }) : sm.entmax(x, { rowLength: k, alpha, out });
        expect(returned).toBe(out);
        expect(bitsOf(out)).toEqual(Array.from(y, nearestHalf));
        out.free();
        x.free();
      }),
      { seed: 1604, numRuns: 80 },
    );
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
