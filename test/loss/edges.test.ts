// crossEntropy's PyTorch regressions and special values, the gradient in place and in
// WasmArrays, the errors (and that a throwing call changes nothing), property checks; the
// backward passes and the Jacobian against the float64 reference.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { type Dtype, LOSS_TOL, crossEntropyRef, expectRel, expectRowsClose, logSoftmaxRef } from "./reference.js";
import { random } from "../core/reference.js";

const dtypes: Dtype[] = ["f32", "f64"];

function array(dtype: Dtype, values: ArrayLike<number>): Float32Array | Float64Array {
  return dtype === "f32" ? Float32Array.from(values) : Float64Array.from(values);
}

function uniform(dtype: Dtype, n: number, seed: number, spread = 3): Float32Array | Float64Array {
  const next = random(seed);
  return array(dtype, Array.from({ length: n }, () => spread * (2 * next() - 1)));
}

/** The rows of x (K each) listed in `keep`, as a new array. */
function pickRows(x: Float32Array | Float64Array, k: number, keep: number[]): Float32Array | Float64Array {
  const out = new (x.constructor as Float64ArrayConstructor)(keep.length * k);
  keep.forEach((r, i) => out.set(x.subarray(r * k, (r + 1) * k), i * k));
  return out;
}

describe.each(backends)("crossEntropy regressions and special values on %s", (_name, kernels) => {
  describe.each(dtypes)("%s", (dtype) => {
    const tol = LOSS_TOL[dtype];

    it("logProbs of a WasmArray of confident rows (the target at each max) equals that of its typed array", () => {
      // Regression: the rows after the first read statistics that the near-0 pass had overwritten.
      const k = 300;
      const values = Array.from({ length: 3 * k }, (_, i) => (i % k === 7 ? 12 : Math.sin(i)));
      const x = kernels.alloc(values.length, dtype);
      x.array.set(values);
      const t = Int32Array.from([7, 7, 7]);
      expect(Array.from(kernels.logProbs(x, t, { rowLength: k }))).toEqual(Array.from(kernels.logProbs(x.array, t, { rowLength: k })));
      x.free();
    });

    it("all targets ignored: mean is NaN (as PyTorch), sum is 0, none is 0s; the gradient is 0", () => {
      const x = uniform(dtype, 12, 1);
      for (const opts of [{}, { labelSmoothing: 0.2 }, { weight: [1, 2, 3, 4], labelSmoothing: 0.1, zLoss: 0.1 }]) {
        const t = new Int32Array([-100, -100, -100]);
        const mean = kernels.crossEntropy(x, t, { ...opts, rowLength: 4, grad: true });
        expect(mean.loss).toBeNaN();
        expect(Array.from(mean.grad)).toEqual(new Array(12).fill(0));
        const sum = kernels.crossEntropy(x, t, { ...opts, rowLength: 4, reduction: "sum", grad: true });
        expect(sum.loss).toBe(0);
        expect(Array.from(sum.grad)).toEqual(new Array(12).fill(0));
        const none = kernels.crossEntropy(x, t, { ...opts, rowLength: 4, reduction: "none" });
        expect(Array.from(none.loss)).toEqual([0, 0, 0]);
      }
    });

    it("an empty batch: mean NaN, sum 0, none empty", () => {
      const x = array(dtype, []);
      expect(kernels.crossEntropy(x, new Int32Array(0), { rowLength: 5 }).loss).toBeNaN();
      expect(kernels.crossEntropy(x, new Int32Array(0), { rowLength: 5, reduction: "sum" }).loss).toBe(0);
      expect(kernels.crossEntropy(x, new Int32Array(0), { rowLength: 5, reduction: "none" }).loss.length).toBe(0);
    });

    it("label smoothing does not count ignored rows (pytorch #73205), with and without weights (#69339)", () => {
      const k = 5;
      const x = uniform(dtype, 6 * k, 2);
      const t = new Int32Array([3, -100, 0, -100, 4, 1]);
      const kept = [0, 2, 4, 5];
      const xKept = pickRows(x, k, kept);
      const tKept = Int32Array.from(kept.map((r) => t[r]));
      for (const weight of [undefined, [0.5, 2, 1, 3, 0.25]]) {
        for (const reduction of ["mean", "sum"] as const) {
          const opts = { rowLength: k, labelSmoothing: 0.3, weight, reduction };
          const all = kernels.crossEntropy(x, t, { ...opts, grad: true });
          const only = kernels.crossEntropy(xKept, tKept, { ...opts, grad: true });
          expectRel(all.loss, only.loss, tol.loss, `${reduction} weight ${weight !== undefined}`);
          expectRel(all.loss, crossEntropyRef(x, t, opts).loss, tol.loss);
          expectRowsClose(pickRows(all.grad, k, kept), only.grad, k, tol.grad);
          for (const r of [1, 3]) expect(Array.from(all.grad.subarray(r * k, (r + 1) * k))).toEqual(new Array(k).fill(0));
        }
      }
    });

    it("PyTorch #69339's own case: weight, labelSmoothing and an ignored row together", () => {
      const x = array(dtype, [1, 2, 3, 0.4]);
      const opts = { rowLength: 2, weight: [0.2, 0.3], labelSmoothing: 0.1 };
      const got = kernels.crossEntropy(x, [-100, 1], opts).loss;
      expectRel(got, crossEntropyRef(x, [-100, 1], opts).loss, tol.loss);
      expectRel(got, kernels.crossEntropy(x.subarray(2), [1], opts).loss, tol.loss);
    });

    it("weighted mean divides by the weights of the counted targets", () => {
      const k = 3;
      const x = uniform(dtype, 4 * k, 3);
      const weight = [2, 0.5, 4];
      const t = [0, 2, -100, 1];
      const sum = kernels.crossEntropy(x, t, { rowLength: k, weight, reduction: "sum" }).loss;
      const mean = kernels.crossEntropy(x, t, { rowLength: k, weight }).loss;
      expectRel(mean, sum / (2 + 4 + 0.5), tol.loss);
    });

    it("masked logits (-Infinity) in non-target classes are fine; their gradient is 0", () => {
      const k = 6;
      const x = uniform(dtype, 3 * k, 4);
      x[1] = -Infinity;
      x[k + 5] = -Infinity;
      x[2 * k] = -Infinity;
      x[2 * k + 3] = -Infinity;
      const t = [0, 2, 4];
      for (const opts of [{}, { weight: [1, 0, 2, 1, 3, 0], reduction: "sum" as const }, { zLoss: 0.01, beta: 2 }]) {
        const { loss, grad } = kernels.crossEntropy(x, t, { ...opts, rowLength: k, grad: true });
        expect(Number.isFinite(loss)).toBe(true);
        const ref = crossEntropyRef(x, t, { ...opts, rowLength: k });
        expectRel(loss, ref.loss, tol.loss);
        expectRowsClose(grad, ref.grad, k, tol.grad);
        for (const i of [1, k + 5, 2 * k, 2 * k + 3]) expect(grad[i]).toBe(0);
      }
      // Probability targets with a zero probability on the masked class: finite too.
      const p = new Float64Array(3 * k).fill(1 / (k - 1));
      for (const i of [1, k + 5]) p[i] = 0;
      p[2 * k] = 0;
      p[2 * k + 3] = 0;
      p[2 * k + 1] = 2 / (k - 1);
      p[2 * k + 2] = 2 / (k - 1);
      const prob = kernels.crossEntropy(x, p, { rowLength: k, grad: true });
      expectRel(prob.loss, crossEntropyRef(x, p, { rowLength: k }).loss, tol.loss);
      expect(prob.grad.every((v) => Number.isFinite(v))).toBe(true);
      // With label smoothing a masked class has target mass: the loss is +Infinity, as PyTorch.
      expect(kernels.crossEntropy(x, t, { rowLength: k, labelSmoothing: 0.1 }).loss).toBe(Infinity);
    });

    it("a -Infinity target logit: infinite loss, never NaN in the other rows or the gradient", () => {
      const k = 4;
      const x = uniform(dtype, 3 * k, 5);
      x[k + 2] = -Infinity;
      const t = [1, 2, 0];
      const none = kernels.crossEntropy(x, t, { rowLength: k, reduction: "none", grad: true });
      expect(none.loss[1]).toBe(Infinity);
      const ref = crossEntropyRef(x, t, { rowLength: k, reduction: "none" });
      for (const r of [0, 2]) expectRel(none.loss[r], ref.rows[r], tol.loss);
      expect(none.grad.some((v) => Number.isNaN(v))).toBe(false);
      expectRowsClose(none.grad, ref.grad, k, tol.grad);
      const mean = kernels.crossEntropy(x, t, { rowLength: k, grad: true });
      expect(mean.loss).toBe(Infinity);
      expect(mean.grad.some((v) => Number.isNaN(v))).toBe(false);
      // A row masked entirely: its target has probability 0 as well.
      const all = array(dtype, [-Infinity, -Infinity, -Infinity, 1, 2, 3]);
      const masked = kernels.crossEntropy(all, [1, 0], { rowLength: 3, reduction: "none", grad: true });
      expect(masked.loss[0]).toBe(Infinity);
      expect(Number.isFinite(masked.loss[1])).toBe(true);
      expect(masked.grad.some((v) => Number.isNaN(v))).toBe(false);
    });

    it("+Infinity logits share the probability; a NaN row is NaN and leaves the other rows alone", () => {
      const x = array(dtype, [Infinity, 0, Infinity, 1, NaN, 2, 0.5, -1, 3]);
      const t = [0, 1, 2];
      const { loss, grad } = kernels.crossEntropy(x, t, { rowLength: 3, reduction: "none", grad: true });
      expectRel(loss[0], Math.log(2), tol.loss);
      expect(loss[1]).toBeNaN();
      const ref = crossEntropyRef(x, t, { rowLength: 3, reduction: "none" });
      expectRel(loss[2], ref.rows[2], tol.loss);
      expectRowsClose(grad.subarray(0, 3), [-0.5, 0, 0.5], 3, tol.grad);
      expect(Array.from(grad.subarray(3, 6)).every(Number.isNaN)).toBe(true);
      expectRowsClose(grad.subarray(6), ref.grad.slice(6), 3, tol.grad);
      expect(kernels.crossEntropy(x, [1, 1, 2], { rowLength: 3, reduction: "none" }).loss[0]).toBe(Infinity);
    });

    it("long rows (the one-read pass of logProbs and the loss alone): values rising past the first block, special values late in the row", () => {
      const k = 9000; // several blocks of 2048
      const make = (fill: (x: Float32Array | Float64Array) => void) => {
        const x = uniform(dtype, k, 11, 5);
        fill(x);
        return x;
      };
      const rows: [string, Float32Array | Float64Array][] = [
        ["plain", make(() => {})],
        ["a later block 100 above", make((x) => x.fill(100, 5000, 5003))],
        ["every block higher than the last", make((x) => { for (let i = 0; i < k; i++) x[i] += i / 20; })],
        ["first block masked", make((x) => x.fill(-Infinity, 0, 2048))],
        ["-Infinity spread", make((x) => { for (let i = 0; i < k; i += 3) x[i] = -Infinity; })],
        ["NaN in the last block", make((x) => { x[8999] = NaN; })],
        ["+Infinity in a later block", make((x) => { x[7000] = Infinity; })],
        ["all masked", make((x) => x.fill(-Infinity))],
      ];
      for (const [label, x] of rows) {
        for (const beta of [1, 0.5, -1.5]) {
          for (const y of [0, 2047, 2048, 5001, 7000, 8999]) {
            const { logp } = logSoftmaxRef(Array.from(x, (v) => beta * v));
            const got = kernels.logProbs(x, [y], { beta });
            expectRowsClose(got, [logp[y]], 1, tol.grad, `${label} beta ${beta} y ${y} logProbs`);
            const ref = crossEntropyRef(x, [y], { beta });
            expectRel(kernels.crossEntropy(x, [y], { beta }).loss, ref.loss, tol.loss, `${label} beta ${beta} y ${y} loss`);
          }
        }
      }
    });

    it("an ignored row may hold anything (NaN, Infinity)", () => {
      const x = array(dtype, [NaN, Infinity, -Infinity, 1, 2, 3]);
      const { loss, grad } = kernels.crossEntropy(x, [-100, 2], { rowLength: 3, grad: true });
      expectRel(loss, crossEntropyRef([0, 0, 0, 1, 2, 3], [-100, 2], { rowLength: 3 }).loss, tol.loss);
      expect(Array.from(grad.subarray(0, 3))).toEqual([0, 0, 0]);
    });

    it("the gradient in place (grad = logits), into a given array, and in WasmArrays", () => {
      const k = 37;
      const rows = 5;
      const x = uniform(dtype, rows * k, 6);
      const t = new Int32Array([3, 36, -100, 0, 17]);
      const opts = { rowLength: k, labelSmoothing: 0.1, zLoss: 1e-3 };
      const ref = crossEntropyRef(x, t, opts);
      const copy = x.slice();
      const inPlace = kernels.crossEntropy(copy, t, { ...opts, grad: copy });
      expect(inPlace.grad).toBe(copy);
      expectRel(inPlace.loss, ref.loss, tol.loss);
      expectRowsClose(copy, ref.grad, k, tol.grad);
      const given = dtype === "f32" ? new Float32Array(rows * k) : new Float64Array(rows * k);
      expect(kernels.crossEntropy(x, t, { ...opts, grad: given }).grad).toBe(given);
      expectRowsClose(given, ref.grad, k, tol.grad);
      // WasmArrays: logits and gradient in the backend's memory, also the same one.
      const xa = kernels.alloc(rows * k, dtype);
      const ga = kernels.alloc(rows * k, dtype);
      xa.array.set(x);
      const r1 = kernels.crossEntropy(xa, t, { ...opts, grad: ga });
      expect(r1.grad).toBe(ga);
      expectRowsClose(ga.array, ref.grad, k, tol.grad);
      expect(Array.from(xa.array)).toEqual(Array.from(x));
      const r2 = kernels.crossEntropy(xa, t, { ...opts, grad: xa });
      expectRel(r2.loss, ref.loss, tol.loss);
      expectRowsClose(xa.array, ref.grad, k, tol.grad);
      xa.free();
      ga.free();
    });

    it("number[] logits give f64; grad true gives an array of the logits' dtype", () => {
      const { loss, grad } = kernels.crossEntropy([1, 2, 3, 4], [1, 0], { rowLength: 2, reduction: "none", grad: true });
      expect(loss).toBeInstanceOf(Float64Array);
      expect(grad).toBeInstanceOf(Float64Array);
      const r = kernels.crossEntropy(array(dtype, [1, 2]), [1], { grad: true });
      expect(r.grad).toBeInstanceOf(dtype === "f32" ? Float32Array : Float64Array);
    });

    it("repeated calls of the same size do not grow memory", () => {
      const k = 1000;
      const x = uniform(dtype, 8 * k, 7);
      const t = new Int32Array(8).fill(5);
      const probe = kernels.alloc(1, dtype);
      kernels.crossEntropy(x, t, { rowLength: k, grad: true, weight: new Array(k).fill(1) });
      const before = probe.array.buffer.byteLength;
      for (let i = 0; i < 20; i++) kernels.crossEntropy(x, t, { rowLength: k, grad: true, weight: new Array(k).fill(1) });
      expect(probe.array.buffer.byteLength).toBe(before);
      probe.free();
    });
  });
});

