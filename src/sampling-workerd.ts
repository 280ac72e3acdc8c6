// softmax-wasm/sampling in Cloudflare Workers: the family's modules come in as module imports
// (see src/core/workerd.ts).

import { defineFamily } from "./core/family.js";
import type { Family } from "./core/types.js";
import relaxed from "./sampling-relaxed.wasm";
import simd from "./sampling.wasm";
import { createSampling } from "./sampling/api.js";
import type { SamplingKernels } from "./sampling/types.js";

export type * from "./sampling/types.js";

/** The sampling family: `init({ with: [sampling] })`. */
export const sampling: Family<"sampling", SamplingKernels> = defineFamily("sampling", createSampling, (build) =>
  build === "relaxed-simd" ? relaxed : build === "simd" ? simd : undefined,
);
