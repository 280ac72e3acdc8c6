// What every benchmark table must satisfy, wherever it was measured (in process, from the
// installed bin in Node, Deno and Bun, in a page and a Web Worker): every contender at every
// size in order, positive finite times, and speed-ups that are the ratios of those times.
import { expect } from "vitest";
import type { BenchmarkTable } from "../../dist/bench/node.js";

const CONTENDERS = ["wasm zero-copy", "wasm copying", "js baseline", "naive loop"];

/** The invariants of a table of these sizes: every contender at every size, ratios consistent. */
export function expectTable(table: BenchmarkTable, sizes: number[]): void {
  expect(table.rows.map((r) => [r.size, r.contender])).toEqual(sizes.flatMap((size) => CONTENDERS.map((c) => [size, c])));
  for (const size of sizes) {
    const at = (c: string) => table.rows.find((r) => r.size === size && r.contender === c) as BenchmarkTable["rows"][number];
    for (const row of table.rows.filter((r) => r.size === size)) {
      expect(row.nsPerCall).toBeGreaterThan(0);
      expect(Number.isFinite(row.nsPerCall)).toBe(true);
      expect(row.nsPerElement).toBeCloseTo(row.nsPerCall / size, 10);
      expect(row.speedupVsNaive).toBeCloseTo(at("naive loop").nsPerCall / row.nsPerCall, 10);
      expect(row.speedupVsJs).toBeCloseTo(at("js baseline").nsPerCall / row.nsPerCall, 10);
    }
    expect(at("naive loop").speedupVsNaive).toBe(1);
    expect(at("js baseline").speedupVsJs).toBe(1);
  }
}

