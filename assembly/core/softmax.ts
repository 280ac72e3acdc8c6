// Row kernels over linear memory: softmax, log-softmax, LogSumExp, the online chunk
// reduction and normalization. Pointers and lengths in, numbers out; T is f32 or f64.
//
// Per row, with c = max(x) for beta >= 0 and c = min(x) for beta < 0, and m = beta*c:
//   c NaN, or c infinite with beta = 0 (m NaN): the row is NaN;
//   c infinite, m = -Inf  (every entry masked): softmax 0, log-softmax -Inf, LSE -Inf;
//   c infinite, m = +Inf  (k entries with score +Inf): those share 1/k, the rest get 0;
//   c finite    the exps of beta*(x - c), which never overflow, even where beta*c does
//               (then LSE is m = ±Inf, and the difference still decides: the arg max).
// LSE = m + log1p(rest), rest the sum of the terms below the extremum, so that it keeps
// its relative accuracy near 0 (careful.ts computes rest where the fast sum cannot).
//
// Scalar exps and logs take exp.ts's exp and Math.log1p: AssemblyScript's Math.exp and
// Math.log bring 6 KB of lookup tables into the module (the rescaling exponents are <= 0).
//
// The SIMD code is guarded by ASC_FEATURE_SIMD, so one source gives the SIMD, relaxed-SIMD
// (exp.ts's fused multiply-adds) and scalar builds; the scalar loops are the twins that
// handle tails and the whole of the scalar build.

import { carefulOut, restSum, scaledDiff } from "../shared/careful";
import { expAny, expAnyWith, expConstant, expNonPositive, expWith } from "../shared/exp";
import { narrowHalves, widenHalves } from "../shared/half";
import { MAX_BLOCKS, RESULTS, R_C, R_K, R_M, R_R, R_TOP, result, resultAt, resultOf } from "../shared/results";
import {
  F32_MAX, FLUSH, SPLIT_BETA_F32, WIDE_C_F32, at, betaOf, extremum, lanes, pickAcross, pickV, raddexpminusmax, raddexpminusmaxrest,
  raddstoreexpminusmax, raddstoreexpminusmaxtop, widenExtremum,
} from "../shared/reduce";
// Elements per block in the one-pass reduction: the block's extremum, then its exps,
// while the block is still in L1.
const BLOCK: i32 = 2048;
// Softmax rows longer than this many bytes (beyond L2) take the one-read path
// (softmaxLongRow), in blocks of BLOCK elements, or more when a row has over MAX_BLOCKS
// (results.ts: the work space after the results area holds their references).
const LONG_ROW_BYTES: i32 = 256 * 1024;
// softmaxLongRow redoes a block whose exponents, relative to the extremum seen so far, pass
// this: exp(64) is still far inside f32's range (about exp(88)).
const GUESS_SLACK: f64 = 64;
// Where x - c may pass the dtype's range (|x - c| > max), the fast passes get -Inf: right for
// the exps when |beta|*max is beyond the exp's flush point (88 f32, 709 f64; 1024 covers
// both), right for log-softmax when |beta| >= 1. Below, careful.ts computes in halves.
const WIDE_EXP: f64 = 1024;
// x - c can only pass the dtype's range when |c| is at least half an ulp of its max.
const WIDE_C_F64: f64 = 9.9792015476736e291; // 2^970
// The fast sum's rounding (exp error and partial sums in T lanes: E1; rounding of the
// exponents, in proportion to them: E2) against the relative accuracy of LSE and
// log-softmax near 0 (budget: the promised 1e-6 f32, 1e-14 f64 of docs/core.md, at 80%); see restTooCoarse.
const CAREFUL_SUM_F32: f64 = 6e-8; // 2^-24 per f32 addition
const CAREFUL_EXP_F32: f64 = 2.7e-7; // 2.25 ulp
const CAREFUL_ARG_F32: f64 = 1.2e-7; // x - c and the product by beta, rounded to f32
const CAREFUL_BUDGET_F32: f64 = 0.8e-6;
const CAREFUL_SUM_F64: f64 = 3.3e-16; // the lanes' sums in f64 and the final additions
const CAREFUL_EXP_F64: f64 = 2.3e-16; // 1 ulp
const CAREFUL_ARG_F64: f64 = 2.3e-16;
const CAREFUL_BUDGET_F64: f64 = 0.8e-14;

/** The dtype's largest finite value. */
// @ts-ignore: decorator
@inline
function maxOf<T>(): f64 {
  return sizeof<T>() == 4 ? F32_MAX : f64.MAX_VALUE;
}

