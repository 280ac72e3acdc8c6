// Loss and gradient kernels over linear memory: cross-entropy in two passes per row (the
// host computes the per-row loss and gradient coefficients in between), and the backward
// passes of softmax and log-softmax. Pointers and lengths in, numbers out; T is f32 or f64.
//
// Cross-entropy, per row of k logits x with scores z = beta*x, c the row's max (min for
// beta < 0), m = beta*c and a_j = beta*(x_j - c) <= 0: the row is read twice (extremum;
// then exps, stored to g when the gradient is asked for), its statistics (STATS below) go to
// the host, which computes the loss from them; the gradient pass over g follows at once,
// g_j = a*e_j - W_j*(B + D*T_j) and g_y -= F, with coefficients that the host computes
// before the call (they depend on the targets and weights only) and a from the row's sum
// (W the class weights or 1, T the target probabilities or 0, y the target index).
// A row whose c is not finite (or that holds a NaN) takes the special-value rules: NaN anywhere gives NaN; all
// entries masked gives a_j = -Inf, e_j = 0; +Inf entries give a_j = 0, e_j = 1 for those
// and -Inf, 0 for the rest (so e_j / sum e is the softmax of the special rules).
// The logits may be halves (S = u16, T = f32: reduce.ts's storage), computed on as their
// exact f32 values, bit for bit the f32 kernels' results on those values; everything else
// (g, t, w) is T. Halves are widened once (into g, into out, or into the f32 scratch `work`
// of max(HALF_WORK, k) elements) and the f32 loops run on that: widening inside an exp loop
// costs V8 about 12-23 instructions per 16 elements and reloads of spilled constants
// (docs/loss.md, "Half precision").

import { expAny, expAnyWith, expConstant, expNonPositive } from "../shared/exp";
import {
  F32_MAX, add64, at, atS, betaOf, extremum, high, lanes, loadAs, loadLanes, raddexpminusmax, raddexpminusmaxtop, raddstoreexpminusmax, sumLanes,
  widenConstant, widenExtremum,
} from "../shared/reduce";
import { scaledDiff } from "../shared/careful";
import { halfConstant, halfToF32, holdsSpecial, holdsSubnormal, loneRow, quickHigh8, quickLow8, quickTop8, raiseHalfSub, widenExactOnce, widenFiniteRun, widenSmallRun, widenFiniteScalar, widenHalves } from "../shared/half";
import { COEFS, HALF_WORK, PLAIN, PROB, SMOOTH, STATS, S_DOTT, S_DOTW, S_M, S_SUM, S_SUMT, S_ZY } from "./stats";

// The layout of the statistics and coefficients, and the modes: stats.ts.
// The one-read pass (PLAIN mode without the gradient) keeps its block's largest exponent in
// a slot that mode leaves unused.
const S_TOP: i32 = S_DOTT;

// Rows longer than ONE_READ_BLOCK take the one-read pass when only their statistics are
// asked for (logProbs, the loss alone): exps relative to the extremum of the first block,
// a block redone relative to its own extremum where its exponents pass GUESS_SLACK (exp(64)
// is still far inside f32's range, and exp.ts is exact up to 88), so the row is read once
// instead of twice (extremum, exps). A block of halves fills the work area.
const ONE_READ_BLOCK: i32 = HALF_WORK;
const GUESS_SLACK: f64 = 64;

/** The sum of exp(b*(x_i - c)) over x[0..n), each term also stored to g when `keep`. */
// @ts-ignore: decorator
@inline
function rowExps<T>(x: usize, g: usize, n: i32, c: T, b: T, keep: bool): f64 {
  return keep ? raddstoreexpminusmax<T>(x, g, n, c, b) : raddexpminusmax<T>(x, n, c, b);
}

// @ts-ignore: decorator
@inline
function slot(stats: usize, i: i32): usize {
  return stats + (<usize>i << 3);
}

/** a*u, or 0 where u is 0 (so that a masked a = -Inf with no weight adds nothing). */
// @ts-ignore: decorator
@inline
function mulz(a: f64, u: f64): f64 {
  return u != 0 ? a * u : 0;
}

/** acc + a*u in f64 lanes, lanes with u = 0 adding 0. */
// @ts-ignore: decorator
@inline
function dot64<T>(acc: v128, a: v128, u: v128): v128 {
  const zero = f64x2.splat(0);
  if (sizeof<T>() == 4) {
    const ul = f64x2.promote_low_f32x4(u);
    const uh = f64x2.promote_low_f32x4(high(u));
    const pl = v128.and(f64x2.mul(f64x2.promote_low_f32x4(a), ul), f64x2.ne(ul, zero));
    const ph = v128.and(f64x2.mul(f64x2.promote_low_f32x4(high(a)), uh), f64x2.ne(uh, zero));
    return f64x2.add(acc, f64x2.add(pl, ph));
  }
  return f64x2.add(acc, v128.and(f64x2.mul(a, u), f64x2.ne(u, zero)));
}

/** The largest of v's T lanes (pmax: a NaN lane may be passed over; the scalar checks see it). */
// @ts-ignore: decorator
@inline
function pickMax<T>(v: v128): T {
  const m = v128.pmax<T>(v, high(v));
  if (sizeof<T>() == 4) return <T>max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1));
  return <T>f64x2.extract_lane(m, 0);
}

/** acc + a*u in f64 lanes (a already f64, u two f32 or f64 lanes promoted), lanes with u = 0 adding 0. */
// @ts-ignore: decorator
@inline
function dotF64(acc: v128, a: v128, u: v128): v128 {
  return f64x2.add(acc, v128.and(f64x2.mul(a, u), f64x2.ne(u, f64x2.splat(0))));
}

/**
 * Half the score a_j = b*(x_j - c), in f64: the dot products are kept in halves because
 * x_j - c passes the dtype's range for logits near +-MAX (Infinity, where the loss, a mean of
 * -log p_j with weights below 1, may be finite). f32 data is subtracted in f64, exactly.
 */
