// Peer contenders for the softmax benchmark: other libraries' softmax, set up the way
// their users would call it, one thread each, plus an independent naive JS loop.
//
// Each follows the benchmark's contender contract (bench/workloads.js):
//   { name, kind: "peer", version, accepts(w), async?, warmMs, setup(w, inputs), dispose? }
// accepts the softmax workloads of its dtypes; setup(w, inputs) does the one-time work for
// each copy of the input (tensors, sessions, output buffers) and returns { fns, dispose }:
// one zero-argument function per copy that computes softmax along each row of w.rowLength
// elements and returns the output as a typed array of x's type. Contenders with async: true
// return async functions (onnxruntime has no synchronous run). tfjs copies x into its own
// memory in setup(): set up again after changing x.

const here = new URL("./", import.meta.url);
/** In a browser: where the server puts bench/peers/node_modules (bench/engines.js serves the repository). */
const servedModules = globalThis.document ? new URL("/bench/peers/node_modules/", location.href) : undefined;
/** Package versions, read once (a browser fetches them). */
const versions = new Map();

/**
 * Loads every peer that works here (or those named in `only`); a peer that fails to load is
 * logged and left out.
 */
export async function loadPeers({ log = () => {}, only } = {}) {
  const peers = [];
  for (const [name, load] of loaders) {
    if (only && !only.includes(name)) continue;
    try {
      for (const pkg of PACKAGES[name] ?? []) versions.set(pkg, await readVersion(pkg));
      peers.push(contender(await load(log)));
    } catch (error) {
      log(`${name}: unavailable (${error.message})`);
    }
  }
  return peers;
}

/** The package whose version each peer reports. */
const PACKAGES = {
  "transformers-js": ["@huggingface/transformers"],
  "tfjs-wasm": ["@tensorflow/tfjs-backend-wasm"],
  "ort-web-wasm": ["onnxruntime-web"],
  "ort-node-cpu": ["onnxruntime-node"],
};

const loaders = [
  ["naive-js", loadNaiveJs],
  ["transformers-js", loadTransformers],
  ["tfjs-wasm", loadTfjsWasm],
  ["ort-web-wasm", loadOrtWeb],
  ["ort-node-cpu", loadOrtNode],
];

/**
 * The contract's contender over a peer's prepare(x, rowLength), which returns the function
 * for one input. onnxruntime-web needs thousands of calls before V8 tiers its wasm up and
 * the JS peers need the JIT: warmMs gives them longer than the suite's default.
 */
function contender(peer) {
  return {
    ...peer,
    warmMs: 400,
    accepts: (w) => w.op === "softmax" && peer.dtypes.includes(w.dtype),
    async setup(w, inputs) {
      const fns = [];
      for (const x of inputs) fns.push(await peer.prepare(x, w.rowLength));
      return { fns, dispose: async () => peer.dispose?.() };
    },
  };
}

async function readVersion(name) {
  if (servedModules) return (await (await fetch(new URL(`${name}/package.json`, servedModules))).json()).version;
  const { readFileSync } = await import("node:fs");
  return JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, here), "utf8")).version;
}

function packageVersion(name) {
  return versions.get(name);
}

const dtypeOf = (x) =>
  x instanceof Float32Array ? "f32" : x instanceof Float64Array ? "f64" : String(x?.constructor?.name);

/** Checks the arguments every prepare() shares and returns the number of rows. */
function checkInput(contender, x, rowLength) {
  const dtype = dtypeOf(x);
  if (!contender.dtypes.includes(dtype)) {
    throw new TypeError(`${contender.name} supports ${contender.dtypes.join(", ")}, not ${dtype}`);
  }
  if (!Number.isInteger(rowLength) || rowLength < 1 || x.length % rowLength !== 0) {
    throw new RangeError(`rowLength must divide the input length (got ${rowLength} for ${x.length})`);
  }
  return x.length / rowLength;
}

// The textbook three loops, each row in float64 arithmetic: max, exp(x - max) and its sum,
// then a division. Independent of the library under test, so it can serve as a floor.
function naiveSoftmaxRows(x, out, rowLength) {
  for (let start = 0; start < x.length; start += rowLength) {
    const end = start + rowLength;
    let max = -Infinity;
    for (let i = start; i < end; i++) if (x[i] > max) max = x[i];
    let sum = 0;
    for (let i = start; i < end; i++) {
      const e = Math.exp(x[i] - max);
      out[i] = e;
      sum += e;
    }
    for (let i = start; i < end; i++) out[i] /= sum;
  }
  return out;
}

