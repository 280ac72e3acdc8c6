// Row kernels over linear memory: softmax, log-softmax, LogSumExp, the online chunk
// reduction and normalization. Pointers and lengths in, numbers out; T is f32 or f64.
//
// Per row, with c = max(x) for beta >= 0 and c = min(x) for beta < 0, and m = beta*c:
//   m NaN       (a NaN in the row, or beta = 0 with an infinite entry): the row is NaN;
//   m = -Inf    (every entry masked): softmax 0, log-softmax -Inf, LSE -Inf;
//   m = +Inf    (k entries with score +Inf): those share 1/k, the rest get 0;
//   otherwise   the exps of beta*(x - c), which never overflow.
//
// The SIMD code is guarded by ASC_FEATURE_SIMD, so one source gives the SIMD, relaxed-SIMD
// (exp.ts's fused multiply-adds) and scalar builds; the scalar loops are the twins that
// handle tails and the whole of the scalar build.

import { expAny, expAnyV, expNonPositive, expNonPositiveV } from "./exp";
import { F32_MAX, at, betaOf, extremum, lanes, pickLanes, pickV } from "./reduce";

// Elements summed in T lanes before the partial sum moves to the f64 total: with 4
// accumulators of 4 f32 lanes, no lane adds more than 16 terms in f32.
const FLUSH: i32 = 256;
// Elements per block in the one-pass reduction: the block's extremum, then its exps,
// while the block is still in L1.
const BLOCK: i32 = 2048;
// Softmax rows longer than this many bytes (beyond L2) take the one-read path
// (softmaxLongRow), in blocks of BLOCK elements, or more when a row has over MAX_BLOCKS.
const LONG_ROW_BYTES: i32 = 256 * 1024;
const MAX_BLOCKS: i32 = 8192;
// softmaxLongRow redoes a block whose exponents, relative to the extremum seen so far, pass
// this: exp(64) is still far inside f32's range (about exp(88)).
const GUESS_SLACK: f64 = 64;

// @ts-ignore: decorator
@inline
function sumLanes<T>(v: v128): f64 {
  if (sizeof<T>() == 4) {
    const a = <f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1);
    return a + (<f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3));
  }
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/**
 * Sum of exp(beta*(x_i - c)) over x[0..n), in f64; with `keep`, each term is also stored
 * to y (which may be x). Exact for beta*(x_i - c) up to 88 (exp.ts's domain): c is the
 * extremum, except on the long-row path, which redoes a block past GUESS_SLACK.
 */
// @ts-ignore: decorator
@inline
function expSum<T>(x: usize, y: usize, n: i32, c: T, beta: T, keep: bool, track: bool = false): f64 {
  if (beta == <T>1) return expSumScaled<T>(x, y, n, c, beta, keep, track, false);
  return expSumScaled<T>(x, y, n, c, beta, keep, track, true);
}

// With `track`, expSum also leaves here the largest exp argument beta*(x_i - c) it met
// (NaN arguments are not seen: they reach the sum).
let trackedTop: f64 = 0;

