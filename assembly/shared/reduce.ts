// The reductions every family shares, as named kernels in XNNPACK's manner: the extremum of a
// row (extremum, XNNPACK's rmax), and the sums of exp(beta*(x_i - c)) (raddexpminusmax, the
// same storing each term (raddstoreexpminusmax), either one tracking the largest exponent
// (...top), and the sum over the entries above a threshold (raddexpminusmaxabove, or raddabove
// over stored terms)); with the addressing and lane helpers they use. T is f32 or f64: the
// arithmetic. S is how the row is stored: T itself (the default), or u16 for halves (with T =
// f32), widened exactly as they are loaded (half.ts), so f16 rows are read from memory once
// per pass, at half the bytes, by the same loops; or i16 for halves known to be finite
// (halfExtremum's halvesFinite), widened without the Inf/NaN step (3 operations per 4 halves
// instead of 7: the exp loops are about 20).

import { expConstant, expNonPositive, expWith } from "./exp";
import { FOLD_SCALE, foldedAtLeast, foldedHalf, halfConstant, halfExtremum, halfToF32, holdsSpecial, holdsSubnormal, quickHigh8, quickLow8, quickTop8, quickTopAll8, raiseHalfSub, storeQuick16, widenSpecialEights, widen4, widenExactOnce, widenFinite4, smallBlock, specialBlock, widenFolded4, widenHalves } from "./half";

// The largest finite f32: a larger beta would round to Infinity and turn 0*beta into NaN.
export const F32_MAX: f64 = 3.4028234663852886e38;

// @ts-ignore: decorator
@inline
export function lanes<T>(): i32 {
  return <i32>(16 / sizeof<T>());
}

/**
 * v rounded to the nearest integer, as an i32, for 0 <= v < 2^31: adding 1.5*2^52 leaves it in
 * the low mantissa bits (a float-to-int conversion would need the non-trapping feature the
 * builds leave off).
 */
// @ts-ignore: decorator
@inline
export function roundedI32(v: f64): i32 {
  return <i32>reinterpret<i64>(v + 6755399441055744.0);
}

// @ts-ignore: decorator
@inline
export function at<T>(base: usize, index: i32): usize {
  return base + (<usize>index << alignof<T>());
}

/** Address of element `index` of a row stored as S. */
// @ts-ignore: decorator
@inline
export function atS<S>(base: usize, index: i32): usize {
  return base + (<usize>index << alignof<S>());
}

/** Element `index` of a row stored as S, as T (a half widened exactly). */
// @ts-ignore: decorator
@inline
export function loadAs<T, S>(base: usize, index: i32): T {
  if (sizeof<S>() == 2) return <T>halfToF32(<u32>load<u16>(atS<S>(base, index)));
  return load<T>(at<T>(base, index));
}

/** Constant k of the widening (halfConstant) for rows of halves; unused (0) for other rows. */
// @ts-ignore: decorator
@inline
export function widenConstant<S>(k: i32): v128 {
  return sizeof<S>() == 2 ? halfConstant(k) : v128.splat<i32>(0);
}

/** The f32s of 4 halves s (v128.load16x4_s's) stored as S: u16 any halves, i16 finite ones (h0..h3 = widenConstant<S>(0..3)). */
// @ts-ignore: decorator
@inline
export function widenS<S>(s: v128, h0: v128, h1: v128, h2: v128, h3: v128): v128 {
  return isSigned<S>() ? widenFinite4(s, h0, h1) : widen4(s, h0, h1, h2, h3);
}

