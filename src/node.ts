// The entry for Node, Deno and Bun (export conditions "node", "deno", "bun"): the default
// entry's API with an init() that reads the bundled binary from disk. Only this entry imports
// node:fs, so bundles for browsers and Workers never see it.

import { readFile } from "node:fs/promises";
import { initializer } from "./load.js";
import type { Kernels, Source } from "./types.js";

export * from "./index.js";

const load = initializer((url) => readFile(url));

/**
 * Compiles and instantiates the kernels. Without a source, reads the best bundled build the
 * runtime validates (relaxed SIMD, else SIMD, else scalar) once and returns that same
 * instance on every call.
 */
export function init(source?: Source): Promise<Kernels> {
  return load(source);
}
