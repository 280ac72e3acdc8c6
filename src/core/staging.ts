// Operand placement for one wasm call, shared by the families: this memory's WasmArrays of the
// dtype a kernel reads stay where they are; anything else gets a region of the scratch block
// (converted to that dtype on the way in). A typed array may view this memory (a WasmArray's
// .array) and be detached when the scratch block grows it, so each one's byte offset is taken
// before, and its data read or written there (as wasm.ts does).

import { type AnyOperand, type Operand, dtypeOf } from "./backend.js";
import type { HalfArray } from "./half.js";
import { BYTES, LinearArray, type LinearMemory, typedArray } from "./memory.js";
import type { Dtype, RealArray } from "./types.js";

const round16 = (bytes: number) => Math.ceil(bytes / 16) * 16;

export class Staging {
  bytes = 0;
  base = 0;
  readonly #memory: LinearMemory;
  readonly #dtype: Dtype;
  readonly #copies: { source: RealArray | HalfArray; offset: number; at: number; n: number; dtype: Dtype }[] = [];

  /** `dtype`: what the kernels read, unless a placement says otherwise. */
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
   * Where the first n elements of `a`, read as `dtype`, will be: its own address, or -1 -
   * offset of a region (copied in unless `output`). Halves are copied as halves only (their
   * bits are no numbers where the runtime has no Float16Array).
   */
  place(a: AnyOperand, output = false, dtype: Dtype = this.#dtype, n: number = a.length): number {
    if (a instanceof LinearArray && a.livesIn(this.#memory) && a.dtype === dtype) return a.ptr;
    const at = this.region(n * BYTES[dtype]);
    if (!output) {
      const source = typedArray(a);
      this.#copies.push({ source, offset: source.byteOffset, at, n, dtype });
    }
    return -1 - at;
  }

  /** A backward pass's gradY and y, each placed as its own dtype (halves, or the staging's): [g, y]. */
  placePair(g: AnyOperand, y: AnyOperand): [number, number] {
    const gPlaced = this.place(g, false, dtypeOf(g) === "f16" ? "f16" : this.#dtype);
    return [gPlaced, y === g ? gPlaced : this.place(y, false, dtypeOf(y) === "f16" ? "f16" : this.#dtype)];
  }

  /** Reserves the block, copies the placed inputs in; returns the resolver of addresses. */
  open(what: string, n: number): (placed: number) => number {
    const base = this.bytes > 0 ? this.#memory.scratch(this.bytes, what, n, this.#dtype) : 0;
    this.base = base;
    for (const { source, offset, at, n, dtype } of this.#copies) {
      // A detached view (length 0) is read again at its offset in the grown memory.
      const data = source.length === n ? source : source.length > n ? source.subarray(0, n) : this.#memory.view(offset, n, dtypeOf(source));
      (this.#memory.heap(dtype) as RealArray).set(data as RealArray, (base + at) / BYTES[dtype]);
    }
    return (placed) => (placed < 0 ? base + (-1 - placed) : placed);
  }

  /** Copies n elements at `ptr` to `target` unless the target is that memory itself. */
  copyOut(target: AnyOperand, ptr: number, offset: number, n: number, dtype: Dtype = this.#dtype): void {
    if (target instanceof LinearArray && target.livesIn(this.#memory)) return;
    const heap = this.#memory.heap(dtype) as RealArray;
    const start = ptr / BYTES[dtype];
    const t = target as RealArray;
    (t.length === n ? t : (this.#memory.view(offset, n, dtype) as RealArray)).set(heap.subarray(start, start + n));
  }
}

/** Byte offset of a typed array target, taken before the scratch block may detach it. */
export function offsetOf(a: AnyOperand): number {
  return a instanceof LinearArray ? 0 : (a as RealArray).byteOffset;
}

/**
 * One call of a backward kernel over gradY g and y into out: g and y placed as their own dtypes
 * (halves stay halves), out over a staged input's copy when it is that input (in place) or a
 * region of its own, `workBytes` of work area (0: none, address 0), then `call(g, y, out, work)`
 * with their addresses and out copied back. The loss's and sparse's backward passes.
 */
export function stagedBackward(
  memory: LinearMemory, g: AnyOperand, y: AnyOperand, out: Operand, workBytes: number,
  call: (gp: number, yp: number, op: number, work: number) => void,
): void {
  const n = g.length;
  const stage = new Staging(memory, dtypeOf(out));
  const [gPlaced, yPlaced] = stage.placePair(g, y);
  const outPlaced = out === g ? gPlaced : out === y ? yPlaced : stage.place(out, true);
  const workAt = workBytes > 0 ? stage.region(workBytes) : -1;
  const outOffset = offsetOf(out);
  const address = stage.open("gradY", n);
  const op = address(outPlaced);
  call(address(gPlaced), address(yPlaced), op, workAt < 0 ? 0 : stage.base + workAt);
  stage.copyOut(out, op, outOffset, n);
}

/**
 * Which of a backward pass's gradY and y are halves, as the suffix of the f16 kernel that reads
 * them: "" both, "_g" gradY alone, "_y" y alone (the other f32); undefined for neither.
 */
export type HalvesSuffix = "" | "_g" | "_y";
export function halvesSuffix(g: AnyOperand, y: AnyOperand): HalvesSuffix | undefined {
  const gHalves = dtypeOf(g) === "f16";
  const yHalves = dtypeOf(y) === "f16";
  return gHalves ? (yHalves ? "" : "_g") : yHalves ? "_y" : undefined;
}