/** Whether this beta needs the careful f64 passes for every row (see WIDE_EXP). */
// @ts-ignore: decorator
@inline
function carefulBeta<T>(beta: f64): bool {
  return abs(beta) * maxOf<T>() < WIDE_EXP || (sizeof<T>() == 4 && abs(beta) > F32_MAX);
}

/** Whether log outputs beta*(x - c) - shift need careful.ts's halves for this row. */
// @ts-ignore: decorator
@inline
function wideLog<T>(beta: f64, c: f64): bool {
  return abs(beta) < 1 && abs(c) >= (sizeof<T>() == 4 ? WIDE_C_F32 : WIDE_C_F64);
}

// log2(m) - (m - 1) on [1, 2) is at most this (at m = 1/ln 2).
const LOG2_GAP: f64 = 0.0860713320559342;

/** A lower bound of log2(x) for x > 0 (within LOG2_GAP): exponent + (mantissa - 1). */
// @ts-ignore: decorator
@inline
function log2Low(x: f64): f64 {
  const bits = reinterpret<u64>(x);
  const exponent = <f64>(<i32>((bits >> 52) & 0x7ff) - 1023);
  return exponent + (reinterpret<f64>((bits & 0xfffffffffffff) | 0x3ff0000000000000) - 1);
}

/** The bound of the mean |exponent| of terms summing to `rest` over n entries (Jensen: log(n/rest)). */
// @ts-ignore: decorator
@inline
function spreadOf(n: i32, rest: f64): f64 {
  return max(0.0, (log2Low(<f64>n / rest) + LOG2_GAP) * Math.LN2);
}

/** Terms per lane of the exp-sums' partial sums in T, as their rounding grows (random walk). */
// @ts-ignore: decorator
@inline
function perLane<T>(n: i32): f64 {
  return Math.sqrt(<f64>min(n, FLUSH) / <f64>(4 * lanes<T>()));
}

/** The rounding of an exponent beta*(x - c), relative to it: x - c, and the product unless beta = 1. */
// @ts-ignore: decorator
@inline
function argError<T>(unscaled: bool): f64 {
  if (sizeof<T>() == 4) return unscaled ? CAREFUL_ARG_F32 * 0.5 : CAREFUL_ARG_F32;
  return CAREFUL_ARG_F64;
}

/**
 * Whether the fast sum s of a row of n may miss the relative accuracy of log(s) near 0. Its
 * absolute error: the partial sums in T lanes, about SUM*sqrt(terms per lane)*s; the rest
 * r <= s - 1 (the max's own term is exactly 1), EXP*r from the exp and ARG*(mean |exponent|)*r
 * from the rounding of the exponents, the mean at most log(n/r) (Jensen). log(s) moves by
 * that over s: relative to log(s), against the budget.
 */
// @ts-ignore: decorator
@inline
function sumTooCoarse<T>(s: f64, n: i32): bool {
  // Above these sums the bound holds at any row length (n < 2^31): no logs needed.
  if (s >= (sizeof<T>() == 4 ? 29.0 : 2.1)) return false;
  const rest = s - 1;
  if (!(rest > 0)) return true; // the rest rounded away: only the careful pass can tell it
  // Bounds from the exponent bits instead of two logs per row (small rows feel those).
  const l = log2Low(s) * Math.LN2;
  const spread = spreadOf(n, rest);
  if (sizeof<T>() == 4) {
    return CAREFUL_SUM_F32 * perLane<T>(n) * s + (CAREFUL_EXP_F32 + CAREFUL_ARG_F32 * spread) * rest > CAREFUL_BUDGET_F32 * s * l;
  }
  return CAREFUL_SUM_F64 * perLane<T>(n) * s + (CAREFUL_EXP_F64 + CAREFUL_ARG_F64 * spread) * rest > CAREFUL_BUDGET_F64 * s * l;
}

/**
 * A bound of the absolute error of one block's fast sum sb (n entries, relative to the block's
 * extremum, whose own term is exactly 1): sumTooCoarse's terms, for a block that lies below
 * the row's extremum (its whole sum is then part of the row's rest).
 */
// @ts-ignore: decorator
@inline
function blockError<T>(sb: f64, n: i32, unscaled: bool): f64 {
  const rest = sb - 1;
  const sum = (sizeof<T>() == 4 ? CAREFUL_SUM_F32 : CAREFUL_SUM_F64) * perLane<T>(n) * sb;
  if (!(rest > 0)) return sum;
  return sum + ((sizeof<T>() == 4 ? CAREFUL_EXP_F32 : CAREFUL_EXP_F64) + argError<T>(unscaled) * spreadOf(n, rest)) * rest;
}

