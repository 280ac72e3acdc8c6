// Attention over linear memory with the online softmax of FlashAttention: one pass over the
// keys and values per tile of queries, a running max m, a running sum l and an output
// accumulator rescaled by exp(m_old - m_new) when the max grows; the score matrix is never
// stored whole (a block of KEY_BLOCK scores per query row at a time).
//
// Shapes, row-major: q [queries][heads][dim] of T (the compute dtype, f32 or f64); keys
// [capacity][kvHeads][dim] and values [capacity][kvHeads][valueDim] of K (the storage dtype);
// out [queries][heads][valueDim] and lse [queries][heads] of T (K = u16: f16 bits, widened as
// loaded). A kv head g serves the query heads g*G .. g*G + G - 1 (G = heads / kvHeads). A tile
// holds queries with all their heads; its keys go by blocks of KEY_BLOCK rows, and within a
// block by kv head, in the order of memory: each key and value row is read from memory once
// per tile (a decode step is one tile).
//
// Query i sits at position offset + i. It sees the keys j in [lo_i, hi_i): lo_i = start, raised
// to position - window + 1 with a window; hi_i = end, lowered to position + 1 when causal.
// Keys outside a query's range take no part in its row (their values are not read for it).
// A score is s = scale*q.k, then softcap*tanh(s/softcap), then + bias + alibi; scores and
// exps live in T, the accumulator, m and l in f64. Per tile, the work area holds (the off*
// functions, sized by attendwork): the q row addresses, each query's key range, m, l, the f64
// accumulators and a block of scores per row.

import { expConstant, expNonPositive, expWith, madd } from "../shared/exp";
import { at, lanes, raddstoreexpminusmax, rmax, sumLanes } from "../shared/reduce";
import { HALF_IMPLICIT, halfConstant, holdsSpecial, holdsSubnormal, maxLaneS, maxLaneU, quickHigh8, quickLow8, raiseHalfSub, subnormalHalvesOver, subnormalMagnitude, widen4, widenFinite4, widenSmallRun } from "../shared/half";
import { dot, loadS, loadV } from "../shared/dot";
import { KEY_BLOCK, TILE_ROWS } from "./layout";

// ---- scores ----

/**
 * scale*q_r.k for four query rows at q0..q3 against the key row at kp, stored to sp, sp + ss,
 * sp + 2ss, sp + 3ss: the key row is loaded once for the four.
 */
// @ts-ignore: decorator
@inline
function dot4<T, K>(q0: usize, q1: usize, q2: usize, q3: usize, kp: usize, dim: i32, sp: usize, ss: usize, scale: f64): void {
  let s0: f64 = 0;
  let s1: f64 = 0;
  let s2: f64 = 0;
  let s3: f64 = 0;
  let d = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    let a0 = v128.splat<T>(<T>0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    for (; d + L <= dim; d += L) {
      const kv = loadV<T, K>(at<K>(kp, d));
      const o = <usize>d << alignof<T>();
      a0 = madd<T>(v128.load(q0 + o), kv, a0);
      a1 = madd<T>(v128.load(q1 + o), kv, a1);
      a2 = madd<T>(v128.load(q2 + o), kv, a2);
      a3 = madd<T>(v128.load(q3 + o), kv, a3);
    }
    s0 = sumLanes<T>(a0);
    s1 = sumLanes<T>(a1);
    s2 = sumLanes<T>(a2);
    s3 = sumLanes<T>(a3);
  }
  for (; d < dim; d++) {
    const kk = loadS<T, K>(at<K>(kp, d));
    s0 += <f64>(load<T>(at<T>(q0, d)) * kk);
    s1 += <f64>(load<T>(at<T>(q1, d)) * kk);
    s2 += <f64>(load<T>(at<T>(q2, d)) * kk);
    s3 += <f64>(load<T>(at<T>(q3, d)) * kk);
  }
  store<T>(sp, <T>(s0 * scale));
  store<T>(sp + ss, <T>(s1 * scale));
  store<T>(sp + 2 * ss, <T>(s2 * scale));
  store<T>(sp + 3 * ss, <T>(s3 * scale));
}

/** scale*q.k for one query row. */
// @ts-ignore: decorator
@inline
function dot1<T, K>(q: usize, kp: usize, dim: i32, sp: usize, scale: f64): void {
  store<T>(sp, <T>(dot<T, K>(q, kp, dim) * scale));
}

/**
 * tanh(x) from exp.ts's exp (AssemblyScript's Math.tanh brings instructions the builds leave
 * out): tanh|x| = -e/(2 + e) with e = expm1(-2|x|) = u - 1, u = exp(-2|x|). Near 0, where
 * u - 1 cancels, expm1 takes Kahan's rule (u - 1)*y/log(u) (log(u) = log1p(u - 1) with
 * u - 1 exact there).
 */
function tanh(x: f64): f64 {
  const y = -2 * abs(x);
  const u = expNonPositive<f64>(y);
  const e = u == 1 ? y : y > -0.5 ? ((u - 1) * y) / Math.log1p(u - 1) : u - 1;
  const t = -e / (2 + e);
  return x < 0 ? -t : t;
}

// ---- the value pass ----

