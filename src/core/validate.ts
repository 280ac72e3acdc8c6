// Validation shared by the API and the online accumulator: TypeError for wrong types,
// RangeError for bad values, with messages that name the option and the value.

import { type AnyOperand, type Core, type Operand, dtypeOf } from "./backend.js";
import { isHalfArray } from "./half.js";
import { isWasmArray } from "./memory.js";
import type { Dtype, RealArray, ScaleOptions } from "./types.js";

export const SCALE_KEYS = new Set(["temperature", "beta"]);
export const ROW_KEYS = new Set(["temperature", "beta", "rowLength", "out"]);
export const LSE_KEYS = new Set([...ROW_KEYS, "b", "returnSign"]);

/** "a" or "an" before a name, as it is read aloud ("an Int32Array", "a Uint8Array"). */
function article(name: string): string {
  return /^[aeio]/i.test(name) ? "an" : "a";
}

/** A short description of a value for error messages: "an Int32Array", "undefined", "the number 3". */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (isWasmArray(v)) return `a ${v.dtype} WasmArray`;
  if (typeof v === "object") {
    const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name !== "string" || name === "" || name === "Object") return "an object";
    return `${article(name)} ${name}`;
  }
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  if (typeof v === "number") return `the number ${v}`;
  if (typeof v === "bigint") return `the bigint ${v}n`;
  if (typeof v === "boolean") return String(v);
  return `a ${typeof v}`; // function, symbol: their text says nothing useful
}

/** An options object, with unknown keys refused (TypeError); `fn` names the function in the message. Optional options pass `opts ?? {}`. */
export function optionsOf(opts: unknown, allowed: Set<string>, fn = ""): Record<string, unknown> {
  if (typeof opts !== "object" || opts === null) throw new TypeError(`${fn ? `${fn} ` : ""}options must be an object (got ${describe(opts)})`);
  for (const key in opts) {
    if (!allowed.has(key)) throw new TypeError(`unknown option "${key}" (expected one of ${[...allowed].join(", ")})`);
  }
  return opts as Record<string, unknown>;
}

/** How to fix an input of the wrong type, where there is an obvious fix. */
function fixFor(v: unknown): string {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    return `; convert it with Float32Array.from${v instanceof Uint16Array ? ", or pass halves as a Float16Array or an f16 WasmArray" : ""}`;
  }
  return "";
}

/** beta from temperature/beta (validated), 1 when neither is given. */
export function betaFrom(opts: ScaleOptions | undefined, allowed: Set<string>): number {
  if (opts === undefined || opts === null) return 1;
  if (typeof opts !== "object") throw new TypeError(`options must be an object (got ${describe(opts)})`);
  for (const key in opts) {
    if (!allowed.has(key)) throw new TypeError(`unknown option "${key}" (options: ${[...allowed]})`);
  }
  const { temperature, beta } = opts;
  if (temperature !== undefined && beta !== undefined) {
    throw new TypeError(`temperature or beta, not both (got ${temperature} and ${beta})`);
  }
  if (temperature !== undefined) {
    if (typeof temperature !== "number") throw new TypeError(`temperature must be a number (got ${describe(temperature)})`);
    if (!(temperature > 0 && temperature < Infinity)) {
      throw new RangeError(`temperature must be finite and > 0 (got ${temperature})`);
    }
    // A subnormal temperature would give beta = Infinity; the largest finite beta acts the same.
    return Math.min(1 / temperature, Number.MAX_VALUE);
  }
  if (beta !== undefined) {
    if (typeof beta !== "number") throw new TypeError(`beta must be a number (got ${describe(beta)})`);
    if (!Number.isFinite(beta)) throw new RangeError(`beta must be finite (got ${beta})`);
    return beta;
  }
  return 1;
}

/**
 * The data of an Input as an operand of `core`: typed arrays as they are, this backend's
 * WasmArrays as they are, other WasmArrays by their view, number[] copied to a Float64Array;
 * f16 data (a Float16Array, an f16 WasmArray or its view) widened to a Float32Array.
 */
