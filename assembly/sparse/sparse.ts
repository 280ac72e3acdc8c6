// Sparse distributions over linear memory: alpha-entmax (Peters et al. 2019; alpha = 2 is
// sparsemax, Martins & Astudillo 2016) and its backward pass. Pointers and lengths in; T is f32
// or f64. (alpha = 1, softmax, is the core's: the host never sends it here.)
//
// Per row, with c the row's max (min for beta < 0) and a = (alpha - 1)*beta, the scores are
// X_i = a*(x_i - c) <= 0 (max 0) and the output is p_i = [X_i - tau]_+^kappa, kappa =
// 1/(alpha - 1), with tau the threshold that makes the row sum to 1. tau lies in [-1, 0): the
// max alone gives sum >= 1 at tau = -1. No sort: the row is read three times (extremum;
// the candidates X_i > -1, the only entries that can be in the support, copied to a work
// area; the output), and the threshold is searched on the candidates alone:
//   - Newton's method on the kappa-norm of the positive part, N(tau) = (sum_i [X_i - tau]_+^kappa)^(1/kappa),
//     which is convex and decreasing: from tau = -1, on the left of the root, every step stays
//     on the left and the support only shrinks. N is linear where the support's values are
//     equal, so the steps converge in a few passes where plain bisection needs one per bit;
//   - each pass's step is kept inside the bracket [lo, hi] of the passes so far (the
//     bisection's midpoint otherwise), hi = -(1/m)^(alpha - 1) at first (m candidates);
//   - sparsemax (kappa = 1) and entmax 1.5 (kappa = 2) then take the exact threshold of the
//     support {X_i > tau}: (sum (X - tau) - 1)/n, or the smaller root of
//     sum (X - tau - d)^2 = 1; that value is the answer when no entry of the support falls
//     below it (then the row sums to 1 at it, and the root is unique). Other alphas stop
//     when Newton's step is below the dtype's resolution (its error is then about the
//     step squared).

import { expAny, expF32Constant, expNonPositive, expWith } from "../shared/exp";
import { FLUSH, add64, at, betaOf, extremum, high, lanes, pickLanes, sumLanes } from "../shared/reduce";
import { logOf, logV, powAny, powAnyV, powUnit, tinyOf } from "./pow";

// The kinds of alpha, each with loops of its own.
const SPARSEMAX: i32 = 1; // alpha = 2, kappa = 1
const QUADRATIC: i32 = 2; // alpha = 1.5, kappa = 2
const GENERAL: i32 = 3; // any other alpha > 1

// Passes over the candidates at most (bisection alone halves the bracket 100 times).
const MAX_PASSES: i32 = 100;

// A pass's sums over the support {X_i > tau}: n, sum t, sum t^2 (QUADRATIC) or sum t^kappa
// (GENERAL), sum t^(kappa - 1) (GENERAL), and the support's smallest X. Module-internal:
// the host never reads them.
const PASS = memory.data(40);
const P_N: i32 = 0;
const P_S1: i32 = 1;
const P_S2: i32 = 2;
const P_G: i32 = 3;
const P_MIN: i32 = 4;

// @ts-ignore: decorator
@inline
function passOf(i: i32): f64 {
  return load<f64>(PASS + (<usize>i << 3));
}

// @ts-ignore: decorator
@inline
function setPass(i: i32, v: f64): void {
  store<f64>(PASS + (<usize>i << 3), v);
}

/** The count of set lanes in a comparison mask of T lanes. */
// @ts-ignore: decorator
@inline
function countOf<T>(mask: v128): i32 {
  return <i32>popcnt<i32>(sizeof<T>() == 4 ? i32x4.bitmask(mask) : i64x2.bitmask(mask));
}

/**
 * Copies the scores X_i = a*(x_i - c) of x[0..k) that are above -1 to w, in order; returns
 * their count. Vectors with no candidate cost a compare; the others store every lane and
 * advance by the lanes kept (no branch per lane).
 */
