// Run by test/sparse/half-node24.test.ts under Node 24, which has Float16Array: sparsemax and
// entmax of Float16Array logits (copied into the scratch block as halves) on every backend,
// into a new Float32Array, a Float16Array out, and in place, against the same calls on the
// logits widened to a Float32Array: the f32 results bit for bit, the f16 ones that result
// rounded to nearest even by the engine's own Float16Array. Prints one JSON line:
// { node, checked, failures: [...] }.
import { backends } from "../support/node24-backends.mjs";

const failures = [];
let checked = 0;
const fail = (what) => failures.length < 20 && failures.push(what);

/** Bits of an f32 array, NaN as one pattern. */
const bitsOf = (a) => Array.from(new Uint32Array(Float32Array.from(a).buffer), (b) => ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) ? 0x7fc00000 : b));
const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

// Rows of a few thousand halves: normal values, masks (-Infinity), a NaN row, a +Infinity row.
let s = 7;
const random = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
const k = 4160;
const rows = 4;
const values = Float16Array.from({ length: k * rows }, (_, i) => (i % 11 === 3 ? -Infinity : (random() - 0.5) * 12));
values[2 * k + 17] = NaN;
values[3 * k + 5] = Infinity;
for (const [name, sm] of backends) {
  for (const alpha of [2, 1.5, 1.3, 3.5]) {
    for (const beta of [1, -0.5]) {
      const opts = { rowLength: k, beta, ...(alpha === 2 ? {} : { alpha }) };
      const f = (x, o) => (alpha === 2 ? sm.sparsemax(x, { ...opts, ...o }) : sm.entmax(x, { ...opts, ...o }));
      const want = f(Float32Array.from(values));
      const got = f(values.slice());
      checked++;
      if (!(got instanceof Float32Array) || !same(bitsOf(got), bitsOf(want))) fail(`${name} alpha ${alpha} beta ${beta}: Float16Array in, Float32Array out differs`);
      const rounded = Float16Array.from(want);
      const out = new Float16Array(values.length);
      checked++;
      if (f(values.slice(), { out }) !== out || !same(bitsOf(out), bitsOf(rounded))) fail(`${name} alpha ${alpha} beta ${beta}: Float16Array out differs`);
      const inPlace = values.slice();
      checked++;
      if (f(inPlace, { out: inPlace }) !== inPlace || !same(bitsOf(inPlace), bitsOf(rounded))) fail(`${name} alpha ${alpha} beta ${beta}: in place differs`);
      // A row of the batch as a Float16Array view at an offset (its own bytes only are read).
      const view = values.slice().subarray(k, 2 * k);
      const one = alpha === 2 ? sm.sparsemax(Float32Array.from(view), { beta }) : sm.entmax(Float32Array.from(view), { beta, alpha });
      checked++;
      if (!same(bitsOf(alpha === 2 ? sm.sparsemax(view, { beta }) : sm.entmax(view, { beta, alpha })), bitsOf(one))) fail(`${name} alpha ${alpha} beta ${beta}: subarray differs`);
    }
  }
}
console.log(JSON.stringify({ node: process.version, checked, failures }));
