// Sparse distributions over linear memory: alpha-entmax (Peters et al. 2019; alpha = 2 is
// sparsemax, Martins & Astudillo 2016) and its backward pass. Pointers and lengths in; T is f32
// or f64. (alpha = 1, softmax, is the core's: the host never sends it here.) Rows of halves
// (f16_entmax) are computed in f32: only steps 1 and 2 below read the row, widening its halves
// exactly as they load them; the rest works on the f32 candidates.
//
// Per row, with c the row's max (min for beta < 0) and a = (alpha - 1)*beta, the scores are
// X_i = a*(x_i - c) <= 0 (max 0) and the output is p_i = [X_i - tau]_+^kappa, kappa =
// 1/(alpha - 1), with tau the threshold that makes the row sum to 1. No sort, and a cost that
// does not depend on the values: the threshold of any subset of the scores is a lower bound of
// the row's (the subset's sum at the row's threshold is at most 1), so
//   1. one pass finds the extremum and keeps a sample: the lane-wise maxima of each block of
//      SAMPLE_VECTORS vectors (1/16 of the row, holding its largest entries);
//   2. the sample's threshold (a search over the sample alone) less a margin is the floor: the
//      row's entries above it are the candidates, copied with their positions to a work area
//      in one pass that reads only the blocks whose sample is above the floor. (tau lies in [-1, 0) too: the max alone sums to 1 at -1.) On a typical row
//      the floor is -1's neighbourhood; on a flat one it leaves the support and few others;
//   3. the threshold is searched on the candidates from the floor: Newton's method on the
//      kappa-norm of the positive part, N(tau) = (sum_i [X_i - tau]_+^kappa)^(1/kappa), which is
//      convex and decreasing: from the left of the root every step stays on the left and the
//      support only shrinks (the candidates are compacted as it does). N is linear where the
//      support's values are equal, so the steps converge in a few passes. Each step is kept
//      inside the bracket [lo, hi] of the passes so far (the bisection's midpoint otherwise).
//      Sparsemax (kappa = 1) and entmax 1.5 (kappa = 2) then take the exact threshold of the
//      support {X_i > tau}: (sum (X - tau) - 1)/n, or the smaller root of
//      sum (X - tau - d)^2 = 1, the answer when no entry of the support falls below it. Other
//      alphas stop when Newton's step is below the dtype's resolution. A threshold below the
//      floor (the margin not enough: rounding) sends the row back to step 2 with the floor -1;
//   4. the output is zeroed and each candidate's probability stored at its position (other
//      alphas: from the terms the last pass left, corrected by a series in the last step, so
//      that the output takes no power where no entry lies near the threshold; see writeOutput).
// For other alphas the powers are (s + X)^kappa = s^kappa*(1 + X/s)^kappa with s = -tau: the
// log1p of X/s keeps the digits that 1/(alpha - 1) magnifies near alpha = 1, where the plain
// difference X - tau loses them.

import { expAny, expConstant, expNonPositive, expWith } from "../shared/exp";
import { halfConstant, halfNotPositive8, holdsSpecial, loneRow, positiveEdge, raiseHalfTop, sampleSubnormal, widen4, widenFinite4, widenHalves, widenSmallRun } from "../shared/half";
import { FLUSH, add64, at, atS, betaOf, high, lanes, loadAs, loadLanes, pickLanes, roundedI32, roundingOf, sumLanes, widenConstant } from "../shared/reduce";
import { packed } from "../shared/pack";
import { candidates, levelSize, maskBits, rowHalvesFinite, rowHalvesSubnormal, sampleLevels, sampled, scoresAt, topOffset, topSize } from "../shared/sample";
import { logOf, logRoughF32, logRoughF32x4, logV, powAny, powAnyWith, tinyOf } from "./pow";

// The kinds of alpha, each with loops of its own.
const SPARSEMAX: i32 = 1; // alpha = 2, kappa = 1
const QUADRATIC: i32 = 2; // alpha = 1.5, kappa = 2
const GENERAL: i32 = 3; // any other alpha > 1
// alpha = 1 + 1/n, kappa = n in [INTEGER_FROM, INTEGER_TO] (1.1, 1.2, 1.25, 4/3, ...): GENERAL's
// search and output with the powers taken by multiplications instead of a log and an exp.
const INTEGER: i32 = 4;
const INTEGER_FROM: i32 = 3;
// Above it, the f32 powers' rounding (about n units of the last place, as the log-and-exp
// path's) would take a large part of the contract's 2e-6.
const INTEGER_TO: i32 = 16;
// The largest |kappa - n| taken as kappa = n: the output moves by at most about
// |kappa - n|/(e*n), far below the contract's 1e-13 (1 + 1/n in f64 gives |kappa - n| <= 1e-14).
const INTEGER_SLACK: f64 = 1e-13;

// Passes over the candidates at most (bisection alone halves the bracket 100 times).
const MAX_PASSES: i32 = 100;

// The part of the row's sum that a GENERAL search may leave (1% of the contract's 1e-6 and 1e-12).
const SUM_LEFT_F32: f64 = 1e-8;
const SUM_LEFT_F64: f64 = 1e-14;

// What a sample's threshold is lowered by to give the next level's floor (2^-16, 2^-36): above
// its rounding, a few units of T's last place. A sample's GENERAL search may stop within
// 1/SAMPLE_SETTLE of it (the floor then still lies below the row's threshold).
const MARGIN_F32: f64 = 1.52587890625e-5;
const MARGIN_F64: f64 = 1.4551915228366852e-11;
const SAMPLE_SETTLE: f64 = 16;

// solve's rough passes: from this many candidates of a row, and the band ROUGH_BAND*kappa around 1
// within which a rough sum is not taken to tell the side of the root (over twice the rough
// terms' relative error, 3.5e-7*kappa plus f32's roundings).
const ROUGH_FROM: i32 = 512;
const ROUGH_BAND: f64 = 2e-6;
// A whole kappa's f32 row whose rough pass's step leaves at most this of the row's sum goes to
// the output with that step, without an exact pass. The step is the root of the row's sum as a
// polynomial in the step (modelStep: the pass takes the sums of w^(n - j), j <= 4, so that the
// model's first left-out term, and its bound, is the fifth power of the step, where Halley's
// step leaves its third: on 12 flat rows at alpha = 1.2 Halley's bound passed 6, and its steps,
// taken on all 12 as a trial, missed the output's sum on the other 6; with the model, 132 of the
// 630 rows of a grid at alpha = 1 + 1/n took an exact pass, against 224, and none missed the
// sum). The output's sum (in f64, of
// the f32 outputs: a pass over the row) must then be within VERIFY_SUM of 1, else the row's search
// goes on, exact, from that step, and the row is written again. An output moves by at most what
// the row's sum misses (each term is monotone in tau), so 3e-7 keeps f32's 1e-6 for the sums and
// 2e-6 for the entries; the rough terms' own error (up to 1.2e-7*kappa of the sum) made 1e-7 miss
// on 32 of the 120 rows of a test grid (typical, masked and confident rows of 600 to 100,000 at
// alpha = 1 + 1/n) that took the shortcut, 3e-7 on 3.
const VERIFY_LEFT: f64 = 1e-7;
// The smallest kappa that takes the shortcut (the model's sums of w^(n - 4) need n >= 4).
const VERIFY_FROM: f64 = 4;
const VERIFY_SUM: f64 = 3e-7;
// A checked search of this many candidates or more, on a row whose largest entry takes at most
// 1/ESTIMATE_SPREAD of the sum at the floor (most of the sum lies in many entries: flat rows),
// starts from an estimate (see scores): the threshold of every ESTIMATE_STRIDE-th vector of the
// row (every ESTIMATE_STRIDE_LOW-th below kappa = ESTIMATE_LOW_BELOW: at alpha = 1.2 the
// steps from a sixteenth's estimate passed the bound on 3 of 8 flat rows, from an eighth's on 5;
// at 1.1 both on all), after at most ESTIMATE_PASSES passes over them. (Rows whose sum lies in a
// few entries have floors near their thresholds already, and a part of them estimates nothing.)
const ESTIMATE_FROM: i32 = 4096;
const ESTIMATE_SPREAD: f64 = 64;
const ESTIMATE_STRIDE: i32 = 16;
const ESTIMATE_STRIDE_LOW: i32 = 8;
const ESTIMATE_LOW_BELOW: f64 = 8;
const ESTIMATE_PASSES: i32 = 2;
// A row whose part's support (at the part's last pass) stands for this much of it or more is
// dense: its scores are all copied, in order (scores, stride 1), instead of its candidates with
// their positions (a flat row at alpha = 1.1 has 32,000 candidates of 32,000, at 1.2 30,600).
const DENSE: f64 = 0.75;
// How a row's search may go (solve's `mode`): exact passes only; a rough first pass where it is
// long; and its step left to the output's sum to check (entmaxRow: only where y is not x, since a
// miss's search, like any, goes back to the row if its threshold falls below the floor).
const SEARCH_EXACT: i32 = 0;
const SEARCH_ROUGH: i32 = 1;
const SEARCH_CHECKED: i32 = 2;
// (SEARCH_ESTIMATE: the part's search (see scores), whose rough passes end after ESTIMATE_PASSES.)
const SEARCH_ESTIMATE: i32 = 3;

// The largest |d|*max(kappa, 1) for which writeOutput takes the series of (1 - d)^kappa: 2^-5
// (f32), 2^-9 (f64).
const TERMS_STEP_F32: f64 = 0.03125;
const TERMS_STEP_F64: f64 = 0.001953125;

// f32 elements of the f16 backward pass's work area (one per thread): g's widened block
// (src/sparse/wasm.ts's HALF_BLOCK, the same number). A multiple of FLUSH.
const HALF_BLOCK: i32 = 2048;
// Entmax 1.5's f16 blocks: which operands were widened by loops of their own (y into out, g into work).
const SPLIT_Y: i32 = 1;
const SPLIT_G: i32 = 2;

// A pass's sums over the support {X_i > tau}: n, sum t, sum t^2 (QUADRATIC) or
// sum (1 + X/s)^kappa (GENERAL), sum (1 + X/s)^(kappa - 1) (GENERAL), and the support's
// smallest X; a threshold found (thresholdAbove); sum (1 + X/s)^(kappa - 2) (GENERAL); the tau
// at which a GENERAL pass left its terms (1 + X/s)^kappa in the work area (NaN: none, see
// writeOutput); INTEGER's sums of w^(n - 3) and w^(n - 4) (f32 rough passes, see
// modelStep). Module-internal: the host never reads them. Globals, not a memory.data slot:
// parallel()'s threads share the memory (a slot there is one for all of them, and their passes
// overwrote each other's sums), while each thread's instance has globals of its own.
const P_N: i32 = 0;
const P_S1: i32 = 1;
const P_S2: i32 = 2;
const P_G: i32 = 3;
const P_MIN: i32 = 4;
const P_TAU: i32 = 5;
const P_H: i32 = 6;
const P_TERMS: i32 = 7;
const P_W3: i32 = 8;
const P_W4: i32 = 9;
let pass0: f64 = 0;
let pass1: f64 = 0;
let pass2: f64 = 0;
let pass3: f64 = 0;
let pass4: f64 = 0;
let pass5: f64 = 0;
let pass6: f64 = 0;
let pass7: f64 = 0;
let pass8: f64 = 0;
let pass9: f64 = 0;
// Set by solve where an f32 row's threshold comes from a rough pass unchecked (see VERIFY_LEFT);
// entmaxRow then checks the output's sum. A global for parallel()'s threads, as the sums above.
let unverified = false;
// The part of the threshold solve returned last that f64 does not hold (0 but for the exact
// kinds' f64 rows): writeOutput subtracts it too, as it subtracts an f32 row's tau - tt.
let tauLow: f64 = 0;

// @ts-ignore: decorator
@inline
function passOf(i: i32): f64 {
  return i == 0 ? pass0 : i == 1 ? pass1 : i == 2 ? pass2 : i == 3 ? pass3 : i == 4 ? pass4 : i == 5 ? pass5 : i == 6 ? pass6 : i == 7 ? pass7 : i == 8 ? pass8 : pass9;
}

// @ts-ignore: decorator
@inline
function setPass(i: i32, v: f64): void {
  if (i == 0) pass0 = v;
  else if (i == 1) pass1 = v;
  else if (i == 2) pass2 = v;
  else if (i == 3) pass3 = v;
  else if (i == 4) pass4 = v;
  else if (i == 5) pass5 = v;
  else if (i == 6) pass6 = v;
  else if (i == 7) pass7 = v;
  else if (i == 8) pass8 = v;
  else pass9 = v;
}

// Lane constants of the loops, loaded from memory at each use: V8 13 to 15 rebuild a v128.const at
// each use inside a loop (three instructions, see shared/exp.ts); a load is one.
const LANE_ONE: i32 = 0;
const LANE_TWO: i32 = 1;
const LANE_TINY: i32 = 2;
const LANE_INFINITY: i32 = 3;
const F32_LANES = memory.data<f32>([1, 2, 1.1754943508222875e-38, Infinity]);
const F64_LANES = memory.data<f64>([1, 2, 2.2250738585072014e-308, Infinity]);