/** acc = acc*alpha + c in f64 lanes (f32 lanes widened in two halves). */
// @ts-ignore: decorator
@inline
function fold<T>(acc: usize, c: v128, alpha: v128): void {
  if (sizeof<T>() == 4) {
    const lo = f64x2.promote_low_f32x4(c);
    const hi = f64x2.promote_low_f32x4(i8x16.shuffle(c, c, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
    v128.store(acc, f64x2.add(f64x2.mul(v128.load(acc), alpha), lo));
    v128.store(acc, f64x2.add(f64x2.mul(v128.load(acc, 16), alpha), hi), 16);
  } else {
    v128.store(acc, f64x2.add(f64x2.mul(v128.load(acc), alpha), c));
  }
}

/**
 * acc[0..valueDim) = acc*alpha + sum_jj p_jj*v_jj over the scores p at sp[a..b) and the value
 * rows at vp + jj*vs (a key masked by the bias has p = 0 and adds 0*v, as the quad path).
 */
function addValues<T, K>(acc: usize, sp: usize, a: i32, b: i32, vp: usize, vs: usize, valueDim: i32, alpha: f64): void {
  let d = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    const va = f64x2.splat(alpha);
    // Four vectors of the output row in registers over the whole block: one load per madd.
    for (; d + 4 * L <= valueDim; d += 4 * L) {
      let c0 = v128.splat<T>(<T>0);
      let c1 = c0;
      let c2 = c0;
      let c3 = c0;
      for (let jj = a; jj < b; jj++) {
        const pv = v128.splat<T>(load<T>(at<T>(sp, jj)));
        const row = at<K>(vp + <usize>jj * vs, d);
        c0 = madd<T>(loadV<T, K>(row), pv, c0);
        c1 = madd<T>(loadV<T, K>(at<K>(row, L)), pv, c1);
        c2 = madd<T>(loadV<T, K>(at<K>(row, 2 * L)), pv, c2);
        c3 = madd<T>(loadV<T, K>(at<K>(row, 3 * L)), pv, c3);
      }
      const ap = acc + (<usize>d << 3);
      fold<T>(ap, c0, va);
      fold<T>(ap + (<usize>L << 3), c1, va);
      fold<T>(ap + (<usize>(2 * L) << 3), c2, va);
      fold<T>(ap + (<usize>(3 * L) << 3), c3, va);
    }
    for (; d + L <= valueDim; d += L) {
      let c0 = v128.splat<T>(<T>0);
      for (let jj = a; jj < b; jj++) {
        c0 = madd<T>(loadV<T, K>(at<K>(vp + <usize>jj * vs, d)), v128.splat<T>(load<T>(at<T>(sp, jj))), c0);
      }
      fold<T>(acc + (<usize>d << 3), c0, va);
    }
  }
  // The last elements of the row; the whole row in the scalar build.
  for (; d < valueDim; d++) {
    let c = <T>0;
    for (let jj = a; jj < b; jj++) {
      c += load<T>(at<T>(sp, jj)) * loadS<T, K>(at<K>(vp + <usize>jj * vs, d));
    }
    const ap = acc + (<usize>d << 3);
    store<f64>(ap, load<f64>(ap) * alpha + <f64>c);
  }
}

// ---- the quad path: four query heads of one kv group in the lanes of an f32x4 ----
//
// Grouped-query decoding's common shape (4 or 8 query heads per kv head): the scores of a key
// for four heads are one f32x4, so the block's max, the exps and the sums run on four rows at
// once, and each value vector loaded serves the four rows' accumulators. S4 holds the block's
// scores (then exps) as [key][4 heads] f32.

/** The widening's constants k of shared/half.ts for halves (K = u16); nothing for other K. */
// @ts-ignore: decorator
@inline
function halfK<K>(k: i32): v128 {
  return sizeof<K>() == 2 ? halfConstant(k) : i32x4.splat(0);
}

/**
 * Four elements of K at p as f32 lanes; halves widened with the constants h0..h3 (halfK) held
 * in locals. K = i16 stands for halves known to hold no Inf or NaN (the block's scan said so):
 * widened without the special-value step, half the operations.
 */
// @ts-ignore: decorator
@inline
function loadW<K>(p: usize, h0: v128, h1: v128, h2: v128, h3: v128): v128 {
  if (sizeof<K>() == 2) {
    if (isSigned<K>()) return widenFinite4(v128.load16x4_s(p), h0, h1);
    return widen4(v128.load16x4_s(p), h0, h1, h2, h3);
  }
  return loadV<f32, K>(p);
}

/** [sum of a's lanes, of b's, of c's, of d's]. */
// @ts-ignore: decorator
@inline
function sum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(
    i8x16.shuffle(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23),
    i8x16.shuffle(a, b, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31),
  );
  const cd = f32x4.add(
    i8x16.shuffle(c, d, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23),
    i8x16.shuffle(c, d, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31),
  );
  return f32x4.add(
    i8x16.shuffle(ab, cd, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27),
    i8x16.shuffle(ab, cd, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31),
  );
}

/** [q0.k, q1.k, q2.k, q3.k] over the elements [d, dim) of the key row at row (the dims past the last vector). */
// @ts-ignore: decorator
@inline
function tailDots<K>(q0: usize, q1: usize, q2: usize, q3: usize, row: usize, d: i32, dim: i32): v128 {
  let t0: f32 = 0;
  let t1: f32 = 0;
  let t2: f32 = 0;
  let t3: f32 = 0;
  for (; d < dim; d++) {
    const kk = loadS<f32, K>(at<K>(row, d));
    t0 += load<f32>(at<f32>(q0, d)) * kk;
    t1 += load<f32>(at<f32>(q1, d)) * kk;
    t2 += load<f32>(at<f32>(q2, d)) * kk;
    t3 += load<f32>(at<f32>(q3, d)) * kk;
  }
  return f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(t0), 1, t1), 2, t2), 3, t3);
}

/**
 * S4[jj] = scale*[q0.k, q1.k, q2.k, q3.k] for the key rows kp + jj*ks, jj in [a, b): two keys
 * at a time, so that each query vector loaded serves two products (eight accumulators).
 */
function quadScores<K>(q0: usize, q1: usize, q2: usize, q3: usize, kp: usize, ks: usize, dim: i32, a: i32, b: i32, S4: usize, scale: f32): void {
  const vs = f32x4.splat(scale);
  const h0 = halfK<K>(0);
  const h1 = halfK<K>(1);
  const h2 = halfK<K>(2);
  const h3 = halfK<K>(3);
  const last = dim & ~3; // the elements in whole vectors
  let jj = a;
  for (; jj + 2 <= b; jj += 2) {
    const row = kp + <usize>jj * ks;
    const next = row + ks;
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let b0 = a0;
    let b1 = a0;
    let b2 = a0;
    let b3 = a0;
    for (let d = 0; d < last; d += 4) {
      const ka = loadW<K>(at<K>(row, d), h0, h1, h2, h3);
      const kb = loadW<K>(at<K>(next, d), h0, h1, h2, h3);
      const o = <usize>d << 2;
      const x0 = v128.load(q0 + o);
      a0 = madd<f32>(x0, ka, a0);
      b0 = madd<f32>(x0, kb, b0);
      const x1 = v128.load(q1 + o);
      a1 = madd<f32>(x1, ka, a1);
      b1 = madd<f32>(x1, kb, b1);
      const x2 = v128.load(q2 + o);
      a2 = madd<f32>(x2, ka, a2);
      b2 = madd<f32>(x2, kb, b2);
      const x3 = v128.load(q3 + o);
      a3 = madd<f32>(x3, ka, a3);
      b3 = madd<f32>(x3, kb, b3);
    }
    let sa = sum4(a0, a1, a2, a3);
    let sb = sum4(b0, b1, b2, b3);
    if (last < dim) {
      sa = f32x4.add(sa, tailDots<K>(q0, q1, q2, q3, row, last, dim));
      sb = f32x4.add(sb, tailDots<K>(q0, q1, q2, q3, next, last, dim));
    }
    v128.store(S4 + (<usize>jj << 4), f32x4.mul(sa, vs));
    v128.store(S4 + (<usize>jj << 4), f32x4.mul(sb, vs), 16);
  }
  if (jj < b) {
    const row = kp + <usize>jj * ks;
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    for (let d = 0; d < last; d += 4) {
      const kv = loadW<K>(at<K>(row, d), h0, h1, h2, h3);
      const o = <usize>d << 2;
      a0 = madd<f32>(v128.load(q0 + o), kv, a0);
      a1 = madd<f32>(v128.load(q1 + o), kv, a1);
      a2 = madd<f32>(v128.load(q2 + o), kv, a2);
      a3 = madd<f32>(v128.load(q3 + o), kv, a3);
    }
    let s = sum4(a0, a1, a2, a3);
    if (last < dim) s = f32x4.add(s, tailDots<K>(q0, q1, q2, q3, row, last, dim));
    v128.store(S4 + (<usize>jj << 4), f32x4.mul(s, vs));
  }
}

/**
 * The online-softmax step of four rows over the scores S4[a..b): the new max, the rescale
 * exp(m_old - m_new) of each row (stored at AL for the fold), the exps (in place) and their
 * sum; m, l at M, L (4 f64 each).
 */
