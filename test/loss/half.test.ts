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

// Any half now and then (NaN, ±Infinity, subnormals, large ones) among moderate ones.
const anyHalf = fc.oneof({ arbitrary: half, weight: 30 }, { arbitrary: fc.integer({ min: 0, max: 0xffff }), weight: 1 });
// Rows long enough for the unrolled loops and the one-read pass (2048 and more).
const longBatch = fc.record({
  k: fc.constantFrom(1, 7, 33, 300, 2100, 4500),
  rows: fc.integer({ min: 1, max: 3 }),
  seed: fc.integer({ min: 0, max: 0xffff }),
  special: fc.array(fc.tuple(fc.nat(), anyHalf), { maxLength: 6 }),
  beta: fc.constantFrom(1, 0.7, -1.3),
  labelSmoothing: fc.constantFrom(0, 0.1),
  weighted: fc.boolean(),
  probabilities: fc.boolean(),
});

/** Row-major halves' bits: moderate values from a seed, with `special` ones placed at their positions. */
function bitsOf(n: number, seed: number, special: [number, number][]): number[] {
  let s = seed + 1;
  const bits = Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return 0x3000 + (s % 0x1c00) + (s & 0x10000 ? 0x8000 : 0);
  });
  for (const [at, h] of special) bits[at % n] = h;
  return bits;
}

/** The same bits, bit for bit (NaNs included). */
function expectSameBits(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  const a = new Uint32Array(Float32Array.from(got).buffer);
  const b = new Uint32Array(Float32Array.from(want).buffer);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) expect(`${what}[${i}]: ${got[i]}`).toBe(`${what}[${i}]: ${want[i]}`);
}

