// Where the bundled core module is: beside this file (in dist/, or beside a bundle of it).

import type { WasmBuild } from "./core/family.js";
import { noModuleUrl } from "./core/load.js";

/** URL of a build of the core module, beside this file (in dist/, or beside a bundle of it). */
export function coreUrl(build: WasmBuild): URL {
  // Empty in bundles that are not ES modules (esbuild's iife/cjs) and in Workers bundles. The
  // new URL(..., import.meta.url) below stay literal: Vite finds the binaries by that pattern.
  if (!import.meta.url) throw new Error(noModuleUrl("softmax"));
  if (build === "relaxed-simd") return new URL("./softmax-relaxed.wasm", import.meta.url);
  if (build === "simd") return new URL("./softmax.wasm", import.meta.url);
  return new URL("./softmax-scalar.wasm", import.meta.url);
}