function candidates<T>(x: usize, k: i32, c: T, a: T, w: usize): i32 {
  let m = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vc = v128.splat<T>(c);
    const va = v128.splat<T>(a);
    const floor = v128.splat<T>(-1);
    for (; i + L <= k; i += L) {
      const X = v128.mul<T>(v128.sub<T>(v128.load(at<T>(x, i)), vc), va);
      const kept = v128.gt<T>(X, floor);
      if (!v128.any_true(kept)) continue;
      const bits = sizeof<T>() == 4 ? i32x4.bitmask(kept) : i64x2.bitmask(kept);
      store<T>(at<T>(w, m), v128.extract_lane<T>(X, 0));
      m += bits & 1;
      store<T>(at<T>(w, m), v128.extract_lane<T>(X, 1));
      m += (bits >> 1) & 1;
      if (sizeof<T>() == 4) {
        store<T>(at<T>(w, m), v128.extract_lane<T>(X, 2));
        m += (bits >> 2) & 1;
        store<T>(at<T>(w, m), v128.extract_lane<T>(X, 3));
        m += (bits >> 3) & 1;
      }
    }
  }
  for (; i < k; i++) {
    const X = (load<T>(at<T>(x, i)) - c) * a;
    store<T>(at<T>(w, m), X);
    m += i32(X > <T>-1);
  }
  return m;
}

/**
 * Keeps the candidates of w[0..m) above `floor` (a lower bound of the threshold: the others
 * cannot be in the support), in order, in place; returns their count.
 */
function compact<T>(w: usize, m: i32, floor: T): i32 {
  let kept = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vf = v128.splat<T>(floor);
    for (; i + L <= m; i += L) {
      const X = v128.load(at<T>(w, i));
      const mask = v128.gt<T>(X, vf);
      if (!v128.any_true(mask)) continue;
      const bits = sizeof<T>() == 4 ? i32x4.bitmask(mask) : i64x2.bitmask(mask);
      store<T>(at<T>(w, kept), v128.extract_lane<T>(X, 0));
      kept += bits & 1;
      store<T>(at<T>(w, kept), v128.extract_lane<T>(X, 1));
      kept += (bits >> 1) & 1;
      if (sizeof<T>() == 4) {
        store<T>(at<T>(w, kept), v128.extract_lane<T>(X, 2));
        kept += (bits >> 2) & 1;
        store<T>(at<T>(w, kept), v128.extract_lane<T>(X, 3));
        kept += (bits >> 3) & 1;
      }
    }
  }
  for (; i < m; i++) {
    const X = load<T>(at<T>(w, i));
    store<T>(at<T>(w, kept), X);
    kept += i32(X > floor);
  }
  return kept;
}

/** One pass over the candidates w[0..m) at tau: the sums of PASS for the kind. */
// @ts-ignore: decorator
@inline
function sumsAt<T>(w: usize, m: i32, tau: f64, kind: i32, kappa: f64): void {
  const tt = <T>tau;
  const kk = <T>kappa;
  let n = 0;
  let s1: f64 = 0;
  let s2: f64 = 0;
  let sg: f64 = 0;
  let low: T = <T>Infinity;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vt = v128.splat<T>(tt);
    const vk = v128.splat<T>(kk);
    const zero = v128.splat<T>(0);
    const tiny = v128.splat<T>(tinyOf<T>());
    const k0 = expF32Constant(0);
    const k1 = expF32Constant(1);
    const k2 = expF32Constant(2);
    const k3 = expF32Constant(3);
    const k4 = expF32Constant(4);
    const k5 = expF32Constant(5);
    const k6 = expF32Constant(6);
    const k7 = expF32Constant(7);
    const k8 = expF32Constant(8);
    const k9 = expF32Constant(9);
    let vlow = v128.splat<T>(low);
    const vt64 = f64x2.splat(<f64>tt);
    const zero64 = f64x2.splat(0);
    // The sums in f64 lanes: an error e in tau moves the row's sum by n*e.
    let a1 = f64x2.splat(0);
    let a2 = a1;
    let a3 = a1;
    for (; i + L <= m; i += L) {
      const X = v128.load(at<T>(w, i));
      const t = v128.sub<T>(X, vt);
      const kept = v128.gt<T>(t, zero);
      n += countOf<T>(kept);
      vlow = v128.pmin<T>(vlow, v128.bitselect(X, v128.splat<T>(<T>Infinity), kept));
      if (sizeof<T>() == 4 && kind != GENERAL) {
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
      if (kind == GENERAL) {
        if (!v128.any_true(kept)) continue;
        const tc = v128.pmax<T>(t, tiny);
        const p = v128.and(expWith<T>(v128.mul<T>(vk, logV<T>(tc)), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9), kept);
        a2 = add64<T>(a2, p);
        a3 = add64<T>(a3, v128.div<T>(p, tc));
      } else {
        a1 = add64<T>(a1, tk);
        if (kind == QUADRATIC) a2 = add64<T>(a2, v128.mul<T>(tk, tk));
      }
    }
    s1 = f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1);
    s2 = f64x2.extract_lane(a2, 0) + f64x2.extract_lane(a2, 1);
    sg = f64x2.extract_lane(a3, 0) + f64x2.extract_lane(a3, 1);
    low = pickLanes<T>(vlow, true);
  }
  for (; i < m; i++) {
    const X = load<T>(at<T>(w, i));
    const t = X - tt;
    if (!(t > <T>0)) continue;
    n++;
    low = min<T>(low, X);
    if (kind == GENERAL) {
      const tc = max<T>(t, tinyOf<T>());
      const p = powUnit<T>(tc, kk);
      s2 += <f64>p;
      sg += <f64>(p / tc);
    } else {
      const t64 = <f64>X - <f64>tt;
      s1 += t64;
      if (kind == QUADRATIC) s2 += t64 * t64;
    }
  }
  setPass(P_N, <f64>n);
  setPass(P_S1, s1);
  setPass(P_S2, s2);
  setPass(P_G, sg);
  setPass(P_MIN, <f64>low);
}

