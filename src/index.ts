// softmax-wasm: softmax, log-softmax, LogSumExp and online softmax with SIMD WebAssembly
// kernels, and a pure TypeScript baseline with the same API.

import { createKernels } from "./api.js";
import { JsCore } from "./baseline.js";
import { type Source, compileSource, defaultUrl } from "./load.js";
import type { Kernels } from "./types.js";
import { WasmCore } from "./wasm.js";

export type * from "./types.js";
export type * from "./loss-types.js";
export type { Source } from "./load.js";
export { hasRelaxedSimd, hasSimd } from "./load.js";

/** The pure TypeScript implementation: same API and semantics, ready without init. */
export const js: Kernels = createKernels(new JsCore());

let shared: Promise<Kernels> | undefined;

/**
 * Compiles and instantiates the kernels. Without a source, loads the best bundled build the
 * runtime validates (SIMD, else scalar) once and returns that same instance on every call.
 */
export function init(source?: Source): Promise<Kernels> {
  if (source !== undefined) return instantiate(compileSource(source));
  // defaultUrl() runs inside the promise, so that a failure rejects instead of throwing.
  shared ??= instantiate(Promise.resolve().then(() => compileSource(defaultUrl()))).catch((error: unknown) => {
    shared = undefined; // a failed load may be retried
    throw error;
  });
  return shared;
}

async function instantiate(module: Promise<WebAssembly.Module>): Promise<Kernels> {
  const instance = await WebAssembly.instantiate(await module, {});
  return createKernels(new WasmCore(instance));
}

/** Synchronous init from a compiled module or the bytes of a build. */
export function initSync(source: WebAssembly.Module | BufferSource): Kernels {
  let module: WebAssembly.Module;
  if (source instanceof WebAssembly.Module) module = source;
  else if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer) module = new WebAssembly.Module(source);
  else throw new TypeError(`initSync source must be a WebAssembly.Module or BufferSource (got ${typeof source})`);
  return createKernels(new WasmCore(new WebAssembly.Instance(module, {})));
}