// @ts-ignore: decorator
@inline
function halfScore<T>(x: T, c: T, b: T): f64 {
  if (sizeof<T>() == 4) return (<f64>x - <f64>c) * (<f64>b * 0.5);
  return (<f64>x * 0.5 - <f64>c * 0.5) * <f64>b;
}

/**
 * Adds to the row's statistics at `stats` the dot products of the header over [start, end),
 * scaled to stay finite (stats.ts): sum_j W_j*a_j/(2K) (`invK` = 1/K), and with `prob`
 * sum_j W_j*T_j*a_j/2 and sum_j W_j*T_j (W_j = 1 unless `hasW`), a_j = b*(x_j - c). f64 data
 * scales each term (K halves at -MAX sum past the range), f32 data the sum (in f64 it cannot
 * pass it). A pass of its own before the exp-sum (which then finds the row in cache): the
 * smoothed and probability losses need it, the common ones do not.
 */
function addDots<T>(x: usize, t: usize, w: usize, start: i32, end: i32, c: T, b: T, stats: usize, prob: bool, hasW: bool, invK: f64): void {
  let dotW: f64 = 0;
  let dotT: f64 = 0;
  let sumT: f64 = 0;
  let i = start;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    let dw = f64x2.splat(0);
    let dt = dw;
    let st = dw;
    if (sizeof<T>() == 4) {
      const vc = f64x2.splat(<f64>c);
      const vb = f64x2.splat(<f64>b * 0.5);
      const one = v128.splat<T>(1);
      for (; i + L <= end; i += L) {
        const xv = v128.load(at<T>(x, i));
        const al = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(xv), vc), vb);
        const ah = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(high(xv)), vc), vb);
        const wv = hasW ? v128.load(at<T>(w, i)) : one;
        if (hasW) dw = dotF64(dotF64(dw, al, f64x2.promote_low_f32x4(wv)), ah, f64x2.promote_low_f32x4(high(wv)));
        else dw = f64x2.add(dw, f64x2.add(al, ah));
        if (prob) {
          const u = hasW ? v128.mul<T>(v128.load(at<T>(t, i)), wv) : v128.load(at<T>(t, i));
          dt = dotF64(dotF64(dt, al, f64x2.promote_low_f32x4(u)), ah, f64x2.promote_low_f32x4(high(u)));
          st = add64<T>(st, u);
        }
      }
    } else {
      const vc = v128.splat<T>(c * <T>0.5);
      const vh = v128.splat<T>(<T>0.5);
      const vb = v128.splat<T>(b);
      const vk = f64x2.splat(invK);
      for (; i + L <= end; i += L) {
        const a = v128.mul<T>(v128.sub<T>(v128.mul<T>(v128.load(at<T>(x, i)), vh), vc), vb);
        const wv = hasW ? v128.load(at<T>(w, i)) : f64x2.splat(1);
        const ak = f64x2.mul(a, vk);
        dw = hasW ? dotF64(dw, ak, wv) : f64x2.add(dw, ak);
        if (prob) {
          const u = hasW ? v128.mul<T>(v128.load(at<T>(t, i)), wv) : v128.load(at<T>(t, i));
          dt = dotF64(dt, a, u);
          st = f64x2.add(st, u);
        }
      }
    }
    dotW = sumLanes<f64>(dw);
    dotT = sumLanes<f64>(dt);
    sumT = sumLanes<f64>(st);
  }
  if (sizeof<T>() == 4) dotW *= invK;
  for (; i < end; i++) {
    const a = halfScore<T>(load<T>(at<T>(x, i)), c, b);
    const wi: f64 = hasW ? <f64>load<T>(at<T>(w, i)) : 1;
    dotW += mulz(a * invK, wi);
    if (prob) {
      const u = <f64>(hasW ? load<T>(at<T>(t, i)) * <T>wi : load<T>(at<T>(t, i)));
      dotT += mulz(a, u);
      sumT += u;
    }
  }
  store<f64>(slot(stats, S_DOTW), load<f64>(slot(stats, S_DOTW)) + dotW);
  if (prob) {
    store<f64>(slot(stats, S_DOTT), load<f64>(slot(stats, S_DOTT)) + dotT);
    store<f64>(slot(stats, S_SUMT), load<f64>(slot(stats, S_SUMT)) + sumT);
  }
}

/** A row whose c is not finite (see the header), in scalar code: it is rare. */
function specialRow<T>(
  x: usize, g: usize, t: usize, w: usize, k: i32, y: i32, c: T, m: f64, stats: usize,
  keep: bool, mode: i32, hasW: bool,
): void {
  let sum: f64 = 0;
  let dotW: f64 = 0;
  let dotT: f64 = 0;
  let sumT: f64 = 0;
  let zy: f64 = 0;
  for (let j = 0; j < k; j++) {
    const a: f64 = isNaN(m) ? NaN : m > 0 && load<T>(at<T>(x, j)) == c ? 0 : -Infinity;
    const e: f64 = isNaN(a) ? NaN : a == 0 ? 1 : 0;
    if (keep) store<T>(at<T>(g, j), <T>e);
    if (j == y) zy = a;
    else sum += e;
    if (mode != PLAIN) {
      const wj: f64 = hasW ? <f64>load<T>(at<T>(w, j)) : 1;
      dotW += mulz(a, wj);
      if (mode == PROB) {
        const u = <f64>load<T>(at<T>(t, j)) * wj;
        dotT += mulz(a, u);
        sumT += u;
      }
    }
  }
  store<f64>(slot(stats, S_SUM), sum);
  store<f64>(slot(stats, S_ZY), zy);
  // a is 0, -Infinity or NaN here: its own scaled value (the dots are scaled, see addDots).
  store<f64>(slot(stats, S_DOTW), dotW);
  store<f64>(slot(stats, S_DOTT), dotT);
  store<f64>(slot(stats, S_SUMT), sumT);
}

