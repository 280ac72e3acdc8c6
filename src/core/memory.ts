// The one place that owns a module's linear memory: it allocates blocks, grows the memory,
// and re-creates views after growth (growth detaches the old ArrayBuffer, and with it every
// view made from it). Nothing else calls memory.grow or keeps a view.

import { Float16Constructor, type HalfArray, markHalves } from "./half.js";
import type { ArrayOf, Dtype, RealArray, WasmArray } from "./types.js";

const PAGE = 65536;
const ALIGN = 16;
/** wasm32 addresses 4 GiB at most. */
const ADDRESS_SPACE = 2 ** 32;
/** Bytes per element of a dtype. */
export const BYTES: Record<Dtype, number> = { f32: 4, f64: 8, f16: 2 };

/** A view of halves over `buffer`: a Float16Array where the runtime has one, else the bits, marked as halves. */
function halfView(buffer: ArrayBuffer, byteOffset = 0, length = buffer.byteLength / 2): HalfArray {
  return Float16Constructor ? new Float16Constructor(buffer, byteOffset, length) : markHalves(new Uint16Array(buffer, byteOffset, length));
}

/** `Symbol.dispose` where the runtime has it, else the well-known fallback TypeScript uses. */
export const disposeSymbol: typeof Symbol.dispose =
  (Symbol as { dispose?: typeof Symbol.dispose }).dispose ?? (Symbol.for("Symbol.dispose") as typeof Symbol.dispose);

interface Block {
  ptr: number;
  size: number;
}

/**
 * Returns the block of a WasmArray that was dropped without free() once it is garbage
 * collected (free() and `using` stay the prompt way: a collection may come late or never).
 * Held: the memory and the address, never the array itself.
 */
const dropped =
  typeof FinalizationRegistry === "function"
    ? new FinalizationRegistry<{ memory: LinearMemory; ptr: number }>(({ memory, ptr }) => memory.release(ptr))
    : undefined;

/**
 * Thrown message for an array that does not fit; names the option and the value, and the
 * bytes the call needed where its working space (indices, candidates) adds to the array's.
 */
function tooLarge(what: string, length: number, dtype: Dtype, bytes = length * BYTES[dtype]): RangeError {
  const size = length * BYTES[dtype];
  const needed = bytes > size ? `, ${bytes} bytes with the call's working space` : "";
  return new RangeError(
    `${what} too large for wasm memory (got ${length} ${dtype} elements${needed}; 4 GiB at most)`,
  );
}

export class LinearMemory {
  readonly #memory: WebAssembly.Memory;
  readonly #base: number;
  /** Live blocks, sorted by address. */
  readonly #blocks: Block[] = [];
  #buffer: ArrayBuffer;
  #f32: Float32Array;
  #f64: Float64Array;
  #f16: HalfArray;
  /** Reused staging area for copies in and out of calls; grows, never shrinks. */
  #scratch: Block | undefined;
  /** Scratch areas pinned by calls still running, innermost last. */
  readonly #pinned: Block[] = [];

  constructor(memory: WebAssembly.Memory, heapBase: number) {
    this.#memory = memory;
    this.#base = Math.ceil(heapBase / ALIGN) * ALIGN;
    this.#buffer = memory.buffer;
    this.#f32 = new Float32Array(this.#buffer);
    this.#f64 = new Float64Array(this.#buffer);
    this.#f16 = halfView(this.#buffer);
  }

