// The first calls after init() over many page loads: each load is a fresh process (Node 24,
// Node 20, Deno, Bun: bench/first-calls-child.js) or a fresh browser with a new profile
// (Chromium, Firefox: the page's ?firstCalls mode), so nothing compiled before helps it. Each
// load times one build (bench/first-calls.js); builds alternate load by load, runtimes round
// by round. Writes bench/results/first-calls.json: per runtime and build, the ratio of calls
// 11-100 to the steady state of every load, their median and worst, and init() times.
//
//   node bench/first-calls-loads.js [--loads 10] [--only node24,chromium] [--builds relaxed-simd,simd]
//                                   [--compare dir] [--out name]
//
// --compare dir: another dist/ (e.g. of the commit before a change) loads too, as
// "before:<build>", interleaved with this checkout's.
// bench/engines.js runs it after the suites (npm run bench), bench/report.js puts its worst
// and median loads in the README's table.
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BROWSERS, runBrowser } from "./browsers.js";
import { median } from "./harness.js";
import { SCRIPT_RUNTIMES } from "./runtimes.js";
import { optionsOf } from "./args.js";

const root = fileURLToPath(new URL("..", import.meta.url)).replace(/[\\/]$/, "");
const args = process.argv.slice(2);
const option = optionsOf(args);
const LOADS = Number(option("--loads") ?? 10);
const only = option("--only")?.split(",");
const builds = option("--builds")?.split(",") ?? ["relaxed-simd", "simd"];
const compare = option("--compare") && resolve(option("--compare"));
if (compare && !existsSync(compare)) throw new Error(`--compare ${compare}: no such directory`);
const outName = option("--out") ?? (compare ? "compare-first-calls" : "first-calls");
/** A page load times out after this long (a browser that never posts). */
const LOAD_TIMEOUT_MS = 60_000;

const RUNTIMES = [...Object.keys(SCRIPT_RUNTIMES), ...Object.keys(BROWSERS)].filter((name) => {
  if (only && !only.includes(name)) return false;
  const script = SCRIPT_RUNTIMES[name];
  const missing = script ? script.missing || (script.check && !script.check()) : !existsSync(BROWSERS[name]);
  if (missing) console.log(`${name}: not run (${script?.missing || "not installed here"})`);
  return !missing;
});

/** One load in a fresh process: resolves to { runtime?, firstCalls } or { error }. */
function loadInProcess(name, build, dist) {
  const { command, args: before } = SCRIPT_RUNTIMES[name];
  return new Promise((done) => {
    const child = spawn(command, [...before, "bench/first-calls-child.js", build, ...(dist ? [dist] : [])], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", (error) => done({ error: error.message }));
    child.on("close", (code) => {
      if (code !== 0) return done({ error: stderr.trim().split("\n").at(-1) || `exit code ${code}` });
      const { runtime, ...firstCalls } = JSON.parse(stdout.trim().split("\n").at(-1));
      done({ runtime, firstCalls });
    });
  });
}

/** One load in a fresh browser. */
function loadInBrowser(name, build, dist) {
  const params = { firstCalls: build, ...(dist && { dist: "/compare/dist/" }) };
  return runBrowser(name, { params, compare: dist, timeoutMs: LOAD_TIMEOUT_MS }).catch((error) => ({ error: error.message }));
}

const subjects = [
  ...builds.map((build) => ({ contender: build, build })),
  ...(compare ? builds.map((build) => ({ contender: `before:${build}`, build, dist: compare })) : []),
];
const runs = new Map(RUNTIMES.map((name) => [name, new Map(subjects.map((s) => [s.contender, []]))]));
const versions = new Map();
const errors = [];
const started = performance.now();
for (let load = 0; load < LOADS; load++) {
  for (const name of RUNTIMES) {
    // Each round starts with another subject, so none always comes first.
    const order = subjects.map((_, i) => subjects[(i + load) % subjects.length]);
    for (const s of order) {
      const r = await (SCRIPT_RUNTIMES[name] ? loadInProcess : loadInBrowser)(name, s.build, s.dist);
      if (r.error) {
        errors.push(`${name} ${s.contender}: ${r.error}`);
        console.log(`${name.padEnd(8)} ${s.contender}: load ${load + 1} failed: ${r.error}`);
        continue;
      }
      if (r.runtime) versions.set(name, r.runtime);
      runs.get(name).get(s.contender).push(r.firstCalls);
      const f = r.firstCalls;
      console.log(`${name.padEnd(8)} ${s.contender.padEnd(19)} load ${load + 1}/${LOADS}: init ${f.initMs.toFixed(1)} ms, calls 11-100 ${f.ratio.toFixed(2)}x of steady (${(f.steady / 1e3).toFixed(1)} us)`);
    }
  }
}

const summary = (list) => {
  const ratios = list.map((f) => f.ratio);
  const inits = list.map((f) => f.initMs);
  return { loads: list.length, median: median(ratios), worst: Math.max(...ratios), initMedian: median(inits), initMax: Math.max(...inits) };
};
const doc = {
  schema: 1,
  generatedBy: "bench/first-calls-loads.js",
  command: ["node bench/first-calls-loads.js", ...args].join(" "),
  date: new Date().toISOString(),
  compare,
  errors,
  runtimes: RUNTIMES.map((name) => ({
    name,
    runtime: versions.get(name),
    contenders: [...runs.get(name)].filter(([, list]) => list.length).map(([contender, list]) => ({ contender, ...summary(list), runs: list })),
  })),
};
writeFileSync(join(root, `bench/results/${outName}.json`), `${JSON.stringify(doc, null, 1)}\n`);

console.log(`\ncalls 11-100 after init() / steady state over ${LOADS} loads each (median, worst; init() median, worst), ${((performance.now() - started) / 60e3).toFixed(1)} min`);
for (const r of doc.runtimes) {
  for (const c of r.contenders) {
    console.log(`  ${r.name.padEnd(8)} ${c.contender.padEnd(19)} ${c.median.toFixed(2)}x ${c.worst.toFixed(2)}x; init ${c.initMedian.toFixed(1)} ms ${c.initMax.toFixed(1)} ms (${c.loads} loads)`);
  }
}
console.log(`bench/results/${outName}.json written`);
