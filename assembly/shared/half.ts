// IEEE half precision (binary16) <-> f32, for the kernels that read f16 data. No engine ships
// the wasm FP16 instructions, so both directions are integer work on the bit patterns.
//
// Widening (exact for all 65,536 patterns, NaN payloads and signaling NaNs kept bit for bit),
// from the half h sign-extended to a 32-bit lane s (v128.load16x4_s does it as it loads):
//   o = (s << 13) & 0x8fffffff   sign, exponent and mantissa in f32's places (the shift leaves
//                                copies of the sign in bits 28-30: the mask clears them);
//   o * 2^112                    as an f32: rebiases the exponent (127 - 15 = 112), exact for
//                                normal halves, and for subnormal ones too: o is then an f32
//                                subnormal, which wasm computes with (it never flushes them to 0);
//   | 0x7f800000                 where h's exponent is 31 (Inf, NaN): the product is 2^16 or
//                                more with h's mantissa, the mask makes it Inf/NaN, mantissa kept.
// 8 operations per 4 halves; the multiply sees no NaN, so no payload is quieted. widenHalves
// spares the last three where it can: it widens without them, keeping the largest exponent of
// the halves on the side (2 operations per 8), and widens again with them only where that
// exponent was 31 (data holding Inf or NaN: masked logits, for example), and it skips the sign
// extension too: o's two 16-bit halves are made for 8 halves at once and interleaved
// (widenFiniteLow8/High8, 7 operations per 8 halves instead of 9; the loss's logSoftmaxBackward
// takes them as well; widenFiniteRun, which the loss's softmaxBackward and sparse's
// entmaxBackward widen their blocks with, and reduce.ts's widenExtremum do not: JavaScriptCore
// runs widenExtremum slower with them, and widenFiniteRun has not been measured with them).
// Narrowing (f32ToHalf, narrowHalves) rounds to nearest, ties to even, as Float16Array stores:
// overflow past 65520 gives ±Infinity, results below the smallest normal half become
// subnormal halves or ±0, NaN stays NaN (quiet, the top 9 payload bits kept).
//
// API, each SIMD step with a scalar twin computing the same bits:
//   halfToF32(bits): f32, f32ToHalf(x): u32            one value;
//   halfExtremum(x, n, lowest)                          the max (min) of halves, as an f32,
//                                                       and halvesFinite: none was Inf or NaN;
//   widenHalves(src, dst, n), narrowHalves(src, dst, n) arrays (src/dst byte addresses);
//   halfConstant(k), widen4(s, k0..k3)                  the SIMD widening inside a loop: the
//     constants loaded once into locals before it (exp.ts says why), s from
//     v128.load16x4_s(p) (4 halves at p); loadHalfAsF32x4(p) the same for code outside hot loops.
//   widenFinite4(s, k0, k1)                             widen4 for halves known finite (3 operations);
//   widenFiniteLow8(v, k0, m), widenFiniteHigh8(v, k0, m) the same for the first and last 4 of
//                                                       8 halves v loaded as one vector (m = halfConstant(6));
//   raiseHalfTop(top, v, e), holdsSpecial(top, e)       8 halves' largest exponent kept on the side,
//                                                       to tell whether widenFinite4 was exact;
//   widenFiniteRun(src, dst, n, top, k0, k1, e)         a loop that only widens n halves as finite,
//     widenFiniteScalar(src, dst, start, end)           raising top (its scalar twin: false at Inf, NaN);
//   halfNotPositive8(v, bias, edge), halfPositive(h)    !(h > 0) on the bits, without widening
//                                                       (bias, edge: halfConstant(5), positiveEdge());
//   halfOrder, halfOrder8, halfOrderAtLeast             halves compared as values without widening.
//   widenFolded4(s, k1), foldedHalf(x), foldedAtLeast(t)  finite halves as x*2^-112 (widenFinite4 without
//                                                       its multiply) for loops that scale by beta next.

// 2^112: 127 - 15, the difference of the exponent biases.
const REBIAS: f32 = 5.192296858534828e33; // 0x1p+112
// The sign and the 15 bits below bit 28: what (s << 13) keeps.
const SIGN_AND_MAGNITUDE: u32 = 0x8fffffff;
// A half's exponent bits (all set: Inf or NaN).
const HALF_EXPONENT: u32 = 0x7c00;
const F32_EXPONENT: u32 = 0x7f800000;
// The top 16 bits of (s << 13) & SIGN_AND_MAGNITUDE, from h >> 3 (arithmetic): the sign, and
// the 12 bits below bit 12 (the shift leaves copies of the sign in bits 12-14).
const HIGH_PART: u32 = SIGN_AND_MAGNITUDE >>> 16;

