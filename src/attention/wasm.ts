// The attention arithmetic of the wasm backends: operands staged in one scratch block of linear
// memory (or used in place when they are this module's WasmArrays of the dtype the kernel
// reads: a key/value cache in WasmArrays is never copied), then one call of
// assembly/attention/attention.ts's kernel for the compute dtype and the keys' storage dtype
// per key segment (segments.ts; under parallel() as many segments at once as threads).

import { dtypeOf } from "../core/backend.js";
import type { LinearMemory } from "../core/memory.js";
import { Staging, offsetOf } from "../core/staging.js";
import type { ConcurrentKernel } from "../core/split.js";
import type { Dtype, RealArray } from "../core/types.js";
import type { KernelExports, WasmCore } from "../core/wasm.js";
import type { AttentionCall, AttentionCore } from "./layout.js";
import { SegmentMerge, segmentsOf } from "./segments.js";

/** A kernel export; parallel()'s also runs whole calls at once (src/core/split.ts). */
type AttendKernel = ((...args: number[]) => void) & Partial<Pick<ConcurrentKernel, "threads" | "all">>;
type WorkKernel = (queries: number, heads: number, kvHeads: number, valueDim: number, dim: number, halves: number) => number;

const COMPUTE: readonly Dtype[] = ["f32", "f64"];
const STORAGE: readonly Dtype[] = ["f32", "f64", "f16"];

/** The storage dtype of keys and values of two dtypes: the wider (so the other widens exactly; the API widens a lone f16 operand). */
function storageOf(a: Dtype, b: Dtype): Dtype {
  return a === b ? a : a === "f64" || b === "f64" ? "f64" : "f32";
}

export class WasmAttention implements AttentionCore {
  readonly #memory: LinearMemory;
  readonly #kernels = new Map<string, AttendKernel>();
  readonly #work: WorkKernel;

  constructor(core: WasmCore, exports: KernelExports) {
    this.#memory = core.memory;
    for (const t of COMPUTE) {
      for (const k of STORAGE) {
        const f = exports[`${t}_${k}_attend`];
        if (typeof f !== "function") throw new TypeError(`not a softmax-wasm attention module: export ${t}_${k}_attend is missing`);
        this.#kernels.set(`${t}_${k}`, f as AttendKernel);
      }
    }
    if (typeof exports.attendwork !== "function") throw new TypeError("not a softmax-wasm attention module: export attendwork is missing");
    this.#work = exports.attendwork as WorkKernel;
  }

  attend(c: AttentionCall): void {
    const { queries, heads, kvHeads, dim, valueDim, end } = c;
    const dtype = dtypeOf(c.q);
    const storage = storageOf(dtypeOf(c.keys), dtypeOf(c.values));
    const kernel = this.#kernels.get(`${dtype}_${storage}`) as AttendKernel;
    const segments = segmentsOf(c);
    const rows = queries * heads;
    const bytes = dtype === "f32" ? 4 : 8;
    // Scratch { out, lse } for the segments that run at once (one per thread).
    const slots = segments.length > 1 ? Math.min(segments.length, kernel.threads ?? 1) : 0;
    const stage = new Staging(this.#memory, dtype);
    const qPlaced = stage.place(c.q);
    // Only the rows before the range's end are read: a large preallocated cache is not copied whole.
    const kPlaced = stage.place(c.keys, false, storage, end * kvHeads * dim);
    const vPlaced = stage.place(c.values, false, storage, end * kvHeads * valueDim);
    const bPlaced = c.bias ? stage.place(c.bias) : 0;
    const outPlaced = stage.place(c.out, true);
    const outOffset = offsetOf(c.out);
    const lsePlaced = c.lse ? stage.place(c.lse, true) : 0;
    const lseOffset = c.lse ? offsetOf(c.lse) : 0;
    const alibiAt = c.alibi ? stage.region(heads * 8) : 0;
    const sinksAt = c.sinks ? stage.region(heads * 8) : 0;
    const workAt = stage.region(this.#work(queries, heads, kvHeads, valueDim, dim, storage === "f16" ? 1 : 0));
    const partsAt = stage.region(slots * rows * (valueDim + 1) * bytes);
    const address = stage.open("keys", c.keys.length);
    const base = stage.base;
    const f64 = this.#memory.heap("f64");
    if (c.alibi) f64.set(c.alibi, (base + alibiAt) / 8);
    if (c.sinks) f64.set(c.sinks, (base + sinksAt) / 8);
    const op = address(outPlaced);
    const lp = c.lse ? address(lsePlaced) : 0;
    const argsOf = (segment: number, out: number, lse: number): number[] => [
      address(qPlaced), address(kPlaced), address(vPlaced), out, lse, base + workAt,
      queries, heads, kvHeads, dim, valueDim, c.length, segments[segment][0], segments[segment][1], c.offset, c.causal ? 1 : 0, c.window, c.scale, c.softcap,
      c.bias ? address(bPlaced) : 0, c.biasHead, c.alibi ? base + alibiAt : 0, c.sinks && segment === 0 ? base + sinksAt : 0, 0, kvHeads,
    ];
    if (slots === 0) {
      kernel(...argsOf(0, op, lp));
    } else {
      const outAt = (slot: number) => base + partsAt + slot * rows * valueDim * bytes;
      const lseAt = (slot: number) => base + partsAt + slots * rows * valueDim * bytes + slot * rows * bytes;
      const merge = new SegmentMerge(rows, valueDim);
      for (let first = 0; first < segments.length; first += slots) {
        const calls: number[][] = [];
        for (let i = first; i < Math.min(segments.length, first + slots); i++) calls.push(argsOf(i, outAt(i - first), lseAt(i - first)));
        if (calls.length === 1) kernel(...calls[0]);
        else (kernel.all as (calls: number[][]) => void)(calls);
        const heap = this.#memory.heap(dtype) as RealArray;
        calls.forEach((_, slot) => {
          const out = outAt(slot) / bytes;
          const lse = lseAt(slot) / bytes;
          merge.add(heap.subarray(out, out + rows * valueDim), heap.subarray(lse, lse + rows));
        });
      }
      const heap = this.#memory.heap(dtype) as RealArray;
      heap.set(merge.out, op / bytes);
      if (c.lse) heap.set(merge.lse, lp / bytes);
    }
    stage.copyOut(c.out, op, outOffset, queries * heads * valueDim);
    if (c.lse) stage.copyOut(c.lse, lp, lseOffset, queries * heads);
  }
}