/**
 * The statistics of a row in one read (see ONE_READ_BLOCK), PLAIN mode without the gradient.
 * Returns false, having stored nothing final, for a row with a NaN or a non-finite extremum:
 * the caller takes the full path with the special-value rules. Halves: each block is widened
 * into `work` (the first with its extremum) and the f32 loops run there.
 */
// @ts-ignore: decorator
@inline
function oneReadRow<T, S>(px: usize, k: i32, y: i32, beta: f64, ps: usize, work: usize): bool {
  const lowest = beta < 0;
  const b = betaOf<T>(beta);
  const halves = sizeof<S>() == 2;
  let c = halves ? <T>widenExtremum(px, work, ONE_READ_BLOCK, lowest) : extremum<T>(px, ONE_READ_BLOCK, lowest);
  if (!isFinite(beta * <f64>c)) return false;
  let sum: f64 = 0;
  for (let i = 0; i < k; i += ONE_READ_BLOCK) {
    const end = min(i + ONE_READ_BLOCK, k);
    if (halves && i > 0) widenHalves(atS<S>(px, i), work, end - i);
    const p = halves ? work : at<T>(px, i); // the block's T values
    let sb: f64 = 0;
    for (let pass = 0; pass < 2; pass++) {
      store<f64>(slot(ps, S_TOP), -Infinity);
      sb = 0;
      // The block without the target's term (see rowStats).
      const split = y >= i && y < end;
      const parts = split ? 2 : 1;
      for (let part = 0; part < parts; part++) {
        const from = part == 0 ? i : y + 1;
        const to = split && part == 0 ? y : end;
        sb += raddexpminusmaxtop<T>(at<T>(p, from - i), to - from, c, b, slot(ps, S_TOP));
      }
      if (pass == 1 || !(load<f64>(slot(ps, S_TOP)) > GUESS_SLACK)) break;
      // The block's values rose past c: redo it relative to its own extremum.
      const cb = extremum<T>(p, end - i, lowest);
      if (!isFinite(beta * <f64>cb)) return false;
      sum *= expNonPositive<f64>(beta * (<f64>c - <f64>cb));
      c = cb;
    }
    sum += sb;
  }
  if (isNaN(sum)) return false;
  store<f64>(slot(ps, S_TOP), 0);
  store<f64>(slot(ps, S_M), beta * <f64>c);
  store<f64>(slot(ps, S_SUM), sum);
  store<f64>(slot(ps, S_ZY), y < 0 ? 0 : (<f64>loadAs<T, S>(px, y) - <f64>c) * beta);
  return true;
}

/**
 * Statistics of one row that is not ignored (and its exps to g with `keep`). Halves, unless
 * the one-read pass takes them, are widened once with their extremum (into g with `keep`, g
 * never x then; else into `work`) and the f32 row runs on them.
 */
function statsRow<T, S>(
  px: usize, pg: usize, pt: usize, w: usize, k: i32, y: i32, beta: f64, ps: usize,
  keep: bool, mode: i32, hasW: bool, work: usize,
): void {
  if (!keep && mode == PLAIN && k > ONE_READ_BLOCK && oneReadRow<T, S>(px, k, y, beta, ps, work)) return;
  if (sizeof<S>() == 2) {
    const wide = keep ? pg : work;
    rowStats<T>(wide, pg, pt, w, k, y, beta, ps, keep, mode, hasW, <T>widenExtremum(px, wide, k, beta < 0));
    return;
  }
  rowStats<T>(px, pg, pt, w, k, y, beta, ps, keep, mode, hasW, extremum<T>(px, k, beta < 0));
}

/** statsRow's row with its extremum c (the special-value rules where c is not finite). */
function rowStats<T>(
  px: usize, pg: usize, pt: usize, w: usize, k: i32, y: i32, beta: f64, ps: usize,
  keep: bool, mode: i32, hasW: bool, c: T,
): void {
  const m = beta * <f64>c;
  store<f64>(slot(ps, S_M), m);
  // Special only where c is not finite (or a NaN): a finite c whose beta*c overflows keeps
  // a_j = beta*(x_j - c), so a huge beta gives the arg max, never a masked row.
  if (!isFinite(<f64>c) || isNaN(m)) {
    specialRow<T>(px, pg, pt, w, k, y, c, m, ps, keep, mode, hasW);
    return;
  }
  // The target's term is left out of the sum, so that the host can take -log p_y as
  // log1p(sum / e_y): a confident prediction keeps its small loss to full precision.
  const b = betaOf<T>(beta);
  // In f64: x_y - c may pass f64's range (scaledDiff halves it).
  const zy = y < 0 ? 0 : scaledDiff(beta, <f64>load<T>(at<T>(px, y)), <f64>c);
  let sum: f64 = 0;
  for (let part = 0; part < (y < 0 ? 1 : 2); part++) {
    const start = part == 0 ? 0 : y + 1;
    const end = y < 0 || part == 1 ? k : y;
    // The dot products first: the exps may be stored over the logits (g = x).
    if (mode != PLAIN) addDots<T>(px, pt, w, start, end, c, b, ps, mode == PROB, hasW, 1.0 / <f64>k);
    sum += rowExps<T>(at<T>(px, start), at<T>(pg, start), end - start, c, b, keep);
  }
  store<f64>(slot(ps, S_SUM), sum);
  if (y < 0) return;
  if (mode == SMOOTH) {
    const wy: f64 = hasW ? <f64>load<T>(at<T>(w, y)) : 1;
    // Scaled as addDots' terms (zy itself may be -Infinity where its half is finite). Before
    // e_y is stored: g may be x.
    const half = isFinite(zy) ? zy * 0.5 : (<f64>load<T>(at<T>(px, y)) * 0.5 - <f64>c * 0.5) * beta;
    store<f64>(slot(ps, S_DOTW), load<f64>(slot(ps, S_DOTW)) + mulz(half * (1.0 / <f64>k), wy));
  }
  if (keep) store<T>(at<T>(pg, y), expNonPositive<T>(<T>zy));
  store<f64>(slot(ps, S_ZY), zy);
}