/** T lanes at p in a row stored as S: halves widened with h0..h3 = widenConstant<S>(0..3), loaded before the loop. */
// @ts-ignore: decorator
@inline
export function loadLanes<T, S>(p: usize, h0: v128, h1: v128, h2: v128, h3: v128): v128 {
  return sizeof<S>() == 2 ? widenS<S>(v128.load16x4_s(p), h0, h1, h2, h3) : v128.load(p);
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
export function extremum<T, S = T>(x: usize, n: i32, lowest: bool): T {
  return lowest ? rmin<T, S>(x, n) : rmax<T, S>(x, n);
}

/** max of x[0..n); NaN if any element is NaN; -Inf when n = 0. */
export function rmax<T, S = T>(x: usize, n: i32): T {
  return pickRow<T, S>(x, n, false);
}

/** min of x[0..n); NaN if any element is NaN; +Inf when n = 0. */
export function rmin<T, S = T>(x: usize, n: i32): T {
  return pickRow<T, S>(x, n, true);
}

// @ts-ignore: decorator
@inline
function pickRow<T, S>(x: usize, n: i32, lowest: bool): T {
  if (sizeof<S>() == 2) return <T>halfExtremum(x, n, lowest);
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

/**
 * extremum<f32> of n halves at x, widened exactly into f32 dst[0..n) in the same pass: the
 * f16 rows' kernels then compute on dst in L1, and the separate extremum pass over it goes.
 * The lanes are picked in pickRow's order (16 per step, 4 accumulators, then 4 per step),
 * so the result is extremum<f32>(dst) bit for bit (which of +0 and -0 included). Halves are
 * widened quickly in 16-bit lanes (half.ts quickTop8: no float arithmetic, exact for all but
 * subnormal halves) while their largest exponent and their subnormals are kept on the side, as
 * widenHalves does; a block where a subnormal half was met is widened again exactly (its picks
 * made exact at the end: exactLanes), and a row whose exponents reached 31 is searched for a
 * NaN. (Sign-extended and multiplied by 2^112 before,
 * the subnormal halves cost an Intel core a microcode assist each: a row of them took 14x the
 * f32 row; the extensions had been kept over 16-bit lanes for JavaScriptCore, whose f16
 * logSumExp ran 1.06x the f32 one with them and 1.17x with the multiplied unpacks.)
 */
export function widenExtremum(x: usize, dst: usize, n: i32, lowest: bool): f32 {
  // Two copies, each with its pick fixed: a `lowest` read in the loop costs a select per vector.
  return lowest ? widenPick(x, dst, n, true) : widenPick(x, dst, n, false);
}

// @ts-ignore: decorator
@inline
function widenPick(x: usize, dst: usize, n: i32, lowest: bool): f32 {
  let e: f32 = lowest ? <f32>Infinity : <f32>-Infinity;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const e16 = halfConstant(4);
    const m = halfConstant(6);
    const r = halfConstant(7);
    let a0 = f32x4.splat(e);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    const mant = halfConstant(8);
    let subnormal = false;
    let quickInf = false; // whether a pick may be quickTop8's value of an Inf
    // Blocks of WIDEN_BLOCK, each widened again exactly where it held a subnormal half. The
    // quick values of subnormal halves are wrong but in the halves' order, between -2^-126 and
    // 2^-126 as the exact ones are between -2^-14 and 2^-14: each lane's pick stays that of the
    // exact values, and is made exact before the last halves (widened exactly) are picked.
    const n16 = n & ~15;
    let special = specialBlock;
    let nan = false;
    while (i < n16) {
      const start = i;
      const end = min(n16, i + WIDEN_BLOCK);
      const ps = x + (<usize>start << 1);
      const qs = dst + (<usize>start << 2);
      let sub = i16x8.splat(0);
      let met = false;
      // After a block that held an Inf or NaN half (specialBlock), widened by quickTopAll8 (exact
      // for them), their largest magnitude kept (above HALF_EXPONENT's: a NaN).
      if (special) {
        const mag = halfConstant(5);
        let most = sub;
        for (; i < end; i += 16) {
          const p = x + (<usize>i << 1);
          const q = dst + (<usize>i << 2);
          const h0 = v128.load(p);
          const h1 = v128.load(p, 16);
          const e0 = v128.and(h0, e16);
          const e1 = v128.and(h1, e16);
          most = i16x8.max_s(most, i16x8.max_s(v128.and(h0, mag), v128.and(h1, mag)));
          sub = raiseHalfSub(raiseHalfSub(sub, h0, e0), h1, e1);
          const t0 = quickTopAll8(h0, e0, m, r, e16);
          const t1 = quickTopAll8(h1, e1, m, r, e16);
          const v0 = quickLow8(h0, t0);
          const v1 = quickHigh8(h0, t0);
          const v2 = quickLow8(h1, t1);
          const v3 = quickHigh8(h1, t1);
          storeQuick16(q, h0, t0, h1, t1);
          a0 = pickV<f32>(a0, v0, lowest);
          a1 = pickV<f32>(a1, v1, lowest);
          a2 = pickV<f32>(a2, v2, lowest);
          a3 = pickV<f32>(a3, v3, lowest);
        }
        met = v128.any_true(i16x8.ge_s(most, e16));
        nan = nan || v128.any_true(i16x8.gt_s(most, e16));
      } else {
        let top = sub;
        for (; i < end; i += 16) {
          const p = x + (<usize>i << 1);
          const q = dst + (<usize>i << 2);
          const h0 = v128.load(p);
          const h1 = v128.load(p, 16);
          const e0 = v128.and(h0, e16);
          const e1 = v128.and(h1, e16);
          top = i16x8.max_u(top, i16x8.max_u(e0, e1));
          sub = raiseHalfSub(raiseHalfSub(sub, h0, e0), h1, e1);
          const t0 = quickTop8(h0, e0, m, r);
          const t1 = quickTop8(h1, e1, m, r);
          const v0 = quickLow8(h0, t0);
          const v1 = quickHigh8(h0, t0);
          const v2 = quickLow8(h1, t1);
          const v3 = quickHigh8(h1, t1);
          storeQuick16(q, h0, t0, h1, t1);
          a0 = pickV<f32>(a0, v0, lowest);
          a1 = pickV<f32>(a1, v1, lowest);
          a2 = pickV<f32>(a2, v2, lowest);
          a3 = pickV<f32>(a3, v3, lowest);
        }
        met = holdsSpecial(top, e16);
        if (met) {
          // Its picks may be quickTop8's values of ±Inf (±2^16, beyond every finite half's),
          // made ±Inf below; a NaN the picks may have dropped is searched for (the result NaN).
          quickInf = true;
          nan = nan || holdsNaN(ps, end - start);
        }
      }
      if (holdsSubnormal(sub, mant)) {
        smallBlock(ps, qs, end - start);
        subnormal = true;
      } else if (met && !special) {
        widenSpecialEights(ps, qs, end - start);
      }
      special = met;
    }
    specialBlock = special;
    if (quickInf) {
      a0 = infiniteLanes(a0);
      a1 = infiniteLanes(a1);
      a2 = infiniteLanes(a2);
      a3 = infiniteLanes(a3);
    }
    if (subnormal) {
      a0 = exactLanes(a0);
      a1 = exactLanes(a1);
      a2 = exactLanes(a2);
      a3 = exactLanes(a3);
    }
    for (; i + 4 <= n; i += 4) {
      const v = widenExactOnce(v128.load16x4_s(x + (<usize>i << 1)));
      v128.store(dst + (<usize>i << 2), v);
      a0 = pickV<f32>(a0, v, lowest);
      nan = nan || v128.any_true(f32x4.ne(v, v));
    }
    a0 = pickV<f32>(pickV<f32>(a0, a1, lowest), pickV<f32>(a2, a3, lowest), lowest);
    e = nan ? <f32>NaN : pickLanes<f32>(a0, lowest);
  }
  for (; i < n; i++) {
    const v = halfToF32(<u32>load<u16>(x + (<usize>i << 1)));
    store<f32>(dst + (<usize>i << 2), v);
    e = pick<f32>(e, v, lowest);
  }
  return e;
}

/** The lanes of a that are quickTop8's value of an Inf or NaN half (exponent 143) with exponent 255: ±Inf for an Inf. */
function infiniteLanes(a: v128): v128 {
  const exponent = i32x4.splat(0x7f800000);
  return v128.bitselect(v128.or(a, exponent), a, i32x4.eq(v128.and(a, exponent), i32x4.splat(143 << 23)));
}

/** Whether the n halves at x (a multiple of 8) hold a NaN (magnitude above HALF_EXPONENT's). */
function holdsNaN(x: usize, n: i32): bool {
  const mag = halfConstant(5);
  const inf = halfConstant(4);
  let any = i16x8.splat(0);
  for (let i = 0; i < n; i += 8) any = v128.or(any, i16x8.gt_s(v128.and(v128.load(x + (<usize>i << 1)), mag), inf));
  return v128.any_true(any);
}

// widenPick's blocks (halves, a multiple of 16): what one subnormal half makes it widen again.
const WIDEN_BLOCK: i32 = 512;

/**
 * widenPick's picks in a, exact: a lane that is the quick value of a subnormal half (not 0,
 * exponent bits 0: sign | m << 13) becomes that half's f32, m*2^-24 (m converted, then
 * multiplied: no float operation on a subnormal); the other lanes stay.
 */
function exactLanes(a: v128): v128 {
  const magnitude = v128.and(a, i32x4.splat(0x7fffffff));
  const sub = v128.andnot(i32x4.eq(v128.and(a, i32x4.splat(0x7f800000)), i32x4.splat(0)), i32x4.eq(magnitude, i32x4.splat(0)));
  const exact = f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(magnitude, 13)), f32x4.splat(5.9604644775390625e-8));
  return v128.bitselect(v128.or(exact, v128.and(a, i32x4.splat(0x80000000))), a, sub);
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

