// The wasm backends: stage operands in linear memory (or use them in place), call a kernel,
// copy results out. Kernel exports are named <dtype>_<kernel> (assembly/core/softmax.ts).

import { type AnyOperand, type Core, type Operand, type Reduced, dtypeOf } from "./backend.js";
import type { HalfArray } from "./half.js";
import { MAX_BLOCKS, RESULTS, R_C, R_K, R_M, R_R } from "./layout.js";
import { BYTES, LinearArray, LinearMemory } from "./memory.js";
import type { Backend, Dtype as AnyDtype, RealArray, RealDtype as Dtype } from "./types.js";

type RowKernel = (x: number, y: number, rows: number, k: number, beta: number, work: number) => void;
type LseKernel = (x: number, out: number, rows: number, k: number, beta: number, work: number) => number;
type ReduceKernel = (x: number, n: number, beta: number, out: number) => void;
type NormalizeKernel = (x: number, y: number, n: number, beta: number, c: number, shift: number, log: number) => void;

interface DtypeKernels {
  softmax: RowKernel;
  logsoftmax: RowKernel;
  logsumexp: LseKernel;
  reduce: ReduceKernel;
  normalize: NormalizeKernel;
}

type NarrowKernel = (src: number, dst: number, n: number) => void;

/** The exports of one instantiated module (its kernels, named <dtype>_<kernel>). */
export type KernelExports = Record<string, unknown>;

/** f64 slots of kernel work space: the results area, then long softmax rows' block references. */
export const WORK_F64 = RESULTS + MAX_BLOCKS;

/** Where a call's operands sit in linear memory. */
interface Staged {
  dtype: Dtype;
  xp: number;
  yp: number;
  /** y is a typed array: the result at yp is copied to it after the kernel. */
  copyOut: boolean;
  /** y's byteOffset and length, taken before the call could detach it. */
  yOffset: number;
  yLength: number;
}

/** Below this length a plain loop copies faster than set() with a subarray view. */
const SHORT = 64;

/** heap[at..] = source (halves: the same kind of array as the heap's, so their bits are copied). */
function copyInto(heap: RealArray | HalfArray, at: number, source: RealArray | HalfArray): void {
  if (source.length > SHORT) (heap as Float32Array).set(source as Float32Array, at);
  else for (let i = 0; i < source.length; i++) heap[at + i] = source[i];
}

/** target = heap[start..start + length). */
function copyFrom(target: RealArray | HalfArray, heap: RealArray | HalfArray, start: number, length: number): void {
  if (length > SHORT) (target as Float32Array).set((heap as Float32Array).subarray(start, start + length));
  else for (let i = 0; i < length; i++) target[i] = heap[start + i];
}

function kernelsOf(exports: KernelExports, dtype: AnyDtype): DtypeKernels {
  const kernels: Record<string, unknown> = {};
  for (const name of ["softmax", "logsoftmax", "logsumexp", "reduce", "normalize"]) {
    const f = exports[`${dtype}_${name}`];
    if (typeof f !== "function") throw new TypeError(`not a softmax-wasm module: export ${dtype}_${name} is missing`);
    kernels[name] = f;
  }
  return kernels as unknown as DtypeKernels;
}

/** The backend name of a build, from the features its modules were built with (1 SIMD, 2 relaxed SIMD). */
export function backendOf(features: number): Backend {
  if (features & 2) return "wasm-relaxed-simd";
  if (features & 1) return "wasm-simd";
  return "wasm";
}

export class WasmCore implements Core {
  readonly backend: Backend;
  /** The memory every module of this backend shares (the host owns it). */
  readonly memory: LinearMemory;
  readonly #kernels: Record<AnyDtype, DtypeKernels>;
  readonly #narrow: NarrowKernel;
  readonly #widen: NarrowKernel;
  /** Kernel work space: the results area (assembly/shared/results.ts), long softmax rows' block references. */
  readonly #work: LinearArray<"f64">;

  /** `memory` holds the static data of every module up to `heapBase`; `exports` are the core module's. */
  constructor(memory: WebAssembly.Memory, heapBase: number, exports: KernelExports, backend: Backend) {
    this.#kernels = { f32: kernelsOf(exports, "f32"), f64: kernelsOf(exports, "f64"), f16: kernelsOf(exports, "f16") };
    this.#narrow = exports.f16_narrow as NarrowKernel;
    this.#widen = exports.f16_widen as NarrowKernel;
    this.backend = backend;
    this.memory = new LinearMemory(memory, heapBase);
    this.#work = this.memory.alloc(WORK_F64, "f64");
  }

