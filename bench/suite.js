// The benchmark suite: every contender on every workload of every family (bench/families/:
// core, sampling, loss) in one process, timed in interleaved rounds (harness.js), outputs
// checked against the family's float64 reference first; then
// the per-call time alone in fresh processes, cold start, binary sizes (those two under
// Node only). Runs in Node, Deno and Bun (bench/browser runs the same code in browsers).
// Prints a table per workload as it goes and writes bench/results/<name>.json and .svg (the
// chart): latest for a full run, quick for npm start, partial for a filtered one (--out:
// another; bench/engines.js names one per runtime).
//
//   npm run bench                 every runtime (bench/engines.js), this suite in each
//   npm start                     quick: our builds, the JS baseline and naive-js, < 1 min
//   node bench/suite.js [--quick | --core] [--filter a,b] [--no-peers] [--compare dir] [--out name] [--rounds n] [--run-ms ms] [--quantile q] [--help]
//
// --core: f32 softmax (rows of 16 to 2^24, a confident row, batches of short rows), sampling
// and loss on one shape each, and the first calls after init(): what bench/engines.js runs
// in every runtime but the primary one.
// --filter: comma-separated terms; a term selects the workloads that carry it as a tag (a
// family: core, sampling, loss, sparse, attention, vocab, shapes; a shape of values: typical,
// confident, flat, masked, language, or values for the workloads of each shape; row, llm,
// attention, short,
// logSoftmax, logSumExp, online, batched; alone for the per-call time in fresh processes;
// cold-start for the cold start and sizes) or whose id (op/dtype/shape[/variant][/values],
// e.g. softmax/f32/1x4096, sample/f32/1x151936/chain) holds it as whole parts (softmax,
// f64/1x16), and the contenders whose name contains it (=name: exactly that one).
// Without workload terms every workload runs; without contender terms every contender.
// --quantile q: the figure is that quantile of each contender's rounds instead of the median;
// --run-ms: the length of one contender's run in a round (default 20). On a machine busy with
// other work the median measures the load: e.g. --rounds 31 --run-ms 2 --quantile 0.1.
// --compare dir: the builds of another dist/ directory (e.g. of the commit before a change)
// run too, interleaved with this checkout's, as contenders "before:<name>"; the tables get a
// column "before / now".
import "./relaxed-flag.js";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";
import { chartOf } from "./chart.js";
import { binarySizes, measureColdStart } from "./cold-start.js";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { loadContenders, workloads } from "./contenders.js";
import { firstCalls } from "./first-calls.js";
import { median } from "./harness.js";
import { BUILDS, DIST } from "./kernels.js";
import { runWorkload } from "./run-workload.js";
import { thisRuntime } from "./runtimes.js";
import { bestPeerOf, formatBytes, formatNs, formatRate, formatRatio, targets } from "./summary.js";
import { ROTATION } from "./workloads.js";

const started = performance.now();
const args = parseArgs(process.argv.slice(2));
const quick = args.quick;
const core = args.core;
const SETTINGS = quick
  ? { rounds: 7, minRounds: 5, runMs: 10, warmMs: 40, budgetMs: 3000, coldRuns: 3 }
  : { rounds: 11, minRounds: 5, runMs: 20, warmMs: 100, budgetMs: 10000, coldRuns: 7 };
if (args.rounds) SETTINGS.rounds = SETTINGS.minRounds = args.rounds;
if (args.quantile !== undefined) SETTINGS.quantile = args.quantile;
if (args.runMs) SETTINGS.runMs = args.runMs;
// Outputs of other contenders (peers, naive loops) pass if within this many times the
// bound softmax-wasm promises: the check is there to catch wrong answers, not to grade.
const LOOSE = 1000;

const runtime = thisRuntime();
/** alone and cold start run child processes of Node scripts. */
const isNode = runtime.name === "node";

const gc = (() => {
  if (globalThis.Bun) return () => Bun.gc(true);
  try {
    v8.setFlagsFromString("--expose-gc");
    return vm.runInNewContext("gc");
  } catch {
    return () => {};
  }
})();

