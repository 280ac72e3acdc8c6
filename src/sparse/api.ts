// The sparse API over a backend: validation (everything before anything is written), alpha = 1
// to the core's softmax, rare betas to the f64 arithmetic of the js backend, and the
// Fenchel-Young losses from the forward pass, shared by every backend.
//
// Fenchel-Young loss (Blondel et al. 2020) of scores theta = beta*x against a target
// distribution q, with p* = entmax(theta) and the Tsallis regularizer
// Omega(p) = (sum_j p_j^alpha - 1)/(alpha*(alpha - 1)) (sum_j p_j log p_j for alpha = 1):
//   L = Omega(q) - Omega(p*) + <theta, p* - q>, gradient p* - q (times beta for x).
// A class index y is q = e_y (Omega(e_y) = 0). theta is taken as beta*(x - c), c the row's
// extremum: the same loss for a distribution q, without the cancellation of large logits.

import { type AnyOperand, type Core, type Operand, computedIn, dtypeOf, viaF32 } from "../core/backend.js";
import { extremum } from "../core/baseline.js";
import { realArray } from "../core/memory.js";
import { scaledDiff } from "../core/online.js";
import { gradOperand, indexTargets, numberOption, probabilityTargets, reductionOf, weightOf } from "../core/targets.js";
import type { Dtype, Input, RealArray, Reduction, ScaleOptions } from "../core/types.js";
import { ROW_KEYS, anyOperandOf, betaFrom, describe, newArray, outOperand, rowsOf, wasmScales } from "../core/validate.js";
import { type KernelExports, WasmCore } from "../core/wasm.js";
import type { SparseCore } from "./backend.js";
import { JsSparse } from "./js.js";
import type { SparseKernels } from "./types.js";
import { WasmSparse } from "./wasm.js";

const ALPHA_KEYS = new Set([...ROW_KEYS, "alpha"]);
const LOSS_KEYS = new Set(["temperature", "beta", "rowLength", "ignoreIndex", "reduction", "weight", "grad"]);
const ENTMAX_LOSS_KEYS = new Set([...LOSS_KEYS, "alpha"]);

/** The alpha option: finite and >= 1, default 1.5. */
function alphaOf(opts: Record<string, unknown>): number {
  return numberOption(opts, "alpha", 1.5, (v) => v >= 1 && v < Infinity, "finite and >= 1");
}

/** Omega(p) of p[start..end) (see the header): the negative Tsallis entropy, Shannon's at alpha = 1. */
function omega(p: RealArray, start: number, end: number, alpha: number): number {
  let s = 0;
  if (alpha === 1) {
    for (let i = start; i < end; i++) if (p[i] > 0) s += p[i] * Math.log(p[i]);
    return s;
  }
  for (let i = start; i < end; i++) {
    const v = p[i];
    if (v > 0) s += alpha === 2 ? v * v : Math.pow(v, alpha);
    else if (v !== 0) s += NaN;
  }
  return (s - 1) / (alpha * (alpha - 1));
}

