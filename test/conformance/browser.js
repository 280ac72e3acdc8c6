// Runs the conformance checks in a browser page. `urls` locates the two builds; they are
// also given to init() as URL, string, Response, Promise<Response> and ArrayBuffer. The
// result goes to window.conformance (read by playwright) and is POSTed to /result.
import { run } from "./conformance.js";

export async function runInBrowser(api, urls) {
  let result;
  try {
    const scalarBytes = await (await fetch(urls.scalar)).arrayBuffer();
    result = await run(api, {
      log: (line) => console.log(line),
      sources: [
        ["URL", new URL(urls.simd, location.href)],
        ["URL string", String(urls.scalar)],
        ["Response", await fetch(urls.simd)],
        ["Promise<Response>", fetch(urls.simd)],
        ["scalar ArrayBuffer", scalarBytes],
      ],
      module: await WebAssembly.compile(scalarBytes),
    });
  } catch (error) {
    result = { passed: 0, failed: 1, failures: [{ name: "runner", message: String(error?.stack ?? error) }] };
  }
  result.userAgent = navigator.userAgent;
  window.conformance = result;
  await fetch("/result", { method: "POST", body: JSON.stringify(result) }).catch(() => {});
  return result;
}
