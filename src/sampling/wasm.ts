// The sampling passes of the wasm backends: stage the logits (and a mask) in the module's
// scratch area, then call assembly/sample.ts's kernels on one row at a time. Halves are read
// by the f16 kernels where they are (or copied in as halves), unless the call writes the row
// (penalties, mask) or the runtime has no Float16Array to show the row to the host: then each
// row is widened into an f32 copy in a kernel, and the f32 kernels take it. So is a row that
// argmax finds full of subnormal halves, at the first pass after it that reads the row (#read).

import { type AnyOperand, dtypeOf } from "../core/backend.js";
import { Float16Constructor } from "../core/half.js";
import { BYTES, LinearArray, type LinearMemory } from "../core/memory.js";
import type { Band, Room, SampleBackend, SampleSession } from "./backend.js";
import type { Dtype as AnyDtype, RealArray } from "../core/types.js";
import type { KernelExports, WasmCore } from "../core/wasm.js";
import { HISTOGRAM_BUCKETS } from "./layout.js";

type Kernel = (...args: number[]) => number;

interface SampleKernels {
  argmax: Kernel;
  /** For f16 kernels: 1 when the row argmax last read was all finite, 2 when its only non-finite entries were -Infinity, else 0 (0 for the others). */
  finite: Kernel;
  /** For f16 kernels: 1 when the row argmax last read held many subnormal halves (0 for the others): the f32 kernels read it faster widened. */
  subnormal: Kernel;
  mask: Kernel;
  keptblocks: Kernel;
  draw: Kernel;
  collect: Kernel;
  topk: Kernel;
  weigh: Kernel;
  band: Kernel;
  keep: Kernel;
}

const NAMES = ["argmax", "mask", "keptblocks", "draw", "collect", "topk", "weigh", "band", "keep"] as const;
/** The kernels that have no f16 form: they take f32 data (a widened row, weights). */
const F32_ONLY = new Set(["mask", "band"]);


const align = (bytes: number) => Math.ceil(bytes / 16) * 16;

/** Where a call's arrays sit in linear memory. */
interface Layout {
  /** The staged row (a copy) when `copy`; else the input itself. */
  xp: number;
  idxp: number;
  valsp: number;
  tmpp: number;
  maskp: number;
  /** A row's weights (weigh) or kept logits (keep), the band search's sample, its histogram and its three f64 results; 0 when the call has no room for them. */
  wp: number;
  samplep: number;
  histp: number;
  outp: number;
  /** Room for a row of halves read in place (xp) widened, where argmax finds many subnormal halves in it; else 0. */
  widep: number;
}

/** Where the input's rows come from. */
interface Source {
  /** The dtype of the staged row the kernels read (f32 for halves widened). */
  dtype: AnyDtype;
  /** The input's dtype. */
  input: AnyDtype;
  /** Copy each row into xp before its passes (else the passes read the input in place). */
  copy: boolean;
  /** Where halves are copied before they are widened into xp (when the input is not in this memory), else 0. */
  halvesp: number;
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
  readonly #kernels: Record<AnyDtype, SampleKernels>;
  readonly #at: Layout;
  readonly #source: Source;
  readonly #memory: LinearMemory;
  readonly #core: WasmCore;
  /** The current row's dtype (f32 where a row of halves was widened, see #read). */
  #dtype: AnyDtype;
  /** Address of the current row. */
  #current = 0;
  /** 1 when argmax found the current row of halves free of Inf and NaN: the weight passes then widen it in fewer operations (a trailing argument the f32 and f64 kernels ignore). */
  #finite = 0;
  /** Whether argmax found the current row of halves full of subnormal ones: the first pass after it that reads the row widens it (see #read). */
  #subnormal = false;
  /** The (c, beta) of the weights stored at wp for the current row (NaN: none). */
  #weighed = [NaN, NaN];
  /** The (c, beta, theta, tie) of the block sums keptblocks left at idxp for the current row (NaN: none). */
  #blocked = [NaN, NaN, NaN, NaN];

  constructor(kernels: Record<AnyDtype, SampleKernels>, at: Layout, source: Source, core: WasmCore) {
    this.#kernels = kernels;
    this.#at = at;
    this.#source = source;
    this.#memory = core.memory;
    this.#core = core;
    this.#dtype = source.dtype;
  }