export function operandOf(core: Core, x: unknown, name: string): Operand {
  const o = anyOperandOf(core, x, name);
  return dtypeOf(o) === "f16" ? core.widen(o) : (o as Operand);
}

/** As operandOf, with f16 data as it is (for kernels that read halves themselves). */
export function anyOperandOf(core: Core, x: unknown, name: string): AnyOperand {
  if (x instanceof Float32Array || x instanceof Float64Array || isHalfArray(x)) return x;
  if (isWasmArray(x)) return core.owns(x) ? x : x.array;
  if (Array.isArray(x)) {
    const n = x.length;
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = x[i];
      if (typeof v !== "number") throw new TypeError(`${name}[${i}] must be a number (got ${describe(v)})`);
      a[i] = v;
    }
    return a;
  }
  throw new TypeError(`${name} must be a Float32Array, Float64Array, Float16Array, number[] or WasmArray (got ${describe(x)})${fixFor(x)}`);
}

/**
 * Validates `out` (dtype, then length) and resolves it to an operand. `dtype` is the input's:
 * f16 input gives f32 output, or f16 (rounded to nearest even) where `halves` allows it.
 */
export function outOperand(core: Core, out: unknown, dtype: Dtype, length: number, what: string): Operand;
export function outOperand(core: Core, out: unknown, dtype: Dtype, length: number, what: string, halves: boolean): AnyOperand;
export function outOperand(core: Core, out: unknown, dtype: Dtype, length: number, what: string, halves = false): AnyOperand {
  let o: AnyOperand;
  if (out instanceof Float32Array || out instanceof Float64Array || isHalfArray(out)) o = out;
  else if (isWasmArray(out)) o = core.owns(out) ? out : out.array;
  else throw new TypeError(`out must be a Float32Array, Float64Array${halves ? ", Float16Array" : ""} or WasmArray (got ${describe(out)})`);
  const want = dtype === "f16" ? "f32" : dtype;
  const got = dtypeOf(o);
  if (got !== want && !(halves && dtype === "f16" && got === "f16")) {
    throw new TypeError(`out must have the output dtype ${want}${halves && dtype === "f16" ? " or f16" : ""} (got ${describe(out)})`);
  }
  if (o.length !== length) throw new RangeError(`out must have ${what} (got length ${o.length} for ${length})`);
  return o;
}

/** A new typed array of the output dtype of an input dtype (f16 gives f32). */
export function newArray(dtype: Dtype, length: number): RealArray {
  return dtype === "f64" ? new Float64Array(length) : new Float32Array(length);
}

/** Rows and row length K of an input of n elements under `rowLength` (validated); `batched` when it was given. */
export function rowsOf(n: number, rowLength: unknown): { rows: number; k: number; batched: boolean } {
  if (rowLength === undefined) return { rows: n > 0 ? 1 : 0, k: n, batched: false };
  if (typeof rowLength !== "number") throw new TypeError(`rowLength must be a number (got ${describe(rowLength)})`);
  if (!Number.isInteger(rowLength) || rowLength <= 0) {
    throw new RangeError(`rowLength must be a positive integer (got ${rowLength})`);
  }
  if (n % rowLength !== 0) throw new RangeError(`rowLength must divide the input length (got ${rowLength} for ${n})`);
  return { rows: n / rowLength, k: rowLength, batched: true };
}

/**
 * Whether the wasm kernels' scaling by beta in the dtype is exact enough: f32 rounds a beta
 * outside [2^-100, 2^100] (to 0, a subnormal or F32_MAX), and x - c overflows f32 or f64 at
 * the dtype's limits, so 0*Infinity gave NaN. Families send other betas to their js arithmetic.
 */
export function wasmScales(dtype: Dtype, beta: number): boolean {
  const b = Math.abs(beta);
  return dtype === "f32" ? b >= 2 ** -100 && b <= 2 ** 100 : b >= 2 ** -1000;
}
