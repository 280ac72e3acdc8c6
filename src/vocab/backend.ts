// The contract between the vocabulary API (src/vocab/api.ts) and a backend's arithmetic
// (src/vocab/js.ts, src/vocab/wasm.ts over assembly/vocab/vocab.ts): dot products of hidden
// vectors with rows of a matrix, and the scatter-adds of their gradients.

import type { Operand } from "../core/backend.js";
import type { RealArray } from "../core/types.js";

/**
 * The rows of a matrix b that a call uses (ascending, distinct) and the pairs it computes:
 * pair p is row pa[p] of a against row ids[pb[p]] of b.
 */
export interface Pairs {
  ids: Int32Array;
  pa: Int32Array;
  pb: Int32Array;
}

/** The arithmetic a backend provides; a and b of one dtype, rows of `dim`. */
export interface VocabCore {
  /** dots[p] = a[pa[p]].b[ids[pb[p]]] for every pair, in f64. */
  dots(a: Operand, b: Operand, dim: number, pairs: Pairs, dots: Float64Array): void;
  /**
   * gradA[pa[p]] += g[p]*b[ids[pb[p]]] and gradB[pb[p]] += g[p]*a[pa[p]] for every pair
   * (gradA a's shape, gradB one row per id: new arrays of a's dtype, zero on entry).
   */
  backward(a: Operand, b: Operand, dim: number, pairs: Pairs, g: Float64Array, gradA: RealArray, gradB: RealArray): void;
  /** out[r*m + c] = a[r].b[c] for every row r of a and every row c of b (m rows), in f64. */
  allDots(a: Operand, b: Operand, dim: number, out: Float64Array): void;
}
