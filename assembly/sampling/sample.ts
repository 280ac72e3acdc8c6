// Sampling kernels: the passes over a row of logits that choosing a token needs (src/sample.ts
// runs the chain). Pointers and lengths in, numbers out; T is f32 or f64, S how the row is
// stored (reduce.ts): T, or u16 for halves (T = f32), which the passes widen exactly as they
// load them, or compare as order keys (half.ts) where they only compare, so that an f16 row
// gives what its f32 widening gives, bit for bit. The host checks the row for NaN (argmax)
// before any other kernel sees it.
//
// Weights are w_i = exp(beta*(x_i - c)) with c the row max, so the largest weight is 1. A set
// of kept tokens is a prefix of the order (x descending, index ascending), given by a cut
// (theta, tie): token i is kept when x_i > theta, or x_i == theta and i <= tie.
// No kernel sorts the row: top-k bounds the k-th largest from below by that of the row's sample
// (shared/sample.ts) and selects among the few entries above it, and the rest are single passes.

import { F32_FLOOR, expConstant, expNonPositive, expWith } from "../shared/exp";
import { HISTOGRAM_BUCKETS, STRIDE } from "./layout";
import { f32ToHalf, foldedAtLeast, foldedMasked, foldsBeta, halfConstant, halfExtremum, halfOrder8, halfOrderAtLeast, halvesFinite, halvesMasked, halvesSubnormal } from "../shared/half";
import {
  FLUSH, at, atS, betaOf, lanes, loadAs, nextAbove, raddabove, raddexpminusmaxabove, raddstoreexpminusmax, roundedI32, sumCenter, sumLanes, sumScale, widenConstant, widenForSum, widenS,
} from "../shared/reduce";
import { candidates, levelSize, maskBits, sampleCount, sampleLevels, sampled, topOffset, topSize } from "../shared/sample";
import { storePositions } from "../shared/pack";

// Elements per block of the draw walk: one block sum in SIMD, then a scalar walk of the block
// that crosses the target.
const WALK: i32 = 64;
// topK takes the row's sample (sampledTopK) where k is at most its size and the row at most
// SAMPLED_UP_TO long (topK 50 of 2^21 f32 took 770 us that way, 605 by the loop, 2^20 219 and
// 200, 2^18 61 and 67, Node 24, one row).
const SAMPLED_UP_TO: i32 = 1 << 19;
// Vectors per block of bandPass (a divisor of FLUSH's vectors).
const BAND_VECTORS: i32 = 16;
// Tokens kept each side of the top-p crossing when its band is narrowed (narrow).
const NARROW: i32 = 32;
// The part of a row's weight by which the crossing must clear a narrowed band's edges: far
// above the difference between f32 weights summed in f64 and the host's f64 weights.
const TOTAL_MARGIN: f64 = 1e-5;

// @ts-ignore: decorator
@inline
function maxLanes<T>(v: v128): T {
  if (sizeof<T>() == 4) {
    return <T>max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
  }
  return <T>max(f64x2.extract_lane(v, 0), f64x2.extract_lane(v, 1));
}

/** exp(beta*(v - c)) of one element (scalar twin of the SIMD lanes). */
// @ts-ignore: decorator
@inline
function weight<T>(v: T, c: T, beta: T): T {
  return expNonPositive<T>((v - c) * beta);
}

/** Index of the first maximum of x[0..n); a NaN counts as the maximum (the first NaN); -1 when n = 0. */
function argmax<T, S = T>(x: usize, n: i32): i32 {
  if (sizeof<S>() == 2) return halfArgmax(x, n);
  let best: T = <T>-Infinity;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    let a0 = v128.splat<T>(best);
    let a1 = a0;
    let nan = v128.splat<i32>(0);
    for (; i + 2 * L <= n; i += 2 * L) {
      const v0 = v128.load(at<T>(x, i));
      const v1 = v128.load(at<T>(x, i), 16);
      a0 = v128.pmax<T>(a0, v0);
      a1 = v128.pmax<T>(a1, v1);
      nan = v128.or(nan, v128.or(v128.ne<T>(v0, v0), v128.ne<T>(v1, v1)));
    }
    if (v128.any_true(nan)) i = 0; // find the first NaN below
    else best = maxLanes<T>(v128.pmax<T>(a0, a1));
  }
  for (; i < n; i++) {
    const v = load<T>(at<T>(x, i));
    if (v != v) {
      for (let j = 0; j <= i; j++) if (load<T>(at<T>(x, j)) != load<T>(at<T>(x, j))) return j;
    }
    if (v > best) best = v;
  }
  if (n == 0) return -1;
  return firstEqual<T>(x, n, best);
}

/**
 * argmax of the n halves at x: halfExtremum's max, then the first half equal to it as a value
 * (+0 and -0 alike), or the first NaN where there is one. The index argmax<f32> gives on the
 * row widened. halfExtremum also leaves halvesFinite for f16_finite.
 */
function halfArgmax(x: usize, n: i32): i32 {
  const top = halfExtremum(x, n, false);
  if (n == 0) return -1;
  if (top != top) {
    for (let j = 0; j < n; j++) if ((<i32>load<u16>(x + (<usize>j << 1)) & 0x7fff) > 0x7c00) return j;
  }
  // The halves equal to the max: its one bit pattern, or both zeros (compared without the sign).
  const bits = <i32>f32ToHalf(top);
  const keep: i32 = (bits & 0x7fff) == 0 ? 0x7fff : 0xffff;
  const want: i32 = bits & keep;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vk = i16x8.splat(<i16>keep);
    const vw = i16x8.splat(<i16>want);
    for (; j + 32 <= n; j += 32) {
      const p = x + (<usize>j << 1);
      const e0 = v128.or(i16x8.eq(v128.and(v128.load(p), vk), vw), i16x8.eq(v128.and(v128.load(p, 16), vk), vw));
      const e1 = v128.or(i16x8.eq(v128.and(v128.load(p, 32), vk), vw), i16x8.eq(v128.and(v128.load(p, 48), vk), vw));
      if (v128.any_true(v128.or(e0, e1))) break;
    }
  }
  for (; j < n; j++) if ((<i32>load<u16>(x + (<usize>j << 1)) & keep) == want) return j;
  return 0;
}

