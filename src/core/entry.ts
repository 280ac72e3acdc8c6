// The init and initSync of an entry point, typed by the families they add.

import { type Entry, initializer, synchronousInitializer } from "./load.js";
import type { Bytes, CoreKernels, Family, InitOptions, KernelsWith, Source, WasmModule } from "./types.js";

/** init of softmax-wasm/core: the core functions and those of the families in `with`. */
export interface CoreInit {
  /**
   * Compiles and instantiates the best bundled build the runtime validates (relaxed SIMD, else
   * SIMD, else scalar), once per set of families: later calls return the same instance. Warms
   * f32 softmax up before it resolves (100 ms at most).
   */
  (): Promise<CoreKernels>;
  /** With options: `build` picks a build (a new instance each call), `with` adds families, `sources` names their modules. */
  <const F extends readonly Family[] = []>(options: InitOptions<F>): Promise<KernelsWith<F>>;
  /** From the core module's source (a new instance each call); families' bundled modules in the same build unless `sources` names them. */
  <const F extends readonly Family[] = []>(source: Source, options?: InitOptions<F>): Promise<KernelsWith<F>>;
}

/** initSync of softmax-wasm/core: from the core module, compiled synchronously. */
export interface CoreInitSync {
  <const F extends readonly Family[] = []>(source: WasmModule | Bytes, options?: InitOptions<F>): KernelsWith<F>;
}

/** The init and initSync of an entry whose Kernels type is K, whatever the families asked for. */
export interface FixedEntry<K> {
  init(source?: Source | InitOptions, options?: InitOptions): Promise<K>;
  initSync(source: WasmModule | Bytes, options?: InitOptions): K;
}

/** init and initSync over an entry's loader. */
export function entryPoints(entry: Entry): { init: CoreInit; initSync: CoreInitSync } {
  return { init: initializer(entry) as CoreInit, initSync: synchronousInitializer(entry) as unknown as CoreInitSync };
}

/** The same, for an entry whose Kernels always has the same families (softmax-wasm). */
export function fixedEntryPoints<K extends CoreKernels>(entry: Entry): FixedEntry<K> {
  return entryPoints(entry) as unknown as FixedEntry<K>;
}
