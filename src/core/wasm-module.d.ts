// A .wasm import gives a compiled module where the bundler is told so (wrangler's CompiledWasm rule).
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
