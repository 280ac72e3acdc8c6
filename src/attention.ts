// softmax-wasm/attention: attend and mergeAttention, as a family to pass to init's `with`
// (softmax-wasm/core). Its kernels are their own wasm module
// (assembly/attention), located beside the package's files in the core's build.

import { defineFamily } from "./core/family.js";
import { noModuleUrl } from "./core/load.js";
import type { Family } from "./core/types.js";
import { attentionKernels } from "./attention/api.js";
import type { AttentionKernels } from "./attention/types.js";

export type * from "./attention/types.js";

/** The attention family: `init({ with: [attention] })`. */
export const attention: Family<"attention", AttentionKernels> = defineFamily("attention", attentionKernels, (build) => {
  // Literal new URL(..., import.meta.url): Vite finds the binaries by that pattern.
  if (!import.meta.url) throw new Error(noModuleUrl("attention"));
  if (build === "relaxed-simd") return new URL("./attention-relaxed.wasm", import.meta.url);
  if (build === "simd") return new URL("./attention.wasm", import.meta.url);
  return new URL("./attention-scalar.wasm", import.meta.url);
});
