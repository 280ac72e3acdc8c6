// The contract between the attention API (src/attention/api.ts) and a backend's arithmetic
// (src/attention/js.ts, src/attention/wasm.ts over assembly/attention/attention.ts).

import type { AnyOperand, Operand } from "../core/backend.js";

/** The kernels' tiling (assembly/attention/layout.ts, generated). */
export { KEY_BLOCK, TILE_ROWS } from "./tiling.js";

/** One attend call as a backend sees it: validated, shapes resolved. */
export interface AttentionCall {
  /** [queries][heads][dim]; its dtype is the compute and output dtype. */
  q: Operand;
  /** [capacity][kvHeads][dim], any dtype; halves only where both keys and values are and the backend reads them. */
  keys: AnyOperand;
  /** [capacity][kvHeads][valueDim], any dtype (halves with keys of halves). */
  values: AnyOperand;
  /** [queries][heads][valueDim], q's dtype. */
  out: Operand;
  /** [queries][heads], q's dtype, or undefined when not asked for. */
  lse: Operand | undefined;
  queries: number;
  heads: number;
  kvHeads: number;
  dim: number;
  valueDim: number;
  /** Key rows in use: the row stride of the bias. */
  length: number;
  /** The key range [start, end), within [0, length]. */
  start: number;
  end: number;
  /** Position of query 0 (length - queries). */
  offset: number;
  causal: boolean;
  /** 0 for none. */
  window: number;
  scale: number;
  /** 0 for none. */
  softcap: number;
  /** Scores added, any dtype; at h*biasHead + i*length + j. */
  bias: Operand | undefined;
  /** Elements between two heads' biases; 0 when the heads share one. */
  biasHead: number;
  /** Slope per query head. */
  alibi: Float64Array | undefined;
  /** Sink logit per query head. */
  sinks: Float64Array | undefined;
}

/** The arithmetic a backend provides. */
export interface AttentionCore {
  /** Writes call.out (and call.lse). */
  attend(call: AttentionCall): void;
}