/** Lane constant k (LANE_*) of T in every lane. */
// @ts-ignore: decorator
@inline
function laneConstant<T>(k: i32): v128 {
  if (sizeof<T>() == 4) return v128.load32_splat(F32_LANES + (<usize>k << 2));
  return v128.load64_splat(F64_LANES + (<usize>k << 3));
}

/** Whether the kind searches with Halley's steps and powers (GENERAL and INTEGER). */
// @ts-ignore: decorator
@inline
function powered(kind: i32): bool {
  return kind >= GENERAL;
}

/** The kind of alpha (see the kinds above). */
function kindOf(alpha: f64): i32 {
  if (alpha == 2) return SPARSEMAX;
  if (alpha == 1.5) return QUADRATIC;
  const kappa = 1 / (alpha - 1);
  const n = Math.round(kappa);
  return n >= INTEGER_FROM && n <= INTEGER_TO && abs(kappa - n) <= INTEGER_SLACK ? INTEGER : GENERAL;
}

/**
 * w^e of each lane for e >= 1 by squaring and multiplying from e's top bit down; top is the
 * largest power of two at most e. About log2(e) + popcount(e) multiplications, each rounded
 * once: the result is within about e units of T's last place of w^e, relative.
 */
// @ts-ignore: decorator
@inline
function powIntV<T>(w: v128, e: i32, top: i32): v128 {
  let p = w;
  for (let b = top >> 1; b != 0; b >>= 1) {
    p = v128.mul<T>(p, p);
    if (e & b) p = v128.mul<T>(p, w);
  }
  return p;
}

/** Scalar twin of powIntV. */
// @ts-ignore: decorator
@inline
function powInt<T>(w: T, e: i32, top: i32): T {
  let p = w;
  for (let b = top >> 1; b != 0; b >>= 1) {
    p *= p;
    if (e & b) p *= w;
  }
  return p;
}

/** INTEGER's n, kappa rounded (other kinds: INTEGER_FROM, unused). */
// @ts-ignore: decorator
@inline
function integerOf(kind: i32, kappa: f64): i32 {
  return kind == INTEGER ? roundedI32(kappa) : INTEGER_FROM;
}

/** The largest power of two at most e (e >= 1): powInt's `top`. */
// @ts-ignore: decorator
@inline
function topBit(e: i32): i32 {
  return 1 << (31 - clz(e));
}

/** count minus the mask: each kept lane (all ones, -1) adds one to its lane of count (i32 or i64 lanes as T). */
// @ts-ignore: decorator
@inline
function subMask<T>(count: v128, mask: v128): v128 {
  return sizeof<T>() == 4 ? i32x4.sub(count, mask) : i64x2.sub(count, mask);
}

/** The sum of the i32 lanes. */
// @ts-ignore: decorator
@inline
function sumI32(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

// How a row is stored (entmaxRow's `storage`): as T, as halves (T = f32), as halves known
// finite (sampled's rowHalvesFinite: widened without the Inf/NaN step).
const AS_T: i32 = 0;
const AS_HALVES: i32 = 1;
const AS_FINITE_HALVES: i32 = 2;

/** candidates<T, S> with S as `storage` says (one copy of the search for every storage). */
// @ts-ignore: decorator
@inline
function candidatesAs<T>(storage: i32, x: usize, k: i32, c: T, a: T, floor: T, w: usize, wi: usize, s: usize): i32 {
  if (sizeof<T>() == 4 && storage == AS_HALVES) return candidates<T, u16>(x, k, c, a, floor, w, wi, s);
  if (sizeof<T>() == 4 && storage == AS_FINITE_HALVES) return candidates<T, i16>(x, k, c, a, floor, w, wi, s);
  return candidates<T, T>(x, k, c, a, floor, w, wi, s);
}

/**
 * Keeps the candidates of src[0..m) above `floor` (a lower bound of the threshold: the others
 * cannot be in the support), in order, in dst (which may be src); returns their count.
 */
function compact<T>(src: usize, dst: usize, m: i32, floor: T): i32 {
  let kept = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vf = v128.splat<T>(floor);
    for (; i + L <= m; i += L) {
      const X = v128.load(at<T>(src, i));
      const mask = v128.gt<T>(X, vf);
      if (!v128.any_true(mask)) continue;
      const bits = maskBits<T>(mask);
      // Left-packed (shared/pack.ts): kept <= i, so in place the store stays within what was read.
      v128.store(at<T>(dst, kept), packed<T>(X, bits));
      kept += popcnt(bits);
    }
  }
  for (; i < m; i++) {
    const X = load<T>(at<T>(src, i));
    store<T>(at<T>(dst, kept), X);
    kept += i32(X > floor);
  }
  return kept;
}

/**
 * w = 1 + X/s = (X - tau)/s of each lane (s = -tau, r = 1/s): f32 as 1 + X*r, whose log
 * logRelativeV takes as a log1p of X*r (near alpha = 1, kappa = 1/(alpha - 1) magnifies the
 * rounding of X - tau with tau rounded to f32); f64 as (X - tau)*r, exact in X - tau where X is
 * near tau (the entries whose powers kappa < 1 magnify most; f32 rows at alpha > 2 come here
 * widened, see widenedRows).
 */
// @ts-ignore: decorator
@inline
function relativeV<T>(X: v128, vt: v128, vr: v128, one: v128): v128 {
  if (sizeof<T>() == 8) return v128.mul<T>(v128.sub<T>(X, vt), vr);
  return v128.add<T>(one, v128.mul<T>(X, vr));
}

/** Scalar twin of relativeV. */
// @ts-ignore: decorator
@inline
function relativeOf<T>(X: T, t: T, r: T): T {
  if (sizeof<T>() == 8) return (X - t) * r;
  return <T>1 + X * r;
}

/**
 * log w of each lane for w = relativeV(X) in (0, 1] (lanes below T's smallest normal as if at
 * it). f32: log1p(u), u = X*r, from u and w = 1 + u rounded: log w, plus the part of u that the
 * rounding of w dropped, (u - (w - 1))/w. That part is 0 unless w >= 1/2 (then w - 1 is exact),
 * where (2 - w) stands for 1/w: its error, (1 - w)^2/w of the part, moves w^kappa by at most
 * 0.54/kappa of it.
 */
// @ts-ignore: decorator
@inline
function logRelativeV<T>(X: v128, w: v128, vr: v128, vrl: v128, one: v128, two: v128, tiny: v128): v128 {
  const logw = logV<T>(v128.pmax<T>(w, tiny));
  if (sizeof<T>() == 8) return logw;
  return v128.add<T>(logw, droppedV<T>(X, w, vr, vrl, one, two));
}

/**
 * f32: the part of u = X*r that the rounding of w = 1 + u dropped, relative to w:
 * (u - (w - 1))*(2 - w), 2 - w standing for 1/w (see logRelativeV).
 */
// @ts-ignore: decorator
@inline
function droppedV<T>(X: v128, w: v128, vr: v128, vrl: v128, one: v128, two: v128): v128 {
  return v128.mul<T>(v128.add<T>(v128.sub<T>(v128.mul<T>(X, vr), v128.sub<T>(w, one)), v128.mul<T>(X, vrl)), v128.sub<T>(two, w));
}

/** Scalar twin of droppedV. */
// @ts-ignore: decorator
@inline
function droppedOf<T>(X: T, w: T, r: T, rl: T): T {
  return (X * r - (w - <T>1) + X * rl) * (<T>2 - w);
}

/** Scalar twin of logRelativeV. */
// @ts-ignore: decorator
@inline
function logRelativeOf<T>(X: T, w: T, r: T, rl: T): T {
  const logw = logOf<T>(max<T>(w, tinyOf<T>()));
  if (sizeof<T>() == 8) return logw;
  return logw + droppedOf<T>(X, w, r, rl);
}

/**
 * w^n (INTEGER) from q = w^n as powIntV rounded it, w = relativeV(X): f32 takes back the part of
 * X*r that the rounding of w dropped, as logRelativeV does, times n/w (w^n's relative slope), with
 * (2 - w) for 1/w (vn: n in every lane). f64 takes q as it is.
 */
// @ts-ignore: decorator
@inline
function correctedV<T>(q: v128, X: v128, w: v128, vr: v128, vrl: v128, one: v128, two: v128, vn: v128): v128 {
  if (sizeof<T>() == 8) return q;
  return v128.add<T>(q, v128.mul<T>(q, v128.mul<T>(vn, droppedV<T>(X, w, vr, vrl, one, two))));
}

/** Scalar twin of correctedV. */
// @ts-ignore: decorator
@inline
function correctedOf<T>(q: T, X: T, w: T, r: T, rl: T, n: T): T {
  if (sizeof<T>() == 8) return q;
  return q + q * (n * droppedOf<T>(X, w, r, rl));
}

/**
 * log w of each lane as logRelativeV (`rough`: f32 only, within ~3.5e-7, logRoughF32x4; the
 * search's early passes).
 */
// @ts-ignore: decorator
@inline
function logTermV<T>(X: v128, w: v128, vr: v128, vrl: v128, one: v128, two: v128, tiny: v128, rough: bool): v128 {
  if (rough && sizeof<T>() == 4) return logRoughF32x4(v128.pmax<T>(w, tiny));
  return logRelativeV<T>(X, w, vr, vrl, one, two, tiny);
}

/** Scalar twin of logTermV. */
// @ts-ignore: decorator
@inline
function logTermOf<T>(X: T, w: T, r: T, rl: T, rough: bool): T {
  if (rough && sizeof<T>() == 4) return <T>logRoughF32(<f32>max<T>(w, tinyOf<T>()));
  return logRelativeOf<T>(X, w, r, rl);
}

/**
 * One pass over the candidates w[0..m) at tau: the sums of PASS for the kind; GENERAL also
 * stores each candidate's term (1 + X/s)^kappa (0 off the support) at terms[0..m) (0: not),
 * and with `rough` (f32) takes each term's log from logRoughF32x4 (see solve); with `moments`
 * (f32 INTEGER) also the sums of w^(n - 3) and w^(n - 4) (P_W3, P_W4: modelStep's).
 */