/** expSum, without the multiply by beta unless `scaled`. */
// @ts-ignore: decorator
@inline
function expSumScaled<T>(x: usize, y: usize, n: i32, c: T, beta: T, keep: bool, track: bool, scaled: bool): f64 {
  let top: T = <T>-Infinity;
  let total: f64 = 0;
  let lost: f64 = 0; // Neumaier compensation of the f64 total: rows go up to 2^24 and more
  let i = 0;
  while (i < n) {
    const end = min(i + FLUSH, n);
    let part: f64 = 0;
    if (ASC_FEATURE_SIMD) {
      const L = lanes<T>();
      const vc = v128.splat<T>(c);
      const vb = v128.splat<T>(beta);
      let s0 = v128.splat<T>(0);
      let s1 = s0;
      let s2 = s0;
      let s3 = s0;
      let tv = v128.splat<T>(top);
      for (; i + 4 * L <= end; i += 4 * L) {
        const p = at<T>(x, i);
        const a0 = scaleV<T>(v128.sub<T>(v128.load(p), vc), vb, scaled);
        const a1 = scaleV<T>(v128.sub<T>(v128.load(p, 16), vc), vb, scaled);
        const a2 = scaleV<T>(v128.sub<T>(v128.load(p, 32), vc), vb, scaled);
        const a3 = scaleV<T>(v128.sub<T>(v128.load(p, 48), vc), vb, scaled);
        if (track) tv = v128.pmax<T>(v128.pmax<T>(tv, a0), v128.pmax<T>(a1, v128.pmax<T>(a2, a3)));
        const e0 = expNonPositiveV<T>(a0);
        const e1 = expNonPositiveV<T>(a1);
        const e2 = expNonPositiveV<T>(a2);
        const e3 = expNonPositiveV<T>(a3);
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
        const a0 = scaleV<T>(v128.sub<T>(v128.load(at<T>(x, i)), vc), vb, scaled);
        if (track) tv = v128.pmax<T>(tv, a0);
        const e0 = expNonPositiveV<T>(a0);
        if (keep) v128.store(at<T>(y, i), e0);
        s0 = v128.add<T>(s0, e0);
      }
      part = sumLanes<T>(v128.add<T>(v128.add<T>(s0, s1), v128.add<T>(s2, s3)));
      if (track) top = max<T>(top, pickLanes<T>(tv, false));
    }
    for (; i < end; i++) {
      const d = load<T>(at<T>(x, i)) - c;
      const a = scaled ? d * beta : d;
      if (track) top = max<T>(top, a);
      const e = expNonPositive<T>(a);
      if (keep) store<T>(at<T>(y, i), e);
      part += <f64>e;
    }
    const t = total + part;
    lost += abs(total) >= abs(part) ? (total - t) + part : (part - t) + total;
    total = t;
  }
  if (track) trackedTop = <f64>top;
  return total + lost;
}

// @ts-ignore: decorator
@inline
function scaleV<T>(d: v128, vb: v128, scaled: bool): v128 {
  return scaled ? v128.mul<T>(d, vb) : d;
}

/** y_i = y_i * s over y[0..n). */
// @ts-ignore: decorator
@inline
function scale<T>(y: usize, n: i32, s: T): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vs = v128.splat<T>(s);
    for (; i + 2 * L <= n; i += 2 * L) {
      const p = at<T>(y, i);
      v128.store(p, v128.mul<T>(v128.load(p), vs));
      v128.store(p, v128.mul<T>(v128.load(p, 16), vs), 16);
    }
    for (; i + L <= n; i += L) {
      const p = at<T>(y, i);
      v128.store(p, v128.mul<T>(v128.load(p), vs));
    }
  }
  for (; i < n; i++) {
    const p = at<T>(y, i);
    store<T>(p, load<T>(p) * s);
  }
}

/** y_i = beta*(x_i - c) - shift over x[0..n) (y may be x). */
// @ts-ignore: decorator
@inline
function logShift<T>(x: usize, y: usize, n: i32, c: T, beta: T, shift: T): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vc = v128.splat<T>(c);
    const vb = v128.splat<T>(beta);
    const vs = v128.splat<T>(shift);
    for (; i + 2 * L <= n; i += 2 * L) {
      const p = at<T>(x, i);
      const q = at<T>(y, i);
      const a = v128.load(p);
      const b = v128.load(p, 16);
      v128.store(q, v128.sub<T>(v128.mul<T>(v128.sub<T>(a, vc), vb), vs));
      v128.store(q, v128.sub<T>(v128.mul<T>(v128.sub<T>(b, vc), vb), vs), 16);
    }
    for (; i + L <= n; i += L) {
      const a = v128.load(at<T>(x, i));
      v128.store(at<T>(y, i), v128.sub<T>(v128.mul<T>(v128.sub<T>(a, vc), vb), vs));
    }
  }
  for (; i < n; i++) store<T>(at<T>(y, i), (load<T>(at<T>(x, i)) - c) * beta - shift);
}

/** y[0..n) = v. */
// @ts-ignore: decorator
@inline
function fill<T>(y: usize, n: i32, v: T): void {
  for (let i = 0; i < n; i++) store<T>(at<T>(y, i), v);
}

/** Number of x_i equal to c. */
// @ts-ignore: decorator
@inline
function countEqual<T>(x: usize, n: i32, c: T): i32 {
  let k = 0;
  for (let i = 0; i < n; i++) if (load<T>(at<T>(x, i)) == c) k++;
  return k;
}