/** Index of the first element of x[0..n) equal to v (0 when none): vectors without it cost a compare. */
function firstEqual<T>(x: usize, n: i32, v: T): i32 {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vv = v128.splat<T>(v);
    for (; j + 4 * L <= n; j += 4 * L) {
      const p = at<T>(x, j);
      const any = v128.or(v128.or(v128.eq<T>(v128.load(p), vv), v128.eq<T>(v128.load(p, 16), vv)), v128.or(v128.eq<T>(v128.load(p, 32), vv), v128.eq<T>(v128.load(p, 48), vv)));
      if (v128.any_true(any)) break;
    }
  }
  for (; j < n; j++) if (load<T>(at<T>(x, j)) == v) return j;
  return 0;
}

/** x_i = -Infinity where bit (i & 31) of word (i >> 5) of `mask` is clear. */
function applyMask<T>(x: usize, n: i32, mask: usize): void {
  const words = (n + 31) >> 5;
  for (let w = 0; w < words; w++) {
    let bits = load<u32>(mask + (<usize>w << 2));
    if (bits == 0xffffffff) continue;
    const start = w << 5;
    const end = min(start + 32, n);
    if (bits == 0) {
      for (let i = start; i < end; i++) store<T>(at<T>(x, i), <T>-Infinity);
      continue;
    }
    for (let i = start; i < end; i++) {
      if ((bits & 1) == 0) store<T>(at<T>(x, i), <T>-Infinity);
      bits >>= 1;
    }
  }
}

/**
 * Sum of the weights of x[start..end) at or above theta (above it when `strict`): the stored
 * ones of w (weigh's) unless w is 0, else computed.
 */
// @ts-ignore: decorator
@inline
function keptSum<T, S>(x: usize, w: usize, start: i32, end: i32, c: T, beta: T, theta: T, strict: bool): f64 {
  if (w) return raddabove<T, S>(atS<S>(x, start), at<T>(w, start), end - start, theta, strict);
  return raddexpminusmaxabove<T, S>(atS<S>(x, start), end - start, c, beta, theta, strict);
}

/**
 * The kept weights of the cut (theta, tie) summed per block of WALK elements of x[0..n) into
 * blocks (an f64 each, summed as draw sums a block), every weight computed whatever the row
 * holds, so that a flat row (every token kept) costs what a peaked one does; returns their
 * total. draw then finds its block from these sums and computes the weights of one block.
 */
