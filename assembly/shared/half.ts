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
// 8 operations per 4 halves (widen4; widenFinite4 without the last three, for finite halves);
// the multiply sees no NaN, so no payload is quieted. But an Intel core takes a microcode assist
// of about 100 cycles for each float operation on a subnormal (see EXACT_MAGNITUDE), so the
// passes that only widen (widenHalves, widenFiniteRun, reduce.ts's widenExtremum, the loss's
// first passes) do no float arithmetic: the quick widening (quickTop8) rebiases the exponent by
// an integer add in 16-bit lanes where it is not 0, 8 halves at once, exact for normal halves
// and zeros, keeping on the side the largest exponent (raiseHalfTop: 31 is Inf or NaN) and the
// subnormals (raiseHalfSub); a block that held either is widened again by widenExact4, exact for
// every pattern with no float arithmetic on a subnormal. The loops that widen as they compute
// (attention, sampling, sparse's forward passes) still take widen4, widenFinite4 or the folded
// widening.
// Narrowing (f32ToHalf, narrowHalves) rounds to nearest, ties to even, as Float16Array stores:
// overflow past 65520 gives ±Infinity, results below the smallest normal half become
// subnormal halves or ±0, NaN stays NaN (quiet, the top 9 payload bits kept).
//
// API, each SIMD step with a scalar twin computing the same bits:
//   halfToF32(bits): f32, f32ToHalf(x): u32            one value;
//   halfExtremum(x, n, lowest)                          the max (min) of halves, as an f32,
//                                                       and halvesFinite: none was Inf or NaN,
//                                                       halvesSubnormal: many were subnormal;
//   minLaneS, maxLaneS, maxLaneU, extremumBits          the max or min of halves as 16-bit integers;
//   raiseNegated(high, v), metSmall(high, lo),          whether a pass met a subnormal half (2
//     manySubnormalHalves(x, n)                         operations per 8), then whether many were;
//   widenHalves(src, dst, n), narrowHalves(src, dst, n) arrays (src/dst byte addresses);
//   halfConstant(k), widen4(s, k0..k3)                  the SIMD widening inside a loop: the
//     constants loaded once into locals before it (exp.ts says why), s from
//     v128.load16x4_s(p) (4 halves at p); loadHalfAsF32x4(p) the same for code outside hot loops.
//   widenFinite4(s, k0, k1)                             widen4 for halves known finite (3 operations);
//   quickTop8(v, e, m, r), quickLow8(v, t), quickHigh8(v, t)  the quick widening of 8 halves v
//   quickTopAll8(v, e, m, r, e16)                      quickTop8 exact for Inf and NaN;
//                                                       loaded as one vector (e = v & halfConstant(4));
//   raiseHalfTop(top, v, e), holdsSpecial(top, e)       8 halves' largest exponent kept on the side,
//                                                       to tell whether widenFinite4 was exact;
//   raiseHalfSub(sub, v, e), holdsSubnormal(sub, m)     8 halves' subnormals kept on the side, to
//                                                       tell whether the quick widening was exact;
//   widenExact4(s, c0..c5), widenSpecialEights exact, no float arithmetic on a subnormal;
//   smallInt8, smallScale8, smallLow8, smallHigh8,      exact for finite halves, no float arithmetic on
//     widenSmallRun(src, dst, n, top)                   a subnormal, fewer operations: the redo of runs
//                                                       that held subnormal halves;
//   widenFiniteRun(src, dst, n, top, e, m, r)           a loop that only widens n halves as finite,
//     widenFiniteScalar(src, dst, start, end)           raising top (its scalar twin: false at Inf, NaN);
//   halfNotPositive8(v, bias, edge), halfPositive(h)    !(h > 0) on the bits, without widening
//                                                       (bias, edge: halfConstant(5), positiveEdge());
//   halfOrder, halfOrder8, halfOrderAtLeast             halves compared as values without widening.
//   widenFolded4(s, k1), foldedHalf(x), foldedAtLeast(t)  finite halves as x*2^-112 (widenFinite4 without
//                                                       its multiply) for loops that scale by beta next;
//   loneRow(p, r, k, halves, work)                      row r of a backward pass's operand as f32,
//                                                       where one of its two operands is halves.

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

// The quick widening (quickTop8): the rebias added to an f32 pattern's top 16 bits (112 << 7),
// and a half's mantissa bits.
const REBIAS_TOP: u32 = 0x3800;
const HALF_MANTISSA: u32 = 0x3ff;

