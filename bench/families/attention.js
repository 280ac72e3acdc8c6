// The attention family: a decode step (1 query, 32 query heads over 8 kv heads, dim 128) at
// cache lengths 512, 4096 and 32,768, f32 and f16 keys/values, and a causal prefill of 512
// queries over 512 keys. A workload's data is the cache, keys then values ([length][8][128]
// each): its GB/s are of cache read, and a decode call is one token (tokens/s = 1e9 / ns per
// call). Contenders: our builds (the cache in WasmArrays, zero-copy), the JS backend and a
// plain JS loop (up to length 4096: seconds per call beyond), a plain SIMD sum over the same
// bytes, the memory limit (target: attend at length 32,768 at least 60% of its speed), and
// with the peers (Node, f32 decode): tfjs-backend-wasm's matMul + softmax + matMul, and
// onnxruntime's Attention operator (opset 23, grouped-query) in onnxruntime-web (wasm) and
// onnxruntime-node (native).

import { bytesField, intField, stringField } from "../peers/contenders.js";
import { setHalves, uniforms, workload } from "../workloads.js";

export const name = "attention";
const family = { name, defaultValues: "typical" };

const HEADS = 32;
const KV_HEADS = 8;
const DIM = 128;
const PREFILL = 512;

/** The workloads: decode at each length (f32; f16 too), the prefill; a quick run: decode at 4096, f32. */
export function workloads({ quick = false, core = false } = {}) {
  const decode = (dtype, length) =>
    workload(family, "attend", dtype, 2, length * KV_HEADS * DIM, {
      variant: `decode-${length}`,
      tags: ["decode"],
      queries: 1,
      length,
      label: `decode, ${HEADS} heads over ${KV_HEADS} kv heads, dim ${DIM}, ${length} keys: tokens/s = 1e9 / per call`,
    });
  if (quick) return [decode("f32", 4096)];
  if (core) return [];
  return [
    ...[512, 4096, 32768].flatMap((length) => [decode("f32", length), decode("f16", length)]),
    workload(family, "attend", "f32", 2, PREFILL * KV_HEADS * DIM, {
      variant: `prefill-${PREFILL}`,
      tags: ["prefill"],
      queries: PREFILL,
      length: PREFILL,
      label: `causal prefill of ${PREFILL} queries, ${HEADS}/${KV_HEADS} heads, dim ${DIM}`,
    }),
  ];
}

/** The queries of a workload: [queries][HEADS][DIM], uniform in [-1, 1). */
function queriesOf(w) {
  const next = uniforms(w.queries * 7919 + w.length);
  return Float32Array.from({ length: w.queries * HEADS * DIM }, () => 2 * next() - 1);
}

const optionsOf = (w) => ({ heads: HEADS, kvHeads: KV_HEADS, dim: DIM, causal: w.queries > 1 });

/** The plain JS loop: per query and head, scores, max, exps, weighted values (f64 arithmetic). */
function naiveAttention(q, k, v, out, queries, length, causal) {
  const group = HEADS / KV_HEADS;
  const scale = 1 / Math.sqrt(DIM);
  const scores = new Float64Array(length);
  for (let i = 0; i < queries; i++) {
    const end = causal ? length - queries + i + 1 : length;
    for (let h = 0; h < HEADS; h++) {
      const g = Math.floor(h / group);
      const qo = (i * HEADS + h) * DIM;
      let max = -Infinity;
      for (let j = 0; j < end; j++) {
        const ko = (j * KV_HEADS + g) * DIM;
        let s = 0;
        for (let d = 0; d < DIM; d++) s += q[qo + d] * k[ko + d];
        scores[j] = s * scale;
        if (scores[j] > max) max = scores[j];
      }
      const o = (i * HEADS + h) * DIM;
      for (let d = 0; d < DIM; d++) out[o + d] = 0;
      let sum = 0;
      for (let j = 0; j < end; j++) {
        const p = Math.exp(scores[j] - max);
        sum += p;
        const vo = (j * KV_HEADS + g) * DIM;
        for (let d = 0; d < DIM; d++) out[o + d] += p * v[vo + d];
      }
      for (let d = 0; d < DIM; d++) out[o + d] /= sum;
    }
  }
  return out;
}

