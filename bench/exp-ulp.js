// Measures the error of the kernels' exp (assembly/shared/exp.ts, built as the test module
// build/opt/exp-test*.wasm by scripts/build.mjs) in ulps, against Math.exp
// evaluated in f64 (exact to well under 1e-3 f32 ulp; for f64 results it is itself within
// 1 ulp, so the f64 figure is "vs Math.exp").
//
//   node bench/exp-ulp.js          every f32 in [-87.33, 0], every 16th in (0, 88.72], f64 on
//                                  a 2^24-point sweep; relaxed and SIMD builds (~4 minutes)
//   node bench/exp-ulp.js --all    also the scalar build (bit-identical to SIMD, tested)
//   node bench/exp-ulp.js --quick  every 97th f32, 2^20 f64 points, all builds
//
// The test suite imports measureExp() with a coarse stride and checks the bound.
import "./relaxed-flag.js";
import { readFileSync } from "node:fs";

const F32_BELOW_NORMAL = -87.33654022216797; // results under 2^-126 are flushed to 0 by design
const F64_BELOW_NORMAL = -708.3964185322641;
const CHUNK = 1 << 20;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u32of64 = new Uint32Array(f64.buffer);
const pow2 = (e) => 2 ** e;

/** The unit in the last place of the f32 nearest to r (r > 0). */
function ulp32(r) {
  f32[0] = r;
  return pow2(((u32[0] >>> 23) & 0xff) - 150);
}

/** The unit in the last place of the f64 r (r > 0, normal). */
function ulp64(r) {
  f64[0] = r;
  return pow2(((u32of64[1] >>> 20) & 0x7ff) - 1075);
}

/**
 * The test module build/opt/<file> (or a module's own bytes) over a memory of its own (the
 * modules import theirs), with `bytes` free from x: x and y = x + bytes/2, 16-byte aligned.
 */
export function instantiate(file, bytes = CHUNK * 16) {
  const code = typeof file === "string" ? readFileSync(new URL(`../build/opt/${file}`, import.meta.url)) : file;
  const module = new WebAssembly.Module(code);
  const memory = new WebAssembly.Memory({ initial: 1 });
  const e = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const base = Math.ceil(e.heapBase() / 16) * 16;
  const need = base + bytes;
  if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
  return { e: { ...e, memory }, x: base, y: base + bytes / 2 };
}

/** Max ulp error of f32 exp over every `stride`-th f32 between the bit patterns lo and hi. */
function sweepF32(k, loBits, hiBits, stride) {
  const xs = new Float32Array(k.e.memory.buffer, k.x, CHUNK);
  const ys = new Float32Array(k.e.memory.buffer, k.y, CHUNK);
  const bits = new Uint32Array(xs.buffer, k.x, CHUNK);
  let worst = 0;
  let at = 0;
  let count = 0;
  for (let b = loBits; b <= hiBits; ) {
    let n = 0;
    for (; n < CHUNK && b <= hiBits; n++, b += stride) bits[n] = b >>> 0;
    k.e.f32_exp(k.x, k.y, n);
    for (let i = 0; i < n; i++) {
      const x = xs[i];
      if (x < F32_BELOW_NORMAL) continue;
      const r = Math.exp(x);
      const err = Math.abs(ys[i] - r) / ulp32(r);
      if (err > worst || !(err === err)) {
        worst = err;
        at = x;
      }
    }
    count += n;
  }
  return { maxUlp: worst, at, count };
}

/** Max ulp error of f64 exp over `points` evenly spaced x in [lo, hi]. */
function sweepF64(k, lo, hi, points) {
  const xs = new Float64Array(k.e.memory.buffer, k.x, CHUNK);
  const ys = new Float64Array(k.e.memory.buffer, k.y, CHUNK);
  let worst = 0;
  let at = 0;
  for (let start = 0; start < points; start += CHUNK) {
    const n = Math.min(CHUNK, points - start);
    for (let i = 0; i < n; i++) xs[i] = lo + ((hi - lo) * (start + i)) / (points - 1);
    k.e.f64_exp(k.x, k.y, n);
    for (let i = 0; i < n; i++) {
      const x = xs[i];
      if (x < F64_BELOW_NORMAL) continue;
      const r = Math.exp(x);
      if (r === Infinity) continue;
      const err = Math.abs(ys[i] - r) / ulp64(r);
      if (err > worst || !(err === err)) {
        worst = err;
        at = x;
      }
    }
  }
  return { maxUlp: worst, at, count: points };
}

/** Error figures of one build (file in build/opt/). */
export function measureExp(file, { f32Stride = 1, f32PositiveStride = f32Stride, f64Points = 1 << 24 } = {}) {
  const k = instantiate(file);
  f32[0] = F32_BELOW_NORMAL;
  const cutoffBits = u32[0];
  f32[0] = 88.72283172607422; // ln(FLT_MAX)
  const overflowBits = u32[0];
  return {
    f32Negative: sweepF32(k, 0x80000000, cutoffBits, f32Stride),
    f32Positive: sweepF32(k, 0, overflowBits, f32PositiveStride),
    f64Negative: sweepF64(k, F64_BELOW_NORMAL, 0, f64Points),
    f64Positive: sweepF64(k, 0, 709.78, f64Points >> 2),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes("--quick");
  const files = ["exp-test-relaxed.wasm", "exp-test.wasm"];
  if (quick || process.argv.includes("--all")) files.push("exp-test-scalar.wasm");
  const options = quick ? { f32Stride: 97, f64Points: 1 << 20 } : { f32Stride: 1, f32PositiveStride: 16 };
  for (const file of files) {
    const started = performance.now();
    console.log(`${file}: sweeping ${quick ? "every 97th f32" : "every f32 <= 0, every 16th > 0"}...`);
    const r = measureExp(file, options);
    for (const [name, v] of Object.entries(r)) {
      console.log(`  ${name.padEnd(12)} max ${v.maxUlp.toFixed(3)} ulp at x = ${v.at} over ${v.count} inputs`);
    }
    console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
}