function quadSoftmax(S4: usize, a: i32, b: i32, M: usize, L: usize, AL: usize): void {
  let top = f32x4.splat(-Infinity);
  for (let jj = a; jj < b; jj++) top = f32x4.max(top, v128.load(S4 + (<usize>jj << 4))); // NaN stays
  const m0 = load<f64>(M);
  const m1 = load<f64>(M, 8);
  const m2 = load<f64>(M, 16);
  const m3 = load<f64>(M, 24);
  const n0 = max(m0, <f64>f32x4.extract_lane(top, 0));
  const n1 = max(m1, <f64>f32x4.extract_lane(top, 1));
  const n2 = max(m2, <f64>f32x4.extract_lane(top, 2));
  const n3 = max(m3, <f64>f32x4.extract_lane(top, 3));
  const al0 = m0 == -Infinity ? 0 : expNonPositive<f64>(m0 - n0);
  const al1 = m1 == -Infinity ? 0 : expNonPositive<f64>(m1 - n1);
  const al2 = m2 == -Infinity ? 0 : expNonPositive<f64>(m2 - n2);
  const al3 = m3 == -Infinity ? 0 : expNonPositive<f64>(m3 - n3);
  // A row that has seen no key yet keeps m = -Infinity: its scores (all -Infinity) minus 0 give exps of 0.
  let mv = f32x4.splat(n0 == -Infinity ? 0 : <f32>n0);
  mv = f32x4.replace_lane(mv, 1, n1 == -Infinity ? 0 : <f32>n1);
  mv = f32x4.replace_lane(mv, 2, n2 == -Infinity ? 0 : <f32>n2);
  mv = f32x4.replace_lane(mv, 3, n3 == -Infinity ? 0 : <f32>n3);
  const k0 = expConstant<f32>(0);
  const k1 = expConstant<f32>(1);
  const k2 = expConstant<f32>(2);
  const k3 = expConstant<f32>(3);
  const k4 = expConstant<f32>(4);
  const k5 = expConstant<f32>(5);
  const k6 = expConstant<f32>(6);
  const k7 = expConstant<f32>(7);
  const k8 = expConstant<f32>(8);
  const k9 = expConstant<f32>(9);
  let sum = f32x4.splat(0);
  for (let jj = a; jj < b; jj++) {
    const at4 = S4 + (<usize>jj << 4);
    const p = expWith<f32>(f32x4.sub(v128.load(at4), mv), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
    v128.store(at4, p);
    sum = f32x4.add(sum, p);
  }
  store<f64>(M, n0);
  store<f64>(M, n1, 8);
  store<f64>(M, n2, 16);
  store<f64>(M, n3, 24);
  store<f64>(L, load<f64>(L) * al0 + <f64>f32x4.extract_lane(sum, 0));
  store<f64>(L, load<f64>(L, 8) * al1 + <f64>f32x4.extract_lane(sum, 1), 8);
  store<f64>(L, load<f64>(L, 16) * al2 + <f64>f32x4.extract_lane(sum, 2), 16);
  store<f64>(L, load<f64>(L, 24) * al3 + <f64>f32x4.extract_lane(sum, 3), 24);
  store<f64>(AL, al0);
  store<f64>(AL, al1, 8);
  store<f64>(AL, al2, 16);
  store<f64>(AL, al3, 24);
}

/**
 * B4 += the value rows vp + jj*vs, jj in [a, b), weighted by the exps S4[jj] of four rows:
 * B4 holds the four rows' sums over the block in f32, rows valueDim apart. Each value row is
 * read from its first element to its last (two rows at a time), the order of memory.
 */
function quadValues<K>(S4: usize, a: i32, b: i32, B: usize, vp: usize, vs: usize, valueDim: i32): void {
  const h0 = halfK<K>(0);
  const h1 = halfK<K>(1);
  const h2 = halfK<K>(2);
  const h3 = halfK<K>(3);
  const rb = <usize>valueDim << 2;
  const last = valueDim & ~3;
  let jj = a;
  for (; jj + 2 <= b; jj += 2) {
    const pp = S4 + (<usize>jj << 4);
    const pa0 = v128.load32_splat(pp);
    const pa1 = v128.load32_splat(pp, 4);
    const pa2 = v128.load32_splat(pp, 8);
    const pa3 = v128.load32_splat(pp, 12);
    const pb0 = v128.load32_splat(pp, 16);
    const pb1 = v128.load32_splat(pp, 20);
    const pb2 = v128.load32_splat(pp, 24);
    const pb3 = v128.load32_splat(pp, 28);
    const rowA = vp + <usize>jj * vs;
    const rowB = rowA + vs;
    for (let d = 0; d < last; d += 4) {
      const va = loadW<K>(at<K>(rowA, d), h0, h1, h2, h3);
      const vb = loadW<K>(at<K>(rowB, d), h0, h1, h2, h3);
      const o = B + (<usize>d << 2);
      v128.store(o, madd<f32>(vb, pb0, madd<f32>(va, pa0, v128.load(o))));
      v128.store(o + rb, madd<f32>(vb, pb1, madd<f32>(va, pa1, v128.load(o + rb))));
      v128.store(o + 2 * rb, madd<f32>(vb, pb2, madd<f32>(va, pa2, v128.load(o + 2 * rb))));
      v128.store(o + 3 * rb, madd<f32>(vb, pb3, madd<f32>(va, pa3, v128.load(o + 3 * rb))));
    }
  }
  for (; jj < b; jj++) {
    const pp = S4 + (<usize>jj << 4);
    const pa0 = v128.load32_splat(pp);
    const pa1 = v128.load32_splat(pp, 4);
    const pa2 = v128.load32_splat(pp, 8);
    const pa3 = v128.load32_splat(pp, 12);
    const rowA = vp + <usize>jj * vs;
    for (let d = 0; d < last; d += 4) {
      const va = loadW<K>(at<K>(rowA, d), h0, h1, h2, h3);
      const o = B + (<usize>d << 2);
      v128.store(o, madd<f32>(va, pa0, v128.load(o)));
      v128.store(o + rb, madd<f32>(va, pa1, v128.load(o + rb)));
      v128.store(o + 2 * rb, madd<f32>(va, pa2, v128.load(o + 2 * rb)));
      v128.store(o + 3 * rb, madd<f32>(va, pa3, v128.load(o + 3 * rb)));
    }
  }
  // The elements past the last whole vector, from every key of the block.
  for (let d = last; d < valueDim; d++) {
    let c0 = f32x4.splat(0);
    for (let j = a; j < b; j++) {
      c0 = madd<f32>(f32x4.splat(loadS<f32, K>(at<K>(vp + <usize>j * vs, d))), v128.load(S4 + (<usize>j << 4)), c0);
    }
    const o = B + (<usize>d << 2);
    store<f32>(o, load<f32>(o) + f32x4.extract_lane(c0, 0));
    store<f32>(o + rb, load<f32>(o + rb) + f32x4.extract_lane(c0, 1));
    store<f32>(o + 2 * rb, load<f32>(o + 2 * rb) + f32x4.extract_lane(c0, 2));
    store<f32>(o + 3 * rb, load<f32>(o + 3 * rb) + f32x4.extract_lane(c0, 3));
  }
}

/** acc[0..n) = acc*alpha + B[0..n) (f64 acc, f32 B), then B = 0. */
function foldRow(acc: usize, B: usize, n: i32, alpha: f64): void {
  const va = f64x2.splat(alpha);
  const zero = f32x4.splat(0);
  const last = n & ~3;
  let d = 0;
  for (; d < last; d += 4) {
    const o = B + (<usize>d << 2);
    fold<f32>(acc + (<usize>d << 3), v128.load(o), va);
    v128.store(o, zero);
  }
  for (; d < n; d++) {
    const ap = acc + (<usize>d << 3);
    store<f64>(ap, load<f64>(ap) * alpha + <f64>load<f32>(B + (<usize>d << 2)));
    store<f32>(B + (<usize>d << 2), 0);
  }
}

// ---- the rest of a score ----

/** Address of the bias row of query i and head h (bias 0: none). */
// @ts-ignore: decorator
@inline
function biasRow(bias: usize, h: i32, biasHead: i32, i: i32, length: i32, size: usize): usize {
  return bias + (<usize>h * <usize>biasHead + <usize>i * <usize>length) * size;
}

/**
 * The scores at sp + jj*stride, jj in [a, b) (keys j0 + jj) of the query at position pos and
 * head h: softcap*tanh(s/softcap), then + bias + ALiBi, in f64.
 */
function shape<T>(sp: usize, stride: usize, a: i32, b: i32, j0: i32, pos: i32, softcap: f64, bias: usize, bp: usize, biasF32: bool, alibi: usize, h: i32): void {
  const slope = alibi != 0 ? load<f64>(alibi + (<usize>h << 3)) : 0;
  for (let jj = a; jj < b; jj++) {
    const p = sp + <usize>jj * stride;
    let s = <f64>load<T>(p);
    if (softcap > 0) s = softcap * tanh(s / softcap);
    if (bias != 0) s += biasF32 ? <f64>load<f32>(at<f32>(bp, j0 + jj)) : load<f64>(at<f64>(bp, j0 + jj));
    if (alibi != 0) s -= slope * <f64>(pos - (j0 + jj));
    store<T>(p, <T>s);
  }
}

/** Where touchBytes leaves its loads: a use of them, so that no optimizer drops them. */
let touched: u32 = 0;

/**
 * Loads one word of each 64-byte line of [p, p + bytes): wasm has no prefetch, and a loop of
 * only loads keeps many misses in flight where the kernel's loops, long on each line, leave
 * the next lines to the hardware's prefetchers and wait on memory (f32 decode at 32,768 keys
 * ran 1.3x faster with the block touched first).
 */
function touchBytes(p: usize, bytes: usize): void {
  let t: u32 = 0;
  for (let o: usize = 0; o < bytes; o += 64) t |= load<u32>(p + o);
  touched |= t;
}

// Subnormal halves: widened with a multiply (widenFinite4), each takes a microcode assist of
// about 100 cycles on Intel cores, and a block of them ran 8-12x the f32 block. The scans of a
// block's halves (keyNorms, finiteHalves) also tell whether they met one, in 2-4 operations per
// 8 halves; a block where subnormal halves are common (sampled: more than 1 in SMALL_SHARE of
// the first SMALL_SAMPLE of its keys or of its values) is widened exactly into the work area
// first and computed as f32 keys and values. A realistic cache holds a few subnormal halves
// (about 1 in 20,000 of N(0, 1) values): those keep the quick path and their few assists.

/** Whether the last scans (keyNorms, finiteHalves) met a subnormal half. */
let smallHalves = false;
/** Halves of a block's keys, and of its values, counted before it is widened. */
const SMALL_SAMPLE: i32 = 4096;
/** A block is widened where more than 1 in SMALL_SHARE of the halves counted are subnormal. */
const SMALL_SHARE: i32 = 64;

/** Whether the n halves at p hold many subnormal ones (see SMALL_SHARE). */
function manySmall(p: usize, n: i32): bool {
  const counted = min(n, SMALL_SAMPLE);
  return subnormalHalvesOver(p, counted, counted / SMALL_SHARE);
}

/**
 * Whether the n halves at p are all finite (no Inf, no NaN), raising smallHalves where one was
 * subnormal: one pass of loads and integer maxima of u = m - 0x400 (m the magnitude's bits,
 * wrapping): as signed, the normal halves give 0 to 0x77ff and the Inf and NaN ones above; as
 * unsigned, a zero gives 0xfc00 and the subnormal halves above.
 */
function finiteHalves(p: usize, n: i32): bool {
  let i = 0;
  let top = 0;
  let small = false;
  if (ASC_FEATURE_SIMD) {
    const magnitude = halfConstant(5);
    const least = halfConstant(9); // HALF_IMPLICIT: the bits of the least normal half, 2^-14
    let a = i16x8.splat(0);
    let high = a;
    for (; i + 8 <= n; i += 8) {
      const u = i16x8.sub(v128.and(v128.load(p + (<usize>i << 1)), magnitude), least);
      a = i16x8.max_s(a, u);
      high = i16x8.max_u(high, u);
    }
    top = maxLaneS(a) + <i32>HALF_IMPLICIT;
    small = <u32>maxLaneU(high) > 0xfc00;
  }
  for (; i < n; i++) {
    const m = <i32>load<u16>(p + (<usize>i << 1)) & 0x7fff;
    top = max(top, m);
    if (subnormalMagnitude(m)) small = true;
  }
  if (small) smallHalves = true;
  return top < 0x7c00;
}

/**
 * The largest sum of squares of a key row piece (rows pieces of dim elements of K at p, one
 * after the other: a block's keys in the order of memory), in f32 arithmetic widened to f64:
 * +Infinity where a piece holds an Inf or NaN (or overflows).
 */
function keyNorms<K>(p: usize, rows: i32, dim: i32): f64 {
  const last = ASC_FEATURE_SIMD ? dim & ~7 : 0;
  let top: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const row = p + <usize>r * <usize>dim * <usize>sizeof<K>();
    let t: f64 = 0;
    if (ASC_FEATURE_SIMD) {
      const h0 = halfK<K>(0);
      const h1 = halfK<K>(1);
      const h2 = halfK<K>(2);
      const h3 = halfK<K>(3);
      const e16 = halfK<K>(4);
      const mh = halfK<K>(6);
      const rh = halfK<K>(7);
      // Halves: widened as finite, their largest exponent kept on the side (an Inf or NaN half
      // makes the row's sum +Infinity, whatever its finite widening gave).
      // Widened by the quick form with the exponent rebiased everywhere (no float arithmetic,
      // so no assist on a subnormal half, see smallHalves): exact for normal halves, above the
      // magnitude of a subnormal one or a zero (below 2^-14 still), so the sums stay bounds;
      // sub raised by the subnormal halves.
      let exponents = i16x8.splat(0);
      let sub = exponents;
      let a0 = f32x4.splat(0);
      let a1 = a0;
      for (let d = 0; d < last; d += 8) {
        let x0: v128;
        let x1: v128;
        if (sizeof<K>() == 2) {
          const v = v128.load(at<K>(row, d));
          const e = v128.and(v, e16);
          exponents = i16x8.max_u(exponents, e);
          sub = raiseHalfSub(sub, v, e);
          const top = i16x8.add(v128.and(i16x8.shr_s(v, 3), mh), rh);
          x0 = quickLow8(v, top);
          x1 = quickHigh8(v, top);
        } else {
          x0 = loadW<K>(at<K>(row, d), h0, h1, h2, h3);
          x1 = loadW<K>(at<K>(row, d + 4), h0, h1, h2, h3);
        }
        a0 = madd<f32>(x0, x0, a0);
        a1 = madd<f32>(x1, x1, a1);
      }
      t = sumLanes<f32>(f32x4.add(a0, a1));
      if (sizeof<K>() == 2) {
        if (holdsSubnormal(sub, halfConstant(8))) smallHalves = true;
        if (holdsSpecial(exponents, e16)) t = Infinity;
      }
    }
    for (let d = last; d < dim; d++) {
      const x = <f64>loadS<f32, K>(at<K>(row, d));
      t += x * x;
    }
    if (!(t <= top)) top = t == t ? t : Infinity;
  }
  return top;
}