  /**
   * Whole-memory view of a dtype. Only #reserve grows the memory (the kernels never do), and
   * it refreshes the views, so reading memory.buffer (a slow getter) is not needed here.
   */
  heap<D extends Dtype>(dtype: D): ArrayOf<D> {
    return (dtype === "f32" ? this.#f32 : dtype === "f64" ? this.#f64 : this.#f16) as ArrayOf<D>;
  }

  /** A view of `length` elements at `ptr`. */
  view<D extends Dtype>(ptr: number, length: number, dtype: D): ArrayOf<D> {
    if (dtype === "f16") return halfView(this.#buffer, ptr, length) as ArrayOf<D>;
    const heap = this.heap(dtype) as RealArray;
    const start = ptr / BYTES[dtype];
    return heap.subarray(start, start + length) as ArrayOf<D>;
  }

  /** A WasmArray of `length` elements. */
  alloc<D extends Dtype>(length: number, dtype: D): LinearArray<D> {
    const bytes = length * BYTES[dtype];
    const ptr = this.#reserve(bytes, () => tooLarge("alloc length", length, dtype));
    const array = new LinearArray(this, ptr, length, dtype);
    dropped?.register(array, { memory: this, ptr }, array);
    return array;
  }

  /** Returns a block to the free space. */
  release(ptr: number): void {
    const i = this.#blocks.findIndex((b) => b.ptr === ptr);
    if (i >= 0) this.#blocks.splice(i, 1);
  }

  /**
   * A staging area of at least `bytes` bytes, valid until the next call of scratch().
   * `what`/`length`/`dtype` name the input in the RangeError when it cannot fit.
   */
  scratch(bytes: number, what: string, length: number, dtype: Dtype): number {
    const current = this.#scratch;
    if (current && current.size >= bytes) return current.ptr;
    if (current) this.release(current.ptr);
    this.#scratch = undefined;
    const ptr = this.#reserve(bytes, () => tooLarge(what, length, dtype, bytes));
    this.#scratch = this.#blocks.find((b) => b.ptr === ptr);
    return ptr;
  }

  /**
   * Keeps the scratch area at ptr for its caller until unpin(ptr), through callbacks that call
   * back into this memory: scratch() meanwhile stages in a block of its own.
   */
  pin(ptr: number): void {
    if (this.#scratch?.ptr !== ptr) return;
    this.#pinned.push(this.#scratch);
    this.#scratch = undefined;
  }

  /** Ends pin(ptr): the block is the scratch area again, or is released where another took its place. */
  unpin(ptr: number): void {
    if (this.#pinned.at(-1)?.ptr !== ptr) return;
    const block = this.#pinned.pop() as Block;
    if (this.#scratch === undefined) this.#scratch = block;
    else this.release(ptr);
  }

  /** First fit among the gaps between live blocks, else at the end (growing the memory). */
  #reserve(bytes: number, error: () => RangeError): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let ptr = this.#base;
    let index = 0;
    for (; index < this.#blocks.length; index++) {
      const block = this.#blocks[index];
      if (block.ptr - ptr >= size) break;
      ptr = block.ptr + block.size;
    }
    const end = ptr + size;
    if (end > ADDRESS_SPACE) throw error();
    const have = this.#buffer.byteLength;
    if (end > have) {
      try {
        this.#memory.grow(Math.ceil((end - have) / PAGE));
      } catch {
        throw error();
      }
      this.#buffer = this.#memory.buffer;
      this.#f32 = new Float32Array(this.#buffer);
      this.#f64 = new Float64Array(this.#buffer);
      this.#f16 = halfView(this.#buffer);
    }
    this.#blocks.splice(index, 0, { ptr, size });
    return ptr;
  }
}

/** A WasmArray in a module's linear memory. */
export class LinearArray<D extends Dtype = Dtype> implements WasmArray<D> {
  readonly length: number;
  readonly dtype: D;
  #memory: LinearMemory | undefined;
  readonly #ptr: number;
  #view: ArrayOf<D> | undefined;

  constructor(memory: LinearMemory, ptr: number, length: number, dtype: D) {
    this.#memory = memory;
    this.#ptr = ptr;
    this.length = length;
    this.dtype = dtype;
  }

  /** The memory this array lives in (throws after free()). */
  get memory(): LinearMemory {
    if (!this.#memory) throw new Error("WasmArray used after free()");
    return this.#memory;
  }

  /** True while this array is live in `memory`. */
  livesIn(memory: LinearMemory): boolean {
    return this.#memory === memory;
  }

  /** Byte address in the module's memory (throws after free()). */
  get ptr(): number {
    if (!this.#memory) throw new Error("WasmArray used after free()");
    return this.#ptr;
  }

  get array(): ArrayOf<D> {
    const memory = this.memory;
    const view = this.#view;
    // After growth the memory has a new buffer (the old one is detached): make a new view.
    if (view && view.buffer === memory.heap(this.dtype).buffer) return view;
    return (this.#view = memory.view(this.#ptr, this.length, this.dtype));
  }

  free(): void {
    if (this.#memory) dropped?.unregister(this);
    this.#memory?.release(this.#ptr);
    this.#memory = undefined;
    this.#view = undefined;
  }

  [disposeSymbol](): void {
    this.free();
  }
}

/** A WasmArray of the js backend: plain memory with the same behaviour. */
export class PlainArray<D extends Dtype = Dtype> implements WasmArray<D> {
  readonly length: number;
  readonly dtype: D;
  #array: ArrayOf<D> | undefined;

  constructor(length: number, dtype: D) {
    this.length = length;
    this.dtype = dtype;
    try {
      const array = dtype === "f32" ? new Float32Array(length) : dtype === "f64" ? new Float64Array(length) : halfView(new ArrayBuffer(2 * length));
      this.#array = array as ArrayOf<D>;
    } catch {
      throw new RangeError(`alloc length too large (got ${length} ${dtype} elements)`);
    }
  }

  get array(): ArrayOf<D> {
    if (!this.#array) throw new Error("WasmArray used after free()");
    return this.#array;
  }

  free(): void {
    this.#array = undefined;
  }

  [disposeSymbol](): void {
    this.free();
  }
}

/** True for a WasmArray of any backend. */
export function isWasmArray(a: unknown): a is WasmArray {
  return a instanceof LinearArray || a instanceof PlainArray;
}

/**
 * A getter of `a` that survives growth of `memory`: a typed array that views the memory is
 * detached when it grows, so it is re-made at the address taken now; anything else (a
 * WasmArray re-makes its own view) comes back as it is. For operands used after a caller's
 * callback, which may allocate.
 */
export function lasting<A extends RealArray | WasmArray>(memory: LinearMemory | undefined, a: A): () => A {
  if (!memory || isWasmArray(a)) return () => a;
  const array = a as RealArray;
  const dtype: Dtype = array instanceof Float32Array ? "f32" : "f64";
  if (array.buffer !== memory.heap(dtype).buffer) return () => a;
  const ptr = array.byteOffset;
  const length = array.length;
  return () => memory.view(ptr, length, dtype) as A;
}

/** The typed array behind a WasmArray of any backend, or the typed array itself (f16 data has been widened before it gets here). */
export function realArray(a: RealArray | WasmArray): RealArray {
  return (isWasmArray(a) ? a.array : a) as RealArray;
}

/** The typed array behind a WasmArray of any dtype, or the typed array itself. */
export function typedArray(a: RealArray | HalfArray | WasmArray): RealArray | HalfArray {
  return isWasmArray(a) ? a.array : a;
}
