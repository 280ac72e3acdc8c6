// The shipped benchmark (softmax-wasm/bench, the bin's `bench`), in process: the table's
// shape and arithmetic, the check of every contender's output before timing, option errors.
// The timings themselves are not asserted (no timed unit tests); test/package/runtimes.test.ts runs
// the bin from the installed tarball in Node, Deno and Bun and benchmark() in Chromium.
import { afterEach, describe, expect, it, vi } from "vitest";
import { benchmark, formatTable } from "../../dist/bench/node.js";
import { type Kernels, js } from "../../dist/node.js";
import { backends } from "../support/backends.js";
import { expectTable } from "../support/bench-table.js";

describe("benchmark()", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("times every contender at every size with the kernels given, and formats the table", async () => {
    const [, relaxed] = backends[0] as [string, Kernels];
    const progress: string[] = [];
    const table = await benchmark({ kernels: relaxed, sizes: [5, 300], rounds: 3, runMs: 2, onProgress: (l) => progress.push(l) });
    expect(table.backend).toBe("wasm-relaxed-simd");
    expect(table.rounds).toBe(3);
    expect(table.runtime).toMatch(/^Node \d+\.\d+\.\d+ \(V8 /);
    expectTable(table, [5, 300]);
    expect(progress).toHaveLength(2);
    const text = formatTable(table).split("\n");
    expect(text[0]).toMatch(/^softmax-wasm bench: f32 softmax of one row, median of 3 interleaved rounds/);
    expect(text[1]).toBe(`runtime: ${table.runtime}; wasm build: wasm-relaxed-simd`);
    expect(text[3]).toMatch(/^size\s+contender\s+ns\/element\s+vs js\s+vs naive$/);
    expect(text.slice(4)).toHaveLength(8);
    expect(text[4]).toMatch(/^5\s+wasm zero-copy\s+\d/);
  });

  it("without kernels, uses init()'s shared instance", async () => {
    const table = await benchmark({ sizes: [8], rounds: 1, runMs: 1 });
    expect(["wasm-relaxed-simd", "wasm-simd"]).toContain(table.backend);
  });

  it("every time is positive under a browser's 0.1 ms clock with stalls (a busy machine), as seen in Chromium", async () => {
    const now = performance.now.bind(performance);
    let readings = 0;
    let stalled = 0;
    vi.spyOn(performance, "now").mockImplementation(() => {
      if (++readings % 37 === 0) stalled += 30; // every 37th reading comes 30 ms late
      return Math.floor((now() + stalled) / 0.1) * 0.1;
    });
    const table = await benchmark({ kernels: js, sizes: [4, 64], rounds: 5, runMs: 1 });
    expectTable(table, [4, 64]);
  });

  it("says so where the clock does not advance (Workers freeze it during a request)", async () => {
    vi.spyOn(performance, "now").mockReturnValue(1000);
    await expect(benchmark({ kernels: js, sizes: [4], rounds: 1, runMs: 1 })).rejects.toThrow(/the clock does not advance here/);
  });

  it("refuses to time kernels whose output is wrong", async () => {
    // The softmax of js, one element off by 1e-5 relative: 5x the f32 bound.
    const softmax = ((x: Float32Array, opts: object) => {
      const y = js.softmax(x, opts);
      ("array" in y ? y.array : y)[2] *= 1 + 1e-5;
      return y;
    }) as Kernels["softmax"];
    await expect(benchmark({ kernels: { ...js, softmax }, sizes: [4], rounds: 1, runMs: 1 })).rejects.toThrow(
      /wasm zero-copy gave [\d.e-]+ at 2 of 4, the float64 reference [\d.e-]+$/,
    );
  });

  it.each([
    [{ sizes: [0] }, /sizes\[0\] must be an integer from 1 to 268435456 \(got 0\)/],
    [{ sizes: [1.5] }, /sizes\[0\] must be an integer/],
    [{ sizes: [] }, /sizes must hold at least one size/],
    [{ rounds: 0 }, /rounds must be an integer from 1 to 1000 \(got 0\)/],
    [{ runMs: -1 }, /runMs must be > 0/],
  ])("option errors: %o", async (options, message) => {
    await expect(benchmark({ kernels: js, ...options })).rejects.toThrow(RangeError);
    await expect(benchmark({ kernels: js, ...options })).rejects.toThrow(message);
  });
});
