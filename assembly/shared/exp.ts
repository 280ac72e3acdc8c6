// Vectorized exp for f32x4 and f64x2, each with a scalar twin that performs the same
// operations in the same order (the scalar build and the SIMD tails use the twins).
//
// Scheme: x = n*ln2 + r with n = round(x*log2(e)) and |r| <= ln2/2; 2^n is assembled in
// the exponent bits; exp(r) comes from a polynomial.
//
// Domain of expNonPositive: x <= 0 (it stays exact up to x < 88 for f32, x < 709 for f64).
// Below -88 (f32) / -709 (f64) the result is exactly +0; between there and the smallest
// normal number it may be subnormal or 0. NaN stays NaN; -Inf gives +0.
// expAny covers the whole real line (overflow gives +Inf) at the cost of a second exp on
// lanes with x > 0.
//
// Measured error: see the README (`npm run accuracy`, bench/exp-ulp.js: every f32 in
// [-87.33, 0], f64 on a 2^24-point sweep of [-708.4, 0], against Math.exp).

// ---- fused multiply-add where the build has relaxed SIMD ----

/** a*b + c: rounded once in the relaxed-SIMD build (where the engine fuses), else twice. */
// @ts-ignore: decorator
@inline
export function madd<T>(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return v128.relaxed_madd<T>(a, b, c);
  return v128.add<T>(v128.mul<T>(a, b), c);
}

/** c - a*b, fused like madd. */
// @ts-ignore: decorator
@inline
function nmadd<T>(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return v128.relaxed_nmadd<T>(a, b, c);
  return v128.sub<T>(c, v128.mul<T>(a, b));
}

// ---- f32 ----

// log2(e) rounded to f32.
const F32_LOG2E: f32 = 1.44269502162933349609375; // 0x1.715476p+0
// 1.5 * 2^23 + 127: adding it rounds x*log2(e) to an integer n and leaves n + 127 (the
// biased exponent of 2^n) in the low mantissa bits, ready to be shifted into place.
const F32_MAGIC: f32 = 12583039.0; // 0x1.8000FEp+23
// ln2 split in two (Cody-Waite): LN2_HI has 16 significant bits, so n*LN2_HI is exact for
// |n| <= 255 and r keeps its low bits.
const F32_LN2_HI: f32 = 0.693145751953125; // 0x1.62E400p-1
const F32_LN2_LO: f32 = 1.42860676533018704503775e-6; // 0x1.7F7D1Cp-20 = ln2 - LN2_HI
// Inputs are clamped up to -88, which rounds to n = -127: the biased exponent n + 127 is 0,
// so 2^n is assembled as +0 and the result is exactly 0, with no compare and select. (Below
// ln(2^-126) = -87.34 results are subnormal or 0; -Inf and masked scores give 0.)
export const F32_FLOOR: f32 = -88.0;
// exp(r) ~ 1 + r*(C1 + r*(C2 + r*(C3 + r*(C4 + r*C5)))) on |r| <= ln2/2: minimax for the
// relative error, refit after each rounding to f32 (scripts/fit-exp-poly.mjs): 2^-23.33.
const F32_C1: f32 = 0.999999702; // 0x1.FFFFF6p-1
const F32_C2: f32 = 0.499991506; // 0x1.FFFDC6p-2
const F32_C3: f32 = 0.166676536; // 0x1.555A82p-3
const F32_C4: f32 = 0.0418977924; // 0x1.573A0Ap-5
const F32_C5: f32 = 0.00828957651; // 0x1.0FA202p-7
// expAny computes x > 0 as exp(x/2)^2, clamped first so that x/2 stays in the exact domain
// (x/2 <= 88); e^176 overflows f32 anyway.
const F32_CLAMP_HIGH: f32 = 176.0;

// V8 13 to 15 (Node 22 and 24, Deno) rebuild a v128.const at each of its uses inside a loop
// (a 64-bit move, a move to an xmm register and a shuffle; V8 11 shares one per iteration):
// that alone made the exp loops ~2x slower there. Loops that call the exp many times load its
// constants from this table (F64_TABLE for f64) into locals before the loop (expConstant) and
// pass them in (expWith), so that V8 keeps them in registers. JavaScriptCore keeps v128.consts
// in registers itself: the f32 loops ran the same in Bun either way, the f64 ones 0.8-1.2x
// (docs/core.md, "Its constants").
const F32_TABLE = memory.data<f32>([F32_FLOOR, F32_LOG2E, F32_MAGIC, F32_LN2_HI, F32_LN2_LO, F32_C5, F32_C4, F32_C3, F32_C2, F32_C1]);