  /** The current row's kernels. */
  get #f(): SampleKernels {
    return this.#kernels[this.#dtype];
  }

  /** The weights' (and kept rows') typed array over the buffer: f64 for f64 rows, else f32. */
  #reals(p: number, k: number): RealArray {
    return this.#source.dtype === "f64" ? new Float64Array(this.#buffer, p, k) : new Float32Array(this.#buffer, p, k);
  }

  /** The memory's buffer now (a new one after growth). */
  get #buffer(): ArrayBufferLike {
    return this.#memory.heap("f64").buffer;
  }

  row(start: number, k: number): RealArray {
    const { copy, array, from, input, halvesp } = this.#source;
    const size = BYTES[this.#source.dtype];
    const heap = this.#memory.heap(this.#source.dtype);
    // Rows are staged one at a time, so that every pass over a row of a batch finds it in cache.
    this.#weighed = [NaN, NaN];
    this.#blocked = [NaN, NaN, NaN, NaN];
    this.#finite = 0;
    this.#subnormal = false;
    this.#dtype = this.#source.dtype;
    if (input === "f16") {
      // The halves' bits, copied as such (a Float16Array's set may convert them one by one).
      const p = array ? (halvesp || this.#at.xp) : from + 2 * start;
      if (array) new Uint16Array(this.#buffer, p, k).set(new Uint16Array(array.buffer, array.byteOffset + 2 * start, k));
      if (this.#source.dtype === "f32") this.#core.widenAt(p, this.#at.xp, k);
      this.#current = this.#source.dtype === "f32" ? this.#at.xp : p;
    } else if (copy) {
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
    const at = this.#current / BYTES[this.#dtype];
    // f16 kernels' rows are shown as a Float16Array (the runtime has one: see session).
    return this.#memory.heap(this.#dtype).subarray(at, at + k) as RealArray;
  }

  argmax(_: number, k: number): number {
    const top = this.#f.argmax(this.#current, k);
    this.#finite = this.#f.finite();
    this.#subnormal = this.#at.widep !== 0 && this.#f.subnormal() === 1;
    return top;
  }

  /**
   * The current row's address for a pass that reads it. The passes after argmax widen halves as
   * they compute, and an Intel core takes a microcode assist for operations on the subnormal
   * f32s a row full of subnormal halves gives them: such a row is widened once, at the first of
   * them (exactly, no float arithmetic on them; argmax alone never pays for it), and the f32
   * kernels read it (the same results). Called before the pass's kernel is looked up (#f).
   */
  #read(k: number): number {
    if (this.#subnormal) {
      this.#subnormal = false;
      this.#core.widenAt(this.#current, this.#at.widep, k);
      this.#current = this.#at.widep;
      this.#dtype = "f32";
      this.#finite = 0;
    }
    return this.#current;
  }

  mask(_: number, k: number, word: number): void {
    this.#f.mask(this.#current, k, this.#at.maskp + 4 * word);
  }

  weigh(_: number, k: number, c: number, beta: number): number {
    this.#weighed = [c, beta];
    const x = this.#read(k);
    return this.#f.weigh(x, k, c, beta, this.#at.wp, this.#finite);
  }

  /** The stored weights' address if they are those of (c, beta), else 0 (the kernels compute them). */
  #weights(c: number, beta: number): number {
    return this.#weighed[0] === c && this.#weighed[1] === beta ? this.#at.wp : 0;
  }

  band(_: number, k: number, total: number, need: number): Band {
    const { wp, idxp, samplep, histp, outp } = this.#at;
    this.#blocked = [NaN, NaN, NaN, NaN];
    const count = this.#f.band(wp, k, total, need, idxp, samplep, histp, outp);
    const out = new Float64Array(this.#buffer, outp, 2);
    return { above: out[0], low: out[1], indices: new Int32Array(this.#buffer, idxp, count), weights: this.#reals(wp, k) };
  }

  keep(_: number, k: number, theta: number, tie: number): RealArray {
    const { wp } = this.#at;
    this.#weighed = [NaN, NaN];
    const x = this.#read(k);
    this.#f.keep(x, k, theta, tie, wp);
    return this.#reals(wp, k);
  }

  keptSum(_: number, k: number, c: number, beta: number, theta: number, tie: number): number {
    // The sums per block go to the indices' room, which a cut of the whole row leaves free; draw reads them.
    this.#blocked = [c, beta, theta, tie];
    const x = this.#read(k);
    return this.#f.keptblocks(x, k, c, beta, theta, tie, this.#at.idxp, this.#finite);
  }

  draw(_: number, k: number, c: number, beta: number, theta: number, tie: number, target: number): number {
    const [bc, bb, bt, bi] = this.#blocked;
    const blocks = bc === c && bb === beta && bt === theta && bi === tie ? this.#at.idxp : 0;
    const x = this.#read(k);
    return this.#f.draw(x, k, c, beta, theta, tie, target, this.#weights(c, beta), blocks, this.#finite);
  }

  collect(_: number, k: number, theta: number, below = NaN): Int32Array {
    this.#blocked = [NaN, NaN, NaN, NaN];
    const x = this.#read(k);
    const count = this.#f.collect(x, k, theta, below, this.#at.idxp, k);
    return new Int32Array(this.#buffer, this.#at.idxp, count);
  }

  end(): void {
    this.#memory.unpin(this.#at.xp);
  }

  topK(_: number, k: number, count: number): Int32Array {
    this.#blocked = [NaN, NaN, NaN, NaN];
    const { idxp, valsp, tmpp } = this.#at;
    const x = this.#read(k);
    const m = this.#f.topk(x, k, count, idxp, valsp, tmpp, k);
    return new Int32Array(this.#buffer, idxp, m);
  }
}

/** A wasm backend's sampling passes. */
export class WasmSampleBackend implements SampleBackend {
  readonly halves = true;
  readonly #core: WasmCore;
  readonly #kernels: Record<AnyDtype, SampleKernels>;

  constructor(core: WasmCore, exports: KernelExports) {
    this.#core = core;
    const bind = (dtype: AnyDtype) => {
      const f = {} as Record<string, Kernel>;
      for (const name of NAMES) {
        const fn = exports[`${dtype === "f16" && F32_ONLY.has(name) ? "f32" : dtype}_${name}`];
        if (typeof fn !== "function") throw new TypeError(`not a softmax-wasm module: export ${dtype}_${name} is missing`);
        f[name] = fn as Kernel;
      }
      const finite = exports.f16_finite;
      if (typeof finite !== "function") throw new TypeError("not a softmax-wasm module: export f16_finite is missing");
      f.finite = dtype === "f16" ? (finite as Kernel) : () => 0;
      const subnormal = exports.f16_subnormal;
      if (typeof subnormal !== "function") throw new TypeError("not a softmax-wasm module: export f16_subnormal is missing");
      f.subnormal = dtype === "f16" ? (subnormal as Kernel) : () => 0;
      return f as unknown as SampleKernels;
    };
    this.#kernels = { f32: bind("f32"), f64: bind("f64"), f16: bind("f16") };
  }

  session(x: AnyOperand, writable: boolean, mask: Uint32Array | undefined, k: number, room: Room, weights = false): SampleSession {
    const memory = this.#core.memory;
    const input = dtypeOf(x);
    // Halves the call writes, or that the host could not read as values, are widened per row.
    const widened = input === "f16" && (writable || Float16Constructor === undefined);
    const dtype = widened ? "f32" : input;
    // Values the kernels write (top-k's, weights, kept rows) are f32 for halves.
    const size = input === "f64" ? 8 : 4;
    const n = x.length;
    const owned = this.#core.owns(x);
    const copy = writable || !owned;
    // A typed array that views this memory is detached if scratch() grows it: keep its offset.
    const from = owned ? (x as LinearArray).ptr : (x as RealArray).byteOffset;
    const viewsMemory = !owned && (x as RealArray).buffer === memory.heap("f64").buffer;
    // Halves outside this memory are copied in as halves: into xp, or before the widened row.
    const halvesBytes = input === "f16" && !owned && !viewsMemory ? align(k * 2) : 0;
    const xBytes = input !== "f16" ? (copy ? align(k * size) : 0) : widened ? align(k * 4) + halvesBytes : halvesBytes;
    const idxBytes = room === "none" ? 0 : align(k * 4);
    const valBytes = room === "topK" ? align(k * size) : 0;
    const maskBytes = mask ? align(mask.length * 4) : 0;
    const wBytes = weights ? align(k * size) : 0;
    // Halves read in place (copied in as halves, or where they are) have room to be widened.
    const wideBytes = input === "f16" && !widened ? align(k * 4) : 0;
    // The band search's sample, then the band's weights (at most k).
    const sampleBytes = weights ? align((k + 1) * size) : 0;
    const histBytes = weights ? HISTOGRAM_BUCKETS * 12 : 0;
    const outBytes = weights ? 32 : 0;
    const base = memory.scratch(xBytes + idxBytes + 2 * valBytes + maskBytes + wBytes + sampleBytes + histBytes + outBytes + wideBytes, "logits", n, input);
    const maskp = base + xBytes + idxBytes + 2 * valBytes;
    const at: Layout = {
      xp: base,
      idxp: base + xBytes,
      valsp: base + xBytes + idxBytes,
      tmpp: base + xBytes + idxBytes + valBytes,
      maskp,
      wp: weights ? maskp + maskBytes : 0,
      samplep: weights ? maskp + maskBytes + wBytes : 0,
      histp: weights ? maskp + maskBytes + wBytes + sampleBytes : 0,
      outp: weights ? maskp + maskBytes + wBytes + sampleBytes + histBytes : 0,
      widep: wideBytes ? maskp + maskBytes + wBytes + sampleBytes + histBytes + outBytes : 0,
    };
    if (mask) new Uint32Array(memory.heap(dtype).buffer, at.maskp, mask.length).set(mask);
    // The session's room is its own until end(): a random() that calls back into this module stages elsewhere.
    memory.pin(base);
    // Inputs in this memory are copied from their address (a view of it may be detached now).
    const array = owned || viewsMemory ? undefined : (x as RealArray);
    const halvesp = widened && halvesBytes > 0 ? base + align(k * 4) : 0;
    return new WasmSession(this.#kernels, at, { dtype, input, copy, halvesp, array, from }, this.#core);
  }
}