/** The upper half of the lanes moved down. */
// @ts-ignore: decorator
@inline
export function high(v: v128): v128 {
  return i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
}

/** acc + v in f64 lanes (an f32x4 is widened in two halves). */
// @ts-ignore: decorator
@inline
export function add64<T>(acc: v128, v: v128): v128 {
  if (sizeof<T>() == 4) {
    return f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(high(v))));
  }
  return f64x2.add(acc, v);
}

// Elements summed in T lanes before the partial sum moves to the f64 total: with 4
// accumulators of 4 f32 lanes, no lane adds more than 16 terms in f32.
export const FLUSH: i32 = 256;

/**
 * What total + part's rounding drops (Neumaier's term: total + part = fl(total + part) + this,
 * exactly), for sums that add parts summed plainly over FLUSH elements or so.
 */
// @ts-ignore: decorator
@inline
export function roundingOf(total: f64, part: f64): f64 {
  const t = total + part;
  return abs(total) >= abs(part) ? (total - t) + part : (part - t) + total;
}

/**
 * The 4 halves s (v128.load16x4_s's) of a row stored as S, widened for the exp-sums: folded
 * where they are finite (S = i16: x*2^-112, half.ts), else in full (h0..h3 = widenConstant<S>(0..3)).
 * The loops that take them subtract sumCenter's c and multiply by sumScale's beta.
 */
// @ts-ignore: decorator
@inline
export function widenForSum<S>(s: v128, h0: v128, h1: v128, h2: v128, h3: v128): v128 {
  return isSigned<S>() ? widenFolded4(s, h1) : widen4(s, h0, h1, h2, h3);
}

/** c as the exp-sums subtract it from a row stored as S: folded with the halves (S = i16). */
// @ts-ignore: decorator
@inline
export function sumCenter<T, S>(c: T): T {
  return isSigned<S>() ? <T>foldedHalf(<f32>c) : c;
}

