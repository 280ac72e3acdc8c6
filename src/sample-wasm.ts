// The sampling passes of the wasm backends: stage the logits (and a mask) in the module's
// scratch area, then call assembly/sample.ts's kernels on one row at a time.

import { type Operand, dtypeOf } from "./core.js";
import { BYTES, LinearArray } from "./memory.js";
import { BUCKETS, type Histogram, type SampleBackend, type SampleSession } from "./sample.js";
import type { Dtype, RealArray } from "./types.js";
import type { WasmCore } from "./wasm.js";

type Kernel = (...args: number[]) => number;

interface SampleKernels {
  argmax: Kernel;
  mask: Kernel;
  keptsum: Kernel;
  draw: Kernel;
  collect: Kernel;
  topk: Kernel;
  histogram: Kernel;
}

const NAMES = ["argmax", "mask", "keptsum", "draw", "collect", "topk", "histogram"] as const;

const align = (bytes: number) => Math.ceil(bytes / 16) * 16;

/** Where a call's arrays sit in linear memory. */
interface Layout {
  xp: number;
  idxp: number;
  valsp: number;
  tmpp: number;
  maskp: number;
  countsp: number;
  massesp: number;
}

class WasmSession implements SampleSession {
  readonly values: RealArray;
  readonly #f: SampleKernels;
  readonly #at: Layout;
  readonly #size: number;
  readonly #buffer: ArrayBufferLike;

  constructor(values: RealArray, f: SampleKernels, at: Layout, size: number) {
    this.values = values;
    this.#f = f;
    this.#at = at;
    this.#size = size;
    this.#buffer = values.buffer;
  }

  #row(start: number): number {
    return this.#at.xp + start * this.#size;
  }

  argmax(start: number, k: number): number {
    return this.#f.argmax(this.#row(start), k);
  }

  mask(start: number, k: number, word: number): void {
    this.#f.mask(this.#row(start), k, this.#at.maskp + 4 * word);
  }

  keptSum(start: number, k: number, c: number, beta: number, theta: number, tie: number): number {
    return this.#f.keptsum(this.#row(start), k, c, beta, theta, tie);
  }

  draw(start: number, k: number, c: number, beta: number, theta: number, tie: number, target: number): number {
    return this.#f.draw(this.#row(start), k, c, beta, theta, tie, target);
  }

  collect(start: number, k: number, theta: number): Int32Array {
    const count = this.#f.collect(this.#row(start), k, theta, this.#at.idxp, k);
    return new Int32Array(this.#buffer, this.#at.idxp, count);
  }

  histogram(start: number, k: number, c: number, beta: number, theta: number, zmin: number): Histogram {
    const { countsp, massesp } = this.#at;
    this.#f.histogram(this.#row(start), k, c, beta, theta, zmin, BUCKETS, countsp, massesp);
    return { counts: new Int32Array(this.#buffer, countsp, BUCKETS), masses: new Float64Array(this.#buffer, massesp, BUCKETS) };
  }

  topK(start: number, k: number, count: number): Int32Array {
    const { idxp, valsp, tmpp } = this.#at;
    const m = this.#f.topk(this.#row(start), k, count, idxp, valsp, tmpp, k);
    return new Int32Array(this.#buffer, idxp, m);
  }
}

/** A wasm backend's sampling passes. */
export class WasmSampleBackend implements SampleBackend {
  readonly #core: WasmCore;
  readonly #kernels: Record<Dtype, SampleKernels>;

  constructor(core: WasmCore) {
    this.#core = core;
    const bind = (dtype: Dtype) => {
      const f = {} as Record<string, Kernel>;
      for (const name of NAMES) {
        const fn = core.exports[`${dtype}_${name}`];
        if (typeof fn !== "function") throw new TypeError(`not a softmax-wasm module: export ${dtype}_${name} is missing`);
        f[name] = fn as Kernel;
      }
      return f as unknown as SampleKernels;
    };
    this.#kernels = { f32: bind("f32"), f64: bind("f64") };
  }

  session(x: Operand, writable: boolean, mask: Uint32Array | undefined, k: number, topK: boolean): SampleSession {
    const memory = this.#core.memory;
    const dtype = dtypeOf(x);
    const size = BYTES[dtype];
    const n = x.length;
    const owned = this.#core.owns(x);
    const copy = writable || !owned;
    // A typed array that views this memory is detached if scratch() grows it: keep its offset.
    const from = owned ? (x as LinearArray).ptr : (x as RealArray).byteOffset;
    const xBytes = copy ? align(n * size) : 0;
    const idxBytes = align(k * 4);
    const valBytes = topK ? align(k * size) : 0;
    const maskBytes = mask ? align(mask.length * 4) : 0;
    // The kernel's histogram arrays hold 4 copies (one per SIMD lane), summed into the first.
    const histBytes = align(4 * BUCKETS * 4) + 4 * BUCKETS * 8;
    const base = memory.scratch(xBytes + idxBytes + 2 * valBytes + maskBytes + histBytes, "logits", n, dtype);
    const at: Layout = {
      xp: copy ? base : from,
      idxp: base + xBytes,
      valsp: base + xBytes + idxBytes,
      tmpp: base + xBytes + idxBytes + valBytes,
      maskp: base + xBytes + idxBytes + 2 * valBytes,
      countsp: base + xBytes + idxBytes + 2 * valBytes + maskBytes,
      massesp: base + xBytes + idxBytes + 2 * valBytes + maskBytes + align(4 * BUCKETS * 4),
    };
    const heap = memory.heap(dtype);
    if (copy) {
      const source = x as RealArray;
      if (!owned && source.length === n) heap.set(source, base / size);
      else heap.copyWithin(base / size, from / size, from / size + n);
    }
    if (mask) new Uint32Array(heap.buffer, at.maskp, mask.length).set(mask);
    return new WasmSession(heap.subarray(at.xp / size, at.xp / size + n), this.#kernels[dtype], at, size);
  }
}
