// A row's sample and its candidates, shared by the families that look for a row's largest
// entries without sorting it: sparse (the entries above entmax's threshold) and sampling (the
// k largest). The sample is the lane-wise maximum (or minimum) of each block of SAMPLE_VECTORS
// vectors: 1/16 of the row, each value an entry of it, at distinct positions, so that any
// statistic of the sample's largest values bounds the row's from below (the k-th largest of the
// sample is at most the row's k-th largest); candidates then reads only the blocks whose
// sample passes a floor.

import { extremumBits, halfConstant, halfToF32, manySubnormalHalves, maxLaneS, maxLaneU, metSmall, minLaneS, raiseNegated, subnormalMagnitude, widen4 } from "./half";
import { at, atS, high, lanes, loadAs, loadLanes, pickLanes, pickV, widenConstant } from "./reduce";
import { packed, storePositions } from "./pack";

// Vectors per block of the sample: the sample is 1/16 of the row.
export const SAMPLE_VECTORS: i32 = 16;
// candidates' probes: the first PROBE_BLOCKS blocks read of every PROBE_EVERY (a power of 2).
const PROBE_BLOCKS: i32 = 4;
const PROBE_EVERY: i32 = 32;
// Elements per block of the scalar build and the row's tail.
export const SAMPLE_ELEMENTS: i32 = 16;
// The samples of the sample are taken until one has at most this many values (sampleLevels).
export const TOP_SAMPLE: i32 = 256;

/** One bit per lane of a comparison mask of T lanes. */
// @ts-ignore: decorator
@inline
export function maskBits<T>(mask: v128): i32 {
  return sizeof<T>() == 4 ? i32x4.bitmask(mask) : i64x2.bitmask(mask);
}

/** The size of the sample of a row of k (see sampled). */
// @ts-ignore: decorator
@inline
export function sampleCount<T>(k: i32): i32 {
  let i = 0;
  let count = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const B = SAMPLE_VECTORS * L;
    i = k - k % B;
    count = (k / B) * L;
  }
  return count + (k - i + SAMPLE_ELEMENTS - 1) / SAMPLE_ELEMENTS;
}

/**
 * Whether the halves of the row sampled<f32, u16> last read were all finite (no Inf, no NaN):
 * its candidates may then widen them without the Inf/NaN step (candidates<f32, i16>).
 */
export let rowHalvesFinite = false;

/**
 * Whether the halves of the row sampled<f32, u16> last read held many subnormal halves (half.ts's
 * manySubnormalHalves): the caller then widens the row once and reads the f32s (see halvesSubnormal).
 */
export let rowHalvesSubnormal = false;

/**
 * The extremum of x[0..k) (the min when `lowest`; NaN if any element is NaN), and into s the
 * sample: the lane-wise extremum of each block of SAMPLE_VECTORS vectors, then the extremum
 * of each SAMPLE_ELEMENTS of what is left. sampleCount<T>(k) values, each an element of x.
 * S: how x is stored (T, or u16: halves, T = f32; the sample and the extremum are their f32s,
 * the same values as those of the row widened, but for the sign of a zero, see sampledHalves).
 */
