// "softmax-wasm/bench" for Node, Deno and Bun: the benchmark with the node entry's init().

import { type BenchmarkOptions, type BenchmarkTable, runBenchmark } from "./core.js";
import { init, js } from "../node.js";

export type { BenchmarkOptions, BenchmarkRow, BenchmarkTable, Contender } from "./core.js";
export { formatTable } from "./core.js";

/**
 * Times f32 softmax of one row (wasm zero-copy, wasm copying, the js baseline, a naive loop)
 * at each size, outputs checked against a float64 reference first; a few seconds.
 */
export function benchmark(options: BenchmarkOptions = {}): Promise<BenchmarkTable> {
  return runBenchmark(options, init, js);
}
