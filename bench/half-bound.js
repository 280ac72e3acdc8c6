// How close an f16 row's one-pass exp loop can come to the f32 row's: the target of docs/core.md
// ("Half precision": f16 at most 1.15x f32 in cache) against what WebAssembly allows. One loop
// (build/opt/half-bench*.wasm, assembly/shared/half-bench.ts: four f32x4 accumulators, the
// kernels' exp) over one row of 32,000 logits in f32 and in f16, timed side by side in
// interleaved rounds (harness.js) in one process:
//   f32 loop                 the loop over the f32 row (the yardstick)
//   halves folded in loop    each 4 halves widened inside the loop (3 operations, no float arithmetic)
//   halves F16C in loop      each 4 halves widened by the Wasm FP16 proposal's
//                            f32x4.promote_low_f16x8, where the engine has it: the module's
//                            marker operation swapped for it with binaryen (Node: the script
//                            turns on V8's --experimental-wasm-fp16; Deno: pass
//                            --v8-flags=--experimental-wasm-fp16; JavaScriptCore has none)
//   widen pass + f32 loop    the halves widened into an f32 row by a pass, then the f32 loop
//                            (the kernels' way: a block widened, then the f32 loop over it)
// and, for reference, the package's own logSumExp of the same row as f32 and as f16 WasmArrays.
// Each loop's sum is checked against a float64 reference first.
//
//   node bench/half-bound.js [--rounds 9] [--sizes 32000] [--quantile 0.1] [--build simd]
import "./relaxed-flag.js";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { instantiate } from "./exp-ulp.js";
import { logits, timeCases } from "./harness.js";

const { values: args } = parseArgs({
  options: { rounds: { type: "string" }, sizes: { type: "string" }, quantile: { type: "string" }, build: { type: "string" } },
});
const rounds = Number(args.rounds ?? 9);
const sizes = (args.sizes ?? "32000").split(",").map(Number);
const quantile = Number(args.quantile ?? 0.5);
const build = args.build ?? "relaxed";
if (!(rounds >= 1) || sizes.some((n) => !(n >= 16 && n % 16 === 0))) throw new Error("--rounds takes a positive number, --sizes multiples of 16");
if (!(quantile >= 0 && quantile <= 1)) throw new Error(`--quantile takes a number in [0, 1] (got ${args.quantile})`);
if (build !== "relaxed" && build !== "simd") throw new Error(`--build: relaxed or simd (got ${build})`);
if (typeof Math.f16round !== "function") throw new Error("bench/half-bound.js needs Float16Array (Node 24, Deno, Bun)");

const isNode = !globalThis.Deno && !globalThis.Bun;
if (isNode) (await import("node:v8")).default.setFlagsFromString("--experimental-wasm-fp16");
const runtime = globalThis.Bun ? `Bun ${Bun.version}` : globalThis.Deno ? `Deno ${Deno.version.deno}` : `Node ${process.versions.node}`;

const file = new URL(`../build/opt/half-bench${build === "relaxed" ? "-relaxed" : ""}.wasm`, import.meta.url);
let bytes;
try {
  bytes = readFileSync(file);
} catch {
  throw new Error(`${file.pathname} is missing: npm run build makes it`);
}

/** The module with its marker operation (4 uses, all in marked_expsum) swapped for f32x4.promote_low_f16x8, or why not. */
async function withF16C() {
  const binaryen = (await import("binaryen")).default;
  const module = binaryen.readBinary(bytes);
  const text = module.emitText();
  module.dispose();
  const marker = /i32x4\.extend_low_i16x8_u/g;
  const uses = text.match(marker)?.length ?? 0;
  if (uses !== 4) throw new Error(`half-bench's marker operation appears ${uses} times, not 4: see assembly/shared/half-bench.ts`);
  const patched = binaryen.parseText(text.replace(marker, "f32x4.promote_low_f16x8"));
  patched.setFeatures(binaryen.Features.All);
  const out = patched.emitBinary();
  patched.dispose();
  if (!WebAssembly.validate(out)) return { why: "this engine has no Wasm FP16 (V8: --experimental-wasm-fp16)" };
  return { out };
}

/** An instance of the module bytes over a memory of its own: an f32 row, a row of halves and an f32 work row of n each. */
function rowsOf(moduleBytes, n) {
  const { e, x } = instantiate(moduleBytes, 12 * n);
  return { e, memory: e.memory, x32: x, x16: x + 4 * n, work: x + 8 * n };
}

const f16c = await withF16C().catch((error) => ({ why: String(error?.message ?? error).split("\n")[0] }));
const pkg = await (await import(new URL("../dist/node.js", import.meta.url))).init();
const FOLD = 2 ** 112;
console.log(`One-pass exp loop over halves against f32: ${runtime}, half-bench${build === "relaxed" ? "-relaxed" : ""}.wasm, ${rounds} interleaved rounds, ${quantile} quantile, ns per call`);
if (f16c.why) console.log(`  halves F16C in loop: unavailable (${f16c.why})`);
for (const n of sizes) {
  const values = Float32Array.from(logits(n), Math.f16round);
  const k = rowsOf(bytes, n);
  new Float32Array(k.memory.buffer, k.x32, n).set(values);
  new Float16Array(k.memory.buffer, k.x16, n).set(values);
  const top = values.reduce((m, v) => Math.max(m, v), -Infinity);
  const reference = values.reduce((s, v) => s + Math.exp(v - top), 0);
  const cases = [
    { name: "f32 loop", fn: () => k.e.f32_expsum(k.x32, n, top, 1) },
    { name: "halves folded in loop", fn: () => k.e.folded_expsum(k.x16, n, top / FOLD, FOLD) },
    {
      name: "widen pass + f32 loop",
      fn: () => {
        k.e.folded_widen(k.x16, k.work, n);
        return k.e.f32_expsum(k.work, n, top / FOLD, FOLD);
      },
    },
  ];
  if (f16c.out) {
    const native = rowsOf(f16c.out, n);
    new Float16Array(native.memory.buffer, native.x16, n).set(values);
    cases.push({ name: "halves F16C in loop", fn: () => native.e.marked_expsum(native.x16, n, top, 1) });
  }
  for (const { name, fn } of cases) {
    const got = fn();
    if (!(Math.abs(got - reference) <= 1e-5 * reference)) throw new Error(`${name}: sum ${got}, float64 reference ${reference}`);
  }
  const a32 = pkg.alloc(n, "f32");
  const a16 = pkg.alloc(n, "f16");
  a32.array.set(values);
  a16.array.set(values);
  cases.push({ name: "package logSumExp f32", fn: () => pkg.logSumExp(a32) }, { name: "package logSumExp f16", fn: () => pkg.logSumExp(a16) });
  const timed = await timeCases(cases, { rounds, quantile });
  const ns = Object.fromEntries(timed.map((t) => [t.name, t.ns]));
  const line = (name, base) => console.log(`  ${String(n).padStart(7)} ${name.padEnd(24)} ${(ns[name] / 1000).toFixed(2).padStart(7)} us: ${(ns[name] / ns[base]).toFixed(2)}x`);
  for (const t of timed) line(t.name, t.name.startsWith("package") ? "package logSumExp f32" : "f32 loop");
  a32.free();
  a16.free();
}