/** The threshold of the candidates w[0..m) (see the header). */
// @ts-ignore: decorator
@inline
function solve<T>(w: usize, m: i32, kind: i32, kappa: f64, alpha: f64): f64 {
  // Below this step the next Newton estimate is within about its square of the root.
  const tol: f64 = sizeof<T>() == 4 ? 4.8e-7 : 2.8e-14;
  let lo: f64 = -1;
  let hi: f64 = -expNonPositive<f64>((1 - alpha) * logOf<f64>(<f64>m));
  let tau: f64 = -1;
  let refined = false;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    sumsAt<T>(w, m, tau, kind, kappa);
    const n = passOf(P_N);
    const s1 = passOf(P_S1);
    const s2 = passOf(P_S2);
    if (kind != GENERAL) {
      // The exact threshold of the support {X > tau}, as a shift d from tau.
      const d = kind == SPARSEMAX ? (s1 - 1) / n : (s2 - 1) / (s1 + Math.sqrt(max(s1 * s1 - n * (s2 - 1), 0)));
      if (tau + d <= passOf(P_MIN)) {
        // Exact for this support; the sums at tau of entries far above it lose the low digits
        // that the row's sum needs (n*ulp(sum)), so one more pass from there refines it.
        if (refined) return tau + d;
        refined = true;
        tau = <f64><T>(tau + d);
        continue;
      }
    }
    const f = kind == SPARSEMAX ? s1 : s2;
    if (f >= 1) {
      lo = tau;
      // Dense rows shrink their support over many passes: the later ones read only what is left.
      if (n <= <f64>(m >> 1)) m = compact<T>(w, m, <T>tau);
    } else hi = tau;
    // Newton on N(tau) - 1: tau + (f - f^(1 - 1/kappa)) / sum t^(kappa - 1).
    let next: f64;
    if (kind == SPARSEMAX) next = tau + (s1 - 1) / n;
    else if (kind == QUADRATIC) next = tau + (s2 - Math.sqrt(s2)) / s1;
    else next = tau + (f - f / expAny<f64>((alpha - 1) * logOf<f64>(f))) / passOf(P_G);
    // A step below the tolerance (or rounded away) is a converged one, except for kappa < 1
    // (alpha > 2): there an entry just above tau makes sum t^(kappa - 1) huge and the step
    // small far from the root, so the sum must be 1 too, else the bisection goes on.
    const small = kind == GENERAL ? abs(next - tau) <= tol : next == tau;
    if (small && (kappa >= 1 || abs(f - 1) <= tol)) return kind == GENERAL ? next : tau;
    const newton = !small && next > lo && next < hi;
    if (!newton) next = 0.5 * (lo + hi);
    // The bracket's width ends the search for kappa >= 1 only (a step of tau moves p by at most kappa times it).
    if (next == tau || (kind == GENERAL && kappa >= 1 && hi - lo <= tol)) return next;
    // The passes evaluate at tau rounded to T: the bracket moves in T's values, so that a search
    // stuck between two neighbours of T ends (next == tau) instead of halving f64's gap.
    tau = <f64><T>next;
  }
  return tau;
}

