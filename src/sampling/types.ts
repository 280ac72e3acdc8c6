// The public types of the sampling family: argmax, topK, sample, distribution, sampler, gumbelSoftmax.

import type { Input, OutFor, Output, OutputOf } from "../core/types.js";

/** Token ids: a number[] or an integer typed array; or bigints, as transformers.js keeps its input_ids. */
export type TokenIds =
  | readonly number[]
  | Int32Array
  | Uint32Array
  | Uint16Array
  | Int16Array
  | Uint8Array
  | BigInt64Array
  | BigUint64Array
  | readonly bigint[];

/** Where the uniforms of a draw come from. */
export interface RandomOptions {
  /** Seeds the documented generator (PCG32, see the README): the same seed draws the same tokens on every backend and runtime. A safe integer. */
  seed?: number | undefined;
  /** A function returning uniforms in [0, 1), called once per sampled row (per element for gumbelSoftmax). Not together with seed. */
  random?: (() => number) | undefined;
}

/** Options `T` with seed or random, not both: both is a TypeError at run time, and so a compile error. */
export type OneRandom<T extends RandomOptions> = T & ({ seed?: undefined } | { random?: undefined });

/** The filters and penalties of the sampling chain (order: penalties, allowed, temperature, topK, topP, minP, draw). */
export interface ChainOptions {
  /** T >= 0, finite; default 1. 0 is greedy: the argmax after penalties and allowed. */
  temperature?: number | undefined;
  /** Keeps the k highest logits, every tie of the k-th included; integer >= 0, 0 = off. */
  topK?: number | undefined;
  /** Keeps the smallest set of most probable tokens whose probability reaches p (the crossing token kept); in (0, 1], 1 = off. */
  topP?: number | undefined;
  /** Keeps tokens with p_i >= minP * p_max; in [0, 1), 0 = off. */
  minP?: number | undefined;
  /** No filter keeps fewer tokens than this; integer >= 1, default 1. */
  minKeep?: number | undefined;
  /** Logit / p if > 0, else logit * p, once per distinct token of the history; > 0, default 1 (off). */
  repetitionPenalty?: number | undefined;
  /** logit -= count * frequencyPenalty for each token of the history; default 0. */
  frequencyPenalty?: number | undefined;
  /** logit -= presencePenalty for each distinct token of the history; default 0. */
  presencePenalty?: number | undefined;
  /** Packed bit mask: bit (i & 31) of word (i >> 5) set = token i may be drawn. One mask for every row, or one per row (rows * ceil(K/32) words). */
  allowed?: Uint32Array | undefined;
}

/** Options of sample(). */
export interface SampleOptions extends ChainOptions, RandomOptions {
  /** Previous token ids (integers in [0, K)) for the penalties; the same for every row. */
  history?: TokenIds | undefined;
  /** K: a row-major batch of rows of K logits; the result is then an Int32Array, one token per row. */
  rowLength?: number | undefined;
}

/** Options of sampler(). */
export interface SamplerOptions extends ChainOptions, RandomOptions {
  /** How many of the latest history tokens the penalties see; a non-negative integer or Infinity; default Infinity (the whole history, as Hugging Face; llama.cpp uses 64). */
  penaltyWindow?: number | undefined;
}

/** A stateful sampler: options, a token history and a generator that advances with each draw. */
export interface Sampler {
  /** Draws one token from one row of logits, records it in the history and advances the generator. */
  sample(logits: Input, opts?: { allowed?: Uint32Array | undefined }): number;
  /** Adds tokens (e.g. the prompt) to the history. */
  accept(tokens: TokenIds | number | bigint): this;
  /** Empties the history and restarts the generator from its seed. */
  reset(): this;
  /** An independent copy of the history and the generator state (a `random` function is shared). */
  clone(): Sampler;
  /** The history (oldest first), a copy. */
  readonly history: number[];
}

/** Options of distribution(): the chain's, without a generator (nothing is drawn). */
export interface DistributionOptions<O extends Output | undefined = Output | undefined> extends ChainOptions {
  /** Previous token ids (integers in [0, K)) for the penalties; the same for every row. */
  history?: TokenIds | undefined;
  /** K: a row-major batch of rows of K logits, each on its own. */
  rowLength?: number | undefined;
  /** Written and returned: the output dtype and the input's length (may be the logits). */
  out?: O | undefined;
}

/** Result of topK(): k entries per row, values descending, equal values by lower index first, NaN first. */
export interface TopK<V> {
  values: V;
  indices: Int32Array;
}

/** Options of gumbelSoftmax(). */
export interface GumbelOptions<O extends Output | undefined = Output | undefined> extends RandomOptions {
  /** tau, finite and > 0; default 1. */
  tau?: number | undefined;
  /** The one-hot of the argmax of logits + g instead of the soft result; default false. */
  hard?: boolean | undefined;
  /** K: a row-major batch of rows of K, each on its own. */
  rowLength?: number | undefined;
  /** Written and returned: the output dtype and the input's length (may be the logits). */
  out?: O | undefined;
}

/** The sampling functions, on every Kernels. */
export interface SamplingKernels {
  /** Index of the first maximum (NaN counts as the maximum); an Int32Array per row with rowLength. Empty input: RangeError. */
  argmax(x: Input, opts?: { rowLength?: undefined }): number;
  argmax(x: Input, opts: { rowLength: number }): Int32Array;
  argmax(x: Input, opts?: { rowLength?: number | undefined }): number | Int32Array;
  /** The k largest per row: values descending (input dtype), Int32Array indices; ties by lower index, NaN above +Infinity. */
  topK<X extends Input>(x: X, k: number, opts?: { rowLength?: number | undefined }): TopK<OutputOf<X>>;
  /** One token index drawn from softmax(logits / T) after the chain; an Int32Array (one per row) with rowLength. */
  sample(logits: Input, opts?: OneRandom<SampleOptions & { rowLength?: undefined }>): number;
  sample(logits: Input, opts: OneRandom<SampleOptions & { rowLength: number }>): Int32Array;
  sample(logits: Input, opts?: OneRandom<SampleOptions>): number | Int32Array;
  /** The distribution sample() draws from with the same options: the kept tokens' probabilities, 0 for the rest, each row summing to 1 (one-hot at temperature 0). */
  distribution<X extends Input, O extends OutFor<X> | undefined = undefined>(logits: X, opts?: DistributionOptions<O>): O extends Output ? O : OutputOf<X>;
  /** A stateful Sampler with these options. */
  sampler(opts?: OneRandom<SamplerOptions>): Sampler;
  /** softmax((logits + g) / tau) with Gumbel noise g = -log(-log u), u in (0, 1); `hard` gives the one-hot of its argmax. */
  gumbelSoftmax<X extends Input, O extends OutFor<X> | undefined = undefined>(
    logits: X,
    opts?: OneRandom<GumbelOptions<O>>,
  ): O extends Output ? O : OutputOf<X>;
}