describe.each(backends)("errors on %s", (_name, kernels) => {
  const x = new Float32Array([1, 2, 3, 4, 5, 6]);

  it("RangeError naming the option and the value; TypeError for types", () => {
    const range: [unknown, unknown, RegExp][] = [
      [[0, 3], { rowLength: 3 }, /target\[1\].*\[0, 3\).*got 3/],
      [[0, -1], { rowLength: 3 }, /target\[1\].*ignoreIndex -100.*got -1/],
      [new Int32Array([0, 7]), { rowLength: 3 }, /target\[1\].*got 7/],
      [[0, 1.5], { rowLength: 3 }, /target\[1\].*got 1.5/],
      [[0, 1], { rowLength: 4 }, /rowLength must divide.*4/],
      [[0, 1], { rowLength: 0 }, /rowLength.*got 0/],
      [[0, 1], { rowLength: 3, labelSmoothing: 1.5 }, /labelSmoothing.*1.5/],
      [[0, 1], { rowLength: 3, labelSmoothing: NaN }, /labelSmoothing.*NaN/],
      [[0, 1], { rowLength: 3, zLoss: -1 }, /zLoss.*-1/],
      [[0, 1], { rowLength: 3, zLoss: Infinity }, /zLoss.*Infinity/],
      [[0, 1], { rowLength: 3, reduction: "avg" }, /reduction.*"avg"/],
      [[0, 1], { rowLength: 3, ignoreIndex: 0.5 }, /ignoreIndex.*0.5/],
      [[0, 1], { rowLength: 3, weight: [1, 2] }, /weight.*length 2.*3/],
      [[0, 1], { rowLength: 3, grad: new Float32Array(5) }, /grad.*length 5.*6/],
      [[0, 1], { rowLength: 3, temperature: 0 }, /temperature.*0/],
      [new Float64Array(4), { rowLength: 3 }, /target probabilities must have the logits' length \(6\) \(got length 4\)/],
      // One float per row: indices given as floats, not probabilities of the wrong length.
      [new Float32Array([1, 2]), { rowLength: 3 }, /Float32Array of one entry per row \(2\): class indices must be integers, an Int32Array or number\[\]/],
      [new Float32Array([1]), {}, /class indices must be integers.*probabilities, of the logits' length \(6\)/],
      [new Int32Array(3), { rowLength: 3 }, /target.*length 3.*2 rows/],
    ];
    for (const [t, opts, message] of range) {
      expect(() => kernels.crossEntropy(x, t as number[], opts as object), String(message)).toThrow(RangeError);
      expect(() => kernels.crossEntropy(x, t as number[], opts as object)).toThrow(message);
    }
    const type: [unknown, unknown, unknown, RegExp][] = [
      ["x", [0], {}, /logits/],
      [x, "0", {}, /target/],
      [x, [0, "1"], { rowLength: 3 }, /target\[1\]/],
      [x, [0, 1], { rowLength: 3, grad: new Float64Array(6) }, /grad.*f32/],
      [x, [0, 1], { rowLength: 3, grad: "yes" }, /grad/],
      [x, [0, 1], { rowLength: 3, weight: "heavy" }, /weight/],
      [x, [0, 1], { rowLength: 3, reduction: 1 }, /reduction/],
      [x, [0, 1], { rowLength: 3, labelSmoothing: "0.1" }, /labelSmoothing/],
      [x, [0, 1], { rowLength: 3, beta: 1, temperature: 1 }, /beta/],
      [x, [0, 1], { rowLength: 3, smoothing: 0.1 }, /unknown option "smoothing"/],
    ];
    for (const [logits, t, opts, message] of type) {
      expect(() => kernels.crossEntropy(logits as Float32Array, t as number[], opts as object)).toThrow(TypeError);
      expect(() => kernels.crossEntropy(logits as Float32Array, t as number[], opts as object)).toThrow(message);
    }
    expect(() => kernels.logProbs(x, [0, 3], { rowLength: 3 })).toThrow(/target\[1\].*got 3/);
    expect(() => kernels.logProbs(x, new Float32Array(2), { rowLength: 3 })).toThrow(TypeError);
    expect(() => kernels.logProbs(x, [0, 1], { rowLength: 3, out: new Float32Array(3) })).toThrow(RangeError);
    expect(() => kernels.softmaxBackward(x, new Float32Array(5))).toThrow(/y.*length 5/);
    expect(() => kernels.logSoftmaxBackward(x, x, { out: new Float64Array(6) })).toThrow(TypeError);
    expect(() => kernels.jacobian(new Float32Array(4097))).toThrow(/K = 4097/);
    expect(() => kernels.jacobian(new Float32Array(4096))).not.toThrow();
  });

  it("a throwing call changes neither the logits nor the gradient array", () => {
    const logits = uniform("f32", 12, 9);
    const keep = logits.slice();
    // The bad index is in the last row: nothing may be written before it is seen.
    expect(() => kernels.crossEntropy(logits, [0, 1, 2, 9], { rowLength: 3, grad: logits })).toThrow(RangeError);
    expect(Array.from(logits)).toEqual(Array.from(keep));
    const g = new Float32Array(12).fill(7);
    expect(() => kernels.crossEntropy(logits, [0, 1, 2, 1], { rowLength: 3, grad: g, zLoss: -2 })).toThrow(RangeError);
    expect(Array.from(g)).toEqual(new Array(12).fill(7));
    // The instance keeps working.
    expect(Number.isFinite(kernels.crossEntropy(logits, [0, 1, 2, 1], { rowLength: 3 }).loss)).toBe(true);
  });
});

describe.each(backends)("softmaxBackward, logSoftmaxBackward and jacobian on %s", (_name, kernels) => {
  describe.each(dtypes)("%s", (dtype) => {
    const tol = LOSS_TOL[dtype].grad;
    for (const k of [1, 2, 3, 4, 5, 8, 9, 31, 1000]) {
      it(`K = ${k}: against the reference, batched, with beta, in place`, () => {
        const rows = 3;
        const x = uniform(dtype, rows * k, k, 4);
        const g = uniform(dtype, rows * k, k + 1, 2);
        for (const beta of [1, 0.6, -2]) {
          const y = kernels.softmax(x, { rowLength: k, beta });
          const logY = kernels.logSoftmax(x, { rowLength: k, beta });
          const ref: number[] = [];
          const refLog: number[] = [];
          for (let r = 0; r < rows; r++) {
            let dot = 0;
            let sum = 0;
            for (let j = r * k; j < (r + 1) * k; j++) {
              dot += g[j] * y[j];
              sum += g[j];
            }
            for (let j = r * k; j < (r + 1) * k; j++) {
              ref.push(beta * y[j] * (g[j] - dot));
              refLog.push(beta * (g[j] - Math.exp(logY[j]) * sum));
            }
          }
          expectRowsClose(kernels.softmaxBackward(g, y, { rowLength: k, beta }), ref, k, tol, `softmax beta ${beta}`);
          expectRowsClose(kernels.logSoftmaxBackward(g, logY, beta > 0 ? { rowLength: k, temperature: 1 / beta } : { rowLength: k, beta }), refLog, k, tol, `log beta ${beta}`);
          const inPlace = g.slice();
          expect(kernels.softmaxBackward(inPlace, y, { rowLength: k, beta, out: inPlace })).toBe(inPlace);
          expectRowsClose(inPlace, ref, k, tol);
          const overY = logY.slice();
          kernels.logSoftmaxBackward(g, overY, { rowLength: k, beta, out: overY });
          expectRowsClose(overY, refLog, k, tol);
        }
      });
    }

    it("softmaxBackward is the Jacobian times the gradient, and both agree with the reference", () => {
      const k = 7;
      const y = kernels.softmax(uniform(dtype, k, 3));
      const g = uniform(dtype, k, 4);
      for (const beta of [1, 1.5, -0.5]) {
        const J = kernels.jacobian(y, { beta });
        expect(J).toBeInstanceOf(dtype === "f32" ? Float32Array : Float64Array);
        const ref: number[] = [];
        for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) ref.push(beta * ((i === j ? y[i] : 0) - y[i] * y[j]));
        expectRowsClose(J, ref, k * k, tol);
        const jg = Array.from({ length: k }, (_, j) => {
          let s = 0;
          for (let i = 0; i < k; i++) s += g[i] * J[i * k + j];
          return s;
        });
        expectRowsClose(kernels.softmaxBackward(g, y, { beta }), jg, k, dtype === "f32" ? 1e-6 : 1e-14);
      }
      expect(kernels.jacobian(array(dtype, [])).length).toBe(0);
    });

    it("jacobian into `out` (a typed array or a WasmArray): the same values, out returned; a bad out throws and writes nothing", () => {
      const k = 9;
      const y = kernels.softmax(uniform(dtype, k, 5));
      const want = kernels.jacobian(y, { temperature: 0.5 });
      const out = array(dtype, new Array(k * k).fill(7));
      expect(kernels.jacobian(y, { temperature: 0.5, out })).toBe(out);
      expect(Array.from(out)).toEqual(Array.from(want));
      const wa = kernels.alloc(k * k, dtype);
      expect(kernels.jacobian(y, { temperature: 0.5, out: wa })).toBe(wa);
      expect(Array.from(wa.array)).toEqual(Array.from(want));
      wa.free();
      const short = array(dtype, new Array(k * k - 1).fill(7));
      expect(() => kernels.jacobian(y, { out: short })).toThrow(new RangeError(`out must have K*K elements (got length ${k * k - 1} for ${k * k})`));
      expect(Array.from(short).every((v) => v === 7)).toBe(true);
      const other = dtype === "f32" ? new Float64Array(k * k) : new Float32Array(k * k);
      expect(() => kernels.jacobian(y, { out: other as Float32Array & Float64Array })).toThrow(TypeError);
      expect(() => kernels.jacobian(y, { rowLength: k } as object)).toThrow(new TypeError('unknown option "rowLength" (options: temperature,beta,out)'));
    });

    it("the softmax backward of the log-softmax of a cross-entropy gradient chain agrees (logits -> loss)", () => {
      // d(-log p_y)/dx = logSoftmaxBackward(-onehot(y), logSoftmax(x)), as autograd composes it.
      const k = 11;
      const x = uniform(dtype, 2 * k, 5);
      const t = [4, 9];
      const onehot = new (x.constructor as Float64ArrayConstructor)(2 * k);
      onehot[4] = -1;
      onehot[k + 9] = -1;
      const viaBackward = kernels.logSoftmaxBackward(onehot, kernels.logSoftmax(x, { rowLength: k }), { rowLength: k });
      const fused = kernels.crossEntropy(x, t, { rowLength: k, reduction: "sum", grad: true }).grad;
      expectRowsClose(viaBackward, Array.from(fused), k, tol * 2);
    });
  });
});

describe("properties (fast-check, fixed seed)", () => {
  const [, kernels] = backends[1];
  const row = fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fc.double({ min: -50, max: 50, noNaN: true }) },
      { weight: 1, arbitrary: fc.constant(-Infinity) },
      { weight: 1, arbitrary: fc.constantFrom(0, 1e4, -1e4) },
    ),
    { minLength: 2, maxLength: 40 },
  );
  it("loss >= 0, the gradient of each counted row sums to 0 and matches the reference (index targets)", () => {
    fc.assert(
      fc.property(row, fc.nat(), fc.double({ min: 0, max: 1, noNaN: true }), (values, seed, eps) => {
        const k = values.length;
        const x = Float64Array.from(values);
        const y = seed % k;
        if (x[y] === -Infinity) x[y] = 0;
        if (x.every((v) => v === -Infinity)) return;
        const masked = x.some((v) => v === -Infinity);
        const opts = { labelSmoothing: masked ? 0 : eps };
        const { loss, grad } = kernels.crossEntropy(x, [y], { ...opts, grad: true });
        expect(loss).toBeGreaterThanOrEqual(0);
        let s = 0;
        for (const v of grad) s += v;
        expect(Math.abs(s)).toBeLessThan(1e-12);
        const ref = crossEntropyRef(x, [y], opts);
        expectRel(loss, ref.loss, 1e-12);
        expectRowsClose(grad, ref.grad, k, 1e-13);
      }),
      { seed: 1234, numRuns: 300 },
    );
  });
  it("translation invariance per row: adding a constant to a row changes neither loss nor gradient", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 1, maxLength: 30 }), fc.integer({ min: -64, max: 64 }), (values, shift) => {
        const x = Float64Array.from(values);
        const moved = x.map((v) => v + shift);
        const a = kernels.crossEntropy(x, [0], { grad: true, labelSmoothing: 0.1 });
        const b = kernels.crossEntropy(moved, [0], { grad: true, labelSmoothing: 0.1 });
        expectRel(b.loss, a.loss, 1e-10);
        expectRowsClose(b.grad, a.grad, values.length, 1e-12);
      }),
      { seed: 99, numRuns: 200 },
    );
  });
  it("probability targets equal to a one-hot give the index-target loss", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -30, max: 30, noNaN: true }), { minLength: 1, maxLength: 30 }), fc.nat(), (values, seed) => {
        const k = values.length;
        const y = seed % k;
        const p = new Float64Array(k);
        p[y] = 1;
        const a = kernels.crossEntropy(values, [y], { grad: true, labelSmoothing: 0.2 });
        const b = kernels.crossEntropy(values, p, { grad: true, labelSmoothing: 0.2 });
        expectRel(b.loss, a.loss, 1e-10);
        expectRowsClose(b.grad, a.grad, k, 1e-13);
        expect(logSoftmaxRef(values).logp[y]).toBeCloseTo(kernels.logProbs(values, [y])[0], 10);
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});