// The f32 scores' error grows with scale*sum_d |q_d*k_d| (each product and sum rounded to
// f32, and the score itself held in f32: about 0.4 of the accuracy bound at 40, 0.8 at 90, 1.7
// at 170, measured over 32 heads and 100 to 2000 keys of dim 128). A block whose keys could
// reach past this, by |scale|*max_h |q_h|*max_j |k_j| (Cauchy-Schwarz: a bound of it, |.| the
// Euclidean norm), is computed in f64 (the f64 queries' path) instead.
const EXACT_ABOVE: f64 = 40;

/**
 * One block of n keys (rows j0..j0+n-1 at kp, values at vp) for the rows of the kv heads
 * [g0, g1) of a tile whose groups are multiples of four heads (the quad path): the scores, the softmax step, the
 * weighted values and the fold into the f64 accumulators. The scores and the values go key
 * row by key row, every kv head of a row in turn: the order of memory, which the hardware's
 * prefetchers follow (by kv head, the rows kvHeads*dim apart would go by one 512-byte piece
 * of each).
 */
function quadBlock<K>(
  q0: i32, j0: i32, n: i32, nq: i32, G: i32, g0: i32, g1: i32, dim: i32, valueDim: i32, kp: usize, ks: usize, vp: usize, vs: usize,
  qp: usize, lo: usize, hi: usize, M: usize, Lsum: usize, AL: usize, acc: usize, S: usize, B: usize,
  scale: f32, shaped: bool, offset: i32, softcap: f64, bias: usize, biasHead: i32, length: i32, alibi: usize,
): void {
  const sizeK = <usize>sizeof<K>();
  const sRow = <usize>KEY_BLOCK << 2; // bytes of a row's block of scores
  const rb = <usize>valueDim << 2; // bytes of a row of B
  for (let jj = 0; jj < n; jj += 2) {
    for (let g = g0; g < g1; g++) {
      const kg = kp + <usize>g * <usize>dim * sizeK;
      for (let i = 0; i < nq; i++) {
        const a = max(load<i32>(lo + (<usize>i << 2)) - j0, jj);
        const b = min(min(load<i32>(hi + (<usize>i << 2)) - j0, jj + 2), n);
        if (a >= b) continue;
        for (let hh = 0; hh < G; hh += 4) {
          const r = g * nq * G + i * G + hh;
          const qr = qp + (<usize>r << 2);
          quadScores<K>(load<u32>(qr), load<u32>(qr, 4), load<u32>(qr, 8), load<u32>(qr, 12), kg, ks, dim, a, b, S + <usize>r * sRow, scale);
        }
      }
    }
  }
  for (let g = g0; g < g1; g++) {
    for (let i = 0; i < nq; i++) {
      const a = max(load<i32>(lo + (<usize>i << 2)) - j0, 0);
      const b = min(load<i32>(hi + (<usize>i << 2)) - j0, n);
      if (a >= b) continue;
      for (let hh = 0; hh < G; hh += 4) {
        const r = g * nq * G + i * G + hh;
        const S4 = S + <usize>r * sRow;
        if (shaped) {
          for (let lane = 0; lane < 4; lane++) {
            const h = g * G + hh + lane;
            shape<f32>(S4 + (<usize>lane << 2), 16, a, b, j0, offset + q0 + i, softcap, bias, biasRow(bias, h, biasHead, q0 + i, length, 4), true, alibi, h);
          }
        }
        quadSoftmax(S4, a, b, M + (<usize>r << 3), Lsum + (<usize>r << 3), AL + (<usize>r << 3));
      }
    }
  }
  for (let jj = 0; jj < n; jj += 2) {
    for (let g = g0; g < g1; g++) {
      const vg = vp + <usize>g * <usize>valueDim * sizeK;
      for (let i = 0; i < nq; i++) {
        const a = max(load<i32>(lo + (<usize>i << 2)) - j0, jj);
        const b = min(min(load<i32>(hi + (<usize>i << 2)) - j0, jj + 2), n);
        if (a >= b) continue;
        for (let hh = 0; hh < G; hh += 4) {
          const r = g * nq * G + i * G + hh;
          quadValues<K>(S + <usize>r * sRow, a, b, B + <usize>r * rb, vg, vs, valueDim);
        }
      }
    }
  }
  // acc = acc*alpha + B, for the rows that saw a key of the block.
  for (let g = g0; g < g1; g++) {
    for (let i = 0; i < nq; i++) {
      if (max(load<i32>(lo + (<usize>i << 2)) - j0, 0) >= min(load<i32>(hi + (<usize>i << 2)) - j0, n)) continue;
      for (let hh = 0; hh < G; hh++) {
        const r = g * nq * G + i * G + hh;
        foldRow(acc + ((<usize>r * <usize>valueDim) << 3), B + <usize>r * rb, valueDim, load<f64>(AL + (<usize>r << 3)));
      }
    }
  }
}

