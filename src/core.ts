// softmax-wasm/core: softmax, log-softmax, LogSumExp, online softmax and alloc, and init's
// `with` to add families (softmax-wasm/sampling, softmax-wasm/loss). This is the default entry
// (browsers, bundlers): init() fetches the modules; node.ts and workerd.ts are the entries of
// the "node"/"deno"/"bun" and "workerd" export conditions.

import { createKernels } from "./core/api.js";
import { JsCore } from "./core/baseline.js";
import { entryPoints } from "./core/entry.js";
import type { CoreInit, CoreInitSync } from "./core/types.js";
import { coreUrl } from "./core-url.js";
import type { CoreKernels } from "./core/types.js";

export type * from "./core/types.js";
export { hasRelaxedSimd, hasSimd } from "./core/features.js";

/** The pure TypeScript implementation of the core functions: same API and semantics, ready without init. */
export const js: CoreKernels = createKernels(new JsCore(), []);

const api = entryPoints({ families: [], locate: coreUrl });

/** Compiles and instantiates the core module (and the families in `with`); see CoreInit. */
export const init: CoreInit = api.init;

/** Synchronous init from the core module or its bytes; see CoreInitSync. */
export const initSync: CoreInitSync = api.initSync;
