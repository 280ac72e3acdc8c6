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

/**
 * The halves `bits` with `count` of them made subnormal, spread over the row from `offset` (every
 * sign and mantissa): the f16 kernels widen a row once where more than half of its halves
 * are subnormal, and read it as halves otherwise; either way the results are the widened row's.
 */
export function withSubnormals(bits: number[], count: number, offset: number): number[] {
  const out = bits.slice();
  const n = out.length;
  const step = Math.max(1, Math.floor(n / Math.max(count, 1)));
  for (let j = 0; j < Math.min(count, n); j++) out[(offset + j * step) % n] = ((j * 37) % 0x3ff) + 1 + (j & 1 ? 0x8000 : 0);
  return out;
}

/** The counts of subnormal halves withSubnormals puts in a row of n: a few, at the kernels' share (half), just past it, and all of them. */
export const subnormalCounts = (n: number): number[] => [n >> 12, n >> 1, (n >> 1) + 1, n];
