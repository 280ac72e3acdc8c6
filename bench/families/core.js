// The core family: softmax, logSoftmax, logSumExp and the online accumulator, on one row of
// 16 to 2^24 elements, batches of rows and shapes of values, in f32 and f64; contenders: our
// builds (zero-copy and copying API), the JS backend, naive loops, library peers (softmax)
// and memory copies of the same bytes (the bandwidth a softmax cannot beat).

import * as naive from "../naive.js";
import { loadPeers } from "../peers/contenders.js";
import { chunksOf, setHalves, workload } from "../workloads.js";

export const name = "core";
const defaultValues = "typical";
const family = { name, defaultValues };

/** One row of n elements: powers of 4 from 16 to 2^24, and 32000 (a common vocabulary). */
export const ROW_SIZES = [16, 64, 256, 1024, 4096, 16384, 32000, 65536, 2 ** 18, 2 ** 20, 2 ** 22, 2 ** 24];
const QUICK_ROW_SIZES = [16, 4096, 32000, 2 ** 20];
/** The rows of a core run (every runtime but the primary one): the README's speed table. */
const CORE_ROW_SIZES = [16, 4096, 32000, 2 ** 20, 2 ** 24];
/** Batches of short rows: mixture-of-experts routers (8 experts), short attention rows. */
const SHORT_ROWS = [
  [8192, 8],
  [2048, 32],
];
/** f16 rows beside the f32 ones: an LLM vocabulary in cache, and a row bound by memory. */
const F16_ROW_SIZES = [32000, 2 ** 22];
/** The row of the value-shape workloads: an LLM vocabulary. */
const VALUES_ROW = 32000;
const SHAPES = ["confident", "flat", "masked"];

const writesArray = (op) => op === "softmax" || op === "logSoftmax";
const core = (op, dtype, rows, rowLength, extra) => workload(family, op, dtype, rows, rowLength, { writes: writesArray(op), ...extra });

/** The workloads of a full run, or of a quick one, or of a core one (f32 softmax, and its confident row). */
export function workloads({ quick = false, core: coreRun = false } = {}) {
  const list = [];
  const shortRows = () => {
    for (const [rows, k] of SHORT_ROWS) list.push(core("softmax", "f32", rows, k, { tags: ["short"], label: `a batch of ${rows} rows of ${k}` }));
  };
  /** The same row of VALUES_ROW with other shapes of values (the typical one is a row workload). */
  const shapes = (op, which) => {
    for (const values of which) list.push(core(op, "f32", 1, VALUES_ROW, { values, tags: ["values"] }));
  };
  if (coreRun) {
    for (const n of CORE_ROW_SIZES) list.push(core("softmax", "f32", 1, n, { tags: ["row"] }));
    shapes("softmax", ["confident"]);
    shortRows();
    return list;
  }
  const sizes = quick ? QUICK_ROW_SIZES : ROW_SIZES;
  for (const dtype of quick ? ["f32"] : ["f32", "f64"]) {
    const llm = (n) => dtype === "f32" && n === 32000;
    for (const n of sizes) list.push(core("softmax", dtype, 1, n, { tags: llm(n) ? ["row", "llm"] : ["row"] }));
  }
  shapes("softmax", quick ? ["confident"] : SHAPES);
  if (!quick) for (const n of F16_ROW_SIZES) list.push(core("softmax", "f16", 1, n, { tags: ["row", "f16"] }));
  if (!quick) {
    list.push(core("softmax", "f32", 8, 128256, { tags: ["llm"], label: "LLM logits, batch of 8 (Llama 3 vocabulary)" }));
    list.push(core("softmax", "f32", 4096, 128, { tags: ["attention"], label: "attention scores, 4096 rows of 128" }));
    list.push(core("softmax", "f32", 512, 1024, { tags: ["attention"], label: "attention scores, 512 rows of 1024" }));
  }
  shortRows();
  for (const n of quick ? [4096] : [4096, 32000, 2 ** 20]) list.push(core("logSoftmax", "f32", 1, n, { tags: ["logSoftmax"] }));
  if (!quick) shapes("logSoftmax", SHAPES);
  for (const n of quick ? [16, 4096, 2 ** 20] : [16, 4096, 32000, 2 ** 20]) list.push(core("logSumExp", "f32", 1, n, { tags: ["logSumExp"] }));
  if (!quick) shapes("logSumExp", SHAPES);
  // f64 beside softmax's rows: a log-softmax and a LogSumExp of an LLM row.
  if (!quick) for (const op of ["logSoftmax", "logSumExp"]) list.push(core(op, "f64", 1, 32000, { tags: [op] }));
  list.push(core("online", "f32", 1, 2 ** 20, { chunk: 4096, tags: ["online"], label: "online push of 2^20 in chunks of 4096, then logSumExp()" }));
  if (!quick) {
    // The online accumulator on the row of the value shapes, each shape against the typical one.
    for (const values of ["typical", ...SHAPES]) {
      list.push(core("online", "f32", 1, VALUES_ROW, { chunk: 4096, values, tags: ["online", "values"], label: "online push of 32000 in chunks of 4096, then logSumExp()" }));
    }
  }
  return list;
}

