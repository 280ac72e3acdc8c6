// Loading in a browser project (lib dom): a Response, a promise of one, a URL, a compiled module.
import { init, initSync } from "softmax-wasm";

await init(fetch("/softmax.wasm"));
await init(await fetch("/softmax.wasm"));
await init(new URL("/softmax.wasm", location.href));
const module = await WebAssembly.compileStreaming(fetch("/softmax.wasm"));
await init(module);
initSync(module);
