// The public API over a backend: validates input and options before anything is written,
// resolves the output, and hands the backend operands of one dtype and the right lengths.

import { type AnyOperand, type Core, type Operand, dtypeOf } from "./backend.js";
import { type HalfArray, storeHalves } from "./half.js";
import { isWasmArray, realArray } from "./memory.js";
import { Online } from "./online.js";
import type { FamilyDefinition } from "./family.js";
import type { CoreKernels, Dtype, Input, OnlineSoftmax, Output, ScaleOptions, WasmArray } from "./types.js";
import type { KernelExports } from "./wasm.js";
import {
  ROW_KEYS,
  SCALE_KEYS,
  anyOperandOf,
  betaFrom,
  describe,
  newArray,
  outOperand,
  rowsOf,
} from "./validate.js";

interface RowCall {
  x: AnyOperand;
  /** The validated out as an operand (the caller gets back the object it gave). */
  out: AnyOperand | undefined;
  rows: number;
  k: number;
  /** Whether rowLength was given (logSumExp then returns an array). */
  batched: boolean;
  beta: number;
}

/** Validates a row-wise call; `perRow` makes out one element per row (logSumExp). */
function rowCall(core: Core, x: unknown, opts: unknown, perRow: boolean): RowCall {
  const xo = anyOperandOf(core, x, "x");
  const n = xo.length;
  const o = (opts ?? undefined) as { rowLength?: unknown; out?: unknown } | undefined;
  const beta = betaFrom(o as ScaleOptions | undefined, ROW_KEYS);
  const { rows, k, batched } = rowsOf(n, o?.rowLength);
  let out: AnyOperand | undefined;
  if (o?.out !== undefined) {
    const length = perRow ? (batched ? rows : 1) : n;
    const what = perRow ? (batched ? "one element per row" : "length 1 when rowLength is not given") : "the input's length";
    out = outOperand(core, o.out, dtypeOf(xo), length, what, true);
  }
  return { x: xo, out, rows, k, batched, beta };
}

/** A family to add, with its module's exports (undefined on the js backend). */
export type FamilyPart = readonly [FamilyDefinition, KernelExports | undefined];

/** The API of one backend: the core functions and those of each family. */
export function createKernels(core: Core, families: readonly FamilyPart[]): CoreKernels {
  const rowwise = (log: boolean) => (x: Input, opts?: unknown) => {
    const call = rowCall(core, x, opts, false);
    const y = call.out ?? newArray(dtypeOf(call.x), call.x.length);
    core.rows(log, call.x, y, call.rows, call.k, call.beta);
    return (opts as { out?: Output } | undefined)?.out ?? y;
  };
  const kernels = {
    backend: core.backend,
    softmax: rowwise(false),
    logSoftmax: rowwise(true),
    logSumExp(x: Input, opts?: unknown) {
      const call = rowCall(core, x, opts, true);
      if (!call.batched) {
        const value = call.rows === 0 ? -Infinity : core.logSumExp(call.x, undefined, 1, call.k, call.beta);
        if (call.out && dtypeOf(call.out) === "f16") storeHalves((isWasmArray(call.out) ? call.out.array : call.out) as HalfArray, [value]);
        else if (call.out) realArray(call.out as Operand)[0] = value;
        return value;
      }
      const out = call.out ?? newArray(dtypeOf(call.x), call.rows);
      core.logSumExp(call.x, out, call.rows, call.k, call.beta);
      return (opts as { out?: Output } | undefined)?.out ?? out;
    },
    online(opts?: ScaleOptions): OnlineSoftmax {
      return new Online(core, betaFrom(opts, SCALE_KEYS));
    },
    alloc(length: number, dtype: Dtype = "f32"): WasmArray {
      if (dtype !== "f32" && dtype !== "f64" && dtype !== "f16") {
        throw new TypeError(`dtype must be "f32", "f64" or "f16" (got ${describe(dtype)})`);
      }
      if (typeof length !== "number") throw new TypeError(`alloc length must be a number (got ${describe(length)})`);
      if (!Number.isSafeInteger(length) || length < 0) {
        throw new RangeError(`alloc length must be a non-negative integer (got ${length})`);
      }
      return core.alloc(length, dtype);
    },
  };
  for (const [family, exports] of families) Object.assign(kernels, family.create(core, exports));
  return kernels as unknown as CoreKernels;
}