/** A row whose scaled extremum m is not finite (see the header). */
function specialRow<T>(x: usize, y: usize, n: i32, c: T, m: f64, log: bool): void {
  if (isNaN(m)) {
    fill<T>(y, n, <T>NaN);
  } else if (m < 0) {
    fill<T>(y, n, log ? <T>-Infinity : <T>0);
  } else {
    const k = <f64>countEqual<T>(x, n, c);
    const share: T = log ? <T>-Math.log(k) : <T>(1.0 / k);
    const rest: T = log ? <T>-Infinity : <T>0;
    for (let i = 0; i < n; i++) {
      const p = at<T>(y, i);
      store<T>(p, load<T>(at<T>(x, i)) == c ? share : rest);
    }
  }
}

// Results of reduce(): the extremum c (a value of the row), m = beta*c, and
// s = sum of exp(beta*(x_i - c)). m = -Inf and s = 0 when nothing is unmasked.
let reducedC: f64 = 0;
let reducedM: f64 = 0;
let reducedS: f64 = 0;

/** One pass over x[0..n), block by block: sets reducedC, reducedM, reducedS. */
// @ts-ignore: decorator
@inline
function reduce<T>(x: usize, n: i32, beta: f64): void {
  const lowest = beta < 0;
  const b = betaOf<T>(beta);
  let c: f64 = lowest ? Infinity : -Infinity;
  let m: f64 = -Infinity;
  let s: f64 = 0;
  for (let i = 0; i < n; i += BLOCK) {
    const len = min(BLOCK, n - i);
    const p = at<T>(x, i);
    const cb = extremum<T>(p, len, lowest);
    const mb = beta * <f64>cb;
    if (isNaN(mb)) {
      c = NaN;
      m = NaN;
      s = NaN;
      break;
    }
    if (mb == -Infinity) continue; // every entry of the block is masked
    if (mb == Infinity) {
      const k = <f64>countEqual<T>(p, len, cb);
      if (m == Infinity) {
        s += k;
      } else {
        c = <f64>cb;
        m = mb;
        s = k;
      }
      continue;
    }
    if (m == Infinity) continue; // finite scores weigh nothing next to +Inf
    const sb = expSum<T>(p, 0, len, cb, b, false);
    if (m == -Infinity) {
      s = sb;
    } else if (mb > m) {
      s = s * Math.exp(beta * (c - <f64>cb)) + sb;
    } else {
      s += sb * Math.exp(beta * (<f64>cb - c));
      continue;
    }
    c = <f64>cb;
    m = mb;
  }
  reducedC = c;
  reducedM = m;
  reducedS = s;
}

/**
 * Softmax of a long row with one read of x from memory (then one pass over y), block by
 * block. Out of place, a block's exps are taken relative to the extremum c seen so far (the
 * row's is not known yet) while expSum tracks the largest exponent; a block where it passes
 * GUESS_SLACK (its values rose past c) is redone relative to its own extremum. In place,
 * where x is gone once y is written, each block's extremum comes first (the block is then
 * read again from L1). Block j's reference c_j is kept at `work`; the second pass scales
 * block j by exp(beta*(c_j - c))/s. Returns false, having written nothing final, on a NaN
 * or a non-finite scaled extremum: the caller redoes the row with the special-value rules.
 */
