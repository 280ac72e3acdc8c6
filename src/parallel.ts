// softmax-wasm/parallel: parallel(sm, { workers }), the functions of a Kernels on several
// threads over one shared memory (src/parallel); softmax-wasm's Kernels have it as
// sm.parallel(). The shared-memory twins of the modules (scripts/build.mjs) and the workers'
// script are located beside this file, as the other modules are.

import { attention } from "./attention.js";
import { ATTENTION_SPLITS } from "./attention/split.js";
import { CORE_SPLITS } from "./core/split.js";
import type { FamilyDefinition, WasmBuild } from "./core/family.js";
import { noModuleUrl } from "./core/load.js";
import type { CoreKernels, FixedEntry } from "./core/types.js";
import { loss } from "./loss.js";
import { LOSS_SPLITS } from "./loss/split.js";
import { type ParallelEntry, parallel as parallelOf } from "./parallel/api.js";
import type { Thread } from "./parallel/pool.js";
import type { ParallelKernels, ParallelOptions } from "./parallel/types.js";
import { sampling } from "./sampling.js";
import { sparse } from "./sparse.js";
import { SPARSE_SPLITS } from "./sparse/split.js";

export type * from "./parallel/types.js";

// Literal new URL(..., import.meta.url) below: Vite finds the binaries by that pattern.

function coreTwin(build: WasmBuild): URL {
  if (!import.meta.url) throw new Error(noModuleUrl("softmax-shared"));
  if (build === "relaxed-simd") return new URL("./softmax-shared-relaxed.wasm", import.meta.url);
  if (build === "simd") return new URL("./softmax-shared.wasm", import.meta.url);
  return new URL("./softmax-shared-scalar.wasm", import.meta.url);
}

function samplingTwin(build: WasmBuild): URL {
  if (!import.meta.url) throw new Error(noModuleUrl("sampling-shared"));
  if (build === "relaxed-simd") return new URL("./sampling-shared-relaxed.wasm", import.meta.url);
  if (build === "simd") return new URL("./sampling-shared.wasm", import.meta.url);
  return new URL("./sampling-shared-scalar.wasm", import.meta.url);
}

function lossTwin(build: WasmBuild): URL {
  if (!import.meta.url) throw new Error(noModuleUrl("loss-shared"));
  if (build === "relaxed-simd") return new URL("./loss-shared-relaxed.wasm", import.meta.url);
  if (build === "simd") return new URL("./loss-shared.wasm", import.meta.url);
  return new URL("./loss-shared-scalar.wasm", import.meta.url);
}

function attentionTwin(build: WasmBuild): URL {
  if (!import.meta.url) throw new Error(noModuleUrl("attention-shared"));
  if (build === "relaxed-simd") return new URL("./attention-shared-relaxed.wasm", import.meta.url);
  if (build === "simd") return new URL("./attention-shared.wasm", import.meta.url);
  return new URL("./attention-shared-scalar.wasm", import.meta.url);
}

function sparseTwin(build: WasmBuild): URL {
  if (!import.meta.url) throw new Error(noModuleUrl("sparse-shared"));
  if (build === "relaxed-simd") return new URL("./sparse-shared-relaxed.wasm", import.meta.url);
  if (build === "simd") return new URL("./sparse-shared.wasm", import.meta.url);
  return new URL("./sparse-shared-scalar.wasm", import.meta.url);
}

/** A worker thread running dist/parallel/worker.js: a node:worker_threads Worker (Node, Deno, Bun: it can be unref()ed), else a Web Worker. */
function spawn(): Thread {
  const url = new URL("./parallel/worker.js", import.meta.url);
  const node = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.("node:worker_threads") as
    | { Worker: new (url: URL) => Thread & { unref(): void } }
    | undefined;
  // Workers never keep the process alive: a program that forgot close() still ends.
  const thread = node ? new node.Worker(url) : typeof Worker === "function" ? new Worker(url, { type: "module" }) : undefined;
  if (!thread) throw new Error("softmax-wasm: no Worker here");
  (thread as { unref?: () => void }).unref?.();
  return thread;
}

const hasThreads = (): boolean =>
  typeof Worker === "function" || typeof (globalThis as { process?: { getBuiltinModule?: unknown } }).process?.getBuiltinModule === "function";

function entry(): ParallelEntry {
  return {
    core: { locate: coreTwin, splits: CORE_SPLITS },
    families: [
      { family: sampling as unknown as FamilyDefinition, locate: samplingTwin, splits: {} },
      { family: loss as unknown as FamilyDefinition, locate: lossTwin, splits: LOSS_SPLITS },
      { family: sparse as unknown as FamilyDefinition, locate: sparseTwin, splits: SPARSE_SPLITS },
      { family: attention as unknown as FamilyDefinition, locate: attentionTwin, splits: ATTENTION_SPLITS },
    ],
    spawn: hasThreads() ? spawn : undefined,
  };
}

/**
 * The functions of `sm` on `workers` threads (the calling one included) over one shared
 * memory: each returns a Promise; batches split by rows, results equal to sm's bit for bit.
 * Rejects with an Error saying why where there are no threads (a page that is not
 * cross-origin isolated, Cloudflare Workers), a RangeError for workers not a positive integer.
 */
export function parallel<K extends CoreKernels>(sm: K, options?: ParallelOptions): Promise<ParallelKernels<K>> {
  return Promise.resolve().then(() => parallelOf(entry(), sm, options));
}

/** Adds sm.parallel(options) to a Kernels (softmax-wasm's). */
export function withParallel<K extends CoreKernels>(sm: K): K {
  const k = sm as K & { parallel?: (options?: ParallelOptions) => Promise<ParallelKernels<K>> };
  k.parallel ??= (options) => parallel(sm, options);
  return k;
}

/** An entry's init and initSync whose Kernels have sm.parallel(). */
export function parallelEntry<K extends CoreKernels>(api: FixedEntry<K>): FixedEntry<K> {
  return {
    init: (source, options) => api.init(source, options).then(withParallel),
    initSync: (source, options) => withParallel(api.initSync(source, options)),
  };
}
