// softmax-wasm/sampling: argmax, topK, sample, sampler, distribution and gumbelSoftmax, as a
// family to pass to init's `with` (softmax-wasm/core). Its kernels are their own wasm module
// (assembly/sampling), located beside the package's files in the core's build.

import { defineFamily } from "./core/family.js";
import { noModuleUrl } from "./core/load.js";
import type { Family } from "./core/types.js";
import { createSampling } from "./sampling/api.js";
import type { SamplingKernels } from "./sampling/types.js";

export type * from "./sampling/types.js";

/** The sampling family: `init({ with: [sampling] })`. */
export const sampling: Family<"sampling", SamplingKernels> = defineFamily("sampling", createSampling, (build) => {
  // Literal new URL(..., import.meta.url): Vite finds the binaries by that pattern.
  if (!import.meta.url) throw new Error(noModuleUrl("sampling"));
  if (build === "relaxed-simd") return new URL("./sampling-relaxed.wasm", import.meta.url);
  if (build === "simd") return new URL("./sampling.wasm", import.meta.url);
  return new URL("./sampling-scalar.wasm", import.meta.url);
});