export function sampled<T, S>(x: usize, k: i32, lowest: bool, s: usize): T {
  let c: T = lowest ? <T>Infinity : <T>-Infinity;
  let i = 0;
  let count = 0;
  // Halves: the largest magnitude bits met (above 0x7c00 a NaN, 0x7c00 an infinity), and whether a subnormal (or -0) was.
  let top = 0;
  let small = false;
  if (ASC_FEATURE_SIMD && sizeof<S>() == 2) {
    i = k - k % (SAMPLE_VECTORS * 4);
    count = i >> 4;
    top = sampledHalves(x, i, lowest, s);
    small = sampledSmall;
    if (top > 0x7c00) return <T>NaN;
    c = <T>halfToF32(<u32>sampledExtremum);
  } else if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    let all = v128.splat<T>(c);
    let nan = v128.splat<i32>(0);
    for (; i + SAMPLE_VECTORS * L <= k; i += SAMPLE_VECTORS * L) {
      const p = at<T>(x, i);
      let a0 = v128.load(p);
      let a1 = v128.load(p, 16);
      let a2 = v128.load(p, 32);
      let a3 = v128.load(p, 48);
      nan = v128.or(nan, v128.or(v128.or(v128.ne<T>(a0, a0), v128.ne<T>(a1, a1)), v128.or(v128.ne<T>(a2, a2), v128.ne<T>(a3, a3))));
      for (let j = 4; j < SAMPLE_VECTORS; j += 4) {
        const q = p + (<usize>j << 4);
        const v0 = v128.load(q);
        const v1 = v128.load(q, 16);
        const v2 = v128.load(q, 32);
        const v3 = v128.load(q, 48);
        a0 = pickV<T>(a0, v0, lowest);
        a1 = pickV<T>(a1, v1, lowest);
        a2 = pickV<T>(a2, v2, lowest);
        a3 = pickV<T>(a3, v3, lowest);
        nan = v128.or(nan, v128.or(v128.or(v128.ne<T>(v0, v0), v128.ne<T>(v1, v1)), v128.or(v128.ne<T>(v2, v2), v128.ne<T>(v3, v3))));
      }
      const b = pickV<T>(pickV<T>(a0, a1, lowest), pickV<T>(a2, a3, lowest), lowest);
      v128.store(at<T>(s, count), b);
      count += L;
      all = pickV<T>(all, b, lowest);
    }
    if (v128.any_true(nan)) return <T>NaN;
    c = pickLanes<T>(all, lowest);
  }
  // Scalar max/min let NaN through.
  for (; i < k; i += SAMPLE_ELEMENTS) {
    const end = min(i + SAMPLE_ELEMENTS, k);
    let b = loadAs<T, S>(x, i);
    for (let j = i + 1; j < end; j++) b = lowest ? min<T>(b, loadAs<T, S>(x, j)) : max<T>(b, loadAs<T, S>(x, j));
    if (sizeof<S>() == 2) {
      for (let j = i; j < end; j++) {
        const m = <i32>load<u16>(atS<S>(x, j)) & 0x7fff;
        top = max(top, m);
        small = small || subnormalMagnitude(m);
      }
    }
    store<T>(at<T>(s, count++), b);
    c = lowest ? min<T>(c, b) : max<T>(c, b);
  }
  if (sizeof<S>() == 2) {
    rowHalvesFinite = top < 0x7c00;
    rowHalvesSubnormal = small && manySubnormalHalves(x, k);
  }
  return c;
}

/** The bits of the extremum sampledHalves last found, and whether it met a subnormal half (or -0). */
let sampledExtremum = 0;
let sampledSmall = false;

/**
 * sampled's blocks for the n halves at x (n a multiple of SAMPLE_VECTORS*4): each block's f32
 * lane-wise extremum (over the elements 4j + l of its 64, as the f32 loop takes them) into s,
 * and the bits of the row's extremum in sampledExtremum, found on the halves' bits without
 * widening them, 8 per vector (half.ts's extremumBits), and whether a subnormal half (or -0) was
 * met in sampledSmall (half.ts's raiseNegated). Returns the largest magnitude bits that an
 * Inf or NaN half has (0x7c01 for a NaN, 0x7c00 for an infinity, else 0; hi and hu show both),
 * as sampled's tail tracks them. Of a -0 and a +0 the max takes +0 and the min -0, where the f32
 * loop keeps the first: a zero's sign that no score X = a*(x - c) > floor tells apart.
 */
