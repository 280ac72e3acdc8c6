// How a kernel export splits into parts for parallel() (src/parallel): every row of a row
// kernel (every query head of attention) is computed alone, from its own inputs into its own
// outputs, so a part run on another thread gives the same bits as the whole call. Each family
// describes its own kernels (src/<family>/split.ts); only parallel() reads these tables.

import { WORK_F64 } from "./wasm.js";
import type { KernelExports } from "./wasm.js";

/** The dtype of an export (its first prefix: f16_softmax reads halves, f32_f16_attend computes in f32). */
export type KernelDtype = "f16" | "f32" | "f64";

/** Bytes per row of an operand, from the row length K and the export's dtype. */
export type Stride = (k: number, dtype: KernelDtype) => number;

/** One kernel (every dtype of it): what splits, and what each part needs of its own. */
export interface Split {
  /** Argument index of the count that splits (rows; kv heads for attention). */
  readonly count: number;
  /** Elements of work of a call (where a part is worth a thread): default count * args[k]. */
  readonly cost?: ((args: readonly number[]) => number) | undefined;
  /** Argument index of the row length K, for the strides. */
  readonly k?: number | undefined;
  /** Pointer arguments that advance with the rows (a 0 pointer, an absent operand, stays 0). */
  readonly strides?: readonly (readonly [arg: number, bytes: Stride])[] | undefined;
  /** Instead of moving pointers: the arguments that take each part's [first, end) of the count. */
  readonly range?: readonly [first: number, end: number] | undefined;
  /** A work area that each thread needs its own of: the argument and its size in bytes (`name`: the export's). */
  readonly work?: readonly [arg: number, bytes: (args: readonly number[], dtype: KernelDtype, exports: KernelExports, name: string) => number] | undefined;
  /** The kernel returns the last row's value: the call returns that of the last part. */
  readonly returnsLast?: boolean | undefined;
}

/**
 * A kernel export as parallel() wraps it: a call splits as its Split says, and `all` runs
 * several whole calls at once (at most `threads`: the first on this thread, each other on a
 * worker with a work area of its own), returning when every one is done. The functions of
 * one thread have plain exports: a family checks for `all` (attention's key segments).
 */
export interface ConcurrentKernel {
  (...args: number[]): number | undefined;
  /** This thread and the workers. */
  readonly threads: number;
  all(calls: readonly (readonly number[])[]): void;
}

/** A family's splittable kernels, by name without the dtype prefixes (f32_softmax: softmax). */
export type Splits = Readonly<Record<string, Split>>;

/** Bytes of a row of K elements of the export's dtype (f16: halves). */
export const input: Stride = (k, dtype) => k * (dtype === "f16" ? 2 : dtype === "f32" ? 4 : 8);
/** Bytes of a row of K results (f16 inputs give f32). */
export const output: Stride = (k, dtype) => k * (dtype === "f64" ? 8 : 4);

const work = [5, () => WORK_F64 * 8] as const;

/** The core's kernels (assembly/core/softmax.ts); reduce and normalize work on one row. */
export const CORE_SPLITS: Splits = {
  softmax: { count: 2, k: 3, strides: [[0, input], [1, output]], work },
  logsoftmax: { count: 2, k: 3, strides: [[0, input], [1, output]], work },
  logsumexp: { count: 2, k: 3, strides: [[0, input], [1, (_k, dtype) => output(1, dtype)]], work, returnsLast: true },
};
