// The backends every API test runs against: the relaxed-SIMD, SIMD and scalar builds, and js.
import { readFileSync } from "node:fs";
import { type Kernels, initSync, js } from "../../dist/index.js";

export const relaxedBytes = readFileSync(new URL("../../dist/softmax-relaxed.wasm", import.meta.url));
export const simdBytes = readFileSync(new URL("../../dist/softmax.wasm", import.meta.url));
export const scalarBytes = readFileSync(new URL("../../dist/softmax-scalar.wasm", import.meta.url));

// The relaxed build is always in: vitest.config.ts gives Node 20 the flag it needs.
export const backends: [string, Kernels][] = [
  ["wasm-relaxed-simd", initSync(relaxedBytes)],
  ["wasm-simd", initSync(simdBytes)],
  ["wasm", initSync(scalarBytes)],
  ["js", js],
];
