/** Element type of an array: 32- or 64-bit IEEE floats, or 16-bit halves (read as f32, computed in f32). */
export type Dtype = "f32" | "f64" | "f16";

/** The dtypes kernels compute in (f16 data is widened to f32). */
export type RealDtype = "f32" | "f64";

/** Which implementation a Kernels object runs on. */
export type Backend = "wasm-relaxed-simd" | "wasm-simd" | "wasm" | "js";

/** Float16Array where the user's lib declares it (esnext, es2025), else nothing. */
export type Float16 = typeof globalThis extends { readonly Float16Array: { readonly prototype: infer T } } ? T : never;

/** The typed array of a dtype: f16 is a Float16Array, or a Uint16Array of the bits where the runtime has no Float16Array. */
export type ArrayOf<D extends Dtype> = D extends "f32" ? Float32Array : D extends "f64" ? Float64Array : Float16 | Uint16Array;

/** A typed array of either dtype. */
export type RealArray = Float32Array | Float64Array;

// The declarations compile in a user's strict project whatever its lib: what only some libs
// declare (WebAssembly, Response, URL) is read off the user's globals where it exists and left
// out or widened where it does not, never assumed.

// `using` needs the global Disposable type, which only esnext.disposable (or @types/node)
// declares: the same declarations as @types/node's, which merge with the lib's where it has
// them, so that `using` compiles with lib ["es2022", "dom"] too (the runtimes all have
// Symbol.dispose; memory.ts falls back where one does not).
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
  interface Disposable {
    [Symbol.dispose](): void;
  }
}

/** The global type `Name` where the user's lib declares it (its constructor's prototype), else `Fallback`. */
type GlobalType<Name extends string, Fallback> = typeof globalThis extends { readonly [K in Name]: { readonly prototype: infer T } }
  ? T
  : Fallback;

/** WebAssembly.Module (any object where the user's lib lacks WebAssembly). */
export type WasmModule = typeof globalThis extends { readonly WebAssembly: { readonly Module: { readonly prototype: infer M } } }
  ? M
  : object;

/** The bytes of a build: an ArrayBuffer or a view of one (BufferSource, without needing lib dom). */
export type Bytes = ArrayBuffer | ArrayBufferView;

/** Sources init() accepts: a compiled module, bytes, a URL or URL string, a Response or a promise of one. */
export type Source =
  | WasmModule
  | Bytes
  | GlobalType<"URL", never>
  | string
  | GlobalType<"Response", never>
  | PromiseLike<GlobalType<"Response", never>>;

/**
 * An array that lives in a backend's memory (the module's linear memory for the wasm
 * backends), so kernels read and write it without copies. `[Symbol.dispose]()` is free(),
 * for `using`.
 */
export interface WasmArray<D extends Dtype = Dtype> extends Disposable {
  /** A view of the elements; every read gives a usable view, also after memory growth. */
  readonly array: ArrayOf<D>;
  /** Number of elements. */
  readonly length: number;
  /** Element type. */
  readonly dtype: D;
  /** Returns the memory to the backend; any later use throws an Error. Idempotent. */
  free(): void;
}

/** Anything the functions accept as data (f16: a Float16Array, or an f16 WasmArray). */
export type Input = Float32Array | Float64Array | Float16 | readonly number[] | WasmArray;

/** What the functions write to: a typed array or a WasmArray of the output dtype (for f16 input: f32, or f16 rounded to nearest even). */
export type Output = Float32Array | Float64Array | Float16 | WasmArray;

/** The output typed array that an input gives (f32 and f16 give f32; f64 and number[] give f64). */
export type OutputOf<X> = X extends Float32Array | WasmArray<"f32"> | Float16 | WasmArray<"f16">
  ? Float32Array
  : X extends Float64Array | readonly number[] | WasmArray<"f64">
    ? Float64Array
    : RealArray;

