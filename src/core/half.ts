// Half precision on the host: the runtime's Float16Array where it has one (ES2025: Node 24,
// Deno, Bun, Chromium >= 135, Firefox >= 129, Safari >= 18.2), else the bits in a Uint16Array.
// A Uint16Array counts as halves only when it is an f16 WasmArray's view (memory.ts marks
// those here): a plain one is never read as f16.

import type { Float16 } from "./types.js";

/** A typed array of halves: a Float16Array, or an f16 WasmArray's Uint16Array of the bits. */
export type HalfArray = Float16 | Uint16Array;

/** Float16Array's constructors, typed without the lib's declaration (user projects may lack it). */
interface HalfConstructor {
  new (length: number): Float16;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): Float16;
}

/** The runtime's Float16Array constructor, undefined where there is none. */
export const Float16Constructor = (globalThis as { Float16Array?: HalfConstructor }).Float16Array;

/** The Uint16Array views of f16 WasmArrays (where the runtime has no Float16Array). */
const halfViews = new WeakSet<object>();

/** Marks a Uint16Array as the bits view of an f16 WasmArray; returns it. */
export function markHalves<A extends HalfArray>(view: A): A {
  if (view instanceof Uint16Array) halfViews.add(view);
  return view;
}

/** True for a Float16Array or an f16 WasmArray's Uint16Array view. */
export function isHalfArray(a: unknown): a is HalfArray {
  return (Float16Constructor !== undefined && a instanceof Float16Constructor) || (a instanceof Uint16Array && halfViews.has(a));
}

/** The value of the half with bit pattern h (0-0xffff): exact. */
export function halfBitsToNumber(h: number): number {
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  const v = e === 31 ? (m === 0 ? Infinity : NaN) : e === 0 ? m * 2 ** -24 : (1024 + m) * 2 ** (e - 25);
  return h & 0x8000 ? -v : v;
}

/** v rounded to an integer, ties to even. */
function roundEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

/** The bits of the half nearest to x, ties to even (as Float16Array stores); NaN gives a quiet NaN. */
export function f32ToHalfBits(x: number): number {
  if (x !== x) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00; // 65504 and half its ulp: the tie goes to even, Infinity
  if (a < 2 ** -14) return sign | roundEven(a * 2 ** 24); // subnormal (1024 rounds up to the smallest normal)
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  // a / 2^e in [1, 2) exactly; a carry out of the mantissa moves to the next exponent.
  return sign | (((e + 15) << 10) + roundEven((a / 2 ** e - 1) * 1024));
}

/** The values of halves as a Float32Array (exact). */
export function widenHalves(a: HalfArray): Float32Array {
  const out = new Float32Array(a.length);
  // set, not Float32Array.from: from takes the iterator path (Node 24: 11 ns per half, set 1.4).
  if (!(a instanceof Uint16Array)) {
    out.set(a);
    return out;
  }
  for (let i = 0; i < a.length; i++) out[i] = halfBitsToNumber(a[i]);
  return out;
}

/** target[i] = source[i] rounded to the nearest half, ties to even. */
export function storeHalves(target: HalfArray, source: ArrayLike<number>): void {
  if (!(target instanceof Uint16Array)) {
    target.set(source);
    return;
  }
  for (let i = 0; i < source.length; i++) target[i] = f32ToHalfBits(source[i]);
}
