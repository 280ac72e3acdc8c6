// Finding, compiling and instantiating the modules of one Kernels. Each family's kernels are
// their own wasm module; every module of one Kernels imports one memory that the host creates
// and owns, so a WasmArray goes into any family's function without a copy. Each runtime gets
// its own entry by export condition, so a bundle holds only the loading code of its runtime:
// the default entries (browsers, bundlers) fetch; the node entries (Node, Deno, Bun) also read
// file: URLs; Workers pass the modules they imported (the workerd entries).

import { type FamilyPart, createKernels } from "./api.js";
import { JsCore } from "./baseline.js";
import { type FamilyDefinition, type WasmBuild, isFamily } from "./family.js";
import { hasRelaxedSimd, hasSimd } from "./features.js";
import { DATA_END } from "./layout.js";
import type { Build, CoreKernels, InitOptions, Source } from "./types.js";
import { describe } from "./validate.js";
import { type KernelExports, WasmCore, backendOf } from "./wasm.js";
import { warmUp } from "./warmup.js";

/** Reads a file: URL; only the node entries have one. */
export type FileReader = (url: URL) => Promise<Uint8Array<ArrayBuffer>>;

/** What an entry point loads: the families it always has and how it reads files. */
export interface Entry {
  /** Families every Kernels of this entry has (softmax-wasm: all of them; softmax-wasm/core: none). */
  readonly families: readonly FamilyDefinition[];
  /** Where the core module of a build is. */
  readonly locate: (build: WasmBuild) => Source;
  readonly readFile?: FileReader | undefined;
  /**
   * Functions that throw (saying how to load them) for an entry's own family whose module
   * initSync cannot get synchronously, given instead of throwing itself: softmax-wasm's
   * initSync(coreModule) keeps working in browsers.
   */
  readonly stub?: ((family: FamilyDefinition, build: WasmBuild) => object) | undefined;
}

const WASM_BUILDS: readonly WasmBuild[] = ["relaxed-simd", "simd", "scalar"];
const FEATURES: Record<WasmBuild, number> = { "relaxed-simd": 3, simd: 1, scalar: 0 };
const PAGE = 65536;
const OPTION_KEYS = ["build", "with", "sources"];

/** The message where a module cannot be located because import.meta.url is empty. */
export function noModuleUrl(file: string): string {
  return `softmax-wasm: import.meta.url is empty here (not an ES module, or Workers without the "workerd" condition): no ${file}*.wasm; pass init(url), or in Workers init(module, { sources })`;
}

/** The best build this runtime validates: relaxed SIMD, else SIMD, else scalar. */
export function bestBuild(): WasmBuild {
  return hasRelaxedSimd() ? "relaxed-simd" : hasSimd() ? "simd" : "scalar";
}

function validates(build: WasmBuild): boolean {
  return build === "scalar" || (build === "simd" ? hasSimd() : hasRelaxedSimd());
}

function isPlainObject(o: unknown): o is Record<string, unknown> {
  if (typeof o !== "object" || o === null) return false;
  const proto = Object.getPrototypeOf(o);
  return proto === Object.prototype || proto === null;
}

/** A validated init/initSync call. */
interface Request {
  source: Source | undefined;
  build: Build | undefined;
  families: FamilyDefinition[];
  sources: Record<string, Source>;
}

