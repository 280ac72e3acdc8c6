// softmax-wasm/attention in Cloudflare Workers: the family's modules come in as module imports
// (see src/core/workerd.ts).

import { defineFamily } from "./core/family.js";
import type { Family } from "./core/types.js";
import relaxed from "./attention-relaxed.wasm";
import simd from "./attention.wasm";
import { attentionKernels } from "./attention/api.js";
import type { AttentionKernels } from "./attention/types.js";

export type * from "./attention/types.js";

/** The attention family: `init({ with: [attention] })`. */
export const attention: Family<"attention", AttentionKernels> = defineFamily("attention", attentionKernels, (build) =>
  build === "relaxed-simd" ? relaxed : build === "simd" ? simd : undefined,
);