/** The sparse functions of one backend. */
export function sparseKernels(core: Core, exports: KernelExports | undefined): SparseKernels {
  const fast: SparseCore = core instanceof WasmCore && exports ? new WasmSparse(core, exports) : new JsSparse();
  const js = new JsSparse();
  const backendFor = (dtype: Dtype, beta: number): SparseCore => (fast instanceof WasmSparse && !wasmScales(dtype, beta) ? js : fast);

  /**
   * entmax into y; alpha = 1 is the core's softmax. Halves x are computed in f32 (y f32, or f16
   * rounded to nearest even): read by the wasm kernels themselves, widened for the js backend.
   */
  const run = (x: AnyOperand, y: AnyOperand, rows: number, k: number, beta: number, alpha: number) => {
    if (alpha === 1) return core.rows(false, x, y, rows, k, beta);
    const backend = backendFor(computedIn(x), beta);
    if (backend instanceof WasmSparse) backend.entmax(x, y, rows, k, beta, alpha);
    else viaF32(x, y, (xs, ys) => backend.entmax(xs, ys as Operand, rows, k, beta, alpha), (h) => core.widen(h));
  };

  const forward = (fixedAlpha: number | undefined) => (input: Input, options?: unknown) => {
    const x = anyOperandOf(core, input, "x");
    const dtype = dtypeOf(x);
    const n = x.length;
    const opts = (options ?? {}) as Record<string, unknown>;
    const beta = betaFrom(options as ScaleOptions | undefined, fixedAlpha === undefined ? ALPHA_KEYS : ROW_KEYS);
    const { rows, k } = rowsOf(n, opts.rowLength);
    const alpha = fixedAlpha ?? alphaOf(opts);
    // f16 logits: computed in f32; the output f32, or a Float16Array out rounded to nearest even.
    const out = opts.out === undefined ? newArray(dtype, n) : outOperand(core, opts.out, dtype, n, "the input's length", true);
    run(x, out, rows, k, beta, alpha);
    return opts.out ?? out;
  };

  const backward = (fixedAlpha: number | undefined) => (gradY: Input, y: Input, options?: unknown) => {
    const gh = anyOperandOf(core, gradY, "gradY");
    const dtype = computedIn(gh);
    const yh = anyOperandOf(core, y, "y");
    if (yh.length !== gh.length) throw new RangeError(`y must have gradY's length (got length ${yh.length} for ${gh.length})`);
    const opts = (options ?? {}) as Record<string, unknown>;
    const beta = betaFrom(options as ScaleOptions | undefined, fixedAlpha === undefined ? ALPHA_KEYS : ROW_KEYS);
    const { rows, k } = rowsOf(gh.length, opts.rowLength);
    const alpha = fixedAlpha ?? alphaOf(opts);
    const out = opts.out === undefined ? newArray(dtype, gh.length) : outOperand(core, opts.out, dtype, gh.length, "gradY's length");
    const backend = backendFor(dtype, beta);
    // Halves in gradY, y or both, the other f32: the wasm kernels read them as they are (out f32);
    // else f16 data widened.
    const halves = dtypeOf(gh) === "f16" || dtypeOf(yh) === "f16";
    if (backend instanceof WasmSparse && halves && dtype === "f32" && computedIn(yh) === "f32") {
      backend.backward(gh, yh, out, rows, k, beta, alpha);
      return opts.out ?? out;
    }
    // f16 operands widened in the backend's memory for the call's duration (core.widened).
    const finish = (g: Operand, y: Operand) => {
      const yo = dtypeOf(y) === dtype ? y : dtype === "f32" ? Float32Array.from(realArray(y)) : Float64Array.from(realArray(y));
      backend.backward(g, yo, out, rows, k, beta, alpha);
      return opts.out ?? out;
    };
    const withY = (g: Operand) => (dtypeOf(yh) === "f16" ? core.widened(yh, (w) => finish(g, w)) : finish(g, yh as Operand));
    return dtypeOf(gh) === "f16" ? core.widened(gh, withY) : withY(gh as Operand);
  };

  /**
   * use(an array of n elements of dtype, for the call's duration): the backend's alloc, freed
   * after (the wasm backend's lives in its memory; a new typed array of the JS heap per call, 128 KB at 32,000 f32, makes
   * V8 collect garbage often: a call of sparsemax without `out` took 20-380 us for the same row).
   */
  function temporary<R>(dtype: Dtype, n: number, use: (a: Operand) => R): R {
    const a = core.alloc(n, dtype) as Operand & { free(): void };
    try {
      return use(a);
    } finally {
      a.free();
    }
  }

  const loss = (fixedAlpha: number | undefined) => (logits: Input, target: unknown, options?: unknown) => {
    const xa = anyOperandOf(core, logits, "logits");
    const dtype = computedIn(xa);
    const n = xa.length;
    const opts = (options ?? {}) as Record<string, unknown>;
    const beta = betaFrom(options as ScaleOptions | undefined, fixedAlpha === undefined ? ENTMAX_LOSS_KEYS : LOSS_KEYS);
    const { rows, k } = rowsOf(n, opts.rowLength);
    const alpha = fixedAlpha ?? alphaOf(opts);
    const ignoreIndex = numberOption(opts, "ignoreIndex", -100, Number.isInteger, "an integer");
    const reduction = reductionOf(opts);
    const weight = opts.weight === undefined ? undefined : weightOf(core, opts.weight, k);
    const targets = indexTargets(target, rows, k, ignoreIndex);
    const probs = targets ? undefined : probabilityTargets(core, target, rows, n);
    if (probs && weight) throw new TypeError(`weight needs class-index targets (got probability targets, ${describe(target)})`);
    const grad = gradOperand(core, opts.grad, dtype, n);
    // p* apart from the logits and the gradient (the loss reads both after the forward pass), in
    // the backend's memory for the call's duration; f16 logits widened there too.
    const compute = (x: Operand) =>
      temporary(dtype, n, (pa) => {
        run(x, pa, rows, k, beta, alpha);
        return lossOf(x, realArray(pa), opts, dtype, rows, k, beta, alpha, targets, probs, weight, reduction, grad);
      });
    return dtypeOf(xa) === "f16" ? core.widened(xa, compute) : compute(xa as Operand);
  };

  /** The Fenchel-Young loss (and gradient) of rows of x from their forward pass p (see the header). */
  function lossOf(
    x: Operand, p: RealArray, opts: Record<string, unknown>, dtype: Dtype, rows: number, k: number, beta: number, alpha: number,
    targets: Int32Array | undefined, probs: Operand | undefined, weight: Float64Array | undefined, reduction: Reduction, grad: Operand | undefined,
  ) {
    const xs = realArray(x);
    const qs = probs && realArray(probs);
    const values = new Float64Array(rows);
    const rowWeights = new Float64Array(rows);
    let denominator = 0;
    for (let r = 0, start = 0; r < rows; r++, start += k) {
      const end = start + k;
      const y = targets ? targets[r] : -1;
      if (targets && y < 0) continue; // ignored: adds 0
      const w = targets && weight ? weight[y] : 1;
      rowWeights[r] = w;
      denominator += w;
      const c = extremum(xs, start, end, beta < 0);
      const m = beta * c;
      const special = !Number.isFinite(c) || m !== m;
      let dot = 0;
      for (let i = start; i < end; i++) {
        const q = qs ? qs[i] : i - start === y ? 1 : 0;
        const u = p[i] - q;
        if (u === 0) continue; // theta*0 adds nothing (a masked score of -Infinity with no probability either)
        const theta = special ? (m !== m ? NaN : m > 0 && xs[i] === c ? 0 : -Infinity) : scaledDiff(beta, xs[i], c);
        dot += theta * u;
      }
      const omegaQ = qs ? omega(qs, start, end, alpha) : 0;
      values[r] = w * (omegaQ - omega(p, start, end, alpha) + dot);
    }
    const f = reduction === "mean" ? 1 / denominator : 1;
    let result: number | RealArray;
    if (reduction === "none") {
      result = newArray(dtype, rows);
      result.set(values);
    } else {
      let total = 0;
      for (let r = 0; r < rows; r++) total += values[r];
      // Empty or all ignored with "mean": 0/0, NaN as crossEntropy.
      result = total * f;
    }
    if (grad) {
      const gs = realArray(grad);
      for (let r = 0, start = 0; r < rows; r++, start += k) {
        const y = targets ? targets[r] : -1;
        const scale = rowWeights[r] * f * beta;
        for (let i = start; i < start + k; i++) {
          const q = qs ? qs[i] : i - start === y ? 1 : 0;
          gs[i] = targets && y < 0 ? 0 : (p[i] - q) * scale;
        }
      }
    }
    const out: { loss: number | RealArray; grad?: unknown } = { loss: result };
    if (grad) out.grad = opts.grad === true ? grad : opts.grad;
    return out;
  }

  return {
    sparsemax: forward(2),
    entmax: forward(undefined),
    sparsemaxBackward: backward(2),
    entmaxBackward: backward(undefined),
    sparsemaxLoss: loss(2),
    entmaxLoss: loss(undefined),
  } as unknown as SparseKernels;
}
