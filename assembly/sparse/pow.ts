// Powers t^kappa for t in (0, 1], as exp(kappa*log t): entmax's probabilities are
// [t]_+^(1/(alpha - 1)) and its backward pass needs y^(2 - alpha). The exp is the shared one;
// the log is here, vectorized, with a scalar twin that performs the same operations.
//
// log: t = 2^e * m with m in [sqrt(1/2), sqrt(2)) (the exponent shifted so that m straddles
// 1), then log m = 2*atanh(s) = 2s + s*z*P(z), s = (m - 1)/(m + 1), z = s^2 <= 0.0295, with
// the Taylor coefficients 2/(2j + 1) (the first term left out is below 2^-58 of the result for
// f64, 2^-29 for f32), and log t = e*ln2 + log m with ln2 in two parts. Positive normal t
// only: callers clamp t up to the smallest normal number first (a smaller t's power is below
// any tolerance here, and 0 or negative lanes are masked out by the caller).

import { expAny, expAnyWith, expNonPositive, expNonPositiveV, madd } from "../shared/exp";

// 2*atanh(s)/s - 2 = z*(2/3 + z*(2/5 + z*(2/7 + ...))).
const P3: f64 = 0.6666666666666666;
const P5: f64 = 0.4;
const P7: f64 = 0.2857142857142857;
const P9: f64 = 0.2222222222222222;
const P11: f64 = 0.18181818181818182;
const P13: f64 = 0.15384615384615385;
const P15: f64 = 0.13333333333333333;
const P17: f64 = 0.11764705882352941;
const P19: f64 = 0.10526315789473684;

// ln2 in two parts: the high one has 32 significant bits (f64) / 16 (f32), so e*LN2_HI is exact.
const F64_LN2_HI: f64 = 6.93147180369123816490e-1; // 0x1.62E42FEE00000p-1
const F64_LN2_LO: f64 = 1.90821492927058770002e-10; // 0x1.A39EF35793C76p-33
const F32_LN2_HI: f32 = 0.693145751953125; // 0x1.62E400p-1
const F32_LN2_LO: f32 = 1.42860676533018704503775e-6; // 0x1.7F7D1Cp-20

// The bits of sqrt(1/2): adding ONE - SQRT_HALF to t's bits moves the exponent's carry to
// m = sqrt(1/2), so the mantissa left after removing the exponent lies in [sqrt(1/2), sqrt(2)).
const F32_SQRT_HALF: i32 = 0x3f3504f3;
const F32_ONE: i32 = 0x3f800000;
const F64_SQRT_HALF: i64 = 0x3fe6a09e667f3bcd;
const F64_ONE: i64 = 0x3ff0000000000000;
// 1.5 * 2^52: adding an integer's bits to its bits gives a double that is that integer + it.
const F64_INT_MAGIC: f64 = 6755399441055744.0;

/** The smallest normal number of T: the clamp below which a power is not computed. */
// @ts-ignore: decorator
@inline
export function tinyOf<T>(): T {
  return sizeof<T>() == 4 ? <T>1.1754943508222875e-38 : <T>2.2250738585072014e-308;
}

// logF32x4's constants, loaded into lanes at each use: V8 13 to 15 rebuild a v128.const at each
// use inside a loop (three instructions, see shared/exp.ts), and the power loops hold more
// constants than there are registers; a load from this table is one instruction.
const F32_LOG_TABLE = memory.data<f32>([1, 2, <f32>P9, <f32>P7, <f32>P5, <f32>P3, F32_LN2_HI, F32_LN2_LO]);
const F32_LOG_BITS = memory.data<i32>([F32_ONE - F32_SQRT_HALF, 127, 0x007fffff, F32_SQRT_HALF]);

// @ts-ignore: decorator
@inline
function logF32Constant(k: i32): v128 {
  return v128.load32_splat(F32_LOG_TABLE + (<usize>k << 2));
}

// @ts-ignore: decorator
@inline
function logF32Bits(k: i32): v128 {
  return v128.load32_splat(F32_LOG_BITS + (<usize>k << 2));
}

