// The loss and gradient API over a backend: validation (everything before anything is
// written), the targets in the kernels' form, and the per-row arithmetic around the kernel
// (gradient coefficients before it, the loss and its reduction from the row statistics
// after it), shared by every backend.
//
// Cross-entropy of a row with scores z = beta*x, LSE = log sum_j exp(z_j), p = softmax(z),
// log p_j = a_j - log s (a_j = z_j - m, s = sum_j exp(a_j), m the max score), class weights
// w (1 without), W = sum_c w_c, K classes and epsilon the label smoothing:
//   index target y:  (1 - eps)*w_y*(-log p_y) + (eps/K)*sum_c w_c*(-log p_c)
//   probabilities t: sum_c w_c*t'_c*(-log p_c), with t' = (1 - eps)*t + eps/K
// plus zLoss*LSE^2. "mean" divides by the weights of the counted targets (index targets), or
// by the rows (probabilities); the z-loss by the counted rows. The gradient with respect to z
// is p_j*A - B_j, A and B_j per row (see coefficients()), times beta for x.

import { type AnyOperand, type Core, type Operand, computedIn, dtypeOf, rowOf } from "../core/backend.js";
import { COEFS, type LossCore, PLAIN, PROB, SMOOTH, STATS, S_DOTT, S_DOTW, S_M, S_SUM, S_SUMT, S_ZY } from "./layout.js";
import { JsLoss } from "./js.js";
import type { CrossEntropyOptions, JacobianOptions, LossKernels } from "./types.js";
import { WasmLoss } from "./wasm.js";
import { realArray } from "../core/memory.js";
import { gradOperand, indexTargets, numberOption, probabilityTargets, reductionOf, weightOf } from "../core/targets.js";
import type { Dtype, Input, RealArray, Reduction, ScaleOptions } from "../core/types.js";
import { ROW_KEYS, anyOperandOf, betaFrom, describe, newArray, operandOf, outOperand, rowsOf, wasmScales } from "../core/validate.js";
import { type KernelExports, WasmCore } from "../core/wasm.js";

const CE_KEYS = new Set(["temperature", "beta", "rowLength", "ignoreIndex", "reduction", "labelSmoothing", "weight", "zLoss", "grad"]);
const JACOBIAN_KEYS = new Set(["temperature", "beta", "out"]);
/** Largest Jacobian: K*K elements. */
const JACOBIAN_MAX = 2 ** 24;

/** a*u, or 0 where u is 0 (a weight or share of 0 times an infinite log-probability adds 0). */
function mulz(a: number, u: number): number {
  return u !== 0 ? a * u : 0;
}

interface Settings {
  rows: number;
  k: number;
  beta: number;
  eps: number;
  lambda: number;
  reduction: Reduction;
  weight: Float64Array | undefined;
  /** Sum of the class weights (K without weights). */
  wSum: number;
  targets: Int32Array | undefined;
  /** Factor of the cross-entropy terms: 1/(weights of the counted targets) or 1/rows for "mean", else 1. */
  f: number;
  /** Factor of the z-loss terms: 1/(counted rows) for "mean", else 1. */
  fz: number;
}

/** The reduction factors, from the targets and weights alone (before any logit is read). */
function factors(rows: number, targets: Int32Array | undefined, weight: Float64Array | undefined, reduction: Reduction) {
  if (reduction !== "mean") return { f: 1, fz: 1 };
  if (!targets) return { f: 1 / rows, fz: 1 / rows };
  let denominator = 0;
  let counted = 0;
  for (let r = 0; r < rows; r++) {
    const y = targets[r];
    if (y < 0) continue;
    denominator += weight ? weight[y] : 1;
    counted++;
  }
  return { f: 1 / denominator, fz: 1 / counted };
}

/**
 * The gradient coefficients per row (A0, B, D, F; assembly/loss.ts, gradRow) and the
 * factors of LSE and sum W*T in A: gradient = beta*(p_j*A - B_j) with, per row,
 *   index y:        A = f*((1 - eps)*w_y + eps*W/K) + 2*lambda*fz*LSE, B_j = f*(w_j*eps/K + [j = y]*(1 - eps)*w_y)
 *   probabilities:  A = f*((1 - eps)*sum_j w_j*t_j + eps*W/K) + 2*lambda*f*LSE, B_j = f*w_j*(eps/K + (1 - eps)*t_j)
 */
