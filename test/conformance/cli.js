// Runs the conformance checks in Node, Deno or Bun against the installed package; prints
// one line "CONFORMANCE <json>" for the test to read. The binary is also given to init() as
// bytes, a file URL and a URL string, and to initSync() as a compiled module.
import { readFile } from "node:fs/promises";
import * as api from "softmax-wasm";
import { run } from "./conformance.js";

const simd = import.meta.resolve("softmax-wasm/softmax.wasm");
const scalar = import.meta.resolve("softmax-wasm/softmax-scalar.wasm");
const scalarBytes = await readFile(new URL(scalar));

const result = await run(api, {
  log: (line) => console.error(line),
  sources: [
    ["scalar bytes", scalarBytes],
    ["file URL", new URL(simd)],
    ["file URL string", simd],
  ],
  module: new WebAssembly.Module(scalarBytes),
});
console.log(`CONFORMANCE ${JSON.stringify(result)}`);
