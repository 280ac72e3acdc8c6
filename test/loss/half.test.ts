// f16 logits in the loss family (docs/loss.md, "Half precision") on every backend: losses,
// per-row losses, gradients and log-probabilities against the float64 reference on the halves'
// exact values with f32's tolerances; f32 outputs.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { f16Array } from "../support/halves.js";
import { halfValue } from "../core/half-reference.js";
import { LOSS_TOL, crossEntropyRef, expectRel, expectRowsClose } from "./reference.js";

// Moderate halves (|x| < 16) of either sign, subnormals and -Infinity now and then.
const half = fc.oneof(
  { arbitrary: fc.integer({ min: 0x3000, max: 0x4bff }).chain((h) => fc.constantFrom(h, h | 0x8000)), weight: 10 },
  { arbitrary: fc.constantFrom(0xfc00, 0x0001, 0x8000), weight: 1 },
);
const batch = fc.integer({ min: 1, max: 40 }).chain((k) =>
  fc.record({
    k: fc.constant(k),
    bits: fc.array(half, { minLength: k, maxLength: 4 * k }).map((b) => b.slice(0, b.length - (b.length % k))),
    targets: fc.array(fc.integer({ min: 0, max: k - 1 }), { minLength: 4, maxLength: 4 }),
    reduction: fc.constantFrom("mean" as const, "sum" as const, "none" as const),
    labelSmoothing: fc.constantFrom(0, 0.1),
  }),
);

describe.each(backends)("%s: f16 logits", (_name, sm) => {
  it("crossEntropy: f32 losses and gradients, within f32's tolerances of the exact values", () => {
    fc.assert(
      fc.property(batch, (c) => {
        const rows = c.bits.length / c.k;
        const targets = c.targets.slice(0, rows);
        const values = c.bits.map(halfValue);
        // A target on a masked logit has an infinite loss; the reference says so too.
        const opts = { rowLength: c.k, reduction: c.reduction, labelSmoothing: c.labelSmoothing };
        const ref = crossEntropyRef(values, targets, opts);
        const x = f16Array(sm, c.bits);
        const { loss, grad } = sm.crossEntropy(x, Int32Array.from(targets), { ...opts, grad: true });
        expect(grad).toBeInstanceOf(Float32Array);
        if (c.reduction === "none") {
          expect(loss).toBeInstanceOf(Float32Array);
          for (let r = 0; r < rows; r++) expectRel((loss as Float32Array)[r], ref.rows[r], LOSS_TOL.f32.loss, `row ${r}`);
        } else expectRel(loss as number, ref.loss, LOSS_TOL.f32.loss, "loss");
        if (ref.grad.every(Number.isFinite)) expectRowsClose(grad as Float32Array, ref.grad, c.k, LOSS_TOL.f32.grad, "grad");
        const logp = sm.logProbs(x, Int32Array.from(targets), { rowLength: c.k });
        expect(logp).toBeInstanceOf(Float32Array);
        for (let r = 0; r < rows; r++) {
          const want = crossEntropyRef(values.slice(r * c.k, (r + 1) * c.k), [targets[r]]).loss;
          expectRel(-logp[r], want, LOSS_TOL.f32.loss, `logProbs row ${r}`);
        }
        x.free();
      }),
      { seed: 404, numRuns: 60 },
    );
  });

  it("softmaxBackward and logSoftmaxBackward take f16 gradY and y, giving f32", () => {
    const bits = [0x3c00, 0xb800, 0x4000, 0x2e66, 0xc200, 0x0001, 0x3555, 0x8000];
    const g = f16Array(sm, bits);
    const y = sm.softmax(f16Array(sm, bits.slice().reverse()));
    const gv = bits.map(halfValue);
    const dot = gv.reduce((s, v, i) => s + v * y[i], 0);
    const want = gv.map((v, i) => y[i] * (v - dot));
    const got = sm.softmaxBackward(g, y);
    expect(got).toBeInstanceOf(Float32Array);
    expectRowsClose(got, want, bits.length, LOSS_TOL.f32.grad, "softmaxBackward");
    const gsum = gv.reduce((s, v) => s + v, 0);
    const logY = Float32Array.from(y, Math.log);
    const got2 = sm.logSoftmaxBackward(g, logY);
    expectRowsClose(got2, gv.map((v, i) => v - Math.exp(logY[i]) * gsum), bits.length, LOSS_TOL.f32.grad, "logSoftmaxBackward");
  });
});
