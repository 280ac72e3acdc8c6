// How a kernel export splits into ranges of rows, for parallel() (src/parallel): every row of
// a row kernel is computed alone, from its own inputs into its own outputs, so a range of rows
// run on another thread gives the same bits as the whole call. Each family describes its own
// kernels (src/<family>/split.ts); only parallel() reads these tables.

import { WORK_F64 } from "./wasm.js";

/** Bytes per row of an operand, from the row length K and the bytes of one element of the call's dtype. */
export type Stride = (k: number, size: number) => number;

/** One kernel export (both dtypes): where its row count and row length are, what moves with a row. */
export interface RowSplit {
  /** Argument index of the row count. */
  readonly rows: number;
  /** Argument index of the row length K. */
  readonly k: number;
  /** Pointer arguments that advance with the rows (a 0 pointer, an absent operand, stays 0). */
  readonly strides: readonly (readonly [arg: number, bytes: Stride])[];
  /** A work area that each thread needs its own of: the argument and its size in bytes. */
  readonly work?: readonly [arg: number, bytes: Stride] | undefined;
  /** The kernel returns the last row's value: the call returns that of the last range. */
  readonly returnsLast?: boolean | undefined;
}

/** A family's splittable kernels, by name without the dtype prefix (f32_softmax: softmax). */
export type RowSplits = Readonly<Record<string, RowSplit>>;

const row: Stride = (k, size) => k * size;
const one: Stride = (_k, size) => size;
const work: readonly [number, Stride] = [5, () => WORK_F64 * 8];

/** The core's kernels (assembly/core/softmax.ts); reduce and normalize work on one row. */
export const CORE_SPLITS: RowSplits = {
  softmax: { rows: 2, k: 3, strides: [[0, row], [1, row]], work },
  logsoftmax: { rows: 2, k: 3, strides: [[0, row], [1, row]], work },
  logsumexp: { rows: 2, k: 3, strides: [[0, row], [1, one]], work, returnsLast: true },
};