const HALF_TABLE = memory.data<u32>([
  reinterpret<u32>(REBIAS), SIGN_AND_MAGNITUDE, HALF_EXPONENT, F32_EXPONENT, (HALF_EXPONENT << 16) | HALF_EXPONENT, 0x7fff7fff,
  (HIGH_PART << 16) | HIGH_PART,
]);

/**
 * Constant k (0-3) of the widening in every lane, for widen4's k0..k3 (4: HALF_EXPONENT, 5: 0x7fff,
 * 6: HIGH_PART, in 16-bit lanes).
 */
// @ts-ignore: decorator
@inline
export function halfConstant(k: i32): v128 {
  return v128.load32_splat(HALF_TABLE + (<usize>k << 2));
}

/** The f32s of four halves sign-extended into s's 32-bit lanes; k0..k3 = halfConstant(0..3). */
// @ts-ignore: decorator
@inline
export function widen4(s: v128, k0: v128, k1: v128, k2: v128, k3: v128): v128 {
  const r = f32x4.mul(v128.and(i32x4.shl(s, 13), k1), k0);
  return v128.or(r, v128.and(i32x4.eq(v128.and(s, k2), k2), k3));
}

/** f32s of the 4 halves at p (constants loaded at each call: for code outside hot loops). */
// @ts-ignore: decorator
@inline
export function loadHalfAsF32x4(p: usize): v128 {
  return widen4(v128.load16x4_s(p), halfConstant(0), halfConstant(1), halfConstant(2), halfConstant(3));
}

/** The f32 of the half with bit pattern `bits` (low 16 bits): exact; widen4's scalar twin. */
// @ts-ignore: decorator
@inline
export function halfToF32(bits: u32): f32 {
  const s = <u32><i32><i16>bits;
  const r = reinterpret<u32>(reinterpret<f32>((s << 13) & SIGN_AND_MAGNITUDE) * REBIAS);
  return reinterpret<f32>(r | select<u32>(F32_EXPONENT, 0, (s & HALF_EXPONENT) == HALF_EXPONENT));
}

// Narrowing, in f32 bit patterns a = |x|:
// a >= 0x47800000 (2^16): Inf or NaN out; a < 0x38800000 (2^-14): subnormal or zero out.
const HALF_OVERFLOW: u32 = 0x47800000;
const HALF_NORMAL_FLOOR: u32 = 0x38800000;
// Adding 0.5 (bits 0x3f000000) to a value below 2^-14 rounds it to a multiple of 2^-24 (ties
// to even, by the FPU) and leaves that multiple in the low mantissa bits.
const SUBNORMAL_MAGIC: u32 = 0x3f000000;
// Rebias the exponent (-112 << 23) and add just under half a half-ulp (0xfff); the mantissa's
// odd bit added on top makes the tie round to even. The carry may roll into the exponent
// (rounding up to the next binade, or to Infinity at 65520).
const NARROW_BIAS: u32 = 0xc8000fff;
const HALF_INF: u32 = 0x7c00;
const HALF_QUIET: u32 = 0x0200;

/** The bits of x rounded to the nearest half, ties to even (as Float16Array stores). */
// @ts-ignore: decorator
@inline
export function f32ToHalf(x: f32): u32 {
  const u = reinterpret<u32>(x);
  const a = u & 0x7fffffff;
  const normal = (a + NARROW_BIAS + ((a >> 13) & 1)) >> 13;
  const subnormal = reinterpret<u32>(reinterpret<f32>(a) + reinterpret<f32>(SUBNORMAL_MAGIC)) - SUBNORMAL_MAGIC;
  const special = a > F32_EXPONENT ? HALF_INF | HALF_QUIET | ((a >> 13) & 0x3ff) : HALF_INF;
  const h = a >= HALF_OVERFLOW ? special : a < HALF_NORMAL_FLOOR ? subnormal : normal;
  return h | ((u >> 16) & 0x8000);
}