/**
 * One block of n keys (rows j0..j0+n-1 at kb, values at vb) for the rows of the kv heads
 * [g0, g1) of a tile, in the compute dtype T (q row addresses at qp, of T; bias f32 or f64 by
 * biasF32), by kv head: the scores, then per row the softmax step and the weighted values
 * added into the f64 accumulators.
 */
function genericBlock<T, K>(
  q0: i32, j0: i32, n: i32, nq: i32, G: i32, g0: i32, g1: i32, dim: i32, valueDim: i32, kb: usize, ks: usize, vb: usize, vs: usize,
  qp: usize, lo: usize, hi: usize, M: usize, Lsum: usize, acc: usize, S: usize,
  scale: f64, shaped: bool, offset: i32, softcap: f64, bias: usize, biasF32: bool, biasHead: i32, length: i32, alibi: usize,
): void {
  const sizeT = <usize>sizeof<T>();
  const sizeK = <usize>sizeof<K>();
  const sRow = <usize>KEY_BLOCK * sizeT; // bytes of a row's block of scores
    for (let g = g0; g < g1; g++) {
      const kp0 = kb + <usize>g * <usize>dim * sizeK; // key row j0 of kv head g
      const vp0 = vb + <usize>g * <usize>valueDim * sizeK;
      const r0 = g * nq * G; // the group's first row
      // Scores: each key row loaded once for the rows of the queries that see it (a
      // contiguous run of queries, since lo and hi grow with the query).
      for (let jj = 0; jj < n; jj++) {
        const j = j0 + jj;
        let first = nq;
        let last = -1;
        for (let i = 0; i < nq; i++) {
          if (j >= load<i32>(lo + (<usize>i << 2)) && j < load<i32>(hi + (<usize>i << 2))) {
            first = min(first, i);
            last = i;
          }
        }
        if (last < 0) continue;
        const kp = kp0 + <usize>jj * ks;
        let r = r0 + first * G;
        const rEnd = r0 + (last + 1) * G;
        for (; r + 4 <= rEnd; r += 4) {
          const qr = qp + (<usize>r << 2);
          dot4<T, K>(
            load<u32>(qr), load<u32>(qr, 4), load<u32>(qr, 8), load<u32>(qr, 12), kp, dim,
            S + <usize>r * sRow + <usize>jj * sizeT, sRow, scale,
          );
        }
        for (; r < rEnd; r++) dot1<T, K>(load<u32>(qp + (<usize>r << 2)), kp, dim, S + <usize>r * sRow + <usize>jj * sizeT, scale);
      }
      // Per query row: the rest of the score, the block's max, the rescale, the exps, the values.
      for (let r = r0; r < r0 + nq * G; r++) {
        const i = queryOf(r, nq, G);
        const h = headOf(r, nq, G);
        const a = max(load<i32>(lo + (<usize>i << 2)), j0) - j0;
        const b = min(load<i32>(hi + (<usize>i << 2)), j0 + n) - j0;
        if (a >= b) continue;
        const sp = S + <usize>r * sRow;
        if (shaped) shape<T>(sp, sizeT, a, b, j0, offset + q0 + i, softcap, bias, biasRow(bias, h, biasHead, q0 + i, length, biasF32 ? 4 : 8), biasF32, alibi, h);
        const top = <f64>rmax<T>(at<T>(sp, a), b - a);
        if (top == -Infinity) continue; // every key of the block masked for this row
        const mp = M + (<usize>r << 3);
        const m = load<f64>(mp);
        const mNew = max(m, top); // NaN stays: the row's output will be NaN
        const alpha = m == -Infinity ? 0 : expNonPositive<f64>(m - mNew);
        const sum = raddstoreexpminusmax<T>(at<T>(sp, a), at<T>(sp, a), b - a, <T>mNew, <T>1);
        const lp = Lsum + (<usize>r << 3);
        store<f64>(lp, load<f64>(lp) * alpha + sum);
        addValues<T, K>(acc + ((<usize>r * <usize>valueDim) << 3), sp, a, b, vp0, vs, valueDim, alpha);
        store<f64>(mp, mNew);
      }
    }
}