// The small widening (smallInt8, smallScale8): a half's implicit bit (also the exponent bits of
// the least normal half), the top 16 bits of 2^-25 (102 << 7), and a half's sign.
export const HALF_IMPLICIT: u32 = 0x400;
const SCALE_TOP: u32 = 0x3300;
const HALF_SIGN: u32 = 0x8000;

const HALF_TABLE = memory.data<u32>([
  reinterpret<u32>(REBIAS), SIGN_AND_MAGNITUDE, HALF_EXPONENT, F32_EXPONENT, (HALF_EXPONENT << 16) | HALF_EXPONENT, 0x7fff7fff,
  (HIGH_PART << 16) | HIGH_PART, (REBIAS_TOP << 16) | REBIAS_TOP, (HALF_MANTISSA << 16) | HALF_MANTISSA,
  (HALF_IMPLICIT << 16) | HALF_IMPLICIT, (SCALE_TOP << 16) | SCALE_TOP, (HALF_SIGN << 16) | HALF_SIGN,
]);

/**
 * Constant k (0-3) of the widening in every lane, for widen4's k0..k3 (4: HALF_EXPONENT, 5: 0x7fff,
 * 6: HIGH_PART, 7: REBIAS_TOP, 8: HALF_MANTISSA, 9: HALF_IMPLICIT, 10: SCALE_TOP, 11: HALF_SIGN,
 * in 16-bit lanes).
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

// The exact widening without arithmetic on subnormal f32s (widenExact4, halfToF32), in f32
// patterns a = (s << 13) & EXACT_MAGNITUDE, the half's magnitude in f32's places:
//   a + EXACT_REBIAS             a normal half (exponent 112 higher: an integer add, exact);
//   again + EXACT_REBIAS         where a > EXACT_INF_EDGE (exponent 31: Inf, NaN, payload kept);
//   f32(a + MAGIC) - f32(MAGIC)  where a < EXACT_FLOOR (exponent 0: zero, subnormal): a + MAGIC is
//                                2^-14 (1 + m/1024), a normal f32, and the difference m*2^-24 is exact;
//   | the sign.
// Intel cores take a microcode assist of about 100 cycles for each float operation that has a
// subnormal operand (wasm cannot set the flush-to-zero mode): the multiply of widen4 and
// widenFinite4 meets one for every subnormal half, which made an f16 row of probabilities 13-25x
// slower than the f32 row (docs/core.md, "Subnormal halves").
const EXACT_MAGNITUDE: u32 = 0x0fffe000;
const EXACT_REBIAS: u32 = 0x38000000;
const EXACT_INF_EDGE: u32 = 0x0f7fffff;
const EXACT_FLOOR: u32 = 0x00800000;
const MAGIC: u32 = 0x38800000; // 2^-14
const F32_SIGN: u32 = 0x80000000;

// widenHalves' blocks (halves): what one subnormal, Inf or NaN half makes it widen again.
const EXACT_BLOCK: i32 = 512;

const EXACT_TABLE = memory.data<u32>([EXACT_MAGNITUDE, EXACT_REBIAS, EXACT_INF_EDGE, EXACT_FLOOR, MAGIC, F32_SIGN]);

/** Constant k (0-5) of widenExact4 in every 32-bit lane. */
// @ts-ignore: decorator
@inline
export function exactConstant(k: i32): v128 {
  return v128.load32_splat(EXACT_TABLE + (<usize>k << 2));
}

/**
 * The f32s of four halves sign-extended into s's 32-bit lanes, exact for all 65,536 patterns,
 * with no float arithmetic on a subnormal (c0..c5 = exactConstant(0..5)): 12 operations per 4,
 * for the passes that redo a block holding subnormal, Inf or NaN halves.
 */
// @ts-ignore: decorator
@inline
export function widenExact4(s: v128, c0: v128, c1: v128, c2: v128, c3: v128, c4: v128, c5: v128): v128 {
  const sh = i32x4.shl(s, 13);
  const a = v128.and(sh, c0);
  const n = i32x4.add(a, c1);
  const big = i32x4.add(n, v128.and(i32x4.gt_s(a, c2), c1));
  const tiny = f32x4.sub(i32x4.add(a, c4), c4);
  return v128.or(v128.bitselect(tiny, big, i32x4.lt_s(a, c3)), v128.and(sh, c5));
}

/** widenExact4 with its constants loaded at each call: for code outside hot loops (the last 4 of a row). */
// @ts-ignore: decorator
@inline
export function widenExactOnce(s: v128): v128 {
  return widenExact4(s, exactConstant(0), exactConstant(1), exactConstant(2), exactConstant(3), exactConstant(4), exactConstant(5));
}

