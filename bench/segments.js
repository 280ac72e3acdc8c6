// The one-thread cost of attention's key segments (docs/attention.md, "Long ranges"): decode
// attention (1 query, heads 32, dim 128) through copies of dist/ that differ only in
// SEGMENT_KEYS (Infinity: one kernel call over the whole range), timed side by side in
// interleaved rounds (harness.js) in one process; prints each time relative to one call.
//
// f16 caches need Float16Array (Node 24, Deno, Bun, browsers).
//
//   node bench/segments.js [--rounds n] [--length 32768] [--kv 8,1] [--storage f32,f16] [--sizes 4096,8192,16384]
import "./relaxed-flag.js";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { logits, timeCases } from "./harness.js";

const { values: args } = parseArgs({
  options: { rounds: { type: "string" }, length: { type: "string" }, kv: { type: "string" }, storage: { type: "string" }, sizes: { type: "string" } },
});
const rounds = Number(args.rounds ?? 21);
const length = Number(args.length ?? 32768);
const kvs = (args.kv ?? "8,1").split(",").map(Number);
const storages = (args.storage ?? "f32,f16").split(",");
const sizes = ["Infinity", ...(args.sizes ?? "4096,8192,16384").split(",")];

const dist = fileURLToPath(new URL("../dist", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "segments-"));
const sms = [];
for (const size of sizes) {
  const copy = join(dir, size);
  cpSync(dist, copy, { recursive: true });
  const file = join(copy, "attention", "segments.js");
  writeFileSync(file, readFileSync(file, "utf8").replace(/SEGMENT_KEYS = \d+;/, `SEGMENT_KEYS = ${size};`));
  sms.push([size === "Infinity" ? "one call" : `segments of ${size}`, await (await import(join(copy, "node.js"))).init()]);
}

const HEADS = 32;
const DIM = 128;
const q = logits(HEADS * DIM, "f32", 7).map((v) => v / 8);
console.log(`attention key segments, one thread: ${process.versions.node ? `Node ${process.versions.node}` : ""}, decode at ${length} keys, ${rounds} interleaved rounds, median time relative to one call (best round)`);
for (const kvHeads of kvs) {
  for (const storage of storages) {
    const data = logits(length * kvHeads * DIM, "f32", 11).map((v) => v / 8);
    const cases = sms.map(([name, sm]) => {
      const keys = sm.alloc(data.length, storage);
      const values = sm.alloc(data.length, storage);
      keys.array.set(storage === "f16" ? data.map(Math.f16round) : data);
      values.array.set(storage === "f16" ? data.map(Math.f16round) : data);
      const out = sm.alloc(HEADS * DIM);
      return { name, fn: () => sm.attend(q, keys, values, { heads: HEADS, kvHeads, dim: DIM, out }) };
    });
    const timed = await timeCases(cases, { rounds, runMs: 60, warmMs: 150 });
    const cells = timed.map((t) => `${t.name} ${(t.ns / timed[0].ns).toFixed(3)}x (${(t.min / timed[0].min).toFixed(3)}x)`);
    console.log(`${HEADS}/${kvHeads} ${storage}: one call ${(timed[0].ns / 1e6).toFixed(2)} ms; ${cells.slice(1).join(", ")}`);
  }
}
rmSync(dir, { recursive: true, force: true });