/**
 * The gradient of one row from its exps e at g: g_j = a*e_j - W_j*(B + D*T_j), g_y -= F,
 * times beta, with a = (A0 + tScale*sumT + zScale*LSE)/sum e (0 when the sum is 0: a row masked
 * entirely has p = 0).
 */
function gradRow<T>(
  pg: usize, pt: usize, w: usize, k: i32, y: i32, beta: f64, ps: usize, pc: usize, zScale: f64, tScale: f64,
  hasW: bool, hasT: bool,
): void {
  const zy = load<f64>(slot(ps, S_ZY));
  const sum = load<f64>(slot(ps, S_SUM)) + (y < 0 ? 0 : expNonPositive<f64>(zy));
  let A = load<f64>(pc) + (hasT ? tScale * load<f64>(slot(ps, S_SUMT)) : 0);
  // log1p(sum - 1), sum >= 1 where it is finite and not 0: AssemblyScript's Math.log (and
  // Math.exp) bring kilobytes of lookup tables into the module.
  if (zScale != 0) A += zScale * (load<f64>(slot(ps, S_M)) + Math.log1p(sum - 1));
  // beta*(a*e_j - u_j), beta last: a huge beta then cancels nothing beta-sized.
  const a = <T>(sum == 0 ? 0 : A / sum);
  const B = <T>load<f64>(pc, 8);
  const D = <T>load<f64>(pc, 16);
  const b = betaOf<T>(beta);
  const ey: T = y >= 0 ? load<T>(at<T>(pg, y)) : 0;
  let i = 0;
  if (!isFinite(a)) {
    // LSE = +Infinity with zLoss: entries of probability 0 add 0, not Infinity*0 (rare: scalar).
    for (; i < k; i++) {
      const p = at<T>(pg, i);
      let u = hasT ? B + D * load<T>(at<T>(pt, i)) : B;
      if (hasW) u *= load<T>(at<T>(w, i));
      const e = load<T>(p);
      store<T>(p, ((e != 0 ? a * e : 0) - u) * b);
    }
  }
  if (ASC_FEATURE_SIMD) {
    // The plain case (no targets' probabilities, no weights: u_j = B) is a loop of its own:
    // through the general one, crossEntropy + grad (32 x 32000 f32, Node 24) took 1.10x.
    i = hasT || hasW ? gradLanes<T>(pg, pt, w, i, k, a, B, D, b, hasT, hasW) : gradLanes<T>(pg, pt, w, i, k, a, B, D, b, false, false);
  }
  for (; i < k; i++) {
    const p = at<T>(pg, i);
    let u = hasT ? B + D * load<T>(at<T>(pt, i)) : B;
    if (hasW) u *= load<T>(at<T>(w, i));
    store<T>(p, (a * load<T>(p) - u) * b);
  }
  if (y >= 0) {
    let u = hasT ? B + D * load<T>(at<T>(pt, y)) : B;
    if (hasW) u *= load<T>(at<T>(w, y));
    // p_y*A - F as ((A - F)*e_y - F*rest)/sum: no cancellation where p_y rounds to 1.
    const F = load<f64>(pc, 24);
    const py = sum == 0 ? -F : (mulz(A - F, <f64>ey) - F * load<f64>(slot(ps, S_SUM))) / sum;
    store<T>(at<T>(pg, y), <T>((py - <f64>u) * beta));
  }
}

/**
 * g_j = (a*g_j - u_j)*b over the whole vectors of [i, k), u_j = W_j*(B + D*T_j) (T_j = 0
 * unless `hasT`, W_j = 1 unless `hasW`); returns where the vectors end.
 */
// @ts-ignore: decorator
@inline
function gradLanes<T>(pg: usize, pt: usize, w: usize, i: i32, k: i32, a: T, B: T, D: T, b: T, hasT: bool, hasW: bool): i32 {
  const L = lanes<T>();
  const va = v128.splat<T>(a);
  const vb = v128.splat<T>(B);
  const vd = v128.splat<T>(D);
  const vbeta = v128.splat<T>(b);
  for (; i + L <= k; i += L) {
    const p = at<T>(pg, i);
    let u = hasT ? v128.add<T>(vb, v128.mul<T>(vd, v128.load(at<T>(pt, i)))) : vb;
    if (hasW) u = v128.mul<T>(u, v128.load(at<T>(w, i)));
    v128.store(p, v128.mul<T>(v128.sub<T>(v128.mul<T>(va, v128.load(p)), u), vbeta));
  }
  return i;
}

/**
 * Per row: the statistics, and with `keep` the gradient right after, while the row is still
 * in cache (the logits are read twice: extremum, then exps; the gradient pass reads g).
 */
function crossEntropyRows<T, S = T>(
  x: usize, g: usize, rows: i32, k: i32, beta: f64, targets: usize, t: usize, w: usize, stats: usize,
  coefs: usize, zScale: f64, tScale: f64, keep: bool, mode: i32, hasW: bool, work: usize,
): void {
  for (let r = 0; r < rows; r++) {
    const px = atS<S>(x, r * k);
    const pg = at<T>(g, r * k);
    const pt = mode == PROB ? at<T>(t, r * k) : 0;
    const ps = stats + (<usize>(r * STATS) << 3);
    const y: i32 = targets ? load<i32>(targets + (<usize>r << 2)) : -1;
    for (let i = 0; i < STATS; i++) store<f64>(slot(ps, i), 0);
    if (targets && y < 0) {
      // An ignored row: its gradient is 0, its statistics unused.
      if (keep) for (let i = 0; i < k; i++) store<T>(at<T>(pg, i), 0);
      continue;
    }
    statsRow<T, S>(px, pg, pt, w, k, y, beta, ps, keep, mode, hasW, work);
    if (keep) gradRow<T>(pg, pt, w, k, y, beta, ps, coefs + (<usize>(r * COEFS) << 3), zScale, tScale, hasW, mode == PROB);
  }
}

