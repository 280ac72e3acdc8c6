// The entry for Cloudflare Workers (the "workerd" export condition). Workers refuse to
// compile bytes ("Wasm code generation disallowed by embedder") and have no file to fetch,
// so the binary comes in as a module import that wrangler compiles at deploy time. This
// entry leaves out index.ts's init() on purpose: without it, a bundle holds no code that
// reads files (load.ts's dynamic import of node:fs, which miniflare refuses to load).

import { hasRelaxedSimd, initSync } from "./index.js";
import type { Kernels, Source } from "./types.js";
import { describe } from "./validate.js";
import relaxed from "./softmax-relaxed.wasm";
import simd from "./softmax.wasm";

export * from "./index.js";

let shared: Promise<Kernels> | undefined;

/**
 * Instantiates the kernels. Without a source, uses the bundled relaxed-SIMD build where it
 * validates, else the SIMD one (workerd's V8 always has SIMD), once, and returns that same
 * instance on every call. A source must be a
 * WebAssembly.Module (or a promise of one), as `import wasm from "softmax-wasm/softmax.wasm"` gives.
 */
export function init(source?: Source | PromiseLike<WebAssembly.Module>): Promise<Kernels> {
  if (source !== undefined) return instantiate(source);
  shared ??= instantiate(hasRelaxedSimd() ? relaxed : simd);
  return shared;
}

async function instantiate(source: Source | PromiseLike<WebAssembly.Module>): Promise<Kernels> {
  const module: unknown = await source;
  if (!(module instanceof WebAssembly.Module)) {
    throw new TypeError(
      `in Workers, init takes the WebAssembly.Module that \`import wasm from "softmax-wasm/softmax-relaxed.wasm"\` gives, or nothing (the "workerd" export condition loads it); workerd does not compile bytes (got ${describe(module)})`,
    );
  }
  return initSync(module);
}