/**
 * The 8s of halves at src (n a multiple of 8) that hold an Inf or NaN half widened again into
 * dst by widenExact4; the others are left as they are (their quick widening was exact, or their
 * small redo). A run of masked logits (-Infinity halves) is so widened twice only where the
 * masked halves are, not whole.
 */
export function widenSpecialEights(src: usize, dst: usize, n: i32): void {
  const e16 = halfConstant(4);
  const c0 = exactConstant(0);
  const c1 = exactConstant(1);
  const c2 = exactConstant(2);
  const c3 = exactConstant(3);
  const c4 = exactConstant(4);
  const c5 = exactConstant(5);
  for (let i = 0; i < n; i += 8) {
    const v = v128.load(src + (<usize>i << 1));
    if (!v128.any_true(i16x8.eq(v128.and(v, e16), e16))) continue;
    const q = dst + (<usize>i << 2);
    v128.store(q, widenExact4(i32x4.extend_low_i16x8_s(v), c0, c1, c2, c3, c4, c5));
    v128.store(q, widenExact4(i32x4.extend_high_i16x8_s(v), c0, c1, c2, c3, c4, c5), 16);
  }
}

// The small widening, exact for every finite half and with no float arithmetic on a subnormal,
// for the runs that hold subnormal halves (the quick widening's redo): a finite half is the
// integer M = its mantissa bits, with the implicit bit where its exponent bits e are not 0,
// times 2^(max(e, 1) - 25), both computed for 8 halves in 16-bit lanes; per 4 the integers are
// converted (exactly: below 2^11) and multiplied by the scales (normal f32s, the sign in them),
// the product exact and normal (at least 2^-24). 10 operations per 8 halves, then 4 per 4:
// 18 per 8 where widenExact4 takes 26. Inf and NaN halves give wrong finite values: the callers
// tell them by the exponents they raise (holdsSpecial).

/** The integers M of the 8 finite halves v (e = v & halfConstant(4); mant, implicit = halfConstant(8, 9)). */
// @ts-ignore: decorator
@inline
export function smallInt8(v: v128, e: v128, mant: v128, implicit: v128): v128 {
  return v128.or(v128.and(v, mant), v128.andnot(implicit, i16x8.eq(e, i16x8.splat(0))));
}

/** The top 16 bits of the scales of the 8 halves v, signed as they are (implicit, bias, sign = halfConstant(9, 10, 11)). */
// @ts-ignore: decorator
@inline
export function smallScale8(v: v128, e: v128, implicit: v128, bias: v128, sign: v128): v128 {
  return v128.or(i16x8.add(i16x8.shr_u(i16x8.max_u(e, implicit), 3), bias), v128.and(v, sign));
}

/** The f32s of the first 4 of 8 halves from their integers mi and scales sc (smallInt8, smallScale8). */
// @ts-ignore: decorator
@inline
export function smallLow8(mi: v128, sc: v128, zero: v128): v128 {
  const m = i8x16.shuffle(mi, zero, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
  return f32x4.mul(f32x4.convert_i32x4_s(m), i8x16.shuffle(zero, sc, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23));
}

/** The f32s of the last 4 of 8 halves (smallLow8's twin). */
// @ts-ignore: decorator
@inline
export function smallHigh8(mi: v128, sc: v128, zero: v128): v128 {
  const m = i8x16.shuffle(mi, zero, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
  return f32x4.mul(f32x4.convert_i32x4_s(m), i8x16.shuffle(zero, sc, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31));
}

/**
 * The n halves at src widened by the small widening into the f32s at dst (the last n % 8 by
 * halfToF32), top raised to the exponent bits of the whole 8s (raiseHalfTop): exact where the
 * halves are finite. Returns top.
 */
export function widenSmallRun(src: usize, dst: usize, n: i32, top: v128): v128 {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const e16 = halfConstant(4);
    const mant = halfConstant(8);
    const implicit = halfConstant(9);
    const bias = halfConstant(10);
    const sign = halfConstant(11);
    const zero = i16x8.splat(0);
    for (; i + 8 <= n; i += 8) {
      const v = v128.load(src + (<usize>i << 1));
      const q = dst + (<usize>i << 2);
      const e = v128.and(v, e16);
      top = i16x8.max_u(top, e);
      const mi = smallInt8(v, e, mant, implicit);
      const sc = smallScale8(v, e, implicit, bias, sign);
      v128.store(q, smallLow8(mi, sc, zero));
      v128.store(q, smallHigh8(mi, sc, zero), 16);
    }
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), halfToF32(<u32>load<u16>(src + (<usize>i << 1))));
  return top;
}