/**
 * Whether the rest r of a row (k >= 1 entries at c) may miss its relative accuracy, when the
 * other blocks' sums err by at most `error` and the block at c contributes `rest` over its n
 * entries, summed apart from c (`compensated`: with its exponents' rounding carried:
 * raddexpminusmaxrest for f32, careful.ts's restSum for f64). Since (k + r)*log(k + r) >= r,
 * r's relative error within the budget is enough. A rest at the exp's underflow (terms
 * flushed or subnormal) only the careful pass can tell.
 */
// @ts-ignore: decorator
@inline
function restTooCoarse<T>(r: f64, rest: f64, n: i32, error: f64, compensated: bool): bool {
  if (!(r > (sizeof<T>() == 4 ? 1e-30 : 1e-290) * <f64>n)) return true;
  const spread = rest > 0 ? spreadOf(n, rest) : 0;
  let own: f64;
  if (sizeof<T>() == 4) {
    own = CAREFUL_SUM_F32 * perLane<T>(n) + CAREFUL_EXP_F32 + (compensated ? 0 : CAREFUL_ARG_F32 * spread);
    return error + own * rest > CAREFUL_BUDGET_F32 * r;
  }
  own = CAREFUL_SUM_F64 * perLane<T>(n) + CAREFUL_EXP_F64 + (compensated ? 0 : CAREFUL_ARG_F64 * spread);
  return error + own * rest > CAREFUL_BUDGET_F64 * r;
}

/** Whether an infinite extremum c is a +Infinity score (true) or masks the row (false). */
// @ts-ignore: decorator
@inline
function topScore(c: f64, lowest: bool): bool {
  return lowest ? c == -Infinity : c == Infinity;
}

/** The sum of v's lanes, in every lane (in T). */
// @ts-ignore: decorator
@inline
function addAcross<T>(v: v128): v128 {
  v = v128.add<T>(v, i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
  if (sizeof<T>() == 4) v = v128.add<T>(v, i8x16.shuffle(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11));
  return v;
}

/**
 * y_i = y_i * s over y[0..n). A function of its own, not inlined: engines optimize a module
 * function by function, and this loop, inside softmaxRows' large function, ran in the baseline
 * tier for the first hundreds of calls (V8 took 32 ms to optimize that function, 1 ms one
 * this size).
 */
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
    const share: T = log ? <T>-Math.log1p(k - 1) : <T>(1.0 / k);
    const rest: T = log ? <T>-Infinity : <T>0;
    for (let i = 0; i < n; i++) {
      const p = at<T>(y, i);
      store<T>(p, load<T>(at<T>(x, i)) == c ? share : rest);
    }
  }
}

/** Where blocks of halves are widened: the work space after the results area at `out`, 16-byte aligned. */
// @ts-ignore: decorator
@inline
function halfScratch(out: usize): usize {
  return (resultAt(out, RESULTS) + 15) & ~(<usize>15);
}

/**
 * restSum over n halves at `half`, widened block by block into halfScratch(out) (restSum's
 * sums add up over blocks: the same c throughout).
 */
function restSumHalves(half: usize, n: i32, c: f64, beta: f64, out: usize): void {
  const scratch = halfScratch(out);
  let k: f64 = 0;
  let r: f64 = 0;
  for (let i = 0; i < n; i += BLOCK) {
    const len = min(BLOCK, n - i);
    widenHalves(half + (<usize>i << 1), scratch, len);
    restSum<f32>(scratch, len, c, beta, out);
    k += resultOf(out, R_K);
    r += resultOf(out, R_R);
  }
  result(out, R_K, k);
  result(out, R_R, r);
}

/**
 * One pass over x[0..n), block by block, to the results area at `out`: the extremum c (a
 * value of the row) to R_C, m = beta*c to R_M, and the sum of exp(beta*(x_i - c)) as k + r:
 * k the count of entries at c (or 1, when the sum is far enough from 1 that the split does
 * not matter) to R_K, r the rest, with its relative accuracy, to R_R. m = -Inf and k = r = 0
 * when nothing is unmasked; c = +-Inf, r = 0 for +Inf scores.
 *
 * Where the sum is near 1 (a confident row: the log results near 0 need r's relative
 * accuracy), the block that holds c is summed again apart from its entries at c, each
 * exponent's rounding carried (raddexpminusmaxrest), while the other blocks keep their sums
 * (relative to their own extremum, so their exponents are small) under a bound; only a row
 * that bound cannot vouch for takes careful.ts's pass. With `half` (f32 only), the data are
 * the halves there instead of x: each block is widened into halfScratch(out) (into f32 `wide`
 * instead, when given: the whole row, widened up to a NaN) while its extremum is taken
 * (widenExtremum), so the halves are read from memory once (the held block is widened
 * again, unless in `wide`).
 */