function keptBlocks<T, S = T>(x: usize, n: i32, c: f64, beta: f64, theta: f64, tie: i32, blocks: usize): f64 {
  const tc = <T>c;
  const tb = betaOf<T>(beta);
  const tt = <T>theta;
  const split = min(max(tie + 1, 0), n);
  let total: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    // Whole blocks on one side of split in one loop, every weight computed and masked, the
    // exp's constants loaded once (exp.ts says why), each block's lanes summed as
    // raddexpminusmaxabove sums them (it skips vectors with none kept: their masked terms add
    // nothing); x > theta is x >= the next value above theta.
    // Finite halves (S = i16) are widened folded (half.ts, reduce.ts's widenForSum): c, beta and theta scaled to match.
    const folded = isSigned<S>();
    const L = lanes<T>();
    const vc = v128.splat<T>(sumCenter<T, S>(tc));
    const vb = v128.splat<T>(sumScale<T, S>(tb));
    const atLeast = v128.splat<T>(folded ? <T>foldedAtLeast(<f32>tt) : tt);
    const above = v128.splat<T>(folded ? <T>foldedAtLeast(<f32>nextAbove<T>(tt)) : nextAbove<T>(tt));
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
    for (; i + WALK <= n; i += WALK) {
      if (i < split && i + WALK > split) {
        total += wholeBlock<T, S>(x, n, i, tc, tb, tt, split, blocks);
        continue;
      }
      const vt = i < split ? atLeast : above;
      let s0 = v128.splat<T>(0);
      let s1 = s0;
      for (let j = i; j < i + WALK; j += 2 * L) {
        const p = atS<S>(x, j);
        const v0 = sizeof<S>() == 2 ? widenForSum<S>(v128.load16x4_s(p), h0, h1, h2, h3) : v128.load(p);
        const v1 = sizeof<S>() == 2 ? widenForSum<S>(v128.load16x4_s(p, 8), h0, h1, h2, h3) : v128.load(p, 16);
        const e0 = expWith<T>(v128.mul<T>(v128.sub<T>(v0, vc), vb), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
        const e1 = expWith<T>(v128.mul<T>(v128.sub<T>(v1, vc), vb), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
        s0 = v128.add<T>(s0, v128.and(e0, v128.ge<T>(v0, vt)));
        s1 = v128.add<T>(s1, v128.and(e1, v128.ge<T>(v1, vt)));
      }
      const block = sumLanes<T>(v128.add<T>(s0, s1));
      store<f64>(blocks + (<usize>(i / WALK) << 3), block);
      total += block;
    }
  }
  for (; i < n; i += WALK) total += wholeBlock<T, S>(x, n, i, tc, tb, tt, split, blocks);
  return total;
}

/**
 * keptBlocks's block at i (any length, either side of split; at most two of a row) by the
 * shared reduction, which sums a block as keptBlocks's loop does; returns its sum.
 */
function wholeBlock<T, S>(x: usize, n: i32, i: i32, c: T, beta: T, theta: T, split: i32, blocks: usize): f64 {
  const stop = min(i + WALK, n);
  const mid = min(max(split, i), stop);
  const block = raddexpminusmaxabove<T, S>(atS<S>(x, i), mid - i, c, beta, theta, false) + raddexpminusmaxabove<T, S>(atS<S>(x, mid), stop - mid, c, beta, theta, true);
  store<f64>(blocks + (<usize>(i / WALK) << 3), block);
  return block;
}

/**
 * The inverse CDF over the kept tokens of x[0..n): the first kept index at which the running
 * sum of weights (index order) exceeds target; when rounding leaves target unreached, the last
 * kept token of positive weight; -1 when no kept token has weight. Blocks of WALK elements are
 * summed in SIMD (or their sums read from `blocks`, keptBlocks's, unless it is 0) and only the
 * block that crosses is walked element by element (the scalar exps equal the lanes). The
 * weights are w's (weigh's) unless w is 0.
 */
function draw<T, S = T>(x: usize, w: usize, n: i32, c: f64, beta: f64, theta: f64, tie: i32, target: f64, blocks: usize): i32 {
  const tc = <T>c;
  const tb = betaOf<T>(beta);
  const tt = <T>theta;
  const split = min(max(tie + 1, 0), n);
  let total: f64 = 0;
  for (let i = 0; i < n; ) {
    const stop = min(i + WALK, n);
    if (blocks || (ASC_FEATURE_SIMD && (stop <= split || i >= split))) {
      const block = blocks ? load<f64>(blocks + (<usize>(i / WALK) << 3)) : keptSum<T, S>(x, w, i, stop, tc, tb, tt, i >= split);
      if (total + block <= target) {
        total += block;
        i = stop;
        continue;
      }
    }
    for (; i < stop; i++) {
      const v = loadAs<T, S>(x, i);
      if (!(i < split ? v >= tt : v > tt)) continue;
      total += <f64>(w ? load<T>(at<T>(w, i)) : weight<T>(v, tc, tb));
      if (total > target) return i;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    const v = loadAs<T, S>(x, i);
    if ((i < split ? v >= tt : v > tt) && (w ? load<T>(at<T>(w, i)) : weight<T>(v, tc, tb)) > <T>0) return i;
  }
  return -1;
}

/**
 * y_i = x_i where the cut (theta, tie) keeps token i of x[0..n), else -Infinity (y may be x):
 * the row whose softmax is the distribution of the kept tokens.
 */
function keepCut<T, S = T>(x: usize, n: i32, theta: f64, tie: i32, y: usize): void {
  const split = min(max(tie + 1, 0), n);
  keepAbove<T, S>(x, y, 0, split, <T>theta, false);
  keepAbove<T, S>(x, y, split, n, <T>theta, true);
}

/** keepCut over x[start..end): the entries at or above theta (above it when `strict`) kept. */
// @ts-ignore: decorator
@inline
function keepAbove<T, S>(x: usize, y: usize, start: i32, end: i32, theta: T, strict: bool): void {
  let i = start;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vt = v128.splat<T>(theta);
    const masked = v128.splat<T>(<T>-Infinity);
    const h0 = widenConstant<S>(0);
    const h1 = widenConstant<S>(1);
    const h2 = widenConstant<S>(2);
    const h3 = widenConstant<S>(3);
    for (; i + 2 * L <= end; i += 2 * L) {
      const p = atS<S>(x, i);
      const v0 = sizeof<S>() == 2 ? widenS<S>(v128.load16x4_s(p), h0, h1, h2, h3) : v128.load(p);
      const v1 = sizeof<S>() == 2 ? widenS<S>(v128.load16x4_s(p, 8), h0, h1, h2, h3) : v128.load(p, 16);
      const kept0 = strict ? v128.gt<T>(v0, vt) : v128.ge<T>(v0, vt);
      const kept1 = strict ? v128.gt<T>(v1, vt) : v128.ge<T>(v1, vt);
      v128.store(at<T>(y, i), v128.bitselect(v0, masked, kept0));
      v128.store(at<T>(y, i), v128.bitselect(v1, masked, kept1), 16);
    }
  }
  for (; i < end; i++) {
    const v = loadAs<T, S>(x, i);
    store<T>(at<T>(y, i), (strict ? v > theta : v >= theta) ? v : <T>-Infinity);
  }
}

/**
 * Indices of x[0..n) with theta <= x_i < below (no upper bound when below is NaN), in order,
 * into idx (at most cap); returns how many there are. Vectors with none cost a compare.
 */
function collect<T, S = T>(x: usize, n: i32, theta: f64, below: f64, idx: usize, cap: i32): i32 {
  const tt = <T>theta;
  const tb = <T>below;
  let count = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD && sizeof<S>() == 2) {
    // Halves by their order keys against those of the least halves at or above tt and tb (a
    // NaN half may pass: the loop over the vector's elements compares values).
    const mag = halfConstant(5);
    const vt = i16x8.splat(<i16>halfOrderAtLeast(<f32>tt));
    const vb = i16x8.splat(<i16>halfOrderAtLeast(<f32>tb));
    for (; i + 16 <= n; i += 16) {
      const p = atS<S>(x, i);
      const k0 = halfOrder8(v128.load(p), mag);
      const k1 = halfOrder8(v128.load(p, 16), mag);
      const in0 = v128.andnot(i16x8.ge_s(k0, vt), i16x8.ge_s(k0, vb));
      const in1 = v128.andnot(i16x8.ge_s(k1, vt), i16x8.ge_s(k1, vb));
      if (!v128.any_true(v128.or(in0, in1))) continue;
      for (let j = i; j < i + 16; j++) {
        const v = loadAs<T, S>(x, j);
        if (v >= tt && !(v >= tb)) {
          if (count < cap) store<i32>(idx + (<usize>count << 2), j);
          count++;
        }
      }
    }
  } else if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vt = v128.splat<T>(tt);
    const vb = v128.splat<T>(tb);
    for (; i + 2 * L <= n; i += 2 * L) {
      const p = at<T>(x, i);
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const in0 = v128.andnot(v128.ge<T>(v0, vt), v128.ge<T>(v0, vb));
      const in1 = v128.andnot(v128.ge<T>(v1, vt), v128.ge<T>(v1, vb));
      if (!v128.any_true(v128.or(in0, in1))) continue;
      for (let j = i; j < i + 2 * L; j++) {
        const v = load<T>(at<T>(x, j));
        if (v >= tt && !(v >= tb)) {
          if (count < cap) store<i32>(idx + (<usize>count << 2), j);
          count++;
        }
      }
    }
  }
  for (; i < n; i++) {
    const v = loadAs<T, S>(x, i);
    if (v >= tt && !(v >= tb)) {
      if (count < cap) store<i32>(idx + (<usize>count << 2), i);
      count++;
    }
  }
  return count;
}

