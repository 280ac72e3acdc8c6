// softmax-wasm/bench as a user's strict project calls it.
import { type BenchmarkRow, type BenchmarkTable, benchmark, formatTable } from "softmax-wasm/bench";
import { js } from "softmax-wasm";

declare const maybeSizes: number[] | undefined;

const table: BenchmarkTable = await benchmark({ sizes: [1024, 32768], rounds: 3, kernels: js, onProgress: (line: string) => line.length });
await benchmark({ sizes: maybeSizes, runMs: undefined });
await benchmark();
export const text: string = formatTable(table);
export const first: BenchmarkRow | undefined = table.rows[0];
export const speedup: number | undefined = first?.speedupVsNaive;
// @ts-expect-error sizes are numbers
await benchmark({ sizes: ["1024"] });
// @ts-expect-error no such contender
export const contender: BenchmarkRow["contender"] = "wasm";
