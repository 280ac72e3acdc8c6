// The benchmark users run where they work (`npx softmax-wasm bench`, or benchmark() from
// "softmax-wasm/bench" in a page or a Worker): f32 softmax of one row through the wasm
// kernels with zero-copy WasmArrays and with typed arrays (copied in and out), the `js`
// baseline and a naive loop, side by side in one process. Outputs are checked against a
// float64 reference before anything is timed; then each size is timed in interleaved rounds
// (one run of every contender per round, so a burst of load elsewhere hits all alike) and
// the median is reported. Not part of the main entry: it is its own export.

import type { Backend } from "../core/types.js";
import type { Kernels } from "../types.js";

/** Options of benchmark(); all optional. */
export interface BenchmarkOptions {
  /** Row lengths to time; default [16, 1024, 32768, 1048576]. */
  sizes?: readonly number[] | undefined;
  /** The wasm kernels to time; default the shared instance of init(). */
  kernels?: Kernels | undefined;
  /** Interleaved rounds per size, the median is reported; default 7. */
  rounds?: number | undefined;
  /** Milliseconds per timed run of one contender; default 20. */
  runMs?: number | undefined;
  /** Called with a line of progress as the benchmark goes. */
  onProgress?: ((line: string) => void) | undefined;
}

/** The contenders, in table order. */
export type Contender = "wasm zero-copy" | "wasm copying" | "js baseline" | "naive loop";

/** One contender at one size. */
export interface BenchmarkRow {
  /** Row length (elements). */
  size: number;
  contender: Contender;
  /** Median time per element, ns. */
  nsPerElement: number;
  /** Median time per call, ns. */
  nsPerCall: number;
  /** The naive loop's time over this one's: how many times faster than the naive loop. */
  speedupVsNaive: number;
  /** The js baseline's time over this one's. */
  speedupVsJs: number;
}

/** What benchmark() returns: the table and where it was measured. */
export interface BenchmarkTable {
  /** The runtime, as it names itself (user agent, or Node/Deno/Bun and version). */
  runtime: string;
  /** The wasm build that ran: what init() picked here, or the kernels given. */
  backend: Backend;
  rounds: number;
  rows: BenchmarkRow[];
}

export const CONTENDERS: readonly Contender[] = ["wasm zero-copy", "wasm copying", "js baseline", "naive loop"];
const DEFAULT_SIZES = [16, 1024, 32768, 1048576];
/** wasm32 memory holds 4 GiB: two f32 rows of 2^28 elements fit with room to spare. */
const MAX_SIZE = 2 ** 28;

/** The textbook softmax a user would write: max, exp and sum, divide; float64 arithmetic. */
function naiveSoftmax(x: Float32Array, y: Float32Array): void {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const e = Math.exp(x[i] - max);
    y[i] = e;
    sum += e;
  }
  for (let i = 0; i < x.length; i++) y[i] /= sum;
}

/** Deterministic logits in [-8, 8) (xorshift32), exact in f32. */
function logits(length: number): Float32Array {
  const x = new Float32Array(length);
  let s = 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    x[i] = ((s >>> 0) / 2 ** 32) * 16 - 8;
  }
  return x;
}

/** Throws unless y is the softmax of x within the promised f32 bound (docs/core.md, Accuracy) (2e-6·r + 1e-9), checked in float64. */
function check(name: string, x: Float32Array, y: Float32Array): void {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) max = Math.max(max, x[i]);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i] - max);
  for (let i = 0; i < x.length; i++) {
    const r = Math.exp(x[i] - max) / sum;
    if (!(Math.abs(y[i] - r) <= 2e-6 * r + 1e-9)) {
      throw new Error(`softmax-wasm bench: ${name} gave ${y[i]} at ${i} of ${x.length}, the float64 reference ${r}`);
    }
  }
}

/** A run of `count` calls; each contender is a function literal of its own, so its call site stays monomorphic. */
type Run = (count: number) => void;

interface Prepared {
  runs: Run[];
  dispose(): void;
}

function prepare(sm: Kernels, js: Kernels, size: number): Prepared {
  const x = logits(size);
  const xw = sm.alloc(size);
  const yw = sm.alloc(size);
  xw.array.set(x);
  const y = [new Float32Array(size), new Float32Array(size), new Float32Array(size)];
  const zeroCopy = { out: yw };
  const copying = { out: y[0] };
  const baseline = { out: y[1] };
  const runs: Run[] = [
    (count) => {
      for (let i = 0; i < count; i++) sm.softmax(xw, zeroCopy);
    },
    (count) => {
      for (let i = 0; i < count; i++) sm.softmax(x, copying);
    },
    (count) => {
      for (let i = 0; i < count; i++) js.softmax(x, baseline);
    },
    (count) => {
      for (let i = 0; i < count; i++) naiveSoftmax(x, y[2]);
    },
  ];
  for (const run of runs) run(1);
  const outputs = [yw.array, y[0], y[1], y[2]];
  CONTENDERS.forEach((name, i) => check(name, x, outputs[i]));
  return {
    runs,
    dispose() {
      xw.free();
      yw.free();
    },
  };
}

