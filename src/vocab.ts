// softmax-wasm/vocab: word2vec's Huffman tree, the hierarchical softmax over it and the sampled
// softmax loss, as a family to pass to init's `with` (softmax-wasm/core). Its kernels are their
// own wasm module (assembly/vocab), located beside the package's files in the core's build.

import { defineFamily } from "./core/family.js";
import { noModuleUrl } from "./core/load.js";
import type { Family } from "./core/types.js";
import { vocabKernels } from "./vocab/api.js";
import type { VocabKernels } from "./vocab/types.js";

export type * from "./vocab/types.js";

/** The vocabulary family: `init({ with: [vocab] })`. */
export const vocab: Family<"vocab", VocabKernels> = defineFamily("vocab", vocabKernels, (build) => {
  // Literal new URL(..., import.meta.url): Vite finds the binaries by that pattern.
  if (!import.meta.url) throw new Error(noModuleUrl("vocab"));
  if (build === "relaxed-simd") return new URL("./vocab-relaxed.wasm", import.meta.url);
  if (build === "simd") return new URL("./vocab.wasm", import.meta.url);
  return new URL("./vocab-scalar.wasm", import.meta.url);
});
