// The one static HTTP server of the repository, on 127.0.0.1 with node:http alone: the demo
// (demo/serve.js), the benchmark in browsers (bench/engines.js) and the tests that load pages
// use it. Pages that need cross-origin isolation (fine performance.now(), SharedArrayBuffer)
// pass COOP/COEP in `headers` (ISOLATION below).
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, resolve, sep } from "node:path";

/** Headers that make a page cross-origin isolated. */
export const ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
};

const TYPES = {
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

/**
 * Serves `root` at / (and each directory of `mounts`, { "/prefix/": dir }, under its prefix;
 * the longest prefix wins) with `headers` on every response. `routes` answer given paths
 * themselves, for any method: routes[pathname](body, request) gets the request body as text
 * and returns { body, type } to send, or nothing for 204 (pages POST results that way).
 * Resolves to { url, port, server, close() } once listening (`port` 0: one the OS picks).
 */
export async function serve({ root, mounts = {}, headers = {}, routes = {}, port = 0 }) {
  const dirs = Object.entries({ ...mounts, "/": root })
    .map(([prefix, dir]) => [prefix, resolve(dir)])
    .sort((a, b) => b[0].length - a[0].length);
  const send = (res, status, body, type = "text/plain; charset=utf-8", head = false) => {
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    res.writeHead(status, { ...headers, "Content-Type": type, "Content-Length": bytes.length });
    res.end(head ? undefined : bytes);
  };
  const server = createServer(async (req, res) => {
    const { pathname } = new URL(req.url ?? "/", "http://localhost");
    const route = routes[pathname];
    if (route) {
      let body = "";
      for await (const chunk of req) body += chunk;
      const answer = await route(body, req);
      if (answer) send(res, 200, answer.body, answer.type);
      else res.writeHead(204, headers).end();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      return send(res, 405, "method not allowed\n");
    }
    const file = fileFor(dirs, pathname);
    const type = file && TYPES[extname(file)];
    let body;
    try {
      if (type) body = await readFile(file);
    } catch {
      // a missing file or a directory: 404 below
    }
    if (!body) return send(res, 404, `not found: ${pathname}\n`);
    send(res, 200, body, type, req.method === "HEAD");
  });
  await new Promise((done, fail) => server.once("error", fail).listen(port, "127.0.0.1", done));
  const { port: bound } = server.address();
  return { url: `http://127.0.0.1:${bound}/`, port: bound, server, close: () => new Promise((done) => server.close(done)) };
}

/** The file a request path maps to, or undefined when it leaves its directory or is malformed. */
function fileFor(dirs, pathname) {
  let path;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (path.includes("\0")) return undefined;
  if (path.endsWith("/")) path += "index.html";
  const [prefix, dir] = dirs.find(([p]) => path.startsWith(p)) ?? [];
  if (!dir) return undefined;
  const file = resolve(dir, `.${path.slice(prefix.length - 1)}`);
  return file.startsWith(dir + sep) ? file : undefined;
}
