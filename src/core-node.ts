// softmax-wasm/core for Node, Deno and Bun (export conditions "node", "deno", "bun"): the
// default entry's API with an init() that reads the bundled modules from disk. Only the node
// entries import node:fs, so bundles for browsers and Workers never see it.

import { readFile } from "node:fs/promises";
import { entryPoints } from "./core/entry.js";
import type { CoreInit, CoreInitSync } from "./core/types.js";
import { coreUrl } from "./core-url.js";

export * from "./core.js";

const api = entryPoints({ families: [], locate: coreUrl, readFile: (url) => readFile(url) });

/** Compiles and instantiates the core module (and the families in `with`); see CoreInit. */
export const init: CoreInit = api.init;

/** Synchronous init from the core module or its bytes; see CoreInitSync. */
export const initSync: CoreInitSync = api.initSync;