/** y_i = [a*(x_i - c) - tau]_+^kappa over x[0..k) (y may be x). */
// @ts-ignore: decorator
@inline
function writeOutput<T>(x: usize, y: usize, k: i32, c: T, a: T, tau: f64, kind: i32, kappa: f64): void {
  const tt = <T>tau;
  const kk = <T>kappa;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vc = v128.splat<T>(c);
    const va = v128.splat<T>(a);
    const vt = v128.splat<T>(tt);
    const vk = v128.splat<T>(kk);
    const zero = v128.splat<T>(0);
    const tiny = v128.splat<T>(tinyOf<T>());
    const k0 = expF32Constant(0);
    const k1 = expF32Constant(1);
    const k2 = expF32Constant(2);
    const k3 = expF32Constant(3);
    const k4 = expF32Constant(4);
    const k5 = expF32Constant(5);
    const k6 = expF32Constant(6);
    const k7 = expF32Constant(7);
    const k8 = expF32Constant(8);
    const k9 = expF32Constant(9);
    for (; i + L <= k; i += L) {
      const t = v128.sub<T>(v128.mul<T>(v128.sub<T>(v128.load(at<T>(x, i)), vc), va), vt);
      const kept = v128.gt<T>(t, zero);
      const tk = v128.and(t, kept);
      let p = tk;
      if (kind == QUADRATIC) p = v128.mul<T>(tk, tk);
      else if (kind == GENERAL && v128.any_true(kept)) {
        p = v128.and(expWith<T>(v128.mul<T>(vk, logV<T>(v128.pmax<T>(t, tiny))), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9), kept);
      }
      v128.store(at<T>(y, i), p);
    }
  }
  for (; i < k; i++) {
    const t = (load<T>(at<T>(x, i)) - c) * a - tt;
    let p: T = t > <T>0 ? t : <T>0;
    if (kind == QUADRATIC) p *= p;
    else if (kind == GENERAL && p > <T>0) p = powUnit<T>(p, kk);
    store<T>(at<T>(y, i), p);
  }
}

/** A row whose scaled extremum m = beta*c is not finite: NaN, all masked, or +Inf scores sharing. */
function specialRow<T>(x: usize, y: usize, k: i32, c: T, m: f64): void {
  if (isNaN(m)) {
    for (let i = 0; i < k; i++) store<T>(at<T>(y, i), <T>NaN);
    return;
  }
  let count = 0;
  if (m > 0) for (let i = 0; i < k; i++) count += i32(load<T>(at<T>(x, i)) == c);
  const share = <T>(m > 0 ? 1.0 / <f64>count : 0);
  for (let i = 0; i < k; i++) store<T>(at<T>(y, i), load<T>(at<T>(x, i)) == c ? share : <T>0);
}

