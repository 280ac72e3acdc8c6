// softmax-wasm for Node, Deno and Bun (export conditions "node", "deno", "bun"): the default
// entry's API with an init() that reads the bundled modules from disk. Only the node entries
// import node:fs, so bundles for browsers and Workers never see it.

import { readFile } from "node:fs/promises";
import { fixedEntryPoints } from "./core/entry.js";
import { parallelEntry } from "./parallel.js";
import { coreUrl } from "./core-url.js";
import { FAMILIES, missing } from "./families.js";
import type { FixedEntry } from "./core/types.js";
import type { Kernels } from "./types.js";

export * from "./index.js";

const api = parallelEntry(fixedEntryPoints<Kernels>({ families: FAMILIES, locate: coreUrl, readFile: (url) => readFile(url), stub: missing }));

/**
 * Compiles and instantiates every module. Without a source, reads the best bundled build the
 * runtime validates (relaxed SIMD, else SIMD, else scalar) once and returns that same instance
 * on every call; `init({ build })` picks a build.
 */
export const init: FixedEntry<Kernels>["init"] = api.init;

/** Synchronous init from the core module or its bytes; the families' modules are read from disk beside it. */
export const initSync: FixedEntry<Kernels>["initSync"] = api.initSync;
