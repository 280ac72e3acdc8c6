// Validation of what the loss functions of every family take besides the logits: class-index
// or probability targets, the reduction, class weights, number options, and the `grad` output.

import { type Core, type Operand, dtypeOf } from "./backend.js";
import { isWasmArray, realArray } from "./memory.js";
import type { Dtype, RealArray, Reduction } from "./types.js";
import { describe, newArray, operandOf } from "./validate.js";

/**
 * Class indices as the kernels take them (-1 for ignored rows), or undefined when `target`
 * is not an index target (Int32Array, or a number[] of one entry per row).
 */
export function indexTargets(target: unknown, rows: number, k: number, ignoreIndex: number | undefined): Int32Array | undefined {
  const isInt = target instanceof Int32Array;
  if (!isInt && !(Array.isArray(target) && target.length === rows)) return undefined;
  const t = target as ArrayLike<unknown>;
  if (t.length !== rows) throw new RangeError(`target must have one class index per row (got length ${t.length} for ${rows} rows)`);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const v = t[r];
    if (typeof v !== "number") throw new TypeError(`target[${r}] must be a number (got ${describe(v)})`);
    if (v === ignoreIndex) {
      out[r] = -1;
      continue;
    }
    if (!(Number.isInteger(v) && v >= 0 && v < k)) {
      const ignored = ignoreIndex === undefined ? "" : ` or ignoreIndex ${ignoreIndex}`;
      throw new RangeError(`target[${r}] must be a class index in [0, ${k})${ignored} (got ${v})`);
    }
    out[r] = v;
  }
  return out;
}

/** Probability targets of the logits' length n (any Input), for a target that is not an index target. */
export function probabilityTargets(core: Core, target: unknown, rows: number, n: number): Operand {
  if (!(target instanceof Float32Array || target instanceof Float64Array || Array.isArray(target) || isWasmArray(target))) {
    throw new TypeError(`target must be class indices (Int32Array or number[]) or probabilities (Float32Array, Float64Array, number[] or WasmArray) (got ${describe(target)})`);
  }
  const probs = operandOf(core, target, "target");
  if (probs.length !== n) {
    // A float array is read as probabilities; one entry per row there means indices meant as floats.
    throw new RangeError(
      !Array.isArray(target) && probs.length === rows
        ? `target is ${describe(target)} of one entry per row (${rows}): class indices must be integers, an Int32Array or number[] (Int32Array.from(target)); a float array is target probabilities, of the logits' length (${n})`
        : `target probabilities must have the logits' length (${n}) (got length ${probs.length}); class indices are an Int32Array or number[] of one entry per row (${rows})`,
    );
  }
  return probs;
}

/** A number option: TypeError if not a number (or missing without a fallback), RangeError unless `ok`. */
export function numberOption(opts: Record<string, unknown>, name: string, fallback: number | undefined, ok: (v: number) => boolean, rule: string): number {
  const v = opts[name];
  if (v === undefined) {
    if (fallback === undefined) throw new TypeError(`${name} is required (a ${rule})`);
    return fallback;
  }
  if (typeof v !== "number") throw new TypeError(`${name} must be a number (got ${describe(v)})`);
  if (!ok(v)) throw new RangeError(`${name} must be ${rule} (got ${v})`);
  return v;
}

/** The reduction option: "mean" (default), "sum" or "none". */
export function reductionOf(opts: Record<string, unknown>): Reduction {
  const reduction = opts.reduction ?? "mean";
  if (typeof reduction !== "string") throw new TypeError(`reduction must be a string (got ${describe(reduction)})`);
  if (reduction !== "mean" && reduction !== "sum" && reduction !== "none") {
    throw new RangeError(`reduction must be "mean", "sum" or "none" (got ${JSON.stringify(reduction)})`);
  }
  return reduction;
}

/** Class weights as a Float64Array of k values, validated. */
export function weightOf(core: Core, weight: unknown, k: number): Float64Array {
  if (!(weight instanceof Float32Array || weight instanceof Float64Array || Array.isArray(weight) || isWasmArray(weight))) {
    throw new TypeError(`weight must be a Float32Array, Float64Array, number[] or WasmArray (got ${describe(weight)})`);
  }
  const w = realArray(operandOf(core, weight, "weight"));
  if (w.length !== k) throw new RangeError(`weight must have one value per class (got length ${w.length} for ${k} classes)`);
  return Float64Array.from(w);
}

/** The grad option resolved: undefined (none), a new array, or the validated array given. */
export function gradOperand(core: Core, grad: unknown, dtype: Dtype, n: number): Operand | undefined {
  if (grad === undefined || grad === false) return undefined;
  if (grad === true) return newArray(dtype, n);
  let g: Operand;
  if (grad instanceof Float32Array || grad instanceof Float64Array) g = grad;
  else if (isWasmArray(grad)) g = core.owns(grad) ? grad : (grad.array as RealArray);
  else throw new TypeError(`grad must be true or a Float32Array, Float64Array or WasmArray (got ${describe(grad)})`);
  if (dtypeOf(g) !== dtype) throw new TypeError(`grad must have the logits' dtype ${dtype} (got ${describe(grad)})`);
  if (g.length !== n) throw new RangeError(`grad must have the logits' length (got length ${g.length} for ${n})`);
  return g;
}
