// The demo page in headless Chromium (Debian's package, driven by playwright-core): served by
// demo/serve.js, it must be cross-origin isolated, show numbers that meet the promised bounds (docs/core.md) against
// the test's own float64 reference (reference.ts, not the library), report errors for bad
// input, and run its benchmark. Takes a screenshot: into docs/demo.png (the README's) with UPDATE_SCREENSHOT=1, else into the temp folder, so
// that a test run leaves the tree clean.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Kernels, init } from "../../dist/node.js";
import { CHROMIUM, CHROMIUM_ARGS } from "../support/chromium.js";
import { refRow } from "../core/reference.js";
import { refChain } from "../sampling/reference.js";
import { type RefOptions, attentionRef, expectAttention } from "../attention/reference.js";

const SERVER = fileURLToPath(new URL("../../demo/serve.js", import.meta.url));
const SCREENSHOT = process.env.UPDATE_SCREENSHOT
  ? fileURLToPath(new URL("../../docs/demo.png", import.meta.url))
  : join(tmpdir(), "softmax-wasm-demo.png");

/** Starts demo/serve.js on a port the OS picks; resolves with the URL it prints. */
function startServer(): Promise<{ url: string; server: ChildProcess }> {
  const server = spawn(process.execPath, [SERVER], { env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const fail = (why: string) => reject(new Error(`demo server ${why}: ${output}`));
    const timer = setTimeout(() => fail("printed no URL within 10 s"), 10_000);
    server.stdout.on("data", (chunk: Buffer) => {
      output += chunk;
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(output)?.[0];
      if (url) {
        clearTimeout(timer);
        resolve({ url, server });
      }
    });
    server.stderr.on("data", (chunk: Buffer) => (output += chunk));
    server.on("exit", (code) => {
      clearTimeout(timer);
      fail(`exited with code ${code}`);
    });
  });
}

/** Parses a number as the page displays it (U+2212 minus, ∞). */
function parseShown(text: string): number {
  return Number(text.trim().replaceAll("−", "-").replace("∞", "Infinity"));
}

interface PageState {
  beta: number;
  lse: number;
  rows: { x: number; p: number; logp: number; shown: { p: number; logp: number } }[];
}

async function readPage(page: Page): Promise<PageState> {
  const raw = await page.evaluate(() => ({
    beta: document.getElementById("beta")!.dataset.value!,
    lse: document.getElementById("lse")!.dataset.value!,
    rows: [...document.querySelectorAll<HTMLElement>("#bars .row")].map((row) => ({
      x: row.dataset.x!,
      p: row.dataset.p!,
      logp: row.dataset.logp!,
      shownP: row.querySelector(".p")!.textContent!,
      shownLogp: row.querySelector(".logp")!.textContent!,
    })),
  }));
  return {
    beta: Number(raw.beta),
    lse: Number(raw.lse),
    rows: raw.rows.map((r) => ({
      x: Number(r.x),
      p: Number(r.p),
      logp: Number(r.logp),
      shown: { p: parseShown(r.shownP), logp: parseShown(r.shownLogp) },
    })),
  };
}

/** The promised bounds (docs/core.md, Accuracy) against the exact values: probabilities, log-probabilities (relative), LSE. */
const TOLERANCE = {
  f32: { p: (r: number) => 2e-6 * r + 1e-9, logp: (r: number) => 1e-6 * Math.abs(r), lse: (r: number) => 1e-6 * (1 + Math.abs(r)) },
  f64: { p: (r: number) => 5e-14 * r + 1e-18, logp: (r: number) => 1e-14 * Math.abs(r), lse: (r: number) => 1e-14 * (1 + Math.abs(r)) },
};

