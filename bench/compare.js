// The before/after summary of a compare run (node bench/engines.js --compare <dist dir>):
// for every workload of every family, each of our contenders' "before / now" ratio (the
// before: build's median time over this checkout's, so > 1 is faster now) in each runtime,
// with the figures worse than 5% flagged: issue #14's "no speed lost" in one table.
// bench/engines.js prints it at the end of a compare run; run alone, it re-prints it from
// the files that run wrote:
//
//   node bench/compare.js [runtime ...]     bench/results/compare-<runtime>.json (default: all)
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const RESULTS = new URL("./results/", import.meta.url);
/** A ratio below this is a loss worth a look: issue #14 allows 5%. */
export const WORST = 0.95;

/** The results files of compare runs, as [runtime, file], in the order bench/engines.js runs them. */
export function compareFiles(runtimes) {
  const ORDER = ["node24", "node20", "deno", "bun", "chromium", "firefox"];
  const names =
    runtimes ??
    readdirSync(RESULTS)
      .filter((f) => /^compare-.+\.json$/.test(f))
      .map((f) => f.slice("compare-".length, -".json".length))
      .sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
  return names.map((name) => [name, fileURLToPath(new URL(`compare-${name}.json`, RESULTS))]);
}

/** The table of before/now ratios over the given runtimes' results files; returns its lines and the count of flagged figures. */
export function comparison(files) {
  const runtimes = [];
  /** "family workload contender" → { family, workload, contender, ratios: { runtime: ratio } }, in first-seen order. */
  const rows = new Map();
  const lines = [];
  for (const [name, file] of files) {
    if (!existsSync(file)) {
      lines.push(`${name}: no ${file}`);
      continue;
    }
    const doc = JSON.parse(readFileSync(file, "utf8"));
    runtimes.push(name);
    lines.push(`${name}: ${doc.runtime.name} ${doc.runtime.version}, ${doc.date}, before = ${doc.compare ?? "?"}, ${doc.settings.rounds} round(s)`);
    for (const w of doc.workloads) {
      for (const now of w.results) {
        const before = w.results.find((r) => r.contender === `before:${now.contender}`);
        if (!before) continue;
        const key = `${w.family} ${w.id} ${now.contender}`;
        if (!rows.has(key)) rows.set(key, { family: w.family, workload: w.id, contender: now.contender, ratios: {} });
        rows.get(key).ratios[name] = before.ns / now.ns;
      }
    }
  }
  if (rows.size === 0) {
    lines.push("no workload with before: contenders (was --compare given?)");
    return { lines, worse: 0 };
  }
  const width = (title, cells) => Math.max(title.length, ...cells.map((c) => c.length));
  const all = [...rows.values()];
  const w = [width("family", all.map((r) => r.family)), width("workload", all.map((r) => r.workload)), width("contender", all.map((r) => r.contender))];
  let worse = 0;
  const cell = (ratio) => {
    if (ratio === undefined) return "-";
    if (ratio < WORST) worse++;
    return `${ratio.toFixed(2)}x${ratio < WORST ? " !" : "  "}`;
  };
  lines.push("", `before / now: the old build's median time over this checkout's (> 1: faster now; !: worse than ${Math.round((1 - WORST) * 100)}%)`);
  lines.push(["family".padEnd(w[0]), "workload".padEnd(w[1]), "contender".padEnd(w[2]), ...runtimes.map((r) => r.padStart(9))].join("  "));
  for (const r of all) {
    lines.push([r.family.padEnd(w[0]), r.workload.padEnd(w[1]), r.contender.padEnd(w[2]), ...runtimes.map((name) => cell(r.ratios[name]).padStart(9))].join("  ").trimEnd());
  }
  const figures = all.reduce((sum, r) => sum + Object.keys(r.ratios).length, 0);
  lines.push("", worse ? `${worse} of ${figures} figures worse than ${Math.round((1 - WORST) * 100)}% (!)` : `all ${figures} figures within ${Math.round((1 - WORST) * 100)}% or better`);
  return { lines, worse };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const asked = process.argv.slice(2);
  const files = compareFiles(asked.length ? asked : undefined);
  if (files.length === 0) console.log("no bench/results/compare-*.json: run node bench/engines.js --compare <dist dir> first");
  else console.log(comparison(files).lines.join("\n"));
}