// @ts-ignore: decorator
@inline
function sumsAt<T>(w: usize, m: i32, tau: f64, kind: i32, kappa: f64, terms: usize, rough: bool, moments: bool = false): void {
  const tt = <T>tau;
  const kk = <T>kappa;
  // GENERAL and INTEGER: the terms (1 + X/s)^kappa, s = -tau; INTEGER's by multiplications,
  // w^(n - 2) first (n >= 3), then w^(n - 1) and w^n from it.
  const r = <T>(-1 / tau);
  // What r's rounding dropped (f32; f64's relativeV does not take r's low part).
  const rl = <T>(-1 / tau - <f64>r);
  const ni = integerOf(kind, kappa);
  const e2 = ni - 2;
  const top2 = topBit(e2);
  // `moments` (f32 INTEGER, n >= 4: the row's checked rough pass) also sums w^(n - 3) and
  // w^(n - 4) (modelStep's): w^(n - 4) first (1 where n = 4), then w^(n - 3) and w^(n - 2). (A copy
  // of the loop of its own, 0.4 KB of gzipped wasm a build: taken in every rough pass, the samples'
  // and the part's too, the two more products and sums made flat rows at alpha = 1.1 1.12x slower.)
  const e4 = max(ni - 4, 1);
  const top4 = topBit(e4);
  let n = 0;
  let s3: f64 = 0;
  let s4: f64 = 0;
  let s1: f64 = 0;
  let s2: f64 = 0;
  let sg: f64 = 0;
  let sh: f64 = 0;
  // f64 exact kinds: what s1's and s2's additions dropped (Neumaier; each vector block's sums
  // are added so, the scalar loop's terms one by one). Their sums set the threshold's last
  // shift (solve): the support's n terms, each near 1/n, summed plainly lost up to n units of
  // the sum's last place (1.4e-12 of the row's sum for flat rows of 151,936, 2e-11 at a million).
  let lost1: f64 = 0;
  let lost2: f64 = 0;
  let low: T = <T>Infinity;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vt = v128.splat<T>(tt);
    const vr = v128.splat<T>(r);
    const vrl = v128.splat<T>(rl);
    const vk = v128.splat<T>(kk);
    const vn = v128.splat<T>(<T>ni);
    const zero = v128.splat<T>(0);
    const one = laneConstant<T>(LANE_ONE);
    const two = laneConstant<T>(LANE_TWO);
    const tiny = laneConstant<T>(LANE_TINY);
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
    let vlow = v128.splat<T>(low);
    // The support's count, as the kept masks' lanes (-1 each) subtracted.
    let vcount = v128.splat<i32>(0);
    // f32 powered kinds: the support's smallest w = 1 + X/s, as the smallest unsigned bits of w
    // over every lane (lanes off the support have w <= 0: -0 and negatives have the sign bit, so
    // only w = +0, an entry exactly at tau, can be below a kept lane; it then counts as the
    // support's smallest, which only delays solve's stop by a pass).
    let vloww = v128.splat<i32>(-1);
    const vt64 = f64x2.splat(<f64>tt);
    const zero64 = f64x2.splat(0);
    // The sums in f64 lanes: an error e in tau moves the row's sum by n*e.
    let a1 = f64x2.splat(0);
    let a2 = a1;
    let a3 = a1;
    let a4 = a1;
    let a5 = a1;
    let a6 = a1;
    let a2b = a1;
    // GENERAL's derivative sums (the step's, not the row sum's) in T lanes over FLUSH elements.
    while (i + L <= m) {
      const end = min(i + FLUSH, m);
      let b3 = zero;
      let b4 = zero;
      let b5 = zero;
      let b6 = zero;
      // f64 exact kinds: the block's sums (added to s1 and s2 below).
      let b1 = zero64;
      let b2 = zero64;
      if (sizeof<T>() == 4 && kind == INTEGER) {
        // Two vectors a step, as writeOutput's: the powers' multiplications interleaved under one
        // walk of the exponent's bits (the row's sum in a second f64 sum, a2b).
        for (; i + 2 * L <= end; i += 2 * L) {
          const X0 = v128.load(at<T>(w, i));
          const X1 = v128.load(at<T>(w, i + L));
          const w0 = relativeV<T>(X0, vt, vr, one);
          const w1 = relativeV<T>(X1, vt, vr, one);
          const k0 = v128.gt<T>(w0, zero);
          const k1 = v128.gt<T>(w1, zero);
          if (!v128.any_true(v128.or(k0, k1))) {
            if (terms != 0) {
              v128.store(at<T>(terms, i), zero);
              v128.store(at<T>(terms, i + L), zero);
            }
            continue;
          }
          vcount = subMask<T>(subMask<T>(vcount, k0), k1);
          vloww = i32x4.min_u(i32x4.min_u(vloww, w0), w1);
          // w^(n - 4) (moments) or w^(n - 2), then up to w^(n - 2).
          let h0 = w0;
          let h1 = w1;
          const e = moments ? e4 : e2;
          for (let b = (moments ? top4 : top2) >> 1; b != 0; b >>= 1) {
            h0 = v128.mul<T>(h0, h0);
            h1 = v128.mul<T>(h1, h1);
            if (e & b) {
              h0 = v128.mul<T>(h0, w0);
              h1 = v128.mul<T>(h1, w1);
            }
          }
          if (moments) {
            if (ni == 4) {
              h0 = one;
              h1 = one;
            }
            b6 = v128.add<T>(v128.add<T>(b6, v128.and(h0, k0)), v128.and(h1, k1));
            h0 = v128.mul<T>(h0, w0);
            h1 = v128.mul<T>(h1, w1);
            b5 = v128.add<T>(v128.add<T>(b5, v128.and(h0, k0)), v128.and(h1, k1));
            h0 = v128.mul<T>(h0, w0);
            h1 = v128.mul<T>(h1, w1);
          }
          const g0 = v128.mul<T>(h0, w0);
          const g1 = v128.mul<T>(h1, w1);
          const gw0 = v128.mul<T>(g0, w0);
          const gw1 = v128.mul<T>(g1, w1);
          const q0 = v128.and(rough ? gw0 : correctedV<T>(gw0, X0, w0, vr, vrl, one, two, vn), k0);
          const q1 = v128.and(rough ? gw1 : correctedV<T>(gw1, X1, w1, vr, vrl, one, two, vn), k1);
          if (terms != 0) {
            v128.store(at<T>(terms, i), q0);
            v128.store(at<T>(terms, i + L), q1);
          }
          a2 = add64<T>(a2, q0);
          a2b = add64<T>(a2b, q1);
          b3 = v128.add<T>(v128.add<T>(b3, v128.and(g0, k0)), v128.and(g1, k1));
          b4 = v128.add<T>(v128.add<T>(b4, v128.and(h0, k0)), v128.and(h1, k1));
        }
      }
      for (; i + L <= end; i += L) {
        const X = v128.load(at<T>(w, i));
        if (powered(kind)) {
          const wv = relativeV<T>(X, vt, vr, one);
          const kept = v128.gt<T>(wv, zero);
          if (!v128.any_true(kept)) {
            if (terms != 0) v128.store(at<T>(terms, i), zero);
            continue;
          }
          vcount = subMask<T>(vcount, kept);
          if (sizeof<T>() == 4) vloww = i32x4.min_u(vloww, wv);
          else vlow = v128.pmin<T>(vlow, v128.bitselect(X, laneConstant<T>(LANE_INFINITY), kept));
          if (kind == INTEGER) {
            // Every product masked: lanes off the support (w <= 0, or -Infinity) are not summed.
            let h: v128;
            if (moments) {
              const p4 = ni > 4 ? powIntV<T>(wv, e4, top4) : one;
              const p3 = v128.mul<T>(p4, wv);
              h = v128.mul<T>(p3, wv);
              b5 = v128.add<T>(b5, v128.and(p3, kept));
              b6 = v128.add<T>(b6, v128.and(p4, kept));
            } else h = powIntV<T>(wv, e2, top2);
            const g = v128.mul<T>(h, wv);
            const gw = v128.mul<T>(g, wv);
            const q = v128.and(rough ? gw : correctedV<T>(gw, X, wv, vr, vrl, one, two, vn), kept);
            if (terms != 0) v128.store(at<T>(terms, i), q);
            a2 = add64<T>(a2, q);
            b3 = v128.add<T>(b3, v128.and(g, kept));
            b4 = v128.add<T>(b4, v128.and(h, kept));
            continue;
          }
          const q = v128.and(expWith<T>(v128.mul<T>(vk, logTermV<T>(X, wv, vr, vrl, one, two, tiny, rough)), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9), kept);
          if (terms != 0) v128.store(at<T>(terms, i), q);
          a2 = add64<T>(a2, q);
          const rw = v128.div<T>(one, v128.pmax<T>(wv, tiny));
          const g = v128.mul<T>(q, rw);
          b3 = v128.add<T>(b3, g);
          b4 = v128.add<T>(b4, v128.mul<T>(g, rw));
          continue;
        }
        const t = v128.sub<T>(X, vt);
        const kept = v128.gt<T>(t, zero);
        vcount = subMask<T>(vcount, kept);
        vlow = v128.pmin<T>(vlow, v128.bitselect(X, laneConstant<T>(LANE_INFINITY), kept));
        if (sizeof<T>() == 4) {
          // t in f64 for the exact thresholds: X + 1 in f32 (the first pass) drops X's low bits.
          const xl = f64x2.promote_low_f32x4(X);
          const xh = f64x2.promote_low_f32x4(high(X));
          const tl = f64x2.sub(xl, vt64);
          const th = f64x2.sub(xh, vt64);
          const tkl = v128.and(tl, f64x2.gt(tl, zero64));
          const tkh = v128.and(th, f64x2.gt(th, zero64));
          a1 = f64x2.add(a1, f64x2.add(tkl, tkh));
          if (kind == QUADRATIC) a2 = f64x2.add(a2, f64x2.add(f64x2.mul(tkl, tkl), f64x2.mul(tkh, tkh)));
          continue;
        }
        const tk = v128.and(t, kept);
        b1 = f64x2.add(b1, tk);
        if (kind == QUADRATIC) b2 = f64x2.add(b2, v128.mul<T>(tk, tk));
      }
      if (sizeof<T>() == 8 && !powered(kind)) {
        // f64 exact kinds: the block's sums added compensated (see lost1).
        const p1 = f64x2.extract_lane(b1, 0) + f64x2.extract_lane(b1, 1);
        lost1 += roundingOf(s1, p1);
        s1 += p1;
        const p2 = f64x2.extract_lane(b2, 0) + f64x2.extract_lane(b2, 1);
        lost2 += roundingOf(s2, p2);
        s2 += p2;
      }
      if (powered(kind)) {
        a3 = add64<T>(a3, b3);
        a4 = add64<T>(a4, b4);
      }
      if (moments) {
        a5 = add64<T>(a5, b5);
        a6 = add64<T>(a6, b6);
      }
    }
    s1 += f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1);
    a2 = f64x2.add(a2, a2b);
    s2 += f64x2.extract_lane(a2, 0) + f64x2.extract_lane(a2, 1);
    sg = f64x2.extract_lane(a3, 0) + f64x2.extract_lane(a3, 1);
    sh = f64x2.extract_lane(a4, 0) + f64x2.extract_lane(a4, 1);
    s3 = f64x2.extract_lane(a5, 0) + f64x2.extract_lane(a5, 1);
    s4 = f64x2.extract_lane(a6, 0) + f64x2.extract_lane(a6, 1);
    low = pickLanes<T>(vlow, true);
    n = sizeof<T>() == 4 ? sumI32(vcount) : <i32>(i64x2.extract_lane(vcount, 0) + i64x2.extract_lane(vcount, 1));
    if (sizeof<T>() == 4 && powered(kind)) {
      const l01 = min<u32>(<u32>i32x4.extract_lane(vloww, 0), <u32>i32x4.extract_lane(vloww, 1));
      const l23 = min<u32>(<u32>i32x4.extract_lane(vloww, 2), <u32>i32x4.extract_lane(vloww, 3));
      const lbits = min<u32>(l01, l23);
      const lmin = reinterpret<f32>(lbits);
      // X = (w - 1)*s; none kept: +Infinity's bits (0x7f800000) are never produced.
      low = lbits == 0xffffffff ? <T>Infinity : <T>((<f64>lmin - 1) * -tau);
    }
  }
  for (; i < m; i++) {
    const X = load<T>(at<T>(w, i));
    if (powered(kind)) {
      const wv = relativeOf<T>(X, tt, r);
      if (terms != 0) store<T>(at<T>(terms, i), <T>0);
      if (!(wv > <T>0)) continue;
      n++;
      low = min<T>(low, X);
      if (kind == INTEGER) {
        let h: T;
        if (moments) {
          const p4 = ni > 4 ? powInt<T>(wv, e4, top4) : <T>1;
          const p3 = p4 * wv;
          h = p3 * wv;
          s3 += <f64>p3;
          s4 += <f64>p4;
        } else h = powInt<T>(wv, e2, top2);
        const g = h * wv;
        const q = rough ? g * wv : correctedOf<T>(g * wv, X, wv, r, rl, <T>ni);
        if (terms != 0) store<T>(at<T>(terms, i), q);
        s2 += <f64>q;
        sg += <f64>g;
        sh += <f64>h;
        continue;
      }
      const q = expNonPositive<T>(kk * logTermOf<T>(X, wv, r, rl, rough));
      if (terms != 0) store<T>(at<T>(terms, i), q);
      s2 += <f64>q;
      const rw = <T>1 / max<T>(wv, tinyOf<T>());
      const g = q * rw;
      sg += <f64>g;
      sh += <f64>(g * rw);
      continue;
    }
    const t = X - tt;
    if (!(t > <T>0)) continue;
    n++;
    low = min<T>(low, X);
    const t64 = <f64>X - <f64>tt;
    if (sizeof<T>() == 4) {
      s1 += t64;
      if (kind == QUADRATIC) s2 += t64 * t64;
      continue;
    }
    lost1 += roundingOf(s1, t64);
    s1 += t64;
    if (kind == QUADRATIC) {
      lost2 += roundingOf(s2, t64 * t64);
      s2 += t64 * t64;
    }
  }
  s1 += lost1;
  s2 += lost2;
  // Rough terms take r as rounded (1/s = r*(1 + e), e = rl/r): w = 1 + X*r misses e*(w - 1), and
  // w^kappa kappa*e*(w^kappa - w^(kappa - 1)); over the row, kappa*e*(s2 - sg), which moved the
  // sum at flat rows' thresholds by up to 2e-7 (kappa = 5), the same way at every entry.
  if (sizeof<T>() == 4 && powered(kind) && rough) s2 += kappa * (<f64>rl / <f64>r) * (s2 - sg);
  setPass(P_N, <f64>n);
  setPass(P_S1, s1);
  setPass(P_S2, s2);
  setPass(P_G, sg);
  setPass(P_H, sh);
  setPass(P_MIN, <f64>low);
  if (moments) {
    setPass(P_W3, s3);
    setPass(P_W4, s4);
  }
}

/**
 * The step u that makes an INTEGER row's sum 1 (kappa = n >= 4), in units of s = -tau (tau + s*u),
 * from the sums of a pass at tau with moments, A_j = sum w^(n - j) over the support (j = 0..4):
 * each term (s w - s u)^n = s^n sum_j C(n, j) (-u)^j w^(n - j), so the row's sum is s^n times a
 * polynomial in u whose first five coefficients the pass gives; their part of it is solved for
 * target = s^-n by Newton's method from Halley's step u0 (a few scalar iterations; the
 * polynomial is decreasing near 0). Exact for n = 4; modelLeft bounds the rest.
 */
function modelStep(u0: f64, target: f64, n: i32, a0: f64, a1: f64, a2: f64, a3: f64, a4: f64): f64 {
  const nf = <f64>n;
  const c1 = -nf * a1;
  const c2 = nf * (nf - 1) * 0.5 * a2;
  const c3 = -nf * (nf - 1) * (nf - 2) / 6 * a3;
  const c4 = nf * (nf - 1) * (nf - 2) * (nf - 3) / 24 * a4;
  let u = u0;
  for (let k = 0; k < 8; k++) {
    const g = a0 - target + u * (c1 + u * (c2 + u * (c3 + u * c4)));
    const d = c1 + u * (2 * c2 + u * (3 * c3 + u * 4 * c4));
    const next = u - g / d;
    if (next == u || !isFinite(next)) break;
    u = next;
  }
  return u;
}