/** Float64 reference: the same formula in f64 on the given values; s = max |v|. */
export function referenceOf(w, x) {
  const half = w.n / 2;
  let s = 0;
  for (let i = half; i < w.n; i++) s = Math.max(s, Math.abs(x[i]));
  const out = naiveAttention(queriesOf(w), x.subarray(0, half), x.subarray(half), new Float64Array(w.queries * HEADS * DIM), w.queries, w.length, w.queries > 1);
  return { out, s };
}

/** The contract's bound: |o - r| <= 2e-6 s, s = max |v|; the error in units of it. */
export function errorOf(w, got, reference) {
  const o = got?.array ?? got;
  const r = reference.out;
  if (o?.length !== r.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < r.length; i++) {
    const e = Math.abs(o[i] - r[i]) / (2e-6 * reference.s);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

const accepts = (w) => w.family === name;
/** The JS backend and the plain loop take seconds per call past this many keys. */
const JS_KEYS = 4096;
const small = (w) => accepts(w) && w.queries === 1 && w.length <= JS_KEYS;

/** A build's attend over a cache in WasmArrays (f16 ones for f16 workloads), out in a WasmArray. */
function ours({ name: build, kind, version, sm }) {
  return {
    name: kind === "baseline" ? build : `${build} zero-copy`,
    kind,
    version,
    // The scalar build is left out at 32,768 keys: it is far from the memory limit, and slow.
    accepts: kind === "baseline" ? small : (w) => accepts(w) && !(build === "wasm" && w.length > JS_KEYS),
    setup(w, inputs) {
      const arrays = [];
      const q = queriesOf(w);
      const half = w.n / 2;
      const fns = inputs.map((x) => {
        const cache = (values) => {
          if (kind === "baseline") return w.dtype === "f16" ? Float32Array.from(values) : values.slice();
          const a = sm.alloc(half, w.dtype);
          if (w.dtype === "f16") setHalves(a.array, values);
          else a.array.set(values);
          arrays.push(a);
          return a;
        };
        const keys = cache(x.subarray(0, half));
        const values = cache(x.subarray(half));
        const out = kind === "baseline" ? new Float32Array(q.length) : sm.alloc(q.length);
        if (kind !== "baseline") arrays.push(out);
        const opts = { ...optionsOf(w), out };
        return () => sm.attend(q, keys, values, opts);
      });
      return { fns, dispose: () => arrays.forEach((a) => a.free()) };
    },
  };
}

const naiveJs = {
  name: "naive-js",
  kind: "naive",
  version: "-",
  accepts: small,
  setup(w, inputs) {
    const q = queriesOf(w);
    const half = w.n / 2;
    const fns = inputs.map((x) => {
      const k = Float32Array.from(x.subarray(0, half));
      const v = Float32Array.from(x.subarray(half));
      const out = new Float32Array(q.length);
      return () => naiveAttention(q, k, v, out, w.queries, w.length, w.queries > 1);
    });
    return { fns, dispose() {} };
  },
};

/** The bench-only module's plain SIMD sum (build/opt/sum-bench*.wasm, its bytes) over the cache's bytes, in its own memory. */
function memoryLimit(bytes) {
  return {
    name: `SIMD sum (memory limit)`,
    kind: "reference",
    version: "-",
    accepts: (w) => accepts(w) && w.queries === 1,
    errorOf: (w, got) => (Number.isFinite(got) ? 0 : Infinity),
    setup(w, inputs) {
      const floats = w.bytes / 4; // the same bytes, read as f32
      const memory = new WebAssembly.Memory({ initial: Math.ceil((1024 + 4 * floats * inputs.length) / 65536) + 1 });
      const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
      const fns = inputs.map((x, c) => {
        const at = 1024 + c * 4 * floats;
        new Float32Array(memory.buffer, at, floats).fill(1);
        return () => exports.f32_sum(at, floats);
      });
      return { fns, dispose() {} };
    },
  };
}

/** A cache [length][KV_HEADS][DIM] in the peers' per-head layout [KV_HEADS][length][DIM], as Float32Array. */
function byHead(x, length) {
  const t = new Float32Array(x.length);
  for (let j = 0; j < length; j++) for (let g = 0; g < KV_HEADS; g++) t.set(x.subarray((j * KV_HEADS + g) * DIM, (j * KV_HEADS + g + 1) * DIM), (g * length + j) * DIM);
  return t;
}

/**
 * tfjs on its wasm backend (XNNPACK): per kv head, the scores of its 4 query heads by one
 * batched matMul against the keys, softmax, matMul with the values; the cache in tfjs's own
 * layout [kvHeads][length][dim] (set up once, as a tfjs user keeps it). Node only, from
 * bench/peers/node_modules.
 */
async function tfjs() {
  const { fileURLToPath } = await import("node:url");
  const { createRequire } = await import("node:module");
  const require = createRequire(new URL("../peers/package.json", import.meta.url));
  const tf = require("@tensorflow/tfjs-core");
  const wasm = require("@tensorflow/tfjs-backend-wasm");
  wasm.setWasmPaths(fileURLToPath(new URL("../peers/node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url)));
  wasm.setThreadsCount(1);
  if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') returned false");
  await tf.ready();
  const live = [];
  const group = HEADS / KV_HEADS;
  return {
    name: "tfjs-wasm",
    kind: "peer",
    version: require("@tensorflow/tfjs-backend-wasm/package.json").version,
    warmMs: 400,
    accepts: (w) => accepts(w) && w.queries === 1 && w.dtype === "f32",
    setup(w, inputs) {
      const q = tf.tensor3d(queriesOf(w), [KV_HEADS, group, DIM]);
      live.push(q);
      const half = w.n / 2;
      const fns = inputs.map((x) => {
        const k = tf.tensor3d(byHead(x.subarray(0, half), w.length), [KV_HEADS, w.length, DIM]);
        const v = tf.tensor3d(byHead(x.subarray(half), w.length), [KV_HEADS, w.length, DIM]);
        live.push(k, v);
        return () => {
          const out = tf.tidy(() => tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(DIM))), v));
          const data = out.dataSync();
          out.dispose();
          return data;
        };
      });
      return { fns, dispose: () => live.splice(0).forEach((tensor) => tensor.dispose()) };
    },
  };
}

/**
 * ONNX ModelProto bytes of Y = Attention(Q, K, V) (ai.onnx opset 23: 4-D inputs
 * [batch][heads][sequence][dim], kv heads fewer than query heads for grouped-query attention,
 * scale 1/sqrt(dim)), f32, for one decode step over `length` keys.
 */
function attentionModel(length) {
  const valueInfo = (name, shape) => {
    const dims = shape.flatMap((d) => bytesField(1, intField(1, d)));
    const tensorType = [...intField(1, 1), ...bytesField(2, dims)]; // elem_type 1: float
    return [...stringField(1, name), ...bytesField(2, bytesField(1, tensorType))];
  };
  const q = [1, HEADS, 1, DIM];
  const kv = [1, KV_HEADS, length, DIM];
  const node = ["Q", "K", "V"].flatMap((input) => stringField(1, input));
  node.push(...stringField(2, "Y"), ...stringField(3, "attention"), ...stringField(4, "Attention"));
  const graph = [
    ...bytesField(1, node),
    ...stringField(2, "attention"),
    ...bytesField(11, valueInfo("Q", q)),
    ...bytesField(11, valueInfo("K", kv)),
    ...bytesField(11, valueInfo("V", kv)),
    ...bytesField(12, valueInfo("Y", q)),
  ];
  // IR version 11 goes with opset 23, the first with the Attention operator.
  return Uint8Array.from([...intField(1, 11), ...stringField(2, "softmax-wasm-bench"), ...bytesField(7, graph), ...bytesField(8, intField(2, 23))]);
}

/** An onnxruntime flavour running attentionModel: the cache as tensors in its layout [1][kvHeads][length][dim], made once. */
function ortAttention({ ort, name, version, sessionOptions }) {
  const sessions = [];
  return {
    name,
    kind: "peer",
    version,
    async: true,
    warmMs: 400,
    accepts: (w) => accepts(w) && w.queries === 1 && w.dtype === "f32",
    async setup(w, inputs) {
      const session = await ort.InferenceSession.create(attentionModel(w.length), sessionOptions);
      sessions.push(session);
      const half = w.n / 2;
      const Q = new ort.Tensor("float32", queriesOf(w), [1, HEADS, 1, DIM]);
      const fns = inputs.map((x) => {
        const shape = [1, KV_HEADS, w.length, DIM];
        const K = new ort.Tensor("float32", byHead(x.subarray(0, half), w.length), shape);
        const V = new ort.Tensor("float32", byHead(x.subarray(half), w.length), shape);
        return async () => (await session.run({ Q, K, V })).Y.data;
      });
      return { fns, dispose: async () => { for (const s of sessions.splice(0)) await s.release(); } };
    },
  };
}

/** onnxruntime-web (its wasm build, one thread) and onnxruntime-node (native CPU, one thread), from bench/peers. */
async function ortPeers(log) {
  const { createRequire } = await import("node:module");
  const { readFileSync } = await import("node:fs");
  const require = createRequire(new URL("../peers/package.json", import.meta.url));
  const list = [];
  for (const [pkg, name, sessionOptions] of [
    ["onnxruntime-web", "ort-web-wasm", { executionProviders: ["wasm"], graphOptimizationLevel: "all" }],
    ["onnxruntime-node", "ort-node-cpu", { executionProviders: ["cpu"], graphOptimizationLevel: "all", intraOpNumThreads: 1, interOpNumThreads: 1 }],
  ]) {
    try {
      const ort = require(pkg);
      if (pkg === "onnxruntime-web") ort.env.wasm.numThreads = 1;
      const { version } = JSON.parse(readFileSync(new URL(`../peers/node_modules/${pkg}/package.json`, import.meta.url), "utf8"));
      list.push(ortAttention({ ort, name, version, sessionOptions }));
    } catch (error) {
      log(`${name} (attention): unavailable (${String(error?.message ?? error).split("\n")[0]})`);
    }
  }
  return list;
}

/** The family's contenders over `builds` ({ name, kind, version, sm }, see bench/contenders.js); `peers`: tfjs too, where it loads (Node). */
export async function contenders(builds, { peers = true, log = () => {} } = {}) {
  const list = builds.filter((b) => !b.name.startsWith("before:") || b.kind !== "baseline").map((b) => ours(b));
  list.push(naiveJs);
  const sum = new URL("../../build/opt/sum-bench.wasm", import.meta.url);
  try {
    // node:fs only outside browsers: a static import of it stops the page's bundle from loading.
    let bytes;
    if (globalThis.document) {
      const response = await fetch(sum);
      if (!response.ok) throw new Error(`${response.status}`);
      bytes = new Uint8Array(await response.arrayBuffer());
    } else bytes = (await import("node:fs")).readFileSync(sum);
    list.push(memoryLimit(bytes));
  } catch {
    log("SIMD sum (attention): build/opt/sum-bench.wasm missing (npm run build makes it)");
  }
  const isNode = typeof process !== "undefined" && process.release?.name === "node" && !globalThis.Deno && !globalThis.Bun;
  if (peers && isNode) {
    try {
      list.push(await tfjs());
    } catch (error) {
      log(`tfjs-wasm (attention): unavailable (${String(error?.message ?? error).split("\n")[0]})`);
    }
    list.push(...(await ortPeers(log)));
  }
  return list;
}
