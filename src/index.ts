// softmax-wasm: softmax, log-softmax, LogSumExp and online softmax (the core), with the
// sampling, loss, sparse, attention and vocab families, in one Kernels. This is the default entry
// (browsers, bundlers): init() fetches the modules; node.ts and workerd.ts are the entries of the
// "node"/"deno"/"bun" and "workerd" export conditions. softmax-wasm/core and the family
// entries give the same functions to users who want only some of them.

import { createKernels } from "./core/api.js";
import { JsCore } from "./core/baseline.js";
import { fixedEntryPoints } from "./core/entry.js";
import { coreUrl } from "./core-url.js";
import { FAMILIES, missing } from "./families.js";
import { attention } from "./attention.js";
import { loss } from "./loss.js";
import { parallelEntry, withParallel } from "./parallel.js";
import { sampling } from "./sampling.js";
import { sparse } from "./sparse.js";
import { vocab } from "./vocab.js";
import type { FixedEntry } from "./core/types.js";
import type { Kernels } from "./types.js";

export type * from "./core/types.js";
export type * from "./sampling/types.js";
export type * from "./loss/types.js";
export type * from "./sparse/types.js";
export type * from "./attention/types.js";
export type * from "./vocab/types.js";
export type { Kernels } from "./types.js";
export type * from "./parallel/types.js";
export { hasRelaxedSimd, hasSimd } from "./core/features.js";
export { attention, loss, sampling, sparse, vocab };

/** The pure TypeScript implementation: same API and semantics, ready without init. */
export const js: Kernels = withParallel(createKernels(
  new JsCore(),
  FAMILIES.map((f) => [f, undefined] as const),
) as Kernels);

const api = parallelEntry(fixedEntryPoints<Kernels>({ families: FAMILIES, locate: coreUrl, stub: missing }));

/**
 * Compiles and instantiates every module. Without a source, the best bundled build the runtime
 * validates (relaxed SIMD, else SIMD, else scalar), once: later calls return the same instance.
 * `init({ build })` picks a build; `init(source, { sources })` names the modules. Warms f32
 * softmax up before it resolves (100 ms at most).
 */
export const init: FixedEntry<Kernels>["init"] = api.init;

/** Synchronous init from the core module or its bytes; the families' modules are read beside it where the runtime can read files, or given in `sources`. */
export const initSync: FixedEntry<Kernels>["initSync"] = api.initSync;
