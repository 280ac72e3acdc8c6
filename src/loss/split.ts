// The loss kernels (assembly/loss/loss.ts) as parallel() splits them by rows (src/core/split.ts).

import type { RowSplits, Stride } from "../core/split.js";
import { COEFS, STATS } from "./stats.js";

const row: Stride = (k, size) => k * size;
const backward = { rows: 3, k: 4, strides: [[0, row], [1, row], [2, row]] } as const;

/** crossentropy(x, g, rows, k, beta, targets, t, w, stats, coefs, ...): w, the class weights, is every row's. */
export const LOSS_SPLITS: RowSplits = {
  crossentropy: {
    rows: 2,
    k: 3,
    strides: [[0, row], [1, row], [5, () => 4], [6, row], [8, () => STATS * 8], [9, () => COEFS * 8]],
  },
  softmaxbackward: backward,
  logsoftmaxbackward: backward,
};
