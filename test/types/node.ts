// Loading in a Node project (@types/node, no lib dom): bytes read from disk, a file URL, a fetch.
import { readFile } from "node:fs/promises";
import { init, initSync } from "softmax-wasm";

const url = new URL(import.meta.resolve("softmax-wasm/softmax.wasm"));
const bytes = await readFile(url);
initSync(bytes);
await init(url);
await init(fetch(url));
