// softmax-wasm/vocab in Cloudflare Workers: the family's modules come in as module imports
// (see src/core/workerd.ts).

import { defineFamily } from "./core/family.js";
import type { Family } from "./core/types.js";
import relaxed from "./vocab-relaxed.wasm";
import simd from "./vocab.wasm";
import { vocabKernels } from "./vocab/api.js";
import type { VocabKernels } from "./vocab/types.js";

export type * from "./vocab/types.js";

/** The vocabulary family: `init({ with: [vocab] })`. */
export const vocab: Family<"vocab", VocabKernels> = defineFamily("vocab", vocabKernels, (build) =>
  build === "relaxed-simd" ? relaxed : build === "simd" ? simd : undefined,
);
