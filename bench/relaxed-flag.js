// Node 20 runs relaxed SIMD only behind a V8 flag (on by default from Node 22, where the flag
// no longer exists): the benchmark scripts switch it on before anything is compiled.
import v8 from "node:v8";

if (Number(process.versions.node.split(".")[0]) < 22) v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
