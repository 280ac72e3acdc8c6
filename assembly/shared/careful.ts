// The careful passes, in f64, for the rows the fast passes of softmax.ts cannot serve:
//   - x - c beyond the dtype's range with a small beta (beta = 0 on an f32 row holding
//     ±3e38 must give the uniform distribution, not 0*Inf = NaN);
//   - f32 rows with |beta| above f32's range (the fast passes clamp beta to f32);
//   - LogSumExp and log-softmax near 0: LSE = beta*c + log1p(rest), where rest, the sum of
//     the terms of the entries below the extremum, must keep its relative accuracy, so each
//     exponent beta*(x - c) is taken exactly (double-double for f64 input) before its exp.
// Scalar loops: they run on rare betas, and for LSE only where its result is near 0.

import { expNonPositive, expNonPositiveV } from "./exp";
import { roundingOf } from "./reduce";
import { R_K, R_R, result } from "./results";

// Veltkamp's constant 2^27 + 1: v*SPLIT splits v into two halves of 26 bits.
const SPLIT: f64 = 134217729.0;
// Below this magnitude a product's error term is subnormal; above it, the split overflows.
const SPLIT_MIN: f64 = 1e-290;
const SPLIT_MAX: f64 = 1e150;
// From this magnitude on, TwoSum's intermediates could overflow: it runs on halves.
const TWOSUM_MAX: f64 = 1.0715086071862673e301; // 2^1000

/** beta*(x - c) in f64, halving x and c first where x - c is beyond f64's range. */
// @ts-ignore: decorator
@inline
export function scaledDiff(beta: f64, x: f64, c: f64): f64 {
  const d = x - c;
  if (isFinite(d) || !isFinite(x) || !isFinite(c)) return d * beta;
  return (x * 0.5 - c * 0.5) * beta * 2;
}

/**
 * exp(beta*(x - c)) for x <= c with the exponent taken as a double-double hi + lo (TwoSum,
 * Dekker's product): exp(hi)*(1 + lo), so the term keeps f64's relative accuracy however
 * large the exponent.
 */
// @ts-ignore: decorator
@inline
function exactExpDiff(beta0: f64, x0: f64, c0: f64): f64 {
  const h: f64 = abs(x0) >= TWOSUM_MAX || abs(c0) >= TWOSUM_MAX ? 0.5 : 1;
  const x = x0 * h;
  const c = c0 * h;
  const beta = beta0 / h;
  const d = x - c;
  const p = d * beta;
  if (!isFinite(p) || !isFinite(beta)) return expNonPositive<f64>(scaledDiff(beta0, x0, c0));
  const ad = abs(d);
  const ab = abs(beta);
  if (ad > SPLIT_MAX || ab > SPLIT_MAX || abs(p) < SPLIT_MIN) return expNonPositive<f64>(p);
  // TwoSum: d + e = x - c exactly.
  const v = d - x;
  const e = (x - (d - v)) + (-c - v);
  // Dekker's product: p + q = d*beta exactly.
  const td = d * SPLIT;
  const dh = td - (td - d);
  const dl = d - dh;
  const tb = beta * SPLIT;
  const bh = tb - (tb - beta);
  const bl = beta - bh;
  const q = dh * bh - p + dh * bl + dl * bh + dl * bl;
  const t = expNonPositive<f64>(p);
  return t + t * (q + e * beta);
}

// |c| below which x - c stays within f64 (half an ulp of its max): no halves needed.
const WIDE_C: f64 = 9.9792015476736e291; // 2^970
// Elements summed in f64 lanes before the partial sum joins the compensated total: at most
// 16 terms per lane.
const VECTOR_FLUSH: i32 = 32;

/**
 * exp(beta*(x - c)) of two f64 lanes with the exponent as a double-double (TwoSum for x - c,
 * Dekker's product), for |c| < WIDE_C and |beta| <= SPLIT_MAX; lanes whose low part is not
 * finite (masked, or a product beyond the split's range) take the plain exp.
 */
// @ts-ignore: decorator
@inline
function exactExpV(x: v128, vc: v128, vb: v128): v128 {
  const d = f64x2.sub(x, vc);
  const p = f64x2.mul(d, vb);
  const w = f64x2.sub(d, x);
  const e = f64x2.add(f64x2.sub(x, f64x2.sub(d, w)), f64x2.sub(f64x2.neg(vc), w));
  const split = f64x2.splat(SPLIT);
  const td = f64x2.mul(d, split);
  const dh = f64x2.sub(td, f64x2.sub(td, d));
  const dl = f64x2.sub(d, dh);
  const tb = f64x2.mul(vb, split);
  const bh = f64x2.sub(tb, f64x2.sub(tb, vb));
  const bl = f64x2.sub(vb, bh);
  const q = f64x2.add(f64x2.add(f64x2.add(f64x2.sub(f64x2.mul(dh, bh), p), f64x2.mul(dh, bl)), f64x2.mul(dl, bh)), f64x2.mul(dl, bl));
  const low = f64x2.add(q, f64x2.mul(e, vb));
  const t = expNonPositiveV<f64>(p);
  const finite = f64x2.eq(f64x2.sub(low, low), f64x2.splat(0));
  return v128.bitselect(f64x2.add(t, f64x2.mul(t, low)), t, finite);
}

