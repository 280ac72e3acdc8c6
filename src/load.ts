// Finding and compiling the binary. Each runtime gets its own entry by export condition, so a
// bundle holds only the loading code of its runtime: the default entry (browsers, bundlers)
// fetches; the node entry (Node, Deno, Bun) also reads file: URLs; Workers pass the module
// they imported (src/workerd.ts).

import { createKernels } from "./api.js";
import { hasRelaxedSimd, hasSimd } from "./features.js";
import type { Kernels, Source } from "./types.js";
import { describe } from "./validate.js";
import { WasmCore } from "./wasm.js";
import { warmUp } from "./warmup.js";

/** Reads a file: URL; only the node entry has one. */
export type FileReader = (url: URL) => Promise<Uint8Array<ArrayBuffer>>;

/** URL of the best bundled build this runtime can run: relaxed SIMD, else SIMD, else scalar. */
export function defaultUrl(): URL {
  // Empty in bundles that are not ES modules (esbuild's iife/cjs) and in Workers bundles. The
  // new URL(..., import.meta.url) below stay literal: Vite finds the binaries by that pattern.
  if (!import.meta.url) {
    throw new Error(
      "softmax-wasm: import.meta.url is empty here (a bundle that is not an ES module, or a Worker bundled without the \"workerd\" condition), so init() cannot locate the binary: pass it, e.g. init(new URL(\"softmax.wasm\", location.href)) or, in Workers, init(wasmModule)",
    );
  }
  if (hasRelaxedSimd()) return new URL("./softmax-relaxed.wasm", import.meta.url);
  if (hasSimd()) return new URL("./softmax.wasm", import.meta.url);
  return new URL("./softmax-scalar.wasm", import.meta.url);
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
        ? ": init() without a source fetches the softmax-*.wasm files beside the script that imports the package; copy node_modules/softmax-wasm/dist/*.wasm there, or pass where they are served, init(url)"
        : "";
    throw new Error(`softmax-wasm: fetching ${response.url} failed with status ${response.status}${hint}`);
  }
  // Streaming compilation needs the application/wasm type, which some servers omit.
  if (typeof WebAssembly.compileStreaming === "function" && response.headers.get("content-type")?.startsWith("application/wasm")) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/**
 * node:fs's readFile where the runtime hands it out without an import (process.getBuiltinModule:
 * Node >= 20.16, Deno, Bun), so the default entry reads files there too while a bundle of it
 * holds no import of node:fs, static or dynamic.
 */
function builtinReadFile(): FileReader | undefined {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = process?.getBuiltinModule?.("node:fs/promises") as { readFile: FileReader } | undefined;
  return fs && ((url) => fs.readFile(url));
}

/** Compiles whatever init() was given. */
export async function compileSource(source: Source, readFile: FileReader | undefined): Promise<WebAssembly.Module> {
  // Response last: on Node 20 the first touch of the global Response loads fetch's
  // implementation (~40 ms), which init() of a file: URL or of bytes never needs.
  if (source instanceof WebAssembly.Module) return source;
  if (typeof source === "string" || source instanceof URL) {
    const url = new URL(source, typeof location === "undefined" ? undefined : location.href);
    if (url.protocol === "file:") {
      readFile ??= builtinReadFile();
      if (!readFile) {
        throw new Error(
          `softmax-wasm: cannot read ${url.href}: this entry (export condition "browser" or default) imports no node:fs and the runtime offers no process.getBuiltinModule; Node, Deno and Bun resolve the entry that reads files ("node", "deno", "bun" conditions), or pass the bytes, init(bytes)`,
        );
      }
      return WebAssembly.compile(await readFile(url));
    }
    return compileResponse(await fetch(url));
  }
  if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer) return WebAssembly.compile(source as BufferSource);
  if (isThenable(source)) return compileResponse(await source);
  if (isResponse(source)) return compileResponse(source);
  throw new TypeError(`init source must be a WebAssembly.Module, BufferSource, URL, string or Response (got ${describe(source)})`);
}

async function instantiate(module: Promise<WebAssembly.Module>): Promise<Kernels> {
  const instance = await WebAssembly.instantiate(await module, {});
  const kernels = createKernels(new WasmCore(instance));
  await warmUp(kernels);
  return kernels;
}

/**
 * The init() of an entry. With a source, a new instance each call; without, the best bundled
 * build the runtime validates, loaded once and shared by every later call.
 */
export function initializer(readFile: FileReader | undefined): (source?: Source) => Promise<Kernels> {
  let shared: Promise<Kernels> | undefined;
  return (source) => {
    if (source !== undefined) return instantiate(compileSource(source, readFile));
    // defaultUrl() runs inside the promise, so that a failure rejects instead of throwing.
    shared ??= instantiate(Promise.resolve().then(() => compileSource(defaultUrl(), readFile))).catch((error: unknown) => {
      shared = undefined; // a failed load may be retried
      throw error;
    });
    return shared;
  };
}