/**
 * What modelStep's step may leave of the row's sum, over s^n, with a4 the sum of w^(n - 4) over
 * the support's count entries. Its left-out terms (j >= 5): the mean of w^p is at most the mean
 * of w^(n - 4) to the power p/(n - 4) for p <= n - 4 (Jensen; 0 < w <= 1), so term j is at most
 * C(n, j) |u|^j count (a4/count)^((n - j)/(n - 4)). And the entries that the step crosses, whose
 * terms the polynomial takes past the threshold (or leaves out, the other way): estimated, not
 * bounded, as if the support's entries lay evenly over its width s, count |u| of them within the
 * step, each leaving (s u)^n/(n + 1) on average. (The output's sum checks the step; this only
 * spares the rows it would send back. On rows of 2,000 to 32,000 at alpha = 1.2 and 1.25, flat
 * and uniform, the estimate was at least 2.2e-7 on all 23 rows whose output missed the sum and
 * at most 1.9e-8 on the 37 that met it; crossingLeft's bound, every entry at the threshold, failed
 * most of those that met it.)
 */
function modelLeft(u: f64, n: i32, count: f64, a4: f64): f64 {
  const a = abs(u);
  const nf = <f64>n;
  const mean = a4 / count;
  if (!(a < 1)) return Infinity;
  if (!(mean > 0) || !(a > 0)) return 0;
  // The mean's power per unit of n - j, q, and term 5's |u|^5 q^(n - 5) (n > 4).
  const q = n > 4 ? powerOf(min(mean, 1), 1 / (nf - 4)) : 1;
  let power = a * a * a * a;
  let an = power;
  for (let j = 4; j < n; j++) {
    an *= a;
    if (j + 1 < n) power *= q;
  }
  // |u|^(n + 1)/(n + 1): the crossed entries' estimate.
  let sum = an * a / (nf + 1);
  power *= a;
  let binom = nf * (nf - 1) * (nf - 2) * (nf - 3) / 24;
  for (let j = 5; j <= n; j++) {
    binom *= (nf - <f64>j + 1) / <f64>j;
    sum += binom * power;
    power *= a / q;
  }
  return count * sum;
}

/**
 * What the support's entries that a step crosses may leave of the row's sum (kappa >= 1): an
 * entry within `reach` of tau has a term below (2 reach)^kappa over the step, and its slope,
 * kappa t^(kappa - 1), moves the linear model by at most kappa (2 reach)^(kappa - 1) reach, so
 * the n entries of the support leave at most n (1 + kappa) (2 reach)^kappa.
 */
function crossingLeft(reach: f64, n: f64, kappa: f64): f64 {
  return 2 * reach < 1 && reach > 0 ? n * (1 + kappa) * expNonPositive<f64>(kappa * logOf<f64>(2 * reach)) : Infinity;
}

// kappa from which halleyLeft bounds the third derivative by the second (Hoelder's inequality
// needs the exponent kappa - 3 >= 0).
const HALLEY_BOUND_FROM: f64 = 3;

/**
 * What a Halley step `step` on N = f^(1/kappa) leaves of the row's sum: Halley's error
 * constant, N''^2/(4N'^2) - N'''/(6N'), times step^3, times |f'|. f''' = -kappa(kappa - 1)
 * (kappa - 2) sum t^(kappa - 3) is not summed: for kappa >= 3, Hoelder's inequality bounds
 * sum t^(kappa - 3) by n^(1/(kappa - 2)) (sum t^(kappa - 2))^((kappa - 3)/(kappa - 2)), and
 * sum t^(kappa - 2) = f''/(kappa(kappa - 1)). curve = N''/N'; d1, d2 = f', f''; n the support's
 * count. (Summing t^(kappa - 3) instead cost every pass more than the passes it saved: 1ab8a24.)
 */
function halleyLeft(f: f64, d1: f64, d2: f64, curve: f64, step: f64, kappa: f64, n: f64): f64 {
  const p = 1 / kappa;
  const t2 = d2 / (kappa * (kappa - 1));
  const t3 = t2 > 0 ? expAny<f64>((logOf<f64>(n) + (kappa - 3) * logOf<f64>(t2)) / (kappa - 2)) : 0;
  const d3 = kappa * (kappa - 1) * (kappa - 2) * t3;
  const ratio = d1 / f;
  // |N'''/N'| <= |(p - 1)(p - 2)| (f'/f)^2 + 3|(p - 1) f''/f| + |f'''/f'|.
  const third = abs((p - 1) * (p - 2)) * ratio * ratio + 3 * abs((p - 1) * (d2 / f)) + d3 / abs(d1);
  const a = abs(step);
  return (0.25 * curve * curve + third / 6) * a * a * a * abs(d1);
}

/**
 * The threshold of the candidates w[0..m), searched from `start` (see the header); the
 * candidates are compacted into dst (which may be w) as the support shrinks.
 */
// @ts-ignore: decorator
@inline
function solve<T>(w: usize, dst: usize, m: i32, start: f64, kind: i32, kappa: f64, alpha: f64, mode: i32): f64 {
  // Below this step the next Newton estimate is within about its square of the root.
  const tol: f64 = sizeof<T>() == 4 ? 4.8e-7 : 2.8e-14;
  const sumLeft: f64 = sizeof<T>() == 4 ? SUM_LEFT_F32 : SUM_LEFT_F64;
  let lo: f64 = -1;
  let hi: f64 = -expNonPositive<f64>((1 - alpha) * logOf<f64>(<f64>m));
  // The exact kinds' sums are taken at tau rounded to T (sumsAt's tt), and so is the shift from
  // it: their tau stays in T's values, the start (a floor) included, else tau + d missed by
  // tau's rounding (every later tau is rounded where it is set).
  let tau: f64 = powered(kind) ? start : <f64><T>start;
  let refined = false;
  tauLow = 0;
  // The row's search (not a sample's: those end in a floor, less a margin) must end on exact sums.
  const row = w != dst;
  // f32 GENERAL and INTEGER (kappa >= 1) take rough terms in the passes that only bring tau
  // closer: GENERAL's logs from logRoughF32x4 (a pass costs about three quarters of an exact one),
  // INTEGER's powers without correctedV's part (w's rounding, n units of f32's last place, and
  // the n - 1 products' roundings: below 1.2e-7*kappa of the sum). These are every pass of a
  // sample's search, however short (their thresholds are floors less a margin of 2^-16, which the
  // rough terms' error, at most 3.5e-7*kappa of the sum, moves by ~3.5e-7*s), and the first pass
  // of a long row's, whose step from the floor lands where the next, exact, pass settles. A rough
  // sum within ROUGH_BAND*kappa of 1 decides nothing about the side of the root.
  const roughKind = sizeof<T>() == 4 && (kind == GENERAL || kind == INTEGER) && kappa >= 1;
  const band = ROUGH_BAND * kappa;
  let rough = roughKind && ((mode != SEARCH_EXACT && m >= ROUGH_FROM) || !row);
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    // GENERAL leaves its terms in dst while the candidates are not compacted (writeOutput).
    const terms = powered(kind) && w != dst && !rough ? dst : 0;
    // A copy of the loop for each: with the test inside one loop, the rows that take no rough
    // pass (typical and masked rows at 1.3) were ~4% slower in Node 24.
    // The row's checked rough pass steps by its model (modelStep, from the pass's sums).
    const moments = rough && row && mode == SEARCH_CHECKED && checkable<T>(kind, kappa);
    if (moments) sumsAt<T>(w, m, tau, INTEGER, kappa, 0, true, true);
    else if (rough) sumsAt<T>(w, m, tau, kind, kappa, 0, true);
    else sumsAt<T>(w, m, tau, kind, kappa, terms, false);
    setPass(P_TERMS, terms != 0 ? tau : NaN);
    const n = passOf(P_N);
    const s1 = passOf(P_S1);
    const s2 = passOf(P_S2);
    if (!powered(kind)) {
      // The exact threshold of the support {X > tau}, as a shift d from tau.
      const d = kind == SPARSEMAX ? (s1 - 1) / n : (s2 - 1) / (s1 + Math.sqrt(max(s1 * s1 - n * (s2 - 1), 0)));
      if (tau + d <= passOf(P_MIN)) {
        // Exact for this support; the sums at tau of entries far above it lose the low digits
        // that the row's sum needs (n*ulp(sum)), so f64 rows take one more pass from there. f32
        // rows sum in f64 (n*ulp is ~1e-12 of the contract's 2e-6), and a sample's threshold
        // only gives a floor less a margin of 2^-16 or 2^-36: neither needs it.
        if (refined) {
          // tau + d and what its rounding drops: the support's n entries each missed by that,
          // n times it in the row's sum (2e-12 for a max 0.5 above 151,935 equal scores, over
          // the contract's 1e-12).
          tauLow = roundingOf(tau, d);
          return tau + d;
        }
        if (sizeof<T>() == 4 || !row) return tau + d;
        refined = true;
        tau = <f64><T>(tau + d);
        continue;
      }
    }
    // GENERAL: sum t^kappa = s^kappa*sum (1 + X/s)^kappa, and sum t^(kappa - 1) likewise.
    const sk = powered(kind) ? expNonPositive<f64>(kappa * logOf<f64>(-tau)) : 1;
    const f = kind == SPARSEMAX ? s1 : kind == QUADRATIC ? s2 : sk * s2;
    if (rough && abs(f - 1) <= band) {
      // Too near the root for the rough sums to tell its side.
    } else if (f >= 1) {
      lo = tau;
      // Dense rows shrink their support over many passes: the later ones read only what is left.
      if (n <= <f64>(m >> 1)) {
        m = compact<T>(w, dst, m, belowOf<T>(tau));
        w = dst;
        setPass(P_TERMS, NaN);
      }
    } else hi = tau;
    // Newton on N(tau) - 1: tau + (f - f^(1 - 1/kappa)) / sum t^(kappa - 1); GENERAL takes
    // Halley's step for kappa >= 1, the Newton step h over 1 + h*N''/(2N') (longer: N is convex),
    // where that is at most twice h.
    let next: f64;
    // GENERAL: the error left after the step, at most |N''/(2N')| step^2, times |f'|: what it
    // would leave of the row's sum (f' = -kappa*sum t^(kappa - 1), f'' = kappa(kappa - 1)*sum
    // t^(kappa - 2), N''/N' = (1/kappa - 1) f'/f + f''/f').
    let left: f64 = Infinity;
    // GENERAL: f' at tau.
    let slope: f64 = 0;
    if (kind == SPARSEMAX) next = tau + (s1 - 1) / n;
    else if (kind == QUADRATIC) next = tau + (s2 - Math.sqrt(s2)) / s1;
    else {
      const s = -tau;
      const d1 = -kappa * (sk / s) * passOf(P_G);
      slope = d1;
      const d2 = kappa * (kappa - 1) * (sk / (s * s)) * passOf(P_H);
      const curve = (1 / kappa - 1) * d1 / f + d2 / d1;
      let step = (f - f / expAny<f64>((alpha - 1) * logOf<f64>(f))) / -d1 * kappa;
      const halley = 1 + 0.5 * step * curve;
      if (kappa >= 1 && halley >= 0.5) step /= halley;
      next = tau + step;
      left = abs(0.5 * curve * step * step * d1);
      if (kappa >= HALLEY_BOUND_FROM && halley >= 0.5 && abs(step * curve) <= 0.25) {
        left = halleyLeft(f, d1, d2, curve, step, kappa, passOf(P_N));
      }
    }
    // A step below the tolerance (or rounded away) is a converged one, except for kappa < 1
    // (alpha > 2): there an entry just above tau makes sum t^(kappa - 1) huge and the step
    // small far from the root, so the sum must be 1 too, else the bisection goes on. GENERAL
    // also takes a step that no entry of the support crosses (N is smooth there) and whose
    // error would move the row's sum by less than SUM_LEFT.
    if (mode == SEARCH_ESTIMATE && pass + 1 == ESTIMATE_PASSES) return next > lo && next < hi ? next : 0.5 * (lo + hi);
    if (rough && row) {
      // The row's rough pass: the next one, exact, starts from its step (or the bracket's middle).
      const inside = next > lo && next < hi;
      if (moments) {
        // The model's root, from Halley's step, as a step u in units of s = -tau: tau + s*u.
        const ni = integerOf(kind, kappa);
        const w4 = passOf(P_W4);
        const u = modelStep((next - tau) / -tau, 1 / sk, ni, s2, passOf(P_G), passOf(P_H), passOf(P_W3), w4);
        const model = tau * (1 - u);
        if (model > lo && model < hi && sk * modelLeft(u, ni, passOf(P_N), w4) <= VERIFY_LEFT) {
          unverified = true;
          return model;
        }
      }
      tau = inside ? next : 0.5 * (lo + hi);
      rough = false;
      continue;
    }
    // A sample's threshold is needed to within a part of the margin, not to the row's sum's
    // precision: what the step leaves, over |f'|, is the threshold's error.
    const allowed = row || !powered(kind) ? sumLeft : abs(slope) * ((sizeof<T>() == 4 ? MARGIN_F32 : MARGIN_F64) / SAMPLE_SETTLE);
    // A step that support entries cross is settled too where they cannot matter (crossingLeft,
    // a log and an exp: taken only where the step's own error leaves room).
    const reach = abs(next - tau);
    const crossing = next + reach < passOf(P_MIN) || left > allowed ? 0 : crossingLeft(reach, passOf(P_N), kappa);
    const settled = next > lo && next < hi && left + crossing <= allowed;
    const small = powered(kind) ? abs(next - tau) <= tol || (kappa >= 1 && settled) : next == tau;
    if (small && (kappa >= 1 || abs(f - 1) <= tol)) return powered(kind) ? next : tau;
    const newton = !small && next > lo && next < hi;
    if (!newton) next = 0.5 * (lo + hi);
    // The bracket's width ends the search for kappa >= 1 only (a step of tau moves p by at most kappa times it).
    if (next == tau || (powered(kind) && kappa >= 1 && hi - lo <= tol)) return next;
    // The exact paths evaluate at tau rounded to T: the bracket moves in T's values, so that a
    // search stuck between two neighbours of T ends (next == tau) instead of halving f64's gap.
    // GENERAL keeps tau in f64: its terms see tau through s = -tau, whose rounding would move the
    // row's sum by kappa times it.
    tau = powered(kind) ? next : <f64><T>next;
  }
  return tau;
}