/**
 * The band of the top-p cut over the stored weights w[0..n) (weigh's, summing to total): a
 * range [lo, hi] of weights such that the tokens above hi weigh less than `need` and those at
 * or above lo at least need, so that the token where the mass (heaviest first) reaches need
 * lies in it. A sample of every STRIDE-th weight guesses the range: its lightest values, each
 * below the cut, estimate the mass below it (total - need) with little spread, and the range is
 * that estimate widened by a few sample ranks each side (read off a histogram of the sample, so
 * rounded outwards to its buckets' edges). One pass checks the guess exactly and collects the
 * band's indices into idx in order (a side that misses is taken whole and the pass repeats),
 * and narrow then keeps the few around the crossing. Returns the band's count; out[0] = the
 * weight above the band (f64), out[1] = lo, a weight that every token the cut keeps reaches (0
 * when rounding left the check unsettled). s holds n values of T, h a histogram (histogram).
 */
function band<T>(w: usize, n: i32, total: f64, need: f64, idx: usize, s: usize, h: usize, out: usize): i32 {
  let m = 0;
  let least: u64 = U64.MAX_VALUE;
  let most: u64 = 0;
  for (let i = 0; i < n; i += STRIDE) {
    // A sample position that moves within its stride, so that a row's period cannot hide from it.
    const v = load<T>(at<T>(w, min(i + (m & (STRIDE - 1)), n - 1)));
    store<T>(at<T>(s, m), v);
    least = min(least, bitsOf<T>(v));
    most = max(most, bitsOf<T>(v));
    m++;
  }
  const shift = histogram<T>(s, m, least, most, h);
  const r = lightest(h, ((total - need) * <f64>m) / <f64>n);
  // The estimate of r errs by a multiple of the binomial deviation sqrt(min(r, m - r)): up to
  // about 2.9 of it on typical, flat and masked rows checked offline (30 of each kind). Twice the
  // deviation and a few ranks (for ties) usually hold; a side that misses is taken whole and the
  // pass repeats (below), which costs time, never the result.
  const spread = floorOf(2 * sqrt(<f64>min(r, m - r))) + 8;
  let lo: T = r - spread <= 0 ? <T>0 : lowerEdge<T>(bucketOf(h, r - spread), least, shift);
  let hi: T = r + spread >= m ? <T>Infinity : upperEdge<T>(bucketOf(h, r + spread), least, most, shift);
  let count = 0;
  for (let pass = 0; pass < 3; pass++) {
    count = bandPass<T>(w, n, lo, hi, idx, out);
    const above = load<f64>(out);
    const within = load<f64>(out, 16);
    store<f64>(out, <f64>lo, 8);
    if (above >= need) {
      lo = nextUp<T>(hi);
      hi = <T>Infinity;
    } else if (above + within < need && lo > <T>0) {
      hi = nextDown<T>(lo);
      lo = <T>0;
    } else return narrow<T>(w, idx, count, total, need, s, h, out);
  }
  // Rounding left both sides missed: nothing is known below.
  store<f64>(out, 0, 8);
  return count;
}

/**
 * Narrows a band (indices idx[0..count) of weights w, out[0] the weight above it, out[2] its
 * own) to about NARROW tokens each side of the one where the mass reaches need (whole buckets
 * of a histogram of the band's weights), by the stored weights: those above move to out[0].
 * Kept only when the crossing stays clear of the narrow band's edges by TOTAL_MARGIN of the
 * total (the host decides with weights rounded otherwise). Returns the band's count.
 */
function narrow<T>(w: usize, idx: usize, count: i32, total: f64, need: f64, s: usize, h: usize, out: usize): i32 {
  if (count <= 2 * NARROW) return count;
  let least: u64 = U64.MAX_VALUE;
  let most: u64 = 0;
  for (let j = 0; j < count; j++) {
    const v = load<T>(at<T>(w, load<i32>(idx + (<usize>j << 2))));
    store<T>(at<T>(s, j), v);
    least = min(least, bitsOf<T>(v));
    most = max(most, bitsOf<T>(v));
  }
  const shift = histogram<T>(s, count, least, most, h);
  // The band's lightest, below the crossing, weigh about above + within - need.
  const r = lightest(h, load<f64>(out) + load<f64>(out, 16) - need);
  const first = r - NARROW <= 0 ? 0 : bucketOf(h, r - NARROW);
  const last = r + NARROW >= count ? HISTOGRAM_BUCKETS - 1 : bucketOf(h, r + NARROW);
  let over = load<f64>(out);
  let within: f64 = 0;
  for (let b = first; b < HISTOGRAM_BUCKETS; b++) {
    const sum = load<f64>(h + (<usize>b << 3));
    if (b > last) over += sum;
    else within += sum;
  }
  const margin = TOTAL_MARGIN * total;
  if (!(over < need - margin && over + within >= need + margin)) return count;
  let kept = 0;
  for (let j = 0; j < count; j++) {
    const i = load<i32>(idx + (<usize>j << 2));
    const b = <i32>((bitsOf<T>(load<T>(at<T>(s, j))) - least) >> shift);
    store<i32>(idx + (<usize>kept << 2), i);
    kept += i32(b >= first && b <= last);
  }
  store<f64>(out, over);
  store<f64>(out, within, 16);
  return kept;
}