function parseArgs(argv) {
  const parsed = { quick: false, core: false, peers: true, filter: [], out: undefined, rounds: undefined, runMs: undefined, quantile: undefined, compare: undefined };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i];
    if (flag === "--quick") parsed.quick = true;
    else if (flag === "--core") parsed.core = true;
    else if (flag === "--no-peers") parsed.peers = false;
    else if (flag === "--filter") parsed.filter.push(...value().split(",").filter(Boolean));
    else if (flag === "--out") parsed.out = value();
    else if (flag === "--rounds") parsed.rounds = Number(value());
    else if (flag === "--quantile") parsed.quantile = Number(value());
    else if (flag === "--run-ms") parsed.runMs = Number(value());
    else if (flag === "--compare") parsed.compare = pathToFileURL(`${resolve(value())}/`);
    else if (flag === "--help") {
      // The usage is the header comment of this file.
      const header = readFileSync(new URL(import.meta.url), "utf8").split("\nimport")[0];
      console.log(header.replace(/^\/\/ ?/gm, ""));
      process.exit(0);
    }
    else throw new Error(`unknown argument ${argv[i]} (see node bench/suite.js --help)`);
  }
  return parsed;
}

const tty = process.stdout.isTTY;
/** A progress line that the next one overwrites (only on a terminal). */
const progress = (text) => tty && process.stdout.write(`\r${text}\x1b[K`);
const endProgress = () => tty && process.stdout.write("\r\x1b[K");

// --- what runs --------------------------------------------------------------------------

/** A term matches a workload if it is one of its tags or a run of whole /-separated parts of its id. */
const matchesWorkload = (term, w) => w.tags.includes(term) || `/${w.id}/`.includes(`/${term}/`);
const matchesContender = (term, name) => (term.startsWith("=") ? name === term.slice(1) : name.includes(term));
const COLD = { id: "cold-start", tags: ["cold-start", "binary-size"] };
const ALONE = { id: "alone", tags: ["alone"] };
const FIRST = { id: "first-calls", tags: ["first-calls"] };

const allWorkloads = workloads({ quick, core });
const workloadTerms = args.filter.filter((t) => [...allWorkloads, COLD, ALONE, FIRST].some((w) => matchesWorkload(t, w)));
const selected = (w) => workloadTerms.length === 0 || workloadTerms.some((t) => matchesWorkload(t, w));

const PEERS_DIR = new URL("./peers/", import.meta.url);
const peersWanted = !quick && args.peers;
if (peersWanted) installPeers();

