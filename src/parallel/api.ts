// parallel(): the functions of a Kernels over one shared WebAssembly.Memory, run by the calling
// thread and workers - 1 worker threads. The shared-memory twins of the Kernels' modules (the
// same code, scripts/build.mjs) are instantiated over that memory on every thread; the calling
// thread validates and stages each call as the Kernels would (the same API code over the same
// host layer), and the kernels that work row by row run by ranges of rows on all the threads
// (split.ts), so the results are the Kernels' own bit for bit.

import { JsCore } from "../core/baseline.js";
import type { FamilyDefinition, WasmBuild } from "../core/family.js";
import { DATA_END } from "../core/layout.js";
import { type FileReader, assemble, compileSource } from "../core/load.js";
import type { Splits } from "../core/split.js";
import type { Backend, CoreKernels, Source } from "../core/types.js";
import { describe } from "../core/validate.js";
import type { KernelExports } from "../core/wasm.js";
import { warmUp } from "../core/warmup.js";
import { Pool, type Spawn } from "./pool.js";
import { Splitter } from "./split.js";
import type { ParallelKernels, ParallelOptions } from "./types.js";

const PAGE = 65536;
/** The shared memory's maximum (the twins declare 4 GiB); smaller where the runtime cannot reserve that much. */
const MAX_PAGES = [65536, 32768, 16384];

/** A module as parallel() loads it: its shared-memory twin in a build, and how its kernels split. */
export interface SharedModule {
  /** The family (undefined for the core). */
  readonly family?: FamilyDefinition | undefined;
  /** Where the shared-memory twin of a build is. */
  readonly locate: (build: WasmBuild) => Source;
  readonly splits: Splits;
}

/** What an entry gives parallel(). */
export interface ParallelEntry {
  readonly core: SharedModule;
  readonly families: readonly SharedModule[];
  /** Starts a worker thread; undefined where the runtime has none. */
  readonly spawn: Spawn | undefined;
  readonly readFile?: FileReader | undefined;
}

const BUILDS: Partial<Record<Backend, WasmBuild>> = { "wasm-relaxed-simd": "relaxed-simd", "wasm-simd": "simd", wasm: "scalar" };

/** Why this runtime cannot run parallel(), or undefined where it can. */
export function threadsMissing(entry: ParallelEntry): string | undefined {
  const g = globalThis as { navigator?: { userAgent?: string }; crossOriginIsolated?: boolean };
  if (g.navigator?.userAgent === "Cloudflare-Workers") {
    return "Cloudflare Workers have no threads (no Worker, no shared memory): call the functions of the Kernels itself, or split a batch across requests and merge the parts (docs/parallel.md)";
  }
  if (typeof SharedArrayBuffer !== "function" || g.crossOriginIsolated === false) {
    return "there is no SharedArrayBuffer here: a page gets one only when cross-origin isolated (crossOriginIsolated is false): serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp";
  }
  if (!entry.spawn) return "this runtime has no Worker and no node:worker_threads";
  return undefined;
}

/** The shared memory: room for the static data of every module, growing up to the largest maximum the runtime reserves. */
function sharedMemory(): WebAssembly.Memory {
  const initial = Math.ceil(DATA_END / PAGE) + 1;
  let failure: unknown;
  for (const maximum of MAX_PAGES) {
    try {
      return new WebAssembly.Memory({ initial, maximum, shared: true });
    } catch (error) {
      failure = error;
    }
  }
  throw new Error(`softmax-wasm: parallel() could not make a shared WebAssembly.Memory here (${(failure as Error)?.message ?? failure})`);
}

/** Whether `sm` has the functions of `family` (so that parallel() gives them too). */
function has(sm: object, family: FamilyDefinition): boolean {
  return Object.keys(family.create(new JsCore(), undefined)).every((name) => name in sm);
}

/** The Kernels' functions as Promises: a call that throws rejects; after close(), every call rejects. */
function promising(inner: CoreKernels, sm: object, workers: number, closed: () => boolean, close: () => Promise<void>): object {
  const closedError = () => new Error("softmax-wasm: these parallel kernels are closed (close() was called)");
  const promised = (f: (...args: unknown[]) => unknown) => (...args: unknown[]) => {
    if (closed()) return Promise.reject(closedError());
    try {
      return Promise.resolve(f(...args));
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const api: Record<string, unknown> = { backend: inner.backend, workers, close };
  const functions = inner as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of Object.keys(inner)) {
    if (!(name in sm) || name === "backend") continue;
    const f = functions[name];
    if (name === "alloc") {
      api.alloc = (...args: unknown[]) => {
        if (closed()) throw closedError();
        return f(...args);
      };
      continue;
    }
    const p = promised(f) as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(f)) {
      if (typeof value === "function") p[key] = promised(value.bind(f));
    }
    api[name] = p;
  }
  return api;
}

/** parallel(sm, options) of an entry. */
export async function parallel<K extends CoreKernels>(entry: ParallelEntry, sm: K, options?: ParallelOptions): Promise<ParallelKernels<K>> {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError(`parallel options must be an object (got ${describe(options)})`);
  }
  const asked = options?.workers;
  const g = globalThis as { navigator?: { hardwareConcurrency?: number }; process?: { getBuiltinModule?: (id: string) => unknown } };
  const os = g.process?.getBuiltinModule?.("node:os") as { availableParallelism?: () => number } | undefined;
  const cores = g.navigator?.hardwareConcurrency ?? os?.availableParallelism?.();
  const workers = asked ?? cores ?? 1;
  if (typeof workers !== "number" || !Number.isSafeInteger(workers) || workers < 1) {
    throw new RangeError(`workers must be a positive integer (got ${describe(asked)})`);
  }
  const build = BUILDS[sm.backend];
  if (!build) throw new Error(`softmax-wasm: parallel() runs the wasm kernels: the ${sm.backend} backend has none (use a Kernels from init())`);
  const missing = threadsMissing(entry);
  if (missing) throw new Error(`softmax-wasm: parallel() needs threads over one shared memory, and ${missing}`);
  const modules = [entry.core, ...entry.families.filter((m) => m.family && has(sm, m.family))];
  const memory = sharedMemory();
  const compiled = await Promise.all(modules.map((m) => compileSource(m.locate(build), entry.readFile)));
  const instances = await Promise.all(compiled.map((module) => WebAssembly.instantiate(module, { env: { memory } })));
  const splitter = new Splitter();
  modules.forEach((m, i) => splitter.register(i, instances[i].exports as KernelExports, m.splits));
  const pool = await Pool.start(entry.spawn as Spawn, workers - 1, { memory, modules: compiled, exports: splitter.table });
  splitter.use(pool);
  let inner: CoreKernels;
  try {
    const wrapped = modules.map((m, i) => splitter.wrap(i, instances[i].exports as KernelExports, m.splits));
    inner = assemble(
      memory,
      wrapped[0],
      modules.slice(1).map((m, i) => [m.family as FamilyDefinition, wrapped[i + 1]] as const),
    );
    splitter.work.alloc = (bytes) => (inner.alloc(Math.ceil(bytes / 8), "f64") as unknown as { ptr: number }).ptr;
    // As init() does: the workers share the compiled code of each module with this thread.
    await warmUp(inner);
  } catch (error) {
    await pool.close();
    throw error;
  }
  let closed = false;
  const close = () => {
    closed = true;
    return pool.close();
  };
  return promising(inner, sm, workers, () => closed, close) as ParallelKernels<K>;
}