/** The bits of v >= 0 as an integer, which orders as the values do. */
// @ts-ignore: decorator
@inline
function bitsOf<T>(v: T): u64 {
  return sizeof<T>() == 4 ? <u64>reinterpret<u32>(<f32>v) : reinterpret<u64>(<f64>v);
}

/** The value of T whose bits are b (bitsOf's inverse). */
// @ts-ignore: decorator
@inline
function fromBits<T>(b: u64): T {
  return sizeof<T>() == 4 ? <T>reinterpret<f32>(<u32>b) : <T>reinterpret<f64>(b);
}

/**
 * The histogram at h of a[0..m) (values >= 0 whose bits lie in [least, most]): bucket
 * (bits - least) >> shift holds an f64 sum and an i32 count (after the sums), the shift the
 * least that fits the bits' span in HISTOGRAM_BUCKETS (a power of two); returns the shift. Buckets follow the
 * values' order, so a value's rank and the mass below it are read off whole buckets.
 */
function histogram<T>(a: usize, m: i32, least: u64, most: u64, h: usize): u64 {
  const span = most - least;
  const shift = <u64>max<i64>(0, 64 - <i64>clz(span) - <i64>ctz(HISTOGRAM_BUCKETS));
  const counts = h + (<usize>HISTOGRAM_BUCKETS << 3);
  for (let b = 0; b < HISTOGRAM_BUCKETS * 12; b += 8) store<i64>(h + b, 0);
  for (let j = 0; j < m; j++) {
    const v = load<T>(at<T>(a, j));
    const b = <usize>((bitsOf<T>(v) - least) >> shift);
    store<f64>(h + (b << 3), load<f64>(h + (b << 3)) + <f64>v);
    store<i32>(counts + (b << 2), load<i32>(counts + (b << 2)) + 1);
  }
  return shift;
}

/**
 * How many of the histogram's lightest values sum to at most budget: whole buckets, then the
 * crossing bucket's share at its mean value (an estimate within that bucket).
 */
function lightest(h: usize, budget: f64): i32 {
  budget = max(budget, 0);
  const counts = h + (<usize>HISTOGRAM_BUCKETS << 3);
  let below: f64 = 0;
  let count = 0;
  for (let b = 0; b < HISTOGRAM_BUCKETS; b++) {
    const sum = load<f64>(h + (<usize>b << 3));
    const c = load<i32>(counts + (<usize>b << 2));
    if (below + sum > budget) return count + min(c, floorOf(((budget - below) * <f64>c) / sum));
    below += sum;
    count += c;
  }
  return count;
}

/** The bucket of the histogram that holds the value of ascending rank `rank` (0-based, below the count). */
function bucketOf(h: usize, rank: i32): i32 {
  const counts = h + (<usize>HISTOGRAM_BUCKETS << 3);
  let seen = 0;
  for (let b = 0; b < HISTOGRAM_BUCKETS; b++) {
    seen += load<i32>(counts + (<usize>b << 2));
    if (seen > rank) return b;
  }
  return HISTOGRAM_BUCKETS - 1;
}

/** The least value bucket b can hold. */
// @ts-ignore: decorator
@inline
function lowerEdge<T>(b: i32, least: u64, shift: u64): T {
  return fromBits<T>(least + (<u64>b << shift));
}

/** The greatest value bucket b holds (at most the greatest of all, whose bits are most). */
// @ts-ignore: decorator
@inline
function upperEdge<T>(b: i32, least: u64, most: u64, shift: u64): T {
  return fromBits<T>(min(least + (<u64>(b + 1) << shift) - 1, most));
}

/** floor(f) for 0 <= f < 2^31 as an i32 (see roundedI32). */
// @ts-ignore: decorator
@inline
function floorOf(f: f64): i32 {
  return roundedI32(floor(f));
}

/** The next value of T above v >= 0 (Infinity stays). */
// @ts-ignore: decorator
@inline
function nextUp<T>(v: T): T {
  if (v == <T>Infinity) return v;
  return sizeof<T>() == 4 ? <T>reinterpret<f32>(reinterpret<u32>(<f32>v) + 1) : <T>reinterpret<f64>(reinterpret<u64>(<f64>v) + 1);
}

/** The next value of T below v > 0. */
// @ts-ignore: decorator
@inline
function nextDown<T>(v: T): T {
  return sizeof<T>() == 4 ? <T>reinterpret<f32>(reinterpret<u32>(<f32>v) - 1) : <T>reinterpret<f64>(reinterpret<u64>(<f64>v) - 1);
}

/**
 * One pass of band: into out[0] the sum of the weights above hi, into out[2] that of the band
 * [lo, hi], both in f64 (T lanes flushed every FLUSH elements); the band's indices into idx.
 * Returns the band's count.
 */
