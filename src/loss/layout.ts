// The contract between the loss API (src/loss.ts) and a backend's loss arithmetic
// (src/loss-js.ts, src/loss-wasm.ts over assembly/loss.ts).

import type { Operand } from "../core/backend.js";

/** f64 statistics per row that the first pass leaves (assembly/loss.ts names them). */
export const STATS = 6;
export const S_M = 0;
export const S_SUM = 1;
export const S_ZY = 2;
export const S_DOTW = 3;
export const S_DOTT = 4;
export const S_SUMT = 5;
/** f64 gradient coefficients per row: A0, B, D, F (assembly/loss.ts, gradRow). */
export const COEFS = 4;

/** What the first pass accumulates besides the exp sum (assembly/loss.ts). */
export const PLAIN = 0;
export const SMOOTH = 1;
export const PROB = 2;
export type Mode = typeof PLAIN | typeof SMOOTH | typeof PROB;

/** One cross-entropy call as a backend sees it: operands of one dtype, validated. */
export interface LossCall {
  x: Operand;
  /** Receives the gradient (may be x); undefined for the loss alone. */
  grad: Operand | undefined;
  rows: number;
  k: number;
  beta: number;
  /** Class index per row, -1 for an ignored row; undefined for probability targets. */
  targets: Int32Array | undefined;
  /** Target probabilities (any dtype; the logits' length). */
  probs: Operand | undefined;
  /** Class weights (K). */
  weight: Float64Array | undefined;
  mode: Mode;
  /** Gradient coefficients per row (COEFS each), when grad is given. */
  coefs: Float64Array | undefined;
  /** Factor of LSE in a row's A (2*zLoss/rows counted, or 2*zLoss). */
  zScale: number;
  /** Factor of sum_j W_j*T_j in a row's A (probability targets). */
  tScale: number;
}

/** The arithmetic a backend provides. */
export interface LossCore {
  /**
   * The row statistics (rows * STATS), and the gradient when grad is given. The result may
   * view the backend's memory: read it before the next call.
   */
  crossEntropy(call: LossCall): Float64Array;
  /** softmax (log = false) or log-softmax backward of rows of k into out (out may be g or y). */
  backward(log: boolean, g: Operand, y: Operand, out: Operand, rows: number, k: number, beta: number): void;
}