/** Splits (source?, options?) and checks the options: a plain object alone is the options. */
export function requestOf(entry: Entry, a: unknown, b: unknown, fn: string): Request {
  let source = a as Source | undefined;
  let options = b;
  if (fn === "init" && b === undefined && isPlainObject(a)) {
    source = undefined;
    options = a;
  }
  if (options !== undefined && !isPlainObject(options)) throw new TypeError(`${fn} options must be a plain object (got ${describe(options)})`);
  const o = (options ?? {}) as InitOptions & Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!OPTION_KEYS.includes(key)) throw new TypeError(`${fn} has no option ${JSON.stringify(key)} (options: ${OPTION_KEYS.join(", ")})`);
  }
  const build = o.build;
  if (build !== undefined && build !== "js" && !WASM_BUILDS.includes(build as WasmBuild)) {
    throw new TypeError(`build must be "relaxed-simd", "simd", "scalar" or "js" (got ${describe(build)})`);
  }
  if (build === "js" && source !== undefined) throw new TypeError(`build "js" takes no source (got ${describe(source)})`);
  const families = [...entry.families];
  if (o.with !== undefined) {
    if (!Array.isArray(o.with)) throw new TypeError(`with must be an array of families (got ${describe(o.with)})`);
    for (const f of o.with as unknown[]) {
      if (!isFamily(f)) throw new TypeError(`with takes families, e.g. sampling from "softmax-wasm/sampling" (got ${describe(f)})`);
      if (!families.some((g) => g.name === f.name)) families.push(f);
    }
  }
  const sources: Record<string, Source> = {};
  if (o.sources !== undefined) {
    if (!isPlainObject(o.sources)) throw new TypeError(`sources must be a plain object (got ${describe(o.sources)})`);
    for (const [name, s] of Object.entries(o.sources)) {
      if (!families.some((f) => f.name === name)) {
        throw new TypeError(`sources names the family ${JSON.stringify(name)}, which is not loaded (add it to with)`);
      }
      sources[name] = s as Source;
    }
  }
  return { source, build, families, sources };
}

/** The build asked for, checked against what the runtime validates. */
function checkedBuild(build: WasmBuild): WasmBuild {
  if (!validates(build)) {
    throw new RangeError(`build "${build}" cannot run here (${build === "simd" ? "hasSimd" : "hasRelaxedSimd"}() is false)`);
  }
  return build;
}

/** The memory every module of one Kernels imports: room for their static data to begin with. */
function newMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: Math.ceil(DATA_END / PAGE) + 1 });
}

const imports = (memory: WebAssembly.Memory) => ({ env: { memory } });

/** The build a module was compiled as (its features export); TypeError if it is not one of ours. */
function buildOf(exports: KernelExports, what: string): WasmBuild {
  if (typeof exports.features !== "function" || typeof exports.heapBase !== "function") {
    throw new TypeError(`not a softmax-wasm module: ${what} has no features or heapBase export`);
  }
  const features = (exports.features as () => number)();
  return features & 2 ? "relaxed-simd" : features & 1 ? "simd" : "scalar";
}

/** The backend over instantiated modules: the core's first, then one per family. */
export function assemble(memory: WebAssembly.Memory, core: KernelExports, parts: readonly (readonly [FamilyDefinition, KernelExports])[]): CoreKernels {
  const build = buildOf(core, "the core module");
  let heapBase = (core.heapBase as () => number)();
  for (const [family, exports] of parts) {
    const other = buildOf(exports, `the ${family.name} module`);
    if (other !== build) {
      throw new TypeError(`the ${family.name} module is the ${other} build, the core the ${build} build: pass one build`);
    }
    heapBase = Math.max(heapBase, (exports.heapBase as () => number)());
  }
  const backend = new WasmCore(memory, heapBase, core, backendOf(FEATURES[build]));
  return createKernels(backend, parts);
}

function jsKernels(request: Request): CoreKernels {
  return createKernels(new JsCore(), request.families.map((f): FamilyPart => [f, undefined]));
}

function isResponse(s: unknown): s is Response {
  return typeof Response !== "undefined" && s instanceof Response;
}

function isThenable(s: unknown): s is PromiseLike<Response> {
  return typeof (s as { then?: unknown } | null)?.then === "function";
}