function bandPass<T>(w: usize, n: i32, lo: T, hi: T, idx: usize, out: usize): i32 {
  let above: f64 = 0;
  let within: f64 = 0;
  let count = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vl = v128.splat<T>(lo);
    const vh = v128.splat<T>(hi);
    while (i + L <= n) {
      const end = min(i + FLUSH, n);
      let sa = v128.splat<T>(0);
      let sb = sa;
      // Blocks of BAND_VECTORS vectors: the sums first, and only a block with a band token has
      // its vectors' band positions stored, every vector's, left-packed (shared/pack.ts), with
      // no branch on each: the band's tokens lie at random, and a branch on each vector cost
      // more where a part of them holds one (top-p 0.95's band over 4 typical rows of 151,936:
      // +60 us, Node 24), where a language row's few band tokens leave most blocks unread.
      for (; i + BAND_VECTORS * L <= end; i += BAND_VECTORS * L) {
        let any = v128.splat<i32>(0);
        for (let j = i; j < i + BAND_VECTORS * L; j += L) {
          const v = v128.load(at<T>(w, j));
          const up = v128.gt<T>(v, vh);
          const inside = v128.andnot(v128.ge<T>(v, vl), up);
          sa = v128.add<T>(sa, v128.and(v, up));
          sb = v128.add<T>(sb, v128.and(v, inside));
          any = v128.or(any, inside);
        }
        if (!v128.any_true(any)) continue;
        for (let j = i; j < i + BAND_VECTORS * L; j += L) {
          const v = v128.load(at<T>(w, j));
          count = storeBand<T>(idx, count, j, v128.andnot(v128.ge<T>(v, vl), v128.gt<T>(v, vh)));
        }
      }
      for (; i + L <= end; i += L) {
        const v = v128.load(at<T>(w, i));
        const up = v128.gt<T>(v, vh);
        const inside = v128.andnot(v128.ge<T>(v, vl), up);
        sa = v128.add<T>(sa, v128.and(v, up));
        sb = v128.add<T>(sb, v128.and(v, inside));
        count = storeBand<T>(idx, count, i, inside);
      }
      above += sumLanes<T>(sa);
      within += sumLanes<T>(sb);
    }
  }
  for (; i < n; i++) {
    const v = load<T>(at<T>(w, i));
    if (v > hi) above += <f64>v;
    else if (v >= lo) {
      within += <f64>v;
      store<i32>(idx + (<usize>count << 2), i);
      count++;
    }
  }
  store<f64>(out, above);
  store<f64>(out, within, 16);
  return count;
}

/** bandPass's positions of the lanes of a vector at i set in `inside`, at idx[count..); returns the new count. */
// @ts-ignore: decorator
@inline
function storeBand<T>(idx: usize, count: i32, i: i32, inside: v128): i32 {
  const bits = maskBits<T>(inside);
  storePositions<T>(idx + (<usize>count << 2), i, bits);
  return count + popcnt(bits);
}

/** The k-th largest of a[0..m) (1 <= k <= m); reorders a. Hoare selection, median of three. */
function kthLargest<T>(a: usize, m: i32, k: i32): T {
  let lo = 0;
  let hi = m - 1;
  const want = k - 1;
  while (lo < hi) {
    const mid = lo + ((hi - lo) >> 1);
    let p0 = load<T>(at<T>(a, lo));
    let p1 = load<T>(at<T>(a, mid));
    let p2 = load<T>(at<T>(a, hi));
    // median of three as the pivot
    if (p0 < p1) { const t = p0; p0 = p1; p1 = t; }
    if (p1 < p2) { const t = p1; p1 = p2; p2 = t; }
    if (p0 < p1) { const t = p0; p0 = p1; p1 = t; }
    const pivot = p1;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (load<T>(at<T>(a, i)) > pivot) i++;
      while (load<T>(at<T>(a, j)) < pivot) j--;
      if (i <= j) {
        const t = load<T>(at<T>(a, i));
        store<T>(at<T>(a, i), load<T>(at<T>(a, j)));
        store<T>(at<T>(a, j), t);
        i++;
        j--;
      }
    }
    // a[lo..j] >= pivot >= a[i..hi], and a[j+1..i-1] == pivot
    if (want <= j) hi = j;
    else if (want >= i) lo = i;
    else return pivot;
  }
  return load<T>(at<T>(a, want));
}

/**
 * The indices of the k largest of x[0..n) with every tie of the k-th value (1 <= k <= n), in
 * order, into idx; returns their count. Candidates pass a threshold that rises to the k-th
 * largest seen whenever the buffer fills, so the row is read once and never sorted. vals and
 * tmp hold cap values of T; cap >= n keeps any row of ties in.
 */
function topK<T, S = T>(x: usize, n: i32, k: i32, idx: usize, vals: usize, tmp: usize, cap: i32): i32 {
  // (SIMD builds: the scalar build's sample and candidates, two scalar passes over the row, took
  // 2.3x the loop's time in Chromium. Rows up to SAMPLED_UP_TO: in a longer one the loop's
  // threshold rises within its first part, and the sample's levels cost more than its branches.)
  if (ASC_FEATURE_SIMD && cap >= n && n <= SAMPLED_UP_TO && k <= sampleCount<T>(n)) {
    const count = sampledTopK<T, S>(x, n, k, idx, vals, tmp);
    if (count >= 0) return count;
  }
  let theta: T = <T>-Infinity;
  // Halves: theta's order key, found again only when theta moves (half.ts).
  let key = sizeof<S>() == 2 ? halfOrderAtLeast(<f32>theta) : 0;
  let count = 0;
  let trigger = min(cap, max(1024, 8 * k));
  let i = 0;
  while (i < n) {
    let end = n;
    if (ASC_FEATURE_SIMD) {
      // Skip vectors with nothing at or above the threshold; stop at the first that has (halves
      // by their order keys, from the first lane that passes to the end of its vector: the
      // elements below widen each half, so fewer is cheaper; a NaN passes here, not below).
      if (sizeof<S>() == 2) {
        const mag = halfConstant(5);
        const vt = i16x8.splat(<i16>key);
        for (; i + 8 <= n; i += 8) {
          const hits = i16x8.bitmask(i16x8.ge_s(halfOrder8(v128.load(atS<S>(x, i)), mag), vt));
          if (hits != 0) {
            end = i + 8;
            i += ctz(hits);
            break;
          }
        }
      } else {
        const L = lanes<T>();
        const vt = v128.splat<T>(theta);
        for (; i + 2 * L <= n; i += 2 * L) {
          const p = at<T>(x, i);
          if (v128.any_true(v128.or(v128.ge<T>(v128.load(p), vt), v128.ge<T>(v128.load(p, 16), vt)))) break;
        }
        end = min(i + 2 * L, n);
      }
    }
    for (; i < end; i++) {
      const v = loadAs<T, S>(x, i);
      if (!(v >= theta)) continue;
      store<i32>(idx + (<usize>count << 2), i);
      store<T>(at<T>(vals, count), v);
      count++;
      if (count >= trigger) {
        copyValues<T>(tmp, vals, count);
        theta = kthLargest<T>(tmp, count, k);
        if (sizeof<S>() == 2) key = halfOrderAtLeast(<f32>theta);
        count = compact<T>(idx, vals, count, theta);
        // Ties may keep the buffer full: give it room to make progress.
        if (count > trigger >> 1) trigger = min(cap, trigger << 1);
      }
    }
  }
  if (count > k) {
    copyValues<T>(tmp, vals, count);
    count = compact<T>(idx, vals, count, kthLargest<T>(tmp, count, k));
  }
  return count;
}

