// Public types of the attention functions (src/attention.ts).

import type { Input, OutFor, Output, OutputOf, RealArray } from "../core/types.js";

/** Options of attend. Shapes are row-major; `dim` is required. */
export interface AttendOptions<O extends Output | undefined = Output | undefined> {
  /** Query heads per query; default 1. */
  heads?: number | undefined;
  /** Key/value heads: divides heads (multi-head, grouped-query, multi-query attention); default heads. */
  kvHeads?: number | undefined;
  /** Elements of a query and key head (required). */
  dim: number;
  /** Elements of a value head; default dim. */
  valueDim?: number | undefined;
  /** Key rows in use (a preallocated cache holds more); default: all rows of keys. */
  length?: number | undefined;
  /** [start, end): attend to those key rows only (split-K); default [0, length). */
  range?: readonly [number, number] | undefined;
  /** Factor of q.k; default 1/sqrt(dim). */
  scale?: number | undefined;
  /** c > 0: the score becomes c*tanh(score/c) (after scale, before bias and ALiBi). */
  softcap?: number | undefined;
  /** Query i sits at position length - queries + i and sees keys j <= its position (bottom-right aligned). */
  causal?: boolean | undefined;
  /** w >= 1: hides the keys j <= position - w. */
  window?: number | undefined;
  /** Added to the scores: [queries][length] or [heads][queries][length]; -Infinity masks. */
  bias?: Input | undefined;
  /** One slope per query head: adds -slope*(position - j) to the scores. */
  alibi?: Input | undefined;
  /** One logit per query head that joins the softmax's denominator only. */
  sinks?: Input | undefined;
  /** [queries][heads][valueDim] of the output dtype: written and returned. */
  out?: O | undefined;
  /** true (or an array of the output dtype, [queries][heads]): also return the log of each denominator. */
  lse?: Output | boolean | undefined;
}

/** attend's result with `lse`: the output and the log of each softmax denominator. */
export interface AttentionResult<O = RealArray, L = RealArray> {
  /** [queries][heads][valueDim]. */
  out: O;
  /** [queries][heads]: log of the softmax denominator; -Infinity where a query saw no key (and no sink). */
  lse: L;
}

/** A part to merge: the result of attend with `lse` over some range of keys. */
export interface AttentionPart {
  out: Input;
  lse: Input;
}

/** Options of mergeAttention. */
export interface MergeOptions<O extends Output | undefined = Output | undefined, L extends Output | undefined = Output | undefined> {
  /** Query heads per query. */
  heads: number;
  /** Elements of a value head. */
  valueDim: number;
  /** [queries][heads][valueDim]: the merged output, written and returned (may be a.out or b.out). */
  out?: O | undefined;
  /** [queries][heads]: the merged lse, written and returned (may be a.lse or b.lse). */
  lse?: L | undefined;
}

type Or<O, X> = O extends Output ? O : OutputOf<X>;

/** The attention functions, on every backend. */
export interface AttentionKernels {
  /**
   * softmax(scale*q.k (+ softcap, bias, ALiBi, masks)).v per query and head, in one pass over
   * the keys and values per tile of queries (FlashAttention's online softmax). f32 unless q is
   * f64; keys and values of either dtype.
   */
  attend<Q extends Input, O extends OutFor<Q> | undefined = undefined>(
    q: Q,
    keys: Input,
    values: Input,
    opts: AttendOptions<O> & { lse?: false | undefined },
  ): Or<O, Q>;
  /** attend, also returning the log of each softmax denominator (`lse: true`, or the array to write it to). */
  attend<Q extends Input, O extends OutFor<Q> | undefined = undefined, L extends OutFor<Q> | true = true>(
    q: Q,
    keys: Input,
    values: Input,
    opts: AttendOptions<O> & { lse: L },
  ): AttentionResult<Or<O, Q>, L extends Output ? L : OutputOf<Q>>;
  /** The attention over the union of two disjoint key ranges, from their results with lse. */
  mergeAttention<A extends AttentionPart, O extends Output | undefined = undefined, L extends Output | undefined = undefined>(
    a: A,
    b: AttentionPart,
    opts: MergeOptions<O, L>,
  ): AttentionResult<Or<O, A["out"]>, L extends Output ? L : OutputOf<A["out"]>>;
}
