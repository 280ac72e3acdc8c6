// sm.parallel in headless Chromium (Debian's package, driven by playwright-core): a page served
// with COOP/COEP (cross-origin isolated) runs test/conformance's parallelChecks on two threads
// (Web Workers over a shared memory; the page's thread spins, Atomics.wait being refused there);
// the same page without those headers gets the rejection that says which headers to send.
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { ISOLATION, serve } from "../../scripts/serve.mjs";
import { CHROMIUM, CHROMIUM_ARGS } from "../support/chromium.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});
afterAll(() => browser?.close());

/** The page's result, served with `headers`. */
async function resultWith(headers: Record<string, string>): Promise<{ outcome?: string; error?: string; isolated: boolean }> {
  const server = await serve({ root, headers });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}test/parallel/page.html`);
    await page.waitForFunction(() => (window as { result?: unknown }).result !== undefined, undefined, { timeout: 60_000 });
    return await page.evaluate(() => (window as unknown as { result: { outcome?: string; error?: string; isolated: boolean } }).result);
  } finally {
    await server.close();
  }
}

describe("Chromium", () => {
  it("cross-origin isolated: 2 threads give one thread's bits", async () => {
    expect(await resultWith(ISOLATION)).toEqual({ outcome: "2 threads, bit for bit", isolated: true });
  }, 90_000);

  it("not isolated: parallel() rejects, saying which headers to send", async () => {
    expect(await resultWith({})).toEqual({ outcome: "rejected (no threads)", isolated: false });
  }, 90_000);
});
