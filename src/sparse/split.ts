// The sparse kernels (assembly/sparse/sparse.ts) as parallel() splits them by rows (src/core/split.ts).

import { type Splits, input } from "../core/split.js";
import { workBytes } from "./wasm.js";

/** entmax(x, y, w, rows, k, beta, alpha): w is the kernel's work space (workBytes), one per thread. */
export const SPARSE_SPLITS: Splits = {
  entmax: { count: 3, k: 4, strides: [[0, input], [1, input]], work: [2, (args, dtype) => workBytes(dtype as "f32" | "f64", args[4], args[6])] },
  entmaxbackward: { count: 3, k: 4, strides: [[0, input], [1, input], [2, input]] },
};
