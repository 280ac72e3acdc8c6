// The sparse kernels (assembly/sparse/sparse.ts) as parallel() splits them by rows (src/core/split.ts).

import { type Splits, input } from "../core/split.js";

/** entmax(x, y, w, rows, k, ...): w is K elements of work space, one per thread. */
export const SPARSE_SPLITS: Splits = {
  entmax: { count: 3, k: 4, strides: [[0, input], [1, input]], work: [2, (args, dtype) => input(args[4], dtype)] },
  entmaxbackward: { count: 3, k: 4, strides: [[0, input], [1, input], [2, input]] },
};