async function loadNaiveJs() {
  const contender = {
    name: "naive-js",
    kind: "peer",
    version: "-",
    dtypes: ["f32", "f64"],
    async prepare(x, rowLength) {
      checkInput(contender, x, rowLength);
      const out = new x.constructor(x.length);
      return () => naiveSoftmaxRows(x, out, rowLength);
    },
  };
  return contender;
}

// transformers.js exports its plain-JS softmax(arr) (src/utils/maths.js) for one array;
// rows are fed one at a time, as its own callers do.
async function loadTransformers() {
  const { softmax } = await import("@huggingface/transformers");
  const contender = {
    name: "transformers-js",
    kind: "peer",
    version: packageVersion("@huggingface/transformers"),
    dtypes: ["f32", "f64"],
    async prepare(x, rowLength) {
      const rows = checkInput(contender, x, rowLength);
      if (rows === 1) return () => softmax(x);
      const inputs = Array.from({ length: rows }, (_, r) => x.subarray(r * rowLength, (r + 1) * rowLength));
      const out = new x.constructor(x.length);
      return () => {
        for (let r = 0; r < rows; r++) out.set(softmax(inputs[r]), r * rowLength);
        return out;
      };
    },
  };
  return contender;
}

/**
 * transformers.js's own next-token step, for the sampling family (bench/families/sampling.js):
 * its exported LogitsProcessorList, RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper,
 * Tensor, GenerationConfig and seeded `random`, and LogitsSampler.getSampler (its
 * MultinomialSampler), which the package does not export: loaded from the package's own src/,
 * the code its bundle is built from. Node only here: its top-k is an onnxruntime TopK node
 * (onnxruntime-node), which a page would have to load from onnxruntime-web.
 */
export async function loadTransformersGeneration() {
  const isNode = typeof process !== "undefined" && process.release?.name === "node" && !globalThis.Deno && !globalThis.Bun;
  if (servedModules || !isNode) throw new Error("the sampling peer runs in Node only (its top-k is an onnxruntime-node TopK)");
  const lib = await import("@huggingface/transformers");
  const { LogitsSampler } = await import(new URL("node_modules/@huggingface/transformers/src/generation/logits_sampler.js", here).href);
  return { lib, LogitsSampler, version: await readVersion("@huggingface/transformers") };
}

// tfjs-backend-wasm runs softmax in XNNPACK. In Node it never uses threads (the threaded
// build is browser-only); setThreadsCount(1) makes the XNNPACK pool single-threaded too.
async function loadTfjsWasm(log) {
  const tf = await import("@tensorflow/tfjs-core");
  const wasmBackend = await import("@tensorflow/tfjs-backend-wasm");
  const dist = "@tensorflow/tfjs-backend-wasm/dist/";
  if (servedModules) wasmBackend.setWasmPaths(new URL(dist, servedModules).href);
  else {
    const { fileURLToPath } = await import("node:url");
    wasmBackend.setWasmPaths(fileURLToPath(new URL(`node_modules/${dist}`, here)));
  }
  wasmBackend.setThreadsCount(1);
  if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') returned false");
  await tf.ready();
  log(`tfjs-wasm: backend ${tf.getBackend()}, ${wasmBackend.getThreadsCount()} thread(s)`);
  const live = new Set();
  const contender = {
    name: "tfjs-wasm",
    kind: "peer",
    version: packageVersion("@tensorflow/tfjs-backend-wasm"),
    dtypes: ["f32"],
    async prepare(x, rowLength) {
      const rows = checkInput(contender, x, rowLength);
      const input = tf.tensor2d(x, [rows, rowLength], "float32");
      live.add(input);
      return () => {
        const y = tf.softmax(input);
        const values = y.dataSync();
        y.dispose();
        return values;
      };
    },
    dispose() {
      for (const tensor of live) tensor.dispose();
      live.clear();
    },
  };
  return contender;
}

// --- ONNX: a one-node Softmax model, encoded by hand (protobuf wire format) -------------

const ONNX_FLOAT = 1;
const ONNX_DOUBLE = 11;
const ATTRIBUTE_INT = 2;

// Negative int64 values (axis = -1) are sent as their 64-bit two's complement: 10 bytes.
function varint(value) {
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return bytes;
}

