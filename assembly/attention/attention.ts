// Attention over linear memory with the online softmax of FlashAttention: one pass over the
// keys and values per tile of queries, a running max m, a running sum l and an output
// accumulator rescaled by exp(m_old - m_new) when the max grows; the score matrix is never
// stored whole (a block of KEY_BLOCK scores per query row at a time).
//
// Shapes, row-major: q [queries][heads][dim] of T (the compute dtype, f32 or f64); keys
// [capacity][kvHeads][dim] and values [capacity][kvHeads][valueDim] of K (the storage dtype);
// out [queries][heads][valueDim] and lse [queries][heads] of T. A kv head g serves the query
// heads g*G .. g*G + G - 1 (G = heads / kvHeads): a tile holds whole groups of query heads, so
// that each key and value row is read from memory once per tile.
//
// Query i sits at position offset + i. It sees the keys j in [lo_i, hi_i): lo_i = start, raised
// to position - window + 1 with a window; hi_i = end, lowered to position + 1 when causal.
// Keys outside a query's range take no part in its row (their values are not read for it).
// A score is s = scale*q.k, then softcap*tanh(s/softcap), then + bias + alibi; scores and
// exps live in T, the accumulator, m and l in f64. Per tile and kv group, the work area holds
// (workLayout): the q row addresses, each query's key range, m, l, the f64 accumulators and a
// block of scores per row.

import { madd } from "../shared/exp";
import { at, lanes, raddstoreexpminusmax, rmax, sumLanes } from "../shared/reduce";
import { expNonPositive } from "../shared/exp";
import { KEY_BLOCK, TILE_ROWS } from "./layout";

// ---- loads of the storage dtype K as the compute dtype T ----

/** lanes<T>() elements of K at p, as T lanes (f64 rows narrowed to f32, f32 rows widened to f64). */
// @ts-ignore: decorator
@inline
function loadV<T, K>(p: usize): v128 {
  if (sizeof<K>() == sizeof<T>()) return v128.load(p);
  if (sizeof<T>() == 4) {
    const lo = f32x4.demote_f64x2_zero(v128.load(p));
    const hi = f32x4.demote_f64x2_zero(v128.load(p, 16));
    return i8x16.shuffle(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  }
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** The element of K at p, as T. */
// @ts-ignore: decorator
@inline
function loadS<T, K>(p: usize): T {
  return <T>load<K>(p);
}

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

/** scale*q.k for one query row (four accumulators: the adds of one chain wait on each other). */
// @ts-ignore: decorator
@inline
function dot1<T, K>(q: usize, kp: usize, dim: i32, sp: usize, scale: f64): void {
  let s: f64 = 0;
  let d = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    let a0 = v128.splat<T>(<T>0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    for (; d + 4 * L <= dim; d += 4 * L) {
      const o = <usize>d << alignof<T>();
      const p = at<K>(kp, d);
      a0 = madd<T>(v128.load(q + o), loadV<T, K>(p), a0);
      a1 = madd<T>(v128.load(q + o, 16), loadV<T, K>(at<K>(p, L)), a1);
      a2 = madd<T>(v128.load(q + o, 32), loadV<T, K>(at<K>(p, 2 * L)), a2);
      a3 = madd<T>(v128.load(q + o, 48), loadV<T, K>(at<K>(p, 3 * L)), a3);
    }
    for (; d + L <= dim; d += L) {
      a0 = madd<T>(v128.load(at<T>(q, d)), loadV<T, K>(at<K>(kp, d)), a0);
    }
    s = sumLanes<T>(v128.add<T>(v128.add<T>(a0, a1), v128.add<T>(a2, a3)));
  }
  for (; d < dim; d++) s += <f64>(load<T>(at<T>(q, d)) * loadS<T, K>(at<K>(kp, d)));
  store<T>(sp, <T>(s * scale));
}

/**
 * tanh(x) from exp.ts's exp (AssemblyScript's Math.tanh brings instructions the builds leave
 * out): tanh|x| = -e/(2 + e) with e = expm1(-2|x|), and expm1 by Kahan's rule
 * (u - 1)*y/log(u), u = exp(y), which keeps the relative accuracy near 0.
 */
function tanh(x: f64): f64 {
  const y = -2 * abs(x);
  const u = expNonPositive<f64>(y);
  const e = u == 1 ? y : u == 0 ? -1 : ((u - 1) * y) / Math.log1p(u - 1);
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
 * rows at vp + jj*vs. A p of 0 skips its row: a masked key's value is never read for this row
 * (a NaN or infinite value there would make 0*v NaN).
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
        const p = load<T>(at<T>(sp, jj));
        if (p == <T>0) continue;
        const pv = v128.splat<T>(p);
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
        const p = load<T>(at<T>(sp, jj));
        if (p == <T>0) continue;
        c0 = madd<T>(loadV<T, K>(at<K>(vp + <usize>jj * vs, d)), v128.splat<T>(p), c0);
      }
      fold<T>(acc + (<usize>d << 3), c0, va);
    }
  }
  // The last elements of the row; the whole row in the scalar build.
  for (; d < valueDim; d++) {
    let c = <T>0;
    for (let jj = a; jj < b; jj++) {
      const p = load<T>(at<T>(sp, jj));
      if (p == <T>0) continue;
      c += p * loadS<T, K>(at<K>(vp + <usize>jj * vs, d));
    }
    const ap = acc + (<usize>d << 3);
    store<f64>(ap, load<f64>(ap) * alpha + <f64>c);
  }
}

