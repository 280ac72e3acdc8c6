// softmax-wasm/sparse: sparsemax, entmax, their backward passes and Fenchel-Young losses, as a
// family to pass to init's `with` (softmax-wasm/core). Its kernels are their own wasm module
// (assembly/sparse), located beside the package's files in the core's build.

import { defineFamily } from "./core/family.js";
import { noModuleUrl } from "./core/load.js";
import type { Family } from "./core/types.js";
import { sparseKernels } from "./sparse/api.js";
import type { SparseKernels } from "./sparse/types.js";

export type * from "./sparse/types.js";

/** The sparse family: `init({ with: [sparse] })`. */
export const sparse: Family<"sparse", SparseKernels> = defineFamily("sparse", sparseKernels, (build) => {
  // Literal new URL(..., import.meta.url): Vite finds the binaries by that pattern.
  if (!import.meta.url) throw new Error(noModuleUrl("sparse"));
  if (build === "relaxed-simd") return new URL("./sparse-relaxed.wasm", import.meta.url);
  if (build === "simd") return new URL("./sparse.wasm", import.meta.url);
  return new URL("./sparse-scalar.wasm", import.meta.url);
});
