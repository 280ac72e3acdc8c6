// Sampling kernels: the passes over a row of logits that choosing a token needs (src/sample.ts
// runs the chain). Pointers and lengths in, numbers out; T is f32 or f64. The host checks the
// row for NaN (argmax) before any other kernel sees it.
//
// Weights are w_i = exp(beta*(x_i - c)) with c the row max, so the largest weight is 1. A set
// of kept tokens is a prefix of the order (x descending, index ascending), given by a cut
// (theta, tie): token i is kept when x_i > theta, or x_i == theta and i <= tie.
// No kernel sorts the row: top-k keeps a small candidate buffer behind a rising threshold,
// and the rest are single passes.

import { expNonPositive, expNonPositiveV } from "../shared/exp";
import { at, betaOf, lanes, raddexpminusmaxabove } from "../shared/reduce";

// Elements per block of the draw walk: one block sum in SIMD, then a scalar walk of the block
// that crosses the target.
const WALK: i32 = 64;
// Copies of the histogram arrays (one per f32 lane).
const COPIES: i32 = 4;

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
function argmax<T>(x: usize, n: i32): i32 {
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
  // The first element equal to the maximum: usually a short scan.
  for (let j = 0; j < n; j++) if (load<T>(at<T>(x, j)) == best) return j;
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

/** Sum of the weights of x[start..end) at or above theta (above it when `strict`). */
// @ts-ignore: decorator
@inline
function keptSum<T>(x: usize, start: i32, end: i32, c: T, beta: T, theta: T, strict: bool): f64 {
  return raddexpminusmaxabove<T>(at<T>(x, start), end - start, c, beta, theta, strict);
}

/**
 * The inverse CDF over the kept tokens of x[0..n): the first kept index at which the running
 * sum of weights (index order) exceeds target; when rounding leaves target unreached, the last
 * kept token of positive weight; -1 when no kept token has weight. Blocks of WALK elements are
 * summed in SIMD and only the block that crosses is walked element by element (the scalar
 * exps equal the lanes).
 */
function draw<T>(x: usize, n: i32, c: f64, beta: f64, theta: f64, tie: i32, target: f64): i32 {
  const tc = <T>c;
  const tb = betaOf<T>(beta);
  const tt = <T>theta;
  const split = min(max(tie + 1, 0), n);
  let total: f64 = 0;
  for (let i = 0; i < n; ) {
    const stop = min(i + WALK, n);
    if (ASC_FEATURE_SIMD && (stop <= split || i >= split)) {
      const block = keptSum<T>(x, i, stop, tc, tb, tt, i >= split);
      if (total + block <= target) {
        total += block;
        i = stop;
        continue;
      }
    }
    for (; i < stop; i++) {
      const v = load<T>(at<T>(x, i));
      if (!(i < split ? v >= tt : v > tt)) continue;
      total += <f64>weight<T>(v, tc, tb);
      if (total > target) return i;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    const v = load<T>(at<T>(x, i));
    if ((i < split ? v >= tt : v > tt) && weight<T>(v, tc, tb) > <T>0) return i;
  }
  return -1;
}

/**
 * Indices of x[0..n) with theta <= x_i < below (no upper bound when below is NaN), in order,
 * into idx (at most cap); returns how many there are. Vectors with none cost a compare.
 */
function collect<T>(x: usize, n: i32, theta: f64, below: f64, idx: usize, cap: i32): i32 {
  const tt = <T>theta;
  const tb = <T>below;
  let count = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
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
    const v = load<T>(at<T>(x, i));
    if (v >= tt && !(v >= tb)) {
      if (count < cap) store<i32>(idx + (<usize>count << 2), i);
      count++;
    }
  }
  return count;
}

/**
 * Counts and weights of the tokens with x_i >= theta (theta = c + zmin/beta), in `buckets`
 * equal steps of z = beta*(x_i - c) from 0 down to zmin: bucket b holds -z in
 * [b, b + 1) * (-zmin / buckets), the last one also anything below. Only the few tokens above
 * theta are binned (one by one); the rest cost a SIMD compare.
 */
function histogram<T>(x: usize, n: i32, c: f64, beta: f64, theta: f64, zmin: f64, buckets: i32, counts: usize, masses: usize): void {
  const tc = <T>c;
  const tb = betaOf<T>(beta);
  const tt = <T>theta;
  const scale = <f64>buckets / -zmin;
  // Lane j of a vector tallies into copy j of the arrays (COPIES of `buckets` each), so that
  // neighbouring tokens in one bucket do not wait on each other's store; summed at the end.
  for (let b = 0; b < COPIES * buckets; b++) {
    store<i32>(counts + (<usize>b << 2), 0);
    store<f64>(masses + (<usize>b << 3), 0);
  }
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vt = v128.splat<T>(tt);
    const vc = v128.splat<T>(tc);
    const vb = v128.splat<T>(tb);
    const vs = v128.splat<T>(<T>scale);
    const top = v128.splat<T>(<T>(<f64>buckets - 0.75));
    const half = v128.splat<T>(<T>0.5);
    // Adding 1.5 * 2^23 (f32) or 1.5 * 2^52 (f64) leaves round(f) in the low mantissa bits.
    const magic = v128.splat<T>(<T>(sizeof<T>() == 4 ? 12582912.0 : 6755399441055744.0));
    for (; i + lanes<T>() <= n; i += lanes<T>()) {
      const v = v128.load(at<T>(x, i));
      const keep = v128.ge<T>(v, vt);
      if (!v128.any_true(keep)) continue;
      // Every lane is binned (no branch per lane): lanes below theta add weight 0 and count 0.
      const z = v128.mul<T>(v128.sub<T>(v, vc), vb);
      const w = v128.and(expNonPositiveV<T>(z), keep);
      const f = v128.sub<T>(v128.pmin<T>(v128.mul<T>(v128.neg<T>(z), vs), top), half);
      const b = v128.add<T>(f, magic);
      if (sizeof<T>() == 4) {
        tally(counts, masses, (i32x4.extract_lane(b, 0) & 0xffff), f32x4.extract_lane(w, 0), i32x4.extract_lane(keep, 0) & 1);
        tally(counts, masses, buckets * 1 + (i32x4.extract_lane(b, 1) & 0xffff), f32x4.extract_lane(w, 1), i32x4.extract_lane(keep, 1) & 1);
        tally(counts, masses, buckets * 2 + (i32x4.extract_lane(b, 2) & 0xffff), f32x4.extract_lane(w, 2), i32x4.extract_lane(keep, 2) & 1);
        tally(counts, masses, buckets * 3 + (i32x4.extract_lane(b, 3) & 0xffff), f32x4.extract_lane(w, 3), i32x4.extract_lane(keep, 3) & 1);
      } else {
        tally(counts, masses, (<i32>i64x2.extract_lane(b, 0) & 0xffff), f64x2.extract_lane(w, 0), <i32>i64x2.extract_lane(keep, 0) & 1);
        tally(counts, masses, buckets * 1 + (<i32>i64x2.extract_lane(b, 1) & 0xffff), f64x2.extract_lane(w, 1), <i32>i64x2.extract_lane(keep, 1) & 1);
      }
    }
  }
  for (; i < n; i++) bin<T>(load<T>(at<T>(x, i)), tc, tb, tt, scale, buckets, counts, masses);
  for (let copy = 1; copy < COPIES; copy++) {
    for (let b = 0; b < buckets; b++) {
      const from = copy * buckets + b;
      store<i32>(counts + (<usize>b << 2), load<i32>(counts + (<usize>b << 2)) + load<i32>(counts + (<usize>from << 2)));
      store<f64>(masses + (<usize>b << 3), load<f64>(masses + (<usize>b << 3)) + load<f64>(masses + (<usize>from << 3)));
    }
  }
}