function coefficients(s: Settings): { coefs: Float64Array; zScale: number; tScale: number } {
  const { rows, k, eps, lambda, weight, wSum, targets, f, fz } = s;
  const coefs = new Float64Array(rows * COEFS);
  for (let r = 0, c = 0; r < rows; r++, c += COEFS) {
    const y = targets ? targets[r] : -1;
    if (targets && y < 0) continue; // ignored: no gradient
    const wy = y < 0 ? 0 : weight ? weight[y] : 1;
    coefs[c] = f * ((1 - eps) * wy + (eps * wSum) / k);
    // Without beta: the kernels multiply by it last, so that a huge beta scales p_j*A - B_j
    // instead of cancelling beta-sized terms (Infinity - Infinity).
    coefs[c + 1] = (f * eps) / k;
    coefs[c + 2] = targets ? 0 : f * (1 - eps);
    coefs[c + 3] = f * (1 - eps) * wy;
  }
  return { coefs, zScale: lambda > 0 ? 2 * lambda * fz : 0, tScale: targets ? 0 : f * (1 - eps) };
}

/** The loss (reduced, or per row into perRow) from the row statistics, index targets. */
function lossIndex(s: Settings, stats: Float64Array, perRow: RealArray | undefined): number {
  const { rows, k, eps, lambda, weight, wSum, f, fz } = s;
  const targets = s.targets as Int32Array;
  let total = 0;
  let scaled = 0;
  let zTotal = 0;
  for (let r = 0, at = 0; r < rows; r++, at += STATS) {
    const y = targets[r];
    if (y < 0) {
      if (perRow) perRow[r] = 0;
      continue;
    }
    const m = stats[at + S_M];
    const rest = stats[at + S_SUM];
    const zy = stats[at + S_ZY];
    const ey = Math.exp(zy);
    const logSum = Math.log(rest + ey);
    const wy = weight ? weight[y] : 1;
    let nll: number;
    let smooth = 0;
    if (rest + ey === 0) {
      nll = Infinity; // every class masked: the target has probability 0 (m may be -Infinity for a finite c too)
      smooth = Infinity;
    } else {
      // -log p_y: log1p keeps a confident prediction's small loss exact; below e_y = 1/2
      // the two terms are positive and no digits cancel.
      nll = ey >= 0.5 ? Math.log1p(rest / ey) : logSum - zy;
      // (eps/K)*sum_c w_c*(-log p_c) from the scaled dot (stats.ts: sum w*a/(2K)), scaled
      // before it doubles, so that nothing passes f64's range that the loss does not.
      if (eps > 0) smooth = (eps / k) * wSum * logSum - 2 * (eps * stats[at + S_DOTW]);
    }
    const ce = mulz(nll, (1 - eps) * wy) + (eps > 0 ? smooth : 0);
    const lse = m + logSum;
    const z = lambda > 0 ? lambda * lse * lse : 0;
    total += ce;
    scaled += ce * f;
    zTotal += z;
    if (perRow) perRow[r] = ce + z;
  }
  return meanOf(total, scaled, f) + zTotal * fz;
}

/**
 * total*f, or the sum of the terms each times f (`scaled`) where total alone passes f64's
 * range and its mean does not (rows of losses near f64's limit).
 */
function meanOf(total: number, scaled: number, f: number): number {
  const value = total * f;
  return value === Infinity && scaled < Infinity ? scaled : value;
}

/** lossIndex for probability targets: every row counts. */
function lossProb(s: Settings, stats: Float64Array, perRow: RealArray | undefined): number {
  const { rows, k, eps, lambda, wSum, f } = s;
  let total = 0;
  let scaled = 0;
  for (let r = 0, at = 0; r < rows; r++, at += STATS) {
    const m = stats[at + S_M];
    const logSum = Math.log(stats[at + S_SUM]);
    const sumT = stats[at + S_SUMT];
    // sum_c w_c*t'_c*(-log p_c), from sum w*t*a, sum w*t and sum w*a.
    // From the scaled dots (stats.ts), each scaled before it doubles (see lossIndex).
    let ce: number;
    if (stats[at + S_SUM] === 0) ce = (1 - eps) * sumT + (eps * wSum) / k === 0 ? 0 : Infinity;
    else {
      ce = eps < 1 ? (1 - eps) * sumT * logSum - 2 * ((1 - eps) * stats[at + S_DOTT]) : 0;
      if (eps > 0) ce += (eps / k) * wSum * logSum - 2 * (eps * stats[at + S_DOTW]);
    }
    const lse = m + logSum;
    const z = lambda > 0 ? lambda * lse * lse : 0;
    total += ce + z;
    scaled += (ce + z) * f;
    if (perRow) perRow[r] = ce + z;
  }
  return meanOf(total, scaled, f);
}