describe.each(backends)("a huge beta on finite logits is the arg max (the difference decides) on %s", (_name, kernels) => {
  it.each(dtypes)("%s: beta*max overflows to -Infinity, the row is not masked", (dtype) => {
    const x = array(dtype, [-2, -3, -2, -5]);
    for (const beta of [1e308, Number.MAX_VALUE]) {
      // Ties of the max share: log(1/2); the rest get -Infinity.
      expect(Array.from(kernels.logProbs(x, [0], { beta })), `beta=${beta}`).toEqual([-Math.log(2)].map(dtype === "f32" ? Math.fround : Number));
      // beta*(x_1 - c) = -beta: finite in f64, past f32's range.
      expect(Array.from(kernels.logProbs(x, [1], { beta }))).toEqual([dtype === "f32" ? -Infinity : -beta]);
      expect(kernels.crossEntropy(x, [2], { beta }).loss).toBeCloseTo(Math.log(2), 6);
      const p = array(dtype, [0.5, 0, 0.5, 0]);
      expect(kernels.crossEntropy(x, p, { beta }).loss).toBeCloseTo(Math.log(2), 6);
      expect(kernels.crossEntropy(x.map((v) => -v), [3], { beta: -beta }).loss).toBe(Infinity);
      expect(kernels.crossEntropy(x.map((v) => -v), [0], { beta: -beta }).loss).toBeCloseTo(Math.log(2), 6);
    }
  });
});