function sampledHalves(x: usize, n: i32, lowest: bool, s: usize): i32 {
  sampledSmall = false;
  if (n == 0) {
    sampledExtremum = lowest ? 0x7c00 : 0xfc00;
    return 0;
  }
  const k0 = halfConstant(0);
  const k1 = halfConstant(1);
  const k2 = halfConstant(2);
  const k3 = halfConstant(3);
  const zero = i16x8.splat(0);
  let allLo = i16x8.splat(0x7fff);
  let allHi = i16x8.splat(-0x8000);
  let allHu = zero;
  let neg = zero;
  for (let i = 0, count = 0; i < n; i += SAMPLE_VECTORS * 4, count += 4) {
    // The block's 8 vectors (SAMPLE_VECTORS*4 halves), unrolled.
    const p = x + (<usize>i << 1);
    const v0 = v128.load(p);
    const v1 = v128.load(p, 16);
    const v2 = v128.load(p, 32);
    const v3 = v128.load(p, 48);
    const v4 = v128.load(p, 64);
    const v5 = v128.load(p, 80);
    const v6 = v128.load(p, 96);
    const v7 = v128.load(p, 112);
    const n01 = raiseNegated(i16x8.neg(v0), v1);
    const n23 = raiseNegated(i16x8.neg(v2), v3);
    const n45 = raiseNegated(i16x8.neg(v4), v5);
    const n67 = raiseNegated(i16x8.neg(v6), v7);
    neg = i16x8.max_u(neg, i16x8.max_u(i16x8.max_u(n01, n23), i16x8.max_u(n45, n67)));
    let lo = i16x8.min_s(i16x8.min_s(i16x8.min_s(v0, v1), i16x8.min_s(v2, v3)), i16x8.min_s(i16x8.min_s(v4, v5), i16x8.min_s(v6, v7)));
    let hi = i16x8.max_s(i16x8.max_s(i16x8.max_s(v0, v1), i16x8.max_s(v2, v3)), i16x8.max_s(i16x8.max_s(v4, v5), i16x8.max_s(v6, v7)));
    let hu = i16x8.max_u(i16x8.max_u(i16x8.max_u(v0, v1), i16x8.max_u(v2, v3)), i16x8.max_u(i16x8.max_u(v4, v5), i16x8.max_u(v6, v7)));
    // Lanes l and l + 4 hold the elements of f32 lane l: folded into lanes 0-3 (and 4-7).
    lo = i16x8.min_s(lo, high(lo));
    hi = i16x8.max_s(hi, high(hi));
    hu = i16x8.max_u(hu, high(hu));
    allLo = i16x8.min_s(allLo, lo);
    allHi = i16x8.max_s(allHi, hi);
    allHu = i16x8.max_u(allHu, hu);
    const b = lowest ? v128.bitselect(hu, lo, i16x8.lt_s(hu, zero)) : v128.bitselect(hi, lo, i16x8.ge_s(hi, zero));
    v128.store(at<f32>(s, count), widen4(i32x4.extend_low_i16x8_s(b), k0, k1, k2, k3));
  }
  const lo = minLaneS(allLo);
  const hi = maxLaneS(allHi);
  const hu = maxLaneU(allHu);
  sampledSmall = metSmall(neg, allLo);
  sampledExtremum = extremumBits(lo, hi, hu, lowest);
  if (hi > 0x7c00 || hu > 0xfc00) return 0x7c01;
  return hi == 0x7c00 || hu == 0xfc00 ? 0x7c00 : 0;
}

/**
 * Stores the lanes of X above vf at w[m..) and their positions (i, i + 1, ...) at wi[m..),
 * left-packed (shared/pack.ts: m is at most i, so the whole vector stored stays within the row's
 * room). Returns m advanced by the lanes kept.
 */
// @ts-ignore: decorator
@inline
function keepLanes<T>(X: v128, vf: v128, i: i32, w: usize, wi: usize, m: i32): i32 {
  const kept = v128.gt<T>(X, vf);
  if (!v128.any_true(kept)) return m;
  return storeLanes<T>(X, maskBits<T>(kept), i, w, wi, m);
}

/** The lanes of X set in `bits` (maskBits) and their positions stored as keepLanes stores them. */
// @ts-ignore: decorator
@inline
function storeLanes<T>(X: v128, bits: i32, i: i32, w: usize, wi: usize, m: i32): i32 {
  v128.store(at<T>(w, m), packed<T>(X, bits));
  storePositions<T>(wi + (<usize>m << 2), i, bits);
  return m + popcnt(bits);
}

/** The scores a*(x - c) of the vector of x (stored as S, see loadLanes) at element j. */
// @ts-ignore: decorator
@inline
export function scoresAt<T, S>(x: usize, j: i32, vc: v128, va: v128, h0: v128, h1: v128, h2: v128, h3: v128): v128 {
  return v128.mul<T>(v128.sub<T>(loadLanes<T, S>(atS<S>(x, j), h0, h1, h2, h3), vc), va);
}

/**
 * Copies the scores X_i = a*(x_i - c) of x[0..k) that are above `floor` to w and their
 * positions to wi, in order; returns their count. With the row's sample s (sampled; 0: none),
 * a block of SAMPLE_VECTORS vectors whose sample is at most the floor is passed over unread.
 * S: how x is stored (reduce.ts's loadLanes: T, or halves widened exactly as they are read).
 */
