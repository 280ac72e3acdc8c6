// softmax-wasm/sparse in Cloudflare Workers: the family's modules come in as module imports
// (see src/core/workerd.ts).

import { defineFamily } from "./core/family.js";
import type { Family } from "./core/types.js";
import relaxed from "./sparse-relaxed.wasm";
import simd from "./sparse.wasm";
import { sparseKernels } from "./sparse/api.js";
import type { SparseKernels } from "./sparse/types.js";

export type * from "./sparse/types.js";

/** The sparse family: `init({ with: [sparse] })`. */
export const sparse: Family<"sparse", SparseKernels> = defineFamily("sparse", sparseKernels, (build) =>
  build === "relaxed-simd" ? relaxed : build === "simd" ? simd : undefined,
);
