// Public types of the sparse distributions (src/sparse.ts): sparsemax, alpha-entmax, their
// backward passes and Fenchel-Young losses.

import type { IndexTarget, Input, OneScale, OutFor, Output, OutputOf, RealArray, Reduction, ScaleOptions } from "../core/types.js";

/** Options of sparsemax; `O` is the type of `out`. */
export interface SparsemaxOptions<O extends Output | undefined = Output | undefined> extends ScaleOptions {
  /** K: the input is a row-major batch of length/K rows, each projected on its own. Default: one row. */
  rowLength?: number | undefined;
  /** The input's dtype and length (may be the input itself): written and returned. */
  out?: O | undefined;
}

/** Options of entmax: sparsemax's, and alpha. */
export interface EntmaxOptions<O extends Output | undefined = Output | undefined> extends SparsemaxOptions<O> {
  /** alpha >= 1, finite; default 1.5. 1 is softmax, 2 is sparsemax. */
  alpha?: number | undefined;
}

/** Options of sparsemaxBackward. */
export interface SparseBackwardOptions<O extends Output | undefined = Output | undefined> extends ScaleOptions {
  /** K: a row-major batch of length/K rows. Default: one row. */
  rowLength?: number | undefined;
  /** The gradient's dtype (that of gradY) and length; may be gradY itself. */
  out?: O | undefined;
}

/** Options of entmaxBackward: sparsemaxBackward's, and the alpha of the forward call. */
export interface EntmaxBackwardOptions<O extends Output | undefined = Output | undefined> extends SparseBackwardOptions<O> {
  /** The forward call's alpha (>= 1); default 1.5. */
  alpha?: number | undefined;
}

/** Options of sparsemaxLoss (as crossEntropy's, without labelSmoothing and zLoss). */
export interface SparseLossOptions<G extends Output | boolean | undefined = Output | boolean | undefined> extends ScaleOptions {
  /** K, the number of classes: the logits are a row-major batch of length/K rows. Default: one row. */
  rowLength?: number | undefined;
  /** Rows whose class index equals this add 0 to the loss and the gradient; default -100. */
  ignoreIndex?: number | undefined;
  /** "mean" (default; weighted by the weights of the counted targets), "sum" or "none". */
  reduction?: Reduction | undefined;
  /** Per-class weights, K of them (class-index targets only): a row's loss and gradient times its target's weight. */
  weight?: Input | undefined;
  /**
   * true, or an array of the logits' dtype and length (the logits themselves for in place):
   * receives the gradient of the reduced loss, beta*(p* - target) per row.
   */
  grad?: G | undefined;
}

/** Options of entmaxLoss: sparsemaxLoss's, and alpha. */
export interface EntmaxLossOptions<G extends Output | boolean | undefined = Output | boolean | undefined> extends SparseLossOptions<G> {
  /** alpha >= 1, finite; default 1.5. 1 gives the cross-entropy, 2 the sparsemax loss. */
  alpha?: number | undefined;
}

/** What sparsemaxLoss and entmaxLoss return. */
export interface SparseLossResult<L = number | RealArray, G = RealArray | Output | undefined> {
  /** The reduced loss, or one value per row (the logits' dtype) for reduction "none". */
  loss: L;
  /** The gradient with respect to the logits, when `grad` was asked for. */
  grad: G;
}

type Reduced<X, R> = R extends "none" ? OutputOf<X> : number;
type GradOf<X, G> = G extends Output ? G : G extends true ? OutputOf<X> : undefined;

/** The sparse distributions, on every backend. */
export interface SparseKernels {
  /** The Euclidean projection of beta*x onto the simplex, per row: probabilities with exact zeros. */
  sparsemax<X extends Input, O extends OutFor<X> | undefined = undefined>(
    x: X,
    opts?: OneScale<SparsemaxOptions<O>>,
  ): O extends Output ? O : OutputOf<X>;
  /** alpha-entmax of beta*x per row (alpha = 1.5 by default): [(alpha - 1)*z - tau]_+^(1/(alpha - 1)). */
  entmax<X extends Input, O extends OutFor<X> | undefined = undefined>(
    x: X,
    opts?: OneScale<EntmaxOptions<O>>,
  ): O extends Output ? O : OutputOf<X>;
  /** beta*(g - mean of g over the support) per row, 0 off it: the gradient through sparsemax, y its output. */
  sparsemaxBackward<X extends Input, O extends OutFor<X> | undefined = undefined>(
    gradY: X,
    y: Input,
    opts?: OneScale<SparseBackwardOptions<O>>,
  ): O extends Output ? O : OutputOf<X>;
  /** beta*(s*g - s*sum(s*g)/sum(s)), s = y^(2 - alpha) per row: the gradient through entmax, y its output. */
  entmaxBackward<X extends Input, O extends OutFor<X> | undefined = undefined>(
    gradY: X,
    y: Input,
    opts?: OneScale<EntmaxBackwardOptions<O>>,
  ): O extends Output ? O : OutputOf<X>;
  /** The sparsemax (Fenchel-Young) loss per row against class indices or target probabilities, reduced. */
  sparsemaxLoss<X extends Input, R extends Reduction | undefined = undefined, G extends OutFor<X> | boolean | undefined = undefined>(
    logits: X,
    target: IndexTarget | Input,
    opts?: OneScale<SparseLossOptions<G> & { reduction?: R }>,
  ): SparseLossResult<Reduced<X, R>, GradOf<X, G>>;
  /** The alpha-entmax (Fenchel-Young) loss per row against class indices or target probabilities, reduced. */
  entmaxLoss<X extends Input, R extends Reduction | undefined = undefined, G extends OutFor<X> | boolean | undefined = undefined>(
    logits: X,
    target: IndexTarget | Input,
    opts?: OneScale<EntmaxLossOptions<G> & { reduction?: R }>,
  ): SparseLossResult<Reduced<X, R>, GradOf<X, G>>;
}
