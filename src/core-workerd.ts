// softmax-wasm/core for Cloudflare Workers (the "workerd" export condition). Workers refuse to
// compile bytes ("Wasm code generation disallowed by embedder") and have no file to fetch, so
// each module comes in as a module import that wrangler compiles at deploy time.

import relaxed from "./softmax-relaxed.wasm";
import simd from "./softmax.wasm";
import { entryPoints } from "./core/entry.js";
import type { CoreInit, CoreInitSync } from "./core/types.js";
import type { WasmBuild } from "./core/family.js";
import type { Entry } from "./core/load.js";

export * from "./core.js";

/** The core module of a build in Workers (workerd's V8 always has SIMD: no scalar build is bundled). */
export function workerdCore(build: WasmBuild): WebAssembly.Module {
  if (build === "scalar") throw new RangeError('build "scalar" is not bundled for Workers (workerd always runs SIMD): use "simd" or "relaxed-simd"');
  return build === "relaxed-simd" ? relaxed : simd;
}

const entry: Entry = { families: [], locate: workerdCore };
const api = entryPoints(entry);

/** Compiles and instantiates the core module (and the families in `with`); see CoreInit. Sources must be WebAssembly.Modules here. */
export const init: CoreInit = api.init;

/** Synchronous init from the core module; see CoreInitSync. */
export const initSync: CoreInitSync = api.initSync;
