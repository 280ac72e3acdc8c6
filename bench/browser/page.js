// The suite's core run in a browser page (bench/engines.js serves it, bundled by esbuild):
// the first calls after init(), then the core run's workloads of every family (f32 softmax,
// sampling, loss) on every contender that loads in a browser, timed with the suite's harness. Progress lines and the results document go back to the
// server by POST (/progress, /results), so any browser can run it, driven or not.
// ?compare=<path of another dist/ on the server>: its builds run too, as "before:<name>",
// as with node bench/suite.js --compare.
// ?firstCalls=<build>[&dist=<path of a dist/ on the server>]: only the first calls after
// init() of that build, on a page of its own (bench/first-calls-loads.js opens many).
// ?halves=<functions, comma-separated; empty: all>&sizes=..&rounds=..&quantile=..[&compare=..]: the cost of
// half precision instead (bench/halves.js --browser): its lines go back as progress.

import { loadContenders, workloads } from "../contenders.js";
import { firstCalls } from "../first-calls.js";
import { runHalves } from "../halves-run.js";
import { BUILDS, DIST, kernelsFor } from "../kernels.js";
import { runWorkload } from "../run-workload.js";

const params = new URLSearchParams(location.search);
const SETTINGS = { rounds: 11, minRounds: 5, runMs: 20, warmMs: 100, budgetMs: 10000 };
if (params.has("rounds")) SETTINGS.rounds = SETTINGS.minRounds = Number(params.get("rounds"));
const LOOSE = 1000;
const filter = params.get("filter")?.split(",").filter(Boolean) ?? [];
const compare = params.has("compare") ? new URL(params.get("compare"), location.href) : undefined;

const post = (path, body) => fetch(path, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });
const say = (text) => {
  document.body.append(`${text}\n`);
  return post("/progress", text);
};

/** Browser name and version from the user agent (Chrome/x or Firefox/x). */
function runtimeOf() {
  const ua = navigator.userAgent;
  const firefox = ua.match(/Firefox\/([\d.]+)/);
  if (firefox) return { name: "firefox", version: firefox[1], engine: "SpiderMonkey" };
  const chrome = ua.match(/(?:HeadlessChrome|Chrome|Chromium)\/([\d.]+)/);
  return { name: "chromium", version: chrome?.[1] ?? "unknown", engine: "V8" };
}

async function run() {
  const runtime = runtimeOf();
  const started = performance.now();
  const doc = {
    schema: 1,
    generatedBy: "bench/browser/page.js",
    command: "npm run bench",
    date: new Date().toISOString(),
    mode: "core",
    runtime: { ...runtime, userAgent: navigator.userAgent, crossOriginIsolated: globalThis.crossOriginIsolated === true },
    cpu: { model: "unknown", cores: navigator.hardwareConcurrency, arch: "unknown" },
    settings: { ...SETTINGS, looseCheck: LOOSE },
    contenders: [],
    notes: [],
    compare: compare?.pathname,
    firstCalls: [],
    workloads: [],
  };
  await say(`softmax-wasm benchmark (core): ${runtime.name} ${runtime.version}`);
  for (const { backend, build } of BUILDS.filter((b) => b.backend !== "wasm")) {
    let r;
    try {
      r = { contender: `${backend} zero-copy`, ...(await firstCalls(DIST, build)) };
    } catch (error) {
      doc.notes.push(`first calls: ${backend} left out (${error.message})`);
      continue;
    }
    doc.firstCalls.push(r);
    await say(`first calls: ${r.contender}: init ${r.initMs.toFixed(1)} ms, calls 11-100 ${r.ratio.toFixed(2)}x of steady (${(r.steady / 1e3).toFixed(1)} us)`);
  }
  const contenders = await loadContenders({
    peers: true,
    only: ["naive-js", "tfjs-wasm", "ort-web-wasm"],
    compare,
    log: (message) => doc.notes.push(message),
  });
  // One entry per name: families share our builds' names.
  doc.contenders = [...new Map(contenders.map(({ name, kind, version }) => [name, { name, kind, version }])).values()];
  // The core run's workloads; a filter picks from all of them (the full run's other shapes and alphas).
  const chosen = workloads({ core: filter.length === 0 }).filter((w) => filter.length === 0 || filter.some((t) => w.tags.includes(t) || `/${w.id}/`.includes(`/${t}/`)));
  for (const [index, w] of chosen.entries()) {
    const head = `[${index + 1}/${chosen.length}] ${w.id}`;
    await say(`${head}: running`);
    const entry = await runWorkload(w, contenders, { settings: SETTINGS, looseCheck: LOOSE });
    doc.workloads.push(entry);
    const line = entry.results.map((r) => `${r.contender} ${(r.ns / w.n).toPrecision(3)}`).join(", ");
    await say(`${head}: ns/element: ${line}${entry.left.length ? `; left out: ${entry.left.map((l) => `${l.contender} (${l.reason})`).join(", ")}` : ""}`);
  }
  doc.durationSeconds = (performance.now() - started) / 1e3;
  await post("/results", doc);
}

/** The first calls of one build alone (?firstCalls): posts { runtime, firstCalls }. */
async function runFirstCalls(build) {
  const dist = params.has("dist") ? new URL(params.get("dist"), location.href) : DIST;
  const runtime = runtimeOf();
  const r = await firstCalls(dist, build);
  await post("/results", { runtime: { ...runtime, crossOriginIsolated: globalThis.crossOriginIsolated === true }, firstCalls: r });
}

/** bench/halves.js's run (?halves): this checkout's dist/ (and ?compare's) at its best build; posts { lines }. */
async function runHalvesPage() {
  const runtime = runtimeOf();
  const dists = [["", DIST], ...(compare ? [["before ", compare]] : [])];
  // Each dist's best build that loads here, as init() picks it.
  const best = async (dist) => {
    for (const { build } of BUILDS) {
      try {
        return await kernelsFor(dist, build);
      } catch {}
    }
    throw new Error(`no build of ${dist.href} loads`);
  };
  const sms = await Promise.all(dists.map(async ([label, dist]) => [label, await best(dist)]));
  const only = params.get("halves").split(",").filter(Boolean);
  const lines = await runHalves({
    sms,
    sizes: (params.get("sizes") ?? "32000").split(",").map(Number),
    only: only.length ? only : undefined,
    rounds: Number(params.get("rounds") ?? 7),
    quantile: Number(params.get("quantile") ?? 0.5),
    runtime: `${runtime.name === "firefox" ? "Firefox" : "Chromium"} ${runtime.version}`,
    say,
  });
  await post("/results", { runtime, lines });
}

const main = params.has("firstCalls") ? () => runFirstCalls(params.get("firstCalls")) : params.has("halves") ? runHalvesPage : run;
main().catch((error) => post("/results", { error: String(error?.stack ?? error) }));
