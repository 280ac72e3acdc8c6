import type { LossKernels } from "./loss-types.js";
import type { SamplingKernels } from "./sample-types.js";

export type * from "./sample-types.js";

/** Element type of an array: 32- or 64-bit IEEE floats. */
export type Dtype = "f32" | "f64";

/** Which implementation a Kernels object runs on. */
export type Backend = "wasm-relaxed-simd" | "wasm-simd" | "wasm" | "js";

/** The typed array of a dtype. */
export type ArrayOf<D extends Dtype> = D extends "f32" ? Float32Array : Float64Array;

/** A typed array of either dtype. */
export type RealArray = Float32Array | Float64Array;

/**
 * An array that lives in a backend's memory (the module's linear memory for the wasm
 * backends), so kernels read and write it without copies.
 */
export interface WasmArray<D extends Dtype = Dtype> {
  /** A view of the elements; every read gives a usable view, also after memory growth. */
  readonly array: ArrayOf<D>;
  /** Number of elements. */
  readonly length: number;
  /** Element type. */
  readonly dtype: D;
  /** Returns the memory to the backend; any later use throws an Error. Idempotent. */
  free(): void;
  /** Same as free(), for `using`. */
  [Symbol.dispose](): void;
}

/** Anything the functions accept as data. */
export type Input = Float32Array | Float64Array | readonly number[] | WasmArray;

/** What the functions write to: a typed array or a WasmArray of the output dtype. */
export type Output = Float32Array | Float64Array | WasmArray;

/** The output typed array that an input gives (f32 stays f32; f64 and number[] give f64). */
export type OutputOf<X> = X extends Float32Array | WasmArray<"f32">
  ? Float32Array
  : X extends Float64Array | readonly number[] | WasmArray<"f64">
    ? Float64Array
    : RealArray;

/** Options shared by every function: the inverse temperature. */
export interface ScaleOptions {
  /** T, finite and > 0; default 1. Same as beta = 1/T. Not together with beta. */
  temperature?: number;
  /** beta, any finite real: 0 gives the uniform distribution, < 0 the soft arg-min. */
  beta?: number;
}

/** Options of softmax, logSoftmax and logSumExp. */
export interface SoftmaxOptions<O extends Output | undefined = Output | undefined> extends ScaleOptions {
  /** K: the input is a row-major batch of length/K rows of K, each normalized on its own. */
  rowLength?: number;
  /** Written and returned; output dtype, and the input's length (one per row for logSumExp). */
  out?: O;
}

/** Streaming LogSumExp / softmax over data that arrives in chunks (one pass). */
export interface OnlineSoftmax {
  /** Folds a chunk in; chunks may have any size and dtype. */
  push(chunk: Input): this;
  /** Folds another accumulator in (it is left unchanged); both must have the same beta. */
  merge(other: OnlineSoftmax): this;
  /** Number of elements pushed (masked ones included). */
  readonly count: number;
  /** beta of this accumulator. */
  readonly beta: number;
  /** Max of beta*x seen; -Infinity when empty. */
  readonly max: number;
  /** Sum of exp(beta*x - max) over what was seen. */
  readonly sum: number;
  /** max + log(sum): the LogSumExp of everything seen; -Infinity when empty. */
  logSumExp(): number;
  /** exp(beta*chunk - logSumExp()); dtype follows the chunk. */
  normalize<X extends Input, O extends Output | undefined = undefined>(chunk: X, out?: O): O extends Output ? O : OutputOf<X>;
  /** beta*chunk - logSumExp(); dtype follows the chunk. */
  logNormalize<X extends Input, O extends Output | undefined = undefined>(chunk: X, out?: O): O extends Output ? O : OutputOf<X>;
  /** Back to empty. */
  reset(): this;
}

/** The API, identical on every backend. */
export interface Kernels extends LossKernels, SamplingKernels {
  /** Which implementation runs. */
  readonly backend: Backend;
  /** exp(beta*(x_i - c)) / sum_j exp(beta*(x_j - c)) per row (c the row max, min for beta < 0). */
  softmax<X extends Input, O extends Output | undefined = undefined>(
    x: X,
    opts?: SoftmaxOptions<O>,
  ): O extends Output ? O : OutputOf<X>;
  /** beta*(x_i - c) - log sum_j exp(beta*(x_j - c)) per row, computed directly. */
  logSoftmax<X extends Input, O extends Output | undefined = undefined>(
    x: X,
    opts?: SoftmaxOptions<O>,
  ): O extends Output ? O : OutputOf<X>;
  /** log sum_j exp(beta*x_j): a number, or one value per row when rowLength is given. */
  logSumExp(x: Input, opts?: ScaleOptions & { rowLength?: undefined; out?: Output }): number;
  logSumExp<X extends Input, O extends Output | undefined = undefined>(
    x: X,
    opts: SoftmaxOptions<O> & { rowLength: number },
  ): O extends Output ? O : OutputOf<X>;
  /** A streaming accumulator with this backend's kernels. */
  online(opts?: ScaleOptions): OnlineSoftmax;
  /** An array in this backend's memory (zero-copy input and output). */
  alloc<D extends Dtype = "f32">(length: number, dtype?: D): WasmArray<D>;
}
