// softmax-wasm: softmax, log-softmax, LogSumExp and online softmax with SIMD WebAssembly
// kernels, and a pure TypeScript baseline with the same API. This is the default entry
// (browsers, bundlers): init() fetches the binary; src/node.ts and src/workerd.ts are the
// entries of the "node"/"deno"/"bun" and "workerd" export conditions.

import { createKernels } from "./api.js";
import { JsCore } from "./baseline.js";
import { initializer } from "./load.js";
import type { Bytes, Kernels, Source, WasmModule } from "./types.js";
import { describe } from "./validate.js";
import { WasmCore } from "./wasm.js";

export type * from "./types.js";
export type * from "./loss-types.js";
export { hasRelaxedSimd, hasSimd } from "./features.js";

/** The pure TypeScript implementation: same API and semantics, ready without init. */
export const js: Kernels = createKernels(new JsCore());

const load = initializer(undefined);

/**
 * Compiles and instantiates the kernels. Without a source, loads the best bundled build the
 * runtime validates (relaxed SIMD, else SIMD, else scalar) once and returns that same
 * instance on every call. Then warms f32 softmax up until the engine runs its optimized code
 * (warmup.ts: 100 ms at most).
 */
export function init(source?: Source): Promise<Kernels> {
  return load(source);
}

/** Synchronous init from a compiled module or the bytes of a build. */
export function initSync(source: WasmModule | Bytes): Kernels {
  let module: WebAssembly.Module;
  if (source instanceof WebAssembly.Module) module = source;
  else if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer) module = new WebAssembly.Module(source as BufferSource);
  else throw new TypeError(`initSync source must be a WebAssembly.Module or BufferSource (got ${describe(source)})`);
  return createKernels(new WasmCore(new WebAssembly.Instance(module, {})));
}
