// Serves the demo page (demo/) and the built package (dist/, under /dist/) on 127.0.0.1 with
// node:http alone. COOP/COEP make the page cross-origin isolated: performance.now() gets its
// fine resolution (the benchmark needs it) and SharedArrayBuffer is available.
// Usage: node demo/serve.js (PORT=0 picks a free port; the URL is printed on stdout).
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** URL prefix -> directory served under it; the first match wins. */
const mounts = [
  ["/dist/", join(root, "dist")],
  ["/", join(root, "demo")],
];

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".wasm": "application/wasm",
};

const isolation = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Content-Type-Options": "nosniff",
  "Cache-Control": "no-cache",
};

/** The file a request path maps to, or undefined when it leaves its mount or is malformed. */
function fileFor(pathname) {
  let path;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (path.includes("\0")) return undefined;
  if (path.endsWith("/")) path += "index.html";
  for (const [prefix, dir] of mounts) {
    if (!path.startsWith(prefix)) continue;
    const file = resolve(dir, `.${path.slice(prefix.length - 1)}`);
    return file.startsWith(dir + sep) ? file : undefined;
  }
  return undefined;
}

function send(res, status, body, type = "text/plain; charset=utf-8") {
  res.writeHead(status, { ...isolation, "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

const server = createServer(async (req, res) => {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    return send(res, 405, "method not allowed\n");
  }
  const { pathname } = new URL(req.url ?? "/", "http://localhost");
  const file = fileFor(pathname);
  const type = file && types[extname(file)];
  if (!type) return send(res, 404, `not found: ${pathname}\n`);
  let body;
  try {
    body = await readFile(file);
  } catch {
    return send(res, 404, `not found: ${pathname}\n`);
  }
  res.writeHead(200, { ...isolation, "Content-Type": type, "Content-Length": body.length });
  res.end(req.method === "HEAD" ? undefined : body);
});

const port = Number(process.env.PORT ?? 5173);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be an integer from 0 to 65535 (got ${process.env.PORT})`);
  process.exit(1);
}
if (!existsSync(join(root, "dist", "index.js"))) {
  console.warn("dist/index.js is missing: run `npm run build` first (`npm run demo` does).");
}
server.listen(port, "127.0.0.1", () => {
  console.log(`softmax-wasm demo: http://127.0.0.1:${server.address().port}/`);
});
