// benchmark() in a module Web Worker: the options come in, the table (or the error) goes out.
import { benchmark } from "/node_modules/softmax-wasm/dist/bench/index.js";

self.onmessage = async (event) => {
  try {
    self.postMessage(await benchmark(event.data));
  } catch (error) {
    self.postMessage({ error: String(error?.stack ?? error) });
  }
};
