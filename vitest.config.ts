import { defineConfig } from "vitest/config";

// Node 20 runs relaxed SIMD only behind a flag (on by default from Node 22); the relaxed
// build goes through the same suite as the others, so the workers get the flag.
const nodeMajor = Number(process.versions.node.split(".")[0]);

export default defineConfig({
  test: {
    execArgv: nodeMajor < 22 ? ["--experimental-wasm-relaxed-simd"] : [],
    testTimeout: 30_000,
  },
});