function reduce<T>(x: usize, n: i32, beta: f64, out: usize, half: usize, wide: usize): void {
  const lowest = beta < 0;
  const b = betaOf<T>(beta);
  const careful = carefulBeta<T>(beta);
  let c: f64 = lowest ? Infinity : -Infinity;
  let s: f64 = 0;
  let top = false; // +Inf scores seen: s counts them
  let held = -1; // the block that holds c, or -1 when several do
  let heldSum: f64 = 0; // the sum of the blocks at c
  let heldError: f64 = 0; // a bound of its error
  let other: f64 = 0; // the sum of the other blocks, relative to c (kept apart: it is the rest)
  let error: f64 = 0; // a bound of its error
  for (let i = 0; i < n; i += BLOCK) {
    const len = min(BLOCK, n - i);
    let p = at<T>(x, i);
    let cb: f64;
    if (sizeof<T>() == 4 && half) {
      p = wide ? at<f32>(wide, i) : halfScratch(out);
      cb = <f64>widenExtremum(half + (<usize>i << 1), p, len, lowest);
    } else {
      cb = <f64>extremum<T>(p, len, lowest);
    }
    if (isNaN(cb) || (beta == 0 && !isFinite(cb))) {
      s = NaN;
      break;
    }
    if (!isFinite(cb)) {
      if (!topScore(cb, lowest)) continue; // every entry of the block is masked
      const k = <f64>countEqual<T>(p, len, <T>cb);
      if (top) s += k;
      else {
        top = true;
        c = cb;
        s = k;
      }
      continue;
    }
    if (top) continue; // finite scores weigh nothing next to +Inf
    if (careful) {
      // The extremum first; restSum sums the whole row below.
      if (lowest ? cb < c : cb > c) c = cb;
      continue;
    }
    const sb = raddexpminusmax<T>(p, len, <T>cb, b);
    const eb = blockError<T>(sb, len, b == <T>1);
    if (!isFinite(c)) {
      heldSum = sb;
    } else if (lowest ? cb < c : cb > c) {
      const scale = expNonPositive<f64>(scaledDiff(beta, c, cb));
      other = (other + heldSum) * scale;
      error = (error + heldError) * scale;
      heldSum = sb;
    } else {
      if (cb == c) {
        held = -1;
        heldSum += sb;
        heldError += eb;
      } else {
        const scale = expNonPositive<f64>(scaledDiff(beta, cb, c));
        other += sb * scale;
        error += eb * scale;
      }
      continue;
    }
    c = cb;
    held = i / BLOCK;
    heldError = eb;
  }
  if (!top && !isNaN(s)) s = other + heldSum;
  let m = beta * c;
  let k = s;
  let r: f64 = 0;
  if (isNaN(s)) {
    c = NaN;
    m = NaN;
    r = NaN;
  } else if (top) {
    m = Infinity;
  } else if (!isFinite(c)) {
    m = -Infinity;
    k = 0;
  } else if (careful || sumTooCoarse<T>(s, n)) {
    let exact = false;
    if (held >= 0 && (sizeof<T>() == 8 ? abs(c) < WIDE_C_F64 : abs(c) < WIDE_C_F32)) {
      // The other blocks' sums, and the held block's rest summed apart from its entries at c.
      const start = held * BLOCK;
      const len = min(BLOCK, n - start);
      let p = at<T>(x, start);
      if (sizeof<T>() == 4 && half) {
        if (wide) {
          p = at<f32>(wide, start);
        } else {
          p = halfScratch(out);
          widenHalves(half + (<usize>start << 1), p, len);
        }
      }
      let rest: f64;
      if (sizeof<T>() == 4) {
        const count = resultAt(out, R_K);
        rest = raddexpminusmaxrest(p, len, <f32>c, beta, count);
        k = load<f64>(count);
      } else {
        // f64: careful.ts's exact exponents, on this block only (one kernel less in the module).
        restSum<T>(p, len, c, beta, out);
        k = resultOf(out, R_K);
        rest = resultOf(out, R_R);
      }
      r = other + rest;
      exact = !restTooCoarse<T>(r, rest, len, error, sizeof<T>() == 8 || abs(beta) <= SPLIT_BETA_F32);
    }
    if (!exact) {
      if (sizeof<T>() == 4 && half) restSumHalves(half, n, c, beta, out);
      else restSum<T>(x, n, c, beta, out);
      k = resultOf(out, R_K);
      r = resultOf(out, R_R);
      if (isNaN(r)) {
        c = NaN;
        m = NaN;
        k = NaN;
      }
    }
  } else {
    k = 1;
    r = s - 1;
  }
  result(out, R_C, c);
  result(out, R_M, m);
  result(out, R_K, k);
  result(out, R_R, r);
}

