// The sparse kernels (assembly/sparse/sparse.ts) as parallel() splits them by rows (src/core/split.ts).

import type { RowSplits, Stride } from "../core/split.js";

const row: Stride = (k, size) => k * size;

/** entmax(x, y, w, rows, k, ...): w is K elements of work space, one per thread. */
export const SPARSE_SPLITS: RowSplits = {
  entmax: { rows: 3, k: 4, strides: [[0, row], [1, row]], work: [2, row] },
  entmaxbackward: { rows: 3, k: 4, strides: [[0, row], [1, row], [2, row]] },
};
