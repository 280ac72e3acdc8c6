// Everything the suite times, behind one interface:
//   { name, kind, version, ops, dtypes, async?, warmMs?, setup(workload, inputs) }
// setup returns { fns, dispose } with one zero-argument function per copy of the input
// (see ROTATION in workloads.js); each computes the workload's result and returns it.
// kind: "softmax-wasm" (our builds, zero-copy and copying API), "baseline" (our pure JS
// backend), "naive" (textbook JS loops), "peer" (other libraries, softmax only) and
// "reference" (memory copies of the same data: the bandwidth a softmax cannot beat).

import { initSync, js } from "../dist/index.js";
import * as naive from "./naive.js";
import { loadPeers } from "./peers/contenders.js";
import { chunksOf } from "./workloads.js";

const OPS = ["softmax", "logSoftmax", "logSumExp", "online"];
const DTYPES = ["f32", "f64"];
const Typed = { f32: Float32Array, f64: Float64Array };
let PACKAGE_VERSION = "";

/** A file of the repository, as bytes: read from disk (Node, Deno, Bun), else fetched (browsers). */
export async function readRepoFile(path) {
  const url = new URL(`../${path}`, import.meta.url);
  if (url.protocol === "file:") {
    const { readFileSync } = await import("node:fs");
    return new Uint8Array(readFileSync(url));
  }
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}

/** The bundled builds, best first, as in init(). */
export const BUILDS = [
  { backend: "wasm-relaxed-simd", file: "softmax-relaxed.wasm" },
  { backend: "wasm-simd", file: "softmax.wasm" },
  { backend: "wasm", file: "softmax-scalar.wasm" },
];

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

const writesArray = (w) => w.op === "softmax" || w.op === "logSoftmax";

/** The zero-copy contender of a build: WasmArrays in its memory, in and out. */
function zeroCopy(name, sm) {
  return {
    name: `${name} zero-copy`,
    kind: "softmax-wasm",
    version: PACKAGE_VERSION,
    ops: OPS,
    dtypes: DTYPES,
    setup(w, inputs) {
      const arrays = [];
      const wasmArray = (values) => {
        const a = sm.alloc(values.length, w.dtype);
        a.array.set(values);
        arrays.push(a);
        return a;
      };
      const fns = inputs.map((x) => {
        if (w.op === "online") return apiCall(sm, w, chunksOf(x, w.chunk).map(wasmArray));
        const out = writesArray(w) ? sm.alloc(w.n, w.dtype) : undefined;
        if (out) arrays.push(out);
        return apiCall(sm, w, wasmArray(x), out);
      });
      return { fns, dispose: () => arrays.forEach((a) => a.free()) };
    },
  };
}

/** The copying API of a build (or of the JS backend): typed arrays in, a preallocated out. */
function copying(name, sm, kind) {
  return {
    name,
    kind,
    version: PACKAGE_VERSION,
    ops: OPS,
    dtypes: DTYPES,
    setup(w, inputs) {
      const fns = inputs.map((x) => {
        if (w.op === "online") return apiCall(sm, w, chunksOf(x, w.chunk));
        return apiCall(sm, w, x, writesArray(w) ? new Typed[w.dtype](w.n) : undefined);
      });
      return { fns, dispose() {} };
    },
  };
}

/** The naive JS loops: the naive-js peer for softmax, naive.js for the other operations. */
function naiveLoops(naiveSoftmax) {
  return {
    name: "naive-js",
    kind: "naive",
    version: "-",
    ops: OPS,
    dtypes: DTYPES,
    async setup(w, inputs) {
      const fns = [];
      for (const x of inputs) {
        if (w.op === "softmax") fns.push(await naiveSoftmax.prepare(x, w.rowLength));
        else if (w.op === "logSoftmax") {
          const out = new Typed[w.dtype](w.n);
          fns.push(() => naive.logSoftmax(x, out, w.rowLength));
        } else if (w.op === "logSumExp") fns.push(() => naive.logSumExp(x));
        else {
          const chunks = chunksOf(x, w.chunk);
          fns.push(() => naive.onlineLogSumExp(chunks));
        }
      }
      return { fns, dispose() {} };
    },
  };
}

/** A library peer (softmax only), prepared once per copy of the input. */
function peer(p) {
  return {
    name: p.name,
    kind: "peer",
    version: p.version,
    ops: ["softmax"],
    dtypes: p.dtypes,
    async: p.async === true,
    // onnxruntime-web needs thousands of calls before V8 tiers its wasm up; the JS peers need the JIT.
    warmMs: 400,
    async setup(w, inputs) {
      const fns = [];
      for (const x of inputs) fns.push(await p.prepare(x, w.rowLength));
      return { fns, dispose: async () => p.dispose?.() };
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

/** The bandwidth references: the same bytes copied once, by TypedArray.set and by wasm memory.copy. */
function memoryCopies() {
  const ops = ["softmax", "logSoftmax"];
  const typedArraySet = {
    name: "copy: TypedArray.set",
    kind: "reference",
    version: "-",
    ops,
    dtypes: DTYPES,
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
    ops,
    dtypes: DTYPES,
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
 * Every contender that loads here. `peers`: load the library peers (bench/peers must be
 * installed; `only`: those named); naive-js needs none of them. log(message) reports what is
 * left out and why. readFile(path) gives a repository file's bytes (readRepoFile).
 */
export async function loadContenders({ peers = true, log = () => {}, only, readFile = readRepoFile } = {}) {
  PACKAGE_VERSION = JSON.parse(new TextDecoder().decode(await readFile("package.json"))).version;
  const list = [];
  for (const { backend, file } of BUILDS) {
    const bytes = await readFile(`dist/${file}`);
    if (!WebAssembly.validate(bytes)) {
      log(`${backend}: dist/${file} does not validate in this runtime; left out`);
      continue;
    }
    const sm = initSync(bytes);
    list.push(zeroCopy(backend, sm), copying(`${backend} copy`, sm, "softmax-wasm"));
  }
  list.push(copying("js", js, "baseline"));
  const loaded = await loadPeers({ log, only: peers ? only : ["naive-js"] });
  for (const p of loaded) list.push(p.name === "naive-js" ? naiveLoops(p) : peer(p));
  list.push(...memoryCopies());
  return list;
}