/** log of the sum k + r of reduce(), with r's relative accuracy: log1p(k - 1 + r). */
// @ts-ignore: decorator
@inline
function logOfSum(k: f64, r: f64): f64 {
  return Math.log1p((k - 1) + r);
}

/**
 * Softmax of a long row with one read of x from memory (then one pass over y), block by
 * block. Out of place, a block's exps are taken relative to the extremum c seen so far (the
 * row's is not known yet) while raddstoreexpminusmaxtop tracks the largest exponent; a block
 * where it passes GUESS_SLACK (its values rose past c) is redone relative to its own
 * extremum. In place,
 * where x is gone once y is written, each block's extremum comes first (the block is then
 * read again from L1). A masked block gets 0s. Block j's reference c_j is kept at `work`; the
 * second pass scales block j by exp(beta*(c_j - c))/s. Returns false on a NaN or a +Inf
 * score before writing the block that holds it (the caller redoes the row with the
 * special-value rules, which only need the entries not yet written). `work` is the results
 * area (R_TOP) with the block references after it. With `half` (f32, in place: x = y), the
 * row is the halves there, each block widened into y as its extremum is taken
 * (widenExtremum) just before it is read, and guessed.
 */
// @ts-ignore: decorator
@inline
function softmaxLongRow<T>(x: usize, y: usize, k: i32, beta: f64, work: usize, half: usize): bool {
  const top = resultAt(work, R_TOP);
  const blocks = resultAt(work, RESULTS);
  const lowest = beta < 0;
  const b = betaOf<T>(beta);
  const size = max(BLOCK, (k + MAX_BLOCKS - 1) / MAX_BLOCKS);
  const halves = sizeof<T>() == 4 && half != 0;
  // Halves stay readable after their block of y is written: a wrong guess widens them again.
  const guess = x != y || halves;
  let c = halves ? <T>widenExtremum(half, y, min(size, k), lowest) : extremum<T>(x, min(size, k), lowest);
  let s: f64 = 0;
  let finite = false; // a block with a finite extremum was seen: c and s are the row's so far
  for (let j = 0, i = 0; i < k; j++, i += size) {
    const len = min(size, k - i);
    const px = at<T>(x, i);
    const py = at<T>(y, i);
    let cb = c;
    let sb: f64 = 0;
    // Halves: the block's extremum e comes with its widening, so the guess is checked before
    // the exps, against b*(e - c) in f32: the largest exponent the tracking sum would meet
    // (x - c rounds monotonically), so the same blocks are redone, each summed once, untracked.
    const e = halves && i > 0 ? <T>widenExtremum(half + (<usize>i << 1), py, len, lowest) : c;
    if (halves && (isNaN(e) || (!isFinite(e) && topScore(<f64>e, lowest)))) return false;
    let redo = !guess || !isFinite(c) || (halves && <f64>((e - c) * b) > GUESS_SLACK);
    if (!redo) {
      if (halves) {
        sb = raddstoreexpminusmax<T>(px, py, len, c, b);
      } else {
        store<f64>(top, -Infinity);
        sb = raddstoreexpminusmaxtop<T>(px, py, len, c, b, top);
        redo = load<f64>(top) > GUESS_SLACK;
      }
    }
    if (redo) {
      cb = halves ? e : extremum<T>(px, len, lowest);
      if (isNaN(cb) || (!isFinite(cb) && topScore(<f64>cb, lowest))) return false;
      if (!isFinite(cb)) {
        fill<T>(py, len, <T>0);
        store<f64>(blocks + (<usize>j << 3), <f64>cb);
        continue;
      }
      sb = raddstoreexpminusmax<T>(px, py, len, cb, b);
    }
    if (!finite) {
      s = sb;
      c = cb;
      finite = true;
    } else if (lowest ? cb < c : cb > c) {
      s = s * expNonPositive<f64>(scaledDiff(beta, <f64>c, <f64>cb)) + sb;
      c = cb;
    } else {
      s += cb == c ? sb : sb * expNonPositive<f64>(scaledDiff(beta, <f64>cb, <f64>c));
    }
    if (isNaN(s)) return false;
    store<f64>(blocks + (<usize>j << 3), <f64>cb);
  }
  if (!finite) return true; // every block masked: all 0s, written
  for (let j = 0, i = 0; i < k; j++, i += size) {
    const cj = load<f64>(blocks + (<usize>j << 3));
    scale<T>(at<T>(y, i), min(size, k - i), <T>(expNonPositive<f64>(scaledDiff(beta, cj, <f64>c)) / s));
  }
  return true;
}

