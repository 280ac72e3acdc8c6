// "softmax-wasm/bench" for browsers, Web Workers and bundlers: the benchmark with the default
// entry's init(). Node, Deno and Bun resolve src/bench-node.ts instead.

import { type BenchmarkOptions, type BenchmarkTable, runBenchmark } from "./core.js";
import { init, js } from "../index.js";

export type { BenchmarkOptions, BenchmarkRow, BenchmarkTable, Contender } from "./core.js";
export { formatTable } from "./core.js";

/**
 * Times f32 softmax of one row (wasm zero-copy, wasm copying, the js baseline, a naive loop)
 * at each size, outputs checked against a float64 reference first; a few seconds.
 */
export function benchmark(options: BenchmarkOptions = {}): Promise<BenchmarkTable> {
  return runBenchmark(options, init, js);
}