/**
 * topK's way for a row with a sample of at least k values: the row's sample, and the
 * samples of the sample (sampleLevels), into tmp; from the
 * smallest up, the k-th largest of a level's values at or above the bound of the level above
 * (candidates: only the blocks whose sample reaches it are read) bounds the next level's from
 * below, since a sample's values are entries of its level at distinct positions; the row's
 * candidates then hold its k largest and their ties, of which the k-th is selected exactly.
 * The passes branch on blocks, and on vectors only where the vectors keep lanes in runs
 * (candidates' probes; the loop below took a branch at random wherever its threshold let a part
 * of the entries through: topK 50 of 32,000 took 22 us on one row timed over and over, 60 us
 * over 8 rows, Node 24). Returns
 * the count, or -1 where the row holds a NaN or its k-th largest is -Infinity (topK's loop then
 * takes it).
 */
function sampledTopK<T, S>(x: usize, n: i32, k: i32, idx: usize, vals: usize, tmp: usize): i32 {
  if (isNaN(sampled<T, S>(x, n, false, tmp))) return -1;
  let level = sampleLevels<T>(tmp, n, false);
  let offset = topOffset;
  let m = topSize;
  let theta = <T>-Infinity;
  let above: usize = 0;
  for (; level > 0; level--) {
    const values = at<T>(tmp, offset);
    const count = candidates<T, T>(values, m, 0, 1, before<T>(theta), vals, idx, above);
    theta = count >= k ? kthLargest<T>(vals, count, k) : <T>-Infinity;
    above = values;
    if (level > 1) {
      m = levelSize<T>(n, level - 1);
      offset -= m;
    }
  }
  if (theta == <T>-Infinity) return -1;
  const count = candidates<T, S>(x, n, 0, 1, before<T>(theta), vals, idx, tmp);
  copyValues<T>(tmp, vals, count);
  return compact<T>(idx, vals, count, kthLargest<T>(tmp, count, k));
}

/** The largest T below v: x > before(v) exactly where x >= v (-Infinity for -Infinity: the finite x). nextAbove mirrored. */
// @ts-ignore: decorator
@inline
function before<T>(v: T): T {
  return v == <T>-Infinity ? v : -nextAbove<T>(-v);
}

/** a[0..m) = b[0..m) (a loop: memory.copy needs bulk memory, which the builds leave off). */
// @ts-ignore: decorator
@inline
function copyValues<T>(a: usize, b: usize, m: i32): void {
  for (let j = 0; j < m; j++) store<T>(at<T>(a, j), load<T>(at<T>(b, j)));
}

/** Keeps the entries of (idx, vals)[0..m) with vals >= theta, in order; returns how many. */
function compact<T>(idx: usize, vals: usize, m: i32, theta: T): i32 {
  let kept = 0;
  for (let j = 0; j < m; j++) {
    const v = load<T>(at<T>(vals, j));
    if (v >= theta) {
      store<i32>(idx + (<usize>kept << 2), load<i32>(idx + (<usize>j << 2)));
      store<T>(at<T>(vals, kept), v);
      kept++;
    }
  }
  return kept;
}

// ---- exports: one per kernel and dtype ----
// f16_ kernels read halves and compute in f32 (weights and kept rows come out f32); mask and
// band have none: the host widens a row it writes (penalties, mask) first, and band reads f32
// weights.

export { features, heapBase } from "../shared/module";

/** Index of the first maximum of x[0..n) (NaN counts as the maximum); -1 when n = 0. */
export function f32_argmax(x: usize, n: i32): i32 {
  return argmax<f32>(x, n);
}
export function f64_argmax(x: usize, n: i32): i32 {
  return argmax<f64>(x, n);
}
export function f16_argmax(x: usize, n: i32): i32 {
  return argmax<f32, u16>(x, n);
}
/**
 * For the finite argument of the weight passes: FINITE when the row f16_argmax last read held no
 * Inf or NaN half, MASKED when its only ones were -Infinity, else 0.
 */
export function f16_finite(): i32 {
  return halvesFinite ? FINITE : halvesMasked ? MASKED : 0;
}

const FINITE: i32 = 1;
const MASKED: i32 = 2;

/**
 * Whether the weight passes of (c, beta) may read the halves folded (S = i16): a FINITE row where
 * beta folds (foldsBeta), and a MASKED one where moreover each -Infinity half, read folded as
 * foldedMasked() (-2^16 unfolded), gets the weight a -Infinity gets, bit for bit: its
 * (o - o_c)*(beta*2^112), computed as the loops compute it, is at or below the exp's floor, to
 * which the exp raises -Infinity as well (beta > 0, c finite). The cuts compare the folded values
 * with thresholds: a -Infinity half lies below every finite one either way, and where the
 * threshold is -Infinity's own (no cut) it is kept, or not, with a weight of 0. Masked rows (a
 * grammar's, banned tokens) so sample at the speed of ordinary ones (docs/sampling.md).
 */
function readsFolded(finite: i32, c: f64, beta: f64): bool {
  const b = betaOf<f32>(beta);
  if (finite == FINITE) return foldsBeta(b);
  if (finite != MASKED || !(b > 0) || !foldsBeta(b) || !isFinite(<f32>c)) return false;
  return (foldedMasked() - sumCenter<f32, i16>(<f32>c)) * sumScale<f32, i16>(b) <= F32_FLOOR;
}
/** 1 when the row f16_argmax last read held many subnormal halves (half.ts's halvesSubnormal): the host widens it, and the f32 kernels read it. */
export function f16_subnormal(): i32 {
  return i32(halvesSubnormal);
}