// Rows of at most this many bytes whose length is a multiple of the lanes take
// softmaxShortRows: 8 elements of f32 in a lane at most, so its f32 sum stays as exact as
// raddstoreexpminusmax's.
const SHORT_ROW_BYTES: i32 = 128;

/**
 * Softmax of rows r, r + 1, ... of k elements (k a multiple of the lanes, k*sizeof<T>() <=
 * SHORT_ROW_BYTES), each row a few vectors: the extremum and the sum are folded across lanes
 * with shuffles, with no loop tails, f64 sums or per-row calls (batches of short rows cost
 * 2-5 ns/element on the general path). Stops at the first row whose scaled extremum is not
 * finite and returns its index (rows when all are done): the general path applies the
 * special-value rules to it. A NaN needs no check of its own: pmax/pmin pass over it, and
 * its exp makes the sum, so the whole row, NaN (or the extremum is NaN).
 */
// @ts-ignore: decorator
@inline
function softmaxShortRows<T>(x: usize, y: usize, r: i32, rows: i32, k: i32, beta: f64, lowest: bool): i32 {
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vb = v128.splat<T>(betaOf<T>(beta));
    const one = v128.splat<T>(<T>1);
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
    for (; r < rows; r++) {
      const px = at<T>(x, r * k);
      const py = at<T>(y, r * k);
      let a = v128.load(px);
      for (let j = L; j < k; j += L) a = pickV<T>(a, v128.load(at<T>(px, j)), lowest);
      const vc = pickAcross<T>(a, lowest);
      if (!isFinite(beta * <f64>v128.extract_lane<T>(vc, 0))) return r;
      let s = v128.splat<T>(0);
      for (let j = 0; j < k; j += L) {
        const e = expWith<T>(v128.mul<T>(v128.sub<T>(v128.load(at<T>(px, j)), vc), vb), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
        v128.store(at<T>(py, j), e);
        s = v128.add<T>(s, e);
      }
      const inverse = v128.div<T>(one, addAcross<T>(s));
      for (let j = 0; j < k; j += L) {
        const q = at<T>(py, j);
        v128.store(q, v128.mul<T>(v128.load(q), inverse));
      }
    }
  }
  return r;
}

// @ts-ignore: decorator
@inline
function softmaxRows<T>(x: usize, y: usize, rows: i32, k: i32, beta: f64, work: usize, half: usize): void {
  const lowest = beta < 0;
  const b = betaOf<T>(beta);
  const careful = carefulBeta<T>(beta);
  // Lengths against bytes / size, never k * size: that product passes i32 at 2 GiB rows.
  const long = (k > LONG_ROW_BYTES / <i32>sizeof<T>() || (sizeof<T>() == 4 && half != 0)) && !careful;
  const short = ASC_FEATURE_SIMD && !careful && k % lanes<T>() == 0 && k <= SHORT_ROW_BYTES / <i32>sizeof<T>();
  for (let r = 0; r < rows; r++) {
    if (short) {
      r = lowest ? softmaxShortRows<T>(x, y, r, rows, k, beta, true) : softmaxShortRows<T>(x, y, r, rows, k, beta, false);
      if (r == rows) break;
    }
    const px = at<T>(x, r * k);
    const py = at<T>(y, r * k);
    if (long) {
      // With halves (every row long, in place), a row the long path gives back is widened whole.
      const ph = sizeof<T>() == 4 && half ? half + (<usize>(r * k) << 1) : 0;
      if (softmaxLongRow<T>(px, py, k, beta, work, ph)) continue;
      if (ph) widenHalves(ph, py, k);
    }
    const c = extremum<T>(px, k, lowest);
    if (!isFinite(c)) {
      specialRow<T>(px, py, k, c, beta * <f64>c, false);
      continue;
    }
    if (careful) {
      restSum<T>(px, k, <f64>c, beta, work);
      carefulOut<T>(px, py, k, <f64>c, beta, 1.0 / (resultOf(work, R_K) + resultOf(work, R_R)), 0, false);
      continue;
    }
    const s = raddstoreexpminusmax<T>(px, py, k, c, b);
    scale<T>(py, k, <T>(1.0 / s));
  }
}

/**
 * log-softmax of rows at x into y; with `half` (f32 only), of the rows of halves there:
 * reduce widens each into y as it reads it, and the rest runs in place on y.
 */
