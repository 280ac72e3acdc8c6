// The types of parallel(): the functions of a Kernels, returning Promises.

import type { CoreKernels } from "../core/types.js";

/** A function of a Kernels as parallel() gives it: the same arguments, a Promise of the result (its function properties likewise). */
export type Parallel<F> = F extends (...args: infer A) => infer R
  ? ((...args: A) => Promise<Awaited<R>>) & { readonly [S in keyof F]: Parallel<F[S]> }
  : F;

/**
 * The functions of a Kernels over one shared memory and its worker threads: each returns a
 * Promise; batches split by rows across the threads, with results equal to the Kernels' own
 * bit for bit. `alloc` gives WasmArrays in the shared memory (synchronously).
 */
export type ParallelKernels<K extends CoreKernels = CoreKernels> = {
  readonly [P in Exclude<keyof K, "backend" | "alloc" | "parallel">]: Parallel<K[P]>;
} & {
  /** The backend of the Kernels it was made from. */
  readonly backend: K["backend"];
  /** An array in the shared memory: zero-copy input and output of every thread. */
  alloc: K["alloc"];
  /** Threads that compute, the calling one included. */
  readonly workers: number;
  /** Ends the worker threads; later calls reject. */
  close(): Promise<void>;
};

/** Options of parallel(). */
export interface ParallelOptions {
  /** Threads that compute, the calling one included (workers - 1 Worker threads); a positive integer, default the machine's logical cores. */
  workers?: number | undefined;
}