/** beta as the exp-sums multiply by it for a row stored as S: times 2^112 for folded halves (S = i16; |beta| < FOLD_LIMIT, foldsBeta). */
// @ts-ignore: decorator
@inline
export function sumScale<T, S>(beta: T): T {
  return isSigned<S>() ? beta * <T>FOLD_SCALE : beta;
}

/** d*beta, or d itself unless `scaled` (beta = 1 spares a multiply per vector). */
// @ts-ignore: decorator
@inline
function scaleV<T>(d: v128, vb: v128, scaled: bool): v128 {
  return scaled ? v128.mul<T>(d, vb) : d;
}

/**
 * The exp-sum loop behind the named kernels below: the sum of exp(beta*(x_i - c)) over
 * x[0..n) in f64, T lanes flushed to an f64 total every FLUSH elements (Neumaier: rows go up
 * to 2^24 and more); with `keep`, each term also stored to y (which may be x); with `track`,
 * the f64 at `top` raised to the largest exponent beta*(x_i - c) met (NaN ones reach the sum
 * instead). Exact for exponents up to 88 (exp.ts's domain).
 */
// @ts-ignore: decorator
@inline
function expMinusMaxSum<T, S>(x: usize, y: usize, n: i32, c: T, beta: T, keep: bool, scaled: bool, track: bool, top: usize): f64 {
  let high: T = <T>-Infinity;
  let total: f64 = 0;
  let lost: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    // Finite halves (S = i16) are widened folded (half.ts), c and beta scaled to match; the
    // caller keeps foldsBeta(beta) (else it passes the halves as u16).
    const folded = isSigned<S>();
    const vc = v128.splat<T>(sumCenter<T, S>(c));
    const vb = v128.splat<T>(sumScale<T, S>(beta));
    // The exp's constants as locals, once per call (exp.ts says why).
    const k0 = expConstant<T>(0);
    const k1 = expConstant<T>(1);
    const k2 = expConstant<T>(2);
    const k3 = expConstant<T>(3);
    const k4 = expConstant<T>(4);
    const k5 = expConstant<T>(5);
    const k6 = expConstant<T>(6);
    const k7 = expConstant<T>(7);
    const k8 = expConstant<T>(8);
    const k9 = expConstant<T>(9);
    const h0 = widenConstant<S>(0);
    const h1 = widenConstant<S>(1);
    const h2 = widenConstant<S>(2);
    const h3 = widenConstant<S>(3);
    let tv = v128.splat<T>(high);
    while (i + L <= n) {
      const end = min(i + FLUSH, n);
      let s0 = v128.splat<T>(0);
      let s1 = s0;
      let s2 = s0;
      let s3 = s0;
      for (; i + 4 * L <= end; i += 4 * L) {
        const p = atS<S>(x, i);
        // (Halves or T's own loads chosen at compile time: T's keep their offset immediates.)
        const v0 = sizeof<S>() == 2 ? widenForSum<S>(v128.load16x4_s(p), h0, h1, h2, h3) : v128.load(p);
        const v1 = sizeof<S>() == 2 ? widenForSum<S>(v128.load16x4_s(p, 8), h0, h1, h2, h3) : v128.load(p, 16);
        const v2 = sizeof<S>() == 2 ? widenForSum<S>(v128.load16x4_s(p, 16), h0, h1, h2, h3) : v128.load(p, 32);
        const v3 = sizeof<S>() == 2 ? widenForSum<S>(v128.load16x4_s(p, 24), h0, h1, h2, h3) : v128.load(p, 48);
        const a0 = scaleV<T>(v128.sub<T>(v0, vc), vb, scaled || folded);
        const a1 = scaleV<T>(v128.sub<T>(v1, vc), vb, scaled || folded);
        const a2 = scaleV<T>(v128.sub<T>(v2, vc), vb, scaled || folded);
        const a3 = scaleV<T>(v128.sub<T>(v3, vc), vb, scaled || folded);
        if (track) tv = v128.pmax<T>(v128.pmax<T>(tv, a0), v128.pmax<T>(a1, v128.pmax<T>(a2, a3)));
        const e0 = expWith<T>(a0, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
        const e1 = expWith<T>(a1, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
        const e2 = expWith<T>(a2, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
        const e3 = expWith<T>(a3, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
        if (keep) {
          const q = at<T>(y, i);
          v128.store(q, e0);
          v128.store(q, e1, 16);
          v128.store(q, e2, 32);
          v128.store(q, e3, 48);
        }
        s0 = v128.add<T>(s0, e0);
        s1 = v128.add<T>(s1, e1);
        s2 = v128.add<T>(s2, e2);
        s3 = v128.add<T>(s3, e3);
      }
      for (; i + L <= end; i += L) {
        const a0 = scaleV<T>(v128.sub<T>((sizeof<S>() == 2 ? widenForSum<S>(v128.load16x4_s(atS<S>(x, i)), h0, h1, h2, h3) : v128.load(at<T>(x, i))), vc), vb, scaled || folded);
        if (track) tv = v128.pmax<T>(tv, a0);
        const e0 = expWith<T>(a0, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
        if (keep) v128.store(at<T>(y, i), e0);
        s0 = v128.add<T>(s0, e0);
      }
      const part = sumLanes<T>(v128.add<T>(v128.add<T>(s0, s1), v128.add<T>(s2, s3)));
      lost += roundingOf(total, part);
      total += part;
    }
    if (track) high = pickLanes<T>(tv, false);
  }
  // The tail of fewer than L elements, in one function for every specialization (size).
  if (ASC_FEATURE_SIMD) return expSumTail<T, S>(x, keep ? y : 0, i, n, c, beta, track ? top : 0, high, total, lost);
  // The whole row in the scalar build.
  while (i < n) {
    const end = min(i + FLUSH, n);
    let part: f64 = 0;
    for (; i < end; i++) {
      const d = loadAs<T, S>(x, i) - c;
      const a = scaled ? d * beta : d;
      if (track) high = max<T>(high, a);
      const e = expNonPositive<T>(a);
      if (keep) store<T>(at<T>(y, i), e);
      part += <f64>e;
    }
    lost += roundingOf(total, part);
    total += part;
  }
  if (track) store<f64>(top, max(load<f64>(top), <f64>high));
  return total + lost;
}

/**
 * expMinusMaxSum's last elements, from i to n (fewer than a vector), added to its f64 total
 * (with the compensation `lost`): each term stored to y unless y is 0, the largest exponent
 * (at least `high`) raised into the f64 at `top` unless top is 0. Multiplying by beta = 1
 * changes nothing, so the unscaled sums share it.
 */
function expSumTail<T, S>(x: usize, y: usize, i: i32, n: i32, c: T, beta: T, top: usize, high: T, total: f64, lost: f64): f64 {
  let part: f64 = 0;
  for (; i < n; i++) {
    const a = (loadAs<T, S>(x, i) - c) * beta;
    high = max<T>(high, a);
    const e = expNonPositive<T>(a);
    if (y) store<T>(at<T>(y, i), e);
    part += <f64>e;
  }
  lost += roundingOf(total, part);
  if (top) store<f64>(top, max(load<f64>(top), <f64>high));
  return (total + part) + lost;
}

/**
 * Whether the exp-sums skip the multiply by beta (beta = 1, the common case): always scaling
 * cost 8-11% for f32 on Node 24 (softmax and logSumExp of 32 x 32000 and 2^20, crossEntropy +
 * grad, logProbs) and 8-9% for f64 on Node 20 (softmax of 2^20).
 */
// @ts-ignore: decorator
@inline
function unscaled<T>(beta: T): bool {
  return beta == <T>1;
}

/** Whether the sum over a row stored as S takes the unscaled loop: folded halves always scale (by beta*2^112). */
// @ts-ignore: decorator
@inline
function unscaledSum<T, S>(beta: T): bool {
  return !isSigned<S>() && unscaled<T>(beta);
}

// Each specialization of expMinusMaxSum is a function of its own, and the named kernels
// below pick one inline: JavaScriptCore (Bun, Safari) allocates registers per function, and
// with the unscaled and the scaled loop in one function its OMG tier kept most of the loop's
// v128 values on the stack (105 spill moves per 16 elements; f32 softmax of 32,000 in Bun,
// relaxed SIMD, kernel alone: 1.43 -> 0.99 ns/element once apart; V8 the same either way).
function sum1<T, S>(x: usize, n: i32, c: T): f64 {
  return expMinusMaxSum<T, S>(x, 0, n, c, <T>1, false, false, false, 0);
}
function sumB<T, S>(x: usize, n: i32, c: T, beta: T): f64 {
  return expMinusMaxSum<T, S>(x, 0, n, c, beta, false, true, false, 0);
}
function store1<T, S>(x: usize, y: usize, n: i32, c: T): f64 {
  return expMinusMaxSum<T, S>(x, y, n, c, <T>1, true, false, false, 0);
}
function storeB<T, S>(x: usize, y: usize, n: i32, c: T, beta: T): f64 {
  return expMinusMaxSum<T, S>(x, y, n, c, beta, true, true, false, 0);
}
// The tracking sums (the loss's one-read pass alone) are inlined into their caller instead:
// as functions of their own, shared by the loss's f32 rows and its widened f16 blocks, f32
// crossEntropy and logProbs of 32 x 32000 took 38 us in Bun 1.4.5 against 26-27 us inlined
// (bench/halves.js; Node 24 the same either way).
// @ts-ignore: decorator
@inline
function sumTop1<T, S>(x: usize, n: i32, c: T, top: usize): f64 {
  return expMinusMaxSum<T, S>(x, 0, n, c, <T>1, false, false, true, top);
}
// @ts-ignore: decorator
@inline
function sumTopB<T, S>(x: usize, n: i32, c: T, beta: T, top: usize): f64 {
  return expMinusMaxSum<T, S>(x, 0, n, c, beta, false, true, true, top);
}
function storeTop1<T, S>(x: usize, y: usize, n: i32, c: T, top: usize): f64 {
  return expMinusMaxSum<T, S>(x, y, n, c, <T>1, true, false, true, top);
}
function storeTopB<T, S>(x: usize, y: usize, n: i32, c: T, beta: T, top: usize): f64 {
  return expMinusMaxSum<T, S>(x, y, n, c, beta, true, true, true, top);
}

/** Sum of exp(beta*(x_i - c)) over x[0..n), in f64 (c the extremum: see expMinusMaxSum). */
// @ts-ignore: decorator
@inline
export function raddexpminusmax<T, S = T>(x: usize, n: i32, c: T, beta: T): f64 {
  return unscaledSum<T, S>(beta) ? sum1<T, S>(x, n, c) : sumB<T, S>(x, n, c, beta);
}

/** raddexpminusmax, each term also stored to y[0..n) (y may be x). */
// @ts-ignore: decorator
@inline
export function raddstoreexpminusmax<T, S = T>(x: usize, y: usize, n: i32, c: T, beta: T): f64 {
  return unscaledSum<T, S>(beta) ? store1<T, S>(x, y, n, c) : storeB<T, S>(x, y, n, c, beta);
}

/**
 * raddexpminusmax for a guessed c: also raises the f64 at `top` to the largest exponent
 * beta*(x_i - c) met, so that the caller can tell a guess too low (a one-read pass redoes the
 * block past its slack).
 */
// @ts-ignore: decorator
@inline
export function raddexpminusmaxtop<T, S = T>(x: usize, n: i32, c: T, beta: T, top: usize): f64 {
  return unscaledSum<T, S>(beta) ? sumTop1<T, S>(x, n, c, top) : sumTopB<T, S>(x, n, c, beta, top);
}

/** raddstoreexpminusmax for a guessed c, raising the f64 at `top` (raddexpminusmaxtop). */
// @ts-ignore: decorator
@inline
export function raddstoreexpminusmaxtop<T, S = T>(x: usize, y: usize, n: i32, c: T, beta: T, top: usize): f64 {
  return unscaledSum<T, S>(beta) ? storeTop1<T, S>(x, y, n, c, top) : storeTopB<T, S>(x, y, n, c, beta, top);
}

/**
 * Sum of exp(beta*(x_i - c)) over the entries of x[0..n) at or above theta (above it when
 * `strict`), in f64 (T lanes flushed every FLUSH elements). Vectors with no entry kept
 * cost a compare: the sampler's cuts keep a few tokens of a large vocabulary.
 */
export function raddexpminusmaxabove<T, S = T>(x: usize, n: i32, c: T, beta: T, theta: T, strict: bool): f64 {
  return sumAbove<T, S>(x, 0, n, c, beta, theta, strict, false);
}

/**
 * raddexpminusmaxabove with the terms already stored in y[0..n) (raddstoreexpminusmax's): the
 * same sum, bit for bit, without an exp.
 */
export function raddabove<T, S = T>(x: usize, y: usize, n: i32, theta: T, strict: bool): f64 {
  return sumAbove<T, S>(x, y, n, <T>0, <T>1, theta, strict, true);
}

/** The least value of T above v (v not NaN or +Infinity): x > v is x >= nextAbove(v). */
// @ts-ignore: decorator
@inline
export function nextAbove<T>(v: T): T {
  if (v == <T>0) return sizeof<T>() == 4 ? <T>reinterpret<f32>(1) : <T>reinterpret<f64>(1);
  if (sizeof<T>() == 4) return <T>reinterpret<f32>(reinterpret<i32>(<f32>v) + (v > <T>0 ? 1 : -1));
  return <T>reinterpret<f64>(reinterpret<i64>(<f64>v) + (v > <T>0 ? 1 : -1));
}

// raddabove's blocks (vectors; a divisor of FLUSH's, and even).
const ABOVE_BLOCK: i32 = 16;

/** The loop of raddexpminusmaxabove and raddabove: the terms from y when `stored`, else computed. */
// @ts-ignore: decorator
@inline
function sumAbove<T, S>(x: usize, y: usize, n: i32, c: T, beta: T, theta: T, strict: bool, stored: bool): f64 {
  let total: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vc = v128.splat<T>(c);
    const vb = v128.splat<T>(beta);
    const vt = v128.splat<T>(theta);
    const k0 = expConstant<T>(0);
    const k1 = expConstant<T>(1);
    const k2 = expConstant<T>(2);
    const k3 = expConstant<T>(3);
    const k4 = expConstant<T>(4);
    const k5 = expConstant<T>(5);
    const k6 = expConstant<T>(6);
    const k7 = expConstant<T>(7);
    const k8 = expConstant<T>(8);
    const k9 = expConstant<T>(9);
    const h0 = widenConstant<S>(0);
    const h1 = widenConstant<S>(1);
    const h2 = widenConstant<S>(2);
    const h3 = widenConstant<S>(3);
    // Stored terms over halves: only the comparison reads them, folded (widenFolded4: no multiply,
    // where a subnormal half's multiply by 2^112 takes an Intel core a microcode assist) against
    // the folded value of the least half kept (x > theta: x >= the f32 above theta).
    const folded = stored && sizeof<S>() == 2;
    const vk = folded ? v128.splat<f32>(foldedAtLeast(<f32>(strict ? nextAbove<T>(theta) : theta))) : vt;
    while (i + 2 * L <= n) {
      const end = min(i + FLUSH, n);
      let s0 = v128.splat<T>(0);
      let s1 = s0;
      // Stored terms: a block of ABOVE_BLOCK vectors with one kept adds every vector's (masked:
      // the same bits), one with none is passed over, where a branch on each pair of vectors,
      // taken at random where part of the row is kept, cost more than the loads (top-p 0.95's
      // draw over 4 typical rows of 151,936, Node 24).
      if (stored) {
        for (; i + ABOVE_BLOCK * L <= end; i += ABOVE_BLOCK * L) {
          let any = v128.splat<i32>(0);
          for (let j = i; j < i + ABOVE_BLOCK * L; j += L) {
            if (folded) any = v128.or(any, v128.ge<T>(widenFolded4(v128.load16x4_s(atS<S>(x, j)), h1), vk));
            else {
              const v = v128.load(at<T>(x, j));
              any = v128.or(any, strict ? v128.gt<T>(v, vt) : v128.ge<T>(v, vt));
            }
          }
          if (!v128.any_true(any)) continue;
          for (let j = i; j < i + ABOVE_BLOCK * L; j += 2 * L) {
            const p = atS<S>(x, j);
            const q = at<T>(y, j);
            if (folded) {
              s0 = v128.add<T>(s0, v128.and(v128.load(q), v128.ge<T>(widenFolded4(v128.load16x4_s(p), h1), vk)));
              s1 = v128.add<T>(s1, v128.and(v128.load(q, 16), v128.ge<T>(widenFolded4(v128.load16x4_s(p, 8), h1), vk)));
            } else {
              const v0 = v128.load(p);
              const v1 = v128.load(p, 16);
              s0 = v128.add<T>(s0, v128.and(v128.load(q), strict ? v128.gt<T>(v0, vt) : v128.ge<T>(v0, vt)));
              s1 = v128.add<T>(s1, v128.and(v128.load(q, 16), strict ? v128.gt<T>(v1, vt) : v128.ge<T>(v1, vt)));
            }
          }
        }
      }
      for (; i + 2 * L <= end; i += 2 * L) {
        const p = atS<S>(x, i);
        // (Halves or T's own loads chosen at compile time: T's keep their offset immediates.)
        const v0 = sizeof<S>() == 2 ? widenS<S>(v128.load16x4_s(p), h0, h1, h2, h3) : v128.load(p);
        const v1 = sizeof<S>() == 2 ? widenS<S>(v128.load16x4_s(p, 8), h0, h1, h2, h3) : v128.load(p, 16);
        const kept0 = strict ? v128.gt<T>(v0, vt) : v128.ge<T>(v0, vt);
        const kept1 = strict ? v128.gt<T>(v1, vt) : v128.ge<T>(v1, vt);
        if (!v128.any_true(v128.or(kept0, kept1))) continue;
        const q = at<T>(y, i);
        const e0 = stored ? v128.load(q) : expWith<T>(v128.mul<T>(v128.sub<T>(v0, vc), vb), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
        const e1 = stored ? v128.load(q, 16) : expWith<T>(v128.mul<T>(v128.sub<T>(v1, vc), vb), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
        s0 = v128.add<T>(s0, v128.and(e0, kept0));
        s1 = v128.add<T>(s1, v128.and(e1, kept1));
      }
      total += sumLanes<T>(v128.add<T>(s0, s1));
    }
  }
  // The tail of fewer than 2 L elements; the whole row in the scalar build.
  while (i < n) {
    const end = min(i + FLUSH, n);
    let part: f64 = 0;
    for (; i < end; i++) {
      const v = loadAs<T, S>(x, i);
      if (strict ? v > theta : v >= theta) part += <f64>(stored ? load<T>(at<T>(y, i)) : expNonPositive<T>((v - c) * beta));
    }
    total += part;
  }
  return total;
}

// Where the rest kernel clamps its inputs: -Infinity (a masked entry) becomes a finite value
// whose difference to any |c| < WIDE_C_F32 is still finite and whose exp is 0, so that the
// rounding error of x - c stays a number.
const REST_FLOOR_F32: f32 = -2.028240960365167e31; // -2^104
// |c| below which x - c never overflows f32 (half an ulp of its max): the rest kernel's domain
// for f32 rows.
export const WIDE_C_F32: f64 = 1.0141204801825835e31; // 2^103
// |beta| up to which the rest kernel carries the rounding of the product d*beta (f32): the
// split of Dekker's product stays finite.
export const SPLIT_BETA_F32: f64 = 1.2676506002282294e30; // 2^100
// Veltkamp's constant for f32, 2^12 + 1: v*SPLIT_F32 splits v into two halves of 12 bits. In
// memory, loaded into a local before the loop (exp.ts says why).
const SPLIT_F32 = memory.data<f32>([4097.0]);

/** The high half of each f32 lane (Veltkamp's split with `split` in every lane); the low half is v minus it. */
// @ts-ignore: decorator
@inline
function splitHigh(v: v128, split: v128): v128 {
  const t = f32x4.mul(v, split);
  return f32x4.sub(t, f32x4.sub(t, v));
}

/**
 * The exponent's rounding error of f32 lanes x (clamped) against c: with d = fl(x - c) and
 * p = fl(d*beta), (x - c)*beta - p exactly enough (TwoSum for x - c, Dekker's product for
 * d*beta, beta split into bh + bl); lanes where it is not finite (terms of 0) give 0.
 */
// @ts-ignore: decorator
@inline
function exponentErrorF32(x: v128, vc: v128, d: v128, p: v128, vb: v128, bh: v128, bl: v128, split: v128): v128 {
  // TwoSum: (x - c) - d, with no ordering of |x| and |c| needed.
  const cp = f32x4.sub(x, d); // the c that d holds
  const xp = f32x4.add(d, cp); // the x that d holds
  const e = f32x4.sub(f32x4.sub(x, xp), f32x4.sub(vc, cp));
  const dh = splitHigh(d, split);
  const dl = f32x4.sub(d, dh);
  const q = f32x4.add(f32x4.add(f32x4.add(f32x4.sub(f32x4.mul(dh, bh), p), f32x4.mul(dh, bl)), f32x4.mul(dl, bh)), f32x4.mul(dl, bl));
  const all = f32x4.add(q, f32x4.mul(e, vb));
  return v128.and(all, f32x4.eq(all, all));
}

/**
 * The sum of exp(beta*(x_i - c)) over the entries of f32 x[0..n) other than c (the "rest" of
 * LogSumExp near 0: the entries at c add exactly 1 each, which summed in f32 lanes would round
 * the small terms away), in f64; the count of entries equal to c goes to the f64 at `count`.
 * With |c| < WIDE_C_F32 and |beta| <= SPLIT_BETA_F32 each term carries the rounding of its
 * exponent: TwoSum splits x - c into d + e exactly, Dekker's product d*beta into p + q (beta's
 * f32 halves, the low one also holding what beta lost to f32), and the term is
 * exp(p)*(1 + q + e*beta), so the sum keeps the relative accuracy of the exp and of its lanes
 * however far below c the entries lie. c is the extremum of x[0..n). The core runs it on one
 * block of a row whose max dominates, so it favours size and accuracy over speed.
 */
export function raddexpminusmaxrest(x: usize, n: i32, c: f32, beta64: f64, count: usize): f64 {
  const beta = betaOf<f32>(beta64);
  let total: f64 = 0;
  let lost: f64 = 0;
  let k: i32 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vc = f32x4.splat(c);
    const vb = f32x4.splat(beta);
    const floor = f32x4.splat(REST_FLOOR_F32);
    const split = v128.load32_splat(SPLIT_F32);
    const bh = splitHigh(vb, split);
    // beta's low half, and what beta lost to f32 (a beta such as 1/0.7 rounds).
    const bl = f32x4.splat(<f32>(beta64 - <f64>f32x4.extract_lane(bh, 0)));
    const k0 = expConstant<f32>(0);
    const k1 = expConstant<f32>(1);
    const k2 = expConstant<f32>(2);
    const k3 = expConstant<f32>(3);
    const k4 = expConstant<f32>(4);
    const k5 = expConstant<f32>(5);
    const k6 = expConstant<f32>(6);
    const k7 = expConstant<f32>(7);
    const k8 = expConstant<f32>(8);
    const k9 = expConstant<f32>(9);
    let ks = i32x4.splat(0);
    while (i + 4 <= n) {
      const end = min(i + FLUSH, n);
      let sum = f32x4.splat(0);
      let fix = sum;
      for (; i + 4 <= end; i += 4) {
        const v = v128.load(at<f32>(x, i));
        const eq = f32x4.eq(v, vc);
        ks = i32x4.add(ks, eq);
        const xc = f32x4.pmax(v, floor);
        const d = f32x4.sub(xc, vc);
        const a = f32x4.mul(d, vb);
        const t = v128.andnot(expWith<f32>(a, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9), eq);
        sum = f32x4.add(sum, t);
        fix = f32x4.add(fix, f32x4.mul(t, exponentErrorF32(xc, vc, d, a, vb, bh, bl, split)));
      }
      const part = sumLanes<f32>(sum) + sumLanes<f32>(fix);
      lost += roundingOf(total, part);
      total += part;
    }
    // The counts were added as -1 per equal lane.
    k = -(i32x4.extract_lane(ks, 0) + i32x4.extract_lane(ks, 1) + i32x4.extract_lane(ks, 2) + i32x4.extract_lane(ks, 3));
  }
  // The tail of fewer than 4 elements; the whole row in the scalar build: in f64, where the
  // promoted exponent (x - c)*beta rounds once, relative 2^-53.
  for (; i < n; i++) {
    const v = load<f32>(at<f32>(x, i));
    if (v == c) {
      k++;
      continue;
    }
    const t = expNonPositive<f64>((<f64>v - <f64>c) * beta64);
    const s = total + t;
    lost += abs(total) >= abs(t) ? (total - s) + t : (t - s) + total;
    total = s;
  }
  store<f64>(count, <f64>k);
  return total + lost;
}