function frozenClock(): Error {
  return new Error("softmax-wasm bench: the clock does not advance here (Cloudflare Workers stop it during a request), so nothing can be timed");
}

/**
 * Nanoseconds per call: runs of `count` calls until at least `minMs` have passed, so that a
 * count estimated too low (a stall while calibrating) still spans many ticks of a coarse
 * clock (browsers give 0.1 ms without cross-origin isolation).
 */
function time(run: Run, count: number, minMs: number): number {
  const start = performance.now();
  let calls = 0;
  let elapsed = 0;
  do {
    run(count);
    calls += count;
    elapsed = performance.now() - start;
    if (elapsed === 0 && calls >= 2 ** 20) throw frozenClock();
  } while (elapsed < minMs);
  return (elapsed * 1e6) / calls;
}

/** Warms a run up for about warmMs (tier-up), then returns the count of calls that last about runMs at the fastest rate seen. */
function calibrate(run: Run, warmMs: number, runMs: number): number {
  let spent = 0;
  let fastest = Infinity;
  for (let count = 1; spent < warmMs * 1e6; count *= 2) {
    const ns = time(run, count, 0);
    spent += ns * count;
    if (ns > 0) fastest = Math.min(fastest, ns);
    else if (count >= 2 ** 20) throw frozenClock();
  }
  return Math.max(1, Math.round((runMs * 1e6) / fastest));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Where this runs, as the runtime names itself. */
export function runtimeName(): string {
  const g = globalThis as {
    Deno?: { version?: { deno?: string; v8?: string } };
    Bun?: { version?: string };
    process?: { versions?: { node?: string; v8?: string } };
    navigator?: { userAgent?: string };
  };
  if (g.Deno?.version?.deno) return `Deno ${g.Deno.version.deno} (V8 ${g.Deno.version.v8 ?? "?"})`;
  if (g.Bun?.version) return `Bun ${g.Bun.version} (JavaScriptCore)`;
  if (g.process?.versions?.node) return `Node ${g.process.versions.node} (V8 ${g.process.versions.v8 ?? "?"})`;
  return g.navigator?.userAgent ?? "unknown runtime";
}

function positiveInteger(name: string, v: unknown, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
    throw new RangeError(`${name} must be an integer from 1 to ${max} (got ${String(v)})`);
  }
  return v;
}

/** Runs the benchmark with `load` giving the default kernels (each entry passes its init). */
export async function runBenchmark(options: BenchmarkOptions, load: () => Promise<Kernels>, js: Kernels): Promise<BenchmarkTable> {
  const sizes = (options.sizes ?? DEFAULT_SIZES).map((s, i) => positiveInteger(`sizes[${i}]`, s, MAX_SIZE));
  if (sizes.length === 0) throw new RangeError("sizes must hold at least one size (got none)");
  const rounds = positiveInteger("rounds", options.rounds ?? 7, 1000);
  const runMs = options.runMs ?? 20;
  if (!(runMs > 0 && runMs <= 10_000)) throw new RangeError(`runMs must be > 0 and at most 10000 (got ${runMs})`);
  const progress = options.onProgress ?? (() => {});
  const sm = options.kernels ?? (await load());
  const rows: BenchmarkRow[] = [];
  for (const size of sizes) {
    const prepared = prepare(sm, js, size);
    try {
      const counts = prepared.runs.map((run) => calibrate(run, Math.max(50, 2 * runMs), runMs));
      const samples: number[][] = CONTENDERS.map(() => []);
      for (let round = 0; round < rounds; round++) {
        prepared.runs.forEach((run, i) => samples[i].push(time(run, counts[i], runMs / 2)));
        // Yield between rounds, so a page stays responsive and progress shows.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      const ns = samples.map(median);
      const [naive, baseline] = [ns[3], ns[2]];
      CONTENDERS.forEach((contender, i) => {
        rows.push({ size, contender, nsPerElement: ns[i] / size, nsPerCall: ns[i], speedupVsNaive: naive / ns[i], speedupVsJs: baseline / ns[i] });
      });
      progress(`size ${size}: ${CONTENDERS.map((c, i) => `${c} ${(ns[i] / size).toPrecision(3)}`).join(", ")} ns/element`);
    } finally {
      prepared.dispose();
    }
  }
  return { runtime: runtimeName(), backend: sm.backend, rounds, rows };
}

/** The table as text: one line per contender and size, ns/element and the speed-ups. */
export function formatTable(table: BenchmarkTable): string {
  const header = ["size", "contender", "ns/element", "vs js", "vs naive"];
  const lines = table.rows.map((r) => [
    String(r.size),
    r.contender,
    r.nsPerElement.toPrecision(3),
    `${r.speedupVsJs.toPrecision(3)}x`,
    `${r.speedupVsNaive.toPrecision(3)}x`,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
  const format = (cells: string[]) => cells.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  return [
    `softmax-wasm bench: f32 softmax of one row, median of ${table.rounds} interleaved rounds (speed-up: the other's time over this one's)`,
    `runtime: ${table.runtime}; wasm build: ${table.backend}`,
    "",
    format(header),
    ...lines.map(format),
  ].join("\n");
}
