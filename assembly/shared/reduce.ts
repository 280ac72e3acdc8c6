// Shared passes of the row kernels (softmax.ts, loss.ts): addressing, beta in a dtype, and
// the extremum of a row. T is f32 or f64.

// The largest finite f32: a larger beta would round to Infinity and turn 0*beta into NaN.
export const F32_MAX: f64 = 3.4028234663852886e38;

// @ts-ignore: decorator
@inline
export function lanes<T>(): i32 {
  return <i32>(16 / sizeof<T>());
}

// @ts-ignore: decorator
@inline
export function at<T>(base: usize, index: i32): usize {
  return base + (<usize>index << alignof<T>());
}

// @ts-ignore: decorator
@inline
export function betaOf<T>(beta: f64): T {
  if (sizeof<T>() == 4) return <T>min(max(beta, -F32_MAX), F32_MAX);
  return <T>beta;
}

// @ts-ignore: decorator
@inline
function pick<T>(a: T, b: T, lowest: bool): T {
  return lowest ? min<T>(a, b) : max<T>(a, b);
}

// pmin/pmax are one instruction on x64 (min/max ~8, for NaN and signed zeros); they let NaN
// through, so extremum tracks NaN on the side.
// @ts-ignore: decorator
@inline
export function pickV<T>(a: v128, b: v128, lowest: bool): v128 {
  return lowest ? v128.pmin<T>(b, a) : v128.pmax<T>(a, b);
}

// @ts-ignore: decorator
@inline
export function pickLanes<T>(v: v128, lowest: bool): T {
  return v128.extract_lane<T>(pickAcross<T>(v, lowest), 0);
}

/** The extremum of v's lanes, in every lane. */
// @ts-ignore: decorator
@inline
export function pickAcross<T>(v: v128, lowest: bool): v128 {
  // Fold the halves onto each other with shuffles (a scalar max per lane costs ~8 x64
  // instructions for its NaN rules; extremum tracks NaN itself).
  v = pickV<T>(v, i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7), lowest);
  if (sizeof<T>() == 4) v = pickV<T>(v, i8x16.shuffle(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11), lowest);
  return v;
}

/** max of x[0..n) (min when `lowest`); NaN if any element is NaN; -Inf (+Inf) when n = 0. */
// @ts-ignore: decorator
@inline
export function extremum<T>(x: usize, n: i32, lowest: bool): T {
  let e: T = lowest ? <T>Infinity : <T>-Infinity;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    let a0 = v128.splat<T>(e);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let nan = v128.splat<i32>(0);
    for (; i + 4 * L <= n; i += 4 * L) {
      const p = at<T>(x, i);
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const v2 = v128.load(p, 32);
      const v3 = v128.load(p, 48);
      a0 = pickV<T>(a0, v0, lowest);
      a1 = pickV<T>(a1, v1, lowest);
      a2 = pickV<T>(a2, v2, lowest);
      a3 = pickV<T>(a3, v3, lowest);
      nan = v128.or(nan, v128.or(v128.or(v128.ne<T>(v0, v0), v128.ne<T>(v1, v1)), v128.or(v128.ne<T>(v2, v2), v128.ne<T>(v3, v3))));
    }
    for (; i + L <= n; i += L) {
      const v = v128.load(at<T>(x, i));
      a0 = pickV<T>(a0, v, lowest);
      nan = v128.or(nan, v128.ne<T>(v, v));
    }
    if (v128.any_true(nan)) return <T>NaN;
    a0 = pickV<T>(pickV<T>(a0, a1, lowest), pickV<T>(a2, a3, lowest), lowest);
    e = pickLanes<T>(a0, lowest);
  }
  for (; i < n; i++) e = pick<T>(e, load<T>(at<T>(x, i)), lowest);
  return e;
}

/** The sum of v's lanes in f64 (f32 lanes promoted first, summed pairwise). */
// @ts-ignore: decorator
@inline
export function sumLanes<T>(v: v128): f64 {
  if (sizeof<T>() == 4) {
    const a = <f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1);
    return a + (<f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3));
  }
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}
