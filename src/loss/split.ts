// The loss kernels (assembly/loss/loss.ts) as parallel() splits them by rows (src/core/split.ts).

import { type Splits, input } from "../core/split.js";
import { COEFS, STATS } from "./stats.js";

const backward = { count: 3, k: 4, strides: [[0, input], [1, input], [2, input]] } as const;

/** crossentropy(x, g, rows, k, beta, targets, t, w, stats, coefs, ...): w, the class weights, is every row's. */
export const LOSS_SPLITS: Splits = {
  crossentropy: {
    count: 2,
    k: 3,
    strides: [[0, input], [1, input], [5, () => 4], [6, input], [8, () => STATS * 8], [9, () => COEFS * 8]],
  },
  softmaxbackward: backward,
  logsoftmaxbackward: backward,
};
