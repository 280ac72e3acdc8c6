// A Worker bundled without the "workerd" condition: the default entry, given the imported
// modules (the relaxed-SIMD build, which workerd runs). init() without a source cannot work
// there (no file, no compiling bytes); initSync of the core alone gives the core functions.
import { init, initSync } from "softmax-wasm";
import attention from "softmax-wasm/attention-relaxed.wasm";
import loss from "softmax-wasm/loss-relaxed.wasm";
import sampling from "softmax-wasm/sampling-relaxed.wasm";
import wasm from "softmax-wasm/softmax-relaxed.wasm";
import sparse from "softmax-wasm/sparse-relaxed.wasm";
import vocab from "softmax-wasm/vocab-relaxed.wasm";

export default {
  async fetch() {
    const sm = await init(wasm, { sources: { sampling, loss, sparse, attention, vocab } });
    const p = sm.softmax(new Float64Array([0, Math.log(3)]));
    const token = sm.sample([0, 50, 0], { seed: 1 });
    const again = initSync(wasm).logSumExp([0, 0]);
    let withoutSource;
    try {
      withoutSource = (await init()).backend;
    } catch (error) {
      withoutSource = `${error?.name}: ${error?.message}`;
    }
    return Response.json({ backend: sm.backend, p: Array.from(p), token, again, withoutSource });
  },
};
