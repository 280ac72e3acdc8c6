// Speed on every input, in one table: for every function of the shapes family
// (bench/families/shapes.js), each shape of values' median time over the typical row's (timed
// in the same interleaved rounds), per build and runtime, with the figures above the contract's 1.3x flagged. bench/engines.js
// prints it after a run; run alone, it re-prints it from the results files:
//
//   node bench/shapes.js [runtime ...]     bench/results/<runtime>.json (default: every runtime that has one)
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SHAPES, shapeContender } from "./families/shapes.js";

const RESULTS = new URL("./results/", import.meta.url);
const RUNTIMES = ["node24", "node20", "deno", "bun", "chromium", "firefox"];
/** The contract: a shape of values costs at most this much the typical row. */
export const LIMIT = 1.3;

/** The table over the given runtimes' results files ([name, file]); returns its lines and the count of flagged figures. */
export function shapeTable(files) {
  const lines = [];
  const runtimes = [];
  /** "workload key contender" → { key, contender, ratios: { "runtime shape": ratio } }, in first-seen order. */
  const rows = new Map();
  for (const [name, file] of files) {
    const doc = JSON.parse(readFileSync(file, "utf8"));
    const workloads = doc.workloads.filter((w) => w.family === "shapes");
    if (workloads.length === 0) continue;
    runtimes.push(name);
    lines.push(`${name}: ${doc.runtime.name} ${doc.runtime.version}, ${doc.date}, ${doc.settings.rounds} round(s)`);
    for (const w of workloads) {
      for (const r of w.results) {
        const [base, shape] = r.contender.split(", ");
        const typical = w.results.find((t) => t.contender === shapeContender(base, "typical"));
        if (!typical || shape === "typical" || !SHAPES.includes(shape)) continue;
        const id = `${w.key} ${base}`;
        if (!rows.has(id)) rows.set(id, { key: w.key, contender: base, ratios: {} });
        rows.get(id).ratios[`${name} ${shape}`] = r.ns / typical.ns;
      }
    }
  }
  if (rows.size === 0) return { lines: [...lines, "no shapes workloads in these files"], over: [] };
  const shapes = SHAPES.filter((s) => s !== "typical");
  const all = [...rows.values()];
  const keyWidth = Math.max(8, ...all.map((r) => r.key.length));
  const contenderWidth = Math.max(9, ...all.map((r) => r.contender.length));
  const over = [];
  lines.push("", `shape / typical: each shape of values' median time over the typical row's, same length (!: above ${LIMIT}x)`);
  lines.push(["function".padEnd(keyWidth), "contender".padEnd(contenderWidth), ...runtimes.flatMap((rt) => shapes.map((s) => `${rt} ${s}`.slice(0, 16).padStart(16)))].join(" "));
  for (const r of all) {
    const cells = runtimes.flatMap((rt) =>
      shapes.map((s) => {
        const ratio = r.ratios[`${rt} ${s}`];
        if (ratio === undefined) return "-".padStart(16);
        if (ratio > LIMIT) over.push({ ...r, runtime: rt, shape: s, ratio });
        return `${ratio.toFixed(2)}x${ratio > LIMIT ? " !" : "  "}`.padStart(16);
      }),
    );
    lines.push([r.key.padEnd(keyWidth), r.contender.padEnd(contenderWidth), ...cells].join(" ").trimEnd());
  }
  const figures = all.reduce((sum, r) => sum + Object.keys(r.ratios).length, 0);
  lines.push("", over.length ? `${over.length} of ${figures} figures above ${LIMIT}x (!)` : `all ${figures} figures within ${LIMIT}x`);
  return { lines, over };
}

/** The results files of the named runtimes (default: each of RUNTIMES with one), as [runtime, file]. */
export function resultFiles(runtimes = RUNTIMES) {
  return runtimes.map((name) => [name, fileURLToPath(new URL(`${name}.json`, RESULTS))]).filter(([, file]) => existsSync(file));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const asked = process.argv.slice(2);
  console.log(shapeTable(resultFiles(asked.length ? asked : undefined)).lines.join("\n"));
}