// The extremum of halves without widening them: ordered as 16-bit integers once a negative
// half's magnitude bits are flipped (key = h ^ ((h >> 15) & 0x7fff), its own inverse), 8 per
// vector; NaN (magnitude above 0x7c00) tracked on the side.

/** The order key of the half with bits h (sign-extended), or the bits of a key. */
// @ts-ignore: decorator
@inline
function halfKey(h: i32): i32 {
  return h ^ ((h >> 15) & 0x7fff);
}

/**
 * Whether the halves halfExtremum last read were all finite (no exponent of 31: no Inf, no
 * NaN): the passes after it may then widen them without the Inf/NaN step (widenFinite4).
 */
export let halvesFinite = false;

/**
 * The largest of the n halves at x (the smallest when `lowest`) as an f32, exactly: NaN if any
 * is NaN, -Infinity (+Infinity) when n = 0. Of +0 and -0, max takes +0 and min -0. Sets
 * halvesFinite.
 */
export function halfExtremum(x: usize, n: i32, lowest: bool): f32 {
  let best = halfKey(lowest ? 0x7c00 : <i32><i16>0xfc00);
  // The largest magnitude bits met: above 0x7c00 a NaN, 0x7c00 an infinity.
  let top = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const mag = halfConstant(5);
    let a0 = i16x8.splat(<i16>best);
    let a1 = a0;
    let t = i16x8.splat(0);
    for (; i + 16 <= n; i += 16) {
      const p = x + (<usize>i << 1);
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const k0 = v128.xor(v0, v128.and(i16x8.shr_s(v0, 15), mag));
      const k1 = v128.xor(v1, v128.and(i16x8.shr_s(v1, 15), mag));
      a0 = lowest ? i16x8.min_s(a0, k0) : i16x8.max_s(a0, k0);
      a1 = lowest ? i16x8.min_s(a1, k1) : i16x8.max_s(a1, k1);
      t = i16x8.max_s(t, i16x8.max_s(v128.and(v0, mag), v128.and(v1, mag)));
    }
    for (; i + 8 <= n; i += 8) {
      const v = v128.load(x + (<usize>i << 1));
      const k = v128.xor(v, v128.and(i16x8.shr_s(v, 15), mag));
      a0 = lowest ? i16x8.min_s(a0, k) : i16x8.max_s(a0, k);
      t = i16x8.max_s(t, v128.and(v, mag));
    }
    t = i16x8.max_s(t, i8x16.shuffle(t, t, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
    t = i16x8.max_s(t, i8x16.shuffle(t, t, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3));
    t = i16x8.max_s(t, i8x16.shuffle(t, t, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1));
    top = i16x8.extract_lane_s(t, 0);
    let a = lowest ? i16x8.min_s(a0, a1) : i16x8.max_s(a0, a1);
    let b = i8x16.shuffle(a, a, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    a = lowest ? i16x8.min_s(a, b) : i16x8.max_s(a, b);
    b = i8x16.shuffle(a, a, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3);
    a = lowest ? i16x8.min_s(a, b) : i16x8.max_s(a, b);
    b = i8x16.shuffle(a, a, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1);
    a = lowest ? i16x8.min_s(a, b) : i16x8.max_s(a, b);
    best = i16x8.extract_lane_s(a, 0);
  }
  for (; i < n; i++) {
    const h = <i32>load<i16>(x + (<usize>i << 1));
    top = max(top, h & 0x7fff);
    const k = halfKey(h);
    best = lowest ? min(best, k) : max(best, k);
  }
  halvesFinite = top < <i32>HALF_EXPONENT;
  if (top > <i32>HALF_EXPONENT) return NaN;
  return halfToF32(<u32>halfKey(best));
}

// Halves compared as values without widening them: their order key (sign-magnitude to two's
// complement, m or -m for magnitude bits m) orders as the values do and is equal exactly where
// the values are (+0 and -0 both 0); NaN keys lie beyond +-0x7c00 (the infinities), so code
// comparing keys checks NaN apart or rechecks its hits on the values.

/** The value order key of the half with bits h (sign-extended or not). */
// @ts-ignore: decorator
@inline
export function halfOrder(h: i32): i32 {
  const m = h & 0x7fff;
  return (h & 0x8000) != 0 ? -m : m;
}

/** halfOrder of 8 halves in 16-bit lanes; mag = halfConstant(5). */
// @ts-ignore: decorator
@inline
export function halfOrder8(v: v128, mag: v128): v128 {
  const s = i16x8.shr_s(v, 15);
  return i16x8.sub(v128.xor(v, v128.and(s, mag)), s);
}

/**
 * The order key of the least half >= t: a half h is >= t exactly when halfOrder(h) >= it (h not
 * NaN). NaN gives 0x7c01, above every key but those of NaN halves, which compare false anyway.
 */
export function halfOrderAtLeast(t: f32): i32 {
  if (t != t) return 0x7c01;
  const h = f32ToHalf(t);
  return halfOrder(<i32>h) + i32(halfToF32(h) < t);
}

// Folded widening, for loops that compute (x - c)*beta from finite halves x: o = widenFolded4's
// x*2^-112 (widenFinite4 without its multiply: x's bits moved into f32's places) gives
// (o - o_c)*(beta*2^112) = (x - c)*beta bit for bit, with o_c = foldedHalf(c): the difference
// of two halves rounds alike at both scales (at or above 2^-14 the scaled one is a normal f32;
// below, it is a multiple of 2^-24 with at most 10 bits, exact in both), and the product is
// the same real number rounded once. The multiply moves into beta (a loop saves an operation
// and a register) while |beta| < FOLD_LIMIT keeps beta*2^112 finite. o orders as x does, the
// patterns of Inf (and 0x7c01) above every finite half: foldedAtLeast gives thresholds.

/** |beta| below which beta*2^112 is a finite f32 (2^16). */
export const FOLD_LIMIT: f32 = 65536;
/** 2^112: beta*FOLD_SCALE is the folded loops' beta. */
export const FOLD_SCALE: f32 = REBIAS;

/** Whether a loop scaling by beta may read finite halves folded (beta*2^112 an f32). */
// @ts-ignore: decorator
@inline
export function foldsBeta(beta: f32): bool {
  return abs(beta) < FOLD_LIMIT;
}

/** x*2^-112 (exactly) of 4 finite halves s (v128.load16x4_s's); k1 = halfConstant(1). */
// @ts-ignore: decorator
@inline
export function widenFolded4(s: v128, k1: v128): v128 {
  return v128.and(i32x4.shl(s, 13), k1);
}

/** The folded value (x*2^-112) of the half with bits h (sign-extended or not); widenFolded4's twin. */
// @ts-ignore: decorator
@inline
function foldedBits(h: i32): f32 {
  return reinterpret<f32>((<u32><i32><i16>h << 13) & SIGN_AND_MAGNITUDE);
}

/** The folded value of x, a half's value (c, the row's max). */
export function foldedHalf(x: f32): f32 {
  return foldedBits(<i32>f32ToHalf(x));
}

/**
 * The folded value of the least half >= t, so that o >= foldedAtLeast(t) exactly where the
 * finite half x >= t: above every finite half's where none is (t NaN or above 65504).
 */
export function foldedAtLeast(t: f32): f32 {
  const key = halfOrderAtLeast(t);
  return foldedBits(key < 0 ? 0x8000 | -key : key);
}

/** widen4 without the Inf/NaN step: exact for finite halves (k0, k1 as widen4's). */
// @ts-ignore: decorator
@inline
export function widenFinite4(s: v128, k0: v128, k1: v128): v128 {
  return f32x4.mul(v128.and(i32x4.shl(s, 13), k1), k0);
}

// widenFinite4 on 8 halves in 16-bit lanes, without sign-extending them into 32-bit lanes first:
// the 32-bit pattern (s << 13) & SIGN_AND_MAGNITUDE is made of two 16-bit halves, h << 13 (low)
// and (h >> 3) & HIGH_PART (high), computed for the 8 halves at once (3 operations) and
// interleaved (one unpack per 4), then multiplied by 2^112 as widenFinite4 does: 7 operations
// per 8 halves where the extensions and widenFinite4 take 9 (V8 extends the high 4 in two:
// unpack, shift). The two calls on one v share its shift and mask (V8 computes them once).

/** The f32s of the first 4 of the 8 finite halves v (k0 = halfConstant(0), m = halfConstant(6)). */
// @ts-ignore: decorator
@inline
export function widenFiniteLow8(v: v128, k0: v128, m: v128): v128 {
  const lo = i16x8.shl(v, 13);
  const hi = v128.and(i16x8.shr_s(v, 3), m);
  return f32x4.mul(i8x16.shuffle(lo, hi, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23), k0);
}

/** The f32s of the last 4 of the 8 finite halves v (as widenFiniteLow8). */
// @ts-ignore: decorator
@inline
export function widenFiniteHigh8(v: v128, k0: v128, m: v128): v128 {
  const lo = i16x8.shl(v, 13);
  const hi = v128.and(i16x8.shr_s(v, 3), m);
  return f32x4.mul(i8x16.shuffle(lo, hi, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), k0);
}

/**
 * top raised, lane by lane, to the exponent bits of the 8 halves v (e = halfConstant(4)): after a
 * pass, holdsSpecial(top, e) tells whether any was 31 (Inf or NaN), where widenFinite4 was not
 * exact. 2 operations per 8 halves.
 */
// @ts-ignore: decorator
@inline
export function raiseHalfTop(top: v128, v: v128, e: v128): v128 {
  return i16x8.max_u(top, v128.and(v, e));
}

/** Whether raiseHalfTop's top met an Inf or NaN half (e = halfConstant(4)). */
// @ts-ignore: decorator
@inline
export function holdsSpecial(top: v128, e: v128): bool {
  return v128.any_true(i16x8.eq(top, e));
}

/**
 * The n halves at src widened as finite (widenFinite4) into the f32s at dst, top raised to
 * their exponent bits (raiseHalfTop): a loop that only widens (a loop that also multiplies
 * the widened values by others ran 2-3x slower on AMD Zen 5 with subnormal halves: docs/loss.md,
 * "Subnormal halves"). n a multiple of 8.
 */
// @ts-ignore: decorator
@inline
export function widenFiniteRun(src: usize, dst: usize, n: i32, top: v128, k0: v128, k1: v128, e16: v128): v128 {
  for (let i = 0; i < n; i += 8) {
    const h = v128.load(src + (<usize>i << 1));
    const q = dst + (<usize>i << 2);
    top = raiseHalfTop(top, h, e16);
    v128.store(q, widenFinite4(i32x4.extend_low_i16x8_s(h), k0, k1));
    v128.store(q, widenFinite4(i32x4.extend_high_i16x8_s(h), k0, k1), 16);
  }
  return top;
}

/**
 * Halves [start, end) at src widened into the f32s at dst (halfToF32): widenFiniteRun's
 * scalar twin, false at the first half with exponent 31 (Inf, NaN).
 */
// @ts-ignore: decorator
@inline
export function widenFiniteScalar(src: usize, dst: usize, start: i32, end: i32): bool {
  for (let j = start; j < end; j++) {
    const h = <u32>load<u16>(src + (<usize>j << 1));
    if ((h & 0x7c00) == 0x7c00) return false;
    store<f32>(dst + (<usize>j << 2), halfToF32(h));
  }
  return true;
}

/**
 * The 16-bit lanes of the 8 halves v that are not above 0 (+-0, negative, NaN) as all ones, the
 * others (positive, +Infinity included) 0, without widening them: a half is > 0 exactly when its
 * bits h, as a signed 16-bit integer, lie in [1, 0x7c00], and h + 0x7fff (wrapping) moves that
 * range to the bottom of the signed range, [-0x8000, -1025], and every other half above it.
 * bias = halfConstant(5) (0x7fff), edge = positiveEdge() (0x7c00 + 0x7fff wrapped: 0xfbff, -1025).
 * Scalar twin: !halfPositive(h).
 */
// @ts-ignore: decorator
@inline
export function halfNotPositive8(v: v128, bias: v128, edge: v128): v128 {
  return i16x8.gt_s(i16x8.add(v, bias), edge);
}

/** halfNotPositive8's edge in every 16-bit lane: HALF_EXPONENT + 0x7fff (built, not a table entry of every module). */
// @ts-ignore: decorator
@inline
export function positiveEdge(): v128 {
  return i16x8.add(halfConstant(4), halfConstant(5));
}

/** Whether the half with bits h (low 16 bits) is above 0, as halfToF32(h) > 0: halfNotPositive8's twin. */
// @ts-ignore: decorator
@inline
export function halfPositive(h: u32): bool {
  return (h & 0xffff) - 1 < HALF_EXPONENT;
}

/** dst[i] = the f32 of half src[i], i < n (src: halves, dst: f32s; dst may not overlap src). */
export function widenHalves(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const k0 = halfConstant(0);
    const k1 = halfConstant(1);
    const k2 = halfConstant(2);
    const k3 = halfConstant(3);
    const e16 = halfConstant(4);
    const m = halfConstant(6);
    let top = i16x8.splat(0);
    // 16 halves a step (JavaScriptCore, Bun's engine, does not unroll the loop itself); the
    // last 15 or fewer go to the scalar loop below.
    for (; i + 16 <= n; i += 16) {
      const p = src + (<usize>i << 1);
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const q = dst + (<usize>i << 2);
      top = raiseHalfTop(raiseHalfTop(top, v0, e16), v1, e16);
      v128.store(q, widenFiniteLow8(v0, k0, m));
      v128.store(q, widenFiniteHigh8(v0, k0, m), 16);
      v128.store(q, widenFiniteLow8(v1, k0, m), 32);
      v128.store(q, widenFiniteHigh8(v1, k0, m), 48);
    }
    if (holdsSpecial(top, e16)) {
      for (let j = 0; j < i; j += 8) {
        const p = src + (<usize>j << 1);
        const q = dst + (<usize>j << 2);
        v128.store(q, widen4(v128.load16x4_s(p), k0, k1, k2, k3));
        v128.store(q, widen4(v128.load16x4_s(p, 8), k0, k1, k2, k3), 16);
      }
    }
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), halfToF32(<u32>load<u16>(src + (<usize>i << 1))));
}

