// softmax-wasm/loss in Cloudflare Workers: the family's modules come in as module imports
// (see src/core/workerd.ts).

import { defineFamily } from "./core/family.js";
import type { Family } from "./core/types.js";
import relaxed from "./loss-relaxed.wasm";
import simd from "./loss.wasm";
import { lossKernels } from "./loss/api.js";
import type { LossKernels } from "./loss/types.js";

export type * from "./loss/types.js";

/** The loss family: `init({ with: [loss] })`. */
export const loss: Family<"loss", LossKernels> = defineFamily("loss", lossKernels, (build) =>
  build === "relaxed-simd" ? relaxed : build === "simd" ? simd : undefined,
);