// ---- the work area ----

/**
 * One block of keys by its path: in f64 where `exact` (f32 queries whose scores could pass the
 * f32 path's reach), the quad path where the groups allow it (`quads`; halves only where
 * `finite`, widened without the special-value step), the generic one otherwise.
 */
function block<T, K>(
  exact: bool, quads: bool, finite: bool, q0: i32, j0: i32, n: i32, nq: i32, G: i32, g0: i32, g1: i32, dim: i32, valueDim: i32,
  kb: usize, ks: usize, vb: usize, vs: usize, qp: usize, qp64: usize, lo: usize, hi: usize, M: usize, Lsum: usize, AL: usize, acc: usize, S: usize, B: usize,
  scale: f64, shaped: bool, offset: i32, softcap: f64, bias: usize, biasHead: i32, length: i32, alibi: usize,
): void {
  if (exact) {
    genericBlock<f64, K>(
      q0, j0, n, nq, G, g0, g1, dim, valueDim, kb, ks, vb, vs, qp64, lo, hi, M, Lsum, acc, S, scale, shaped, offset, softcap, bias, true, biasHead, length, alibi,
    );
  } else if (ASC_FEATURE_SIMD && quads && (sizeof<K>() != 2 || finite)) {
    // Finite halves as i16 (see loadW); halves holding an Inf or a NaN go the generic way.
    if (sizeof<K>() == 2) {
      quadBlock<i16>(
        q0, j0, n, nq, G, g0, g1, dim, valueDim, kb, ks, vb, vs, qp, lo, hi, M, Lsum, AL, acc, S, B,
        <f32>scale, shaped, offset, softcap, bias, biasHead, length, alibi,
      );
    } else if (sizeof<K>() == 4) {
      quadBlock<K>(
        q0, j0, n, nq, G, g0, g1, dim, valueDim, kb, ks, vb, vs, qp, lo, hi, M, Lsum, AL, acc, S, B,
        <f32>scale, shaped, offset, softcap, bias, biasHead, length, alibi,
      );
    }
  } else {
    genericBlock<T, K>(
      q0, j0, n, nq, G, g0, g1, dim, valueDim, kb, ks, vb, vs, qp, lo, hi, M, Lsum, acc, S, scale, shaped, offset, softcap, bias, sizeof<T>() == 4, biasHead, length, alibi,
    );
  }
}

/** Queries per tile: at least one, and all the heads of each. */
// @ts-ignore: decorator
@inline
function tileQueries(heads: i32, queries: i32): i32 {
  return min(max(1, TILE_ROWS / heads), max(queries, 1));
}

/** The query (within the tile) of row r: rows go [kv head][query][head of the group]. */
// @ts-ignore: decorator
@inline
function queryOf(r: i32, nq: i32, G: i32): i32 {
  return (r % (nq * G)) / G;
}

/** The query head of row r. */
// @ts-ignore: decorator
@inline
function headOf(r: i32, nq: i32, G: i32): i32 {
  return (r / (nq * G)) * G + r % G;
}

// Byte offsets in the work area of a tile of `rows` query rows and `tq` queries.
// @ts-ignore: decorator
@inline
function offLo(rows: i32): usize {
  return <usize>rows << 2; // after the q row addresses (u32 each)
}
// @ts-ignore: decorator
@inline
function offM(rows: i32, tq: i32): usize {
  return (offLo(rows) + (<usize>tq << 3) + 15) & ~15; // after lo, hi (i32 each) per query
}
// @ts-ignore: decorator
@inline
function offL(rows: i32, tq: i32): usize {
  return offM(rows, tq) + (<usize>rows << 3);
}
// @ts-ignore: decorator
@inline
function offAlpha(rows: i32, tq: i32): usize {
  return offL(rows, tq) + (<usize>rows << 3);
}
// @ts-ignore: decorator
@inline
function offAcc(rows: i32, tq: i32): usize {
  return offAlpha(rows, tq) + (<usize>rows << 3);
}
// @ts-ignore: decorator
@inline
function offScores(rows: i32, tq: i32, valueDim: i32): usize {
  return offAcc(rows, tq) + ((<usize>rows * <usize>valueDim) << 3);
}

// @ts-ignore: decorator
@inline
function offBlock(rows: i32, tq: i32, valueDim: i32): usize {
  return offScores(rows, tq, valueDim) + ((<usize>rows * <usize>KEY_BLOCK) << 3);
}

// @ts-ignore: decorator
@inline
function offQ64(rows: i32, tq: i32, valueDim: i32): usize {
  return (offBlock(rows, tq, valueDim) + ((<usize>rows * <usize>valueDim) << 2) + 15) & ~15;
}
// @ts-ignore: decorator
@inline
function offQp64(rows: i32, tq: i32, valueDim: i32, dim: i32): usize {
  return offQ64(rows, tq, valueDim) + ((<usize>rows * <usize>dim) << 3);
}

