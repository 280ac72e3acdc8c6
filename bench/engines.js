// `npm run bench`: the benchmark in every runtime, one results file each in bench/results/:
// node24.json (the primary run: the full suite of every family with every peer), then
// node20, deno, bun (the core run: f32 softmax, sampling and loss on one shape each, and the
// first calls after init()), chromium and firefox (the same core run in a page,
// bench/browser/page.js, with tfjs-wasm and onnxruntime-web), and finally the README's speed
// table, docs/benchmarks.md and the chart (bench/report.js). After the runs it prints the
// shape / typical ratio of every function in every runtime (bench/shapes.js).
//
//   node bench/engines.js [--only node24,chromium] [--rounds n] [--filter a,b] [--compare dir] [--prefix p] [--loads n] [--no-report]
//
// After the suites, the first calls after init() over --loads fresh processes or browsers
// each (default 10; 0: none) in every runtime that ran: bench/first-calls-loads.js, which
// writes bench/results/first-calls.json (compare-first-calls.json with --compare, p-first-calls.json
// with --prefix p).
// --rounds and --filter go to every run (see node bench/suite.js --help; in a browser,
// --filter takes tags and parts of workload ids only, and picks from the full run's workloads,
// where the page's run without it is the core one).
// --compare dir: the builds of another dist/ (e.g. of the commit before a change) run too,
// interleaved, in every runtime (suite.js --compare; the page gets that folder served under
// /compare/dist/). Such a run writes bench/results/compare-<runtime>.json instead of the
// README's sources, skips the report and ends with one table of before/now ratios over all
// runtimes (bench/compare.js, which re-prints it alone).
//
// --prefix p: the results go to bench/results/p-<runtime>.json, leaving the README's sources
// alone, and the report is skipped: a partial run of its own, e.g. every runtime's shapes of
// values alone (--filter shapes --prefix shapes; node bench/shapes.js shapes-node24 ... again).
//
// A runtime that is not installed is skipped with a note; each one prints its progress as
// it goes. Whole run: 12 min on a 2-core machine before sampling, loss and the shapes of
// values joined the suite; longer now (not measured yet).
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BROWSERS, runBrowser } from "./browsers.js";
import { SCRIPT_RUNTIMES } from "./runtimes.js";
import { compareFiles, comparison } from "./compare.js";
import { resultFiles, shapeTable } from "./shapes.js";
import { optionsOf } from "./args.js";

const root = fileURLToPath(new URL("..", import.meta.url)).replace(/[\\/]$/, "");
const args = process.argv.slice(2);
const option = optionsOf(args);
const only = option("--only")?.split(",");
const rounds = option("--rounds");
const filter = option("--filter");
const compare = option("--compare") && resolve(option("--compare"));
const loads = Number(option("--loads") ?? 10);
if (compare && !existsSync(compare)) throw new Error(`--compare ${compare}: no such directory`);
const prefix = compare ? "compare" : option("--prefix");
if (prefix !== undefined && !/^[\w.-]+$/.test(prefix)) throw new Error(`--prefix ${prefix}: letters, digits, '.', '_' and '-' only`);
/** The results file's name: compare and prefixed runs keep clear of the committed ones. */
const out = (name) => (prefix ? `${prefix}-${name}` : name);
const started = performance.now();

const suite = (extra) => [
  "bench/suite.js",
  ...extra,
  ...(rounds ? ["--rounds", rounds] : []),
  ...(filter ? ["--filter", filter] : []),
  ...(compare ? ["--compare", compare] : []),
];
const script = (name, extra) => {
  const { command, args: before, missing, check } = SCRIPT_RUNTIMES[name];
  return { name, command, args: [...before, ...suite(["--out", out(name), ...extra])], missing, check };
};

/** Each runtime: how to run it, or why it cannot run here. */
const RUNTIMES = [
  script("node24", []),
  script("node20", ["--core"]),
  script("deno", ["--core"]),
  script("bun", ["--core"]),
  { name: "chromium", browser: true },
  { name: "firefox", browser: true },
];

