// What a family of kernels gives the core: its functions over a backend, and where its wasm
// module is. A family depends on the core, never the core on a family: the entries pass the
// families in, and createKernels adds their functions to the core's.

import type { Core } from "./backend.js";
import type { Family, Source } from "./types.js";
import type { KernelExports } from "./wasm.js";

/** One of the three wasm builds. */
export type WasmBuild = "relaxed-simd" | "simd" | "scalar";

/** A Family as the loader sees it. */
export interface FamilyDefinition<Name extends string = string, API extends object = object> extends Family<Name, API> {
  /** The family's functions over `core`; `exports` are its module's (undefined on the js backend). */
  create(core: Core, exports: KernelExports | undefined): API;
  /**
   * Where the bundled module of a build is: a URL beside the package's files, or the module
   * itself where the runtime imports wasm as modules (workerd); undefined where there is none.
   */
  locate(build: WasmBuild): Source | undefined;
}

/** Makes a family; `locate` runs only when a module is loaded (so a bundle without import.meta.url fails there, with a message). */
export function defineFamily<Name extends string, API extends object>(
  name: Name,
  create: (core: Core, exports: KernelExports | undefined) => API,
  locate: (build: WasmBuild) => Source | undefined,
): Family<Name, API> {
  const family: FamilyDefinition<Name, API> = { name, create, locate };
  return family;
}

/** True for a family made by defineFamily. */
export function isFamily(f: unknown): f is FamilyDefinition {
  const d = f as Partial<FamilyDefinition> | null;
  return typeof d === "object" && d !== null && typeof d.name === "string" && typeof d.create === "function" && typeof d.locate === "function";
}
