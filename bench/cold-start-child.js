// One cold start, in a fresh process: `node bench/cold-start-child.js <subject>` prints
// { load, init, first, total, sinceStart } in ms as JSON. load: importing the library (for
// peers: loadPeers, which also sets up their backend); init: init() with the build's file
// (for peers: prepare, i.e. tensors or an ONNX session for the shape); first: the first
// softmax of one f32 row of 4096; total: the three; sinceStart: process start to the first
// result, Node's own start-up included. The input is made before the clock starts.
import "./relaxed-flag.js";
import { logits } from "./harness.js";

const subject = process.argv[2];
const x = logits(4096);
const out = new Float32Array(x.length);
const builds = { "wasm-relaxed-simd": "softmax-relaxed.wasm", "wasm-simd": "softmax.wasm", wasm: "softmax-scalar.wasm" };

const t0 = performance.now();
let t1 = t0;
let t2 = t0;
if (subject === "node") {
  // Node's start-up alone: the floor under every other subject's sinceStart.
} else if (subject in builds) {
  const { init } = await import("../dist/node.js"); // the entry Node resolves
  t1 = performance.now();
  const sm = await init(new URL(`../dist/${builds[subject]}`, import.meta.url));
  t2 = performance.now();
  if (sm.backend !== subject) throw new Error(`init() gave ${sm.backend}, not ${subject}`);
  sm.softmax(x, { out });
} else {
  const { loadPeers } = await import("./peers/contenders.js");
  const [peer] = await loadPeers({ only: [subject] });
  if (!peer) throw new Error(`${subject} did not load`);
  t1 = performance.now();
  const { fns } = await peer.setup({ op: "softmax", dtype: "f32", rows: 1, rowLength: x.length, n: x.length }, [x]);
  t2 = performance.now();
  await fns[0]();
}
const t3 = performance.now();
console.log(JSON.stringify({ load: t1 - t0, init: t2 - t1, first: t3 - t2, total: t3 - t0, sinceStart: t3 }));
