// Entry of the Vite bundle (vite.html). Vite emits the softmax.wasm that init() finds through
// new URL("./softmax.wasm", import.meta.url); ?url gives the URLs that go to init(url).
import * as api from "softmax-wasm";
import scalar from "softmax-wasm/softmax-scalar.wasm?url";
import simd from "softmax-wasm/softmax.wasm?url";
import { runInBrowser } from "./browser.js";

runInBrowser(api, { simd, scalar });