// @ts-ignore: decorator
@inline
function softmaxLongRow<T>(x: usize, y: usize, k: i32, beta: f64, work: usize): bool {
  const lowest = beta < 0;
  const b = betaOf<T>(beta);
  const size = max(BLOCK, (k + MAX_BLOCKS - 1) / MAX_BLOCKS);
  const guess = x != y;
  let c = extremum<T>(x, min(size, k), lowest);
  let s: f64 = 0;
  for (let j = 0, i = 0; i < k; j++, i += size) {
    const len = min(size, k - i);
    const px = at<T>(x, i);
    const py = at<T>(y, i);
    let cb = c;
    let sb: f64 = 0;
    if (guess) sb = expSum<T>(px, py, len, c, b, true, true);
    if (!guess || trackedTop > GUESS_SLACK) {
      cb = extremum<T>(px, len, lowest);
      if (!isFinite(beta * <f64>cb)) return false;
      sb = expSum<T>(px, py, len, cb, b, true);
    }
    if (i == 0) {
      s = sb;
      c = cb;
    } else if (beta * <f64>cb > beta * <f64>c) {
      s = s * Math.exp(beta * (<f64>c - <f64>cb)) + sb;
      c = cb;
    } else {
      s += cb == c ? sb : sb * Math.exp(beta * (<f64>cb - <f64>c));
    }
    if (isNaN(s) || !isFinite(beta * <f64>c)) return false;
    store<f64>(work + (<usize>j << 3), <f64>cb);
  }
  for (let j = 0, i = 0; i < k; j++, i += size) {
    const cj = load<f64>(work + (<usize>j << 3));
    scale<T>(at<T>(y, i), min(size, k - i), <T>(Math.exp(beta * (cj - <f64>c)) / s));
  }
  return true;
}

// @ts-ignore: decorator
@inline
function softmaxRows<T>(x: usize, y: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  const lowest = beta < 0;
  const b = betaOf<T>(beta);
  const long = k > LONG_ROW_BYTES / <i32>sizeof<T>();
  for (let r = 0; r < rows; r++) {
    const px = at<T>(x, r * k);
    const py = at<T>(y, r * k);
    if (long && softmaxLongRow<T>(px, py, k, beta, work)) continue;
    const c = extremum<T>(px, k, lowest);
    const m = beta * <f64>c;
    if (!isFinite(m)) {
      specialRow<T>(px, py, k, c, m, false);
      continue;
    }
    const s = expSum<T>(px, py, k, c, b, true);
    scale<T>(py, k, <T>(1.0 / s));
  }
}

// @ts-ignore: decorator
@inline
function logSoftmaxRows<T>(x: usize, y: usize, rows: i32, k: i32, beta: f64): void {
  const b = betaOf<T>(beta);
  for (let r = 0; r < rows; r++) {
    const px = at<T>(x, r * k);
    const py = at<T>(y, r * k);
    reduce<T>(px, k, beta);
    if (!isFinite(reducedM) || isNaN(reducedS)) {
      specialRow<T>(px, py, k, <T>reducedC, isNaN(reducedS) ? NaN : reducedM, true);
      continue;
    }
    if (sizeof<T>() == 4 && abs(beta) > F32_MAX) {
      // beta itself is beyond f32: evaluate in f64 so that out-of-range results round to
      // -Infinity instead of stopping at the clamped beta's -3.4e38.
      const shift = Math.log(reducedS);
      for (let i = 0; i < k; i++) {
        store<T>(at<T>(py, i), <T>((<f64>load<T>(at<T>(px, i)) - reducedC) * beta - shift));
      }
      continue;
    }
    logShift<T>(px, py, k, <T>reducedC, b, <T>Math.log(reducedS));
  }
}

// @ts-ignore: decorator
@inline
function logSumExpRows<T>(x: usize, out: usize, rows: i32, k: i32, beta: f64): f64 {
  let lse: f64 = -Infinity;
  for (let r = 0; r < rows; r++) {
    reduce<T>(at<T>(x, r * k), k, beta);
    lse = reducedM + Math.log(reducedS);
    if (out) store<T>(at<T>(out, r), <T>lse);
  }
  return lse;
}

// @ts-ignore: decorator
@inline
function reduceChunk<T>(x: usize, n: i32, beta: f64, out: usize): void {
  reduce<T>(x, n, beta);
  store<f64>(out, reducedC);
  store<f64>(out, reducedM, 8);
  store<f64>(out, reducedS, 16);
}

/**
 * y_i = beta*(x_i - c) - shift (log) or its exp, evaluated in f64 before the exp so that a
 * large c costs no precision.
 */