const elapsed = () => `${((performance.now() - started) / 60e3).toFixed(1)} min`;

/** Runs a command, its output prefixed with the runtime's name; resolves to its exit code. */
function run(name, command, commandArgs) {
  return new Promise((done) => {
    const child = spawn(command, commandArgs, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    const prefix = (stream, out) => {
      let rest = "";
      stream.on("data", (chunk) => {
        const lines = (rest + chunk).split("\n");
        rest = lines.pop();
        for (const line of lines) out.write(`${name.padEnd(8)} ${line}\n`);
      });
      stream.on("end", () => rest && out.write(`${name.padEnd(8)} ${rest}\n`));
    };
    prefix(child.stdout, process.stdout);
    prefix(child.stderr, process.stderr);
    child.on("error", (error) => {
      console.log(`${name}: ${error.message}`);
      done(1);
    });
    child.on("close", (code) => done(code ?? 1));
  });
}

// --- the run -------------------------------------------------------------------------------

const ran = [];
for (const runtime of RUNTIMES) {
  if (only && !only.includes(runtime.name)) continue;
  const missing = runtime.missing || (runtime.browser && !existsSync(BROWSERS[runtime.name]) && `apt-get install ${runtime.name === "firefox" ? "firefox-esr" : runtime.name}`);
  if (missing || (runtime.check && !runtime.check())) {
    console.log(`${runtime.name}: not run (${missing ? `missing; install with ${missing}` : "not this machine's runtime"})`);
    continue;
  }
  console.log(`\n=== ${runtime.name} (started at ${elapsed()})`);
  if (runtime.browser) {
    const say = (text) => console.log(`${runtime.name.padEnd(8)} ${text}`);
    const params = { ...(rounds && { rounds }), ...(filter && { filter }), ...(compare && { compare: "/compare/dist/" }) };
    const doc = await runBrowser(runtime.name, { params, compare, say }).catch((error) => ({ error: error.message }));
    if (doc.error) {
      console.log(`${runtime.name}: failed: ${doc.error}`);
      continue;
    }
    // The other dist/ is a path of this machine (suite.js writes it <dir> too).
    if (compare) doc.compare = "<dir>";
    writeFileSync(join(root, `bench/results/${out(runtime.name)}.json`), `${JSON.stringify(doc, null, 1)}\n`);
    console.log(`${runtime.name}: bench/results/${out(runtime.name)}.json written`);
  } else if ((await run(runtime.name, runtime.command, runtime.args)) !== 0) {
    console.log(`${runtime.name}: failed`);
    continue;
  }
  ran.push(runtime.name);
}

if (loads > 0 && ran.length) {
  console.log(`\n=== first calls over ${loads} fresh loads each (at ${elapsed()})`);
  await run("loads", process.execPath, ["bench/first-calls-loads.js", "--loads", String(loads), "--only", ran.join(","), ...(compare ? ["--compare", compare] : []), ...(prefix && !compare ? ["--out", out("first-calls")] : [])]);
}

console.log(`\n=== shapes of values, ${ran.length} runtime(s) (again with node bench/shapes.js ${ran.map(out).join(" ")})`);
console.log(shapeTable(resultFiles(ran.map(out))).lines.join("\n"));

if (compare) {
  console.log(`\n=== before (${compare}) / now, ${ran.length} runtime(s) (at ${elapsed()}; again with node bench/compare.js ${ran.join(" ")})`);
  console.log(comparison(compareFiles(ran)).lines.join("\n"));
} else if (!prefix && !args.includes("--no-report")) {
  console.log(`\n=== report (at ${elapsed()})`);
  await run("report", process.execPath, ["bench/report.js"]);
}
console.log(`\nran ${ran.join(", ")} in ${elapsed()}`);