function expectClose(actual: number, expected: number, tolerance: number, what: string) {
  if (!Number.isFinite(expected) || !Number.isFinite(actual)) {
    expect(actual, what).toBe(expected);
    return;
  }
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

/**
 * Checks every number on the page against the test's own float64 reference (reference.ts,
 * written from docs/core.md, not the library) for the page's beta.
 */
async function expectPageMatches(page: Page, logits: number[], dtype: "f32" | "f64"): Promise<PageState> {
  const state = await readPage(page);
  const x = dtype === "f32" ? Float32Array.from(logits) : Float64Array.from(logits);
  const { p, logp, lse } = refRow(x, state.beta);
  const tol = TOLERANCE[dtype];
  expect(state.rows.map((r) => r.x)).toEqual(Array.from(x));
  state.rows.forEach((row, i) => {
    expectClose(row.p, p[i], tol.p(p[i]), `p[${i}] at beta ${state.beta}`);
    expectClose(row.logp, logp[i], tol.logp(logp[i]), `log p[${i}] at beta ${state.beta}`);
    // The text shows 6 significant digits of the same values.
    expectClose(row.shown.p, p[i], 5e-6 * p[i] + tol.p(p[i]), `shown p[${i}]`);
    expectClose(row.shown.logp, logp[i], 5e-6 * Math.abs(logp[i]) + 1e-300, `shown log p[${i}]`);
  });
  expectClose(state.lse, lse, tol.lse(lse), `LogSumExp at beta ${state.beta}`);
  const shownLse = parseShown((await page.textContent("#lse")) ?? "");
  expectClose(shownLse, lse, 5e-6 * Math.abs(lse), "shown LogSumExp");
  return state;
}

async function enterLogits(page: Page, text: string) {
  await page.fill("#logits", text);
}

describe("demo page", { timeout: 30_000 }, () => {
  let browser: Browser;
  let page: Page;
  let url: string;
  let server: ChildProcess | undefined;
  /** The library in Node: the page's seeded draws must be the same tokens (one generator everywhere). */
  let sm: Kernels;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
    }
    sm = await init();
    ({ url, server } = await startServer());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("pageerror", (error) => browserErrors.push(`pageerror: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") browserErrors.push(`console: ${message.text()}`);
    });
    await page.goto(url);
    await page.waitForSelector("#backend[data-value]", { timeout: 10_000 });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill();
  });

  it("is served with COOP/COEP and the wasm MIME type, and is cross-origin isolated", async () => {
    const html = await fetch(url);
    expect(html.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(html.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
    const wasm = await fetch(new URL("dist/softmax.wasm", url));
    expect(wasm.status).toBe(200);
    expect(wasm.headers.get("content-type")).toBe("application/wasm");
    await wasm.arrayBuffer();
    expect((await fetch(new URL("dist/%2e%2e/package.json", url))).status).toBe(404);

    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const backend = await page.getAttribute("#backend", "data-value");
    expect(backend).toMatch(/^wasm/);
    expect(await page.textContent("#backend")).toBe(backend);
  });

  it("shows softmax, log-softmax and LogSumExp within the promised bounds of the reference as the slider moves", async () => {
    const logits = [2.5, -1, 0.125, 7.75, 3, -4.5, 0, 1e-3, 6.9];
    await enterLogits(page, "2.5, -1 0.125,7.75 ;3 -4.5, 0, 1e-3 6.9");
    let state = await expectPageMatches(page, logits, "f32");
    expect(state.beta).toBe(1);

    // Drive the slider from the keyboard: each step is 0.01 in log10 T.
    await page.focus("#temperature");
    for (let i = 0; i < 40; i++) await page.keyboard.press("ArrowLeft");
    state = await expectPageMatches(page, logits, "f32");
    expectClose(state.beta, 10 ** 0.4, 1e-12, "beta after 40 steps left");
    expect(await page.textContent("#temperature-value")).toBe("T = 0.3981");

    await page.keyboard.press("End");
    state = await expectPageMatches(page, logits, "f32");
    expectClose(state.beta, 0.01, 1e-15, "beta at the top of the slider");

    await page.keyboard.press("Home");
    state = await expectPageMatches(page, logits, "f32");
    expectClose(state.beta, 100, 1e-12, "beta at the bottom of the slider");
    expect(state.rows[3].p).toBe(1); // T = 0.01: the arg max takes everything

    // Negative beta: the soft arg-min.
    await page.fill("#temperature", "-0.5");
    await page.check("#negative");
    state = await expectPageMatches(page, logits, "f32");
    expectClose(state.beta, -(10 ** 0.5), 1e-12, "negative beta");
    const top = state.rows.reduce((best, r, i) => (r.p > state.rows[best].p ? i : best), 0);
    expect(logits[top]).toBe(Math.min(...logits));
    expect(await page.getAttribute("#bars .row.top", "data-x")).toBe(String(Math.min(...logits)));

    // A beta typed in the field, in f64 this time; beta = 0 is uniform.
    await page.selectOption("#dtype", "f64");
    await page.fill("#beta", "-0.37");
    state = await expectPageMatches(page, logits, "f64");
    expect(state.beta).toBe(-0.37);
    expect(await page.isChecked("#negative")).toBe(true);
    await page.fill("#beta", "0");
    state = await expectPageMatches(page, logits, "f64");
    for (const row of state.rows) expectClose(row.p, 1 / logits.length, 1e-15, "uniform at beta 0");

    // Masked entries.
    await page.fill("#beta", "2");
    await enterLogits(page, "1, -inf, 2, -Infinity");
    state = await expectPageMatches(page, [1, -Infinity, 2, -Infinity], "f64");
    expect(state.rows[1].p).toBe(0);
    expect(state.rows[1].logp).toBe(-Infinity);
  });

  it("reports bad input clearly and recovers", async () => {
    await enterLogits(page, "1, 2, abc, 4");
    await expect.poll(() => page.isVisible("#logits-error")).toBe(true);
    expect(await page.textContent("#logits-error")).toBe('Logit 3 is not a number: "abc"');
    expect(await page.getAttribute("#logits", "aria-invalid")).toBe("true");

    await enterLogits(page, "  ");
    expect(await page.textContent("#logits-error")).toMatch(/at least one logit/);

    await page.fill("#beta", "1e999");
    expect(await page.textContent("#beta-error")).toMatch(/finite number/);

    await page.fill("#beta", "1");
    await enterLogits(page, "1, 2, 4");
    expect(await page.isVisible("#logits-error")).toBe(false);
    expect(await page.isVisible("#beta-error")).toBe(false);
    expect(await page.getAttribute("#logits", "aria-invalid")).toBeNull();
    await expectPageMatches(page, [1, 2, 4], "f64");
  });

  it("samples: the highlighted tokens are the chain's, and seeded draws are the library's in Node", async () => {
    await page.selectOption("#dtype", "f32");
    const logits = [3.2, 2, 1, 0.5, 0.1, -1.5, -Infinity, 2, 0.5];
    await enterLogits(page, "3.2, 2.0, 1.0, 0.5, 0.1, -1.5, -inf, 2.0, 0.5");
    const x = Float32Array.from(logits);
    const settings = [
      { temperature: 1, topK: 0, topP: 1, minP: 0 },
      { temperature: 0.5, topK: 0, topP: 0.9, minP: 0 },
      { temperature: 2, topK: 4, topP: 1, minP: 0 },
      { temperature: 1.5, topK: 0, topP: 1, minP: 0.2 },
      { temperature: 1, topK: 3, topP: 0.8, minP: 0.1 },
      { temperature: 0, topK: 0, topP: 1, minP: 0 },
    ];
    for (const opts of settings) {
      await page.fill("#s-temperature", String(opts.temperature));
      await page.fill("#s-topk", String(opts.topK));
      await page.fill("#s-topp", String(opts.topP));
      await page.fill("#s-minp", String(opts.minP));
      await expect.poll(() => page.getAttribute("#sampling", "data-state")).toBe("ready");
      const kept = await page.$$eval("#s-bars .row.kept", (rows) => rows.map((r) => Number((r as HTMLElement).dataset.index)));
      const ref = refChain(x, opts, "f32", 1e-5);
      expect(kept, JSON.stringify(opts)).toEqual(ref.greedy >= 0 ? [ref.greedy] : ref.kept);
      expect(await page.getAttribute("#sampling", "data-agree")).toBe("true");
      await page.fill("#s-seed", "1234");
      await page.click("#s-draw");
      const tokens = (await page.getAttribute("#s-tokens", "data-tokens"))?.split(",").map(Number);
      const sampler = sm.sampler({ ...opts, seed: 1234 });
      expect(tokens, JSON.stringify(opts)).toEqual(Array.from({ length: 20 }, () => sampler.sample(x)));
    }
    await page.fill("#s-temperature", "1");
    await page.fill("#s-topk", "0");
    await page.fill("#s-topp", "0.9");
    await page.fill("#s-minp", "0");
    expect(browserErrors).toEqual([]);
  });

  it("runs the attention panel: a decode step within the promised bounds of the reference, f32 and f16 caches", { timeout: 120_000 }, async () => {
    await page.selectOption("#a-length", "512");
    for (const cache of ["f32", "f16"]) {
      await page.selectOption("#a-cache", cache);
      await page.click("#a-run");
      await page.waitForSelector("body[data-attention=done]", { timeout: 100_000 });
      expect(await page.textContent("#a-status")).toMatch(new RegExp(`^512 keys, ${cache} cache: done in [\\d.]+ s on wasm`));
      const rows = await page.$$eval("#a-table tbody tr", (trs) => trs.map((tr) => ({ name: tr.dataset.contender, ms: Number(tr.dataset.ms) })));
      expect(rows.map((r) => r.name)).toEqual(["WASM attend", "js attend", "naive loop"]);
      for (const { ms } of rows) expect(ms > 0 && ms < 10_000, `ms per step ${ms}`).toBe(true);
      // The page's WASM result against the test's own float64 reference (test/attention/reference.ts).
      const run = await page.evaluate(() => {
        const d = (window as unknown as { attentionDemo: Record<string, ArrayLike<number>> & { opts: RefOptions } }).attentionDemo;
        return { q: Array.from(d.q), keys: Array.from(d.keys), values: Array.from(d.values), out: Array.from(d.out), opts: d.opts };
      });
      expect(run.opts).toEqual({ heads: 32, kvHeads: 8, dim: 128, length: 512 });
      expectAttention({ out: run.out }, attentionRef(run.q, run.keys, run.values, run.opts), run.values, "f32", `attention demo, ${cache} cache`);
    }
    expect(browserErrors).toEqual([]);
  });

  it("runs the benchmark, draws it, and saves the screenshot", { timeout: 45_000 }, async () => {
    await page.selectOption("#dtype", "f32");
    await page.fill("#beta", "1");
    await enterLogits(page, "3.2, 2.0, 1.0, 0.5, 0.1, -1.5, -inf");
    await page.fill("#temperature", "-0.15");

    await page.click("#run-bench");
    await page.waitForSelector("body[data-bench=running]", { timeout: 5_000 });
    expect(await page.isDisabled("#run-bench")).toBe(true);
    await page.waitForSelector("body[data-bench=done]", { timeout: 40_000 });
    expect(await page.textContent("#bench-status")).toMatch(/^done in [\d.]+ s on wasm/);

    const rows = await page.$$eval("#bench-table tbody tr", (trs) =>
      trs.map((tr) => ({ n: Number(tr.dataset.n), ns: JSON.parse(tr.dataset.ns!) as number[] })),
    );
    expect(rows.map((r) => r.n)).toEqual([1024, 32000, 1 << 20]);
    for (const { ns } of rows) {
      expect(ns).toHaveLength(3);
      for (const v of ns) expect(v > 0 && v < 1000, `ns/element ${v}`).toBe(true);
    }
    expect(await page.locator("#bench-chart rect.bar").count()).toBe(3 * 3 + 3); // bars + legend

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(browserErrors).toEqual([]);
  });
});