async function compileResponse(response: Response): Promise<WebAssembly.Module> {
  if (!response.ok) {
    const hint =
      response.status === 404
        ? ": copy softmax-wasm/dist/*.wasm beside the script, or pass init(url, { sources })"
        : "";
    throw new Error(`softmax-wasm: fetching ${response.url} failed with status ${response.status}${hint}`);
  }
  // Streaming compilation needs the application/wasm type, which some servers omit.
  if (typeof WebAssembly.compileStreaming === "function" && response.headers.get("content-type")?.startsWith("application/wasm")) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/** A URL or URL string, resolved against the page where there is one. */
function resolve(source: string | URL): URL {
  return new URL(source, typeof location === "undefined" ? undefined : location.href);
}

/** node:fs where the runtime hands it out without an import (process.getBuiltinModule: Node >= 20.16, Deno, Bun). */
function builtinFs<T>(id: "node:fs" | "node:fs/promises"): T | undefined {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return process?.getBuiltinModule?.(id) as T | undefined;
}

/** Compiles whatever init() was given. */
export async function compileSource(source: Source, readFile: FileReader | undefined): Promise<WebAssembly.Module> {
  // Response last: on Node 20 the first touch of the global Response loads fetch's
  // implementation (~40 ms), which init() of a file: URL or of bytes never needs.
  if (source instanceof WebAssembly.Module) return source;
  if (typeof source === "string" || source instanceof URL) {
    const url = resolve(source);
    if (url.protocol === "file:") {
      const read = readFile ?? builtinFs<{ readFile: FileReader }>("node:fs/promises")?.readFile;
      if (!read) {
        throw new Error(
          `softmax-wasm: cannot read ${url.href} here (no node:fs): use the "node" condition, or init(bytes)`,
        );
      }
      return WebAssembly.compile(await read(url));
    }
    return compileResponse(await fetch(url));
  }
  if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer) return WebAssembly.compile(source as BufferSource);
  if (isThenable(source)) return compileResponse(await source);
  if (isResponse(source)) return compileResponse(source);
  throw new TypeError(`init source must be a WebAssembly.Module, BufferSource, URL, string or Response (got ${describe(source)})`);
}

const SUFFIX: Record<WasmBuild, string> = { "relaxed-simd": "-relaxed", simd: "", scalar: "-scalar" };

/** The URL a core source was given as, if any: families' modules are looked for beside it. */
function urlOf(source: Source | undefined): URL | undefined {
  if (typeof source === "string" || source instanceof URL) return resolve(source);
  if (isResponse(source) && source.url) return new URL(source.url);
  return undefined;
}

/**
 * Where a family's module of a build is: the source given for it, else the bundled one (beside
 * the package's files), else, where the package cannot locate its files (import.meta.url is
 * empty in a bundle that is not an ES module), the file of the same name beside the core's URL.
 */
function familySource(request: Request, family: FamilyDefinition, build: WasmBuild): Source {
  const given = request.sources[family.name];
  if (given !== undefined) return given;
  let source: Source | undefined;
  try {
    source = family.locate(build);
  } catch (error) {
    const core = urlOf(request.source);
    if (!core) throw error;
    return new URL(`${family.name}${SUFFIX[build]}.wasm`, core);
  }
  if (source === undefined) {
    throw new Error(`softmax-wasm: no ${build} build of ${family.name} here: pass { sources: { ${family.name}: module } }`);
  }
  return source;
}

/** init(): compiles and instantiates the modules a request names, then warms f32 softmax up. */
export async function load(entry: Entry, request: Request): Promise<CoreKernels> {
  if (request.build === "js") return jsKernels(request);
  const asked = request.build === undefined ? undefined : checkedBuild(request.build);
  const memory = newMemory();
  const core = await WebAssembly.instantiate(await compileSource(request.source ?? entry.locate(asked ?? bestBuild()), entry.readFile), imports(memory));
  // A given core module decides the build of the families' bundled modules.
  const build = asked ?? buildOf(core.exports, "the core module");
  const parts = await Promise.all(
    request.families.map(async (family) => {
      const module = await compileSource(familySource(request, family, build), entry.readFile);
      const instance = await WebAssembly.instantiate(module, imports(memory));
      return [family, instance.exports] as const;
    }),
  );
  const kernels = assemble(memory, core.exports, parts);
  await warmUp(kernels);
  return kernels;
}