/** y[idx[j]] = lane j of p for the vector's lanes, idx the i32 indices at `idx`. */
// @ts-ignore: decorator
@inline
function scatterLanes<T>(y: usize, idx: usize, p: v128): void {
  store<T>(at<T>(y, load<i32>(idx)), v128.extract_lane<T>(p, 0));
  store<T>(at<T>(y, load<i32>(idx, 4)), v128.extract_lane<T>(p, 1));
  if (sizeof<T>() == 4) {
    store<T>(at<T>(y, load<i32>(idx, 8)), v128.extract_lane<T>(p, 2));
    store<T>(at<T>(y, load<i32>(idx, 12)), v128.extract_lane<T>(p, 3));
  }
}

/**
 * y[0..k) = 0, then each candidate w[j] = X (position wi[j]) stored as [X - tau]_+^kappa
 * (y may be the row the candidates came from; where all k are candidates, their positions are
 * 0..k in order and y is written in order, with no zeroing). GENERAL, where the search's last pass left its
 * terms q = (1 + X/s0)^kappa at `terms` (s0 = -P_TERMS), takes them instead of a power per
 * entry: with e = (tau - tau0)/s0 and v = 1 + X/s0, (X - tau)^kappa = s0^kappa*q*(1 - e/v)^kappa,
 * and (1 - d)^kappa is its series to d^4 where |d|*max(kappa, 1) <= TERMS_STEP (the first term
 * left out is below TERMS_STEP^5/5 of p); a vector with an entry nearer the threshold than
 * that takes the power.
 */
// @ts-ignore: decorator
@inline
function writeOutput<T>(w: usize, wi: usize, m: i32, y: usize, k: i32, tau: f64, kind: i32, kappa: f64, terms: usize): void {
  const tt = <T>tau;
  // tau - tt (f32: tau's part below f32's precision; f64: tauLow, the part below f64's): the
  // exact kinds subtract it too, else the support's n entries each miss by it, n times it in the
  // row's sum (over f32's 1e-6 for wide supports with the threshold near -1/2).
  const tl = sizeof<T>() == 4 ? <T>(tau - <f64>tt) : <T>tauLow;
  const kk = <T>kappa;
  const r = <T>(-1 / tau);
  const rl = <T>(-1 / tau - <f64>r);
  const sk = <T>(powered(kind) ? expNonPositive<f64>(kappa * logOf<f64>(-tau)) : 1);
  const ni = integerOf(kind, kappa);
  const topn = topBit(ni);
  const all = m == k;
  let i = 0;
  if (ASC_FEATURE_SIMD && !all) {
    const L = lanes<T>();
    const zero = v128.splat<T>(0);
    for (; i + L <= k; i += L) v128.store(at<T>(y, i), zero);
  }
  if (!all) for (; i < k; i++) store<T>(at<T>(y, i), <T>0);
  i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vt = v128.splat<T>(tt);
    const vtl = v128.splat<T>(tl);
    const vr = v128.splat<T>(r);
    const vrl = v128.splat<T>(rl);
    const vk = v128.splat<T>(kk);
    const vs = v128.splat<T>(sk);
    const zero = v128.splat<T>(0);
    const one = laneConstant<T>(LANE_ONE);
    const two = laneConstant<T>(LANE_TWO);
    const tiny = laneConstant<T>(LANE_TINY);
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
    // The terms of the last pass (GENERAL): see the doc comment.
    const tau0 = passOf(P_TERMS);
    const stored = powered(kind) && tau0 == tau0;
    const vn = v128.splat<T>(<T>ni);
    const e = stored ? (tau - tau0) / -tau0 : 0;
    const ve = v128.splat<T>(<T>e);
    const vr0 = v128.splat<T>(<T>(-1 / tau0));
    const vs0 = v128.splat<T>(<T>(stored ? expNonPositive<f64>(kappa * logOf<f64>(-tau0)) : 0));
    // |v| below this (|d|*max(kappa, 1) above TERMS_STEP, a power of two): the vector takes the power.
    const vnear = v128.splat<T>(<T>((abs(e) * max(kappa, 1)) / (sizeof<T>() == 4 ? TERMS_STEP_F32 : TERMS_STEP_F64)));
    const c1 = v128.splat<T>(<T>-kappa);
    const c2 = v128.splat<T>(<T>((kappa * (kappa - 1)) / 2));
    const c3 = v128.splat<T>(<T>((-kappa * (kappa - 1) * (kappa - 2)) / 6));
    const c4 = v128.splat<T>(<T>((kappa * (kappa - 1) * (kappa - 2) * (kappa - 3)) / 24));
    if (sizeof<T>() == 4 && kind == INTEGER && !stored) {
      // Two vectors a step: their powers' multiplications interleaved under one walk of n's bits
      // (dense flat rows of 32,000 at alpha = 1.1 and 1.2: 1.23-1.25x faster than one a step).
      for (; i + 2 * L <= m; i += 2 * L) {
        const X0 = v128.load(at<T>(w, i));
        const X1 = v128.load(at<T>(w, i + L));
        const w0 = relativeV<T>(X0, vt, vr, one);
        const w1 = relativeV<T>(X1, vt, vr, one);
        let p0 = w0;
        let p1 = w1;
        for (let b = topn >> 1; b != 0; b >>= 1) {
          p0 = v128.mul<T>(p0, p0);
          p1 = v128.mul<T>(p1, p1);
          if (ni & b) {
            p0 = v128.mul<T>(p0, w0);
            p1 = v128.mul<T>(p1, w1);
          }
        }
        p0 = v128.and(v128.mul<T>(vs, correctedV<T>(p0, X0, w0, vr, vrl, one, two, vn)), v128.gt<T>(w0, zero));
        p1 = v128.and(v128.mul<T>(vs, correctedV<T>(p1, X1, w1, vr, vrl, one, two, vn)), v128.gt<T>(w1, zero));
        if (all) {
          v128.store(at<T>(y, i), p0);
          v128.store(at<T>(y, i + L), p1);
        } else {
          scatterLanes<T>(y, wi + (<usize>i << 2), p0);
          scatterLanes<T>(y, wi + (<usize>(i + L) << 2), p1);
        }
      }
    }
    for (; i + L <= m; i += L) {
      const X = v128.load(at<T>(w, i));
      let p: v128;
      if (stored) {
        const v = v128.add<T>(one, v128.mul<T>(X, vr0));
        if (!v128.any_true(v128.lt<T>(v128.abs<T>(v), vnear))) {
          const d = v128.div<T>(ve, v);
          let s = v128.add<T>(c3, v128.mul<T>(d, c4));
          s = v128.add<T>(c2, v128.mul<T>(d, s));
          s = v128.add<T>(c1, v128.mul<T>(d, s));
          s = v128.add<T>(one, v128.mul<T>(d, s));
          p = v128.and(v128.mul<T>(v128.mul<T>(vs0, v128.load(at<T>(terms, i))), s), v128.gt<T>(v, zero));
          if (all) v128.store(at<T>(y, i), p);
          else scatterLanes<T>(y, wi + (<usize>i << 2), p);
          continue;
        }
      }
      if (kind == INTEGER) {
        const wv = relativeV<T>(X, vt, vr, one);
        const q = correctedV<T>(powIntV<T>(wv, ni, topn), X, wv, vr, vrl, one, two, vn);
        p = v128.and(v128.mul<T>(vs, q), v128.gt<T>(wv, zero));
      } else if (kind == GENERAL) {
        const wv = relativeV<T>(X, vt, vr, one);
        const q = expWith<T>(v128.mul<T>(vk, logRelativeV<T>(X, wv, vr, vrl, one, two, tiny)), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
        p = v128.and(v128.mul<T>(vs, q), v128.gt<T>(wv, zero));
      } else {
        const t = v128.sub<T>(v128.sub<T>(X, vt), vtl);
        p = v128.and(t, v128.gt<T>(t, zero));
        if (kind == QUADRATIC) p = v128.mul<T>(p, p);
      }
      if (all) v128.store(at<T>(y, i), p);
      else scatterLanes<T>(y, wi + (<usize>i << 2), p);
    }
  }
  for (; i < m; i++) {
    const X = load<T>(at<T>(w, i));
    let p: T;
    if (kind == INTEGER) {
      const wv = relativeOf<T>(X, tt, r);
      p = wv > <T>0 ? sk * correctedOf<T>(powInt<T>(wv, ni, topn), X, wv, r, rl, <T>ni) : <T>0;
    } else if (kind == GENERAL) {
      const wv = relativeOf<T>(X, tt, r);
      p = wv > <T>0 ? sk * expNonPositive<T>(kk * logRelativeOf<T>(X, wv, r, rl)) : <T>0;
    } else {
      const t = X - tt - tl;
      p = t > <T>0 ? t : <T>0;
      if (kind == QUADRATIC) p *= p;
    }
    store<T>(at<T>(y, all ? i : load<i32>(wi + (<usize>i << 2))), p);
  }
}

/** The sum of y[0..k) in f64 (each vector's lanes widened to f64 before they are added). */
function rowSum<T>(y: usize, k: i32): f64 {
  let sum: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    // Four sums: each f64 addition waits for the one before in its sum.
    let a0 = f64x2.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    for (; i + 4 * L <= k; i += 4 * L) {
      a0 = add64<T>(a0, v128.load(at<T>(y, i)));
      a1 = add64<T>(a1, v128.load(at<T>(y, i + L)));
      a2 = add64<T>(a2, v128.load(at<T>(y, i + 2 * L)));
      a3 = add64<T>(a3, v128.load(at<T>(y, i + 3 * L)));
    }
    sum = sumLanes<f64>(f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3)));
  }
  for (; i < k; i++) sum += <f64>load<T>(at<T>(y, i));
  return sum;
}

/** The largest T at most v (v rounded to T, down). */
// @ts-ignore: decorator
@inline
function belowOf<T>(v: f64): T {
  let t = <T>v;
  if (<f64>t > v) {
    if (sizeof<T>() == 4) t = <T>reinterpret<f32>(reinterpret<i32>(<f32>t) + (t < <T>0 ? 1 : -1));
    else t = <T>reinterpret<f64>(reinterpret<i64>(<f64>t) + (t < <T>0 ? 1 : -1));
  }
  return t;
}

/** A row whose scaled extremum m = beta*c is not finite: NaN, all masked, or +Inf scores sharing. */
function specialRow<T, S>(x: usize, y: usize, k: i32, c: T, m: f64): void {
  if (isNaN(m)) {
    for (let i = 0; i < k; i++) store<T>(at<T>(y, i), <T>NaN);
    return;
  }
  let count = 0;
  if (m > 0) for (let i = 0; i < k; i++) count += i32(loadAs<T, S>(x, i) == c);
  const share = <T>(m > 0 ? 1.0 / <f64>count : 0);
  for (let i = 0; i < k; i++) store<T>(at<T>(y, i), loadAs<T, S>(x, i) == c ? share : <T>0);
}

/**
 * alpha-entmax of `rows` rows of k at x into y (y may be x); w: a work area of 2k elements of
 * T and k i32 (the candidates, their compacted copy or the sample, the candidates' positions).
 * `halves` (T = f32): x holds halves, read by sampled and candidates only; y is f32.
 */
