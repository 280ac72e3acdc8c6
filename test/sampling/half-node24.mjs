// Run by test/sampling/half-node24.test.ts under Node 24, whose Float16Array lets the wasm
// backends read f16 rows in their kernels (the runner's Node 20 has none: there every f16 row
// is widened per row first, which test/sampling/half.test.ts covers). fast-check properties:
// every sampling function on f16 logits (a Float16Array, an f16 WasmArray) gives exactly what
// it gives on the same values widened to a Float32Array, on every backend: argmax, topK's
// indices and values, tokens drawn (seeded) through every filter of the chain with penalties
// and masks, distribution's probabilities bit for bit, the sampler's tokens. Rows are long
// enough for the kernels' vector loops, block walks and candidate buffers (up to 5,000), with
// ties, subnormals, ±0, ±Infinity and NaN. Prints one JSON line: { node, checked, failures }.
import fc from "fast-check";
import { backends } from "../support/node24-backends.mjs";

const failures = [];
let checked = 0;
/** Comparisons whose f32 call returned (not threw): the properties must not pass on errors alone. */
let returned = 0;
const fail = (what) => failures.length < 20 && failures.push(what);
if (typeof Float16Array !== "function") fail(`this runtime (${process.version}) has no Float16Array`);


/** The value of the half with bits h. */
const halfValue = (h) => {
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  const v = e === 31 ? (m === 0 ? Infinity : NaN) : e === 0 ? m * 2 ** -24 : (1024 + m) * 2 ** (e - 25);
  return h & 0x8000 ? -v : v;
};

// Halves: many ties (a narrow range), any finite one, the specials; a NaN now and then.
const finite = fc.oneof(
  { arbitrary: fc.integer({ min: 0x3c00, max: 0x3c0f }).chain((h) => fc.constantFrom(h, h | 0x8000)), weight: 6 },
  { arbitrary: fc.integer({ min: 0x4000, max: 0x4a00 }).chain((h) => fc.constantFrom(h, h | 0x8000)), weight: 3 },
  { arbitrary: fc.integer({ min: 0, max: 0x7bff }).chain((h) => fc.constantFrom(h, h | 0x8000)), weight: 1 },
  { arbitrary: fc.constantFrom(0xfc00, 0x7c00, 0x0001, 0x8001, 0x8000, 0x0000, 0x7bff, 0xfbff), weight: 1 },
);
const rowBits = fc.record({
  length: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 70 }), weight: 3 }, { arbitrary: fc.integer({ min: 71, max: 5000 }), weight: 2 }),
  rows: fc.constantFrom(1, 1, 2, 3),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  pool: fc.array(finite, { minLength: 1, maxLength: 64 }),
  nan: fc.constantFrom(false, false, false, true),
  // -Infinity in the last row only: each row's own argmax must decide its widening.
  lastMasked: fc.constantFrom(false, false, true),
});

/** The bits of a batch: values drawn from a small pool (ties) or all over, a NaN if asked. */
function bitsOf({ length, rows, seed, pool, nan, lastMasked }) {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const n = length * rows;
  const bits = new Array(n);
  for (let i = 0; i < n; i++) bits[i] = pool[Math.floor(next() * pool.length)];
  if (nan) bits[Math.floor(next() * n)] = 0x7e00 | (next() < 0.5 ? 0x8000 : 0);
  if (lastMasked) {
    for (let i = 0; i < n; i++) if ((bits[i] & 0x7c00) === 0x7c00) bits[i] = 0x3c00;
    bits[n - 1 - Math.floor(next() * length)] = 0xfc00;
  }
  return bits;
}

/** The same values three ways: f32 (the reference call), a Float16Array, an f16 WasmArray of sm. */
function inputs(sm, bits) {
  const values = bits.map(halfValue);
  const half = Float16Array.from(values);
  const wasm = sm.alloc(values.length, "f16");
  wasm.array.set(half);
  return { f32: Float32Array.from(values), half, wasm };
}

/** Result (or error class) of f as a string, arrays compared by their elements' bits. */
function outcome(f) {
  try {
    const r = f();
    const plain = (v) => (ArrayBuffer.isView(v) ? `${v.constructor.name}[${Array.from(v, (a) => (Object.is(a, -0) ? "-0" : String(a))).join(",")}]` : JSON.stringify(v));
    return r && typeof r === "object" && !ArrayBuffer.isView(r) ? Object.entries(r).map(([k, v]) => `${k}:${plain(v)}`).join(" ") : plain(r);
  } catch (e) {
    return `throws ${e.constructor.name}`;
  }
}

