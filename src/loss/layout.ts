// The contract between the loss API (src/loss/api.ts) and a backend's loss arithmetic
// (src/loss/js.ts, src/loss/wasm.ts over assembly/loss/loss.ts).

import type { AnyOperand, Operand } from "../core/backend.js";
import type { PLAIN, PROB, SMOOTH } from "./stats.js";

/** The statistics, coefficients and modes of the kernels (assembly/loss/stats.ts, generated). */
export { COEFS, PLAIN, PROB, SMOOTH, STATS, S_DOTT, S_DOTW, S_M, S_SUM, S_SUMT, S_ZY } from "./stats.js";

export type Mode = typeof PLAIN | typeof SMOOTH | typeof PROB;

/** One cross-entropy call as a backend sees it: operands of one dtype, validated (f16 logits: the rest f32). */
export interface LossCall {
  x: AnyOperand;
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
  /** softmax (log = false) or log-softmax backward of rows of k into out (out may be g or y); g and y both halves, or both of out's dtype. */
  backward(log: boolean, g: AnyOperand, y: AnyOperand, out: Operand, rows: number, k: number, beta: number): void;
}
