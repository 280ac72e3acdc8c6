// Run by test/core/half-node24.test.ts under Node 24, which has Float16Array, Math.f16round
// and DataView.prototype.getFloat16/setFloat16: the wasm conversions of every build
// (build/opt/half-test*.wasm) and the host's (dist/core/half.js) against the engine's own, over
// all 65,536 halves and f32s around each of them; and f16 WasmArrays viewed as Float16Array.
// Prints one JSON line: { checked, failures: [...] }.
import { instantiate } from "../../bench/exp-ulp.js";
import { f32ToHalfBits, halfBitsToNumber } from "../../dist/core/half.js";
import { initSync, js } from "../../dist/index.js";
import { readFileSync } from "node:fs";

const failures = [];
let checked = 0;
const fail = (what) => failures.length < 20 && failures.push(what);

if (typeof Float16Array !== "function" || typeof Math.f16round !== "function" || typeof DataView.prototype.getFloat16 !== "function") {
  fail(`this runtime (${process.version}) lacks Float16Array, Math.f16round or DataView.getFloat16`);
}

const ALL = 65536;
const dv = new DataView(new ArrayBuffer(4));
/** The engine's value of half h. */
const engineHalf = (h) => {
  dv.setUint16(0, h, true);
  return dv.getFloat16(0, true);
};
/** The engine's bits of x rounded to a half. */
const engineBits = (x) => {
  dv.setFloat16(0, x, true);
  return dv.getUint16(0, true);
};
const same = (a, b) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

// f32 inputs: every half, the midpoints between neighbours, and one f32 ulp either side.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const inputs = [];
for (let h = 0; h < 0x7c00; h++) {
  const mid = (engineHalf(h) + engineHalf(h + 1)) / 2;
  f32[0] = mid;
  for (const b of [u32[0] - 1, u32[0], u32[0] + 1, u32[0] | 0x80000000]) inputs.push(b >>> 0);
  f32[0] = engineHalf(h);
  inputs.push(u32[0]);
}
const inputBits = Uint32Array.from(inputs);
const inputValues = new Float32Array(inputBits.buffer);

for (const file of ["half-test-relaxed.wasm", "half-test.wasm", "half-test-scalar.wasm"]) {
  const k = instantiate(file, 8 * inputBits.length);
  const e = k.e;
  const halves = new Uint16Array(e.memory.buffer, k.x, ALL);
  for (let h = 0; h < ALL; h++) halves[h] = h;
  e.widen(k.x, k.y, ALL);
  const wide = new Float32Array(e.memory.buffer, k.y, ALL);
  for (let h = 0; h < ALL; h++, checked++) {
    if (!same(wide[h], engineHalf(h))) fail(`${file} widen 0x${h.toString(16)}: ${wide[h]} vs getFloat16 ${engineHalf(h)}`);
  }
  new Uint32Array(e.memory.buffer, k.x, inputBits.length).set(inputBits);
  e.narrow(k.x, k.y, inputBits.length);
  const narrow = new Uint16Array(e.memory.buffer, k.y, inputBits.length);
  for (let i = 0; i < inputBits.length; i++, checked++) {
    const want = engineBits(inputValues[i]);
    const got = narrow[i];
    const nan = Number.isNaN(inputValues[i]);
    if (nan ? (got & 0x7e00) !== 0x7e00 : got !== want) fail(`${file} narrow f32 0x${inputBits[i].toString(16)}: 0x${got.toString(16)} vs setFloat16 0x${want.toString(16)}`);
    if (!nan && !same(Math.f16round(inputValues[i]), engineHalf(got))) fail(`${file} narrow f32 0x${inputBits[i].toString(16)} vs Math.f16round`);
  }
}

for (let h = 0; h < ALL; h++, checked++) {
  if (!same(halfBitsToNumber(h), engineHalf(h))) fail(`host halfBitsToNumber 0x${h.toString(16)}`);
}
for (let i = 0; i < inputValues.length; i++, checked++) {
  if (Number.isNaN(inputValues[i])) continue;
  if (f32ToHalfBits(inputValues[i]) !== engineBits(inputValues[i])) fail(`host f32ToHalfBits 0x${inputBits[i].toString(16)}`);
}

// alloc(n, "f16") gives a Float16Array view on every backend here.
const bytes = readFileSync(new URL("../../dist/softmax.wasm", import.meta.url));
for (const sm of [initSync(bytes), js]) {
  const a = sm.alloc(5, "f16");
  checked++;
  if (!(a.array instanceof Float16Array)) fail(`${sm.backend} alloc(5, "f16").array is ${a.array?.constructor?.name}`);
  a.array.set([1, 2.5, -0, 65504, 1e-7]);
  const want = Float16Array.from([1, 2.5, -0, 65504, 1e-7]);
  for (let i = 0; i < 5; i++) if (!same(a.array[i], want[i])) fail(`${sm.backend} f16 WasmArray element ${i}`);
  a.free();
}

// The js backend's attend reads Float16Array caches in place (no widened copy): the same bits
// as on the f32 widening of the same cache, past length and with masks too.
{
  let s = 7;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 4 - 2;
  const heads = 4, kvHeads = 2, dim = 12, capacity = 37;
  const q = Float32Array.from({ length: 3 * heads * dim }, next);
  const k = Float16Array.from({ length: capacity * kvHeads * dim }, next);
  const v = Float16Array.from({ length: capacity * kvHeads * dim }, next);
  for (const opts of [{}, { length: 29, causal: true }, { length: 33, window: 5, softcap: 3, sinks: [0, 1, -1, 2] }, { range: [4, 30] }]) {
    const o = { heads, kvHeads, dim, lse: true, ...opts };
    const a = js.attend(q, k, v, o);
    const b = js.attend(q, Float32Array.from(k), Float32Array.from(v), o);
    checked++;
    for (const part of ["out", "lse"]) {
      for (let i = 0; i < a[part].length; i++) if (!same(a[part][i], b[part][i])) fail(`js attend f16 in place ${JSON.stringify(opts)} ${part}[${i}]: ${a[part][i]} vs ${b[part][i]}`);
    }
  }
}

console.log(JSON.stringify({ node: process.version, checked, failures }));