/** The halves (rounded to nearest even) of the 4 f32 in v, in the low 16 bits of each lane; f32ToHalf's twin. */
// @ts-ignore: decorator
@inline
function narrow4(v: v128, sign: v128, exponent: v128, overflow: v128, floor: v128, magic: v128, bias: v128, one: v128, mantissa: v128, inf: v128, quiet: v128): v128 {
  const a = v128.andnot(v, sign);
  const normal = i32x4.shr_u(i32x4.add(i32x4.add(a, bias), v128.and(i32x4.shr_u(a, 13), one)), 13);
  const subnormal = i32x4.sub(f32x4.add(a, magic), magic);
  const nan = v128.or(v128.or(inf, quiet), v128.and(i32x4.shr_u(a, 13), mantissa));
  const special = v128.bitselect(nan, inf, i32x4.gt_u(a, exponent));
  const finite = v128.bitselect(subnormal, normal, i32x4.lt_u(a, floor));
  const h = v128.bitselect(special, finite, i32x4.ge_u(a, overflow));
  return v128.or(h, i32x4.shr_u(v128.and(v, sign), 16));
}

const NARROW_TABLE = memory.data<u32>([
  0x80000000, F32_EXPONENT, HALF_OVERFLOW, HALF_NORMAL_FLOOR, SUBNORMAL_MAGIC, NARROW_BIAS, 1, 0x3ff, HALF_INF, HALF_QUIET,
]);

