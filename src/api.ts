// The public API over a backend: validates input and options before anything is written,
// resolves the output, and hands the backend operands of one dtype and the right lengths.

import { type Core, type Operand, dtypeOf } from "./core.js";
import { isWasmArray } from "./memory.js";
import { Online } from "./online.js";
import type { Dtype, Input, Kernels, OnlineSoftmax, Output, RealArray, ScaleOptions, WasmArray } from "./types.js";
import {
  ROW_KEYS,
  SCALE_KEYS,
  betaFrom,
  describe,
  newArray,
  operandOf,
  outOperand,
} from "./validate.js";

interface RowCall {
  x: Operand;
  out: unknown;
  rows: number;
  k: number;
  beta: number;
}

/** Validates a row-wise call; `perRow` makes out one element per row (logSumExp). */
function rowCall(core: Core, x: unknown, opts: unknown, perRow: boolean): RowCall {
  const xo = operandOf(core, x, "x");
  const n = xo.length;
  const o = (opts ?? undefined) as { rowLength?: unknown; out?: unknown } | undefined;
  const beta = betaFrom(o as ScaleOptions | undefined, ROW_KEYS);
  let k = n;
  let rows = n > 0 ? 1 : 0;
  const rowLength = o?.rowLength;
  if (rowLength !== undefined) {
    if (typeof rowLength !== "number") throw new TypeError(`rowLength must be a number (got ${describe(rowLength)})`);
    if (!Number.isInteger(rowLength) || rowLength <= 0) {
      throw new RangeError(`rowLength must be a positive integer (got ${rowLength})`);
    }
    if (n % rowLength !== 0) throw new RangeError(`rowLength must divide the input length (got ${rowLength} for ${n})`);
    k = rowLength;
    rows = n / rowLength;
  }
  let out: unknown = o?.out;
  if (out !== undefined) {
    const length = perRow ? (rowLength === undefined ? 1 : rows) : n;
    const what = perRow ? (rowLength === undefined ? "length 1 when rowLength is not given" : "one element per row") : "the input's length";
    out = outOperand(core, out, dtypeOf(xo), length, what);
  }
  return { x: xo, out, rows, k, beta };
}

/** The API of one backend. */
export function createKernels(core: Core): Kernels {
  const rowwise = (log: boolean) => (x: Input, opts?: unknown) => {
    const call = rowCall(core, x, opts, false);
    const y = (call.out as Operand | undefined) ?? newArray(dtypeOf(call.x), call.x.length);
    core.rows(log, call.x, y, call.rows, call.k, call.beta);
    return (opts as { out?: Output } | undefined)?.out ?? y;
  };
  const kernels = {
    backend: core.backend,
    softmax: rowwise(false),
    logSoftmax: rowwise(true),
    logSumExp(x: Input, opts?: unknown) {
      const call = rowCall(core, x, opts, true);
      const given = (opts as { out?: Output } | undefined)?.out;
      if ((opts as { rowLength?: number } | undefined)?.rowLength === undefined) {
        const value = call.rows === 0 ? -Infinity : core.logSumExp(call.x, undefined, 1, call.k, call.beta);
        if (call.out) (isWasmArray(call.out) ? call.out.array : (call.out as RealArray))[0] = value;
        return value;
      }
      const out = (call.out as Operand | undefined) ?? newArray(dtypeOf(call.x), call.rows);
      core.logSumExp(call.x, out, call.rows, call.k, call.beta);
      return given ?? out;
    },
    online(opts?: ScaleOptions): OnlineSoftmax {
      return new Online(core, betaFrom(opts, SCALE_KEYS));
    },
    alloc(length: number, dtype: Dtype = "f32"): WasmArray {
      if (dtype !== "f32" && dtype !== "f64") throw new TypeError(`dtype must be "f32" or "f64" (got ${describe(dtype)})`);
      if (typeof length !== "number") throw new TypeError(`alloc length must be a number (got ${describe(length)})`);
      if (!Number.isSafeInteger(length) || length < 0) {
        throw new RangeError(`alloc length must be a non-negative integer (got ${length})`);
      }
      return core.alloc(length, dtype);
    },
  };
  return kernels as unknown as Kernels;
}