/** The f32 of the half with bit pattern `bits` (low 16 bits): exact, widenExact4's scalar twin. */
// @ts-ignore: decorator
@inline
export function halfToF32(bits: u32): f32 {
  const s = <u32><i32><i16>bits;
  const a = (s << 13) & EXACT_MAGNITUDE;
  const n = a + EXACT_REBIAS;
  const big = n + select<u32>(EXACT_REBIAS, 0, a > EXACT_INF_EDGE);
  const tiny = reinterpret<u32>(reinterpret<f32>(a + MAGIC) - reinterpret<f32>(MAGIC));
  return reinterpret<f32>(select<u32>(tiny, big, a < EXACT_FLOOR) | (s & F32_SIGN));
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
 * Whether the only halves of exponent 31 halfExtremum last read were -Infinity (masked
 * entries): at least one, and no NaN, no +Infinity. The sampling family's weight passes may
 * then read the row folded (see foldedMasked).
 */
export let halvesMasked = false;

/**
 * Whether more than half of the halves halfExtremum last read were subnormal (exponent bits 0, a
 * mantissa bit set). The loops that widen as they compute (widen4's multiply, the folded
 * widening) meet each as a subnormal f32, and where the row's values are all that small, their
 * differences and products are subnormal too: an Intel core takes a microcode assist of about
 * 100 cycles for such operations, and a row of them ran 10-15x the f32 row. Where this is set,
 * the caller widens the row once (widenHalves, no float arithmetic on them) and reads the f32s.
 * A row of ordinary logits with a share of subnormal halves among them (up to 30%, measured)
 * met few assists: the widening, which costs about a pass, would make it slower.
 */
export let halvesSubnormal = false;

// Rows of subnormal halves, for the loops that widen as they compute: a pass that reads the
// halves anyway as 16-bit integers keeps the largest of -h as unsigned (raiseNegated: a positive
// half of bits m gives 0x10000 - m, above 0xfc00 where it is subnormal; +0 gives 0, negative
// halves at most 0x8000) and the least h as signed (the negative half of least magnitude, where
// there is one; see extremumBits): 2 operations per 8 halves more, and no constant. Only where
// either shows a subnormal half (or -0: the least signed does not tell it from a negative
// subnormal) does manySubnormalHalves count them, in a pass of its own that stops as soon as
// the count is settled: a realistic row of logits holds a few, and is settled at its first block.

/** high raised, lane by lane, to -h (as unsigned) of the 8 halves v. */
// @ts-ignore: decorator
@inline
export function raiseNegated(high: v128, v: v128): v128 {
  return i16x8.max_u(high, i16x8.neg(v));
}

/**
 * Whether a pass met a subnormal half (or -0): high from raiseNegated (from 0), lo the least of
 * the halves as signed integers, lane by lane (from i16x8.splat(0x7fff)).
 */
// @ts-ignore: decorator
@inline
export function metSmall(high: v128, lo: v128): bool {
  const positive = i16x8.gt_u(high, i16x8.splat(<i16>0xfc00));
  return v128.any_true(v128.or(positive, i16x8.le_u(i16x8.sub(lo, i16x8.splat(-0x8000)), i16x8.splat(<i16>HALF_MANTISSA))));
}

/** Whether the half of magnitude bits m (h & 0x7fff) is subnormal. */
// @ts-ignore: decorator
@inline
export function subnormalMagnitude(m: i32): bool {
  return <u32>(m - 1) < HALF_MANTISSA;
}

/**
 * All ones in the 16-bit lanes of the 8 magnitudes m (h & 0x7fff) that are subnormal (1 to
 * HALF_MANTISSA), 0 in the others: m - 1 at most HALF_MANTISSA - 1 as unsigned, by min and eq
 * (native on x64, where V8 emulates the unsigned compares). one = i16x8.splat(1), edge =
 * i16x8.splat(HALF_MANTISSA - 1).
 */
// @ts-ignore: decorator
@inline
export function subnormal8(m: v128, one: v128, edge: v128): v128 {
  const w = i16x8.sub(m, one);
  return i16x8.eq(i16x8.min_u(w, edge), w);
}

/** Halves manySubnormalHalves counts between looks at whether the count is settled. */
const COUNT_BLOCK: i32 = 2048;

/** Whether more than half of the n halves at x are subnormal (see halvesSubnormal). */
// @ts-ignore: decorator
@inline
export function manySubnormalHalves(x: usize, n: i32): bool {
  return subnormalHalvesOver(x, n, n >> 1);
}

/** Whether more than `limit` of the n halves at x are subnormal; it stops where the count settles it. */
export function subnormalHalvesOver(x: usize, n: i32, limit: i32): bool {
  let count = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const mag = halfConstant(5);
    const one = i16x8.splat(1);
    const edge = i16x8.splat(<i16>(HALF_MANTISSA - 1));
    while (i + 8 <= n) {
      // Counted in 16-bit lanes (minus each compare's -1, at most COUNT_BLOCK / 8 a lane).
      const end = i + min((n - i) & ~7, COUNT_BLOCK);
      let c = i16x8.splat(0);
      for (; i < end; i += 8) c = i16x8.sub(c, subnormal8(v128.and(v128.load(x + (<usize>i << 1)), mag), one, edge));
      const counts = i32x4.extadd_pairwise_i16x8_u(c);
      count += i32x4.extract_lane(counts, 0) + i32x4.extract_lane(counts, 1) + i32x4.extract_lane(counts, 2) + i32x4.extract_lane(counts, 3);
      if (count > limit || i - count >= n - limit) return count > limit;
    }
  }
  for (; i < n; i++) count += i32(subnormalMagnitude(<i32>load<u16>(x + (<usize>i << 1)) & 0x7fff));
  return count > limit;
}

