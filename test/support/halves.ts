// f16 WasmArrays for the tests of every family: halves given by their bits, readable in a runtime
// with Float16Array (the view is one) and without (the view is a Uint16Array of the bits).
import type { Kernels, WasmArray } from "../../dist/index.js";
import { halfValue, nearestHalf } from "../core/half-reference.js";

export const hasFloat16 = typeof (globalThis as { Float16Array?: unknown }).Float16Array === "function";

/** An f16 WasmArray of `sm` holding the halves with these bits. */
export function f16Array(sm: Kernels, bits: number[]): WasmArray<"f16"> {
  const a = sm.alloc(bits.length, "f16");
  if (hasFloat16) a.array.set(bits.map(halfValue));
  else (a.array as Uint16Array).set(bits);
  return a;
}

/** The bits of an f16 WasmArray's elements. */
export const bitsOf = (a: WasmArray<"f16">): number[] =>
  hasFloat16 ? Array.from(a.array as unknown as ArrayLike<number>, nearestHalf) : Array.from(a.array as Uint16Array);
