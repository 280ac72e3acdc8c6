// Public types of the large-vocabulary functions (src/vocab.ts): word2vec's Huffman tree, the
// hierarchical softmax over it, and TensorFlow's sampled softmax loss.

import type { IndexTarget, Input, OutFor, OutputOf } from "../core/types.js";

/** Counts of the outcomes: a number[] or a typed array of numbers (K >= 2, each positive and finite). */
export type Counts = readonly number[] | Float32Array | Float64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Uint8Array;

/**
 * A binary tree over K outcomes, as paths from the root: outcome i's path is the lengths[i]
 * entries of `codes` and `points` after those of outcomes 0..i-1. points are inner nodes
 * (0..K-2: rows of the node matrix), root first; codes the branch taken at each (0 or 1).
 * A tree is read once per object (its paths summed and checked, then kept): change a tree by
 * making a new object.
 */
export interface Tree {
  codes: Uint8Array | readonly number[];
  points: Int32Array | readonly number[];
  lengths: Int32Array | readonly number[];
}

/** What huffman returns. */
export interface HuffmanTree extends Tree {
  codes: Uint8Array;
  points: Int32Array;
  lengths: Int32Array;
}

/** Uniforms for a draw: a seed of the package's generator (PCG32, docs/sampling.md), or a function. */
export interface DrawOptions {
  /** A safe integer: the same draws on every backend and runtime. */
  seed?: number | undefined;
  /** Uniforms in [0, 1), instead of seed. Default: Math.random. */
  random?: (() => number) | undefined;
}

/** Options of hierarchicalSoftmax. */
export interface HierarchicalOptions<G extends boolean | undefined = boolean | undefined> {
  /** true: also the gradient of the sum of the rows' log-probabilities. */
  grad?: G;
}

/** The gradient of the sum of log-probabilities: dense for h, one row per id for the node matrix. */
export interface HierarchicalGrad<A> {
  /** [rows][dim], h's output dtype. */
  h: A;
  /** [ids.length][dim]: row j is the gradient for node row ids[j]. */
  nodes: A;
  /** The node rows on the rows' paths, ascending, each once. */
  ids: Int32Array;
}

/** What hierarchicalSoftmax returns. */
export interface HierarchicalResult<A, G> {
  /** log P(target) per row, h's output dtype. */
  logProb: A;
  grad: G extends true ? HierarchicalGrad<A> : undefined;
}

/** The hierarchical softmax: log-probabilities of targets in O(log K) per row, and the whole distribution or draws from it. */
export interface HierarchicalSoftmax {
  /**
   * log P(target_r | h_r) = sum over target_r's path of log sigmoid((1 - 2*code)*h_r.nodes[point])
   * (word2vec's sign: code 0 is sigmoid(h.n), code 1 is sigmoid(-h.n)). h is [rows][dim],
   * nodes [K-1][dim], one target per row.
   */
  <X extends Input, G extends boolean | undefined = undefined>(
    h: X,
    nodes: Input,
    tree: Tree,
    target: IndexTarget,
    opts?: HierarchicalOptions<G>,
  ): HierarchicalResult<OutputOf<X>, G>;
  /** P(i | h_r) for every outcome i: [rows][K], each row summing to 1. */
  probabilities<X extends Input, O extends OutFor<X> | undefined = undefined>(
    h: X,
    nodes: Input,
    tree: Tree,
    opts?: { out?: O },
  ): O extends undefined ? OutputOf<X> : O;
  /** One outcome per row, drawn by descending the tree with one uniform per row (inverse CDF in the tree's leaf order). */
  sample(h: Input, nodes: Input, tree: Tree, opts?: DrawOptions): Int32Array;
}

/** Options of sampledSoftmaxLoss (TensorFlow's names in camelCase). */
export interface SampledSoftmaxOptions<G extends boolean | undefined = boolean | undefined> extends DrawOptions {
  /** S, the candidates drawn (unique) for the whole batch, in [1, V]; optional when `sampled` is given. */
  numSampled?: number | undefined;
  /** Candidates to use instead of drawing them (ids in [0, V)): to reproduce another framework's run. */
  sampled?: Int32Array | readonly number[] | undefined;
  /** The draws that found the candidates, for their expected counts; default: counted while drawing, S for `sampled`. */
  numTries?: number | undefined;
  /** Masks a candidate equal to the row's target (default true). */
  removeAccidentalHits?: boolean | undefined;
  /** Subtracts log(expected count) from every logit (default true). */
  subtractLogQ?: boolean | undefined;
  /** true: also the gradient of the sum of the rows' losses. */
  grad?: G;
}

/** The gradient of the sum of sampled losses: dense for h, one row per id for weights and biases. */
export interface SampledGrad<A> {
  /** [rows][dim]. */
  h: A;
  /** [ids.length][dim]: row j is the gradient for weights row ids[j]. */
  weights: A;
  /** [ids.length]: entry j is the gradient for biases[ids[j]]. */
  biases: A;
  /** The classes of the batch's targets and candidates, ascending, each once. */
  ids: Int32Array;
}

/** What sampledSoftmaxLoss returns. */
export interface SampledSoftmaxResult<A, G> {
  /** The loss per row, h's output dtype. */
  loss: A;
  grad: G extends true ? SampledGrad<A> : undefined;
  /** The candidates used (drawn, or given). */
  sampled: Int32Array;
  /** The draws that found them. */
  numTries: number;
}

/** The large-vocabulary functions, on every backend. */
export interface VocabKernels {
  /**
   * word2vec's Huffman tree (CreateBinaryTree) over K >= 2 counts: frequent outcomes get short
   * paths. Inner nodes are numbered in creation order, the root is K-2.
   */
  huffman(counts: Counts): HuffmanTree;
  hierarchicalSoftmax: HierarchicalSoftmax;
  /**
   * TensorFlow's sampled_softmax_loss (one target per row): the softmax cross-entropy over the
   * target and S candidates drawn log-uniformly from V = biases.length classes, per row.
   * h is [rows][dim], weights [V][dim].
   */
  sampledSoftmaxLoss<X extends Input, G extends boolean | undefined = undefined>(
    h: X,
    weights: Input,
    biases: Input,
    target: IndexTarget,
    opts: SampledSoftmaxOptions<G>,
  ): SampledSoftmaxResult<OutputOf<X>, G>;
}