/** Half the dtype's largest finite value: a difference of two values below it stays finite. */
// @ts-ignore: decorator
@inline
function halfMax<T>(): f64 {
  return sizeof<T>() == 4 ? F32_MAX * 0.5 : f64.MAX_VALUE * 0.5;
}

/** max(m, |v|) in T lanes. */
// @ts-ignore: decorator
@inline
function maxAbs<T>(m: v128, v: v128): v128 {
  return v128.pmax<T>(m, v128.abs<T>(v));
}

/**
 * g_j - d for a row whose g or d reach half the dtype's range (`wide`): in the dtype it may
 * overflow where the result, times y_j or beta, does not. f32 data is taken in f64 (exact);
 * f64 data in halves, the factor 2 applied last by the caller (returns half the difference).
 */
// @ts-ignore: decorator
@inline
function wideDiff<T>(g: T, d: f64): f64 {
  return sizeof<T>() == 4 ? <f64>g - d : <f64>g * 0.5 - d * 0.5;
}

// halvesFirstPass's blocks (halves, a multiple of 8).
const SUM_BLOCK: i32 = 512;

/**
 * The first pass of logSoftmaxBackward over a row of halves read as finite (i16): g widened
 * into the f32 row `out` (which the second pass then reads instead of the halves), and the sum
 * of g_j, in f64, added in logBackwardRow's order: quickly, a block again, exactly, where it held
 * a subnormal half (from the sums before it: the same order of additions). NaN where a half of
 * g has exponent 31 (Inf, NaN): the caller takes the row's full path. (Widened again in the
 * second pass instead of stored, g made that pass no faster beyond the caches.)
 */
// @ts-ignore: decorator
@inline
function halvesFirstPass(pg: usize, po: usize, k: i32): f64 {
  let sum: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const e16 = halfConstant(4);
    const m = halfConstant(6);
    const r = halfConstant(7);
    const mant = halfConstant(8);
    let s0 = f64x2.splat(0);
    let s1 = s0;
    let top = i16x8.splat(0); // the largest exponent bits met
    const k8 = k & ~7;
    // Blocks of SUM_BLOCK: one that held a subnormal half is summed again from the sums before
    // it, each half widened exactly (the same order of additions).
    while (i < k8) {
      const start = i;
      const end = min(k8, i + SUM_BLOCK);
      const b0 = s0;
      const b1 = s1;
      let sub = i16x8.splat(0); // the halves of exponent 0 met
      for (; i < end; i += 8) {
        const gh = v128.load(pg + (<usize>i << 1));
        const q = po + (<usize>i << 2);
        const e = v128.and(gh, e16);
        const t = quickTop8(gh, e, m, r);
        const g0 = quickLow8(gh, t);
        const g1 = quickHigh8(gh, t);
        v128.store(q, g0);
        v128.store(q, g1, 16);
        top = i16x8.max_u(top, e);
        sub = raiseHalfSub(sub, gh, e);
        s0 = add64<f32>(s0, g0);
        s1 = add64<f32>(s1, g1);
      }
      if (holdsSubnormal(sub, mant)) {
        // The block widened exactly into out, and summed again from there.
        widenSmallRun(pg + (<usize>start << 1), po + (<usize>start << 2), end - start, top);
        s0 = b0;
        s1 = b1;
        for (let j = start; j < end; j += 8) {
          const q = po + (<usize>j << 2);
          s0 = add64<f32>(s0, v128.load(q));
          s1 = add64<f32>(s1, v128.load(q, 16));
        }
      }
    }
    if (i + 4 <= k) {
      // Four halves (the other lanes 0), into s0 as the f32 rows' last vector.
      const gh = v128.load64_zero(pg + (<usize>i << 1));
      const g0 = widenExactOnce(i32x4.extend_low_i16x8_s(gh));
      v128.store(po + (<usize>i << 2), g0);
      top = i16x8.max_u(top, v128.and(gh, e16));
      s0 = add64<f32>(s0, g0);
      i += 4;
    }
    if (holdsSpecial(top, e16)) return NaN;
    sum = sumLanes<f64>(f64x2.add(s0, s1));
  }
  for (; i < k; i++) {
    const gb = <u32>load<u16>(pg + (<usize>i << 1));
    if ((gb & 0x7c00) == 0x7c00) return NaN;
    const gi = halfToF32(gb);
    store<f32>(po + (<usize>i << 2), gi);
    sum += <f64>gi;
  }
  return sum;
}

/**
 * The first pass of softmaxBackward over a row of halves read as finite (i16): g widened into
 * the f32 row `out` and y into `work` (k f32), where the second pass reads them, and the sum
 * of g_j*y_j in f64, added in backwardRow's order (the same bits: a product of two halves is
 * exact in f32, and finite, so the f32 row's mask of the terms with y_j = 0 changes no sum).
 * NaN, before anything depends on out, where a half of g or y has exponent 31 (Inf, NaN: their
 * finite widening is wrong): the caller takes the row's full path.
 * Each block of HALF_WORK is widened by loops of their own, g's then y's (widenFiniteRun: no
 * float arithmetic on a subnormal half), and the products are taken on the widened block (in
 * L1): when the widening multiplied each subnormal half by 2^112, the loops that widened g and
 * y and multiplied them ran 2-3x slower on AMD Zen 5 with one operand's halves subnormal and
 * the other's normal, while a loop that only widens ran at one speed (docs/loss.md,
 * "Subnormal halves").
 */