/** alpha-entmax of `rows` rows of k at x into y (y may be x), w a work area of k elements. */
// @ts-ignore: decorator
@inline
function entmaxRows<T>(x: usize, y: usize, w: usize, rows: i32, k: i32, beta: f64, alpha: f64): void {
  const kind = alpha == 2 ? SPARSEMAX : alpha == 1.5 ? QUADRATIC : GENERAL;
  const kappa = 1 / (alpha - 1);
  const a = betaOf<T>((alpha - 1) * beta);
  for (let r = 0; r < rows; r++) {
    const px = at<T>(x, r * k);
    const py = at<T>(y, r * k);
    const c = extremum<T>(px, k, beta < 0);
    const m = beta * <f64>c;
    if (!isFinite(<f64>c) || isNaN(m)) {
      specialRow<T>(px, py, k, c, m);
      continue;
    }
    const count = candidates<T>(px, k, c, a, w);
    // One copy of the loops per kind: the kind is a constant in each.
    if (kind == SPARSEMAX) writeOutput<T>(px, py, k, c, a, solve<T>(w, count, SPARSEMAX, 1, 2), SPARSEMAX, 1);
    else if (kind == QUADRATIC) writeOutput<T>(px, py, k, c, a, solve<T>(w, count, QUADRATIC, 2, 1.5), QUADRATIC, 2);
    else writeOutput<T>(px, py, k, c, a, solve<T>(w, count, GENERAL, kappa, alpha), GENERAL, kappa);
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
  return v128.and(powAnyV<T>(yv, q), kept);
}

// @ts-ignore: decorator
@inline
function weightOf<T>(y: T, kind: i32, q: T): T {
  if (!(y > <T>0)) return <T>0;
  if (kind == SPARSEMAX) return <T>1;
  if (kind == QUADRATIC) return <T>Math.sqrt(<f64>y);
  return powAny<T>(y, q);
}

/** out = beta*s*(g - sum(s*g)/sum(s)) per row, s = y^(2 - alpha) on the support (out may be g or y). */
// @ts-ignore: decorator
@inline
function backwardRows<T>(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, kind: i32, alpha: f64): void {
  const b = betaOf<T>(beta);
  const qs = <T>(2 - alpha);
  for (let r = 0; r < rows; r++) {
    const pg = at<T>(g, r * k);
    const py = at<T>(y, r * k);
    const po = at<T>(out, r * k);
    let sg: f64 = 0;
    let ss: f64 = 0;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const L = lanes<T>();
      const vq = v128.splat<T>(qs);
      while (i + L <= k) {
        const end = min(i + FLUSH, k);
        let a1 = v128.splat<T>(0);
        let a2 = a1;
        for (; i + L <= end; i += L) {
          const s = weightV<T>(v128.load(at<T>(py, i)), kind, vq);
          a1 = v128.add<T>(a1, v128.mul<T>(s, v128.load(at<T>(pg, i))));
          a2 = v128.add<T>(a2, s);
        }
        sg += sumLanes<T>(a1);
        ss += sumLanes<T>(a2);
      }
    }
    for (; i < k; i++) {
      const s = weightOf<T>(load<T>(at<T>(py, i)), kind, qs);
      if (s != <T>0) sg += <f64>(s * load<T>(at<T>(pg, i)));
      ss += <f64>s;
    }
    const mean = <T>(ss > 0 ? sg / ss : 0);
    i = 0;
    if (ASC_FEATURE_SIMD) {
      const L = lanes<T>();
      const vq = v128.splat<T>(qs);
      const vm = v128.splat<T>(mean);
      const vb = v128.splat<T>(b);
      for (; i + L <= k; i += L) {
        const s = weightV<T>(v128.load(at<T>(py, i)), kind, vq);
        const d = v128.mul<T>(v128.sub<T>(v128.load(at<T>(pg, i)), vm), vb);
        v128.store(at<T>(po, i), v128.and(v128.mul<T>(s, d), v128.ne<T>(s, v128.splat<T>(0))));
      }
    }
    for (; i < k; i++) {
      const s = weightOf<T>(load<T>(at<T>(py, i)), kind, qs);
      store<T>(at<T>(po, i), s != <T>0 ? s * ((load<T>(at<T>(pg, i)) - mean) * b) : <T>0);
    }
  }
}

// @ts-ignore: decorator
@inline
function backward<T>(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, alpha: f64): void {
  if (alpha == 2) backwardRows<T>(g, y, out, rows, k, beta, SPARSEMAX, alpha);
  else if (alpha == 1.5) backwardRows<T>(g, y, out, rows, k, beta, QUADRATIC, alpha);
  else backwardRows<T>(g, y, out, rows, k, beta, GENERAL, alpha);
}

// ---- exports: one per kernel and dtype ----

export { features, heapBase } from "../shared/module";

/** alpha-entmax (alpha > 1; 2 = sparsemax) of rows of k at x into y (y may be x); w: k elements of work space. */
export function f32_entmax(x: usize, y: usize, w: usize, rows: i32, k: i32, beta: f64, alpha: f64): void {
  entmaxRows<f32>(x, y, w, rows, k, beta, alpha);
}
export function f64_entmax(x: usize, y: usize, w: usize, rows: i32, k: i32, beta: f64, alpha: f64): void {
  entmaxRows<f64>(x, y, w, rows, k, beta, alpha);
}

/** Backward pass of alpha-entmax: gradient g of the output y, into out (may be g or y). */
export function f32_entmaxbackward(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, alpha: f64): void {
  backward<f32>(g, y, out, rows, k, beta, alpha);
}
export function f64_entmaxbackward(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, alpha: f64): void {
  backward<f64>(g, y, out, rows, k, beta, alpha);
}