// Halves ordered as 16-bit integers, without widening them: the non-negative halves order as
// their values as signed integers, the negative ones (0x8000 | m) as their magnitudes m as unsigned
// ones. Of the least and largest signed (lo, hi) and the largest unsigned (hu) of a set of halves,
// the max is hi, or lo where no half is non-negative, and the min is hu, or lo where none is
// negative: three operations per 8 halves, where a key per half before a max or min costs four.
// Of +0 and -0 the max takes +0 and the min -0. hi and hu also show the Inf and NaN halves (at or
// above 0x7c00, 0xfc00).

// acrossLanes' kinds.
const MIN_S = 0;
const MAX_S = 1;
const MAX_U = 2;

/** Lane by lane, the least (signed), largest (signed) or largest (unsigned) of a and b, by `kind`. */
// @ts-ignore: decorator
@inline
function pick16(a: v128, b: v128, kind: i32): v128 {
  return kind == MIN_S ? i16x8.min_s(a, b) : kind == MAX_S ? i16x8.max_s(a, b) : i16x8.max_u(a, b);
}

/** pick16 of the 8 16-bit lanes of v, in lane 0. */
// @ts-ignore: decorator
@inline
function acrossLanes(v: v128, kind: i32): v128 {
  v = pick16(v, i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7), kind);
  v = pick16(v, i8x16.shuffle(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3), kind);
  return pick16(v, i8x16.shuffle(v, v, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1), kind);
}

/** The least of the 8 signed 16-bit lanes of v. */
// @ts-ignore: decorator
@inline
export function minLaneS(v: v128): i32 {
  return i16x8.extract_lane_s(acrossLanes(v, MIN_S), 0);
}

/** The largest of the 8 signed 16-bit lanes of v. */
// @ts-ignore: decorator
@inline
export function maxLaneS(v: v128): i32 {
  return i16x8.extract_lane_s(acrossLanes(v, MAX_S), 0);
}

/** The largest of the 8 unsigned 16-bit lanes of v. */
// @ts-ignore: decorator
@inline
export function maxLaneU(v: v128): i32 {
  return i16x8.extract_lane_u(acrossLanes(v, MAX_U), 0);
}

/** The bits of the max (the min when `lowest`) of halves whose least and largest as signed integers are lo, hi and largest unsigned hu. */
// @ts-ignore: decorator
@inline
export function extremumBits(lo: i32, hi: i32, hu: i32, lowest: bool): i32 {
  return lowest ? (hu >= 0x8000 ? hu : lo) : hi >= 0 ? hi : lo;
}

/**
 * The largest of the n halves at x (the smallest when `lowest`) as an f32, exactly: NaN if any
 * is NaN, -Infinity (+Infinity) when n = 0. Of +0 and -0, max takes +0 and min -0. Sets
 * halvesFinite and halvesSubnormal.
 */