// @ts-ignore: decorator
@inline
function halvesDot(pg: usize, py: usize, po: usize, work: usize, k: i32): f64 {
  let sum: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const e16 = halfConstant(4);
    const m = halfConstant(6);
    const r = halfConstant(7);
    let s0 = f64x2.splat(0);
    let s1 = s0;
    let top = i16x8.splat(0); // the largest exponent bits met
    const k8 = k & ~7;
    for (let start = 0; start < k8; start += HALF_WORK) {
      const n = min(HALF_WORK, k8 - start);
      top = widenFiniteRun(pg + (<usize>start << 1), po + (<usize>start << 2), n, top, e16, m, r);
      top = widenFiniteRun(py + (<usize>start << 1), work + (<usize>start << 2), n, top, e16, m, r);
      for (; i < start + n; i += 8) {
        const pq = po + (<usize>i << 2);
        const wq = work + (<usize>i << 2);
        s0 = add64<f32>(s0, f32x4.mul(v128.load(pq), v128.load(wq)));
        s1 = add64<f32>(s1, f32x4.mul(v128.load(pq, 16), v128.load(wq, 16)));
      }
    }
    if (i + 4 <= k) {
      // Four halves (the other lanes 0), into s0 as the f32 rows' last vector.
      const gh = v128.load64_zero(pg + (<usize>i << 1));
      const yh = v128.load64_zero(py + (<usize>i << 1));
      const g0 = widenExactOnce(i32x4.extend_low_i16x8_s(gh));
      const y0 = widenExactOnce(i32x4.extend_low_i16x8_s(yh));
      v128.store(po + (<usize>i << 2), g0);
      v128.store(work + (<usize>i << 2), y0);
      top = i16x8.max_u(top, i16x8.max_u(v128.and(gh, e16), v128.and(yh, e16)));
      s0 = add64<f32>(s0, f32x4.mul(g0, y0));
      i += 4;
    }
    if (holdsSpecial(top, e16)) return NaN;
    sum = sumLanes<f64>(f64x2.add(s0, s1));
  } else {
    // The scalar build: the same blocks, each operand widened by a loop of its own.
    for (let start = 0; start < k; start += HALF_WORK) {
      const end = k - start > HALF_WORK ? start + HALF_WORK : k;
      if (!widenFiniteScalar(pg, po, start, end) || !widenFiniteScalar(py, work, start, end)) return NaN;
      for (; i < end; i++) sum += mulz(<f64>load<f32>(po + (<usize>i << 2)), <f64>load<f32>(work + (<usize>i << 2)));
    }
  }
  // The last k % 4 elements of the SIMD build.
  for (; i < k; i++) {
    const gb = <u32>load<u16>(pg + (<usize>i << 1));
    const yb = <u32>load<u16>(py + (<usize>i << 1));
    if ((gb & 0x7c00) == 0x7c00 || (yb & 0x7c00) == 0x7c00) return NaN;
    const gi = halfToF32(gb);
    const yi = halfToF32(yb);
    store<f32>(po + (<usize>i << 2), gi);
    store<f32>(work + (<usize>i << 2), yi);
    sum += mulz(<f64>gi, <f64>yi);
  }
  return sum;
}

/** widenConstant for a loop that reads rows stored as A and B (halves' constants if either is). */
// @ts-ignore: decorator
@inline
function widenConstantOf<A, B>(k: i32): v128 {
  return sizeof<A>() == 2 ? widenConstant<A>(k) : widenConstant<B>(k);
}

/**
 * out_j = beta*y_j*(g_j - sum_i g_i*y_i) per row (out may be g or y); g and y stored as S.
 * A row of halves takes halvesDot (finite halves: |g_j| and the dot product stay far below
 * half of f32's range), and its second pass reads g from out and y from `work`; one with an
 * Inf or NaN half is widened in full (g into out, y into `work`, k f32) and takes the f32 row.
 */
// @ts-ignore: decorator
@inline
function softmaxBackwardRows<T, S = T>(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  const b = betaOf<T>(beta);
  for (let r = 0; r < rows; r++) {
    const pg = atS<S>(g, r * k);
    const py = atS<S>(y, r * k);
    const po = at<T>(out, r * k);
    if (sizeof<S>() == 2) {
      const dot = halvesDot(pg, py, po, work, k);
      if (isNaN(dot)) {
        widenHalves(pg, po, k);
        widenHalves(py, work, k);
        backwardRow<T>(po, work, po, k, b);
      } else {
        backwardOut<T>(work, po, po, k, <T>dot, b);
      }
      continue;
    }
    backwardRow<T>(pg, py, po, k, b);
  }
}

/** One row of softmaxBackwardRows, g and y stored as S. */
// @ts-ignore: decorator
@inline
function backwardRow<T>(pg: usize, py: usize, po: usize, k: i32, b: T): void {
  let dot: f64 = 0;
  let big: f64 = 0; // max |g_j|
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    let d0 = f64x2.splat(0);
    let d1 = d0;
    let m = v128.splat<T>(0);
    for (; i + 2 * L <= k; i += 2 * L) {
      const g0 = v128.load(at<T>(pg, i));
      // (T's second vector by its offset immediate.)
      const g1 = v128.load(at<T>(pg, i), 16);
      const y0 = v128.load(at<T>(py, i));
      const y1 = v128.load(at<T>(py, i), 16);
      d0 = dot64<T>(d0, g0, y0);
      d1 = dot64<T>(d1, g1, y1);
      m = maxAbs<T>(maxAbs<T>(m, g0), g1);
    }
    for (; i + L <= k; i += L) {
      const g0 = v128.load(at<T>(pg, i));
      const y0 = v128.load(at<T>(py, i));
      d0 = dot64<T>(d0, g0, y0);
      m = maxAbs<T>(m, g0);
    }
    dot = sumLanes<f64>(f64x2.add(d0, d1));
    big = <f64>pickMax<T>(m);
  }
  for (; i < k; i++) {
    const gi = load<T>(at<T>(pg, i));
    const yi = load<T>(at<T>(py, i));
    dot += mulz(<f64>gi, <f64>yi);
    big = max(big, abs(<f64>gi));
  }
  if (!(big <= halfMax<T>() && abs(dot) <= halfMax<T>())) {
    // g_j - d may overflow the dtype (an infinite g also comes here: rare, scalar).
    const scale: f64 = sizeof<T>() == 4 ? 1 : 2;
    for (i = 0; i < k; i++) {
      const yi = <f64>load<T>(at<T>(py, i));
      store<T>(at<T>(po, i), <T>(<f64>b * (yi * wideDiff<T>(load<T>(at<T>(pg, i)), dot)) * scale));
    }
    return;
  }
  backwardOut<T>(py, pg, po, k, <T>dot, b);
}