/** A sum of exp(values - shift) in float64 with Neumaier's compensation (a plain one drifts by ~1e-12 at 2^24). */
function compensatedSum(values, start, end, shift) {
  let sum = 0;
  let lost = 0;
  for (let i = start; i < end; i++) {
    const v = Math.exp(values[i] - shift);
    const t = sum + v;
    lost += Math.abs(sum) >= v ? sum - t + v : v - t + sum;
    sum = t;
  }
  return sum + lost;
}

/** Float64 reference output: an array (softmax, logSoftmax) or a number (logSumExp, online). */
export function referenceOf(w, x) {
  const out = new Float64Array(writesArray(w.op) ? w.n : 1);
  for (let r = 0; r < w.rows; r++) {
    const start = r * w.rowLength;
    const end = start + w.rowLength;
    let max = -Infinity;
    for (let i = start; i < end; i++) if (x[i] > max) max = x[i];
    const sum = compensatedSum(x, start, end, max);
    if (w.op === "softmax") for (let i = start; i < end; i++) out[i] = Math.exp(x[i] - max) / sum;
    else if (w.op === "logSoftmax") for (let i = start; i < end; i++) out[i] = x[i] - max - Math.log(sum);
    else out[0] = max + Math.log(sum);
  }
  return writesArray(w.op) ? out : out[0];
}

/** The accuracy contract of the README: |y - r| <= rel * r + abs (softmax), or rel * (1 + |r|). */
const CONTRACT = {
  softmax: { f32: { rel: 2e-6, abs: 1e-9 }, f64: { rel: 5e-14, abs: 1e-18 } },
  log: { f32: { rel: 1e-6 }, f64: { rel: 1e-14 } },
};

/**
 * The largest error of `got` against the reference in units of the contract's bound: at
 * most 1 means within the accuracy softmax-wasm promises; NaN or a wrong length is Infinity.
 * Equal values (-Infinity of a masked element included) are no error.
 */