// ---- the work area ----

/** Queries per tile for groups of g query heads. */
// @ts-ignore: decorator
@inline
function tileQueries(g: i32, queries: i32): i32 {
  return min(max(1, TILE_ROWS / g), max(queries, 1));
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
function offAcc(rows: i32, tq: i32): usize {
  return offL(rows, tq) + (<usize>rows << 3);
}
// @ts-ignore: decorator
@inline
function offScores(rows: i32, tq: i32, valueDim: i32): usize {
  return offAcc(rows, tq) + ((<usize>rows * <usize>valueDim) << 3);
}

/** Bytes of work space attend needs for these shapes. */
export function attendwork(queries: i32, heads: i32, kvHeads: i32, valueDim: i32): usize {
  const g = heads / kvHeads;
  const tq = tileQueries(g, queries);
  const rows = tq * g;
  return offScores(rows, tq, valueDim) + ((<usize>rows * <usize>KEY_BLOCK) << 3);
}

// ---- the kernel ----

/**
 * Attention of `queries` queries (see the header for shapes and ranges). bias: T per score,
 * at bias + (h*biasHead + i*length + j) elements (biasHead 0 for one bias shared by the heads),
 * or 0; alibi, sinks: one f64 per query head, or 0; softcap 0 for none; window 0 for none.
 */
function attend<T, K>(
  q: usize, k: usize, v: usize, out: usize, lse: usize, work: usize, queries: i32, heads: i32, kvHeads: i32, dim: i32,
  valueDim: i32, length: i32, start: i32, end: i32, offset: i32, causal: bool, window: i32, scale: f64, softcap: f64,
  bias: usize, biasHead: i32, alibi: usize, sinks: usize,
): void {
  const G = heads / kvHeads;
  const tq = tileQueries(G, queries);
  const sizeT = <usize>sizeof<T>();
  const sizeK = <usize>sizeof<K>();
  const ks = <usize>kvHeads * <usize>dim * sizeK; // bytes between key rows
  const vs = <usize>kvHeads * <usize>valueDim * sizeK; // bytes between value rows
  const sRow = <usize>KEY_BLOCK * sizeT; // bytes of a row's block of scores
  const shaped = softcap > 0 || bias != 0 || alibi != 0;
  for (let g = 0; g < kvHeads; g++) {
    for (let q0 = 0; q0 < queries; q0 += tq) {
      const nq = min(tq, queries - q0);
      const rows = nq * G;
      const qp = work;
      const lo = work + offLo(rows);
      const hi = lo + (<usize>nq << 2);
      const M = work + offM(rows, nq);
      const Lsum = work + offL(rows, nq);
      const acc = work + offAcc(rows, nq);
      const S = work + offScores(rows, nq, valueDim);
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
        for (let hh = 0; hh < G; hh++) {
          const r = i * G + hh;
          store<u32>(qp + (<usize>r << 2), <u32>(q + <usize>((q0 + i) * heads + g * G + hh) * <usize>dim * sizeT));
        }
      }
      for (let r = 0; r < rows; r++) {
        store<f64>(M + (<usize>r << 3), -Infinity);
        store<f64>(Lsum + (<usize>r << 3), 0);
      }
      for (let e: usize = 0, n = <usize>rows * <usize>valueDim; e < n; e++) store<f64>(acc + (e << 3), 0);
      // Blocks of keys over the tile's range only: blocks hidden from every query of the tile
      // by the causal limit or the window are never visited.
      for (let j0 = kLo; j0 < kHi; j0 += KEY_BLOCK) {
        const n = min(KEY_BLOCK, kHi - j0);
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
          const kp = k + <usize>j * ks + <usize>g * <usize>dim * sizeK;
          let r = first * G;
          const rEnd = (last + 1) * G;
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
        for (let r = 0; r < rows; r++) {
          const i = r / G;
          const h = g * G + r % G;
          const a = max(load<i32>(lo + (<usize>i << 2)), j0) - j0;
          const b = min(load<i32>(hi + (<usize>i << 2)), j0 + n) - j0;
          if (a >= b) continue;
          const sp = S + <usize>r * sRow;
          if (shaped) {
            const pos = offset + q0 + i;
            const slope = alibi != 0 ? load<f64>(alibi + (<usize>h << 3)) : 0;
            const bp = bias + (<usize>h * <usize>biasHead + <usize>(q0 + i) * <usize>length) * sizeT;
            for (let jj = a; jj < b; jj++) {
              let s = <f64>load<T>(at<T>(sp, jj));
              if (softcap > 0) s = softcap * tanh(s / softcap);
              if (bias != 0) s += <f64>load<T>(at<T>(bp, j0 + jj));
              if (alibi != 0) s -= slope * <f64>(pos - (j0 + jj));
              store<T>(at<T>(sp, jj), <T>s);
            }
          }
          const top = <f64>rmax<T>(at<T>(sp, a), b - a);
          if (top == -Infinity) continue; // every key of the block masked for this row
          const mp = M + (<usize>r << 3);
          const m = load<f64>(mp);
          const mNew = max(m, top); // NaN stays: the row's output will be NaN
          const alpha = m == -Infinity ? 0 : expNonPositive<f64>(m - mNew);
          const sum = raddstoreexpminusmax<T>(at<T>(sp, a), at<T>(sp, a), b - a, <T>mNew, <T>1);
          const lp = Lsum + (<usize>r << 3);
          store<f64>(lp, load<f64>(lp) * alpha + sum);
          const vp = v + <usize>j0 * vs + <usize>g * <usize>valueDim * sizeK;
          addValues<T, K>(acc + ((<usize>r * <usize>valueDim) << 3), sp, a, b, vp, vs, valueDim, alpha);
          store<f64>(mp, mNew);
        }
      }
      // out = acc/l, with the sink (a logit of the denominator alone) folded in first.
      for (let r = 0; r < rows; r++) {
        const i = r / G;
        const h = g * G + r % G;
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
}

// ---- exports: one per compute dtype and storage dtype ----

export { features, heapBase } from "../shared/module";

/** Attention with f32 queries (computed in f32) over f32 keys and values. */
export function f32_f32_attend(
  q: usize, k: usize, v: usize, out: usize, lse: usize, work: usize, queries: i32, heads: i32, kvHeads: i32, dim: i32,
  valueDim: i32, length: i32, start: i32, end: i32, offset: i32, causal: bool, window: i32, scale: f64, softcap: f64,
  bias: usize, biasHead: i32, alibi: usize, sinks: usize,
): void {
  attend<f32, f32>(q, k, v, out, lse, work, queries, heads, kvHeads, dim, valueDim, length, start, end, offset, causal, window, scale, softcap, bias, biasHead, alibi, sinks);
}
/** Attention with f32 queries (computed in f32) over f64 keys and values. */
export function f32_f64_attend(
  q: usize, k: usize, v: usize, out: usize, lse: usize, work: usize, queries: i32, heads: i32, kvHeads: i32, dim: i32,
  valueDim: i32, length: i32, start: i32, end: i32, offset: i32, causal: bool, window: i32, scale: f64, softcap: f64,
  bias: usize, biasHead: i32, alibi: usize, sinks: usize,
): void {
  attend<f32, f64>(q, k, v, out, lse, work, queries, heads, kvHeads, dim, valueDim, length, start, end, offset, causal, window, scale, softcap, bias, biasHead, alibi, sinks);
}
/** Attention with f64 queries (computed in f64) over f32 keys and values. */
export function f64_f32_attend(
  q: usize, k: usize, v: usize, out: usize, lse: usize, work: usize, queries: i32, heads: i32, kvHeads: i32, dim: i32,
  valueDim: i32, length: i32, start: i32, end: i32, offset: i32, causal: bool, window: i32, scale: f64, softcap: f64,
  bias: usize, biasHead: i32, alibi: usize, sinks: usize,
): void {
  attend<f64, f32>(q, k, v, out, lse, work, queries, heads, kvHeads, dim, valueDim, length, start, end, offset, causal, window, scale, softcap, bias, biasHead, alibi, sinks);
}
/** Attention with f64 queries (computed in f64) over f64 keys and values. */
export function f64_f64_attend(
  q: usize, k: usize, v: usize, out: usize, lse: usize, work: usize, queries: i32, heads: i32, kvHeads: i32, dim: i32,
  valueDim: i32, length: i32, start: i32, end: i32, offset: i32, causal: bool, window: i32, scale: f64, softcap: f64,
  bias: usize, biasHead: i32, alibi: usize, sinks: usize,
): void {
  attend<f64, f64>(q, k, v, out, lse, work, queries, heads, kvHeads, dim, valueDim, length, start, end, offset, causal, window, scale, softcap, bias, biasHead, alibi, sinks);
}