/**
 * exp(beta*(x - c)) of four f32 lanes: the exponent in f64, split into its f32 rounding hi
 * and the rest lo, so that the f32 exp of hi times (1 + lo) keeps the exponent's precision;
 * lanes whose lo is not finite (masked, or beyond f32) take exp(hi).
 */
// @ts-ignore: decorator
@inline
function splitExpV(v: v128, vc: v128, vb: v128): v128 {
  const a = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(v), vc), vb);
  const b = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)), vc), vb);
  const ha = f32x4.demote_f64x2_zero(a);
  const hb = f32x4.demote_f64x2_zero(b);
  const hi = i8x16.shuffle(ha, hb, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  const la = f32x4.demote_f64x2_zero(f64x2.sub(a, f64x2.promote_low_f32x4(ha)));
  const lb = f32x4.demote_f64x2_zero(f64x2.sub(b, f64x2.promote_low_f32x4(hb)));
  const lo = i8x16.shuffle(la, lb, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  const e = expNonPositiveV<f32>(hi);
  const finite = f32x4.eq(f32x4.sub(lo, lo), f32x4.splat(0));
  return v128.bitselect(f32x4.add(e, f32x4.mul(e, lo)), e, finite);
}

/**
 * Sum of exp(beta*(x_i - c)) over the entries of x[0..n) other than c (c a finite extremum),
 * each exponent exact to f64 precision or better, Neumaier-compensated, to slot R_R of the
 * results area at `out`, and the count of entries equal to c to R_K. NaN if a term is NaN
 * (beta = 0 with an infinite entry).
 */
export function restSum<T>(x: usize, n: i32, c: f64, beta: f64, out: usize): void {
  let total: f64 = 0;
  let lost: f64 = 0;
  let k = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD && (sizeof<T>() == 4 || (abs(c) < WIDE_C && abs(beta) <= SPLIT_MAX))) {
    // In f64x2 lanes, summed plainly over VECTOR_FLUSH elements, then Neumaier.
    const vc = f64x2.splat(c);
    const vb = f64x2.splat(beta);
    const zero = f64x2.splat(0);
    let count = i64x2.splat(0);
    const step = sizeof<T>() == 4 ? 4 : 2;
    while (i + step <= n) {
      const end = min(i + VECTOR_FLUSH, n);
      let s0 = zero;
      let s1 = zero;
      for (; i + step <= end; i += step) {
        const v = v128.load(x + (<usize>i << alignof<T>()));
        if (sizeof<T>() == 4) {
          const eq = f32x4.eq(v, f32x4.splat(<f32>c));
          count = i64x2.sub(count, i64x2.extend_low_i32x4_s(i32x4.add(eq, i8x16.shuffle(eq, eq, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7))));
          const t = v128.andnot(splitExpV(v, vc, vb), eq);
          s0 = f64x2.add(s0, f64x2.promote_low_f32x4(t));
          s1 = f64x2.add(s1, f64x2.promote_low_f32x4(i8x16.shuffle(t, t, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)));
        } else {
          const eq = f64x2.eq(v, vc);
          count = i64x2.sub(count, eq);
          s0 = f64x2.add(s0, v128.andnot(exactExpV(v, vc, vb), eq));
        }
      }
      const part = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1) + (f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1));
      lost += roundingOf(total, part);
      total += part;
    }
    k = <i32>(i64x2.extract_lane(count, 0) + i64x2.extract_lane(count, 1));
  }
  for (; i < n; i++) {
    const v = <f64>load<T>(x + (<usize>i << alignof<T>()));
    if (v == c) {
      k++;
      continue;
    }
    let t: f64;
    if (sizeof<T>() == 4) {
      // Promoted f32 values: x - c is exact or nearly, one rounding in the product.
      t = expNonPositive<f64>(scaledDiff(beta, v, c));
    } else {
      t = exactExpDiff(beta, v, c);
    }
    const s = total + t;
    lost += abs(total) >= abs(t) ? (total - s) + t : (t - s) + total;
    total = s;
  }
  result(out, R_K, <f64>k);
  result(out, R_R, total + lost);
}

/**
 * y_i = exp(beta*(x_i - c)) * scale, or beta*(x_i - c) - shift when `log`, in f64 (y may be x).
 */
export function carefulOut<T>(x: usize, y: usize, n: i32, c: f64, beta: f64, scale: f64, shift: f64, log: bool): void {
  for (let i = 0; i < n; i++) {
    const a = scaledDiff(beta, <f64>load<T>(x + (<usize>i << alignof<T>())), c);
    store<T>(y + (<usize>i << alignof<T>()), <T>(log ? a - shift : expNonPositive<f64>(a) * scale));
  }
}