/** out_j = y_j*(g_j - d)*b over the row (backwardRow's second pass; halves' rows widened first). */
// @ts-ignore: decorator
@inline
function backwardOut<T>(py: usize, pg: usize, po: usize, k: i32, d: T, b: T): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vd = v128.splat<T>(d);
    const vb = v128.splat<T>(b);
    for (; i + L <= k; i += L) {
      const yv = v128.load(at<T>(py, i));
      const gv = v128.load(at<T>(pg, i));
      // y_j*(g_j - d) first: it cannot overflow here (|g|, |d| <= max/2, y <= 1), while
      // y_j*beta may underflow to 0 where the result does not.
      v128.store(at<T>(po, i), v128.mul<T>(v128.mul<T>(yv, v128.sub<T>(gv, vd)), vb));
    }
  }
  for (; i < k; i++) {
    store<T>(at<T>(po, i), load<T>(at<T>(py, i)) * (load<T>(at<T>(pg, i)) - d) * b);
  }
}

/**
 * out_j = beta*(g_j - exp(logY_j)*sum_i g_i) per row (out may be g or logY); g and logY stored
 * as S. A row of halves takes halvesFirstPass (finite g: the sum stays in range), then logY is
 * widened HALF_WORK at a time into `work` and the f32 loop runs on it and on g in out; one with
 * an Inf or NaN half of g is widened in full (g into out, logY into `work`, k f32) and takes
 * the f32 row.
 */
// @ts-ignore: decorator
@inline
function logSoftmaxBackwardRows<T, S = T>(g: usize, logY: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  const b = betaOf<T>(beta);
  for (let r = 0; r < rows; r++) {
    const pg = atS<S>(g, r * k);
    const pl = atS<S>(logY, r * k);
    const po = at<T>(out, r * k);
    if (sizeof<S>() == 2) {
      const sum = halvesFirstPass(pg, po, k);
      if (!isNaN(sum)) {
        // Blocks of HALF_WORK (a multiple of 4): the same elements take the vector loop as in one.
        for (let i = 0; i < k; i += HALF_WORK) {
          const len = min(HALF_WORK, k - i);
          widenHalves(atS<S>(pl, i), work, len);
          logBackwardOut<T, T, T>(work, at<T>(po, i), at<T>(po, i), len, <T>sum, b);
        }
      } else {
        widenHalves(pg, po, k);
        widenHalves(pl, work, k);
        logBackwardRow<T>(po, work, po, k, b);
      }
      continue;
    }
    logBackwardRow<T>(pg, pl, po, k, b);
  }
}

/** One row of logSoftmaxBackwardRows, g and logY stored as S. */
// @ts-ignore: decorator
@inline
function logBackwardRow<T>(pg: usize, pl: usize, po: usize, k: i32, b: T): void {
  let sum: f64 = 0;
  let big: f64 = 0; // max |g_j|
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    let s0 = f64x2.splat(0);
    let s1 = s0;
    let m = v128.splat<T>(0);
    for (; i + 2 * L <= k; i += 2 * L) {
      const g0 = v128.load(at<T>(pg, i));
      const g1 = v128.load(at<T>(pg, i), 16);
      s0 = add64<T>(s0, g0);
      s1 = add64<T>(s1, g1);
      m = maxAbs<T>(maxAbs<T>(m, g0), g1);
    }
    for (; i + L <= k; i += L) {
      const g0 = v128.load(at<T>(pg, i));
      s0 = add64<T>(s0, g0);
      m = maxAbs<T>(m, g0);
    }
    sum = sumLanes<f64>(f64x2.add(s0, s1));
    big = <f64>pickMax<T>(m);
  }
  for (; i < k; i++) {
    const gi = load<T>(at<T>(pg, i));
    sum += <f64>gi;
    big = max(big, abs(<f64>gi));
  }
  if (!(big <= halfMax<T>() && abs(sum) <= halfMax<T>())) {
    // g_j - p_j*sum may overflow the dtype (see softmaxBackwardRows): rare, scalar. An
    // infinite g_j makes the sum that infinity, whatever the finite ones add up to (the
    // lanes' partial sums may have passed the range the other way: Infinity - Infinity).
    let inf: f64 = 0;
    for (let j = 0; j < k; j++) {
      const v = <f64>load<T>(at<T>(pg, j));
      if (!isFinite(v)) inf += v;
    }
    if (inf != 0 || isNaN(inf)) sum = inf;
    const scale: f64 = sizeof<T>() == 4 ? 1 : 2;
    for (i = 0; i < k; i++) {
      // p in f64: an f32 exp flushes p < 2^-149 to 0, and 0*Infinity would be NaN.
      const p = expAny<f64>(<f64>load<T>(at<T>(pl, i)));
      store<T>(at<T>(po, i), <T>(<f64>b * wideDiff<T>(load<T>(at<T>(pg, i)), p * sum) * scale));
    }
    return;
  }
  logBackwardOut<T, T, T>(pl, pg, po, k, <T>sum, b);
}