// @ts-ignore: decorator
@inline
function normalize<T>(x: usize, y: usize, n: i32, beta: f64, c: f64, shift: f64, log: bool): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vc = f64x2.splat(c);
    const vb = f64x2.splat(beta);
    const vs = f64x2.splat(shift);
    if (sizeof<T>() == 4) {
      for (; i + 4 <= n; i += 4) {
        const v = v128.load(at<T>(x, i));
        const lo = f64x2.promote_low_f32x4(v);
        const hi = f64x2.promote_low_f32x4(i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
        const tlo = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.mul(f64x2.sub(lo, vc), vb), vs));
        const thi = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.mul(f64x2.sub(hi, vc), vb), vs));
        const t = i8x16.shuffle(tlo, thi, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
        v128.store(at<T>(y, i), log ? t : expAnyV<T>(t));
      }
    } else {
      for (; i + 2 <= n; i += 2) {
        const t = f64x2.sub(f64x2.mul(f64x2.sub(v128.load(at<T>(x, i)), vc), vb), vs);
        v128.store(at<T>(y, i), log ? t : expAnyV<T>(t));
      }
    }
  }
  for (; i < n; i++) {
    const t = <T>((<f64>load<T>(at<T>(x, i)) - c) * beta - shift);
    store<T>(at<T>(y, i), log ? t : expAny<T>(t));
  }
}

// @ts-ignore: decorator
@inline
function expArray<T>(x: usize, y: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    for (; i + L <= n; i += L) v128.store(at<T>(y, i), expAnyV<T>(v128.load(at<T>(x, i))));
  }
  for (; i < n; i++) store<T>(at<T>(y, i), expAny<T>(load<T>(at<T>(x, i))));
}

// ---- exports: one per kernel and dtype ----

/** Features this build was compiled with: 1 = SIMD, 2 = relaxed SIMD. */
export function features(): i32 {
  return (ASC_FEATURE_SIMD ? 1 : 0) | (ASC_FEATURE_RELAXED_SIMD ? 2 : 0);
}

/** First byte the host may use for its own allocations. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * softmax of `rows` rows of `k` elements at x into y (y may be x); `work` has room for
 * MAX_BLOCKS f64.
 */
export function f32_softmax(x: usize, y: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  softmaxRows<f32>(x, y, rows, k, beta, work);
}
export function f64_softmax(x: usize, y: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  softmaxRows<f64>(x, y, rows, k, beta, work);
}

/** log-softmax of `rows` rows of `k` elements at x into y (y may be x). */
export function f32_logsoftmax(x: usize, y: usize, rows: i32, k: i32, beta: f64): void {
  logSoftmaxRows<f32>(x, y, rows, k, beta);
}
export function f64_logsoftmax(x: usize, y: usize, rows: i32, k: i32, beta: f64): void {
  logSoftmaxRows<f64>(x, y, rows, k, beta);
}

/** LogSumExp of each row, stored to out (when out is not 0); returns the last row's in f64. */
export function f32_logsumexp(x: usize, out: usize, rows: i32, k: i32, beta: f64): f64 {
  return logSumExpRows<f32>(x, out, rows, k, beta);
}
export function f64_logsumexp(x: usize, out: usize, rows: i32, k: i32, beta: f64): f64 {
  return logSumExpRows<f64>(x, out, rows, k, beta);
}

/** One-pass reduction of a chunk: writes f64 [c, beta*c, sum exp(beta*(x - c))] to out. */
export function f32_reduce(x: usize, n: i32, beta: f64, out: usize): void {
  reduceChunk<f32>(x, n, beta, out);
}
export function f64_reduce(x: usize, n: i32, beta: f64, out: usize): void {
  reduceChunk<f64>(x, n, beta, out);
}

/** y = exp(beta*(x - c) - shift), or the exponent itself when log is nonzero. */
export function f32_normalize(x: usize, y: usize, n: i32, beta: f64, c: f64, shift: f64, log: bool): void {
  if (log) normalize<f32>(x, y, n, beta, c, shift, true);
  else normalize<f32>(x, y, n, beta, c, shift, false);
}
export function f64_normalize(x: usize, y: usize, n: i32, beta: f64, c: f64, shift: f64, log: bool): void {
  if (log) normalize<f64>(x, y, n, beta, c, shift, true);
  else normalize<f64>(x, y, n, beta, c, shift, false);
}

/** y = exp(x) element-wise: the kernels' exp, exported for accuracy tests. */
export function f32_exp(x: usize, y: usize, n: i32): void {
  expArray<f32>(x, y, n);
}
export function f64_exp(x: usize, y: usize, n: i32): void {
  expArray<f64>(x, y, n);
}