// @ts-ignore: decorator
@inline
function logF32x4(t: v128): v128 {
  const ix = i32x4.add(t, logF32Bits(0));
  const e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_s(ix, 23), logF32Bits(1)));
  const m = i32x4.add(v128.and(ix, logF32Bits(2)), logF32Bits(3));
  const f = f32x4.sub(m, logF32Constant(0));
  const s = f32x4.div(f, f32x4.add(logF32Constant(1), f));
  const z = f32x4.mul(s, s);
  let p = f32x4.add(f32x4.mul(z, logF32Constant(2)), logF32Constant(3));
  p = f32x4.add(f32x4.mul(z, p), logF32Constant(4));
  p = f32x4.add(f32x4.mul(z, p), logF32Constant(5));
  const logm = f32x4.add(f32x4.add(s, s), f32x4.mul(s, f32x4.mul(z, p)));
  return f32x4.add(f32x4.mul(e, logF32Constant(6)), f32x4.add(f32x4.mul(e, logF32Constant(7)), logm));
}

// @ts-ignore: decorator
@inline
function logF32(t: f32): f32 {
  const ix = reinterpret<i32>(t) + (F32_ONE - F32_SQRT_HALF);
  const e = <f32>((ix >> 23) - 127);
  const m = reinterpret<f32>((ix & 0x007fffff) + F32_SQRT_HALF);
  const f = m - 1;
  const s = f / (2 + f);
  const z = s * s;
  let p = z * <f32>P9 + <f32>P7;
  p = z * p + <f32>P5;
  p = z * p + <f32>P3;
  const logm = (s + s) + s * (z * p);
  return e * F32_LN2_HI + (e * F32_LN2_LO + logm);
}

// @ts-ignore: decorator
@inline
function logF64x2(t: v128): v128 {
  const ix = i64x2.add(t, i64x2.splat(F64_ONE - F64_SQRT_HALF));
  const eInt = i64x2.sub(i64x2.shr_s(ix, 52), i64x2.splat(1023));
  const e = f64x2.sub(i64x2.add(eInt, f64x2.splat(F64_INT_MAGIC)), f64x2.splat(F64_INT_MAGIC));
  const m = i64x2.add(v128.and(ix, i64x2.splat(0x000fffffffffffff)), i64x2.splat(F64_SQRT_HALF));
  const f = f64x2.sub(m, f64x2.splat(1));
  const s = f64x2.div(f, f64x2.add(f64x2.splat(2), f));
  const z = f64x2.mul(s, s);
  let p = f64x2.add(f64x2.mul(z, f64x2.splat(P19)), f64x2.splat(P17));
  p = f64x2.add(f64x2.mul(z, p), f64x2.splat(P15));
  p = f64x2.add(f64x2.mul(z, p), f64x2.splat(P13));
  p = f64x2.add(f64x2.mul(z, p), f64x2.splat(P11));
  p = f64x2.add(f64x2.mul(z, p), f64x2.splat(P9));
  p = f64x2.add(f64x2.mul(z, p), f64x2.splat(P7));
  p = f64x2.add(f64x2.mul(z, p), f64x2.splat(P5));
  p = f64x2.add(f64x2.mul(z, p), f64x2.splat(P3));
  const logm = f64x2.add(f64x2.add(s, s), f64x2.mul(s, f64x2.mul(z, p)));
  return f64x2.add(f64x2.mul(e, f64x2.splat(F64_LN2_HI)), f64x2.add(f64x2.mul(e, f64x2.splat(F64_LN2_LO)), logm));
}

// @ts-ignore: decorator
@inline
function logF64(t: f64): f64 {
  const ix = reinterpret<i64>(t) + (F64_ONE - F64_SQRT_HALF);
  const e = reinterpret<f64>(((ix >> 52) - 1023) + reinterpret<i64>(F64_INT_MAGIC)) - F64_INT_MAGIC;
  const m = reinterpret<f64>((ix & 0x000fffffffffffff) + F64_SQRT_HALF);
  const f = m - 1;
  const s = f / (2 + f);
  const z = s * s;
  let p = z * P19 + P17;
  p = z * p + P15;
  p = z * p + P13;
  p = z * p + P11;
  p = z * p + P9;
  p = z * p + P7;
  p = z * p + P5;
  p = z * p + P3;
  const logm = (s + s) + s * (z * p);
  return e * F64_LN2_HI + (e * F64_LN2_LO + logm);
}