/** The f32 exp of 4 lanes, its constants given (F32_TABLE's, in order). */
// @ts-ignore: decorator
@inline
export function expNonPositiveF32x4K(
  x: v128, floor: v128, log2e: v128, magic: v128, ln2Hi: v128, ln2Lo: v128, c5: v128, c4: v128, c3: v128, c2: v128, c1: v128,
): v128 {
  // pmax(x, c) = x < c ? c : x: one instruction (max is ~8 on x64) and NaN stays NaN.
  const xc = f32x4.pmax(x, floor);
  const z = madd<f32>(xc, log2e, magic);
  const n = f32x4.sub(z, magic);
  const s = i32x4.shl(z, 23); // 2^n
  let r = nmadd<f32>(n, ln2Hi, xc);
  r = nmadd<f32>(n, ln2Lo, r);
  let p = madd<f32>(c5, r, c4);
  p = madd<f32>(p, r, c3);
  p = madd<f32>(p, r, c2);
  p = madd<f32>(p, r, c1);
  return madd<f32>(f32x4.mul(r, s), p, s);
}

// @ts-ignore: decorator
@inline
function expNonPositiveF32(x: f32): f32 {
  const xc = max(x, F32_FLOOR);
  const z = xc * F32_LOG2E + F32_MAGIC;
  const n = z - F32_MAGIC;
  const s = reinterpret<f32>(reinterpret<u32>(z) << 23);
  let r = xc - n * F32_LN2_HI;
  r = r - n * F32_LN2_LO;
  let p = F32_C5 * r + F32_C4;
  p = p * r + F32_C3;
  p = p * r + F32_C2;
  p = p * r + F32_C1;
  return (r * s) * p + s;
}

// ---- f64 ----

const F64_LOG2E: f64 = 1.4426950408889634; // 0x1.71547652B82FEp+0
// 1.5 * 2^52 + 1023: leaves n + 1023 in the low mantissa bits (see F32_MAGIC).
const F64_MAGIC: f64 = 6755399441056767.0; // 0x1.80000000003FFp+52
// ln2 split: LN2_HI has 32 significant bits, so n*LN2_HI is exact for |n| <= 2^21.
const F64_LN2_HI: f64 = 6.93147180369123816490e-1; // 0x1.62E42FEE00000p-1
const F64_LN2_LO: f64 = 1.90821492927058770002e-10; // 0x1.A39EF35793C76p-33
// Clamped up to -709, which rounds to n = -1023: 2^n assembles as +0 (see F32_FLOOR).
const F64_FLOOR: f64 = -709.0;
// exp(r) = 1 + r + r^2*q(r), q of degree 9: minimax for the relative error on |r| <= ln2/2
// (scripts/fit-exp-poly.mjs), 2^-57.92 with these f64 coefficients.
const F64_Q0: f64 = 0.50000000000000111; // 0x1.000000000000Ap-1
const F64_Q1: f64 = 0.16666666666666466; // 0x1.555555555550Dp-3
const F64_Q2: f64 = 0.041666666666528809; // 0x1.55555555507BAp-5
const F64_Q3: f64 = 0.0083333333334701925; // 0x1.111111112453Fp-7
const F64_Q4: f64 = 0.001388888894369715; // 0x1.6C16C184319E0p-10
const F64_Q5: f64 = 0.00019841269546286484; // 0x1.A01A013850448p-13
const F64_Q6: f64 = 0.00002480149317470799; // 0x1.A0199A21BD8C8p-16
const F64_Q7: f64 = 0.0000027557558448139812; // 0x1.71DF0CC1EA062p-19
const F64_Q8: f64 = 2.7630193400227903e-7; // 0x1.28AD4C1C0EC1Dp-22
const F64_Q9: f64 = 2.500722473945322e-8; // 0x1.AD9EF00129B9Fp-26
// expAny: x/2 <= 709 stays in the exact domain; e^1418 overflows f64 anyway.
const F64_CLAMP_HIGH: f64 = 1418.0;

// The f64 exp's constants in the order of F32_TABLE's ten, then the polynomial's last five: the
// loops pass the first ten as locals, as they pass the f32 ones (expConstant); the last five
// are loaded at each use (v128.load64_splat, one instruction on x64; passing 15 constants
// through every loop was not worth its lines). Loaded so, f64 rows ran 1.4-2.1x faster in
// Node 24 and Deno (Chromium 156's V8 and Firefox about the same).
const F64_TABLE = memory.data<f64>([
  F64_FLOOR, F64_LOG2E, F64_MAGIC, F64_LN2_HI, F64_LN2_LO, F64_Q9, F64_Q8, F64_Q7, F64_Q6, F64_Q5,
  F64_Q4, F64_Q3, F64_Q2, F64_Q1, F64_Q0,
]);

/** Constant k of the T exp's table (F32_TABLE or F64_TABLE) in every lane. */
// @ts-ignore: decorator
@inline
export function expConstant<T>(k: i32): v128 {
  if (sizeof<T>() == 4) return v128.load32_splat(F32_TABLE + (<usize>k << 2));
  return v128.load64_splat(F64_TABLE + (<usize>k << 3));
}

