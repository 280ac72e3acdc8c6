// Checks every peer contender against a float64 softmax computed here: the gate is the
// max absolute error; the max relative error is printed for information.
// Usage: node bench/peers/check.js   (exits 1 if a contender is off or fails to load)

import { loadPeers } from "./contenders.js";

const TOLERANCE = { f32: 1e-5, f64: 1e-12 };

// name, total length, row length, offset added to every value (80 would overflow an
// f32 exp(x) that skipped the max subtraction)
const CASES = [
  ["1x16", 16, 16, 0],
  ["1x1000", 1000, 1000, 0],
  ["1x32000", 32000, 32000, 0],
  ["4x128", 512, 128, 0],
  ["4x128+80", 512, 128, 80],
];

/** Deterministic values in [-8, 8) + offset (xorshift32), so a failure can be replayed. */
function input(length, offset, seed) {
  let s = seed >>> 0 || 1;
  return Float64Array.from({ length }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32) * 16 - 8 + offset;
  });
}

function referenceSoftmax(x, rowLength) {
  const out = new Float64Array(x.length);
  for (let start = 0; start < x.length; start += rowLength) {
    const row = x.subarray(start, start + rowLength);
    const max = Math.max(...row);
    let sum = 0;
    for (let i = 0; i < rowLength; i++) sum += out[start + i] = Math.exp(row[i] - max);
    for (let i = 0; i < rowLength; i++) out[start + i] /= sum;
  }
  return out;
}

const messages = [];
const peers = await loadPeers({ log: (message) => messages.push(message) });
for (const message of messages) console.log(`# ${message}`);

let failed = messages.filter((m) => m.includes("unavailable")).length;
for (const peer of peers) {
  for (const dtype of peer.dtypes) {
    const Typed = dtype === "f32" ? Float32Array : Float64Array;
    let worst = 0;
    let worstRelative = 0;
    const detail = [];
    try {
      for (const [label, length, rowLength, offset] of CASES) {
        const x = Typed.from(input(length, offset, length + rowLength + offset));
        const expected = referenceSoftmax(Float64Array.from(x), rowLength);
        const { fns } = await peer.setup({ op: "softmax", dtype, rows: length / rowLength, rowLength, n: length }, [x]);
        const got = await fns[0]();
        if (got.length !== x.length) throw new Error(`${label}: ${got.length} values for ${x.length}`);
        let error = 0;
        for (let i = 0; i < x.length; i++) {
          const difference = Math.abs(got[i] - expected[i]);
          error = Math.max(error, difference);
          worstRelative = Math.max(worstRelative, difference / expected[i]);
        }
        if (!(error <= TOLERANCE[dtype])) detail.push(`${label} off by ${error}`);
        worst = Math.max(worst, Number.isNaN(error) ? Infinity : error);
      }
    } catch (error) {
      detail.push(`error: ${error.message}`);
    }
    const ok = detail.length === 0;
    if (!ok) failed++;
    const verdict = ok ? "ok" : `FAIL (${detail.join("; ")})`;
    console.log(
      `${peer.name.padEnd(16)} ${String(peer.version).padEnd(8)} ${dtype}  max abs error ${worst.toExponential(2)}  (relative ${worstRelative.toExponential(2)})  ${verdict}`,
    );
  }
  await peer.dispose?.();
}
console.log(failed === 0 ? "all peers ok" : `${failed} peer check(s) failed`);
process.exitCode = failed === 0 ? 0 : 1;