/** Sets x_i = -Infinity where the packed bit mask has bit i clear. */
export function f32_mask(x: usize, n: i32, mask: usize): void {
  applyMask<f32>(x, n, mask);
}
export function f64_mask(x: usize, n: i32, mask: usize): void {
  applyMask<f64>(x, n, mask);
}

/** The weights exp(beta*(x_i - c)) of x[0..n) into w (c the row max); returns their sum (f64). */
export function f32_weigh(x: usize, n: i32, c: f64, beta: f64, w: usize): f64 {
  return raddstoreexpminusmax<f32>(x, w, n, <f32>c, betaOf<f32>(beta));
}
export function f64_weigh(x: usize, n: i32, c: f64, beta: f64, w: usize): f64 {
  return raddstoreexpminusmax<f64>(x, w, n, c, beta);
}
export function f16_weigh(x: usize, n: i32, c: f64, beta: f64, w: usize, finite: i32): f64 {
  if (readsFolded(finite, c, beta)) return raddstoreexpminusmax<f32, i16>(x, w, n, <f32>c, betaOf<f32>(beta));
  return raddstoreexpminusmax<f32, u16>(x, w, n, <f32>c, betaOf<f32>(beta));
}

/** The kept weights of the cut (theta, tie) per block into blocks (see keptBlocks); returns their total. */
export function f32_keptblocks(x: usize, n: i32, c: f64, beta: f64, theta: f64, tie: i32, blocks: usize): f64 {
  return keptBlocks<f32>(x, n, c, beta, theta, tie, blocks);
}
export function f64_keptblocks(x: usize, n: i32, c: f64, beta: f64, theta: f64, tie: i32, blocks: usize): f64 {
  return keptBlocks<f64>(x, n, c, beta, theta, tie, blocks);
}
export function f16_keptblocks(x: usize, n: i32, c: f64, beta: f64, theta: f64, tie: i32, blocks: usize, finite: i32): f64 {
  if (readsFolded(finite, c, beta)) return keptBlocks<f32, i16>(x, n, c, beta, theta, tie, blocks);
  return keptBlocks<f32, u16>(x, n, c, beta, theta, tie, blocks);
}

/** The first kept token whose running weight sum (index order) exceeds target (see draw; w: weigh's, or 0; blocks: keptBlocks's, or 0). */
export function f32_draw(x: usize, n: i32, c: f64, beta: f64, theta: f64, tie: i32, target: f64, w: usize, blocks: usize): i32 {
  return draw<f32>(x, w, n, c, beta, theta, tie, target, blocks);
}
export function f64_draw(x: usize, n: i32, c: f64, beta: f64, theta: f64, tie: i32, target: f64, w: usize, blocks: usize): i32 {
  return draw<f64>(x, w, n, c, beta, theta, tie, target, blocks);
}
export function f16_draw(x: usize, n: i32, c: f64, beta: f64, theta: f64, tie: i32, target: f64, w: usize, blocks: usize, finite: i32): i32 {
  if (finite == FINITE || readsFolded(finite, c, beta)) return draw<f32, i16>(x, w, n, c, beta, theta, tie, target, blocks);
  return draw<f32, u16>(x, w, n, c, beta, theta, tie, target, blocks);
}

/** y = the kept logits of the cut (theta, tie), -Infinity elsewhere (see keepCut). */
export function f32_keep(x: usize, n: i32, theta: f64, tie: i32, y: usize): void {
  keepCut<f32>(x, n, theta, tie, y);
}
export function f64_keep(x: usize, n: i32, theta: f64, tie: i32, y: usize): void {
  keepCut<f64>(x, n, theta, tie, y);
}
export function f16_keep(x: usize, n: i32, theta: f64, tie: i32, y: usize): void {
  keepCut<f32, u16>(x, n, theta, tie, y);
}

/** Indices with theta <= x_i < below (below NaN: no bound) into idx (at most cap); returns their count. */
export function f32_collect(x: usize, n: i32, theta: f64, below: f64, idx: usize, cap: i32): i32 {
  return collect<f32>(x, n, theta, below, idx, cap);
}
export function f64_collect(x: usize, n: i32, theta: f64, below: f64, idx: usize, cap: i32): i32 {
  return collect<f64>(x, n, theta, below, idx, cap);
}
export function f16_collect(x: usize, n: i32, theta: f64, below: f64, idx: usize, cap: i32): i32 {
  return collect<f32, u16>(x, n, theta, below, idx, cap);
}

/** The band of the top-p cut over weigh's weights w (see band): its indices into idx, its count returned; out[0] = the weight above it, out[1] = its lowest weight. */
export function f32_band(w: usize, n: i32, total: f64, need: f64, idx: usize, s: usize, h: usize, out: usize): i32 {
  return band<f32>(w, n, total, need, idx, s, h, out);
}
export function f64_band(w: usize, n: i32, total: f64, need: f64, idx: usize, s: usize, h: usize, out: usize): i32 {
  return band<f64>(w, n, total, need, idx, s, h, out);
}

/** Indices of the k largest with all ties of the k-th, in order, into idx; returns their count. */
export function f32_topk(x: usize, n: i32, k: i32, idx: usize, vals: usize, tmp: usize, cap: i32): i32 {
  return topK<f32>(x, n, k, idx, vals, tmp, cap);
}
export function f64_topk(x: usize, n: i32, k: i32, idx: usize, vals: usize, tmp: usize, cap: i32): i32 {
  return topK<f64>(x, n, k, idx, vals, tmp, cap);
}
export function f16_topk(x: usize, n: i32, k: i32, idx: usize, vals: usize, tmp: usize, cap: i32): i32 {
  return topK<f32, u16>(x, n, k, idx, vals, tmp, cap);
}