export function halfExtremum(x: usize, n: i32, lowest: bool): f32 {
  let best = halfKey(lowest ? 0x7c00 : <i32><i16>0xfc00);
  // The largest magnitude bits met: above 0x7c00 a NaN, 0x7c00 an infinity.
  let top = 0;
  // The largest bits met as signed (0x7c00: +Infinity, above it a positive NaN).
  let most = -0x8000;
  // Whether a subnormal half (or -0) was met (see raiseNegated).
  let small = false;
  let i = 0;
  if (ASC_FEATURE_SIMD && n >= 8) {
    let lo = i16x8.splat(0x7fff);
    let hi = i16x8.splat(-0x8000);
    let hu = i16x8.splat(0);
    let neg = i16x8.splat(0);
    for (; i + 16 <= n; i += 16) {
      const p = x + (<usize>i << 1);
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      lo = i16x8.min_s(lo, i16x8.min_s(v0, v1));
      hi = i16x8.max_s(hi, i16x8.max_s(v0, v1));
      hu = i16x8.max_u(hu, i16x8.max_u(v0, v1));
      neg = raiseNegated(raiseNegated(neg, v0), v1);
    }
    if (i + 8 <= n) {
      const v = v128.load(x + (<usize>i << 1));
      lo = i16x8.min_s(lo, v);
      hi = i16x8.max_s(hi, v);
      hu = i16x8.max_u(hu, v);
      neg = raiseNegated(neg, v);
      i += 8;
    }
    const h = maxLaneS(hi);
    const u = maxLaneU(hu);
    most = h;
    top = max(max(h, 0), u >= 0x8000 ? u & 0x7fff : 0);
    best = halfKey(<i32><i16>extremumBits(minLaneS(lo), h, u, lowest));
    small = metSmall(neg, lo);
  }
  for (; i < n; i++) {
    const h = <i32>load<i16>(x + (<usize>i << 1));
    const m = h & 0x7fff;
    top = max(top, m);
    most = max(most, h);
    small = small || subnormalMagnitude(m);
    const k = halfKey(h);
    best = lowest ? min(best, k) : max(best, k);
  }
  halvesFinite = top < <i32>HALF_EXPONENT;
  halvesMasked = top == <i32>HALF_EXPONENT && most < <i32>HALF_EXPONENT;
  halvesSubnormal = small && manySubnormalHalves(x, n);
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

/**
 * The folded value of a -Infinity half (-2^-96: its exponent bits read as a finite exponent's),
 * where the folded widening meets one: below every finite half's (-65504*2^-112).
 */
export function foldedMasked(): f32 {
  return foldedBits(0xfc00);
}

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

// The quick widening of 8 halves v in 16-bit lanes, for the passes that only widen: the f32
// pattern of a half is made of two 16-bit halves, h << 13 (low) and the top, (h >> 3) & HIGH_PART
// (the sign and the 12 bits below bit 12: the shift leaves copies of the sign in bits 12-14)
// plus REBIAS_TOP where the half's exponent bits e are not 0, computed for the 8 halves at once
// and interleaved (one unpack per 4). No float arithmetic: exact for normal halves and zeros. A
// subnormal half (e = 0, mantissa not 0) gets the pattern of a wrong (subnormal) f32, and Inf and
// NaN a finite one of exponent 143 (in the halves' order: ±Inf as ±2^16, beyond every finite
// half): raiseHalfSub and raiseHalfTop record them, and the pass redoes its block with
// widenSmallRun, or the 8s that held an Inf or NaN with widenSpecialEights. quickTopAll8 is
// exact for Inf and NaN too (REBIAS_TOP added twice where e is 31: the exponent 255, the
// mantissa kept), for 3 more operations per 8 halves, which cost ordinary rows 10-13% in
// V8 (softmax f16 1.18x -> 1.34x the f32 row): the passes take it for the blocks after one that
// held an Inf or NaN (a row of masked logits is so widened once). (The multiply by 2^112 that
// widenFinite4 ends with would be exact for subnormal halves too, but slow on Intel cores: see
// EXACT_MAGNITUDE.)

/** The top 16 bits of the f32 patterns of the 8 halves v (e = v & halfConstant(4), m = halfConstant(6), r = halfConstant(7)). */
// @ts-ignore: decorator
@inline
export function quickTop8(v: v128, e: v128, m: v128, r: v128): v128 {
  return i16x8.add(v128.and(i16x8.shr_s(v, 3), m), v128.andnot(r, i16x8.eq(e, i16x8.splat(0))));
}

/** quickTop8 exact for Inf and NaN halves as well (e16 = halfConstant(4)). */
// @ts-ignore: decorator
@inline
export function quickTopAll8(v: v128, e: v128, m: v128, r: v128, e16: v128): v128 {
  return i16x8.add(quickTop8(v, e, m, r), v128.and(r, i16x8.eq(e, e16)));
}

/** The f32 patterns of the first 4 of the 8 halves v (t = quickTop8 of v). */
// @ts-ignore: decorator
@inline
export function quickLow8(v: v128, t: v128): v128 {
  return i8x16.shuffle(i16x8.shl(v, 13), t, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
}

/** The f32 patterns of the last 4 of the 8 halves v (t = quickTop8 of v). */
// @ts-ignore: decorator
@inline
export function quickHigh8(v: v128, t: v128): v128 {
  return i8x16.shuffle(i16x8.shl(v, 13), t, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
}

/**
 * sub or-ed with the halves of v whose exponent bits e (v & halfConstant(4)) are 0: after a pass,
 * holdsSubnormal(sub, halfConstant(8)) tells whether any was subnormal (a mantissa bit set),
 * where the quick widening was not exact. 2 operations per 8 halves (the compare quickTop8's).
 */
// @ts-ignore: decorator
@inline
export function raiseHalfSub(sub: v128, v: v128, e: v128): v128 {
  return v128.or(sub, v128.and(v, i16x8.eq(e, i16x8.splat(0))));
}

/** Whether raiseHalfSub's sub met a subnormal half (mantissa = halfConstant(8)). */
// @ts-ignore: decorator
@inline
export function holdsSubnormal(sub: v128, mantissa: v128): bool {
  return v128.any_true(v128.and(sub, mantissa));
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
 * Whether a sample of the n halves at p (n a positive multiple of 8: its first 32, or n if fewer)
 * holds a subnormal half (exponent bits 0, magnitude not 0): the widening loops take the small
 * widening for such a block at once (a block that held a subnormal half the quick widening missed
 * is widened again), and sparse's f16 backward pass widens it by loops of its own (a block of
 * normal halves is faster widened as it is read). Either way the same bits: the sample only
 * picks the loop. It reads the block's
 * first bytes, which the loop reads next (a sample spread over the block cost rows beyond the
 * caches a cache miss per vector: 0.88x -> 1.01x f32 at 2^22 in Bun).
 */
export function sampleSubnormal(p: usize, n: i32): bool {
  const mag = halfConstant(5);
  const one = i16x8.splat(1);
  const edge = i16x8.splat(<i16>(HALF_MANTISSA - 1));
  let any = i16x8.splat(0);
  const bytes = <usize>min(n, 32) << 1;
  for (let j: usize = 0; j < bytes; j += 16) any = v128.or(any, subnormal8(v128.and(v128.load(p + j), mag), one, edge));
  return v128.any_true(any);
}

/**
 * The n halves at src widened as finite into the f32s at dst, top raised to their exponent bits
 * (raiseHalfTop): quickly (quickTop8), the run again by widenSmallRun where it held a subnormal
 * half (at once where its sample shows one); holdsSpecial(top, e16) after the passes tells whether any was Inf or NaN (where the
 * caller widens the row in full). A loop that only widens (a loop that also multiplied the
 * widened values by others ran 2-3x slower on AMD Zen 5 with subnormal halves: docs/loss.md,
 * "Subnormal halves"). n a multiple of 8; e16, m, r = halfConstant(4, 6, 7).
 */
// @ts-ignore: decorator
@inline
export function widenFiniteRun(src: usize, dst: usize, n: i32, top: v128, e16: v128, m: v128, r: v128): v128 {
  if (sampleSubnormal(src, n)) return widenSmallRun(src, dst, n, top);
  let sub = i16x8.splat(0);
  let i = 0;
  // 16 a step (JavaScriptCore does not unroll the loop itself), then the last 8 if any.
  for (; i + 16 <= n; i += 16) {
    const p = src + (<usize>i << 1);
    const h0 = v128.load(p);
    const h1 = v128.load(p, 16);
    const e0 = v128.and(h0, e16);
    const e1 = v128.and(h1, e16);
    top = i16x8.max_u(top, i16x8.max_u(e0, e1));
    sub = raiseHalfSub(raiseHalfSub(sub, h0, e0), h1, e1);
    storeQuick16(dst + (<usize>i << 2), h0, quickTop8(h0, e0, m, r), h1, quickTop8(h1, e1, m, r));
  }
  if (i < n) {
    const h = v128.load(src + (<usize>i << 1));
    const q = dst + (<usize>i << 2);
    const e = v128.and(h, e16);
    top = i16x8.max_u(top, e);
    sub = raiseHalfSub(sub, h, e);
    const t = quickTop8(h, e, m, r);
    v128.store(q, quickLow8(h, t));
    v128.store(q, quickHigh8(h, t), 16);
  }
  if (holdsSubnormal(sub, halfConstant(8))) widenSmallRun(src, dst, n, top);
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

/**
 * The f32 address of row r (k elements) of an operand of a backward pass one of whose two
 * operands is halves, the other f32: that row of p where it is the f32 one, else `work` (k f32),
 * the row's halves widened there (exactly, Inf and NaN as well). The f16 exports _g and _y of
 * the loss and sparse families run their f32 kernel on each row so (the same bits as on the
 * halves' f32 values; out may be the f32 operand).
 */
// @ts-ignore: decorator
@inline
export function loneRow(p: usize, r: i32, k: i32, halves: bool, work: usize): usize {
  if (!halves) return p + (<usize>r * <usize>k << 2);
  widenHalves(p + (<usize>r * <usize>k << 1), work, k);
  return work;
}

/** The quick widenings of 16 halves (v0, v1 and their tops t0, t1) stored as f32s at q. */
// @ts-ignore: decorator
@inline
export function storeQuick16(q: usize, v0: v128, t0: v128, v1: v128, t1: v128): void {
  v128.store(q, quickLow8(v0, t0));
  v128.store(q, quickHigh8(v0, t0), 16);
  v128.store(q, quickLow8(v1, t1), 32);
  v128.store(q, quickHigh8(v1, t1), 48);
}

/**
 * The n halves at src (a multiple of 8) widened exactly into dst by widenSmallRun, then its 8s
 * that hold an Inf or NaN half (which widenSmallRun gets wrong) again by widenSpecialEights;
 * whether there were any.
 */
export function smallBlock(src: usize, dst: usize, n: i32): bool {
  const e16 = halfConstant(4);
  const met = holdsSpecial(widenSmallRun(src, dst, n, i16x8.splat(0)), e16);
  if (met) widenSpecialEights(src, dst, n);
  return met;
}

/**
 * Whether the last block a quick widening read (widenHalves, reduce.ts widenPick) held an Inf
 * or NaN half: the next one, in the same call or the next, is then widened by quickTopAll8 (a
 * row of masked logits, and the rows after it, widened once). It only picks the loop.
 */
export let specialBlock = false;

/** dst[i] = the f32 of half src[i], i < n (src: halves, dst: f32s; dst may not overlap src). */
export function widenHalves(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const e16 = halfConstant(4);
    const m = halfConstant(6);
    const r = halfConstant(7);
    const mant = halfConstant(8);
    // Blocks of EXACT_BLOCK, each redone where it held a subnormal half (smallBlock), or else,
    // widened by quickTop8, its 8s that held an Inf or NaN (widenSpecialEights); a block after
    // one that held an Inf or NaN is widened by quickTopAll8 (specialBlock). 16 halves a step
    // (JavaScriptCore, Bun's engine, does not unroll the loop itself); the last 15 or fewer go
    // to the scalar loop below. Where the row's first block holds a subnormal half by its
    // sample, or the last block did, the next is widened by smallBlock at once (a row of small
    // values is widened once, not twice).
    const n16 = n & ~15;
    let small = n16 > 0 && sampleSubnormal(src, min(n16, EXACT_BLOCK));
    let special = specialBlock;
    while (i < n16) {
      const start = i;
      const end = min(n16, i + EXACT_BLOCK);
      const ps = src + (<usize>start << 1);
      const qs = dst + (<usize>start << 2);
      if (small) {
        special = smallBlock(ps, qs, end - start);
        i = end;
        small = i < n16 && sampleSubnormal(src + (<usize>i << 1), min(n16 - i, EXACT_BLOCK));
        continue;
      }
      let sub = i16x8.splat(0);
      let top = sub;
      if (special) {
        for (; i < end; i += 16) {
          const p = src + (<usize>i << 1);
          const v0 = v128.load(p);
          const v1 = v128.load(p, 16);
          const e0 = v128.and(v0, e16);
          const e1 = v128.and(v1, e16);
          top = i16x8.max_u(top, i16x8.max_u(e0, e1));
          sub = raiseHalfSub(raiseHalfSub(sub, v0, e0), v1, e1);
          storeQuick16(dst + (<usize>i << 2), v0, quickTopAll8(v0, e0, m, r, e16), v1, quickTopAll8(v1, e1, m, r, e16));
        }
      } else {
        for (; i < end; i += 16) {
          const p = src + (<usize>i << 1);
          const v0 = v128.load(p);
          const v1 = v128.load(p, 16);
          const e0 = v128.and(v0, e16);
          const e1 = v128.and(v1, e16);
          top = i16x8.max_u(top, i16x8.max_u(e0, e1));
          sub = raiseHalfSub(raiseHalfSub(sub, v0, e0), v1, e1);
          storeQuick16(dst + (<usize>i << 2), v0, quickTop8(v0, e0, m, r), v1, quickTop8(v1, e1, m, r));
        }
      }
      small = holdsSubnormal(sub, mant);
      const met = holdsSpecial(top, e16);
      if (small) smallBlock(ps, qs, end - start);
      else if (met && !special) widenSpecialEights(ps, qs, end - start);
      special = met;
    }
    specialBlock = special;
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