describe.each(backends)("beta 0 or tiny on rows at the dtype's limits (the difference decides) on %s", (_name, kernels) => {
  it.each(dtypes)("%s: no NaN from beta*(x - c) where beta rounds to 0 in the dtype or x - c overflows", (dtype) => {
    const big = dtype === "f32" ? 3e38 : 1.7e308;
    const f = dtype === "f32" ? Math.fround : Number;
    // beta = 0 on a finite row: uniform.
    expect(Array.from(kernels.logProbs(array(dtype, [big, -big, 1]), [0, ], { beta: 0 }))).toEqual([f(-Math.log(3))]);
    expect(kernels.crossEntropy(array(dtype, [big, -big, 1]), [1], { beta: 0 }).loss).toBeCloseTo(Math.log(3), 6);
    // beta = -5e-324: the +Infinity entry's score is -Infinity (masked), the rest share.
    expect(Array.from(kernels.logProbs(array(dtype, [Infinity, 1, 2]), [1], { beta: -5e-324 }))).toEqual([f(-Math.log(2))]);
    expect(Array.from(kernels.logProbs(array(dtype, [Infinity, 1, 2]), [0], { beta: -5e-324 }))).toEqual([-Infinity]);
  });
});

describe.each(backends)("the gradient under a huge beta is beta*(p - q), not beta*p - beta*q, on %s", (_name, kernels) => {
  it.each(dtypes)("%s: no Infinity - Infinity, no cancellation of beta-sized terms", (dtype) => {
    const cases: [number[], number, Record<string, unknown>][] = [
      [[0, -1], 0, { beta: 1e308, weight: [3, 3] }], // p = (1, 0) exactly: the gradient is 0
      [[0.5, 0.25], 0, { beta: 1e300 }],
      [[0, -1, 0], 2, { beta: 1e308, labelSmoothing: 0.5, weight: [2, 1, 4] }],
    ];
    if (dtype === "f64") cases.push([[0, -7e-298], 0, { beta: 1e300 }]); // p_1 ~ 1e-304, p_0 rounds to 1: the gradient is +-1e-4
    for (const [values, y, opts] of cases) {
      const x = array(dtype, values);
      const ref = crossEntropyRef(x, [y], opts as never);
      const { grad } = kernels.crossEntropy(x, [y], { ...opts, grad: true } as never);
      const r = dtype === "f32" ? ref.grad.map(Math.fround) : ref.grad; // past f32's range: Infinity
      expectRowsClose(grad, r, values.length, LOSS_TOL[dtype].grad, `${values} ${JSON.stringify(opts)}`);
    }
  });
});

