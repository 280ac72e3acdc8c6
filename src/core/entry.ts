// The init and initSync of an entry point, typed by the families they add.

import { type Entry, initializer, synchronousInitializer } from "./load.js";
import type { CoreInit, CoreInitSync, CoreKernels, FixedEntry } from "./types.js";

/** init and initSync over an entry's loader. */
export function entryPoints(entry: Entry): { init: CoreInit; initSync: CoreInitSync } {
  return { init: initializer(entry) as CoreInit, initSync: synchronousInitializer(entry) as unknown as CoreInitSync };
}

/** The same, for an entry whose Kernels always has the same families (softmax-wasm). */
export function fixedEntryPoints<K extends CoreKernels>(entry: Entry): FixedEntry<K> {
  return entryPoints(entry) as unknown as FixedEntry<K>;
}
