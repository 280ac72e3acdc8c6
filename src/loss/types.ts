// Public types of the loss and gradient functions (src/loss.ts).

export type { IndexTarget, Reduction } from "../core/types.js";

import type { IndexTarget, Input, OneScale, OutFor, Output, OutputOf, RealArray, Reduction, ScaleOptions } from "../core/types.js";

/** Options of crossEntropy (PyTorch F.cross_entropy, plus zLoss, beta and a fused gradient). */
export interface CrossEntropyOptions<G extends Output | boolean | undefined = Output | boolean | undefined> extends ScaleOptions {
  /** K, the number of classes: the logits are a row-major batch of length/K rows. Default: one row. */
  rowLength?: number | undefined;
  /** Rows whose class index equals this add 0 to the loss and the gradient; default -100. */
  ignoreIndex?: number | undefined;
  /** "mean" (default; weighted by the weights of the counted targets), "sum" or "none". */
  reduction?: Reduction | undefined;
  /** epsilon in [0, 1]: the target mixes (1 - epsilon) of itself with epsilon of the uniform. */
  labelSmoothing?: number | undefined;
  /** Per-class weights, K of them. */
  weight?: Input | undefined;
  /** lambda >= 0: adds lambda*LSE^2 per counted row (PaLM's z-loss); mean divides it by the counted rows. */
  zLoss?: number | undefined;
  /**
   * true, or an array of the logits' dtype and length (the logits themselves for in place):
   * receives the gradient of the reduced loss (for "none": of the sum of the row losses).
   */
  grad?: G | undefined;
}

/** What crossEntropy returns. */
export interface CrossEntropyResult<L = number | RealArray, G = RealArray | Output | undefined> {
  /** The reduced loss, or one value per row (the logits' dtype) for reduction "none". */
  loss: L;
  /** The gradient with respect to the logits, when `grad` was asked for. */
  grad: G;
}

/** Options of logProbs. */
export interface LogProbsOptions<O extends Output | undefined = Output | undefined> extends ScaleOptions {
  /** K: the logits are a row-major batch of length/K rows. Default: one row. */
  rowLength?: number | undefined;
  /** One element per row, of the logits' dtype: written and returned. */
  out?: O | undefined;
}

/** Options of softmaxBackward and logSoftmaxBackward. */
export interface BackwardOptions<O extends Output | undefined = Output | undefined> extends ScaleOptions {
  /** K: a row-major batch of length/K rows. Default: one row. */
  rowLength?: number | undefined;
  /** The gradient's dtype (that of gradY) and length; may be gradY itself. */
  out?: O | undefined;
}

/** Options of jacobian. */
export interface JacobianOptions<O extends Output | undefined = Output | undefined> extends ScaleOptions {
  /** K*K elements of y's output dtype (f32 for f16 y), written row-major and returned. */
  out?: O | undefined;
}

type Reduced<X, R> = R extends "none" ? OutputOf<X> : number;
type GradOf<X, G> = G extends Output ? G : G extends true ? OutputOf<X> : undefined;

/** The loss and gradient functions, on every backend. */
export interface LossKernels {
  /**
   * Cross-entropy of softmax(beta*logits) per row against class indices or target
   * probabilities, reduced; with `grad`, the gradient is written in the same passes.
   */
  crossEntropy<X extends Input, R extends Reduction | undefined = undefined, G extends OutFor<X> | boolean | undefined = undefined>(
    logits: X,
    target: IndexTarget | Input,
    opts?: OneScale<CrossEntropyOptions<G> & { reduction?: R }>,
  ): CrossEntropyResult<Reduced<X, R>, GradOf<X, G>>;
  /** log-softmax(beta*logits) at each row's target index: one value per row. */
  logProbs<X extends Input, O extends OutFor<X> | undefined = undefined>(
    logits: X,
    target: IndexTarget,
    opts?: OneScale<LogProbsOptions<O>>,
  ): O extends Output ? O : OutputOf<X>;
  /** beta*y*(g - sum_j g_j*y_j) per row: the gradient through softmax, y its output. */
  softmaxBackward<X extends Input, O extends OutFor<X> | undefined = undefined>(
    gradY: X,
    y: Input,
    opts?: OneScale<BackwardOptions<O>>,
  ): O extends Output ? O : OutputOf<X>;
  /** beta*(g - exp(logY)*sum_j g_j) per row: the gradient through log-softmax, logY its output. */
  logSoftmaxBackward<X extends Input, O extends OutFor<X> | undefined = undefined>(
    gradY: X,
    logY: Input,
    opts?: OneScale<BackwardOptions<O>>,
  ): O extends Output ? O : OutputOf<X>;
  /** The K*K row-major Jacobian beta*(diag(y) - y*y^T) of one softmax row y (K*K <= 2^24). */
  jacobian<X extends Input, O extends OutFor<X> | undefined = undefined>(
    y: X,
    opts?: OneScale<JacobianOptions<O>>,
  ): O extends Output ? O : OutputOf<X>;
}
