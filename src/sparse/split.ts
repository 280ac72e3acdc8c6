// The sparse kernels (assembly/sparse/sparse.ts) as parallel() splits them by rows (src/core/split.ts).

import { type Splits, input, output } from "../core/split.js";
import { backwardWork, workBytes } from "./wasm.js";

/** entmax(x, y, w, rows, k, beta, alpha): w is the kernel's work space (workBytes), one per thread (f16 rows: f32's). */
export const SPARSE_SPLITS: Splits = {
  entmax: { count: 3, k: 4, strides: [[0, input], [1, output]], work: [2, (args, dtype) => workBytes(dtype === "f64" ? "f64" : "f32", args[4], args[6])] },
  // f16: work, the last argument (the f32 and f64 kernels take none and ignore it).
  entmaxbackward: { count: 3, k: 4, strides: [[0, input], [1, input], [2, output]], work: [7, () => backwardWork("", 0)] },
  // One operand of halves (_g: gradY, _y: y), the other f32 (an output's stride); work: a row of f32.
  entmaxbackward_g: { count: 3, k: 4, strides: [[0, input], [1, output], [2, output]], work: [7, (args) => backwardWork("_g", args[4])] },
  entmaxbackward_y: { count: 3, k: 4, strides: [[0, output], [1, input], [2, output]], work: [7, (args) => backwardWork("_y", args[4])] },
};
