// Serves the demo page (demo/) and the built package (dist/, under /dist/) on 127.0.0.1
// (scripts/serve.mjs). COOP/COEP make the page cross-origin isolated: performance.now() gets
// its fine resolution (the benchmark needs it) and SharedArrayBuffer is available.
// Usage: node demo/serve.js (PORT=0 picks a free port; the URL is printed on stdout).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ISOLATION, serve } from "../scripts/serve.mjs";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

const port = Number(process.env.PORT ?? 5173);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be an integer from 0 to 65535 (got ${process.env.PORT})`);
  process.exit(1);
}
if (!existsSync(here("../dist/index.js"))) {
  console.warn("dist/index.js is missing: run `npm run build` first (`npm run demo` does).");
}
const { url } = await serve({
  root: here("."),
  mounts: { "/dist/": here("../dist") },
  headers: { ...ISOLATION, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache" },
  port,
});
console.log(`softmax-wasm demo: ${url}`);
