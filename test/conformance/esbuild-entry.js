// Entry of the esbuild bundle (format esm, loader .wasm=file). init() fetches softmax.wasm
// beside the bundle, where the test copies it; the file loader's URLs go to init(url).
import * as api from "softmax-wasm";
import scalar from "softmax-wasm/softmax-scalar.wasm";
import simd from "softmax-wasm/softmax.wasm";
import { runInBrowser } from "./browser.js";

runInBrowser(api, { simd, scalar });
