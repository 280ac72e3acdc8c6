// Finding and compiling the binary in each runtime. Node, Deno and Bun read file: URLs from
// disk; browsers and bundlers fetch; Workers pass the module they imported (src/workerd.ts).

/** Sources init() accepts. */
export type Source = WebAssembly.Module | BufferSource | URL | string | Response | PromiseLike<Response>;

/** A module that uses one SIMD instruction (i32x4.splat): validates only where SIMD runs. */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x11, 0x0b, // code: i32.const 0; i32x4.splat; end
]);

/** Three i32x4.splat of 0, then f32x4.relaxed_madd: validates only where relaxed SIMD runs. */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x13, 0x01, 0x11, 0x00, // code section, one body of 17 bytes, no locals
  0x41, 0x00, 0xfd, 0x11, 0x41, 0x00, 0xfd, 0x11, 0x41, 0x00, 0xfd, 0x11, // 3 x (i32.const 0; i32x4.splat)
  0xfd, 0x85, 0x02, 0x0b, // f32x4.relaxed_madd; end
]);

function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/** True where the runtime validates WebAssembly SIMD (no compile, so no CSP trouble). */
export function hasSimd(): boolean {
  return validates(SIMD_PROBE);
}

/** True where the runtime validates relaxed SIMD (fused multiply-add among others). */
export function hasRelaxedSimd(): boolean {
  return validates(RELAXED_SIMD_PROBE);
}

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
  if (!response.ok) throw new Error(`softmax-wasm: fetching ${response.url} failed with status ${response.status}`);
  // Streaming compilation needs the application/wasm type, which some servers omit.
  if (typeof WebAssembly.compileStreaming === "function" && response.headers.get("content-type")?.startsWith("application/wasm")) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/** Reads a file: URL with the node:fs module that Node, Deno and Bun provide. */
async function readFileUrl(url: URL): Promise<Uint8Array> {
  const specifier = "node:fs/promises"; // a variable, so bundlers for the web leave it alone
  const fs = (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as {
    readFile(path: URL): Promise<Uint8Array>;
  };
  return fs.readFile(url);
}

/** Compiles whatever init() was given. */
export async function compileSource(source: Source): Promise<WebAssembly.Module> {
  // Response last: on Node 20 the first touch of the global Response loads fetch's
  // implementation (~40 ms), which init() of a file: URL or of bytes never needs.
  if (source instanceof WebAssembly.Module) return source;
  if (typeof source === "string" || source instanceof URL) {
    const url = new URL(source, typeof location === "undefined" ? undefined : location.href);
    if (url.protocol === "file:") return WebAssembly.compile((await readFileUrl(url)) as Uint8Array<ArrayBuffer>);
    return compileResponse(await fetch(url));
  }
  if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer) return WebAssembly.compile(source);
  if (isThenable(source)) return compileResponse(await source);
  if (isResponse(source)) return compileResponse(source);
  throw new TypeError(`init source must be a WebAssembly.Module, BufferSource, URL, string or Response (got ${typeof source})`);
}