export function candidates<T, S>(x: usize, k: i32, c: T, a: T, floor: T, w: usize, wi: usize, s: usize): i32 {
  let m = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const B = SAMPLE_VECTORS * L;
    const vc = v128.splat<T>(c);
    const va = v128.splat<T>(a);
    const vf = v128.splat<T>(floor);
    const h0 = widenConstant<S>(0);
    const h1 = widenConstant<S>(1);
    const h2 = widenConstant<S>(2);
    const h3 = widenConstant<S>(3);
    // Where some of a block's vectors keep a lane and some do not, at random (a flat row at
    // alpha = 1.3: 5,500 candidates in 32,000), a branch on each vector took 64 us. There the
    // block's vectors are compared first, their lanes kept gathered in one mask (4 bits a vector),
    // then only those with a lane kept read again and stored, one after the other: 18 us, where
    // on rows whose branch goes the same way for a while (typical and masked rows) it cost up to
    // 1.5x the branch. The first PROBE_BLOCKS blocks read of every PROBE_EVERY take that way and
    // count how often a vector keeps a lane where the one before kept none or the other way round
    // (`flips`); the rest of the PROBE_EVERY take it where that was more than 1/4 of them.
    let read = 0;
    let flips = 0;
    let random = false;
    for (let b = 0; i + B <= k; i += B, b += L) {
      if (s != 0 && !v128.any_true(v128.gt<T>(v128.mul<T>(v128.sub<T>(v128.load(at<T>(s, b)), vc), va), vf))) continue;
      const probe = read & (PROBE_EVERY - 1);
      read++;
      if (random || probe < PROBE_BLOCKS) {
        let kept: u64 = 0;
        for (let v = 0; v < SAMPLE_VECTORS; v++) {
          kept |= <u64>maskBits<T>(v128.gt<T>(scoresAt<T, S>(x, i + v * L, vc, va, h0, h1, h2, h3), vf)) << (<u64>v << 2);
        }
        if (probe < PROBE_BLOCKS) {
          const any = (kept | (kept >> 1) | (kept >> 2) | (kept >> 3)) & 0x1111111111111111;
          flips += <i32>popcnt((any ^ (any << 4)) & 0x1111111111111110);
          if (probe == PROBE_BLOCKS - 1) {
            random = flips * 4 > PROBE_BLOCKS * (SAMPLE_VECTORS - 1);
            flips = 0;
          }
        }
        while (kept != 0) {
          const at4 = ctz(kept) & ~3;
          const bits = <i32>(kept >> at4) & 15;
          kept &= ~(<u64>15 << at4);
          const j = i + (<i32>at4 >> 2) * L;
          m = storeLanes<T>(scoresAt<T, S>(x, j, vc, va, h0, h1, h2, h3), bits, j, w, wi, m);
        }
      } else {
        for (let j = i; j < i + B; j += L) m = keepLanes<T>(scoresAt<T, S>(x, j, vc, va, h0, h1, h2, h3), vf, j, w, wi, m);
      }
    }
    for (; i + L <= k; i += L) m = keepLanes<T>(scoresAt<T, S>(x, i, vc, va, h0, h1, h2, h3), vf, i, w, wi, m);
  }
  for (; i < k; i++) {
    const X = (loadAs<T, S>(x, i) - c) * a;
    store<T>(at<T>(w, m), X);
    store<i32>(wi + (<usize>m << 2), i);
    m += i32(X > floor);
  }
  return m;
}

/** Where the values of the level sampleLevels returned start in s, and how many there are. */
export let topOffset = 0;
export let topSize = 0;

/**
 * The samples of the row's sample at s (level 1, sampleCount<T>(k) values for a row of k), each
 * the sample of the one before (sampled, the extremum `lowest` takes), stored after it, until one
 * has at most TOP_SAMPLE values; returns that one's level (its values: topOffset, topSize). Level
 * L's values number levelSize<T>(k, L), and level L - 1's end where L's start.
 */
export function sampleLevels<T>(s: usize, k: i32, lowest: bool): i32 {
  let level = 1;
  let offset = 0;
  let n = sampleCount<T>(k);
  while (n > TOP_SAMPLE) {
    sampled<T, T>(at<T>(s, offset), n, lowest, at<T>(s, offset + n));
    offset += n;
    n = sampleCount<T>(n);
    level++;
  }
  topOffset = offset;
  topSize = n;
  return level;
}

/** The size of level `level` of the samples of a row of k (level 0: the row). */
export function levelSize<T>(k: i32, level: i32): i32 {
  for (let j = 0; j < level; j++) k = sampleCount<T>(k);
  return k;
}