  alloc(length: number, dtype: Dtype): LinearArray {
    return this.memory.alloc(length, dtype);
  }

  owns(a: unknown): boolean {
    return a instanceof LinearArray && a.livesIn(this.memory);
  }

  /**
   * Addresses for x and y (y of yLength elements): this backend's WasmArrays in place, typed
   * arrays in the scratch area: x copied in, y after it (or over x's copy when `overX`).
   * A typed array may itself view this memory (a WasmArray's .array): if the scratch area
   * grows the memory, that view is detached (length 0), so its data is read by the byte
   * offset saved before. Reading .buffer instead would cost up to 1 us on a small array.
   */
  #stage(x: Operand, y: Operand | undefined, yLength: number, overX: boolean): Staged {
    const dtype = dtypeOf(x);
    const size = BYTES[dtype];
    const length = x.length;
    const xOwned = this.owns(x);
    const copyOut = y !== undefined && !this.owns(y);
    let xp = xOwned ? (x as LinearArray).ptr : 0;
    let yp = y === undefined || copyOut ? 0 : (y as LinearArray).ptr;
    const yOffset = copyOut ? (y as RealArray).byteOffset : 0;
    const xBytes = xOwned ? 0 : length * size;
    const yBytes = copyOut && !(overX && !xOwned) ? yLength * size : 0;
    if (xBytes + yBytes > 0) {
      const xOffset = xOwned ? 0 : (x as RealArray).byteOffset;
      const base = this.memory.scratch(xBytes + yBytes, "input", length, dtype);
      if (!xOwned) {
        xp = base;
        const heap = this.memory.heap(dtype);
        if (x.length === length) copyInto(heap, xp / size, x as RealArray);
        else heap.copyWithin(xp / size, xOffset / size, xOffset / size + length);
      }
      if (copyOut) yp = yBytes > 0 ? base + xBytes : xp;
    }
    return { dtype, xp, yp, copyOut, yOffset, yLength };
  }

  /** Copies a result computed in the scratch area to y (see #stage for detached views). */
  #unstage(y: Operand | undefined, staged: Staged): void {
    if (!staged.copyOut) return;
    const length = staged.yLength;
    const size = BYTES[staged.dtype];
    const heap = this.memory.heap(staged.dtype);
    const start = staged.yp / size;
    const target = y as RealArray;
    if (target.length === length) copyFrom(target, heap, start, length);
    else heap.copyWithin(staged.yOffset / size, start, start + length);
  }

  /**
   * A call on halves x: x at its address or copied in (its bits), the f32 result of yLength
   * elements at y's address (an f32 WasmArray of this backend) or in the scratch area after
   * x's copy, copied out to an f32 y, or rounded to halves into an f16 y (in place: y may be x).
   */
  #halves(x: AnyOperand, y: AnyOperand | undefined, yLength: number, kernel: (xp: number, yp: number) => void): void {
    const length = x.length;
    const xOwned = this.owns(x);
    const yDtype = y === undefined ? "f32" : dtypeOf(y);
    const yOwned = y !== undefined && this.owns(y);
    const xOffset = xOwned ? 0 : (x as HalfArray).byteOffset;
    const yOffset = y === undefined || yOwned ? 0 : (y as RealArray | HalfArray).byteOffset;
    const xBytes = xOwned ? 0 : Math.ceil((2 * length) / 16) * 16;
    const yBytes = y === undefined || (yOwned && yDtype === "f32") ? 0 : 4 * yLength;
    let xp = xOwned ? (x as LinearArray).ptr : 0;
    let yp = yOwned && yDtype === "f32" ? (y as LinearArray).ptr : 0;
    if (xBytes + yBytes > 0) {
      const base = this.memory.scratch(xBytes + yBytes, "input", length, "f16");
      if (!xOwned) {
        xp = base;
        const heap = this.memory.heap("f16");
        if (x.length === length) copyInto(heap, xp / 2, x as HalfArray);
        else heap.copyWithin(xp / 2, xOffset / 2, xOffset / 2 + length);
      }
      if (yBytes > 0) yp = base + xBytes;
    }
    kernel(xp, yp);
    if (y === undefined || (yOwned && yDtype === "f32")) return;
    let from = yp / 4;
    if (yDtype === "f16") {
      if (yOwned) {
        this.#narrow(yp, (y as LinearArray).ptr, yLength);
        return;
      }
      this.#narrow(yp, yp, yLength);
      from = yp / 2;
    }
    const heap = this.memory.heap(yDtype);
    const size = yDtype === "f16" ? 2 : 4;
    const target = y as RealArray | HalfArray;
    if (target.length === yLength) copyFrom(target, heap, from, yLength);
    else heap.copyWithin(yOffset / size, from, from + yLength);
  }

  /** The f32s of the n halves at byte address src into dst, exactly (addresses in this memory; dst may not overlap src). */
  widenAt(src: number, dst: number, n: number): void {
    this.#widen(src, dst, n);
  }

  /** The n f32s at byte address src rounded to nearest even into halves at dst (addresses in this memory; dst may be src). */
  narrowAt(src: number, dst: number, n: number): void {
    this.#narrow(src, dst, n);
  }

  widen(x: AnyOperand): Float32Array {
    // In the kernel: TypedArray.set from a Float16Array over this memory takes V8's slow path (Node 24: ~11 ns per half).
    const y = new Float32Array(x.length);
    this.#halves(x, y, x.length, (xp, yp) => this.#widen(xp, yp, x.length));
    return y;
  }

  widened<R>(x: AnyOperand, use: (xs: Operand) => R): R {
    // Not widen(): a Float32Array of the JS heap, allocated, filled by a copy out of this memory
    // and staged back in by the next kernel call, cost a lone f16 operand of softmaxBackward 20x
    // the call's own time (Node 24, 32,000).
    const y = this.memory.alloc(x.length, "f32");
    try {
      this.#halves(x, y, x.length, (xp, yp) => this.#widen(xp, yp, x.length));
      return use(y);
    } finally {
      y.free();
    }
  }

  rows(log: boolean, x: AnyOperand, y: AnyOperand, rows: number, k: number, beta: number): void {
    if (dtypeOf(x) === "f16") {
      const kernels = this.#kernels.f16;
      this.#halves(x, y, rows * k, (xp, yp) => (log ? kernels.logsoftmax : kernels.softmax)(xp, yp, rows, k, beta, this.#work.ptr));
      return;
    }
    const staged = this.#stage(x as Operand, y as Operand, rows * k, true);
    const kernels = this.#kernels[staged.dtype];
    (log ? kernels.logsoftmax : kernels.softmax)(staged.xp, staged.yp, rows, k, beta, this.#work.ptr);
    this.#unstage(y as Operand, staged);
  }

  logSumExp(x: AnyOperand, out: AnyOperand | undefined, rows: number, k: number, beta: number): number {
    if (dtypeOf(x) === "f16") {
      let last = 0;
      this.#halves(x, out, rows, (xp, yp) => (last = this.#kernels.f16.logsumexp(xp, yp, rows, k, beta, this.#work.ptr)));
      return last;
    }
    // out goes after x's copy: the kernel writes row r's result after reading row r.
    const staged = this.#stage(x as Operand, out as Operand | undefined, rows, false);
    const last = this.#kernels[staged.dtype].logsumexp(staged.xp, staged.yp, rows, k, beta, this.#work.ptr);
    this.#unstage(out as Operand | undefined, staged);
    return last;
  }

  reduce(x: AnyOperand, beta: number): Reduced {
    const n = x.length;
    const out = this.#work.ptr;
    if (dtypeOf(x) === "f16") this.#halves(x, undefined, 0, (xp) => this.#kernels.f16.reduce(xp, n, beta, out));
    else {
      const staged = this.#stage(x as Operand, undefined, 0, false);
      this.#kernels[staged.dtype].reduce(staged.xp, n, beta, out);
    }
    const heap = this.memory.heap("f64"); // read in place: no view made per push
    const at = out / BYTES.f64;
    return { c: heap[at + R_C], m: heap[at + R_M], k: heap[at + R_K], r: heap[at + R_R] };
  }

  normalize(log: boolean, x: AnyOperand, y: AnyOperand, beta: number, c: number, shift: number): void {
    const n = x.length;
    if (dtypeOf(x) === "f16") {
      this.#halves(x, y, n, (xp, yp) => this.#kernels.f16.normalize(xp, yp, n, beta, c, shift, log ? 1 : 0));
      return;
    }
    const staged = this.#stage(x as Operand, y as Operand, n, true);
    this.#kernels[staged.dtype].normalize(staged.xp, staged.yp, n, beta, c, shift, log ? 1 : 0);
    this.#unstage(y as Operand, staged);
  }
}