/**
 * Below this rest (the sum of the other terms, relative to the target's at the max), -log1p(rest)
 * is small enough that the loss pass's rounding of the exponents would show in its relative
 * accuracy (the core's own bound: a sum of at least 29 needs nothing more).
 */
const NEAR_ZERO_REST = 28;

/** The loss and gradient functions of one backend. */
export function lossKernels(core: Core, exports: KernelExports | undefined): LossKernels {
  const loss: LossCore = core instanceof WasmCore && exports ? new WasmLoss(core, exports) : new JsLoss();
  const js = new JsLoss();
  /** A rare beta (wasmScales) takes the f64 arithmetic of the js backend. */
  const lossFor = (dtype: Dtype, beta: number): LossCore => (loss instanceof WasmLoss && !wasmScales(dtype, beta) ? js : loss);

  function crossEntropy(logits: Input, target: unknown, options?: CrossEntropyOptions) {
    const x = anyOperandOf(core, logits, "logits");
    const dtype = computedIn(x);
    const n = x.length;
    const opts = (options ?? {}) as Record<string, unknown>;
    const beta = betaFrom(options as ScaleOptions | undefined, CE_KEYS);
    const { rows, k } = rowsOf(n, opts.rowLength);
    const ignoreIndex = numberOption(opts, "ignoreIndex", -100, Number.isInteger, "an integer");
    const reduction = reductionOf(opts);
    const eps = numberOption(opts, "labelSmoothing", 0, (v) => v >= 0 && v <= 1, "in [0, 1]");
    const lambda = numberOption(opts, "zLoss", 0, (v) => v >= 0 && v < Infinity, "finite and >= 0");
    const weight = opts.weight === undefined ? undefined : weightOf(core, opts.weight, k);
    const targets = indexTargets(target, rows, k, ignoreIndex);
    const probs = targets ? undefined : probabilityTargets(core, target, rows, n);
    const grad = gradOperand(core, opts.grad, dtype, n);
    let wSum = k;
    if (weight) {
      wSum = 0;
      for (let c = 0; c < k; c++) wSum += weight[c];
    }
    const settings: Settings = { rows, k, beta, eps, lambda, reduction, weight, wSum, targets, ...factors(rows, targets, weight, reduction) };
    const mode = probs ? PROB : eps > 0 ? SMOOTH : PLAIN;
    const perRow = reduction === "none" ? newArray(dtype, rows) : undefined;
    const { coefs, zScale, tScale } = grad ? coefficients(settings) : { coefs: undefined, zScale: 0, tScale: 0 };
    const stats = lossFor(dtype, beta).crossEntropy({ x, grad, rows, k, beta, targets, probs, weight, mode, coefs, zScale, tScale });
    // Empty or all ignored with "mean": 0/0, NaN as PyTorch.
    const value = (probs ? lossProb : lossIndex)(settings, stats, perRow);
    const result: { loss: number | RealArray; grad?: unknown } = { loss: perRow ?? value };
    if (grad) result.grad = opts.grad === true ? grad : opts.grad;
    return result;
  }

  function logProbs(logits: Input, target: unknown, options?: unknown) {
    const x = anyOperandOf(core, logits, "logits");
    const dtype = computedIn(x);
    const opts = (options ?? {}) as Record<string, unknown>;
    const beta = betaFrom(options as ScaleOptions | undefined, ROW_KEYS);
    const { rows, k } = rowsOf(x.length, opts.rowLength);
    const targets = indexTargets(target, rows, k, undefined);
    if (!targets) {
      throw new TypeError(`target must be class indices: an Int32Array or a number[] of one entry per row (got ${describe(target)})`);
    }
    const out = opts.out === undefined ? undefined : outOperand(core, opts.out, dtype, rows, "one element per row");
    const y = realArray(out ?? newArray(dtype, rows));
    const none = { grad: undefined, probs: undefined, weight: undefined, coefs: undefined, zScale: 0, tScale: 0 };
    // A copy: the statistics may view the scratch area, which core.reduce below reuses.
    const stats = lossFor(dtype, beta).crossEntropy({ ...none, x, rows, k, beta, targets, mode: PLAIN }).slice();
    for (let r = 0, at = 0; r < rows; r++, at += STATS) {
      let rest = stats[at + S_SUM];
      const zy = stats[at + S_ZY];
      if (zy === 0 && rest < NEAR_ZERO_REST) {
        // The target at the row's max and the rest small: log p_y = -log1p(rest) is near 0 and
        // needs the rest's relative accuracy, which the loss pass (exponents rounded in the
        // dtype, relative to the max) cannot vouch for: the core's reduction keeps it.
        const { k: atMax, r: beyond } = core.reduce(rowOf(x, r, k), beta);
        rest = atMax - 1 + beyond;
      }
      const ey = Math.exp(zy);
      if (rest + ey === 0) y[r] = -Infinity; // masked entirely (m is -Infinity also for a huge beta on a finite row)
      else y[r] = ey >= 0.5 ? -Math.log1p(rest / ey) : zy - Math.log(rest + ey);
    }
    return opts.out ?? y;
  }

  const backward = (log: boolean) => {
    const call = (gradY: Input, y: Input, options?: unknown): unknown => {
      const g: AnyOperand = anyOperandOf(core, gradY, "gradY");
      const name = log ? "logY" : "y";
      let yo: AnyOperand = anyOperandOf(core, y, name);
      if (yo.length !== g.length) throw new RangeError(`${name} must have gradY's length (got length ${yo.length} for ${g.length})`);
      // Halves: the kernels read them, both or one beside f32 data (an f64 one is rounded to f32
      // below, as an f32 gradY makes it); halves of y beside an f64 gradY are widened (exactly)
      // first, in the backend's memory for the call's duration.
      if (dtypeOf(yo) === "f16" && computedIn(g) === "f64") return core.widened(yo, (w) => call(g as Input, w, options));
      const dtype = computedIn(g);
      const opts = (options ?? {}) as Record<string, unknown>;
      const beta = betaFrom(options as ScaleOptions | undefined, ROW_KEYS);
      const { rows, k } = rowsOf(g.length, opts.rowLength);
      const out = opts.out === undefined ? newArray(dtype, g.length) : outOperand(core, opts.out, dtype, g.length, "gradY's length");
      if (computedIn(yo) !== dtype) yo = dtype === "f32" ? Float32Array.from(realArray(yo as Operand)) : Float64Array.from(realArray(yo as Operand));
      // A beta that rounds to 0 (or a subnormal) in f32 gave 0*Infinity = NaN where g is infinite.
      lossFor(dtype, beta).backward(log, g, yo, out, rows, k, beta);
      return opts.out ?? out;
    };
    return call;
  };

  function jacobian(y: Input, options?: JacobianOptions) {
    const yo = operandOf(core, y, "y");
    const opts = (options ?? {}) as Record<string, unknown>;
    const beta = betaFrom(options, JACOBIAN_KEYS);
    const k = yo.length;
    if (k * k > JACOBIAN_MAX) throw new RangeError(`jacobian needs K*K <= 2^24 elements (got K = ${k}, K*K = ${k * k})`);
    const out = opts.out === undefined ? undefined : outOperand(core, opts.out, dtypeOf(yo), k * k, "K*K elements");
    // The K² loop reads and writes Float64Arrays only, and each row goes into J by a native
    // set (which rounds as a store would): element accesses of one loop over both f32 and f64
    // arrays (the f64 reference, f32 inputs) run JavaScriptCore's generic path, 4-20x slower
    // in Bun, and by how much moved from call to call.
    const v = new Float64Array(realArray(yo));
    const J = out === undefined ? newArray(dtypeOf(yo), k * k) : realArray(out);
    const line = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      const by = beta * v[i];
      for (let j = 0; j < k; j++) line[j] = -by * v[j];
      // by*(1 - y_i): 1 - y_i is exact for y_i >= 1/2, where by - by*y_i cancelled (y_i near 1).
      line[i] = by * (1 - v[i]);
      J.set(line, i * k);
    }
    return opts.out ?? J;
  }

  return {
    crossEntropy,
    logProbs,
    softmaxBackward: backward(false),
    logSoftmaxBackward: backward(true),
    jacobian,
  } as unknown as LossKernels;
}

