// bench/sample.js in a page of headless Chromium: serves the repository on 127.0.0.1 (with
// COOP/COEP, so performance.now() has its fine resolution), imports the benchmark there and
// prints what it logs. Usage: node bench/sample-chromium.js [--quick] (CHROMIUM_PATH, else
// Debian's /usr/bin/chromium).
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = fileURLToPath(new URL("..", import.meta.url));
const types = { ".js": "text/javascript", ".wasm": "application/wasm" };
const headers = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
};

const server = createServer(async (request, response) => {
  const path = normalize(new URL(request.url ?? "/", "http://localhost").pathname);
  if (path === "/") {
    response.writeHead(200, { ...headers, "content-type": "text/html" }).end('<!doctype html><title>sampling benchmark</title><link rel="icon" href="data:,">');
    return;
  }
  if (!path.startsWith("/bench/") && !path.startsWith("/dist/")) {
    response.writeHead(404).end();
    return;
  }
  try {
    const body = await readFile(join(root, path));
    response.writeHead(200, { ...headers, "content-type": types[extname(path)] ?? "application/octet-stream" }).end(body);
  } catch {
    response.writeHead(404).end();
  }
}).listen(0, "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  page.on("console", (message) => console.log(message.text()));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.evaluate(async (quick) => {
    const { run } = await import("/bench/sample.js");
    await run({ quick, log: (line) => console.log(line) });
  }, process.argv.includes("--quick"));
} finally {
  await browser.close();
  server.close();
}
