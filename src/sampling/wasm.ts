// The sampling passes of the wasm backends: stage the logits (and a mask) in the module's
// scratch area, then call assembly/sample.ts's kernels on one row at a time.

import { type Operand, dtypeOf } from "../core/backend.js";
import { BYTES, LinearArray, type LinearMemory } from "../core/memory.js";
import { BUCKETS, type Histogram, type Room, type SampleBackend, type SampleSession } from "./backend.js";
import type { RealArray, RealDtype as Dtype } from "../core/types.js";
import type { KernelExports, WasmCore } from "../core/wasm.js";

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
  /** The staged row (a copy) when `copy`; else the input itself. */
  xp: number;
  idxp: number;
  valsp: number;
  tmpp: number;
  maskp: number;
  countsp: number;
  massesp: number;
}

/** Where the input's rows come from. */
interface Source {
  dtype: Dtype;
  /** Copy each row into xp before its passes (else the passes read the input in place). */
  copy: boolean;
  /** The input typed array (when not owned and not detached), else undefined. */
  array: RealArray | undefined;
  /** Byte address of the input in this memory, when it lives here. */
  from: number;
}

/**
 * The passes over the rows of one call. Views of the memory are taken from it at each use,
 * never kept: the caller's callbacks (random) may grow the memory between passes, which
 * detaches every view made before.
 */
class WasmSession implements SampleSession {
  readonly #f: SampleKernels;
  readonly #at: Layout;
  readonly #source: Source;
  readonly #memory: LinearMemory;
  readonly #size: number;
  /** Address of the current row. */
  #current = 0;

  constructor(f: SampleKernels, at: Layout, source: Source, memory: LinearMemory) {
    this.#f = f;
    this.#at = at;
    this.#source = source;
    this.#memory = memory;
    this.#size = BYTES[source.dtype];
  }

  /** The memory's buffer now (a new one after growth). */
  get #buffer(): ArrayBufferLike {
    return this.#memory.heap("f64").buffer;
  }

  row(start: number, k: number): RealArray {
    const { copy, array, from } = this.#source;
    const size = this.#size;
    const heap = this.#memory.heap(this.#source.dtype);
    // Rows are staged one at a time, so that every pass over a row of a batch finds it in cache.
    if (copy) {
      const at = this.#at.xp / size;
      if (array) heap.set(array.subarray(start, start + k), at);
      else heap.copyWithin(at, from / size + start, from / size + start + k);
      this.#current = this.#at.xp;
    } else {
      this.#current = from + start * size;
    }
    return this.view(start, k);
  }

  view(_: number, k: number): RealArray {
    const at = this.#current / this.#size;
    return this.#memory.heap(this.#source.dtype).subarray(at, at + k);
  }

  argmax(_: number, k: number): number {
    return this.#f.argmax(this.#current, k);
  }

  mask(_: number, k: number, word: number): void {
    this.#f.mask(this.#current, k, this.#at.maskp + 4 * word);
  }

  keptSum(_: number, k: number, c: number, beta: number, theta: number, tie: number): number {
    return this.#f.keptsum(this.#current, k, c, beta, theta, tie);
  }

  draw(_: number, k: number, c: number, beta: number, theta: number, tie: number, target: number): number {
    return this.#f.draw(this.#current, k, c, beta, theta, tie, target);
  }

  collect(_: number, k: number, theta: number, below = NaN): Int32Array {
    const count = this.#f.collect(this.#current, k, theta, below, this.#at.idxp, k);
    return new Int32Array(this.#buffer, this.#at.idxp, count);
  }

  histogram(_: number, k: number, c: number, beta: number, theta: number, zmin: number): Histogram {
    const { countsp, massesp } = this.#at;
    this.#f.histogram(this.#current, k, c, beta, theta, zmin, BUCKETS, countsp, massesp);
    return { counts: new Int32Array(this.#buffer, countsp, BUCKETS), masses: new Float64Array(this.#buffer, massesp, BUCKETS) };
  }

  topK(_: number, k: number, count: number): Int32Array {
    const { idxp, valsp, tmpp } = this.#at;
    const m = this.#f.topk(this.#current, k, count, idxp, valsp, tmpp, k);
    return new Int32Array(this.#buffer, idxp, m);
  }
}

/** A wasm backend's sampling passes. */
export class WasmSampleBackend implements SampleBackend {
  readonly #core: WasmCore;
  readonly #kernels: Record<Dtype, SampleKernels>;

  constructor(core: WasmCore, exports: KernelExports) {
    this.#core = core;
    const bind = (dtype: Dtype) => {
      const f = {} as Record<string, Kernel>;
      for (const name of NAMES) {
        const fn = exports[`${dtype}_${name}`];
        if (typeof fn !== "function") throw new TypeError(`not a softmax-wasm module: export ${dtype}_${name} is missing`);
        f[name] = fn as Kernel;
      }
      return f as unknown as SampleKernels;
    };
    this.#kernels = { f32: bind("f32"), f64: bind("f64") };
  }

  session(x: Operand, writable: boolean, mask: Uint32Array | undefined, k: number, room: Room): SampleSession {
    const memory = this.#core.memory;
    const dtype = dtypeOf(x);
    const size = BYTES[dtype];
    const n = x.length;
    const owned = this.#core.owns(x);
    const copy = writable || !owned;
    // A typed array that views this memory is detached if scratch() grows it: keep its offset.
    const from = owned ? (x as LinearArray).ptr : (x as RealArray).byteOffset;
    const viewsMemory = !owned && (x as RealArray).buffer === memory.heap(dtype).buffer;
    const xBytes = copy ? align(k * size) : 0;
    const idxBytes = room === "none" ? 0 : align(k * 4);
    const valBytes = room === "topK" ? align(k * size) : 0;
    const maskBytes = mask ? align(mask.length * 4) : 0;
    // The kernel's histogram arrays hold 4 copies (one per SIMD lane), summed into the first.
    const histBytes = align(4 * BUCKETS * 4) + 4 * BUCKETS * 8;
    const base = memory.scratch(xBytes + idxBytes + 2 * valBytes + maskBytes + histBytes, "logits", n, dtype);
    const at: Layout = {
      xp: base,
      idxp: base + xBytes,
      valsp: base + xBytes + idxBytes,
      tmpp: base + xBytes + idxBytes + valBytes,
      maskp: base + xBytes + idxBytes + 2 * valBytes,
      countsp: base + xBytes + idxBytes + 2 * valBytes + maskBytes,
      massesp: base + xBytes + idxBytes + 2 * valBytes + maskBytes + align(4 * BUCKETS * 4),
    };
    if (mask) new Uint32Array(memory.heap(dtype).buffer, at.maskp, mask.length).set(mask);
    // Inputs in this memory are copied from their address (a view of it may be detached now).
    const array = owned || viewsMemory ? undefined : (x as RealArray);
    return new WasmSession(this.#kernels[dtype], at, { dtype, copy, array, from }, memory);
  }
}
