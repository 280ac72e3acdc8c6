// softmax-wasm for Cloudflare Workers (the "workerd" export condition). Workers refuse to
// compile bytes ("Wasm code generation disallowed by embedder") and have no file to fetch, so
// every module comes in as a module import that wrangler compiles at deploy time.

import { fixedEntryPoints } from "./core/entry.js";
import { parallelEntry } from "./parallel.js";
import { missing } from "./families.js";
import type { FamilyDefinition } from "./core/family.js";
import { workerdCore } from "./core-workerd.js";
import { attention } from "./attention-workerd.js";
import { loss } from "./loss-workerd.js";
import { sampling } from "./sampling-workerd.js";
import { sparse } from "./sparse-workerd.js";
import { vocab } from "./vocab-workerd.js";
import type { FixedEntry } from "./core/types.js";
import type { Kernels } from "./types.js";

export * from "./index.js";
export { attention, loss, sampling, sparse, vocab };

const api = parallelEntry(fixedEntryPoints<Kernels>({ families: [sampling, loss, sparse, attention, vocab] as unknown as readonly FamilyDefinition[], locate: workerdCore, stub: missing }));

/**
 * Instantiates every module. Without a source, the bundled relaxed-SIMD build where it
 * validates, else the SIMD one, once; a source must be the WebAssembly.Module that
 * `import wasm from "softmax-wasm/softmax-relaxed.wasm"` gives (workerd compiles no bytes).
 */
export const init: FixedEntry<Kernels>["init"] = api.init;

/** Synchronous init from the core module (a WebAssembly.Module). */
export const initSync: FixedEntry<Kernels>["initSync"] = api.initSync;