// A cheaper f32 log for the passes of the threshold's search that only move it closer (see
// sparse.ts, solve): log m = f + f^2*Q(f), f = m - 1, with no division; Q of degree 5 fitted
// for the absolute error on [sqrt(1/2) - 1, sqrt(2) - 1] (least squares reweighted towards
// minimax, then rounded to f32): |error| <= 3.5e-7 over that range evaluated in f32 (against
// 2^-24 for logF32x4), so t^kappa is within kappa*3.5e-7 of its value, relative.
const Q0: f32 = -0.5000172853469849; // -0x1.000244p-1
const Q1: f32 = 0.33315056562423706; // 0x1.55256cp-2
const Q2: f32 = -0.2489309161901474; // -0x1.fdcf7ep-3
const Q3: f32 = 0.20499159395694733; // 0x1.a3d2a2p-3
const Q4: f32 = -0.18784110248088837; // -0x1.80b2d6p-3
const Q5: f32 = 0.11971062421798706; // 0x1.ea55b0p-4
const F32_ROUGH_TABLE = memory.data<f32>([Q5, Q4, Q3, Q2, Q1, Q0, 1, <f32>(F32_LN2_HI + F32_LN2_LO)]);

// @ts-ignore: decorator
@inline
function roughConstant(k: i32): v128 {
  return v128.load32_splat(F32_ROUGH_TABLE + (<usize>k << 2));
}

/** log t of each f32 lane (positive normal lanes) within 3.5e-7 + 2^-24*|log t|: see Q0. */
// @ts-ignore: decorator
@inline
export function logRoughF32x4(t: v128): v128 {
  const ix = i32x4.add(t, logF32Bits(0));
  const e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_s(ix, 23), logF32Bits(1)));
  const m = i32x4.add(v128.and(ix, logF32Bits(2)), logF32Bits(3));
  const f = f32x4.sub(m, roughConstant(6));
  let q = madd<f32>(roughConstant(0), f, roughConstant(1));
  q = madd<f32>(q, f, roughConstant(2));
  q = madd<f32>(q, f, roughConstant(3));
  q = madd<f32>(q, f, roughConstant(4));
  q = madd<f32>(q, f, roughConstant(5));
  return madd<f32>(e, roughConstant(7), madd<f32>(f32x4.mul(f, f), q, f));
}

/** Scalar twin of logRoughF32x4. */
// @ts-ignore: decorator
@inline
export function logRoughF32(t: f32): f32 {
  const ix = reinterpret<i32>(t) + (F32_ONE - F32_SQRT_HALF);
  const e = <f32>((ix >> 23) - 127);
  const m = reinterpret<f32>((ix & 0x007fffff) + F32_SQRT_HALF);
  const f = m - 1;
  let q = Q5 * f + Q4;
  q = q * f + Q3;
  q = q * f + Q2;
  q = q * f + Q1;
  q = q * f + Q0;
  return e * <f32>(F32_LN2_HI + F32_LN2_LO) + ((f * f) * q + f);
}

/** Natural log of each lane, for positive normal lanes. */
// @ts-ignore: decorator
@inline
export function logV<T>(t: v128): v128 {
  if (sizeof<T>() == 4) return logF32x4(t);
  return logF64x2(t);
}

/** Natural log of a positive normal t: scalar twin of logV. */
// @ts-ignore: decorator
@inline
export function logOf<T>(t: T): T {
  if (sizeof<T>() == 4) return <T>logF32(<f32>t);
  return <T>logF64(<f64>t);
}

/** t^kappa of each lane for t in (0, 1] and kappa > 0; lanes below T's smallest normal as if at it. */
// @ts-ignore: decorator
@inline
export function powUnitV<T>(t: v128, kappa: v128): v128 {
  return expNonPositiveV<T>(v128.mul<T>(kappa, logV<T>(v128.pmax<T>(t, v128.splat<T>(tinyOf<T>())))));
}

/** Scalar twin of powUnitV. */
// @ts-ignore: decorator
@inline
export function powUnit<T>(t: T, kappa: T): T {
  return expNonPositive<T>(kappa * logOf<T>(max<T>(t, tinyOf<T>())));
}

/**
 * t^q of each lane for t in (0, 1] and any real q (large results overflow to +Inf); k0..k9 the
 * T exp's constants (expConstant), loaded once before the loop (exp.ts says why).
 */
// @ts-ignore: decorator
@inline
export function powAnyWith<T>(
  t: v128, q: v128, k0: v128, k1: v128, k2: v128, k3: v128, k4: v128, k5: v128, k6: v128, k7: v128, k8: v128, k9: v128,
): v128 {
  return expAnyWith<T>(v128.mul<T>(q, logV<T>(v128.pmax<T>(t, v128.splat<T>(tinyOf<T>())))), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
}

/** Scalar twin of powAnyV. */
// @ts-ignore: decorator
@inline
export function powAny<T>(t: T, q: T): T {
  return expAny<T>(q * logOf<T>(max<T>(t, tinyOf<T>())));
}
