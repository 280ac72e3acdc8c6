// The benchmark page in a browser: a server for the page (bench/browser/page.js, bundled by
// esbuild), the repository's files and the peers; headless Chromium driven by playwright-core
// or Debian's Firefox opening the page with a new profile. The page posts its progress and
// results back. bench/engines.js and bench/first-calls-loads.js run pages this way.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ISOLATION, serve } from "../scripts/serve.mjs";

const root = fileURLToPath(new URL("..", import.meta.url)).replace(/[\\/]$/, "");

/** The executable of each browser the benchmark runs. */
export const BROWSERS = { chromium: "/usr/bin/chromium", firefox: "/usr/bin/firefox-esr" };

const PAGE = `<!doctype html><meta charset="utf-8"><title>softmax-wasm benchmark</title>
<body style="white-space: pre; font-family: monospace"><script type="module" src="/bench/page.bundle.js"></script></body>`;

let bundled;
/** The page's bundle, built once per process. */
function bundlePage() {
  bundled ??= import("esbuild").then(async (esbuild) => {
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
  });
  return bundled;
}

/** The package.json beside a dist/ for the page (its version), or nothing (a 204: versionOf() says "-"). */
function packageOf(dir) {
  const file = join(dir, "package.json");
  return existsSync(file) ? { body: readFileSync(file), type: "application/json" } : undefined;
}

/**
 * Serves the repository with the page and its bundle (and `compare`, another dist/, under
 * /compare/dist/); resolves to { url, results, close }, `results` a promise of what the page
 * posts to /results.
 */
async function servePage(onProgress, compare) {
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

/**
 * Opens the page with `params` (its query) in a new instance of browser `name` ("chromium",
 * "firefox"), a new profile each time; resolves to the document the page posts (or { error }).
 * `compare`: a dist/ directory served under /compare/dist/. `say` gets the page's progress lines.
 * `timeoutMs`: a page that has posted nothing by then gives { error }; the browser is closed
 * either way (a headless browser left running keeps a core busy).
 */
export async function runBrowser(name, { params = {}, compare, say = () => {}, timeoutMs = Infinity } = {}) {
  const page = await servePage(say, compare);
  const address = `${page.url}?${new URLSearchParams(params)}`;
  let stop;
  if (name === "chromium") {
    const { CHROMIUM, CHROMIUM_ARGS } = await import("../test/support/chromium.js");
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const tab = await browser.newPage();
    await tab.goto(address);
    stop = () => browser.close();
  } else {
    // Playwright cannot drive Debian's Firefox: a headless instance with a new profile opens the page.
    const profile = mkdtempSync(join(tmpdir(), "softmax-wasm-bench-firefox-"));
    writeFileSync(join(profile, "user.js"), 'user_pref("browser.shell.checkDefaultBrowser", false);\nuser_pref("datareporting.policy.dataSubmissionEnabled", false);\n');
    const child = spawn(BROWSERS.firefox, ["--headless", "--no-remote", "--profile", profile, address], { stdio: "ignore" });
    stop = async () => {
      if (child.exitCode === null) {
        child.kill();
        await new Promise((r) => child.once("close", r));
      }
      rmSync(profile, { recursive: true, force: true });
    };
  }
  let timer;
  const timeout = new Promise((resolve) => {
    if (timeoutMs < Infinity) timer = setTimeout(() => resolve({ error: `no results in ${timeoutMs / 1e3} s` }), timeoutMs);
  });
  try {
    return await Promise.race([page.results, timeout]);
  } finally {
    clearTimeout(timer);
    await stop();
    await page.close();
  }
}
