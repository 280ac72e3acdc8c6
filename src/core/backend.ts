// The contract between the API layer (validation, shapes, results) and a backend
// (the arithmetic). Operands reach a backend already validated: same dtype, right lengths.

import { type HalfArray, isHalfArray, markHalves, storeHalves, widenHalves } from "./half.js";
import { typedArray } from "./memory.js";
import type { Backend, Dtype, RealArray, RealDtype, WasmArray } from "./types.js";

/** A typed array, or a WasmArray that belongs to the backend receiving it. */
export type Operand = RealArray | WasmArray;

/** An Operand or halves (the core's kernels read f16 themselves; families get it widened). */
export type AnyOperand = Operand | HalfArray;

/**
 * State of a reduction: c, a value of the data (max, or min for beta < 0), m = beta*c, and
 * the sum of exp(beta*(x - c)) as k + r: k counts the entries at c (or is 1 where the sum is
 * far from 1), r is the rest, kept apart so that log1p(k - 1 + r) is accurate near 0.
 * Empty or all masked: m = -Inf, k = r = 0. +Inf scores: c infinite, k of them, r = 0.
 */
export interface Reduced {
  c: number;
  m: number;
  k: number;
  r: number;
}

export interface Core {
  readonly backend: Backend;
  /** An array of `length` elements in this backend's memory. */
  alloc(length: number, dtype: Dtype): WasmArray;
  /** True when `a` is an array this backend allocated (it can be used without a copy). */
  owns(a: unknown): boolean;
  // x may hold halves (computed in f32); y and out are then f32, or f16 rounded to nearest even.
  /** Softmax, or log-softmax, of `rows` rows of `k` elements of x into y (y may be x). */
  rows(log: boolean, x: AnyOperand, y: AnyOperand, rows: number, k: number, beta: number): void;
  /** LogSumExp of each row into out (when given); returns the last row's value. */
  logSumExp(x: AnyOperand, out: AnyOperand | undefined, rows: number, k: number, beta: number): number;
  /** One-pass reduction of x (see Reduced). */
  reduce(x: AnyOperand, beta: number): Reduced;
  /** y = exp(beta*(x - c) - shift), or its exponent when `log`; evaluated in f64 before the exp. */
  normalize(log: boolean, x: AnyOperand, y: AnyOperand, beta: number, c: number, shift: number): void;
  /** The values of halves as a new Float32Array, exactly (the wasm backend widens in a kernel). */
  widen(x: AnyOperand): Float32Array;
  /**
   * use(the values of halves x as f32, exactly) for the call's duration: the wasm backend widens
   * them into an array of its memory, freed after, so that a kernel reads them with no copy.
   */
  widened<R>(x: AnyOperand, use: (xs: Operand) => R): R;
}

/** Element type of an operand. */
export function dtypeOf(a: Operand): RealDtype;
export function dtypeOf(a: AnyOperand): Dtype;
export function dtypeOf(a: AnyOperand): Dtype {
  if (a instanceof Float32Array) return "f32";
  if (a instanceof Float64Array) return "f64";
  if (isHalfArray(a)) return "f16";
  return (a as WasmArray).dtype;
}

/** The dtype x is computed in (f16 data in f32). */
export function computedIn(x: AnyOperand): RealDtype {
  const dtype = dtypeOf(x);
  return dtype === "f16" ? "f32" : dtype;
}

/** Row r (of k elements) of x on its own, without a copy (halves stay halves). */
export function rowOf(x: AnyOperand, r: number, k: number): AnyOperand {
  const row = typedArray(x).subarray(r * k, (r + 1) * k);
  return dtypeOf(x) === "f16" ? markHalves(row as HalfArray) : (row as RealArray);
}

/**
 * Runs `f` on f32 data where x holds halves: x widened (exact), an f16 y computed as a
 * Float32Array and rounded to nearest even into y after (y may be x). Other data as it is.
 */
export function viaF32(x: AnyOperand, y: AnyOperand | undefined, f: (x: Operand, y: Operand | undefined) => void, widen = (h: AnyOperand) => widenHalves(typedArray(h) as HalfArray)): void {
  if (dtypeOf(x) !== "f16") {
    f(x as Operand, y as Operand | undefined);
    return;
  }
  const xs = widen(x);
  const halvesOut = y !== undefined && dtypeOf(y) === "f16";
  const ys = halvesOut ? new Float32Array(y.length) : (y as Operand | undefined);
  f(xs, ys);
  if (halvesOut) storeHalves(typedArray(y) as HalfArray, ys as Float32Array);
}
