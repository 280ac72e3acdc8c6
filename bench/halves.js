// The cost of half precision, per function of every family: each function on one row of f16
// logits (an f16 WasmArray) against the same row in f32 (an f32 WasmArray holding the same
// values), zero-copy, outputs in f32 WasmArrays, timed side by side in interleaved rounds
// (harness.js) in one process (the cases: bench/halves-run.js). The contract (docs/core.md,
// "Half precision"): f16 at most 1.15x f32 at 32,000 elements (in cache), below 1x at 2^22
// (bound by memory; each input is cycled through copies of 64 MB in all, so neither dtype's
// row stays cached).
// --before <dist dir> loads another build of the package (a copy of dist/, a package.json in
// its parent) and times its calls beside this checkout's, in the same rounds: old and new, f32
// and f16.
// --browser chromium|firefox: the same run in a page of that browser (bench/browser/page.js,
// served and driven as `npm run bench` does), its lines printed as they come.
// --out NAME: the lines also go to bench/results/NAME.json, with the runtime, the command and
// the date. --quantile q: each case's figure is that quantile of its rounds (default 0.5, the
// median; 0.1 on a machine busy with other work, as bench/suite.js takes it).
//
// f16 data needs Float16Array (Node 24, Deno, Bun, browsers).
//
//   node bench/halves.js [--rounds 7] [--sizes 32000,4194304] [--only crossEntropy,sparsemax] [--before /path/to/old/dist] [--browser chromium] [--out NAME] [--quantile 0.1]
import "./relaxed-flag.js";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { checkNames, runHalves } from "./halves-run.js";

const { values: args } = parseArgs({
  options: { rounds: { type: "string" }, sizes: { type: "string" }, only: { type: "string" }, before: { type: "string" }, browser: { type: "string" }, out: { type: "string" }, quantile: { type: "string" } },
});
const rounds = Number(args.rounds ?? 7);
const sizes = (args.sizes ?? `32000,${2 ** 22}`).split(",").map(Number);
const only = args.only?.split(",");
checkNames(only); // before a browser starts
if (!(rounds >= 1) || sizes.some((n) => !(n >= 1))) throw new Error("--rounds and --sizes take positive numbers");
const quantile = Number(args.quantile ?? 0.5);
if (!(quantile >= 0 && quantile <= 1)) throw new Error(`--quantile takes a number in [0, 1] (got ${args.quantile})`);

if (args.out !== undefined && !/^[\w.-]+$/.test(args.out)) throw new Error(`--out ${args.out}: letters, digits, '.', '_' and '-' only`);
/** Writes bench/results/<--out>.json: the run's lines and where they come from. */
const save = (runtime, lines) => {
  if (args.out === undefined) return;
  const command = `bench/halves.js ${process.argv.slice(2).filter((a, i, all) => a !== "--before" && all[i - 1] !== "--before").join(" ")}`;
  const doc = { generatedBy: "bench/halves.js", command, date: new Date().toISOString(), runtime, before: args.before ? "<dir>" : undefined, lines };
  writeFileSync(new URL(`results/${args.out}.json`, import.meta.url), `${JSON.stringify(doc, null, 1)}\n`);
  console.log(`bench/results/${args.out}.json written`);
};

if (args.browser) {
  const { BROWSERS, runBrowser } = await import("./browsers.js");
  if (!(args.browser in BROWSERS)) throw new Error(`--browser: ${Object.keys(BROWSERS).join(" or ")} (got ${args.browser})`);
  const params = { halves: only?.join(",") ?? "", sizes: sizes.join(","), rounds: String(rounds), quantile: String(quantile), ...(args.before && { compare: "/compare/dist/" }) };
  const doc = await runBrowser(args.browser, { params, compare: args.before && resolve(args.before), say: (line) => console.log(line) });
  if (doc.error) throw new Error(`${args.browser}: ${doc.error}`);
  save(doc.runtime, doc.lines);
} else {
  if (typeof Math.f16round !== "function") throw new Error(`bench/halves.js needs Float16Array and Math.f16round (Node 24, Deno, Bun; not Node ${process.versions.node})`);
  const here = await import(new URL("../dist/node.js", import.meta.url));
  const builds = [["", here]];
  if (args.before) builds.push(["before ", await import(pathToFileURL(resolve(args.before, "node.js")).href)]);
  const sms = await Promise.all(builds.map(async ([name, pkg]) => [name, await pkg.init()]));
  const runtime = globalThis.Bun ? `Bun ${Bun.version}` : globalThis.Deno ? `Deno ${Deno.version.deno}` : `Node ${process.versions.node}`;
  save(runtime, await runHalves({ sms, sizes, only, rounds, quantile, runtime, say: (line) => console.log(line) }));
}
