// The wasm backends: stage operands in linear memory (or use them in place), call a kernel,
// copy results out. Kernel exports are named <dtype>_<kernel> (assembly/softmax.ts).

import { type Core, type Operand, type Reduced, dtypeOf } from "./core.js";
import { LinearArray, LinearMemory } from "./memory.js";
import type { Backend, Dtype, RealArray } from "./types.js";

type RowKernel = (x: number, y: number, rows: number, k: number, beta: number) => void;
type LseKernel = (x: number, out: number, rows: number, k: number, beta: number) => number;
type ReduceKernel = (x: number, n: number, beta: number, out: number) => void;
type NormalizeKernel = (x: number, y: number, n: number, beta: number, c: number, shift: number, log: number) => void;

interface DtypeKernels {
  softmax: RowKernel;
  logsoftmax: RowKernel;
  logsumexp: LseKernel;
  reduce: ReduceKernel;
  normalize: NormalizeKernel;
}

interface Exports extends Record<string, unknown> {
  memory: WebAssembly.Memory;
  heapBase(): number;
  features(): number;
}

const BYTES: Record<Dtype, number> = { f32: 4, f64: 8 };

/** Where a call's operands sit in linear memory. */
interface Staged {
  dtype: Dtype;
  xp: number;
  yp: number;
  /** y is not in this memory: the result at yp is copied to it after the kernel. */
  copyOut: boolean;
}

function kernelsOf(exports: Exports, dtype: Dtype): DtypeKernels {
  const get = <F>(name: string): F => {
    const f = exports[`${dtype}_${name}`];
    if (typeof f !== "function") throw new TypeError(`not a softmax-wasm module: export ${dtype}_${name} is missing`);
    return f as F;
  };
  return {
    softmax: get("softmax"),
    logsoftmax: get("logsoftmax"),
    logsumexp: get("logsumexp"),
    reduce: get("reduce"),
    normalize: get("normalize"),
  };
}

/** The backend name of an instantiated module, from the features it was built with. */
function backendOf(exports: Exports): Backend {
  const features = exports.features();
  if (features & 2) return "wasm-relaxed-simd";
  if (features & 1) return "wasm-simd";
  return "wasm";
}

export class WasmCore implements Core {
  readonly backend: Backend;
  readonly memory: LinearMemory;
  readonly #kernels: Record<Dtype, DtypeKernels>;
  /** Three f64 that the reduce kernel writes its result to. */
  readonly #reduced: LinearArray<"f64">;

  constructor(instance: WebAssembly.Instance) {
    const exports = instance.exports as Exports;
    if (!(exports.memory instanceof WebAssembly.Memory) || typeof exports.heapBase !== "function" || typeof exports.features !== "function") {
      throw new TypeError("not a softmax-wasm module: memory, heapBase or features export missing");
    }
    this.#kernels = { f32: kernelsOf(exports, "f32"), f64: kernelsOf(exports, "f64") };
    this.backend = backendOf(exports);
    this.memory = new LinearMemory(exports.memory, exports.heapBase());
    this.#reduced = this.memory.alloc(3, "f64");
  }

  alloc(length: number, dtype: Dtype): LinearArray {
    return this.memory.alloc(length, dtype);
  }

  owns(a: unknown): boolean {
    return a instanceof LinearArray && a.livesIn(this.memory);
  }

  /** Address of an operand that already lives in this memory, else undefined. */
  #address(a: Operand): number | undefined {
    return this.owns(a) ? (a as LinearArray).ptr : this.memory.addressOf(a as RealArray);
  }

  /**
   * Addresses for x and y (y of yLength elements): in place where they live in this memory,
   * else in the scratch area: x copied in, y after it (or over x's copy when `overX`).
   * Addresses are taken before the scratch area grows the memory, which detaches views.
   */
  #stage(x: Operand, y: Operand | undefined, yLength: number, overX: boolean): Staged {
    const dtype = dtypeOf(x);
    const size = BYTES[dtype];
    let xp = this.#address(x);
    let yp = y && this.#address(y);
    const copyOut = y !== undefined && yp === undefined;
    const xBytes = xp === undefined ? x.length * size : 0;
    const yBytes = copyOut && !(overX && xp === undefined) ? yLength * size : 0;
    if (xBytes + yBytes > 0) {
      const base = this.memory.scratch(xBytes + yBytes, "input", x.length, dtype);
      if (xp === undefined) {
        xp = base;
        this.memory.heap(dtype).set(x as RealArray, xp / size);
      }
      if (copyOut) yp = yBytes > 0 ? base + xBytes : xp;
    }
    return { dtype, xp: xp ?? 0, yp: yp ?? 0, copyOut };
  }

  /** Copies a result computed in the scratch area to y. */
  #unstage(y: Operand | undefined, staged: Staged, length: number): void {
    if (!staged.copyOut) return;
    const start = staged.yp / BYTES[staged.dtype];
    (y as RealArray).set(this.memory.heap(staged.dtype).subarray(start, start + length));
  }

  rows(log: boolean, x: Operand, y: Operand, rows: number, k: number, beta: number): void {
    const staged = this.#stage(x, y, x.length, true);
    const kernels = this.#kernels[staged.dtype];
    (log ? kernels.logsoftmax : kernels.softmax)(staged.xp, staged.yp, rows, k, beta);
    this.#unstage(y, staged, x.length);
  }

  logSumExp(x: Operand, out: Operand | undefined, rows: number, k: number, beta: number): number {
    // out goes after x's copy: the kernel writes row r's result after reading row r.
    const staged = this.#stage(x, out, rows, false);
    const last = this.#kernels[staged.dtype].logsumexp(staged.xp, staged.yp, rows, k, beta);
    this.#unstage(out, staged, rows);
    return last;
  }

  reduce(x: Operand, beta: number): Reduced {
    const staged = this.#stage(x, undefined, 0, false);
    const out = this.#reduced.ptr;
    this.#kernels[staged.dtype].reduce(staged.xp, x.length, beta, out);
    const r = this.memory.view(out, 3, "f64");
    return { c: r[0], m: r[1], s: r[2] };
  }

  normalize(log: boolean, x: Operand, y: Operand, beta: number, c: number, shift: number): void {
    const staged = this.#stage(x, y, x.length, true);
    this.#kernels[staged.dtype].normalize(staged.xp, staged.yp, x.length, beta, c, shift, log ? 1 : 0);
    this.#unstage(y, staged, x.length);
  }
}