export function errorOf(w, got, reference) {
  const values = typeof got === "number" ? [got] : (got?.array ?? got);
  const expected = typeof reference === "number" ? [reference] : reference;
  if (!values || values.length !== expected.length) return Infinity;
  const bound =
    w.op === "softmax"
      ? (r) => CONTRACT.softmax[outDtype(w)].rel * r + CONTRACT.softmax[outDtype(w)].abs
      : (r) => CONTRACT.log[outDtype(w)].rel * (1 + Math.abs(r));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    if (values[i] === expected[i]) continue;
    const e = Math.abs(values[i] - expected[i]) / bound(expected[i]);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

const Typed = { f32: Float32Array, f64: Float64Array, f16: globalThis.Float16Array };
const accepts = (w) => w.family === name;
/** f16 input gives f32 output. */
const outDtype = (w) => (w.dtype === "f16" ? "f32" : w.dtype);
/** Contenders over plain typed arrays take f16 only where the runtime has a Float16Array. */
const acceptsTyped = (w) => accepts(w) && Typed[w.dtype] !== undefined;

/** A function that runs the workload's operation on x (for online: an array of chunks) with the API. */
function apiCall(sm, w, x, out) {
  const opts = w.rows > 1 ? { rowLength: w.rowLength, out } : { out };
  if (w.op === "softmax") return () => sm.softmax(x, opts);
  if (w.op === "logSoftmax") return () => sm.logSoftmax(x, opts);
  if (w.op === "logSumExp") return () => sm.logSumExp(x);
  const acc = sm.online();
  return () => {
    acc.reset();
    for (const chunk of x) acc.push(chunk);
    return acc.logSumExp();
  };
}

/** The zero-copy contender of a build: WasmArrays in its memory, in and out. */
function zeroCopy({ name: build, kind, version, sm }) {
  return {
    name: `${build} zero-copy`,
    kind,
    version,
    accepts,
    setup(w, inputs) {
      const arrays = [];
      const wasmArray = (values) => {
        const a = sm.alloc(values.length, w.dtype);
        if (w.dtype === "f16") setHalves(a.array, values);
        else a.array.set(values);
        arrays.push(a);
        return a;
      };
      const fns = inputs.map((x) => {
        if (w.op === "online") return apiCall(sm, w, chunksOf(x, w.chunk).map(wasmArray));
        const out = writesArray(w.op) ? sm.alloc(w.n, outDtype(w)) : undefined;
        if (out) arrays.push(out);
        return apiCall(sm, w, wasmArray(x), out);
      });
      return { fns, dispose: () => arrays.forEach((a) => a.free()) };
    },
  };
}

/** The copying API of a build (or of the JS backend): typed arrays in, a preallocated out. */
function copying({ name: build, kind, version, sm }) {
  return {
    name: kind === "baseline" ? build : `${build} copy`,
    kind,
    version,
    accepts: acceptsTyped,
    setup(w, inputs) {
      const fns = inputs.map((values) => {
        const x = w.dtype === "f16" ? Typed.f16.from(values) : values;
        if (w.op === "online") return apiCall(sm, w, chunksOf(x, w.chunk));
        return apiCall(sm, w, x, writesArray(w.op) ? new Typed[outDtype(w)](w.n) : undefined);
      });
      return { fns, dispose() {} };
    },
  };
}

/**
 * The allocating API of the best build: typed arrays in, no `out` (a new result array each
 * call, as the shortest call is written). Softmax of the llm shapes only: what the fresh
 * array costs (its pages are touched for the first time by the copy out) next to `copy`.
 */
function allocating({ name: build, kind, version, sm }) {
  return {
    name: `${build} allocating`,
    kind,
    version,
    accepts: (w) => accepts(w) && w.op === "softmax" && w.tags.includes("llm"),
    setup(w, inputs) {
      return { fns: inputs.map((x) => apiCall(sm, w, x, undefined)), dispose() {} };
    },
  };
}

/** The naive JS loops: the naive-js peer for softmax, naive.js for the other operations. */
function naiveLoops(naiveSoftmax) {
  return {
    name: "naive-js",
    kind: "naive",
    version: "-",
    accepts: (w) => accepts(w) && w.dtype !== "f16",
    setup(w, inputs) {
      if (w.op === "softmax") return naiveSoftmax.setup(w, inputs);
      const fns = inputs.map((x) => {
        if (w.op === "logSoftmax") {
          const out = new Typed[w.dtype](w.n);
          return () => naive.logSoftmax(x, out, w.rowLength);
        }
        if (w.op === "logSumExp") return () => naive.logSumExp(x);
        const chunks = chunksOf(x, w.chunk);
        return () => naive.onlineLogSumExp(chunks);
      });
      return { fns, dispose() {} };
    },
  };
}

// (module (memory (export "memory") 1)
//   (func (export "copy") (param $dst i32) (param $src i32) (param $bytes i32)
//     (memory.copy (local.get $dst) (local.get $src) (local.get $bytes))))
const MEMORY_COPY_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x07, 0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00, // type: (i32, i32, i32) -> ()
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x05, 0x03, 0x01, 0x00, 0x01, // memory: min 1 page
  0x07, 0x11, 0x02, // two exports
  0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, // "memory": memory 0
  0x04, 0x63, 0x6f, 0x70, 0x79, 0x00, 0x00, // "copy": function 0
  0x0a, 0x0e, 0x01, 0x0c, 0x00, // code: one body of 12 bytes, no locals
  0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfc, 0x0a, 0x00, 0x00, 0x0b, // local.get 0 1 2; memory.copy 0 0; end
]);

