// `npm start`: a short benchmark in the terminal. softmax and LogSumExp of one f32 row at a
// few sizes, relaxed-SIMD, SIMD and scalar wasm vs the JS baseline, in this process, interleaved.
// ns/element is the median over rounds; speed-up is relative to the JS baseline.
// The full suite with peers is `npm run bench`.
import "./relaxed-flag.js";
import os from "node:os";
import { initSync, js } from "../dist/index.js";
import { readFileSync } from "node:fs";
import { logits, maxDifference, timeCases } from "./harness.js";

const SIZES = [16, 1024, 32_000, 1 << 20];
const build = (file) => initSync(readFileSync(new URL(`../dist/${file}`, import.meta.url)));
const backends = [
  ["wasm-relaxed-simd", build("softmax-relaxed.wasm")],
  ["wasm-simd", build("softmax.wasm")],
  ["wasm", build("softmax-scalar.wasm")],
];

console.log(`softmax-wasm quick benchmark: node ${process.version}, ${os.cpus()[0]?.model ?? "unknown CPU"}, f32, one row`);
console.log("(median of interleaved rounds; zero-copy = WasmArray in and out, copy = Float32Array in, out given)\n");

const rows = [];
for (const op of ["softmax", "logSumExp"]) {
  for (const n of SIZES) {
    const x = logits(n);
    const out = new Float32Array(n);
    const expected = op === "softmax" ? js.softmax(x) : [js.logSumExp(x)];
    const cases = [{ name: "js", fn: op === "softmax" ? () => js.softmax(x, { out }) : () => js.logSumExp(x) }];
    for (const [name, sm] of backends) {
      const a = sm.alloc(n);
      const b = sm.alloc(n);
      a.array.set(x);
      cases.push(
        { name: `${name} zero-copy`, fn: op === "softmax" ? () => sm.softmax(a, { out: b }) : () => sm.logSumExp(a) },
        { name: `${name} copy`, fn: op === "softmax" ? () => sm.softmax(x, { out }) : () => sm.logSumExp(x) },
      );
    }
    // Each case must compute the right thing before its speed means anything.
    for (const c of cases) {
      const got = c.fn();
      const values = typeof got === "number" ? [got] : (got.array ?? got);
      const diff = maxDifference(values, expected);
      if (!(diff <= (op === "softmax" ? 1e-6 : 1e-5))) throw new Error(`${c.name} ${op} n=${n} is off by ${diff}`);
    }
    process.stdout.write(`${op} n=${n}: timing ${cases.length} cases...`);
    const results = timeCases(cases, {
      rounds: 7,
      runMs: 15,
      warmMs: 60,
      onRound: (done, total) => process.stdout.write(done < total ? "." : " done\n"),
    });
    const base = results.find((r) => r.name === "js").ns;
    for (const r of results) rows.push({ op, n, name: r.name, perElement: r.ns / n, speedup: base / r.ns });
  }
}

console.log(`\n${"op".padEnd(10)} ${"n".padStart(8)}  ${"contender".padEnd(20)} ${"ns/element".padStart(10)} ${"vs js".padStart(7)}`);
for (const r of rows) {
  console.log(
    `${r.op.padEnd(10)} ${String(r.n).padStart(8)}  ${r.name.padEnd(20)} ${r.perElement.toFixed(3).padStart(10)} ${`${r.speedup.toFixed(1)}x`.padStart(7)}`,
  );
}
