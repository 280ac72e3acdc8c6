// A Cloudflare Worker that runs the conformance checks and answers with the result. The
// bundler resolves "softmax-wasm" with the "workerd" condition; the .wasm import stays a
// module import, compiled by the runtime (wrangler's CompiledWasm rule).
import * as api from "softmax-wasm";
import wasm from "softmax-wasm/softmax.wasm";
import { run } from "./conformance.js";

export default {
  async fetch() {
    const log = [];
    const result = await run(api, { log: (line) => log.push(line), sources: [["imported module", wasm]], module: wasm });
    return Response.json({ ...result, log });
  },
};
