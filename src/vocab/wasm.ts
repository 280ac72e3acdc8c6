// The vocabulary arithmetic of the wasm backends over assembly/vocab/vocab.ts. The matrix b
// (the tree's nodes, the output embeddings: up to millions of rows) is used in place when it
// is this module's WasmArray of the call's dtype; otherwise only the rows a call uses are
// copied, so a call costs O(rows used), never O(rows of b). The hidden vectors, indices and
// results go through one scratch block.

import { type Operand, dtypeOf } from "../core/backend.js";
import { BYTES, LinearArray, type LinearMemory } from "../core/memory.js";
import { Staging, offsetOf } from "../core/staging.js";
import type { Dtype, RealArray } from "../core/types.js";
import type { KernelExports, WasmCore } from "../core/wasm.js";
import type { Pairs, VocabCore } from "./backend.js";

type PairKernel = (a: number, b: number, dim: number, ia: number, ib: number, n: number, out: number) => void;
type RowKernel = (a: number, rows: number, b: number, ib: number, m: number, dim: number, out: number) => void;
type ScatterKernel = (dst: number, src: number, dim: number, id: number, is: number, g: number, n: number) => void;

interface Kernels {
  pairdots: PairKernel;
  rowdots: RowKernel;
  scatter: ScatterKernel;
}

const NAMES = ["pairdots", "rowdots", "scatter"] as const;

function kernelsOf(exports: KernelExports, dtype: Dtype): Kernels {
  const kernels = {} as Record<string, unknown>;
  for (const name of NAMES) {
    const f = exports[`${dtype}_${name}`];
    if (typeof f !== "function") throw new TypeError(`not a softmax-wasm module: export ${dtype}_${name} is missing`);
    kernels[name] = f;
  }
  return kernels as unknown as Kernels;
}

/** How b's rows reach a kernel: in place (row ids as they are) or copied (rows numbered by their place in ids). */
interface Rows {
  placed: number;
  ib: Int32Array;
  copy: boolean;
  offset: number;
}

export class WasmVocab implements VocabCore {
  readonly #memory: LinearMemory;
  readonly #kernels: Record<"f32" | "f64", Kernels>;

  constructor(core: WasmCore, exports: KernelExports) {
    this.#memory = core.memory;
    this.#kernels = { f32: kernelsOf(exports, "f32"), f64: kernelsOf(exports, "f64") };
  }

  /** Places b's rows of `pairs` (see Rows). */
  #rows(stage: Staging, b: Operand, dtype: Dtype, dim: number, { ids, pb }: Pairs): Rows {
    if (b instanceof LinearArray && b.livesIn(this.#memory) && b.dtype === dtype) {
      return { placed: b.ptr, ib: pb.map((slot) => ids[slot]), copy: false, offset: 0 };
    }
    return { placed: -1 - stage.region(ids.length * dim * BYTES[dtype]), ib: pb, copy: true, offset: offsetOf(b) };
  }

  /** Copies b's rows `ids` to `at` (b's data read at its offset if the scratch block detached its view). */
  #copyRows(b: Operand, offset: number, dtype: Dtype, dim: number, ids: Int32Array, at: number): void {
    const heap = this.#memory.heap(dtype) as RealArray;
    let source = (b instanceof LinearArray ? b.array : b) as RealArray;
    if (source.length === 0) source = this.#memory.view(offset, b.length, dtype) as RealArray;
    let to = at / BYTES[dtype];
    for (let i = 0; i < ids.length; i++, to += dim) {
      const from = ids[i] * dim;
      if (dim > 64) heap.set(source.subarray(from, from + dim), to);
      else for (let d = 0; d < dim; d++) heap[to + d] = source[from + d];
    }
  }

  /** Writes an Int32 region of a staged call (after open()). */
  #ints(at: number, values: Int32Array): void {
    new Int32Array(this.#memory.heap("f64").buffer, at, values.length).set(values);
  }

  dots(a: Operand, b: Operand, dim: number, pairs: Pairs, dots: Float64Array): void {
    const dtype = dtypeOf(a) as "f32" | "f64";
    const n = pairs.pa.length;
    const stage = new Staging(this.#memory, dtype);
    const aPlaced = stage.place(a);
    const rows = this.#rows(stage, b, dtype, dim, pairs);
    const iaAt = stage.region(n * 4);
    const ibAt = stage.region(n * 4);
    const outAt = stage.region(n * 8);
    const address = stage.open("h", a.length);
    const base = stage.base;
    const bp = address(rows.placed);
    if (rows.copy) this.#copyRows(b, rows.offset, dtype, dim, pairs.ids, bp);
    this.#ints(base + iaAt, pairs.pa);
    this.#ints(base + ibAt, rows.ib);
    this.#kernels[dtype].pairdots(address(aPlaced), bp, dim, base + iaAt, base + ibAt, n, base + outAt);
    dots.set(this.#memory.view(base + outAt, n, "f64"));
  }

  backward(a: Operand, b: Operand, dim: number, pairs: Pairs, g: Float64Array, gradA: RealArray, gradB: RealArray): void {
    const dtype = dtypeOf(a) as "f32" | "f64";
    const n = pairs.pa.length;
    const stage = new Staging(this.#memory, dtype);
    const aPlaced = stage.place(a);
    const rows = this.#rows(stage, b, dtype, dim, pairs);
    const gaPlaced = stage.place(gradA, true);
    const gbPlaced = stage.place(gradB, true);
    const iaAt = stage.region(n * 4);
    const ibAt = stage.region(n * 4);
    const pbAt = stage.region(n * 4);
    const gAt = stage.region(n * 8);
    const address = stage.open("h", a.length);
    const base = stage.base;
    const ap = address(aPlaced);
    const bp = address(rows.placed);
    const gap = address(gaPlaced);
    const gbp = address(gbPlaced);
    if (rows.copy) this.#copyRows(b, rows.offset, dtype, dim, pairs.ids, bp);
    const heap = this.#memory.heap(dtype) as RealArray;
    heap.fill(0, gap / BYTES[dtype], gap / BYTES[dtype] + gradA.length);
    heap.fill(0, gbp / BYTES[dtype], gbp / BYTES[dtype] + gradB.length);
    this.#ints(base + iaAt, pairs.pa);
    this.#ints(base + ibAt, rows.ib);
    this.#ints(base + pbAt, pairs.pb);
    this.#memory.heap("f64").set(g, (base + gAt) / 8);
    const k = this.#kernels[dtype];
    k.scatter(gap, bp, dim, base + iaAt, base + ibAt, base + gAt, n);
    k.scatter(gbp, ap, dim, base + pbAt, base + iaAt, base + gAt, n);
    stage.copyOut(gradA, gap, 0, gradA.length);
    stage.copyOut(gradB, gbp, 0, gradB.length);
  }

  allDots(a: Operand, b: Operand, dim: number, out: Float64Array): void {
    const dtype = dtypeOf(a) as "f32" | "f64";
    const rows = a.length / dim;
    const m = b.length / dim;
    const stage = new Staging(this.#memory, dtype);
    const aPlaced = stage.place(a);
    const bPlaced = stage.place(b);
    const outAt = stage.region(rows * m * 8);
    const address = stage.open("nodes", b.length);
    const base = stage.base;
    this.#kernels[dtype].rowdots(address(aPlaced), rows, address(bPlaced), 0, m, dim, base + outAt);
    out.set(this.#memory.view(base + outAt, rows * m, "f64"));
  }
}
