// One load of the first calls after init(), in a fresh process: `<runtime> bench/first-calls-child.js
// <build> [dist directory]` prints firstCalls() (bench/first-calls.js) of that build and
// the runtime as JSON.
// Runs in Node, Deno (run -A) and Bun; bench/first-calls-loads.js starts it.
import "./relaxed-flag.js";
import { pathToFileURL } from "node:url";
import { firstCalls } from "./first-calls.js";
import { DIST } from "./kernels.js";
import { thisRuntime } from "./runtimes.js";

const [build, dir] = process.argv.slice(2);
const dist = dir ? pathToFileURL(`${dir.replace(/[\\/]$/, "")}/`) : DIST;
console.log(JSON.stringify({ runtime: thisRuntime(), ...(await firstCalls(dist, build)) }));