// @ts-ignore: decorator
@inline
function entmaxRows<T>(x: usize, y: usize, w: usize, rows: i32, k: i32, beta: f64, alpha: f64, halves: bool): void {
  const kind = kindOf(alpha);
  const kappa = 1 / (alpha - 1);
  const a = betaOf<T>((alpha - 1) * beta);
  const w2 = at<T>(w, k);
  const wi = at<T>(w2, k);
  // Below the sample's threshold: its rounding (a few units of T's last place) stays above it.
  const margin: f64 = sizeof<T>() == 4 ? MARGIN_F32 : MARGIN_F64;
  for (let r = 0; r < rows; r++) {
    const half = sizeof<T>() == 4 && halves;
    let px = half ? atS<u16>(x, r * k) : at<T>(x, r * k);
    const py = at<T>(y, r * k);
    const c = half ? sampled<T, u16>(px, k, beta < 0, w2) : sampled<T, T>(px, k, beta < 0, w2);
    const m = beta * <f64>c;
    if (!isFinite(<f64>c) || isNaN(m)) {
      if (half) specialRow<T, u16>(px, py, k, c, m);
      else specialRow<T, T>(px, py, k, c, m);
      continue;
    }
    let storage = half ? (rowHalvesFinite ? AS_FINITE_HALVES : AS_HALVES) : AS_T;
    if (half && rowHalvesSubnormal) {
      // Widening as the scores are computed meets each subnormal half as a subnormal f32 (an
      // Intel core's microcode assist, ~100 cycles an operation): a row full of them is widened
      // into y first (no float arithmetic on them), then computed in place as an f32 row.
      widenHalves(px, py, k);
      px = py;
      storage = AS_T;
    }
    // One copy of the loops per kind: the kind is a constant in each.
    if (kind == SPARSEMAX) entmaxRow<T>(px, py, w, w2, wi, k, c, a, beta < 0, margin, SPARSEMAX, 1, 2, storage);
    else if (kind == QUADRATIC) entmaxRow<T>(px, py, w, w2, wi, k, c, a, beta < 0, margin, QUADRATIC, 2, 1.5, storage);
    else if (kind == INTEGER) entmaxRow<T>(px, py, w, w2, wi, k, c, a, beta < 0, margin, INTEGER, kappa, alpha, storage);
    else entmaxRow<T>(px, py, w, w2, wi, k, c, a, beta < 0, margin, GENERAL, kappa, alpha, storage);
  }
}

/**
 * The threshold of the scores of x[0..n) (X = a*(x - c)) searched on the candidates above
 * `floor` (compacted into dst, which may be w; their positions in wi), or above -1 where the
 * threshold found is below the floor; `sample` is x's (or 0), see candidates; `storage` how x is
 * stored (AS_T...); `known`: the count of candidates already in w and wi (-1: none); `mode`: the
 * search's (SEARCH_EXACT...). Returns the candidates' count; the threshold is left in PASS's
 * P_TAU slot.
 */
// @ts-ignore: decorator
@inline
function thresholdAbove<T>(x: usize, n: i32, sample: usize, c: T, a: T, floor: f64, w: usize, dst: usize, wi: usize, kind: i32, kappa: f64, alpha: f64, storage: i32, known: i32, mode: i32): i32 {
  while (true) {
    // Again over the same candidates (known): from the threshold of the search before (P_TAU).
    const again = known >= 0;
    // A checked search of a flat row may start from an estimate (ESTIMATE_FROM): the part's
    // search first, in w (free until the candidates), then the row's from its threshold (one call
    // of solve in the loop: with a second, wasm-opt inlined the search into each copy of this
    // function, 16 KB more). The part's support tells a dense row (DENSE), whose scores are all
    // copied, in order.
    const estimate = !again && mode == SEARCH_CHECKED && checkable<T>(kind, kappa) && n >= ESTIMATE_FROM && spread(floor, kappa);
    const stride = strideOf(kappa);
    const scale = estimate ? partScale(kappa) : 1;
    let start = again ? passOf(P_TAU) : floor;
    let dense = false;
    let count = 0;
    let tau: f64 = 0;
    for (let round = estimate ? 0 : 1; round < 2; round++) {
      const first = round == 0;
      if (first) count = scoresAs<T>(storage, x, n, c, a * <T>scale, w, stride);
      else if (again) count = known;
      else if (dense) count = scoresAs<T>(storage, x, n, c, a, w, 1);
      else count = candidatesAs<T>(storage, x, n, c, a, <T>floor, w, wi, sample);
      // The output's sum is a pass over the whole row: only where the exact pass it stands for,
      // over the candidates, costs more (a quarter of the row; at alpha = 1.2 the check over
      // supports of 1,000 in rows of 32,000 to 200,000 took 0.66-0.93x the time of the exact pass).
      const how = first ? SEARCH_ESTIMATE : mode == SEARCH_CHECKED && count < (n >> 2) ? SEARCH_ROUGH : mode;
      // (A row that takes no check after all starts from the floor.)
      const from = first ? max(floor * scale, -1) : again || how == SEARCH_CHECKED ? start : floor;
      tau = solve<T>(w, first ? w : dst, count, from, kind, kappa, alpha, how);
      if (first) {
        start = max(tau / scale, floor);
        dense = passOf(P_N) * <f64>stride >= DENSE * <f64>n;
      }
    }
    known = -1;
    // The search may have overwritten the sample (dst).
    sample = 0;
    if (tau >= floor || floor == -1) {
      setPass(P_TAU, tau);
      return count;
    }
    floor = -1;
  }
  return 0;
}

/**
 * Stores the scores X = a*(x - c) of every stride-th vector of x[0..k) to dst, in order, and
 * returns their count. Stride 1: a dense row's scores (see DENSE), all of them in order, with no
 * positions (writeOutput writes a row whose k entries are all candidates in order): the entries
 * below the threshold take no part in the sums and are written 0 as they would be off the
 * candidates, and the copy costs a quarter of candidates' (no comparisons, packing or positions).
 * Stride ESTIMATE_STRIDE...: the part whose threshold is where a checked search
 * (SEARCH_CHECKED) of the row starts (the floor where that is below it), and whose support tells
 * a dense row, with a times stride^(1/kappa) (the part's sum then stands for the whole's). On a
 * flat row the sample's floor is far below the threshold (its blocks' maxima are not the row),
 * and the rough pass from it leaves too much for the output's sum to take; from the estimate it
 * does not. Any start will do: the output's sum checks the step that follows it.
 */
function scores<T, S>(x: usize, k: i32, c: T, a: T, dst: usize, stride: i32): i32 {
  let j = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vc = v128.splat<T>(c);
    const va = v128.splat<T>(a);
    const h0 = widenConstant<S>(0);
    const h1 = widenConstant<S>(1);
    const h2 = widenConstant<S>(2);
    const h3 = widenConstant<S>(3);
    for (; i + L <= k; i += stride * L, j += L) v128.store(at<T>(dst, j), scoresAt<T, S>(x, i, vc, va, h0, h1, h2, h3));
  }
  for (; i < k; i += stride, j++) store<T>(at<T>(dst, j), (loadAs<T, S>(x, i) - c) * a);
  return j;
}

/** scores<T, S> with S as `storage` says. */
// @ts-ignore: decorator
@inline
function scoresAs<T>(storage: i32, x: usize, k: i32, c: T, a: T, dst: usize, stride: i32): i32 {
  if (sizeof<T>() == 4 && storage == AS_HALVES) return scores<T, u16>(x, k, c, a, dst, stride);
  if (sizeof<T>() == 4 && storage == AS_FINITE_HALVES) return scores<T, i16>(x, k, c, a, dst, stride);
  return scores<T, T>(x, k, c, a, dst, stride);
}

/** The part's stride (ESTIMATE_STRIDE...) at kappa. */
// @ts-ignore: decorator
@inline
function strideOf(kappa: f64): i32 {
  return kappa < ESTIMATE_LOW_BELOW ? ESTIMATE_STRIDE_LOW : ESTIMATE_STRIDE;
}

// partScale and spread: functions of their own, not in each copy of thresholdAbove (their logs and
// exps, inlined, took 1 KB a copy).

/** pow.ts's powAny in f64 (x > 0), as a function of its own for the callers above and below (see partScale). */
function powerOf(x: f64, p: f64): f64 {
  return powAny<f64>(x, p);
}

/** The part's scale, stride^(1/kappa). */
function partScale(kappa: f64): f64 {
  return powerOf(<f64>strideOf(kappa), 1 / kappa);
}

/** Whether the row's largest score (0) takes at most 1/ESTIMATE_SPREAD of its sum at the floor. */
function spread(floor: f64, kappa: f64): bool {
  return kappa * logOf<f64>(-floor) <= -logOf<f64>(ESTIMATE_SPREAD);
}

/** Whether a row's search may leave its rough pass's step to the output's sum (VERIFY_LEFT). */
// @ts-ignore: decorator
@inline
function checkable<T>(kind: i32, kappa: f64): bool {
  return sizeof<T>() == 4 && kind == INTEGER && kappa >= VERIFY_FROM;
}

/**
 * Steps 2 to 4 of the header for one row whose sample is in w2: the samples of the sample are
 * taken in turn (each after the last in w2) until one has at most TOP_SAMPLE values; from that
 * one down, each level's threshold less a margin is the floor of the next. `storage`: how the
 * row x is stored (AS_T...; the samples are T).
 */
// @ts-ignore: decorator
@inline
function entmaxRow<T>(x: usize, y: usize, w: usize, w2: usize, wi: usize, k: i32, c: T, a: T, lowest: bool, margin: f64, kind: i32, kappa: f64, alpha: f64, storage: i32): void {
  let level = sampleLevels<T>(w2, k, lowest);
  let offset = topOffset;
  let n = topSize;
  // Level 0 is the row itself: its candidates are compacted into w2 (the samples are done with).
  let floor: f64 = -1;
  let count = 0;
  // The row's candidates when its search goes again (see VERIFY_SUM).
  let known = -1;
  for (; level >= 0; level--) {
    const sample = level > 0;
    const mode = known >= 0 ? SEARCH_EXACT : sample || x == y ? SEARCH_ROUGH : SEARCH_CHECKED;
    count = thresholdAbove<T>(sample ? at<T>(w2, offset) : x, sample ? n : k, sample ? 0 : w2, c, a, floor, w, sample ? w : w2, wi, kind, kappa, alpha, sample ? AS_T : storage, sample ? -1 : known, mode);
    if (!sample) {
      const check = unverified;
      unverified = false;
      writeOutput<T>(w, wi, count, y, k, passOf(P_TAU), kind, kappa, w2);
      if (check && !(abs(rowSum<T>(y, k) - 1) <= VERIFY_SUM)) {
        // The rough pass's step missed: the row's search again, exact, over the same candidates.
        known = count;
        level = 1;
      }
      continue;
    }
    floor = max(passOf(P_TAU) - margin, -1);
    if (level > 1) {
      n = levelSize<T>(k, level - 1);
      offset -= n;
    }
  }
}

/**
 * The weights s_i = y_i^(2 - alpha) of the backward pass (0 off the support): the indicator
 * for sparsemax, sqrt(y) for 1.5, a power otherwise.
 */
// @ts-ignore: decorator
@inline
function weightV<T>(yv: v128, kind: i32, q: v128): v128 {
  const kept = v128.gt<T>(yv, v128.splat<T>(0));
  if (kind == SPARSEMAX) return v128.and(v128.splat<T>(1), kept);
  if (kind == QUADRATIC) return v128.and(v128.sqrt<T>(yv), kept);
  const p = powAnyWith<T>(
    yv, q, expConstant<T>(0), expConstant<T>(1), expConstant<T>(2), expConstant<T>(3), expConstant<T>(4),
    expConstant<T>(5), expConstant<T>(6), expConstant<T>(7), expConstant<T>(8), expConstant<T>(9),
  );
  return v128.and(p, kept);
}

// @ts-ignore: decorator
@inline
function weightOf<T>(y: T, kind: i32, q: T): T {
  if (!(y > <T>0)) return <T>0;
  if (kind == SPARSEMAX) return <T>1;
  if (kind == QUADRATIC) return <T>Math.sqrt(<f64>y);
  return powAny<T>(y, q);
}

/** Pass 2's output lanes: s*((g - mean)*beta), 0 where s is 0 (vm, vb: mean and beta in every lane). */
// @ts-ignore: decorator
@inline
function outputV<T>(s: v128, gv: v128, vm: v128, vb: v128): v128 {
  return v128.and(v128.mul<T>(s, v128.mul<T>(v128.sub<T>(gv, vm), vb)), v128.ne<T>(s, v128.splat<T>(0)));
}

/**
 * out = beta*s*(g - sum(s*g)/sum(s)) per row, s = y^(2 - alpha) on the support (out may be g or
 * y). S: how g and y are stored (T, or u16: halves, out f32, not overlapping them).
 *
 * Halves (out is then the row's own scratch): pass 2 takes what it needs besides the mean from
 * out, where pass 1 left it. Sparsemax and entmax 1.5 first read the halves as finite
 * (widenFinite4, 3 operations per 4 where widen4 takes 7), keeping their largest exponent on
 * the side (raiseHalfTop). Sparsemax leaves g where y > 0 and a NaN (all ones) off the support,
 * which it tells on y's bits (halfNotPositive8: exact for every half, so y is neither widened
 * nor checked for Inf and NaN), and its pass 2 reads neither y nor g; entmax leaves the
 * weights, and its pass 2 widens g again but takes no square root or power. Entmax 1.5 takes
 * blocks of HALF_BLOCK, each operand on its own sample (sampleSubnormal): y whose sample holds
 * subnormal halves is widened into out, g into `work`, each by a loop of its own, and the
 * weights and products are taken on what was widened, the other operand widened as it is read
 * (pass 2: g widened again into work, on g's sample). Widening both where either sample held
 * subnormals cost 1.12-1.48x the f32 call; one operand alone, 0.95-1.21x (Node 24, Deno, Bun,
 * 32,000 and 2^22, docs/sparse.md). On AMD Zen 5 a loop
 * that widened halves and multiplied them by other values ran 2-3x slower where one operand's
 * halves were subnormal (the widening multiplies a subnormal f32) and the other's normal
 * (docs/loss.md, "Subnormal halves"). Other alphas widen every block so (widenHalves: exact for
 * every half), then take the powers a vector a step: with subnormal halves their rows took
 * 1.4-2.4x the f32 call's time when each vector was widened as it was read, and normal ones
 * 1.2x (Node 24; finite widening inside the loop instead, or two powers a step, ran 1.3x slower
 * in JavaScriptCore's optimizing tier). The scalar build widens every block, for every alpha.
 * A row whose vectors hold an Inf or NaN half (sparsemax: in g) goes through the loops of every
 * dtype (widen4), which leave the weights for pass 2 too. The sums are added in the same lanes
 * and order, and the terms are the same bits (s*g = g or +0 for s = 1 or 0 and g finite, and
 * the lane sums, from +0, are never -0), so the result is the f32 call's on the widened halves
 * bit for bit.
 *
 * f32 and f64 at other alphas than 2 and 1.5 (`keep`): pass 1 stores the powers y^(2 - alpha)
 * in out as halves do, where out may take them (out is y, or apart from y, and apart from g),
 * and pass 2 reads them instead of taking each power again (1.86x faster at alpha = 1.3, 32,000,
 * Node 24); with out = g each pass takes the power.
 */