/** What `out` may be for an input: a typed array or WasmArray of its output dtype (f16 input: f32 or f16). */
export type OutFor<X> = X extends Float16 | WasmArray<"f16">
  ? Float32Array | WasmArray<"f32"> | Float16 | WasmArray<"f16">
  : X extends Float32Array | WasmArray<"f32">
  ? Float32Array | WasmArray<"f32">
  : X extends Float64Array | readonly number[] | WasmArray<"f64">
    ? Float64Array | WasmArray<"f64">
    : Output;

/** What a call returns: `out` when given, else a new array of the input's output dtype. */
export type Result<X, O> = O extends Output ? O : OutputOf<X>;

/** How a loss reduces its per-row values: their (weighted) mean, their sum, or none (one value per row). */
export type Reduction = "mean" | "sum" | "none";

/** Class indices, one per row: an Int32Array, or a number[] with one entry per row. */
export type IndexTarget = Int32Array | readonly number[];

/** Options shared by every function: the inverse temperature, as temperature or beta. */
export interface ScaleOptions {
  /** T, finite and > 0; default 1. Same as beta = 1/T. Not together with beta. */
  temperature?: number | undefined;
  /** beta, any finite real: 0 gives the uniform distribution, < 0 the soft arg-min. */
  beta?: number | undefined;
}

/** Options `T` with temperature or beta, not both: both is a TypeError at run time, and so a compile error. */
export type OneScale<T extends ScaleOptions> = T & ({ beta?: undefined } | { temperature?: undefined });

/** Options of softmax, logSoftmax and logSumExp; `O` is the type of `out`. */
export type SoftmaxOptions<O extends Output | undefined = undefined> = OneScale<
  ScaleOptions & {
    /** K: the input is a row-major batch of length/K rows of K, each normalized on its own. */
    rowLength?: number | undefined;
    /** Written and returned; output dtype, and the input's length (one per row for logSumExp). */
    out?: O | undefined;
  }
>;

/** SciPy's weights of logSumExp: `b`, of the input's length or of rowLength (every row alike). */
export interface Weights {
  /** Weights b_j: log|sum_j b_j exp(beta x_j)|; entries with b_j = 0 drop out, even infinite or NaN ones. */
  b?: Input | undefined;
}

/** logSumExp with `returnSign: true`: log|sum| and the sign of the sum (-1, 0 or 1; NaN where the value is NaN). */
export interface SignedLogSumExp<V, S> {
  value: V;
  sign: S;
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
  normalize<X extends Input, O extends OutFor<X> | undefined = undefined>(chunk: X, out?: O): Result<X, O>;
  /** beta*chunk - logSumExp(); dtype follows the chunk. */
  logNormalize<X extends Input, O extends OutFor<X> | undefined = undefined>(chunk: X, out?: O): Result<X, O>;
  /** Back to empty. */
  reset(): this;
}

