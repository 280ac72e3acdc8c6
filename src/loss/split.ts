// The loss kernels (assembly/loss/loss.ts) as parallel() splits them by rows (src/core/split.ts).

import { type Splits, input, output } from "../core/split.js";
import { COEFS, STATS } from "./stats.js";
import { workBytes } from "./wasm.js";

// f16 kernels read halves (g, y, x) and write f32 (out, the gradient), with f32 targets' probabilities.
const backward = { count: 3, k: 4, strides: [[0, input], [1, input], [2, output]] } as const;
// The f16 kernels of halves in one operand (_g: gradY, _y: y or logY), the other f32 (an output's stride).
const halvesG = { count: 3, k: 4, strides: [[0, input], [1, output], [2, output]] } as const;
const halvesY = { count: 3, k: 4, strides: [[0, output], [1, input], [2, output]] } as const;
/** The f16 kernels' work area (the last argument) for rows of args[k], one per thread. */
const work = (arg: number, k: number) => [arg, (args: readonly number[]) => workBytes(args[k])] as const;

/** crossentropy(x, g, rows, k, beta, targets, t, w, stats, coefs, zScale, tScale, mode, work): w, the class weights, is every row's. */
export const LOSS_SPLITS: Splits = {
  crossentropy: {
    count: 2,
    k: 3,
    strides: [[0, input], [1, output], [5, () => 4], [6, output], [8, () => STATS * 8], [9, () => COEFS * 8]],
    work: work(13, 3),
  },
  softmaxbackward: { ...backward, work: work(6, 4) },
  logsoftmaxbackward: { ...backward, work: work(6, 4) },
  softmaxbackward_g: { ...halvesG, work: work(6, 4) },
  softmaxbackward_y: { ...halvesY, work: work(6, 4) },
  logsoftmaxbackward_g: { ...halvesG, work: work(6, 4) },
  logsoftmaxbackward_y: { ...halvesY, work: work(6, 4) },
};
