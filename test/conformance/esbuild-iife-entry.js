// An esbuild bundle in iife format, where import.meta is empty: init() cannot locate the
// binary and says so (a rejected promise), while init(url) with the file loader's URL works.
import { init } from "softmax-wasm";
import simd from "softmax-wasm/softmax.wasm";

(async () => {
  const report = {};
  try {
    report.withoutSource = (await init()).backend;
  } catch (error) {
    report.withoutSource = `${error?.name}: ${error?.message}`;
  }
  const sm = await init(simd);
  report.backend = sm.backend;
  report.p = Array.from(sm.softmax(new Float64Array([0, Math.log(3)])));
  window.conformance = report;
})().catch((error) => (window.conformance = { error: String(error) }));
