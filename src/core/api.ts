// The public API over a backend: validates input and options before anything is written,
// resolves the output, and hands the backend operands of one dtype and the right lengths.

import { type AnyOperand, type Core, type Operand, dtypeOf } from "./backend.js";
import { weightedLogSumExp } from "./baseline.js";
import { type HalfArray, storeHalves } from "./half.js";
import { realArray, typedArray } from "./memory.js";
import { Online } from "./online.js";
import type { FamilyDefinition } from "./family.js";
import type { CoreKernels, Dtype, Input, OnlineSoftmax, Output, ScaleOptions, WasmArray } from "./types.js";
import type { KernelExports } from "./wasm.js";
import {
  LSE_KEYS,
  ROW_KEYS,
  SCALE_KEYS,
  anyOperandOf,
  betaFrom,
  describe,
  newArray,
  operandOf,
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
  const beta = betaFrom(o as ScaleOptions | undefined, perRow ? LSE_KEYS : ROW_KEYS);
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
      const { x: xo, out, rows, k, batched, beta } = rowCall(core, x, opts, true);
      const o = opts as { out?: Output; b?: unknown; returnSign?: unknown } | undefined;
      const signed = o?.returnSign;
      if (signed !== undefined && typeof signed !== "boolean") throw new TypeError(`returnSign must be a boolean (got ${describe(signed)})`);
      const w = o?.b === undefined ? undefined : realArray(operandOf(core, o.b, "b"));
      const n = xo.length;
      if (w && w.length !== n && w.length !== k) throw new RangeError(`b must have the input's length or rowLength (got length ${w.length} for ${n})`);
      // The kernels write an f16 out themselves; the host's weighted or signed results are
      // rounded into it at the end.
      const halfOut = out !== undefined && dtypeOf(out) === "f16";
      const host = w !== undefined || signed === true;
      const values = batched ? (out && !(host && halfOut) ? out : newArray(dtypeOf(xo), rows)) : undefined;
      const signs = signed ? newArray(dtypeOf(xo), batched ? rows : 1) : undefined;
      let last = -Infinity;
      if (!w && rows) last = core.logSumExp(xo, values, rows, k, beta);
      if (host) {
        const ys = values ? realArray(values as Operand) : [last];
        const xs = dtypeOf(xo) === "f16" ? core.widen(xo) : realArray(xo as Operand);
        for (let r = 0; r < rows; r++) {
          // Weighted sums run in f64 on the host, on every backend (weightedLogSumExp); an
          // unweighted sum is positive, or 0 where the row is masked (LSE -Infinity).
          const [value, sign] = w ? weightedLogSumExp(xs, r * k, k, w, w.length === n ? r * k : 0, beta) : [ys[r], ys[r] === -Infinity ? 0 : ys[r] === ys[r] ? 1 : NaN];
          ys[r] = last = sign < 0 && !signed ? NaN : value;
          if (signs) signs[r] = sign;
        }
        if (batched && out && halfOut) storeHalves(typedArray(out) as HalfArray, ys);
      }
      if (batched) return signs ? { value: o?.out ?? values, sign: signs } : (o?.out ?? values);
      if (out && halfOut) storeHalves(typedArray(out) as HalfArray, [last]);
      else if (out) realArray(out as Operand)[0] = last;
      return signs ? { value: last, sign: signs[0] } : last;
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