/** dst[i] = src[i] rounded to the nearest half, ties to even, i < n (src: f32s, dst: halves; dst may be src). */
export function narrowHalves(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const c = NARROW_TABLE;
    const sign = v128.load32_splat(c);
    const exponent = v128.load32_splat(c + 4);
    const overflow = v128.load32_splat(c + 8);
    const floor = v128.load32_splat(c + 12);
    const magic = v128.load32_splat(c + 16);
    const bias = v128.load32_splat(c + 20);
    const one = v128.load32_splat(c + 24);
    const mantissa = v128.load32_splat(c + 28);
    const inf = v128.load32_splat(c + 32);
    const quiet = v128.load32_splat(c + 36);
    for (; i + 8 <= n; i += 8) {
      const p = src + (<usize>i << 2);
      const lo = narrow4(v128.load(p), sign, exponent, overflow, floor, magic, bias, one, mantissa, inf, quiet);
      const hi = narrow4(v128.load(p, 16), sign, exponent, overflow, floor, magic, bias, one, mantissa, inf, quiet);
      v128.store(dst + (<usize>i << 1), i16x8.narrow_i32x4_u(lo, hi));
    }
  }
  for (; i < n; i++) store<u16>(dst + (<usize>i << 1), <u16>f32ToHalf(load<f32>(src + (<usize>i << 2))));
}