// @ts-ignore: decorator
@inline
function tally(counts: usize, masses: usize, b: i32, w: f64, one: i32): void {
  const c = counts + (<usize>b << 2);
  const m = masses + (<usize>b << 3);
  store<i32>(c, load<i32>(c) + one);
  store<f64>(m, load<f64>(m) + w);
}

// @ts-ignore: decorator
@inline
function bin<T>(v: T, c: T, beta: T, theta: T, scale: f64, buckets: i32, counts: usize, masses: usize): void {
  if (!(v >= theta)) return;
  const z = (v - c) * beta;
  // floor(-z * scale), at most buckets - 1: f - 1/2 rounded to an integer by adding 1.5 * 2^52,
  // which leaves it in the low mantissa bits (a float-to-int conversion would need the
  // non-trapping feature the builds leave off).
  const f = min(-<f64>z * scale, <f64>buckets - 0.75) - 0.5;
  const b = <usize>(reinterpret<u64>(f + 6755399441055744.0) & 0xffff);
  store<i32>(counts + (b << 2), load<i32>(counts + (b << 2)) + 1);
  store<f64>(masses + (b << 3), load<f64>(masses + (b << 3)) + <f64>expNonPositive<T>(z));
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
function topK<T>(x: usize, n: i32, k: i32, idx: usize, vals: usize, tmp: usize, cap: i32): i32 {
  let theta: T = <T>-Infinity;
  let count = 0;
  let trigger = min(cap, max(1024, 8 * k));
  let i = 0;
  while (i < n) {
    let end = n;
    if (ASC_FEATURE_SIMD) {
      const L = lanes<T>();
      const vt = v128.splat<T>(theta);
      // Skip vectors with nothing at or above the threshold; stop at the first that has.
      for (; i + 2 * L <= n; i += 2 * L) {
        const p = at<T>(x, i);
        if (v128.any_true(v128.or(v128.ge<T>(v128.load(p), vt), v128.ge<T>(v128.load(p, 16), vt)))) break;
      }
      end = min(i + 2 * L, n);
    }
    for (; i < end; i++) {
      const v = load<T>(at<T>(x, i));
      if (!(v >= theta)) continue;
      store<i32>(idx + (<usize>count << 2), i);
      store<T>(at<T>(vals, count), v);
      count++;
      if (count >= trigger) {
        copyValues<T>(tmp, vals, count);
        theta = kthLargest<T>(tmp, count, k);
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

export { features, heapBase } from "../shared/module";

/** Index of the first maximum of x[0..n) (NaN counts as the maximum); -1 when n = 0. */
export function f32_argmax(x: usize, n: i32): i32 {
  return argmax<f32>(x, n);
}
export function f64_argmax(x: usize, n: i32): i32 {
  return argmax<f64>(x, n);
}

/** Sets x_i = -Infinity where the packed bit mask has bit i clear. */
export function f32_mask(x: usize, n: i32, mask: usize): void {
  applyMask<f32>(x, n, mask);
}
export function f64_mask(x: usize, n: i32, mask: usize): void {
  applyMask<f64>(x, n, mask);
}

/** Sum of the weights exp(beta*(x_i - c)) of the tokens the cut (theta, tie) keeps. */
export function f32_keptsum(x: usize, n: i32, c: f64, beta: f64, theta: f64, tie: i32): f64 {
  const split = min(max(tie + 1, 0), n);
  const tc = <f32>c;
  const tb = betaOf<f32>(beta);
  const tt = <f32>theta;
  return keptSum<f32>(x, 0, split, tc, tb, tt, false) + keptSum<f32>(x, split, n, tc, tb, tt, true);
}
export function f64_keptsum(x: usize, n: i32, c: f64, beta: f64, theta: f64, tie: i32): f64 {
  const split = min(max(tie + 1, 0), n);
  return keptSum<f64>(x, 0, split, c, beta, theta, false) + keptSum<f64>(x, split, n, c, beta, theta, true);
}

/** The first kept token whose running weight sum (index order) exceeds target (see draw). */
export function f32_draw(x: usize, n: i32, c: f64, beta: f64, theta: f64, tie: i32, target: f64): i32 {
  return draw<f32>(x, n, c, beta, theta, tie, target);
}
export function f64_draw(x: usize, n: i32, c: f64, beta: f64, theta: f64, tie: i32, target: f64): i32 {
  return draw<f64>(x, n, c, beta, theta, tie, target);
}

/** Indices with theta <= x_i < below (below NaN: no bound) into idx (at most cap); returns their count. */
export function f32_collect(x: usize, n: i32, theta: f64, below: f64, idx: usize, cap: i32): i32 {
  return collect<f32>(x, n, theta, below, idx, cap);
}
export function f64_collect(x: usize, n: i32, theta: f64, below: f64, idx: usize, cap: i32): i32 {
  return collect<f64>(x, n, theta, below, idx, cap);
}

/** Counts (i32) and weights (f64) of the tokens above theta in `buckets` steps of z (see histogram); counts and masses have room for 4 * buckets. */
export function f32_histogram(x: usize, n: i32, c: f64, beta: f64, theta: f64, zmin: f64, buckets: i32, counts: usize, masses: usize): void {
  histogram<f32>(x, n, c, beta, theta, zmin, buckets, counts, masses);
}
export function f64_histogram(x: usize, n: i32, c: f64, beta: f64, theta: f64, zmin: f64, buckets: i32, counts: usize, masses: usize): void {
  histogram<f64>(x, n, c, beta, theta, zmin, buckets, counts, masses);
}

/** Indices of the k largest with all ties of the k-th, in order, into idx; returns their count. */
export function f32_topk(x: usize, n: i32, k: i32, idx: usize, vals: usize, tmp: usize, cap: i32): i32 {
  return topK<f32>(x, n, k, idx, vals, tmp, cap);
}
export function f64_topk(x: usize, n: i32, k: i32, idx: usize, vals: usize, tmp: usize, cap: i32): i32 {
  return topK<f64>(x, n, k, idx, vals, tmp, cap);
}
