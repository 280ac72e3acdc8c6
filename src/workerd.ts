// The entry for Cloudflare Workers (the "workerd" export condition). Workers refuse to
// compile bytes ("Wasm code generation disallowed by embedder") and have no file to fetch,
// so the binary comes in as a module import that wrangler compiles at deploy time.

import { init as initFrom } from "./index.js";
import type { Source } from "./load.js";
import type { Kernels } from "./types.js";
import simd from "./softmax.wasm";

export * from "./index.js";

let shared: Promise<Kernels> | undefined;

/**
 * Instantiates the kernels. Without a source, uses the bundled SIMD build (workerd's V8 always
 * has SIMD) once and returns that same instance on every call; with one, as in index.ts.
 */
export function init(source?: Source): Promise<Kernels> {
  if (source !== undefined) return initFrom(source);
  shared ??= initFrom(simd).catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}