/** Bytes of a tile's work space before the room of a widened block (halves: see smallHalves). */
// @ts-ignore: decorator
@inline
function offWide(rows: i32, tq: i32, valueDim: i32, dim: i32): usize {
  return (offQp64(rows, tq, valueDim, dim) + (<usize>rows << 2) + 15) & ~15;
}

/** Bytes of work space attend needs for these shapes (`halves`: keys and values are f16). */
export function attendwork(queries: i32, heads: i32, kvHeads: i32, valueDim: i32, dim: i32, halves: bool): usize {
  const tq = tileQueries(heads, queries);
  const rows = tq * heads;
  const wide = halves ? (<usize>KEY_BLOCK * <usize>kvHeads * <usize>(dim + valueDim)) << 2 : 0;
  return offWide(rows, tq, valueDim, dim) + wide;
}

// ---- the kernel ----

/**
 * Attention of `queries` queries (see the header for shapes and ranges), for the query heads
 * of the kv heads [g0, g1) only (0 and kvHeads for all; parallel() gives each thread a range,
 * each row's arithmetic the same whatever the range). bias: T per score,
 * at bias + (h*biasHead + i*length + j) elements (biasHead 0 for one bias shared by the heads),
 * or 0; alibi, sinks: one f64 per query head, or 0; softcap 0 for none; window 0 for none.
 */
function attend<T, K>(
  q: usize, k: usize, v: usize, out: usize, lse: usize, work: usize, queries: i32, heads: i32, kvHeads: i32, dim: i32,
  valueDim: i32, length: i32, start: i32, end: i32, offset: i32, causal: bool, window: i32, scale: f64, softcap: f64,
  bias: usize, biasHead: i32, alibi: usize, sinks: usize, g0: i32, g1: i32,
): void {
  const G = heads / kvHeads;
  const tq = tileQueries(heads, queries);
  const sizeT = <usize>sizeof<T>();
  const sizeK = <usize>sizeof<K>();
  const ks = <usize>kvHeads * <usize>dim * sizeK; // bytes between key rows
  const vs = <usize>kvHeads * <usize>valueDim * sizeK; // bytes between value rows
  const sRow = <usize>KEY_BLOCK * sizeT; // bytes of a row's block of scores
  const shaped = softcap > 0 || bias != 0 || alibi != 0;
  // Groups of a multiple of four query heads take the quad path (f32 queries over f32 or f16
  // keys and values, SIMD builds; f64 keys under f32 queries, a rare pair, go the generic way).
  const quads = ASC_FEATURE_SIMD && sizeof<T>() == 4 && sizeof<K>() != 8 && G % 4 == 0;
  // The room of a widened block of halves, after the largest tile's work.
  const wideAt = offWide(tq * heads, tq, valueDim, dim);
  for (let q0 = 0; q0 < queries; q0 += tq) {
    const nq = min(tq, queries - q0);
    // Rows of the tile in the order [kv head g][query i][head of the group hh]: the rows a
    // key row serves are contiguous.
    const rows = nq * heads;
    const qp = work;
    const lo = work + offLo(rows);
    const hi = lo + (<usize>nq << 2);
    const M = work + offM(rows, nq);
    const Lsum = work + offL(rows, nq);
    const acc = work + offAcc(rows, nq);
    const S = work + offScores(rows, nq, valueDim);
    const B = work + offBlock(rows, nq, valueDim);
    const AL = work + offAlpha(rows, nq);
    const Q64 = work + offQ64(rows, nq, valueDim);
    const qp64 = work + offQp64(rows, nq, valueDim, dim);
    // Each query's key range, and the tile's: [first query's lo, last query's hi).
    let kLo = end;
    let kHi = start;
    for (let i = 0; i < nq; i++) {
      const pos = offset + q0 + i;
      const h = causal ? min(end, pos + 1) : end;
      const l = window > 0 ? max(start, pos - window + 1) : start;
      store<i32>(lo + (<usize>i << 2), l);
      store<i32>(hi + (<usize>i << 2), max(l, h));
      if (l < h) {
        kLo = min(kLo, l);
        kHi = max(kHi, h);
      }
    }
    // The rows of the kv heads [g0, g1): contiguous in this order.
    const rFirst = g0 * nq * G;
    const rStop = g1 * nq * G;
    for (let r = rFirst; r < rStop; r++) {
      const h = headOf(r, nq, G);
      const i = queryOf(r, nq, G);
      store<u32>(qp + (<usize>r << 2), <u32>(q + <usize>((q0 + i) * heads + h) * <usize>dim * sizeT));
      store<f64>(M + (<usize>r << 3), -Infinity);
      store<f64>(Lsum + (<usize>r << 3), 0);
    }
    // f32 queries: the f64 copy of the range's rows (for the blocks computed in f64) and
    // |scale| times the largest norm of a row of the tile, every kv head's: the choice of f32
    // or f64 for a block is the same whatever the range (parallel() is bit for bit).
    let qNorm: f64 = 0;
    if (sizeof<T>() == 4) {
      for (let r = 0; r < rows; r++) {
        const src = q + <usize>((q0 + queryOf(r, nq, G)) * heads + headOf(r, nq, G)) * <usize>dim * sizeT;
        const copy = r >= rFirst && r < rStop;
        const dst = Q64 + ((<usize>r * <usize>dim) << 3);
        if (copy) store<u32>(qp64 + (<usize>r << 2), <u32>dst);
        let sum: f64 = 0;
        for (let d = 0; d < dim; d++) {
          const x = <f64>load<f32>(at<f32>(src, d));
          if (copy) store<f64>(at<f64>(dst, d), x);
          sum += x * x;
        }
        qNorm = max(qNorm, sum);
      }
      qNorm = Math.sqrt(qNorm) * abs(scale);
    }
    for (let e = <usize>rFirst * <usize>valueDim, n = <usize>rStop * <usize>valueDim; e < n; e++) store<f64>(acc + (e << 3), 0);
    for (let e = <usize>rFirst * <usize>valueDim, n = <usize>rStop * <usize>valueDim; e < n; e++) store<f32>(B + (e << 2), 0);
    // Blocks of keys over the tile's range only (blocks hidden from every query of the tile by
    // the causal limit or the window are never visited); within a block, the kv heads in the
    // order of memory.
    for (let j0 = kLo; j0 < kHi; j0 += KEY_BLOCK) {
      const n = min(KEY_BLOCK, kHi - j0);
      const kb = k + <usize>j0 * ks;
      const vb = v + <usize>j0 * vs;
      // The block's keys, read whole first (see touchBytes); for f32 queries their largest
      // norm decides between f32 scores and f64 ones (see EXACT_ABOVE).
      smallHalves = false;
      const kmax = Math.sqrt(keyNorms<K>(kb, n * kvHeads, dim));
      // Halves: the values scanned too, so that a block of finite halves (keys and values)
      // takes the quad path's shorter widening.
      const finite = sizeof<K>() == 2 && kmax < Infinity && finiteHalves(vb, n * kvHeads * valueDim);
      if (sizeof<K>() != 2) touchBytes(vb, <usize>n * vs);
      const exact = sizeof<T>() == 4 && qNorm * kmax > EXACT_ABOVE;
      if (ASC_FEATURE_SIMD && sizeof<K>() == 2 && finite && smallHalves && (manySmall(kb, n * kvHeads * dim) || manySmall(vb, n * kvHeads * valueDim))) {
        // Many subnormal halves: the block widened exactly (see smallHalves), then as f32s.
        const wk = work + wideAt;
        const wv = wk + (<usize>(n * kvHeads * dim) << 2);
        widenSmallRun(kb, wk, n * kvHeads * dim, i16x8.splat(0));
        widenSmallRun(vb, wv, n * kvHeads * valueDim, i16x8.splat(0));
        block<T, f32>(
          exact, quads, true, q0, j0, n, nq, G, g0, g1, dim, valueDim, wk, ks << 1, wv, vs << 1, qp, qp64, lo, hi, M, Lsum, AL, acc, S, B,
          scale, shaped, offset, softcap, bias, biasHead, length, alibi,
        );
      } else {
        block<T, K>(
          exact, quads, finite, q0, j0, n, nq, G, g0, g1, dim, valueDim, kb, ks, vb, vs, qp, qp64, lo, hi, M, Lsum, AL, acc, S, B,
          scale, shaped, offset, softcap, bias, biasHead, length, alibi,
        );
      }
    }
    // out = acc/l, with the sink (a logit of the denominator alone) folded in first.
    for (let r = rFirst; r < rStop; r++) {
      const i = queryOf(r, nq, G);
      const h = headOf(r, nq, G);
      let m = load<f64>(M + (<usize>r << 3));
      let l = load<f64>(Lsum + (<usize>r << 3));
      let alpha: f64 = 1;
      if (sinks != 0) {
        const sink = load<f64>(sinks + (<usize>h << 3));
        if (sink != -Infinity) {
          const mNew = max(m, sink);
          alpha = m == -Infinity ? 0 : expNonPositive<f64>(m - mNew);
          l = l * alpha + expNonPositive<f64>(sink - mNew);
          m = mNew;
        }
      }
      const row = <usize>((q0 + i) * heads + h);
      const op = out + row * <usize>valueDim * sizeT;
      const ap = acc + ((<usize>r * <usize>valueDim) << 3);
      // No key seen and no sink: 0s and lse -Infinity, never 0/0.
      const f = l == 0 ? 0 : alpha / l;
      for (let d = 0; d < valueDim; d++) store<T>(at<T>(op, d), <T>(load<f64>(at<f64>(ap, d)) * f));
      if (lse != 0) store<T>(at<T>(lse, <i32>row), <T>(l == 0 ? -Infinity : m + Math.log1p(l - 1)));
    }
  }
}

