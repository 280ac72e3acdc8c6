// Operand placement for the kernels of the families: one scratch block of linear memory per
// call, the operands copied in (or used in place when they are this module's WasmArrays), the
// results copied out.

import { type Operand, dtypeOf } from "./backend.js";
import { BYTES, LinearArray, type LinearMemory } from "./memory.js";
import type { Dtype, RealArray } from "./types.js";

const round16 = (bytes: number) => Math.ceil(bytes / 16) * 16;

/**
 * Operand placement for one call: this module's WasmArrays of the call's dtype stay where
 * they are; anything else gets a region of the scratch block. A typed array may view this
 * memory (a WasmArray's .array) and be detached when the scratch block grows it, so each
 * one's byte offset is taken before, and its data read or written there (as wasm.ts does).
 */
export class Staging {
  bytes = 0;
  base = 0;
  readonly #memory: LinearMemory;
  readonly #dtype: Dtype;
  readonly #copies: { source: RealArray; offset: number; at: number; n: number }[] = [];

  constructor(memory: LinearMemory, dtype: Dtype) {
    this.#memory = memory;
    this.#dtype = dtype;
  }

  /** A region of `bytes` bytes; its address is base + the returned offset. */
  region(bytes: number): number {
    const at = this.bytes;
    this.bytes += round16(bytes);
    return at;
  }

  /**
   * Where `a` (read as the call's dtype) will be: its own address, or -1 - offset of a region
   * (copied in unless `output`).
   */
  place(a: Operand, output = false): number {
    if (a instanceof LinearArray && a.livesIn(this.#memory) && a.dtype === this.#dtype) return a.ptr;
    const at = this.region(a.length * BYTES[this.#dtype]);
    if (!output) {
      const source = a instanceof LinearArray ? a.array : (a as RealArray);
      this.#copies.push({ source, offset: source.byteOffset, at, n: a.length });
    }
    return -1 - at;
  }

  /** Reserves the block, copies the placed inputs in; returns the resolver of addresses. */
  open(what: string, n: number): (placed: number) => number {
    const base = this.bytes > 0 ? this.#memory.scratch(this.bytes, what, n, this.#dtype) : 0;
    this.base = base;
    const heap = this.#memory.heap(this.#dtype);
    const size = BYTES[this.#dtype];
    for (const { source, offset, at, n } of this.#copies) {
      const data = source.length === n ? source : this.#memory.view(offset, n, dtypeOf(source));
      heap.set(data, (base + at) / size);
    }
    return (placed) => (placed < 0 ? base + (-1 - placed) : placed);
  }

  /** Copies n elements at `ptr` to `target` unless the target is that memory itself. */
  copyOut(target: Operand, ptr: number, offset: number, n: number): void {
    if (target instanceof LinearArray && target.livesIn(this.#memory)) return;
    const heap = this.#memory.heap(this.#dtype);
    const start = ptr / BYTES[this.#dtype];
    const t = target as RealArray;
    (t.length === n ? t : this.#memory.view(offset, n, this.#dtype)).set(heap.subarray(start, start + n));
  }
}

/** Byte offset of a typed array target, taken before the scratch block may detach it. */
export function offsetOf(a: Operand): number {
  return a instanceof LinearArray ? 0 : (a as RealArray).byteOffset;
}