describe.each(backends)("%s: f16 logits", (_name, sm) => {
  it("crossEntropy and logProbs of halves: the same bits as of their f32 values", () => {
    fc.assert(
      fc.property(longBatch, (c) => {
        const n = c.rows * c.k;
        const bits = bitsOf(n, c.seed, c.special);
        const x = f16Array(sm, bits);
        const xs = Float32Array.from(bits, halfValue);
        const targets = Int32Array.from({ length: c.rows }, (_, r) => (c.seed + 31 * r) % c.k);
        const opts: Record<string, unknown> = { rowLength: c.k, beta: c.beta, reduction: "none" };
        if (c.weighted) opts.weight = Float32Array.from({ length: c.k }, (_, i) => 0.5 + (i % 3));
        if (c.probabilities && !c.weighted) opts.labelSmoothing = c.labelSmoothing;
        const target = c.probabilities ? Float32Array.from({ length: n }, (_, i) => (i % c.k === 0 ? 1 : 0)) : targets;
        for (const grad of [true, false]) {
          const got = sm.crossEntropy(x, target, { ...opts, grad });
          const want = sm.crossEntropy(xs, target, { ...opts, grad });
          expectSameBits(got.loss as Float32Array, want.loss as Float32Array, `loss (grad ${grad})`);
          if (grad) expectSameBits(got.grad as Float32Array, want.grad as Float32Array, "grad");
        }
        expectSameBits(sm.logProbs(x, targets, { rowLength: c.k, beta: c.beta }), sm.logProbs(xs, targets, { rowLength: c.k, beta: c.beta }), "logProbs");
        x.free();
      }),
      { seed: 1717, numRuns: 80 },
    );
  });

  it("rows whose Inf or NaN halves sit past the first block, or past the vectors, keep the same bits as f32 (the finite-halves path must not take them)", () => {
    // A small beta keeps exp(beta*(x - c)) of a half widened wrongly (-Infinity read as -65536,
    // a NaN as a large finite value) far from 0, so that taking such a row for finite shows.
    for (const k of [37, 2049, 4500]) {
      for (const at of [k - 1, k >> 1, Math.min(3000, k - 2)]) {
        for (const h of [0xfc00, 0x7c00, 0x7e00, 0xfe00, 0xfc01]) {
          for (const beta of [1, 1e-3, -1e-3]) {
            const bits = bitsOf(k, at + h, []);
            bits[at] = h;
            const x = f16Array(sm, bits);
            const xs = Float32Array.from(bits, halfValue);
            const target = Int32Array.of(k >> 2);
            const what = `k ${k}, 0x${h.toString(16)} at ${at}, beta ${beta}`;
            for (const grad of [true, false]) {
              const got = sm.crossEntropy(x, target, { beta, grad, reduction: "none" });
              const want = sm.crossEntropy(xs, target, { beta, grad, reduction: "none" });
              expectSameBits(got.loss as Float32Array, want.loss as Float32Array, `${what} loss (grad ${grad})`);
              if (grad) expectSameBits(got.grad as Float32Array, want.grad as Float32Array, `${what} grad`);
            }
            expectSameBits(sm.logProbs(x, target, { beta }), sm.logProbs(xs, target, { beta }), `${what} logProbs`);
            x.free();
          }
        }
      }
    }
  });

  it("the one-read pass's later blocks (their exponents widened into the work area): blocks redone past the slack, exponents below the exp's floor, subnormal halves, tails: the same bits as f32", () => {
    // Per block of 2,048 (the first sets c): halves of any finite magnitude up to 2^10 (exponents
    // far below the exp's floor of -88 once c is large), subnormal ones, and blocks lifted past
    // c + 64 so that the f32 row redoes them; lengths leaving tails of every size mod 16.
    const block = fc.record({
      scale: fc.constantFrom(0x2400, 0x4400, 0x5800, 0x63ff),
      lift: fc.constantFrom(0, 0, 0x5500, 0x5a00),
      subnormal: fc.boolean(),
    });
    const rowCase = fc.record({
      k: fc.constantFrom(2049, 2063, 4096, 4100, 4111, 6153),
      seed: fc.integer({ min: 0, max: 0xffff }),
      blocks: fc.array(block, { minLength: 4, maxLength: 4 }),
      beta: fc.constantFrom(1, 0.7, -1.3, 1e-3, 3e38),
      target: fc.nat(),
      // The target on the row's extremum, far above (below for beta < 0) the rest: every other
      // exponent is then under the floor, and the loss is their sum's own bits.
      peak: fc.boolean(),
    });
    fc.assert(
      fc.property(rowCase, (c) => {
        let s = c.seed + 1;
        const bits = Array.from({ length: c.k }, (_, i) => {
          s = (s * 1103515245 + 12345) % 2 ** 31;
          const b = c.blocks[Math.min(3, i >> 11)];
          const sign = s & 0x10000 ? 0x8000 : 0;
          if (b.subnormal && s % 5 === 0) return sign | (s % 0x400);
          // A lifted block: positive halves from the lift upward now and then.
          if (b.lift && s % 7 === 0) return b.lift + (s % 0x300);
          return sign | (s % b.scale);
        });
        if (c.peak) bits[c.target % c.k] = c.beta < 0 ? 0xe3ff : 0x63ff;
        const x = f16Array(sm, bits);
        const xs = Float32Array.from(bits, halfValue);
        const target = Int32Array.of(c.target % c.k);
        const what = `k ${c.k}, beta ${c.beta}, peak ${c.peak}`;
        const got = sm.crossEntropy(x, target, { beta: c.beta, reduction: "none" });
        const want = sm.crossEntropy(xs, target, { beta: c.beta, reduction: "none" });
        expectSameBits(got.loss as Float32Array, want.loss as Float32Array, `${what} loss`);
        expectSameBits(sm.logProbs(x, target, { beta: c.beta }), sm.logProbs(xs, target, { beta: c.beta }), `${what} logProbs`);
        x.free();
      }),
      { seed: 6021, numRuns: 120 },
    );
  });

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

  it("softmaxBackward and logSoftmaxBackward of f16 gradY and y: the same bits as of their f32 values", () => {
    fc.assert(
      fc.property(longBatch, fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0, 1, 2), (c, seed2, sub) => {
        const n = c.rows * c.k;
        // Subnormal halves (exponent 0) in g, in y, or in neither: widened exactly whatever
        // mix of subnormal and normal halves the two rows hold.
        const tiny = (h: number, on: boolean) => (on && (h & 0x7c00) !== 0x7c00 ? h & 0x83ff : h);
        const gBits = bitsOf(n, c.seed, c.special).map((h) => tiny(h, sub === 1));
        // y: probabilities (small positive halves) or log-probabilities (negative ones), with the same specials.
        const yBits = bitsOf(n, seed2, c.special.map(([at, h]) => [at + 1, h] as [number, number]))
          .map((h) => (h & 0x7c00) === 0x7c00 ? h : h & 0x3bff)
          .map((h) => tiny(h, sub === 2));
        const logBits = yBits.map((h) => ((h & 0x7c00) === 0x7c00 ? h : h | 0x8000));
        const g = f16Array(sm, gBits);
        const gs = Float32Array.from(gBits, halfValue);
        for (const [log, bits] of [[false, yBits], [true, logBits]] as const) {
          const y = f16Array(sm, bits);
          const ys = Float32Array.from(bits, halfValue);
          const f = log ? sm.logSoftmaxBackward : sm.softmaxBackward;
          const opts = { rowLength: c.k, beta: c.beta };
          const got = f(g, y, opts);
          expect(got).toBeInstanceOf(Float32Array);
          expectSameBits(got, f(gs, ys, opts), `${log ? "logSoftmaxBackward" : "softmaxBackward"} k ${c.k}`);
          // A lone f16 operand is widened: the same bits again, also into the f32 operand (in
          // place, copied or zero-copy).
          const want = f(gs, ys, opts);
          expectSameBits(f(g, ys, opts), want, "f16 gradY, f32 y");
          expectSameBits(f(gs, y, opts), want, "f32 gradY, f16 y");
          const overY = Float32Array.from(ys);
          expect(f(g, overY, { ...opts, out: overY })).toBe(overY);
          expectSameBits(overY, want, "f16 gradY, out = f32 y");
          const overG = Float32Array.from(gs);
          expect(f(overG, y, { ...opts, out: overG })).toBe(overG);
          expectSameBits(overG, want, "out = f32 gradY, f16 y");
          const w = sm.alloc(n, "f32");
          w.array.set(ys);
          expect(f(g, w, { ...opts, out: w })).toBe(w);
          expectSameBits(w.array, want, "f16 gradY, out = f32 y (zero-copy)");
          w.array.set(gs);
          expect(f(w, y, { ...opts, out: w })).toBe(w);
          expectSameBits(w.array, want, "out = f32 gradY (zero-copy), f16 y");
          w.free();
          y.free();
        }
        g.free();
      }),
      { seed: 2718, numRuns: 60 },
    );
  });

  it("softmaxBackward and logSoftmaxBackward of long f16 rows with a few subnormal halves (blocks redone exactly): the f32 values' bits", () => {
    // The first passes widen blocks without float arithmetic on subnormals and redo exactly a
    // block that held one (half.ts: quickTop8, widenExact4): one or two subnormals at block edges.
    for (const k of [520, 1030, 2100, 4200]) {
      for (const at of [0, 7, 511, 512, 1023, 1024, 2047, 2048, k - 1].filter((a) => a < k)) {
        const gBits = Array.from({ length: k }, (_, i) => (0x3000 + ((i * 7919) % 0x1800)) | (i & 1 ? 0x8000 : 0));
        gBits[at] = 0x0123;
        gBits[(at * 5 + 333) % k] = 0x8007;
        const yBits = Array.from({ length: k }, (_, i) => 0x2000 + ((i * 104729) % 0x1400));
        yBits[(at + 600) % k] = 0x0311;
        const g = f16Array(sm, gBits);
        const gs = Float32Array.from(gBits, halfValue);
        for (const [log, bits] of [[false, yBits], [true, yBits.map((h) => h | 0x8000)]] as const) {
          const y = f16Array(sm, bits);
          const ys = Float32Array.from(bits, halfValue);
          const f = log ? sm.logSoftmaxBackward : sm.softmaxBackward;
          expectSameBits(f(g, y, { beta: 0.75 }), f(gs, ys, { beta: 0.75 }), `${log ? "log" : ""} k ${k}, subnormal at ${at}`);
          y.free();
        }
        g.free();
      }
    }
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