// @ts-ignore: decorator
@inline
function backwardRows<T, S>(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, kind: i32, alpha: f64, work: usize): void {
  const b = betaOf<T>(beta);
  const qs = <T>(2 - alpha);
  // f32 and f64: pass 1 leaves a power's weights in out for pass 2 (which would take the power
  // again) where out is y or apart from it, and apart from g (still read by pass 2).
  const bytes = <u64>rows * <u64>k * sizeof<T>();
  const keep = sizeof<S>() != 2 && kind == GENERAL && apart(out, g, bytes) && (out == y || apart(out, y, bytes));
  for (let r = 0; r < rows; r++) {
    const pg = atS<S>(g, r * k);
    const py = atS<S>(y, r * k);
    const po = at<T>(out, r * k);
    let sg: f64 = 0;
    let ss: f64 = 0;
    let i = 0;
    // Halves: whether pass 1 read them as finite (sparsemax: and left g in out).
    let finite = false;
    if (ASC_FEATURE_SIMD) {
      const vq = v128.splat<T>(qs);
      // Sparsemax and entmax 1.5 (the kinds up to QUADRATIC) read halves as finite first.
      if (sizeof<S>() == 2 && kind <= QUADRATIC) {
        const k0 = halfConstant(0);
        const k1 = halfConstant(1);
        const e16 = halfConstant(4);
        const bias = halfConstant(5);
        const edge = positiveEdge();
        let top = i16x8.splat(0);
        // Entmax 1.5: the block of HALF_BLOCK widened last, [blockStart, blockEnd).
        const k8 = k & ~7;
        let blockStart = 0;
        let blockEnd = 0;
        let split = 0;
        while (i + 4 <= k) {
          const end = min(i + FLUSH, k);
          const from = i;
          let a1 = f32x4.splat(0);
          // The lanes off the support, counted in 16-bit lanes (at most FLUSH/8 each).
          let off = i16x8.splat(0);
          let seen = 0;
          let a2 = a1;
          if (kind == SPARSEMAX) {
            for (; i + 8 <= end; i += 8) {
              const gv = v128.load(atS<S>(pg, i));
              const o = halfNotPositive8(v128.load(atS<S>(py, i)), bias, edge);
              const q = at<T>(po, i);
              top = raiseHalfTop(top, gv, e16);
              off = i16x8.sub(off, o);
              a1 = f32x4.add(a1, supportTerm(widenFinite4(i32x4.extend_low_i16x8_s(gv), k0, k1), i32x4.extend_low_i16x8_s(o), q));
              a1 = f32x4.add(a1, supportTerm(widenFinite4(i32x4.extend_high_i16x8_s(gv), k0, k1), i32x4.extend_high_i16x8_s(o), q + 16));
            }
            seen = i - from;
            // One vector of 4 left (the row's last block: FLUSH is a multiple of 8); its high
            // lanes loaded as +0 halves, off the support.
            if (i + 4 <= end) {
              const gv = v128.load64_zero(atS<S>(pg, i));
              const o = halfNotPositive8(v128.load64_zero(atS<S>(py, i)), bias, edge);
              top = raiseHalfTop(top, gv, e16);
              off = i16x8.sub(off, o);
              a1 = f32x4.add(a1, supportTerm(widenFinite4(i32x4.extend_low_i16x8_s(gv), k0, k1), i32x4.extend_low_i16x8_s(o), at<T>(po, i)));
              seen += 8;
              i += 4;
            }
          } else {
            // A new block of halves (FLUSH divides HALF_BLOCK): where a sample of it (its first
            // 32 halves of y and of g) holds subnormal halves, y widened into out and g into work.
            if (i == blockEnd && i < k8) {
              const n = min(HALF_BLOCK, k8 - i);
              // Each operand on its own sample: the other is widened as it is read.
              split = 0;
              if (sampleSubnormal(atS<S>(py, i), n)) {
                top = widenBlock(atS<S>(py, i), at<T>(po, i), n, top);
                split = SPLIT_Y;
              }
              if (sampleSubnormal(atS<S>(pg, i), n)) {
                top = widenBlock(atS<S>(pg, i), work, n, top);
                split |= SPLIT_G;
              }
              blockStart = i;
              blockEnd = i + n;
            }
            if (split == SPLIT_Y) {
              // y widened into out, g read as halves (g's top kept).
              for (; i + 8 <= end; i += 8) {
                const gv = v128.load(atS<S>(pg, i));
                const q = at<T>(po, i);
                top = raiseHalfTop(top, gv, e16);
                const s0 = weightV<f32>(v128.load(q), QUADRATIC, vq);
                const s1 = weightV<f32>(v128.load(q, 16), QUADRATIC, vq);
                v128.store(q, s0);
                v128.store(q, s1, 16);
                a1 = f32x4.add(a1, f32x4.mul(s0, widenFinite4(i32x4.extend_low_i16x8_s(gv), k0, k1)));
                a2 = f32x4.add(a2, s0);
                a1 = f32x4.add(a1, f32x4.mul(s1, widenFinite4(i32x4.extend_high_i16x8_s(gv), k0, k1)));
                a2 = f32x4.add(a2, s1);
              }
            } else if (split == SPLIT_G) {
              // g widened into work, y read as halves (y's top kept).
              for (; i + 8 <= end; i += 8) {
                const yv = v128.load(atS<S>(py, i));
                const q = at<T>(po, i);
                const w = at<T>(work, i - blockStart);
                top = raiseHalfTop(top, yv, e16);
                const s0 = weightV<f32>(widenFinite4(i32x4.extend_low_i16x8_s(yv), k0, k1), QUADRATIC, vq);
                const s1 = weightV<f32>(widenFinite4(i32x4.extend_high_i16x8_s(yv), k0, k1), QUADRATIC, vq);
                v128.store(q, s0);
                v128.store(q, s1, 16);
                a1 = f32x4.add(a1, f32x4.mul(s0, v128.load(w)));
                a2 = f32x4.add(a2, s0);
                a1 = f32x4.add(a1, f32x4.mul(s1, v128.load(w, 16)));
                a2 = f32x4.add(a2, s1);
              }
            } else if (split) {
              for (; i + 8 <= end; i += 8) {
                const q = at<T>(po, i);
                const w = at<T>(work, i - blockStart);
                const s0 = weightV<f32>(v128.load(q), QUADRATIC, vq);
                const s1 = weightV<f32>(v128.load(q, 16), QUADRATIC, vq);
                v128.store(q, s0);
                v128.store(q, s1, 16);
                a1 = f32x4.add(a1, f32x4.mul(s0, v128.load(w)));
                a2 = f32x4.add(a2, s0);
                a1 = f32x4.add(a1, f32x4.mul(s1, v128.load(w, 16)));
                a2 = f32x4.add(a2, s1);
              }
            } else {
              // y's top kept too.
              for (; i + 8 <= end; i += 8) {
                const gv = v128.load(atS<S>(pg, i));
                const yv = v128.load(atS<S>(py, i));
                const q = at<T>(po, i);
                top = raiseHalfTop(raiseHalfTop(top, gv, e16), yv, e16);
                const s0 = weightV<f32>(widenFinite4(i32x4.extend_low_i16x8_s(yv), k0, k1), QUADRATIC, vq);
                const s1 = weightV<f32>(widenFinite4(i32x4.extend_high_i16x8_s(yv), k0, k1), QUADRATIC, vq);
                v128.store(q, s0);
                v128.store(q, s1, 16);
                a1 = f32x4.add(a1, f32x4.mul(s0, widenFinite4(i32x4.extend_low_i16x8_s(gv), k0, k1)));
                a2 = f32x4.add(a2, s0);
                a1 = f32x4.add(a1, f32x4.mul(s1, widenFinite4(i32x4.extend_high_i16x8_s(gv), k0, k1)));
                a2 = f32x4.add(a2, s1);
              }
            }
            if (i + 4 <= end) {
              const gv = v128.load64_zero(atS<S>(pg, i));
              const yv = v128.load64_zero(atS<S>(py, i));
              top = raiseHalfTop(raiseHalfTop(top, gv, e16), yv, e16);
              const s0 = weightV<f32>(widenFinite4(i32x4.extend_low_i16x8_s(yv), k0, k1), QUADRATIC, vq);
              v128.store(at<T>(po, i), s0);
              a1 = f32x4.add(a1, f32x4.mul(s0, widenFinite4(i32x4.extend_low_i16x8_s(gv), k0, k1)));
              a2 = f32x4.add(a2, s0);
              i += 4;
            }
          }
          sg += sumLanes<f32>(a1);
          ss += kind == SPARSEMAX ? <f64>(seen - sumI32(i32x4.extadd_pairwise_i16x8_s(off))) : sumLanes<f32>(a2);
        }
        finite = !holdsSpecial(top, e16);
        if (!finite) {
          i = 0;
          sg = 0;
          ss = 0;
        }
      }
      if (!finite) {
        const L = lanes<T>();
        const h0 = widenConstant<S>(0);
        const h1 = widenConstant<S>(1);
        const h2 = widenConstant<S>(2);
        const h3 = widenConstant<S>(3);
        // Halves at other alphas: the block of HALF_BLOCK widened last, [blockStart, blockEnd)
        // (every block of whole vectors of 8).
        const k8 = k & ~7;
        let blockStart = 0;
        let blockEnd = 0;
        while (i + L <= k) {
          const end = min(i + FLUSH, k);
          let a1 = v128.splat<T>(0);
          let a2 = a1;
          if (sizeof<S>() == 2 && kind == GENERAL) {
            if (i == blockEnd && i < k8) {
              const n = min(HALF_BLOCK, k8 - i);
              widenHalves(atS<S>(py, i), at<T>(po, i), n);
              widenHalves(atS<S>(pg, i), work, n);
              blockStart = i;
              blockEnd = i + n;
            }
            for (; i + L <= end && i < blockEnd; i += L) {
              const q = at<T>(po, i);
              const yv = v128.load(q);
              const kept = v128.gt<T>(yv, v128.splat<T>(0));
              const s = weightV<T>(yv, kind, vq);
              v128.store(q, s);
              a1 = v128.add<T>(a1, v128.and(v128.mul<T>(s, v128.load(at<T>(work, i - blockStart))), kept));
              a2 = v128.add<T>(a2, s);
            }
          }
          for (; i + L <= end; i += L) {
            const yv = loadLanes<T, S>(atS<S>(py, i), h0, h1, h2, h3);
            const kept = v128.gt<T>(yv, v128.splat<T>(0));
            const s = weightV<T>(yv, kind, vq);
            // Halves, or powers where out may take them: the weights kept for pass 2.
            if (sizeof<S>() == 2 || keep) v128.store(at<T>(po, i), s);
            // Off the support g is dropped, an infinite or NaN one too (0*Infinity would be NaN);
            // sparsemax's s is 1 on it.
            const gv = loadLanes<T, S>(atS<S>(pg, i), h0, h1, h2, h3);
            a1 = v128.add<T>(a1, v128.and(kind == SPARSEMAX ? gv : v128.mul<T>(s, gv), kept));
            a2 = v128.add<T>(a2, s);
          }
          sg += sumLanes<T>(a1);
          ss += sumLanes<T>(a2);
        }
      }
    }
    if (!ASC_FEATURE_SIMD && sizeof<S>() == 2) {
      // The scalar build's twin of the blocks above, for every alpha: y widened into out and g
      // into work, each by a loop of its own; out keeps the weights for pass 2.
      for (let start = 0; start < k; start += HALF_BLOCK) {
        const n = min(HALF_BLOCK, k - start);
        widenHalves(atS<S>(py, start), at<T>(po, start), n);
        widenHalves(atS<S>(pg, start), work, n);
        for (; i < start + n; i++) {
          const s = weightOf<T>(load<T>(at<T>(po, i)), kind, qs);
          store<T>(at<T>(po, i), s);
          if (s != <T>0) sg += <f64>(s * load<T>(at<T>(work, i - start)));
          ss += <f64>s;
        }
      }
    }
    for (; i < k; i++) {
      const s = weightOf<T>(loadAs<T, S>(py, i), kind, qs);
      if (s != <T>0) sg += <f64>(s * loadAs<T, S>(pg, i));
      ss += <f64>s;
    }
    const mean = <T>(ss > 0 ? sg / ss : 0);
    i = 0;
    if (ASC_FEATURE_SIMD) {
      const vm = v128.splat<T>(mean);
      const vb = v128.splat<T>(b);
      if (sizeof<S>() == 2) {
        if (finite && kind == SPARSEMAX) {
          // out holds g on the support, NaN off it: (g - mean)*beta there, 0 elsewhere (s = 1 or 0).
          for (; i + 4 <= k; i += 4) {
            const q = at<T>(po, i);
            const x = v128.load(q);
            v128.store(q, v128.and(f32x4.mul(f32x4.sub(x, vm), vb), f32x4.eq(x, x)));
          }
        } else if (finite && kind == QUADRATIC) {
          // Blocks as pass 1's, on g's sample: g widened again by a loop of its own into work.
          const k8 = k & ~7;
          while (i + 4 <= k) {
            const n = min(HALF_BLOCK, k8 - i);
            if (n > 0 && sampleSubnormal(atS<S>(pg, i), n)) {
              widenBlock(atS<S>(pg, i), work, n, vm);
              outputOfWork(po, i, n, work, vm, vb);
              i += n;
            } else {
              i = outputOfWeights<i16>(pg, po, i, n > 0 ? i + n : k, vm, vb);
            }
          }
        } else if (kind == GENERAL) {
          // Every block as pass 1's: g widened again (exactly) by a loop of its own into work.
          // (One branch with entmax 1.5's above ran its rows with subnormal g 1.15-1.25x slower
          // in JavaScriptCore.)
          const k8 = k & ~7;
          while (i < k8) {
            const n = min(HALF_BLOCK, k8 - i);
            widenHalves(atS<S>(pg, i), work, n);
            outputOfWork(po, i, n, work, vm, vb);
            i += n;
          }
          i = outputOfWeights<u16>(pg, po, i, k, vm, vb);
        } else {
          i = outputOfWeights<u16>(pg, po, 0, k, vm, vb);
        }
      } else {
        const L = lanes<T>();
        const vq = v128.splat<T>(qs);
        const h0 = widenConstant<S>(0);
        const h1 = widenConstant<S>(1);
        const h2 = widenConstant<S>(2);
        const h3 = widenConstant<S>(3);
        if (keep) {
          for (; i + L <= k; i += L) {
            const q = at<T>(po, i);
            v128.store(q, outputV<T>(v128.load(q), v128.load(atS<S>(pg, i)), vm, vb));
          }
        } else {
          for (; i + L <= k; i += L) {
            const s = weightV<T>(loadLanes<T, S>(atS<S>(py, i), h0, h1, h2, h3), kind, vq);
            v128.store(at<T>(po, i), outputV<T>(s, loadLanes<T, S>(atS<S>(pg, i), h0, h1, h2, h3), vm, vb));
          }
        }
      }
    }
    if (!ASC_FEATURE_SIMD && sizeof<S>() == 2) {
      for (let start = 0; start < k; start += HALF_BLOCK) {
        const n = min(HALF_BLOCK, k - start);
        widenHalves(atS<S>(pg, start), work, n);
        for (; i < start + n; i++) {
          const s = load<T>(at<T>(po, i));
          store<T>(at<T>(po, i), s != <T>0 ? s * ((load<T>(at<T>(work, i - start)) - mean) * b) : <T>0);
        }
      }
    }
    for (; i < k; i++) {
      const s = weightOf<T>(loadAs<T, S>(py, i), kind, qs);
      store<T>(at<T>(po, i), s != <T>0 ? s * ((loadAs<T, S>(pg, i) - mean) * b) : <T>0);
    }
  }
}

