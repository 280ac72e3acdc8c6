// softmax-wasm/loss: crossEntropy, logProbs, softmaxBackward, logSoftmaxBackward and jacobian, as a
// family to pass to init's `with` (softmax-wasm/core). Its kernels are their own wasm module
// (assembly/loss), located beside the package's files in the core's build.

import { defineFamily } from "./core/family.js";
import { noModuleUrl } from "./core/load.js";
import type { Family } from "./core/types.js";
import { lossKernels } from "./loss/api.js";
import type { LossKernels } from "./loss/types.js";

export type * from "./loss/types.js";

/** The loss family: `init({ with: [loss] })`. */
export const loss: Family<"loss", LossKernels> = defineFamily("loss", lossKernels, (build) => {
  // Literal new URL(..., import.meta.url): Vite finds the binaries by that pattern.
  if (!import.meta.url) throw new Error(noModuleUrl("loss"));
  if (build === "relaxed-simd") return new URL("./loss-relaxed.wasm", import.meta.url);
  if (build === "simd") return new URL("./loss.wasm", import.meta.url);
  return new URL("./loss-scalar.wasm", import.meta.url);
});