/** The f64 exp of 2 lanes, its first ten constants given (F64_TABLE's), the other five loaded. */
// @ts-ignore: decorator
@inline
function expNonPositiveF64x2K(
  x: v128, floor: v128, log2e: v128, magic: v128, ln2Hi: v128, ln2Lo: v128, q9: v128, q8: v128, q7: v128, q6: v128, q5: v128,
): v128 {
  const xc = f64x2.pmax(x, floor);
  const z = madd<f64>(xc, log2e, magic);
  const n = f64x2.sub(z, magic);
  const s = i64x2.shl(z, 52); // 2^n
  let r = nmadd<f64>(n, ln2Hi, xc);
  r = nmadd<f64>(n, ln2Lo, r);
  let q = madd<f64>(q9, r, q8);
  q = madd<f64>(q, r, q7);
  q = madd<f64>(q, r, q6);
  q = madd<f64>(q, r, q5);
  q = madd<f64>(q, r, expConstant<f64>(10));
  q = madd<f64>(q, r, expConstant<f64>(11));
  q = madd<f64>(q, r, expConstant<f64>(12));
  q = madd<f64>(q, r, expConstant<f64>(13));
  q = madd<f64>(q, r, expConstant<f64>(14));
  // u = r + r^2*q, so exp(r) = 1 + u: the small part is rounded before the 1 is added.
  const u = madd<f64>(f64x2.mul(r, r), q, r);
  return madd<f64>(s, u, s);
}

// @ts-ignore: decorator
@inline
function expNonPositiveF64(x: f64): f64 {
  const xc = max(x, F64_FLOOR);
  const z = xc * F64_LOG2E + F64_MAGIC;
  const n = z - F64_MAGIC;
  const s = reinterpret<f64>(reinterpret<u64>(z) << 52);
  let r = xc - n * F64_LN2_HI;
  r = r - n * F64_LN2_LO;
  let q = F64_Q9 * r + F64_Q8;
  q = q * r + F64_Q7;
  q = q * r + F64_Q6;
  q = q * r + F64_Q5;
  q = q * r + F64_Q4;
  q = q * r + F64_Q3;
  q = q * r + F64_Q2;
  q = q * r + F64_Q1;
  q = q * r + F64_Q0;
  const u = (r * r) * q + r;
  return s * u + s;
}

// ---- generic entry points (T is f32 or f64, resolved at compile time) ----

/** exp of each lane, for lanes <= 0 (see the domain note at the top). */
// @ts-ignore: decorator
@inline
export function expNonPositiveV<T>(x: v128): v128 {
  return expWith<T>(
    x, expConstant<T>(0), expConstant<T>(1), expConstant<T>(2), expConstant<T>(3), expConstant<T>(4),
    expConstant<T>(5), expConstant<T>(6), expConstant<T>(7), expConstant<T>(8), expConstant<T>(9),
  );
}

/** exp of x <= 0, scalar twin of expNonPositiveV. */
// @ts-ignore: decorator
@inline
export function expNonPositive<T>(x: T): T {
  if (sizeof<T>() == 4) return <T>expNonPositiveF32(<f32>x);
  return <T>expNonPositiveF64(<f64>x);
}

/** exp of each lane over the whole real line; overflow gives +Inf. */
// @ts-ignore: decorator
@inline
export function expAnyV<T>(x: v128): v128 {
  return expAnyWith<T>(
    x, expConstant<T>(0), expConstant<T>(1), expConstant<T>(2), expConstant<T>(3), expConstant<T>(4),
    expConstant<T>(5), expConstant<T>(6), expConstant<T>(7), expConstant<T>(8), expConstant<T>(9),
  );
}

/** expAnyV with the T exp's constants given (expWith's: loaded once before a loop). */
// @ts-ignore: decorator
@inline
export function expAnyWith<T>(
  x: v128, k0: v128, k1: v128, k2: v128, k3: v128, k4: v128, k5: v128, k6: v128, k7: v128, k8: v128, k9: v128,
): v128 {
  const halve = v128.gt<T>(x, v128.splat<T>(<T>0));
  const low = expWith<T>(x, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
  if (!v128.any_true(halve)) return low;
  // exp(x) = exp(x/2)^2 keeps 2^n inside the exponent range; the clamp keeps Inf out of it.
  const clamped = v128.min<T>(x, v128.splat<T>(<T>(sizeof<T>() == 4 ? F32_CLAMP_HIGH : F64_CLAMP_HIGH)));
  const half = expWith<T>(v128.mul<T>(clamped, v128.splat<T>(<T>0.5)), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
  return v128.bitselect(v128.mul<T>(half, half), low, halve);
}

/** exp over the whole real line, scalar twin of expAnyV. */
// @ts-ignore: decorator
@inline
export function expAny<T>(x: T): T {
  if (x > <T>0) {
    const half = expNonPositive<T>(min(x, <T>(sizeof<T>() == 4 ? F32_CLAMP_HIGH : F64_CLAMP_HIGH)) * <T>0.5);
    return half * half;
  }
  return expNonPositive<T>(x);
}

/** expNonPositiveV, with the T exp's first ten constants given (k = expConstant<T>(0..9)). */
// @ts-ignore: decorator
@inline
export function expWith<T>(
  a: v128, k0: v128, k1: v128, k2: v128, k3: v128, k4: v128, k5: v128, k6: v128, k7: v128, k8: v128, k9: v128,
): v128 {
  if (sizeof<T>() == 4) return expNonPositiveF32x4K(a, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
  return expNonPositiveF64x2K(a, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
}