/** The module of a synchronous source (a compiled Module, bytes, a file: URL where files can be read), else undefined. */
function moduleOf(source: unknown): WebAssembly.Module | undefined {
  if (source instanceof WebAssembly.Module) return source;
  if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer) return new WebAssembly.Module(source as BufferSource);
  if (source instanceof URL && source.protocol === "file:") {
    const fs = builtinFs<{ readFileSync: (url: URL) => Uint8Array<ArrayBuffer> }>("node:fs");
    return fs ? new WebAssembly.Module(fs.readFileSync(source)) : undefined;
  }
  return undefined;
}

/** initSync(): the same with synchronous compiles; bundled family modules are read where the runtime can read files. */
export function loadSync(entry: Entry, request: Request): CoreKernels {
  if (request.build === "js") return jsKernels(request);
  const memory = newMemory();
  const coreModule = moduleOf(request.source);
  if (!coreModule) throw new TypeError(`initSync source must be a WebAssembly.Module or BufferSource (got ${describe(request.source)})`);
  const core = new WebAssembly.Instance(coreModule, imports(memory));
  const build = buildOf(core.exports, "the core module");
  if (request.build !== undefined && request.build !== build) {
    throw new TypeError(`initSync: the core module is the ${build} build, not ${JSON.stringify(request.build)}`);
  }
  const parts: (readonly [FamilyDefinition, KernelExports])[] = [];
  const stubs: object[] = [];
  for (const family of request.families) {
    const given = request.sources[family.name];
    const stub = given === undefined && entry.families.includes(family) ? entry.stub : undefined;
    let module: WebAssembly.Module | undefined;
    if (given !== undefined) {
      module = moduleOf(given);
      if (!module) throw new TypeError(`initSync sources.${family.name} must be a WebAssembly.Module or BufferSource (got ${describe(given)})`);
    } else {
      let source: Source | undefined;
      try {
        source = familySource(request, family, build);
      } catch (error) {
        if (!stub) throw error;
      }
      module = source === undefined ? undefined : moduleOf(source);
    }
    if (module) parts.push([family, new WebAssembly.Instance(module, imports(memory)).exports]);
    else if (stub) stubs.push(stub(family, build));
    else throw new Error(`softmax-wasm: initSync cannot load the ${family.name} module here: pass { sources: { ${family.name}: module } }, or await init()`);
  }
  const kernels = assemble(memory, core.exports, parts);
  for (const stub of stubs) Object.assign(kernels, stub);
  return kernels;
}

/**
 * The init() of an entry. With a source or a build, a new instance each call; without, the
 * best bundled build the runtime validates, loaded once per set of families and shared by
 * every later call.
 */
export function initializer(entry: Entry): (a?: unknown, b?: unknown) => Promise<CoreKernels> {
  const shared = new Map<string, Promise<CoreKernels>>();
  return (a, b) => {
    let request: Request;
    try {
      request = requestOf(entry, a, b, "init");
    } catch (error) {
      return Promise.reject(error);
    }
    if (request.source !== undefined || request.build !== undefined || Object.keys(request.sources).length > 0) return load(entry, request);
    const key = request.families.map((f) => f.name).sort().join(",");
    let kernels = shared.get(key);
    if (!kernels) {
      // Inside the promise, so that a failure to locate rejects instead of throwing.
      kernels = Promise.resolve()
        .then(() => load(entry, request))
        .catch((error: unknown) => {
          shared.delete(key); // a failed load may be retried
          throw error;
        });
      shared.set(key, kernels);
    }
    return kernels;
  };
}

/** The initSync() of an entry. */
export function synchronousInitializer(entry: Entry): (a?: unknown, b?: unknown) => CoreKernels {
  return (a, b) => loadSync(entry, requestOf(entry, a, b, "initSync"));
}