/** out_j = b*(g_j - exp(logY_j)*s) over the row (logBackwardRow's second pass), logY stored as SL, g as SG. */
// @ts-ignore: decorator
@inline
function logBackwardOut<T, SL, SG>(pl: usize, pg: usize, po: usize, k: i32, s: T, b: T): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const vs = v128.splat<T>(s);
    const vb = v128.splat<T>(b);
    const h0 = widenConstantOf<SL, SG>(0);
    const h1 = widenConstantOf<SL, SG>(1);
    const h2 = widenConstantOf<SL, SG>(2);
    const h3 = widenConstantOf<SL, SG>(3);
    // The exp's constants loaded once (exp.ts says why): reloaded at each vector, the loop took
    // 2.5 ns per element.
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
    for (; i + L <= k; i += L) {
      const p = expAnyWith<T>(loadLanes<T, SL>(atS<SL>(pl, i), h0, h1, h2, h3), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
      const gv = loadLanes<T, SG>(atS<SG>(pg, i), h0, h1, h2, h3);
      v128.store(at<T>(po, i), v128.mul<T>(vb, v128.sub<T>(gv, v128.mul<T>(p, vs))));
    }
  }
  for (; i < k; i++) {
    const p = expAny<T>(loadAs<T, SL>(pl, i));
    store<T>(at<T>(po, i), b * (loadAs<T, SG>(pg, i) - p * s));
  }
}

// ---- exports: one per kernel and dtype ----

export { features, heapBase } from "../shared/module";

/**
 * Cross-entropy over `rows` rows of `k` logits at x: the row statistics (STATS f64 per row)
 * to `stats`, and when g is not 0 the gradient to g (g may be x), from the host's per-row
 * coefficients at `coefs` (COEFS f64: A0, B, D, F) and zScale, tScale (gradRow).
 * `targets`: i32 class index per row (-1 = ignored), or 0 for probability targets at t;
 * `w`: k class weights, or 0; `mode`: PLAIN, SMOOTH or PROB (stats.ts); `work`: max(HALF_WORK,
 * k) f32 of the f16 kernel's own (the others leave it).
 */
export function f32_crossentropy(
  x: usize, g: usize, rows: i32, k: i32, beta: f64, targets: usize, t: usize, w: usize, stats: usize,
  coefs: usize, zScale: f64, tScale: f64, mode: i32, work: usize,
): void {
  // Without smoothing B = 0: the weights enter through A0 and F alone.
  crossEntropyRows<f32>(x, g, rows, k, beta, targets, t, w, stats, coefs, zScale, tScale, g != 0, mode, mode != PLAIN && w != 0, work);
}
/** f32_crossentropy of f16 logits at x (halves, read exactly); g and t f32 (g never x). */
export function f16_crossentropy(
  x: usize, g: usize, rows: i32, k: i32, beta: f64, targets: usize, t: usize, w: usize, stats: usize,
  coefs: usize, zScale: f64, tScale: f64, mode: i32, work: usize,
): void {
  crossEntropyRows<f32, u16>(x, g, rows, k, beta, targets, t, w, stats, coefs, zScale, tScale, g != 0, mode, mode != PLAIN && w != 0, work);
}
export function f64_crossentropy(
  x: usize, g: usize, rows: i32, k: i32, beta: f64, targets: usize, t: usize, w: usize, stats: usize,
  coefs: usize, zScale: f64, tScale: f64, mode: i32, work: usize,
): void {
  crossEntropyRows<f64>(x, g, rows, k, beta, targets, t, w, stats, coefs, zScale, tScale, g != 0, mode, mode != PLAIN && w != 0, work);
}

/** Backward pass of softmax: gradient g of the output y, into out (`work`: as crossentropy's). */
export function f32_softmaxbackward(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  softmaxBackwardRows<f32>(g, y, out, rows, k, beta, 0);
}
export function f64_softmaxbackward(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  softmaxBackwardRows<f64>(g, y, out, rows, k, beta, 0);
}
/** g and y halves (out f32). */
export function f16_softmaxbackward(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  softmaxBackwardRows<f32, u16>(g, y, out, rows, k, beta, work);
}

/**
 * The backward passes of one operand of halves and the other f32 (`gHalves`: gradY is the
 * halves, else y or logY; `work`: k f32): the f32 kernel on each row (loneRow).
 * Widening a block at a time inside the f32 row's first pass, or in both passes, ran no
 * faster and made the module 450-800 bytes larger (docs/loss.md, "Half precision").
 */
function loneHalves(log: bool, gHalves: bool, g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  for (let r = 0; r < rows; r++) {
    const pg = loneRow(g, r, k, gHalves, work);
    const py = loneRow(y, r, k, !gHalves, work);
    const po = at<f32>(out, r * k);
    if (log) f32_logsoftmaxbackward(pg, py, po, 1, k, beta, 0);
    else f32_softmaxbackward(pg, py, po, 1, k, beta, 0);
  }
}
/** gradY halves, y f32 (out f32). */
export function f16_softmaxbackward_g(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  loneHalves(false, true, g, y, out, rows, k, beta, work);
}
/** y halves, gradY f32 (out f32). */
export function f16_softmaxbackward_y(g: usize, y: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  loneHalves(false, false, g, y, out, rows, k, beta, work);
}

/** Backward pass of log-softmax: gradient g of the output logY, into out (`work`: as crossentropy's). */
export function f32_logsoftmaxbackward(g: usize, logY: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  logSoftmaxBackwardRows<f32>(g, logY, out, rows, k, beta, 0);
}
export function f64_logsoftmaxbackward(g: usize, logY: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  logSoftmaxBackwardRows<f64>(g, logY, out, rows, k, beta, 0);
}
/** g and logY halves (out f32). */
export function f16_logsoftmaxbackward(g: usize, logY: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  logSoftmaxBackwardRows<f32, u16>(g, logY, out, rows, k, beta, work);
}
/** gradY halves, logY f32 (out f32). */
export function f16_logsoftmaxbackward_g(g: usize, logY: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  loneHalves(true, true, g, logY, out, rows, k, beta, work);
}
/** logY halves, gradY f32 (out f32). */
export function f16_logsoftmaxbackward_y(g: usize, logY: usize, out: usize, rows: i32, k: i32, beta: f64, work: usize): void {
  loneHalves(true, false, g, logY, out, rows, k, beta, work);
}