// ---- exports: one per compute dtype and storage dtype (u16: f16 bits) ----

export { features, heapBase } from "../shared/module";

/** Attention with f32 queries (computed in f32) over f32 keys and values. */
export function f32_f32_attend(
  q: usize, k: usize, v: usize, out: usize, lse: usize, work: usize, queries: i32, heads: i32, kvHeads: i32, dim: i32,
  valueDim: i32, length: i32, start: i32, end: i32, offset: i32, causal: bool, window: i32, scale: f64, softcap: f64,
  bias: usize, biasHead: i32, alibi: usize, sinks: usize, g0: i32, g1: i32,
): void {
  attend<f32, f32>(q, k, v, out, lse, work, queries, heads, kvHeads, dim, valueDim, length, start, end, offset, causal, window, scale, softcap, bias, biasHead, alibi, sinks, g0, g1);
}
/** Attention with f32 queries (computed in f32) over f64 keys and values. */
export function f32_f64_attend(
  q: usize, k: usize, v: usize, out: usize, lse: usize, work: usize, queries: i32, heads: i32, kvHeads: i32, dim: i32,
  valueDim: i32, length: i32, start: i32, end: i32, offset: i32, causal: bool, window: i32, scale: f64, softcap: f64,
  bias: usize, biasHead: i32, alibi: usize, sinks: usize, g0: i32, g1: i32,
): void {
  attend<f32, f64>(q, k, v, out, lse, work, queries, heads, kvHeads, dim, valueDim, length, start, end, offset, causal, window, scale, softcap, bias, biasHead, alibi, sinks, g0, g1);
}
/** Attention with f64 queries (computed in f64) over f32 keys and values. */
export function f64_f32_attend(
  q: usize, k: usize, v: usize, out: usize, lse: usize, work: usize, queries: i32, heads: i32, kvHeads: i32, dim: i32,
  valueDim: i32, length: i32, start: i32, end: i32, offset: i32, causal: bool, window: i32, scale: f64, softcap: f64,
  bias: usize, biasHead: i32, alibi: usize, sinks: usize, g0: i32, g1: i32,
): void {
  attend<f64, f32>(q, k, v, out, lse, work, queries, heads, kvHeads, dim, valueDim, length, start, end, offset, causal, window, scale, softcap, bias, biasHead, alibi, sinks, g0, g1);
}
/** Attention with f64 queries (computed in f64) over f64 keys and values. */
export function f64_f64_attend(
  q: usize, k: usize, v: usize, out: usize, lse: usize, work: usize, queries: i32, heads: i32, kvHeads: i32, dim: i32,
  valueDim: i32, length: i32, start: i32, end: i32, offset: i32, causal: bool, window: i32, scale: f64, softcap: f64,
  bias: usize, biasHead: i32, alibi: usize, sinks: usize, g0: i32, g1: i32,
): void {
  attend<f64, f64>(q, k, v, out, lse, work, queries, heads, kvHeads, dim, valueDim, length, start, end, offset, causal, window, scale, softcap, bias, biasHead, alibi, sinks, g0, g1);
}
/** Attention with f32 queries (computed in f32) over f16 keys and values (widened exactly). */
export function f32_f16_attend(
  q: usize, k: usize, v: usize, out: usize, lse: usize, work: usize, queries: i32, heads: i32, kvHeads: i32, dim: i32,
  valueDim: i32, length: i32, start: i32, end: i32, offset: i32, causal: bool, window: i32, scale: f64, softcap: f64,
  bias: usize, biasHead: i32, alibi: usize, sinks: usize, g0: i32, g1: i32,
): void {
  attend<f32, u16>(q, k, v, out, lse, work, queries, heads, kvHeads, dim, valueDim, length, start, end, offset, causal, window, scale, softcap, bias, biasHead, alibi, sinks, g0, g1);
}
/** Attention with f64 queries (computed in f64) over f16 keys and values (widened exactly). */
export function f64_f16_attend(
  q: usize, k: usize, v: usize, out: usize, lse: usize, work: usize, queries: i32, heads: i32, kvHeads: i32, dim: i32,
  valueDim: i32, length: i32, start: i32, end: i32, offset: i32, causal: bool, window: i32, scale: f64, softcap: f64,
  bias: usize, biasHead: i32, alibi: usize, sinks: usize, g0: i32, g1: i32,
): void {
  attend<f64, u16>(q, k, v, out, lse, work, queries, heads, kvHeads, dim, valueDim, length, start, end, offset, causal, window, scale, softcap, bias, biasHead, alibi, sinks, g0, g1);
}
