// sm.parallel's scaling: the same call on one thread (sm) and through sm.parallel({ workers })
// for 1, 2 and (where the machine has more cores) up to its logical cores, timed in
// interleaved rounds (harness.js) in one process. Workloads: softmax of 256 rows of 32,000
// f32, crossEntropy with its gradient on the same logits, and decode attention (1 query,
// heads 32, kvHeads 8 or 1 (multi-query: split by key segments alone), dim 128, f32) at
// 32,768 keys; operands in WasmArrays (sm.alloc for one
// thread, par.alloc for the threads: zero-copy), and softmax also from a plain Float32Array
// (the copies in and out run on the calling thread alone). Prints a table per workload:
// median and best ms per call and the speed-ups over one thread (the best rounds tell what an
// unloaded machine gives where other processes share the cores); writes
// bench/results/parallel.json.
//
//   node bench/parallel.js [--rounds n] [--workers 1,2,4] [--only text] [--out name]
// (--only: the workloads whose title contains the text)
import "./relaxed-flag.js";
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { parseArgs } from "node:util";
import { init } from "../dist/node.js";
import { logits, timeCases } from "./harness.js";

const { values: args } = parseArgs({ options: { rounds: { type: "string" }, workers: { type: "string" }, only: { type: "string" }, out: { type: "string" } } });
const rounds = Number(args.rounds ?? 11);
const cores = availableParallelism();
const counts = args.workers ? args.workers.split(",").map(Number) : [...new Set([1, 2, Math.min(cores, 4), cores])].filter((n) => n <= Math.max(2, cores));

const sm = await init();
const pars = [];
for (const workers of counts) pars.push(await sm.parallel({ workers }));

const ROWS = 256;
const K = 32000;
const x = logits(ROWS * K);
const target = Int32Array.from({ length: ROWS }, (_, r) => (r * 7919) % K);
const HEADS = 32;
const KV_HEADS = 8;
const DIM = 128;
const LENGTH = 32768;
const q = logits(HEADS * DIM, "f32", 7).map((v) => v / 8);
const cache = logits(LENGTH * KV_HEADS * DIM, "f32", 11).map((v) => v / 8);
const mqaCache = cache.subarray(0, LENGTH * DIM);

/** The operands of one Kernels (sm or a ParallelKernels) in its own memory. */
function operands(k) {
  const xs = k.alloc(ROWS * K);
  xs.array.set(x);
  const keys = k.alloc(cache.length);
  keys.array.set(cache);
  const values = k.alloc(cache.length);
  values.array.set(cache);
  const mqaKeys = k.alloc(mqaCache.length);
  mqaKeys.array.set(mqaCache);
  const mqaValues = k.alloc(mqaCache.length);
  mqaValues.array.set(mqaCache);
  const out = k.alloc(HEADS * DIM);
  return { xs, y: k.alloc(ROWS * K), grad: k.alloc(ROWS * K), keys, values, mqaKeys, mqaValues, out, typedOut: new Float32Array(ROWS * K) };
}

const kernels = [["one thread (sm)", sm, false], ...pars.map((p, i) => [`parallel, ${counts[i]} worker${counts[i] > 1 ? "s" : ""}`, p, true])];
const made = kernels.map(([name, k, isAsync]) => ({ name, k, isAsync, o: operands(k) }));

const workloads = [
  ["softmax 256 x 32,000 f32 (WasmArrays)", (k, o) => k.softmax(o.xs, { rowLength: K, out: o.y })],
  ["softmax 256 x 32,000 f32 (Float32Array in and out)", (k, o) => k.softmax(x, { rowLength: K, out: o.typedOut })],
  ["crossEntropy + grad 256 x 32,000 f32 (WasmArrays)", (k, o) => k.crossEntropy(o.xs, target, { rowLength: K, grad: o.grad })],
  ["decode attention, 32,768 keys, heads 32/8, dim 128, f32 (WasmArrays)", (k, o) => k.attend(q, o.keys, o.values, { heads: HEADS, kvHeads: KV_HEADS, dim: DIM, out: o.out })],
  ["decode attention, 32,768 keys, heads 32/1 (MQA), dim 128, f32 (WasmArrays)", (k, o) => k.attend(q, o.mqaKeys, o.mqaValues, { heads: HEADS, kvHeads: 1, dim: DIM, out: o.out })],
].filter(([title]) => args.only === undefined || title.includes(args.only));

const cpu = cpus()[0]?.model ?? "unknown CPU";
const runtime = globalThis.Bun ? `Bun ${globalThis.Bun.version}` : globalThis.Deno ? `Deno ${globalThis.Deno.version.deno}` : `Node ${process.versions.node}`;
console.log(`sm.parallel scaling: ${runtime}, ${sm.backend}, ${cores} logical cores (${cpu}), ${rounds} interleaved rounds, median ms per call`);
const results = [];
for (const [title, call] of workloads) {
  const cases = made.map(({ name, k, isAsync, o }) => ({ name, async: isAsync, fn: () => call(k, o), warmMs: 300 }));
  const timed = await timeCases(cases, { rounds, runMs: 150 });
  const one = timed[0].ns;
  const best = timed[0].min;
  console.log(`\n${title}\n| threads | ms per call, median | speed-up | ms per call, best round | speed-up |\n|---|---:|---:|---:|---:|`);
  for (const t of timed) {
    console.log(`| ${t.name} | ${(t.ns / 1e6).toFixed(2)} | ${(one / t.ns).toFixed(2)}x | ${(t.min / 1e6).toFixed(2)} | ${(best / t.min).toFixed(2)}x |`);
  }
  results.push({ workload: title, cases: timed.map((t) => ({ name: t.name, ms: t.ns / 1e6, speedup: one / t.ns, bestMs: t.min / 1e6, bestSpeedup: best / t.min })) });
}
for (const p of pars) await p.close();
const file = new URL(`./results/${args.out ?? "parallel"}.json`, import.meta.url);
writeFileSync(file, `${JSON.stringify({ runtime, backend: sm.backend, cores, cpu, rounds, results }, null, 2)}\n`);
console.log(`\nwrote ${file.pathname}`);