/** `npm --prefix bench/peers ci` when a peer package is missing: the only network use. */
function installPeers() {
  const { dependencies } = JSON.parse(readFileSync(new URL("package.json", PEERS_DIR), "utf8"));
  const missing = Object.keys(dependencies).filter((name) => !existsSync(new URL(`node_modules/${name}/package.json`, PEERS_DIR)));
  if (missing.length === 0) return;
  console.log(`bench/peers: ${missing.join(", ")} missing; running npm --prefix bench/peers ci (~540 MB, once)`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const result = spawnSync(npm, ["--prefix", "bench/peers", "ci"], { cwd: new URL("..", import.meta.url), stdio: "inherit" });
  if (result.status !== 0) console.log("bench/peers: install failed; peers that do not load are left out");
}

/** Which code is measured: the commit, kernel or host sources changed since, and the builds' hashes. */
function sourceOf() {
  const git = (...gitArgs) => {
    try {
      const cwd = fileURLToPath(new URL("..", import.meta.url));
      return execFileSync("git", gitArgs, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trimEnd();
    } catch {
      return undefined; // not a git checkout
    }
  };
  const changed = git("status", "--porcelain", "--", "assembly", "src", "scripts", "asconfig.json");
  const hash = (file) => createHash("sha256").update(readFileSync(new URL(`../dist/${file}`, import.meta.url))).digest("hex").slice(0, 16);
  return {
    commit: git("rev-parse", "--short=12", "HEAD"),
    uncommitted: changed ? changed.split("\n").map((line) => line.slice(3)) : [],
    builds: Object.fromEntries(
      readdirSync(new URL("../dist/", import.meta.url))
        .filter((file) => file.endsWith(".wasm"))
        .map((file) => [file, hash(file)]),
    ),
  };
}

const source = sourceOf();
const notes = [];

// Before anything else compiles the builds: engines share compiled code between modules of
// the same bytes, so a later fresh instance would start tiered up already.
const firstCallRuns = [];
if (!quick && selected(FIRST)) {
  for (const { backend, build } of BUILDS.filter((b) => b.backend !== "wasm")) {
    progress(`first calls after init(): ${backend}`);
    try {
      firstCallRuns.push({ contender: `${backend} zero-copy`, ...(await firstCalls(DIST, build)) });
    } catch (error) {
      notes.push(`first calls: ${backend} left out (${error.message})`);
    }
  }
  endProgress();
}

progress(`loading contenders${args.compare ? ` and the builds of ${args.compare.pathname}` : ""}`);
const everyContender = await loadContenders({ peers: peersWanted, compare: args.compare, log: (message) => notes.push(message) });
endProgress();
const contenderTerms = args.filter.filter((t) => everyContender.some((c) => matchesContender(t, c.name)));
const unknown = args.filter.filter((t) => !workloadTerms.includes(t) && !contenderTerms.includes(t));
if (unknown.length) throw new Error(`--filter ${unknown.join(",")} matches no workload or contender`);
const contenders = everyContender.filter((c) => contenderTerms.length === 0 || contenderTerms.some((t) => matchesContender(t, c.name)));

const mode = quick ? "quick" : core ? "core" : args.filter.length ? "filtered" : "full";
const outName = args.out ?? (mode === "full" && args.peers ? "latest" : mode === "quick" ? "quick" : "partial");
/**
 * The command line that made this run, as typed (npm start passes --quick itself), but for the
 * directory of --compare: a path of the machine that ran it, written <dir>.
 */
const command = (() => {
  const event = process.env.npm_lifecycle_event;
  const given = process.argv.slice(2).map((arg, i, all) => (i > 0 && all[i - 1] === "--compare" ? "<dir>" : arg));
  if (event === "start" || event === "bench") {
    const rest = (event === "start" ? given.slice(1) : given).join(" ");
    return `${event === "start" ? "npm start" : "npm run bench"}${rest ? ` -- ${rest}` : ""}`;
  }
  return ["node bench/suite.js", ...given].join(" ");
})();
const doc = {
  schema: 1,
  generatedBy: "bench/suite.js",
  command,
  date: new Date().toISOString(),
  mode,
  runtime: {
    ...runtime,
    v8: isNode ? process.versions.v8 : undefined,
    relaxedSimdFlag: isNode && Number(process.versions.node.split(".")[0]) < 22,
  },
  source,
  cpu: { model: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, arch: process.arch },
  os: { platform: process.platform, release: os.release() },
  settings: { ...SETTINGS, looseCheck: LOOSE, rotation: ROTATION },
  // One entry per name: families share our builds' names (and tfjs-wasm's).
  contenders: [...new Map(contenders.map(({ name, kind, version }) => [name, { name, kind, version }])).values()],
  compare: args.compare ? "<dir>" : undefined,
  notes,
  loadAverage: { start: os.loadavg()[0] },
  workloads: [],
  firstCalls: firstCallRuns,
  alone: [],
  coldStart: [],
  binarySize: [],
};

console.log(`softmax-wasm benchmark (${mode}): ${runtime.name} ${runtime.version} (${runtime.engine}), ${doc.cpu.model} x ${doc.cpu.cores}, ${doc.date}`);
console.log(
  `${SETTINGS.quantile === undefined ? "Median" : `Quantile ${SETTINGS.quantile}`} of interleaved rounds, all contenders in this process; each output is checked against a float64 reference first.\n` +
    "zero-copy: WasmArrays in and out; copy: typed arrays in, preallocated out; err: worst error / the bound docs/core.md promises.",
);
if (source.commit) console.log(`softmax-wasm at ${source.commit}${source.uncommitted.length ? `, uncommitted changes to ${source.uncommitted.join(", ")}` : ""}`);
for (const note of notes) console.log(`# ${note}`);
if (firstCallRuns.length) {
  console.log(`\nfirst calls after init() at n = 32000 (f32 softmax, zero-copy), ns per call in groups of ${firstCallRuns[0].group} calls`);
  for (const r of firstCallRuns) {
    const groups = r.groups.map((ns) => formatNs(ns)).join(" ");
    console.log(`  ${r.contender.padEnd(29)} init ${r.initMs.toFixed(1)} ms; calls 1-100: ${groups}; steady ${formatNs(r.steady)}; calls 11-100 ${formatRatio(r.ratio)} of steady (worst group ${formatRatio(r.worst)})`);
  }
}

// --- warm timings -------------------------------------------------------------------------

const chosen = allWorkloads.filter(selected);
let failures = 0;
for (const [index, w] of chosen.entries()) {
  const head = `[${String(index + 1).padStart(2)}/${chosen.length}] ${w.id}`;
  const entry = await runWorkload(w, contenders, {
    settings: SETTINGS,
    looseCheck: LOOSE,
    peerWarmup: !quick,
    progress: (text) => progress(`${head}: ${text}`),
  });
  failures += entry.failures;
  endProgress();
  doc.workloads.push(entry);
  printWorkload(head, w, entry);
  gc();
}

function printWorkload(head, w, entry) {
  const copies = entry.copies > 1 ? `, ${entry.copies} copies rotated` : "";
  console.log(`\n${head}${w.label ? ` (${w.label})` : ""}: ${entry.results.length} contenders${copies}, ${entry.seconds.toFixed(1)} s`);
  const naive = entry.results.find((r) => r.contender === "naive-js");
  const js = entry.results.find((r) => r.contender === "js");
  const peer = bestPeerOf(doc, entry);
  const columns = [
    ["contender", 38, (r) => r.contender],
    ["per call", 10, (r) => formatNs(r.ns)],
    ["ns/elem", 9, (r) => (r.ns / w.n).toPrecision(3)],
    ["elem/s", 8, (r) => formatRate((w.n / r.ns) * 1e9)],
    ["GB/s", 6, (r) => (w.bytes / r.ns).toPrecision(3)],
    ["err", 7, (r) => (r.error < 0.01 ? "<0.01" : r.error.toPrecision(2))],
    ["vs naive-js", 11, (r) => (naive ? formatRatio(naive.ns / r.ns) : "-")],
    ["vs js", 7, (r) => (js ? formatRatio(js.ns / r.ns) : "-")],
    [`vs ${peer ? peer.contender : "best peer"}`, 15, (r) => (peer ? formatRatio(peer.ns / r.ns) : "-")],
  ];
  // Sampling and loss measure themselves against one softmax of the same rows (the yardstick).
  const yardstick = entry.results.find((r) => r.contender.startsWith("softmax ("));
  if (yardstick) columns.push(["/ softmax", 9, (r) => formatRatio(r.ns / yardstick.ns)]);
  const before = (r) => entry.results.find((b) => b.contender === `before:${r.contender}`);
  if (args.compare) columns.push(["before / now", 12, (r) => (before(r) ? formatRatio(before(r).ns / r.ns) : "-")]);
  const line = (cells) => `  ${cells.map((cell, i) => (i === 0 ? cell.padEnd(columns[i][1]) : cell.padStart(columns[i][1]))).join(" ")}`;
  console.log(line(columns.map(([title]) => title)));
  for (const r of entry.results) console.log(line(columns.map(([, , cell]) => cell(r))));
  for (const { contender, reason } of entry.left) console.log(`  ${contender}: left out, ${reason}`);
}

// --- alone in a process -------------------------------------------------------------------

const ALONE_WORKLOAD = "softmax/f32/1x16";
if (!quick && !core && isNode && selected(ALONE)) {
  const w = allWorkloads.find((x) => x.id === ALONE_WORKLOAD);
  // A fresh process loads this checkout only: the before: builds of --compare are left out here.
  const names = contenders
    .filter((c) => ["softmax-wasm", "baseline", "naive"].includes(c.kind) && !c.name.startsWith("before:") && c.accepts(w))
    .map((c) => c.name);
  const runs = 3;
  console.log(`\nper-call time alone in a process (${ALONE_WORKLOAD}): ${names.length} contenders x ${runs} fresh processes`);
  const samples = new Map(names.map((name) => [name, []]));
  for (let round = 0; round < runs; round++) {
    for (const name of names) {
      progress(`alone: ${name}, process ${round + 1}/${runs}`);
      const child = fileURLToPath(new URL("./alone-child.js", import.meta.url));
      const output = execFileSync(process.execPath, [child, name, ALONE_WORKLOAD, JSON.stringify(SETTINGS)], { encoding: "utf8" });
      samples.get(name).push(JSON.parse(output.trim().split("\n").at(-1)));
    }
  }
  endProgress();
  const inSuite = doc.workloads.find((w) => w.id === ALONE_WORKLOAD);
  console.log(`  ${"contender".padEnd(29)} ${"alone".padStart(10)} ${"in the suite".padStart(13)}`);
  for (const [contender, results] of samples) {
    const ns = median(results.map((r) => r.ns));
    const error = Math.max(...results.map((r) => r.error));
    if (!(error <= 1)) failures++;
    doc.alone.push({ workload: ALONE_WORKLOAD, contender, runs, ns, error });
    const suiteNs = inSuite?.results.find((r) => r.contender === contender)?.ns;
    console.log(`  ${contender.padEnd(29)} ${formatNs(ns).padStart(10)} ${(suiteNs ? formatNs(suiteNs) : "-").padStart(13)}`);
  }
}

// --- cold start and sizes ----------------------------------------------------------------

if (!core && isNode && selected(COLD)) {
  const builds = BUILDS.map((b) => b.backend).filter((backend) => contenders.some((c) => c.name === `${backend} zero-copy`));
  const peers = doc.contenders.filter((c) => c.kind === "peer").map((c) => c.name);
  const subjects = ["node", ...builds, ...peers];
  console.log(`\ncold start: ${subjects.length} subjects x ${SETTINGS.coldRuns} fresh processes (median ms)`);
  doc.coldStart = measureColdStart(subjects, {
    runs: SETTINGS.coldRuns,
    onRun: (done, total) => progress(`cold start: process ${done}/${total}`),
  });
  endProgress();
  console.log(`  ${"subject".padEnd(20)} ${["load", "init", "first call", "total", "since start"].map((h) => h.padStart(11)).join(" ")}`);
  for (const { subject, median, failed, error } of doc.coldStart) {
    const cells = median ? [median.load, median.init, median.first, median.total, median.sinceStart].map((ms) => ms.toFixed(1).padStart(11)) : [];
    console.log(`  ${subject.padEnd(20)} ${cells.join(" ")}${failed ? `  (${failed} run(s) failed: ${error})` : ""}`);
  }
  doc.binarySize = binarySizes({ peers: peers.length > 0 });
  console.log("\nbinary size");
  for (const s of doc.binarySize) console.log(`  ${s.name.padEnd(20)} ${formatBytes(s.bytes).padStart(10)} ${formatBytes(s.gzip).padStart(10)} gzip  ${s.file}`);
}

// --- targets and files ---------------------------------------------------------------------

const reached = targets(doc);
if (reached.length) {
  console.log("\ntargets (f32 softmax, zero-copy, ratios within this run)");
  for (const t of reached) console.log(`  ${t.pass ? "met " : "MISS"}  ${t.contender.padEnd(28)} ${t.target.padEnd(50)} ${t.text}`);
}

doc.durationSeconds = (performance.now() - started) / 1e3;
doc.loadAverage.end = os.loadavg()[0];
const resultsDir = new URL("./results/", import.meta.url);
mkdirSync(resultsDir, { recursive: true });
writeFileSync(new URL(`${outName}.json`, resultsDir), `${JSON.stringify(doc, null, 1)}\n`);
const files = [`bench/results/${outName}.json`];
if (doc.workloads.some((w) => w.op === "softmax" && w.dtype === "f32" && w.rows === 1 && w.values === "typical")) {
  writeFileSync(new URL(`${outName}.svg`, resultsDir), chartOf(doc, `bench/results/${outName}.json`));
  files.push(`bench/results/${outName}.svg`);
}
console.log(`\n${files.join(" and ")} written; ${doc.durationSeconds.toFixed(0)} s in all`);
if (failures) {
  console.log(`${failures} output check(s) of softmax-wasm failed (see "left out" above)`);
  process.exitCode = 1;
}