/** The core functions, identical on every backend; families add theirs (see KernelsWith). */
export interface CoreKernels {
  /** Which implementation runs. */
  readonly backend: Backend;
  /** exp(beta*(x_i - c)) / sum_j exp(beta*(x_j - c)) per row (c the row max, min for beta < 0). */
  softmax<X extends Input, O extends OutFor<X> | undefined = undefined>(x: X, opts?: SoftmaxOptions<O>): Result<X, O>;
  /** beta*(x_i - c) - log sum_j exp(beta*(x_j - c)) per row, computed directly. */
  logSoftmax<X extends Input, O extends OutFor<X> | undefined = undefined>(x: X, opts?: SoftmaxOptions<O>): Result<X, O>;
  /**
   * log sum_j exp(beta*x_j): a number, or one value per row when rowLength is given; with
   * `b`, log|sum_j b_j exp(beta*x_j)| (NaN for a negative sum unless `returnSign`).
   */
  logSumExp<X extends Input>(
    x: X,
    opts: OneScale<ScaleOptions & Weights & { rowLength?: undefined; out?: OutFor<X> | undefined; returnSign: true }>,
  ): SignedLogSumExp<number, number>;
  logSumExp<X extends Input, O extends OutFor<X> | undefined = undefined>(
    x: X,
    opts: SoftmaxOptions<O> & Weights & { rowLength: number; returnSign: true },
  ): SignedLogSumExp<Result<X, O>, OutputOf<X>>;
  logSumExp<X extends Input>(
    x: X,
    opts?: OneScale<ScaleOptions & Weights & { rowLength?: undefined; out?: OutFor<X> | undefined; returnSign?: false | undefined }>,
  ): number;
  logSumExp<X extends Input, O extends OutFor<X> | undefined = undefined>(
    x: X,
    opts: SoftmaxOptions<O> & Weights & { rowLength: number; returnSign?: false | undefined },
  ): Result<X, O>;
  logSumExp<X extends Input, O extends OutFor<X> | undefined = undefined>(
    x: X,
    opts?: SoftmaxOptions<O> & Weights & { returnSign?: false | undefined },
  ): number | Result<X, O>;
  /** A streaming accumulator with this backend's kernels. */
  online(opts?: OneScale<ScaleOptions>): OnlineSoftmax;
  /** An array in this backend's memory (zero-copy input and output). */
  alloc<D extends Dtype = "f32">(length: number, dtype?: D): WasmArray<D>;
}

/** A family of kernels (softmax-wasm/sampling, softmax-wasm/loss, ...) that init's `with` adds to the core. */
export interface Family<Name extends string = string, API extends object = object> {
  /** The family's name: the key of its module in `sources`. */
  readonly name: Name;
  /** The functions the family adds (a type only: never set at run time). */
  readonly api?: API | undefined;
}

/** The functions a Family adds. */
export type FamilyApi<F> = F extends Family<string, infer A> ? A : never;

type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** The core functions and those of every family in F. */
export type KernelsWith<F extends readonly Family[]> = CoreKernels & Intersection<FamilyApi<F[number]>>;

/** A build of the kernels: the three wasm builds, or the pure TypeScript one. */
export type Build = "relaxed-simd" | "simd" | "scalar" | "js";

/** Options of init and initSync. */
export interface InitOptions<F extends readonly Family[] = readonly Family[]> {
  /** That build of every module instead of the best one the runtime validates (RangeError where it does not); "js" for the TypeScript backend. */
  build?: Build | undefined;
  /** Families to add to the core, e.g. `[sampling]` from softmax-wasm/sampling. */
  with?: F | undefined;
  /** Where a family's module is, by family name (default: beside the package's files, in the core's build). */
  sources?: { readonly [name: string]: Source } | undefined;
}

/** init of softmax-wasm/core: the core functions and those of the families in `with`. */
export interface CoreInit {
  /**
   * Compiles and instantiates the best bundled build the runtime validates (relaxed SIMD, else
   * SIMD, else scalar), once per set of families: later calls return the same instance. Warms
   * f32 softmax up before it resolves (100 ms at most).
   */
  (): Promise<CoreKernels>;
  /** With options: `build` picks a build (a new instance each call), `with` adds families, `sources` names their modules. */
  <const F extends readonly Family[] = []>(options: InitOptions<F>): Promise<KernelsWith<F>>;
  /** From the core module's source (a new instance each call); families' bundled modules in the same build unless `sources` names them. */
  <const F extends readonly Family[] = []>(source: Source, options?: InitOptions<F>): Promise<KernelsWith<F>>;
}

/** initSync of softmax-wasm/core: from the core module, compiled synchronously. */
export interface CoreInitSync {
  <const F extends readonly Family[] = []>(source: WasmModule | Bytes, options?: InitOptions<F>): KernelsWith<F>;
}

/** The init and initSync of an entry whose Kernels type is K, whatever the families asked for. */
export interface FixedEntry<K> {
  init(source?: Source | InitOptions, options?: InitOptions): Promise<K>;
  initSync(source: WasmModule | Bytes, options?: InitOptions): K;
}
