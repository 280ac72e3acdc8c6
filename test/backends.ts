// The three backends every API test runs against: the SIMD build, the scalar build and js.
import { readFileSync } from "node:fs";
import { type Kernels, initSync, js } from "../dist/index.js";

export const simdBytes = readFileSync(new URL("../dist/softmax.wasm", import.meta.url));
export const scalarBytes = readFileSync(new URL("../dist/softmax-scalar.wasm", import.meta.url));

export const backends: [string, Kernels][] = [
  ["wasm-simd", initSync(simdBytes)],
  ["wasm", initSync(scalarBytes)],
  ["js", js],
];
