// The four backends for the scripts run under Node 24 (test/support/node24.ts): the three wasm
// builds, instantiated from dist/ synchronously, and the js backend.
import { readFileSync } from "node:fs";
import { initSync, js } from "../../dist/index.js";

const dist = (file) => readFileSync(new URL(`../../dist/${file}`, import.meta.url));

/** [name, kernels] of every backend. */
export const backends = [
  ["wasm-relaxed-simd", initSync(dist("softmax-relaxed.wasm"))],
  ["wasm-simd", initSync(dist("softmax.wasm"))],
  ["wasm", initSync(dist("softmax-scalar.wasm"))],
  ["js", js],
];
