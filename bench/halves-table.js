// The f16 / f32 ratios of bench/halves.js runs saved with --out, one column per run and size:
// the table of docs/core.md's "Half precision", printed as Markdown. A ratio above the
// contract's 1.15 is in bold (at 32,000 elements, in cache, the contract's bound; at 2^22, beyond
// the caches, rows bound by memory should be below 1, and compute-bound ones stay near their
// in-cache ratio).
//
//   node bench/halves-table.js [halves-node24 halves-deno ...]   (default: every bench/results/halves-*.json)
import { readdirSync, readFileSync } from "node:fs";

const dir = new URL("results/", import.meta.url);
const names = process.argv.length > 2 ? process.argv.slice(2) : readdirSync(dir).filter((f) => /^halves-.*\.json$/.test(f)).map((f) => f.slice(0, -5));
const runs = names.map((name) => ({ name, ...JSON.parse(readFileSync(new URL(`${name}.json`, dir), "utf8")) }));

/** A line's size, function and ratio of this checkout's build ("now"). */
function parse(line) {
  const m = /^\s*(\d+) (.+?)\s+now f32 [\d.]+ us, f16 [\d.]+ us: ([\d.]+)x/.exec(line);
  return m ? { size: Number(m[1]), fn: m[2], ratio: Number(m[3]) } : undefined;
}

const IN_CACHE = 32000;
const cells = new Map(); // fn -> Map(column -> ratio)
const columns = [];
for (const run of runs) {
  // "Node 24.9.0", or a page's { name, version }.
  const runtime = typeof run.runtime === "string" ? run.runtime : `${run.runtime.name === "firefox" ? "Firefox" : "Chromium"} ${run.runtime.version}`;
  const label = runtime.replace(/^(\w+) (\d+(?:\.\d+)?).*$/, "$1 $2");
  for (const line of run.lines) {
    const r = parse(line);
    if (!r) continue;
    const column = `${label}, ${r.size === IN_CACHE ? "32,000" : r.size === 2 ** 22 ? "2^22" : r.size}`;
    if (!columns.includes(column)) columns.push(column);
    if (!cells.has(r.fn)) cells.set(r.fn, new Map());
    cells.get(r.fn).set(column, { ratio: r.ratio });
  }
}
const mark = ({ ratio }) => (ratio > 1.15 ? `**${ratio.toFixed(2)}**` : ratio.toFixed(2));
console.log(`| f16 / f32 | ${columns.join(" | ")} |`);
console.log(`|---|${columns.map(() => "---:").join("|")}|`);
for (const [fn, row] of cells) console.log(`| ${fn} | ${columns.map((c) => (row.has(c) ? mark(row.get(c)) : "")).join(" | ")} |`);
