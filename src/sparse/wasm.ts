// The sparse arithmetic of the wasm backends: operands staged in one scratch block of linear
// memory (or used in place when they are this module's WasmArrays), with the kernels' work
// area, the kernels of assembly/sparse/sparse.ts, results copied out. f16 rows go to the
// kernel as halves (f16_entmax reads them itself), its f32 result rounded into an f16 output.

import { type AnyOperand, type Operand, dtypeOf } from "../core/backend.js";
import type { SparseCore } from "./backend.js";
import { BYTES, type LinearMemory } from "../core/memory.js";
import { type HalvesSuffix, Staging, halvesSuffix, offsetOf, stagedBackward } from "../core/staging.js";
import type { RealDtype as Dtype } from "../core/types.js";
import type { KernelExports, WasmCore } from "../core/wasm.js";

type Kernel = (a: number, b: number, c: number, rows: number, k: number, beta: number, alpha: number, work?: number) => void;

/** f32 elements of f16_entmaxbackward's work area (its last argument): assembly/sparse/sparse.ts's HALF_BLOCK. */
export const HALF_BLOCK = 2048;

interface Kernels {
  entmax: Kernel;
  entmaxbackward: Kernel;
}

const NAMES = ["entmax", "entmaxbackward"] as const;

function kernelsOf(exports: KernelExports, dtype: Dtype | "f16"): Kernels {
  const kernels = {} as Record<string, unknown>;
  for (const name of NAMES) {
    const f = exports[`${dtype}_${name}`];
    if (typeof f !== "function") throw new TypeError(`not a softmax-wasm module: export ${dtype}_${name} is missing`);
    kernels[name] = f;
  }
  return kernels as unknown as Kernels;
}

/**
 * The entmax kernel's work space for rows of k: the candidates, their compacted copy (or the
 * samples) and their positions, 2k elements and k i32; f32 rows at alpha > 2 room for the row
 * widened and the f64 kernel's (assembly/sparse/sparse.ts, widenedRows: the largest alphas are
 * computed in f64).
 */
/** Bytes of the work area of the f16 backward kernels (their last argument): HALF_BLOCK f32, or a row of k where one operand alone is halves. */
export const backwardWork = (halves: HalvesSuffix, k: number): number => (halves === "" ? HALF_BLOCK : k) * BYTES.f32;

export function workBytes(dtype: Dtype, k: number, alpha: number): number {
  if (dtype === "f32" && alpha > 2) return k * BYTES.f64 + workBytes("f64", k, alpha);
  return k * (2 * BYTES[dtype] + 4);
}

export class WasmSparse implements SparseCore {
  readonly #core: WasmCore;
  readonly #memory: LinearMemory;
  readonly #kernels: Record<Dtype, Kernels>;
  /** entmax and its backward pass of halves (f32 out). */
  readonly #halves: Kernels;
  /** The backward pass of one operand of halves, the other f32 (halvesSuffix "_g", "_y"; out f32). */
  readonly #loneBackward: Record<"_g" | "_y", Kernel>;

  constructor(core: WasmCore, exports: KernelExports) {
    this.#core = core;
    this.#memory = core.memory;
    this.#kernels = { f32: kernelsOf(exports, "f32"), f64: kernelsOf(exports, "f64") };
    this.#halves = kernelsOf(exports, "f16");
    this.#loneBackward = { _g: exports.f16_entmaxbackward_g as Kernel, _y: exports.f16_entmaxbackward_y as Kernel };
  }

  /** x may hold halves (computed in f32): y is then f32, or f16 (rounded to nearest even; it may be x). */
  entmax(x: AnyOperand, y: AnyOperand, rows: number, k: number, beta: number, alpha: number): void {
    const halves = dtypeOf(x) === "f16";
    const dtype: Dtype = halves ? "f32" : (dtypeOf(x) as Dtype);
    const n = x.length;
    const stage = new Staging(this.#memory, dtype);
    const xPlaced = stage.place(x, false, halves ? "f16" : dtype);
    // An f16 y: the f32 result in a region of its own, then rounded into y (x's copy in place).
    const yHalves = dtypeOf(y) === "f16";
    const yPlaced = y === x ? xPlaced : stage.place(y, true, yHalves ? "f16" : dtype);
    const resultAt = yHalves ? stage.region(n * BYTES.f32) : 0;
    const yOffset = offsetOf(y);
    const work = stage.region(workBytes(dtype, k, alpha));
    const address = stage.open("x", n);
    const yp = address(yPlaced);
    const rp = yHalves ? stage.base + resultAt : yp;
    (halves ? this.#halves : this.#kernels[dtype]).entmax(address(xPlaced), rp, stage.base + work, rows, k, beta, alpha);
    if (yHalves) this.#core.narrowAt(rp, yp, n);
    stage.copyOut(y, yp, yOffset, n, yHalves ? "f16" : dtype);
  }

  /** g and y may hold halves, both or one beside f32 data (read by the kernels as they are; out f32). */
  backward(g: AnyOperand, y: AnyOperand, out: Operand, rows: number, k: number, beta: number, alpha: number): void {
    const halves = halvesSuffix(g, y);
    const kernel = halves === undefined ? this.#kernels[dtypeOf(out)].entmaxbackward : halves === "" ? this.#halves.entmaxbackward : this.#loneBackward[halves];
    stagedBackward(this.#memory, g, y, out, halves === undefined ? 0 : backwardWork(halves, k), (gp, yp, op, work) => kernel(gp, yp, op, rows, k, beta, alpha, work));
  }

}