/** Protobuf fields (wire format): a varint, a length-delimited run of bytes, a string; also for bench/families/attention.js's model. */
export const intField = (field, value) => [...varint(field << 3), ...varint(value)];
export const bytesField = (field, bytes) => [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes];
export const stringField = (field, text) => bytesField(field, [...new TextEncoder().encode(text)]);

/** ONNX ModelProto bytes for y = Softmax(x, axis = -1), x and y of the given shape. */
export function softmaxModel(shape, elemType) {
  // ValueInfoProto { name = 1, type = 2: TypeProto { tensor_type = 1: { elem_type = 1, shape = 2 } } }
  const dims = shape.flatMap((d) => bytesField(1, intField(1, d)));
  const tensorType = [...intField(1, elemType), ...bytesField(2, dims)];
  const valueInfo = (name) => [...stringField(1, name), ...bytesField(2, bytesField(1, tensorType))];
  // AttributeProto { name = 1, i = 3, type = 20 }
  const axis = [...stringField(1, "axis"), ...intField(3, -1), ...intField(20, ATTRIBUTE_INT)];
  // NodeProto { input = 1, output = 2, name = 3, op_type = 4, attribute = 5 }
  const node = [
    ...stringField(1, "x"),
    ...stringField(2, "y"),
    ...stringField(3, "softmax"),
    ...stringField(4, "Softmax"),
    ...bytesField(5, axis),
  ];
  // GraphProto { node = 1, name = 2, input = 11, output = 12 }
  const graph = [
    ...bytesField(1, node),
    ...stringField(2, "softmax"),
    ...bytesField(11, valueInfo("x")),
    ...bytesField(12, valueInfo("y")),
  ];
  // ModelProto { ir_version = 1, producer_name = 2, graph = 7, opset_import = 8 { version = 2 } }
  // IR version 7 goes with opset 13, the first where Softmax works on one axis only.
  const model = [
    ...intField(1, 7),
    ...stringField(2, "softmax-wasm-bench"),
    ...bytesField(7, graph),
    ...bytesField(8, intField(2, 13)),
  ];
  return Uint8Array.from(model);
}

/**
 * A contender over an onnxruntime flavour: one session per prepared shape. With
 * preallocateOutput the session writes into a tensor made once in prepare(); onnxruntime-web
 * 1.30 leaves such CPU outputs unwritten (all zeros: microsoft/onnxruntime#25786), so there
 * each run allocates its output.
 */
function ortContender({ ort, name, version, sessionOptions, preallocateOutput }) {
  const sessions = new Set();
  const contender = {
    name,
    kind: "peer",
    version,
    dtypes: ["f32", "f64"],
    async: true,
    async prepare(x, rowLength) {
      const rows = checkInput(contender, x, rowLength);
      const f32 = x instanceof Float32Array;
      const model = softmaxModel([rows, rowLength], f32 ? ONNX_FLOAT : ONNX_DOUBLE);
      const session = await ort.InferenceSession.create(model, sessionOptions);
      sessions.add(session);
      const type = f32 ? "float32" : "float64";
      const feeds = { x: new ort.Tensor(type, x, [rows, rowLength]) };
      if (!preallocateOutput) return async () => (await session.run(feeds)).y.data;
      const fetches = { y: new ort.Tensor(type, new x.constructor(x.length), [rows, rowLength]) };
      return async () => (await session.run(feeds, fetches)).y.data;
    },
    async dispose() {
      for (const session of sessions) await session.release();
      sessions.clear();
    },
  };
  return contender;
}

async function loadOrtWeb(log) {
  const ort = await import("onnxruntime-web");
  ort.env.wasm.numThreads = 1;
  if (servedModules) ort.env.wasm.wasmPaths = new URL("onnxruntime-web/dist/", servedModules).href;
  ort.env.logLevel = "error";
  log(`ort-web-wasm: env.wasm.numThreads = ${ort.env.wasm.numThreads}`);
  return ortContender({
    ort,
    name: "ort-web-wasm",
    version: packageVersion("onnxruntime-web"),
    sessionOptions: { executionProviders: ["wasm"], graphOptimizationLevel: "all" },
    preallocateOutput: false,
  });
}

async function loadOrtNode() {
  const ort = await import("onnxruntime-node");
  return ortContender({
    ort,
    name: "ort-node-cpu",
    version: packageVersion("onnxruntime-node"),
    sessionOptions: {
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: "sequential",
    },
    preallocateOutput: true,
  });
}
