// Where the benchmark gets softmax-wasm from: a build directory (dist/ of this checkout, or
// another one for a before/after comparison, --compare) and one of its builds. Every
// contender, the first calls after init() and the browser page load kernels through
// kernelsFor, so a change of the package's init API is adapted here once.

/** The bundled builds, best first, as in init(): the backend name each reports, and its file in the one-module API. */
export const BUILDS = [
  { backend: "wasm-relaxed-simd", build: "relaxed-simd", file: "softmax-relaxed.wasm" },
  { backend: "wasm-simd", build: "simd", file: "softmax.wasm" },
  { backend: "wasm", build: "scalar", file: "softmax-scalar.wasm" },
];

/** This checkout's dist/. */
export const DIST = new URL("../dist/", import.meta.url);

/** A file's bytes: read from disk (Node, Deno, Bun), else fetched (browsers); undefined if missing. */
async function readBytes(url) {
  if (url.protocol === "file:") {
    const { existsSync, readFileSync } = await import("node:fs");
    return existsSync(url) ? new Uint8Array(readFileSync(url)) : undefined;
  }
  const response = await fetch(url);
  return response.ok ? new Uint8Array(await response.arrayBuffer()) : undefined;
}

/**
 * The API of a build directory: "builds" when init takes { build } (a dist/ with one module
 * per family: dist/core/ or dist/sampling-relaxed.wasm), else "bytes" (one module with every
 * family: initSync/init take that build's bytes).
 */
async function apiOf(distDir) {
  if (distDir.protocol === "file:") {
    const { existsSync } = await import("node:fs");
    return existsSync(new URL("core/", distDir)) || existsSync(new URL("sampling-relaxed.wasm", distDir)) ? "builds" : "bytes";
  }
  return (await fetch(new URL("sampling-relaxed.wasm", distDir), { method: "HEAD" })).ok ? "builds" : "bytes";
}

/**
 * A function that loads the Kernels of one build ("relaxed-simd", "simd", "scalar"; "js": the
 * pure JS backend) of the package in `distDir` (a URL of a dist/ folder ending in /): the
 * package is imported and the build's file read first, so that calling it times init() alone.
 * Throws when the build does not load in this runtime (e.g. relaxed SIMD where the engine lacks it).
 */
export async function initializerFor(distDir, build) {
  // The package's entry for this runtime: node.js (Node, Deno, Bun) reads a build from disk
  // where index.js (browsers) fetches it, which Node 20 cannot do for file: URLs.
  const api = await import(new URL(globalThis.document ? "index.js" : "node.js", distDir).href);
  if (build === "js") return async () => api.js;
  if ((await apiOf(distDir)) === "builds") return () => api.init({ build });
  const { file } = BUILDS.find((b) => b.build === build);
  const bytes = await readBytes(new URL(file, distDir));
  if (!bytes) throw new Error(`${file} is missing in ${distDir.href}`);
  if (!WebAssembly.validate(bytes)) throw new Error(`${file} does not validate in this runtime`);
  return () => api.init(bytes);
}

/** The Kernels of one build of the package in `distDir` (see initializerFor). */
export async function kernelsFor(distDir, build) {
  return (await initializerFor(distDir, build))();
}

/** The package version of a build directory (its ../package.json), or "-". */
export async function versionOf(distDir) {
  const bytes = await readBytes(new URL("../package.json", distDir));
  return bytes ? JSON.parse(new TextDecoder().decode(bytes)).version : "-";
}