describe.each(backends)("zLoss on a row whose LSE is +Infinity on %s", (_name, kernels) => {
  it.each(dtypes)("%s: entries of probability 0 get a finite gradient (2*lambda*LSE*p_j with p_j = 0 adds 0), not NaN", (dtype) => {
    for (const beta of [1, 0.5, 1e-38]) {
      const x = array(dtype, [Infinity, 1, -2, Infinity]);
      for (const target of [[0], array(dtype, [0.25, 0.25, 0.25, 0.25])]) {
        const opts = { zLoss: 1e-4, beta };
        const ref = crossEntropyRef(x, target, opts);
        const { grad } = kernels.crossEntropy(x, target as never, { ...opts, grad: true });
        expectRowsClose(grad, ref.grad, 4, LOSS_TOL[dtype].grad, `beta=${beta} target=${Array.from(target)}`);
      }
    }
  });
});

describe.each(backends)("logits near the dtype's limits with label smoothing or probability targets on %s", (_name, kernels) => {
  // -log p_j = beta*(c - x_j) + log-sum passes the dtype's range (the scores 0.5*c - 0.5*x_j
  // do not), while the loss, a weighted mean of those with weights below 1, may not.
  it.each(dtypes)("%s: a finite loss stays finite (not Infinity from a_j = x_j - c overflowing)", (dtype) => {
    const big = dtype === "f32" ? 3e38 : 1.7e308;
    const x = array(dtype, [big, -big]);
    const cases: [Float32Array | Float64Array | number[], Record<string, unknown>][] = [
      [array(dtype, [0.6, 0.4]), {}],
      [array(dtype, [0.6, 0.4]), { labelSmoothing: 0.3 }],
      [array(dtype, [0.6, 0.4]), { weight: [1, 0.5] }],
      [[0], { labelSmoothing: 0.2 }],
      [[0], { labelSmoothing: 0.2, weight: [2, 0.5] }],
    ];
    for (const [target, opts] of cases) {
      const ref = crossEntropyRef(x, target, opts as never);
      expect(Number.isFinite(ref.loss), `reference ${JSON.stringify(opts)}`).toBe(true);
      expectRel(kernels.crossEntropy(x, target as never, opts as never).loss as number, ref.loss, LOSS_TOL[dtype].loss, `${Array.from(target)} ${JSON.stringify(opts)}`);
    }
    // Several classes at -MAX: the sum of their halved scores passes the range too.
    const x4 = array(dtype, [-big, -big, -big, 0.001]);
    for (const [target, opts] of [
      [array(dtype, [0.1, 0.1, 0.1, 0.7]), { labelSmoothing: 0.1 }],
      [[3], { labelSmoothing: 0.5 }],
      [[3], { labelSmoothing: 1, weight: [1, 2, 0.5, 1] }],
    ] as [Float32Array | Float64Array | number[], Record<string, unknown>][]) {
      const ref = crossEntropyRef(x4, target, opts as never);
      expect(Number.isFinite(ref.loss), `reference 4 classes ${JSON.stringify(opts)}`).toBe(true);
      expectRel(kernels.crossEntropy(x4, target as never, opts as never).loss as number, ref.loss, LOSS_TOL[dtype].loss, `4 classes ${Array.from(target)} ${JSON.stringify(opts)}`);
    }
    // Two such rows: their sum passes f64's range for f64 data, their mean does not.
    const x2 = array(dtype, [big, -big, -big, big]);
    const t2 = array(dtype, [0.6, 0.4, 0.3, 0.7]);
    for (const reduction of ["mean", "sum", "none"] as const) {
      const ref = crossEntropyRef(x2, t2, { rowLength: 2, reduction });
      const { loss } = kernels.crossEntropy(x2, t2, { rowLength: 2, reduction });
      if (reduction === "none") expectRowsClose(loss as Float64Array, dtype === "f32" ? ref.rows.map(Math.fround) : ref.rows, 1, LOSS_TOL[dtype].loss, reduction);
      else expectRel(loss as number, ref.loss, LOSS_TOL[dtype].loss, reduction);
    }
  });
});