function same(label, f, x) {
  const want = outcome(() => f(x.f32));
  if (!want.startsWith("throws")) returned++;
  for (const form of ["half", "wasm"]) {
    const got = outcome(() => f(x[form]));
    checked++;
    if (got !== want) fail(`${label} (${form}): ${got.slice(0, 200)} vs f32 ${want.slice(0, 200)}`);
  }
}

const chainArb = fc.record({
  // 1e4: beta = 1e-4 keeps exp(beta*(x - c)) of -Infinity read as -65536 far from 0, so that a
  // row with -Infinity taken for finite (the weight passes' cheaper widening) shows.
  temperature: fc.constantFrom(0, 1, 1, 0.7, 3, 1e-3, 1e4),
  topK: fc.constantFrom(0, 0, 1, 2, 50),
  topP: fc.constantFrom(1, 1, 0.95, 0.5, 0.1),
  minP: fc.constantFrom(0, 0, 0.05, 0.3),
  minKeep: fc.constantFrom(1, 1, 3),
  penalties: fc.boolean(),
  masked: fc.constantFrom(false, false, true),
});

for (const [name, sm] of backends) {
  fc.assert(
    fc.property(rowBits, chainArb, fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 60 }), (row, c, seed, kTop) => {
      const bits = bitsOf(row);
      const x = inputs(sm, bits);
      const k = row.length;
      const rowLength = row.rows > 1 ? k : undefined;
      const label = `${name} k ${k} x ${row.rows} ${JSON.stringify(c)} seed ${seed}`;
      same(`${label} argmax`, (a) => sm.argmax(a, { rowLength }), x);
      same(`${label} topK ${Math.min(kTop, k)}`, (a) => sm.topK(a, Math.min(kTop, k), { rowLength }), x);
      const opts = { temperature: c.temperature, topK: c.topK, topP: c.topP, minP: c.minP, minKeep: c.minKeep, rowLength };
      if (c.penalties) Object.assign(opts, { history: [0, k - 1, 0, k >> 1], repetitionPenalty: 1.3, frequencyPenalty: 0.2, presencePenalty: 0.1 });
      if (c.masked) {
        const words = new Uint32Array(Math.ceil(k / 32));
        let s = seed;
        for (let w = 0; w < words.length; w++) words[w] = s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        opts.allowed = words;
      }
      same(`${label} sample`, (a) => sm.sample(a, { ...opts, seed }), x);
      same(`${label} distribution`, (a) => sm.distribution(a, opts), x);
      if (row.rows === 1) {
        const { rowLength: _r, history, allowed, ...one } = opts;
        same(`${label} sampler`, (a) => {
          const s = sm.sampler({ ...one, seed });
          if (history) s.accept(history);
          return [s.sample(a, { allowed }), s.sample(a, { allowed }), s.accept([0]).sample(a, { allowed })];
        }, x);
      }
      x.wasm.free();
    }),
    { seed: 24, numRuns: Number(process.env.FUZZ_RUNS ?? 120) },
  );
}

// Rows mostly -Infinity at a temperature of 1e5 (beta 1e-5): a masked token read as -65536, as
// the cheaper widening of finite rows would read it, would weigh exp(-0.66) and be drawn
// often. Batches of two rows, the finite one first, so each row's own argmax must decide.
for (const [name, sm] of backends) {
  for (const k of [40, 100, 3000]) {
    const finiteRow = Array.from({ length: k }, (_, i) => 0x3c00 + (i % 13));
    const maskedRow = Array.from({ length: k }, (_, i) => (i % 17 === 5 ? 0x3c00 + (i % 7) : 0xfc00));
    const x = inputs(sm, [...finiteRow, ...maskedRow]);
    for (const chain of [{}, { topP: 0.99 }, { minP: 0.01 }, { topK: 30 }]) {
      for (let seed = 0; seed < 20; seed++) {
        same(`${name} masked rows k ${k} ${JSON.stringify(chain)} seed ${seed}`, (a) => sm.sample(a, { temperature: 1e5, rowLength: k, seed, ...chain }), x);
      }
    }
    x.wasm.free();
  }
}

console.log(JSON.stringify({ node: process.version, checked, returned, failures }));