/** A copy must give back the input, value for value. */
function sameValues(w, got, x) {
  if (got.length !== x.length) return Infinity;
  for (let i = 0; i < x.length; i++) if (!Object.is(got[i], x[i])) return Infinity;
  return 0;
}

/** The bandwidth references: the same bytes copied once, by TypedArray.set and by wasm memory.copy. */
function memoryCopies() {
  const copies = (w) => accepts(w) && writesArray(w.op) && w.dtype !== "f16";
  const typedArraySet = {
    name: "copy: TypedArray.set",
    kind: "reference",
    version: "-",
    accepts: copies,
    errorOf: sameValues,
    setup(w, inputs) {
      const fns = inputs.map((x) => {
        const out = new Typed[w.dtype](w.n);
        return () => {
          out.set(x);
          return out;
        };
      });
      return { fns, dispose() {} };
    },
  };
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(MEMORY_COPY_MODULE));
  const wasmMemoryCopy = {
    name: "copy: wasm memory.copy",
    kind: "reference",
    version: "-",
    accepts: copies,
    errorOf: sameValues,
    setup(w, inputs) {
      const bytes = w.n * inputs[0].BYTES_PER_ELEMENT;
      const needed = inputs.length * 2 * bytes;
      if (exports.memory.buffer.byteLength < needed) {
        exports.memory.grow(Math.ceil((needed - exports.memory.buffer.byteLength) / 65536));
      }
      const fns = inputs.map((x, k) => {
        const src = 2 * k * bytes;
        const dst = src + bytes;
        new Uint8Array(exports.memory.buffer, src, bytes).set(new Uint8Array(x.buffer, x.byteOffset, bytes));
        // The memory grows only above, in setup, so this view stays attached while timed.
        const out = new Typed[w.dtype](exports.memory.buffer, dst, w.n);
        return () => {
          exports.copy(dst, src, bytes);
          return out;
        };
      });
      return { fns, dispose() {} };
    },
  };
  return [typedArraySet, wasmMemoryCopy];
}

/**
 * The family's contenders over `builds` ({ name, kind, version, sm }: our wasm builds and the
 * JS backend, see bench/contenders.js): each wasm build zero-copy and copying, the JS backend
 * copying, then naive-js, the library peers (`peers`: load them, `only`: those named) and
 * the memory copies. log(message) reports a peer left out and why.
 */
export async function contenders(builds, { peers = true, only, log = () => {} } = {}) {
  const list = builds.flatMap((b) => (b.kind === "baseline" ? [copying(b)] : [zeroCopy(b), copying(b)]));
  const best = builds.find((b) => b.kind === "softmax-wasm");
  if (best) list.push(allocating(best));
  const loaded = await loadPeers({ log, only: peers ? only : ["naive-js"] });
  for (const p of loaded) list.push(p.name === "naive-js" ? naiveLoops(p) : p);
  list.push(...memoryCopies());
  return list;
}
