// Dot products of rows in linear memory, shared by the families that score vectors against
// rows (attention's q.k, the vocabulary family's h.n): the row of T (the compute dtype, f32 or
// f64) against a row of K (the storage dtype: f32, f64, or u16 for f16 bits, widened exactly).

import { madd } from "./exp";
import { halfToF32, loadHalfAsF32x4 } from "./half";
import { at, lanes, sumLanes } from "./reduce";

/**
 * lanes<T>() elements of K at p, as T lanes: f64 rows narrowed to f32, f32 rows widened to
 * f64, halves (K = u16) widened exactly (shared/half.ts).
 */
// @ts-ignore: decorator
@inline
export function loadV<T, K>(p: usize): v128 {
  if (sizeof<K>() == 2) {
    if (sizeof<T>() == 4) return loadHalfAsF32x4(p);
    return f64x2.promote_low_f32x4(loadHalfAsF32x4(p));
  }
  if (sizeof<K>() == sizeof<T>()) return v128.load(p);
  if (sizeof<T>() == 4) {
    const lo = f32x4.demote_f64x2_zero(v128.load(p));
    const hi = f32x4.demote_f64x2_zero(v128.load(p, 16));
    return i8x16.shuffle(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  }
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** The element of K at p, as T. */
// @ts-ignore: decorator
@inline
export function loadS<T, K>(p: usize): T {
  if (sizeof<K>() == 2) return <T>halfToF32(<u32>load<u16>(p));
  return <T>load<K>(p);
}

/** q.k over dim, summed in f64 (four accumulators of T lanes: the adds of one chain wait on each other); k of K widened or narrowed to T as it loads. */
// @ts-ignore: decorator
@inline
export function dot<T, K>(q: usize, kp: usize, dim: i32): f64 {
  let s: f64 = 0;
  let d = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    let a0 = v128.splat<T>(<T>0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    for (; d + 4 * L <= dim; d += 4 * L) {
      const o = <usize>d << alignof<T>();
      const p = at<K>(kp, d);
      a0 = madd<T>(v128.load(q + o), loadV<T, K>(p), a0);
      a1 = madd<T>(v128.load(q + o, 16), loadV<T, K>(at<K>(p, L)), a1);
      a2 = madd<T>(v128.load(q + o, 32), loadV<T, K>(at<K>(p, 2 * L)), a2);
      a3 = madd<T>(v128.load(q + o, 48), loadV<T, K>(at<K>(p, 3 * L)), a3);
    }
    for (; d + L <= dim; d += L) {
      a0 = madd<T>(v128.load(at<T>(q, d)), loadV<T, K>(at<K>(kp, d)), a0);
    }
    s = sumLanes<T>(v128.add<T>(v128.add<T>(a0, a1), v128.add<T>(a2, a3)));
  }
  for (; d < dim; d++) s += <f64>(load<T>(at<T>(q, d)) * loadS<T, K>(at<K>(kp, d)));
  return s;
}