// @ts-ignore: decorator
@inline
function logSoftmaxRows<T>(x: usize, y: usize, rows: i32, k: i32, beta: f64, work: usize, half: usize): void {
  const b = betaOf<T>(beta);
  for (let r = 0; r < rows; r++) {
    let px = at<T>(x, r * k);
    const py = at<T>(y, r * k);
    const ph = sizeof<T>() == 4 && half ? half + (<usize>(r * k) << 1) : 0;
    reduce<T>(px, k, beta, work, ph, ph ? py : 0);
    if (ph) px = py;
    const c = resultOf(work, R_C);
    if (!isFinite(c) || isNaN(resultOf(work, R_K))) {
      if (ph) widenHalves(ph, py, k); // reduce stops at a NaN

      specialRow<T>(px, py, k, <T>c, resultOf(work, R_M), true);
      continue;
    }
    const shift = logOfSum(resultOf(work, R_K), resultOf(work, R_R));
    if (carefulBeta<T>(beta) || wideLog<T>(beta, c)) {
      // beta beyond f32, or x - c beyond the dtype: in f64, out-of-range results round to -Inf.
      carefulOut<T>(px, py, k, c, beta, 0, shift, true);
      continue;
    }
    logShift<T>(px, py, k, <T>c, b, <T>shift);
  }
}

// @ts-ignore: decorator
@inline
function logSumExpRows<T>(x: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize, half: usize): f64 {
  let lse: f64 = -Infinity;
  for (let r = 0; r < rows; r++) {
    reduce<T>(at<T>(x, r * k), k, beta, work, half ? half + (<usize>(r * k) << 1) : 0, 0);
    lse = resultOf(work, R_M) + logOfSum(resultOf(work, R_K), resultOf(work, R_R));
    if (out) store<T>(at<T>(out, r), <T>lse);
  }
  return lse;
}

/**
 * y_i = beta*(x_i - c) - shift (log) or its exp, evaluated in f64 before the exp so that a
 * large c costs no precision.
 */
// @ts-ignore: decorator
@inline
function normalize<T>(x: usize, y: usize, n: i32, beta: f64, c: f64, shift: f64, log: bool): void {
  let i = 0;
  if (sizeof<T>() == 8 && wideLog<T>(beta, c)) {
    // x - c may pass f64's range: careful.ts's halves (f32 data never does in f64).
    for (; i < n; i++) {
      const t = scaledDiff(beta, load<f64>(at<f64>(x, i)), c) - shift;
      store<T>(at<T>(y, i), <T>(log ? t : expAny<f64>(t)));
    }
    return;
  }
  if (ASC_FEATURE_SIMD) {
    const vc = f64x2.splat(c);
    const vb = f64x2.splat(beta);
    const vs = f64x2.splat(shift);
    // The exp's constants loaded once (exp.ts says why).
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
    if (sizeof<T>() == 4) {
      for (; i + 4 <= n; i += 4) {
        const v = v128.load(at<T>(x, i));
        const lo = f64x2.promote_low_f32x4(v);
        const hi = f64x2.promote_low_f32x4(i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
        const tlo = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.mul(f64x2.sub(lo, vc), vb), vs));
        const thi = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.mul(f64x2.sub(hi, vc), vb), vs));
        const t = i8x16.shuffle(tlo, thi, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
        v128.store(at<T>(y, i), log ? t : expAnyWith<T>(t, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9));
      }
    } else {
      for (; i + 2 <= n; i += 2) {
        const t = f64x2.sub(f64x2.mul(f64x2.sub(v128.load(at<T>(x, i)), vc), vb), vs);
        v128.store(at<T>(y, i), log ? t : expAnyWith<T>(t, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9));
      }
    }
  }
  for (; i < n; i++) {
    const t = <T>((<f64>load<T>(at<T>(x, i)) - c) * beta - shift);
    store<T>(at<T>(y, i), log ? t : expAny<T>(t));
  }
}

// ---- exports: one per kernel and dtype ----

export { features, heapBase } from "../shared/module";

/**
 * softmax of `rows` rows of `k` elements at x into y (y may be x); `work` is the results area
 * with room for MAX_BLOCKS f64 after it (results.ts).
 */
export function f32_softmax(x: usize, y: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  softmaxF32(x, y, rows, k, beta, work, 0);
}
export function f64_softmax(x: usize, y: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  softmaxRows<f64>(x, y, rows, k, beta, work, 0);
}

/** The f32 softmax, once for f32 and f16 data (`half`: see softmaxLongRow). */
function softmaxF32(x: usize, y: usize, rows: i32, k: i32, beta: f64, work: usize, half: usize): void {
  softmaxRows<f32>(x, y, rows, k, beta, work, half);
}