/** Whether the `bytes` at a and those at b do not overlap (in u64: an array may end at 4 GiB). */
// @ts-ignore: decorator
@inline
function apart(a: usize, b: usize, bytes: u64): bool {
  return <u64>a + bytes <= <u64>b || <u64>b + bytes <= <u64>a;
}

/** The f16 backward pass's blocks whose sample holds subnormal halves, widened by widenSmallRun (a call per block). */
function widenBlock(src: usize, dst: usize, n: i32, top: v128): v128 {
  return widenSmallRun(src, dst, n, top);
}

/** Pass 2 over the n f32 of g widened into work, from element `from` (the weights s in out). */
// @ts-ignore: decorator
@inline
function outputOfWork(po: usize, from: i32, n: i32, work: usize, vm: v128, vb: v128): void {
  for (let j = 0; j < n; j += 4) {
    const q = at<f32>(po, from + j);
    v128.store(q, outputV<f32>(v128.load(q), v128.load(at<f32>(work, j)), vm, vb));
  }
}

/**
 * Pass 2 over halves from the weights s that pass 1 left in out (f32), from element `from` up to
 * the row's last whole vector (returned: the next element); g read as S: i16 where pass 1 found the row finite
 * (widenFinite4), else u16 (widen4).
 */
// @ts-ignore: decorator
@inline
function outputOfWeights<S>(pg: usize, po: usize, from: i32, k: i32, vm: v128, vb: v128): i32 {
  const h0 = widenConstant<u16>(0);
  const h1 = widenConstant<u16>(1);
  const h2 = widenConstant<u16>(2);
  const h3 = widenConstant<u16>(3);
  let i = from;
  for (; i + 4 <= k; i += 4) {
    const q = at<f32>(po, i);
    v128.store(q, outputV<f32>(v128.load(q), loadLanes<f32, S>(atS<S>(pg, i), h0, h1, h2, h3), vm, vb));
  }
  return i;
}

/**
 * Sparsemax's pass 1 over halves, 4 lanes: g widened (gw) stored at q where y > 0 and NaN (all
 * ones) on the lanes o off the support; the lanes' terms s*g (g, or +0 off the support).
 */
// @ts-ignore: decorator
@inline
function supportTerm(gw: v128, o: v128, q: usize): v128 {
  v128.store(q, v128.or(gw, o));
  return v128.andnot(gw, o);
}

// One function per kind, not one holding the three: JavaScriptCore (Bun) ran the f32 rows 1.1-1.4x
// slower in one (sparsemaxBackward 19.1 -> 13.5 us at 32,000 apart), and the module is smaller.
function backwardSparsemax<T, S>(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  backwardRows<T, S>(g, y, out, rows, k, beta, SPARSEMAX, 2, work);
}

function backwardQuadratic<T, S>(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  backwardRows<T, S>(g, y, out, rows, k, beta, QUADRATIC, 1.5, work);
}

function backwardGeneral<T, S>(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, alpha: f64, work: usize): void {
  backwardRows<T, S>(g, y, out, rows, k, beta, GENERAL, alpha, work);
}

// @ts-ignore: decorator
@inline
function backward<T, S>(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, alpha: f64, work: usize): void {
  if (alpha == 2) backwardSparsemax<T, S>(g, y, out, rows, k, beta, work);
  else if (alpha == 1.5) backwardQuadratic<T, S>(g, y, out, rows, k, beta, work);
  else backwardGeneral<T, S>(g, y, out, rows, k, beta, alpha, work);
}

// ---- exports: one per kernel and dtype ----


export { features, heapBase } from "../shared/module";

// f32 rows at alphas above this are computed in f64 (widenedRows).
const WIDEN_ABOVE: f64 = 2;

/**
 * f32 rows at alpha > WIDEN_ABOVE in f64: each row widened into w, its f64 entmax in place (the
 * work area after it), narrowed into y. For alpha > 2 (kappa < 1) an entry t above the threshold
 * gets t^kappa, whose slope kappa*p/t has no bound, so the scores' rounding to f32 (2^-24 of X)
 * moves the entries near the threshold by more than the contract allows (36x its bound at alpha 3.5,
 * 1.2x at 2.94 for an entry 2.9e-4 above it, where the slope is 27): every alpha > 2 is widened.
 * S: how x is stored (f32, or u16: halves, widened exactly to f32 and so to f64).
 */
function widenedRows<S>(x: usize, y: usize, w: usize, rows: i32, k: i32, beta: f64, alpha: f64): void {
  const work = at<f64>(w, k);
  for (let r = 0; r < rows; r++) {
    const py = at<f32>(y, r * k);
    // Halves are widened into y first (no float arithmetic on subnormal halves: see widenHalves).
    const px = sizeof<S>() == 2 ? py : at<f32>(x, r * k);
    if (sizeof<S>() == 2) widenHalves(atS<S>(x, r * k), py, k);
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      for (; i + 4 <= k; i += 4) {
        const v = v128.load(at<f32>(px, i));
        v128.store(at<f64>(w, i), f64x2.promote_low_f32x4(v));
        v128.store(at<f64>(w, i + 2), f64x2.promote_low_f32x4(high(v)));
      }
    }
    for (; i < k; i++) store<f64>(at<f64>(w, i), <f64>load<f32>(at<f32>(px, i)));
    f64_entmax(w, w, work, 1, k, beta, alpha);
    i = 0;
    if (ASC_FEATURE_SIMD) {
      for (; i + 4 <= k; i += 4) {
        const lo = f32x4.demote_f64x2_zero(v128.load(at<f64>(w, i)));
        const hi = f32x4.demote_f64x2_zero(v128.load(at<f64>(w, i + 2)));
        v128.store(at<f32>(py, i), v128.shuffle<i32>(lo, hi, 0, 1, 4, 5));
      }
    }
    for (; i < k; i++) store<f32>(at<f32>(py, i), <f32>load<f64>(at<f64>(w, i)));
  }
}

/**
 * alpha-entmax (alpha > 1; 2 = sparsemax) of rows of k at x into y (y may be x); w: work space
 * of workBytes (src/sparse/wasm.ts): 2k elements of T and k i32, or for f32 at alpha > 2 k f64 then
 * the f64 kernel's work space (the rows widenedRows computes in f64).
 */
export function f32_entmax(x: usize, y: usize, w: usize, rows: i32, k: i32, beta: f64, alpha: f64): void {
  entmaxF32(x, y, w, rows, k, beta, alpha, false);
}
export function f64_entmax(x: usize, y: usize, w: usize, rows: i32, k: i32, beta: f64, alpha: f64): void {
  entmaxRows<f64>(x, y, w, rows, k, beta, alpha, false);
}
/**
 * f32_entmax of rows of halves at x: y is f32 (it may not overlap x). The halves are widened
 * where they are read (the row's extremum and sample, its candidates; a row of many subnormal
 * halves, alpha > 2 too, into y first), the same values as the row widened to f32 first, and the
 * same result bit for bit.
 */
export function f16_entmax(x: usize, y: usize, w: usize, rows: i32, k: i32, beta: f64, alpha: f64): void {
  entmaxF32(x, y, w, rows, k, beta, alpha, true);
}

/** f32_entmax and f16_entmax: one copy of the search for both. */
function entmaxF32(x: usize, y: usize, w: usize, rows: i32, k: i32, beta: f64, alpha: f64, halves: bool): void {
  if (alpha > WIDEN_ABOVE) {
    if (halves) widenedRows<u16>(x, y, w, rows, k, beta, alpha);
    else widenedRows<f32>(x, y, w, rows, k, beta, alpha);
  } else entmaxRows<f32>(x, y, w, rows, k, beta, alpha, halves);
}

/** Backward pass of alpha-entmax: gradient g of the output y, into out (may be g or y). */
export function f32_entmaxbackward(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, alpha: f64): void {
  backward<f32, f32>(g, y, out, rows, k, beta, alpha, 0);
}
export function f64_entmaxbackward(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, alpha: f64): void {
  backward<f64, f64>(g, y, out, rows, k, beta, alpha, 0);
}
/**
 * f32_entmaxbackward of halves g and y (widened as they are read), into f32 out, which may not
 * overlap them (pass 1 leaves its values there for pass 2), the same result bit for bit. work:
 * HALF_BLOCK f32 (one per thread), where entmax 1.5 and the scalar build widen g.
 */
export function f16_entmaxbackward(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, alpha: f64, work: usize): void {
  backward<f32, u16>(g, y, out, rows, k, beta, alpha, work);
}
/** f32_entmaxbackward of halves g and f32 y, into f32 out (it may be y); work: k f32 (one per thread). */
export function f16_entmaxbackward_g(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, alpha: f64, work: usize): void {
  loneHalves(true, g, y, out, rows, k, beta, alpha, work);
}
/** f32_entmaxbackward of f32 g and halves y, into f32 out (it may be g); work: k f32 (one per thread). */
export function f16_entmaxbackward_y(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, alpha: f64, work: usize): void {
  loneHalves(false, g, y, out, rows, k, beta, alpha, work);
}
/** The backward pass of one operand of halves (`gHalves`: g) and the other f32: the f32 kernel on each row (loneRow). */
function loneHalves(gHalves: bool, g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, alpha: f64, work: usize): void {
  for (let r = 0; r < rows; r++) {
    f32_entmaxbackward(loneRow(g, r, k, gHalves, work), loneRow(y, r, k, !gHalves, work), at<f32>(out, r * k), 1, k, beta, alpha);
  }
}
