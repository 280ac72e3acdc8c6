// The contract between the sparse API (src/sparse/api.ts) and a backend's arithmetic
// (src/sparse/js.ts, src/sparse/wasm.ts over assembly/sparse/sparse.ts).

import type { Operand } from "../core/backend.js";

/** The arithmetic a backend provides; operands validated, of one dtype. */
export interface SparseCore {
  /** alpha-entmax (alpha > 1; 2 = sparsemax) of rows of k of x into y (y may be x). */
  entmax(x: Operand, y: Operand, rows: number, k: number, beta: number, alpha: number): void;
  /** beta*s*(g - sum(s*g)/sum(s)) per row, s = y^(2 - alpha) on the support, into out (may be g or y). */
  backward(g: Operand, y: Operand, out: Operand, rows: number, k: number, beta: number, alpha: number): void;
}