/** log-softmax of `rows` rows of `k` elements at x into y (y may be x); `work`: the results area. */
export function f32_logsoftmax(x: usize, y: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  logSoftmaxF32(x, y, rows, k, beta, work, 0);
}
export function f64_logsoftmax(x: usize, y: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  logSoftmaxRows<f64>(x, y, rows, k, beta, work, 0);
}

/** The f32 log-softmax, once for f32 and f16 data (`half`: see logSoftmaxRows). */
function logSoftmaxF32(x: usize, y: usize, rows: i32, k: i32, beta: f64, work: usize, half: usize): void {
  logSoftmaxRows<f32>(x, y, rows, k, beta, work, half);
}

/**
 * LogSumExp of each row, stored to out (when out is not 0); returns the last row's in f64.
 * `work`: the results area.
 */
export function f32_logsumexp(x: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): f64 {
  return logSumExpF32(x, out, rows, k, beta, work, 0);
}
export function f64_logsumexp(x: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): f64 {
  return logSumExpRows<f64>(x, out, rows, k, beta, work, 0);
}

/** The f32 LogSumExp, once for f32 and f16 data (`half`: see reduce). */
function logSumExpF32(x: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize, half: usize): f64 {
  return logSumExpRows<f32>(x, out, rows, k, beta, work, half);
}

/**
 * One-pass reduction of a chunk: writes c, beta*c, k, r to slots R_C, R_M, R_K, R_R of the
 * results area at out, where k + r is the sum of exp(beta*(x - c)) (see reduce).
 */
export function f32_reduce(x: usize, n: i32, beta: f64, out: usize): void {
  reduce<f32>(x, n, beta, out, 0, 0);
}
export function f64_reduce(x: usize, n: i32, beta: f64, out: usize): void {
  reduce<f64>(x, n, beta, out, 0, 0);
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

// ---- f16 data: halves at x, computed in f32 (y, out and the results area in f32) ----

// Rows of halves are widened into y this many elements at a time (at least a row), then
// computed in place there while they are still in cache.
const HALF_GROUP: i32 = 8192;

/** Widens groups of rows of halves at x into y and runs an f32 row kernel on them in place. */
// @ts-ignore: decorator
@inline
function halfGroups(x: usize, y: usize, rows: i32, k: i32, beta: f64, work: usize, log: bool): void {
  const group = max(1, HALF_GROUP / max(k, 1));
  for (let r = 0; r < rows; r += group) {
    const g = min(group, rows - r);
    const py = at<f32>(y, r * k);
    widenHalves(x + (<usize>(r * k) << 1), py, g * k);
    if (log) f32_logsoftmax(py, py, g, k, beta, work);
    else softmaxF32(py, py, g, k, beta, work, 0);
  }
}

/**
 * softmax of rows of halves at x into f32 y; rows of HALF_GROUP or more take the one-read path
 * of long rows, widening block by block as they are read (in cache too: it saves a pass).
 */
export function f16_softmax(x: usize, y: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  if (k >= HALF_GROUP && !carefulBeta<f32>(beta)) softmaxF32(y, y, rows, k, beta, work, x);
  else halfGroups(x, y, rows, k, beta, work, false);
}

/** log-softmax of rows of halves at x into f32 y; rows of HALF_GROUP or more are widened block by block as reduce reads them. */
export function f16_logsoftmax(x: usize, y: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  if (k >= HALF_GROUP) logSoftmaxF32(0, y, rows, k, beta, work, x);
  else halfGroups(x, y, rows, k, beta, work, true);
}

/** LogSumExp of rows of halves at x (widened block by block into the work space) to f32 out. */
export function f16_logsumexp(x: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): f64 {
  return logSumExpF32(0, out, rows, k, beta, work, x);
}

/** The one-pass reduction of n halves at x (see f32_reduce); out needs BLOCK f32 of work space after the area. */
export function f16_reduce(x: usize, n: i32, beta: f64, out: usize): void {
  reduce<f32>(0, n, beta, out, x, 0);
}

/** f32_normalize of n halves at x into f32 y. */
export function f16_normalize(x: usize, y: usize, n: i32, beta: f64, c: f64, shift: f64, log: bool): void {
  widenHalves(x, y, n);
  f32_normalize(y, y, n, beta, c, shift, log);
}

/** dst = the n halves at src widened to f32, exactly: f16 data of the families that compute in f32. */
export function f16_widen(src: usize, dst: usize, n: i32): void {
  widenHalves(src, dst, n);
}

/** dst = the n f32s at src rounded to halves, ties to even (dst may be src): f16 outputs. */
export function f16_narrow(src: usize, dst: usize, n: i32): void {
  narrowHalves(src, dst, n);
}
