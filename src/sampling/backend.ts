// The passes a sampling backend offers (js.ts in TypeScript, wasm.ts over assembly/sampling),
// which api.ts composes into the sampling chain.

import type { AnyOperand } from "../core/backend.js";
import type { RealArray } from "../core/types.js";

/**
 * The passes over the rows of one call. A row is addressed by its first element (`start`) and
 * length `k`; row() makes it current, and the passes then take the same start and k. Indices
 * in and out are within the row. A cut (theta, tie) keeps
 * x > theta, and x == theta at indices <= tie. Weights are exp(beta*(x - c)), c the row max.
 */
export interface SampleSession {
  /**
   * Makes the row at `start` current (staging it, a copy when the call may write it) and
   * returns a view of it: the other passes work on the current row, and the view is valid
   * until the next call of row().
   */
  row(start: number, k: number): RealArray;
  /**
   * The current row's view again, without staging it anew: a view dies when the memory grows
   * (a `random` callback may allocate), so callers take it afresh after a callback.
   */
  view(start: number, k: number): RealArray;
  /** Index of the first maximum (NaN counts as the maximum); -1 for an empty row. */
  argmax(start: number, k: number): number;
  /** Sets the logits whose bit is clear in the staged mask (from word `word`) to -Infinity. */
  mask(start: number, k: number, word: number): void;
  /**
   * Stores the current row's weights exp(beta*(x - c)) (in the session's room for them) and
   * returns their sum; keptSum and draw then read them instead of computing them, until the
   * next row().
   */
  weigh(start: number, k: number, c: number, beta: number): number;
  /**
   * The band of the top-p cut over the stored weights (weigh first; they sum to total): the
   * tokens with weights in [low, high] in order, such that the tokens above high weigh
   * `above` < need and those from low up at least need (both by the stored weights), so the
   * token where the mass reaches need is in the band; low is 0 when rounding left that unsettled.
   */
  band(start: number, k: number, total: number, need: number): Band;
  /**
   * The current row with the tokens the cut drops set to -Infinity, written in the session's
   * room for weights (so it may be the output's own row); valid until the next pass.
   */
  keep(start: number, k: number, theta: number, tie: number): RealArray;
  /**
   * The distribution of the cut itself: the kept tokens' weights over their sum, 0 for the
   * rest, every weight computed whatever the row holds, written in the session's room for
   * weights (valid until the next pass). The js backend's, whose softmax of keep's row would
   * cost an exp per kept token only; a wasm session leaves the row to keep and the core.
   */
  spread?(start: number, k: number, c: number, beta: number, theta: number, tie: number): RealArray;
  /** Sum of the weights of the tokens the cut keeps (a wasm session keeps its sums per block for draw). */
  keptSum(start: number, k: number, c: number, beta: number, theta: number, tie: number): number;
  /** The first kept index where the running weight sum (index order) exceeds target; else the last kept one of positive weight; -1 if none. */
  draw(start: number, k: number, c: number, beta: number, theta: number, tie: number, target: number): number;
  /** The indices with theta <= x < below (no bound when below is NaN, the default), in order (valid until the next pass). */
  collect(start: number, k: number, theta: number, below?: number): Int32Array;
  /** The indices of the `count` largest and every tie of the count-th, in order (1 <= count <= k; NaN never taken). */
  topK(start: number, k: number, count: number): Int32Array;
  /** Ends the session: its room may serve the next one (the js backend's; nothing to do on wasm). */
  end(): void;
}

/** The band of a top-p cut (SampleSession.band). */
export interface Band {
  /** The weight of the tokens above the band. */
  above: number;
  /** The band's lowest weight: every token the cut keeps weighs at least this (0: unknown). */
  low: number;
  /** The band's tokens, in order (valid until the next pass). */
  indices: Int32Array;
  /** The row's stored weights, by index (valid until the next pass). */
  weights: ArrayLike<number>;
}

/**
 * The room a session holds besides the staged row: none (argmax alone), k indices (collect),
 * or indices and top-k values (topK). Room for k indices is 2 GiB at k = 2^29: a call that
 * does not need it must not ask for it.
 */
export type Room = "none" | "indices" | "topK";

export interface SampleBackend {
  /** Whether session() takes halves (f16 data) itself; else the caller widens them first. */
  readonly halves: boolean;
  /**
   * Stages x for a call on rows of k (a copy when `writable`), with a mask and the room asked
   * for, and room for a row's weights when `weights` (weigh, band, keep).
   */
  session(x: AnyOperand, writable: boolean, mask: Uint32Array | undefined, k: number, room: Room, weights?: boolean): SampleSession;
}
