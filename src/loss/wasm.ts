// The loss arithmetic of the wasm backends: operands staged in one scratch block of linear
// memory (or used in place when they are this module's WasmArrays), the kernels of
// assembly/loss/loss.ts, results copied out.

import { type AnyOperand, type Operand, dtypeOf } from "../core/backend.js";
import { COEFS, type LossCall, type LossCore, STATS } from "./layout.js";
import { HALF_WORK } from "./stats.js";
import { BYTES, type LinearMemory } from "../core/memory.js";
import { type HalvesSuffix, Staging, halvesSuffix, offsetOf, stagedBackward } from "../core/staging.js";
import type { RealDtype as Dtype } from "../core/types.js";
import type { KernelExports, WasmCore } from "../core/wasm.js";

type CrossEntropyKernel = (
  x: number, g: number, rows: number, k: number, beta: number, targets: number, t: number, w: number,
  stats: number, coefs: number, zScale: number, tScale: number, mode: number, work: number,
) => void;
type BackwardKernel = (g: number, y: number, out: number, rows: number, k: number, beta: number, work: number) => void;

/** Bytes of the f16 kernels' work area for rows of k (assembly/loss/stats.ts: halves are widened into it). */
export const workBytes = (k: number): number => Math.max(HALF_WORK, k) * BYTES.f32;

interface Kernels {
  crossentropy: CrossEntropyKernel;
  softmaxbackward: BackwardKernel;
  logsoftmaxbackward: BackwardKernel;
}

const NAMES = ["crossentropy", "softmaxbackward", "logsoftmaxbackward"] as const;

function kernelsOf(exports: Record<string, unknown>, dtype: Dtype): Kernels {
  const kernels = {} as Record<string, unknown>;
  for (const name of NAMES) {
    const f = exports[`${dtype}_${name}`];
    if (typeof f !== "function") throw new TypeError(`not a softmax-wasm module: export ${dtype}_${name} is missing`);
    kernels[name] = f;
  }
  return kernels as unknown as Kernels;
}

export class WasmLoss implements LossCore {
  readonly #memory: LinearMemory;
  readonly #kernels: Record<Dtype, Kernels>;
  /** Cross-entropy of f16 logits (the rest f32). */
  readonly #halves: CrossEntropyKernel;
  /** The backward passes of halves (out f32), by which operands are (halvesSuffix). */
  readonly #halvesBackward: Record<HalvesSuffix, Pick<Kernels, "softmaxbackward" | "logsoftmaxbackward">>;

  constructor(core: WasmCore, exports: KernelExports) {
    this.#memory = core.memory;
    this.#kernels = { f32: kernelsOf(exports, "f32"), f64: kernelsOf(exports, "f64") };
    this.#halves = exports.f16_crossentropy as CrossEntropyKernel;
    const backward = (suffix: string) => ({
      softmaxbackward: exports[`f16_softmaxbackward${suffix}`] as BackwardKernel,
      logsoftmaxbackward: exports[`f16_logsoftmaxbackward${suffix}`] as BackwardKernel,
    });
    this.#halvesBackward = { "": backward(""), _g: backward("_g"), _y: backward("_y") };
  }

  crossEntropy(call: LossCall): Float64Array {
    const { x, grad, rows, k, targets, probs, weight, mode, coefs } = call;
    const halves = dtypeOf(x) === "f16";
    const dtype = halves ? "f32" : (dtypeOf(x) as Dtype);
    const n = x.length;
    const stage = new Staging(this.#memory, dtype);
    const xPlaced = stage.place(x, false, halves ? "f16" : dtype);
    // In place on a typed array: the gradient is computed over x's staged copy.
    const gPlaced = grad === undefined ? 0 : grad === x ? xPlaced : stage.place(grad, true);
    const gOffset = grad === undefined ? 0 : offsetOf(grad);
    const tPlaced = probs ? stage.place(probs) : 0;
    const wAt = weight ? stage.region(k * BYTES[dtype]) : 0;
    const iAt = targets ? stage.region(rows * 4) : 0;
    const sAt = stage.region(rows * STATS * 8);
    const cAt = coefs ? stage.region(rows * COEFS * 8) : 0;
    const workAt = halves ? stage.region(workBytes(k)) : 0;
    const address = stage.open("logits", n);
    const base = stage.base;
    const gp = grad === undefined ? 0 : address(gPlaced);
    const wp = weight ? base + wAt : 0;
    const ip = targets ? base + iAt : 0;
    const sp = base + sAt;
    const cp = coefs ? base + cAt : 0;
    if (weight) this.#memory.heap(dtype).set(weight, wp / BYTES[dtype]);
    if (targets) new Int32Array(this.#memory.heap("f64").buffer, ip, rows).set(targets);
    if (coefs) this.#memory.heap("f64").set(coefs, cp / 8);
    const tp = probs ? address(tPlaced) : 0;
    (halves ? this.#halves : this.#kernels[dtype].crossentropy)(address(xPlaced), gp, rows, k, call.beta, ip, tp, wp, sp, cp, call.zScale, call.tScale, mode, halves ? base + workAt : 0);
    if (grad) stage.copyOut(grad, gp, gOffset, n);
    return this.#memory.heap("f64").subarray(sp / 8, sp / 8 + rows * STATS);
  }

  backward(log: boolean, g: AnyOperand, y: AnyOperand, out: Operand, rows: number, k: number, beta: number): void {
    // Halves in either operand (the other then f32, as out): a kernel that reads them as they are.
    const halves = halvesSuffix(g, y);
    const kernels = halves === undefined ? this.#kernels[dtypeOf(out)] : this.#halvesBackward[halves];
    const kernel = log ? kernels.logsoftmaxbackward : kernels.softmaxbackward;
    stagedBackward(this.#memory, g, y, out, halves === undefined ? 0 : workBytes(k), (gp, yp, op, work) => kernel(gp, yp, op, rows, k, beta, work));
  }

}
