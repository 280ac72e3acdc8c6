// The pure TypeScript backend: the same semantics as the kernels (assembly/softmax.ts), in
// plain loops over typed arrays with Math.exp in f64. It is the yardstick the wasm kernels
// are measured against, so it is written to be fast: no spread, no per-element allocation,
// one pass per step.

import { type AnyOperand, type Core, type Operand, type Reduced, dtypeOf, viaF32 } from "./backend.js";
import { type HalfArray, widenHalves } from "./half.js";
import { PlainArray, realArray, typedArray } from "./memory.js";
import { scaledDiff } from "./online.js";
import type { Dtype, RealArray } from "./types.js";

/**
 * What total + part's rounding drops (Neumaier's term: total + part = fl(total + part) + this,
 * exactly): the compensated sums add it up beside their total.
 */
export function roundingOf(total: number, part: number): number {
  const t = total + part;
  return Math.abs(total) >= Math.abs(part) ? total - t + part : part - t + total;
}

/** Terms summed plainly before the partial sum joins the compensated total. */
const FLUSH = 256;
/** x - c can pass f64's range only where |c| reaches half an ulp of its max (2^970). */
const WIDE_C = 2 ** 970;
/**
 * Where an f64 row's sum is redone term by term (restOf) for the relative accuracy of LSE
 * near 0: the sum's rounding against 80% of the promised 1e-14 (docs/core.md, Accuracy) (see tooCoarse).
 * f32 data is exact in f64 arithmetic to far better than its 1e-6: only a sum that is 1 to
 * within 1e-8 needs it.
 */
const COARSE = { sum: 1.1e-16, exp: 2.3e-16, arg: 2.3e-16, budget: 0.8e-14, f32: 1e-8 };

/** Whether beta*(x - c) may need careful.ts's halves: |beta| < 1 and x - c beyond f64. */
function wide(c: number, beta: number): boolean {
  return Math.abs(beta) < 1 && Math.abs(c) >= WIDE_C;
}

/** Whether a sum s of n terms (at least 1) is too coarse for log1p accuracy near 0. */
function tooCoarse(s: number, n: number, f32: boolean): boolean {
  if (s >= 2.1) return false; // the bound holds at any row length (n < 2^31): no logs needed
  const l = Math.log(s);
  if (f32) return l < COARSE.f32;
  // As the kernels' sumTooCoarse: partial sums of up to FLUSH terms, the exps and exponents of
  // the rest r <= s - 1 (the max's term is 1), their mean |exponent| at most log(n/r).
  const rest = s - 1;
  if (!(rest > 0)) return true; // the rest rounded away: only restOf can tell it
  const spread = Math.max(0, Math.log(n / rest));
  return COARSE.sum * Math.sqrt(Math.min(n, FLUSH)) * s + (COARSE.exp + COARSE.arg * spread) * rest > COARSE.budget * s * l;
}

/** hi + lo = a*b exactly (Dekker), when neither factor nor the product is near f64's limits. */
function productLow(a: number, b: number, p: number): number {
  if (!Number.isFinite(p) || Math.abs(a) > 1e150 || Math.abs(b) > 1e150 || Math.abs(p) < 1e-290) return 0;
  const ta = 134217729 * a;
  const ah = ta - (ta - a);
  const al = a - ah;
  const tb = 134217729 * b;
  const bh = tb - (tb - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/**
 * Sum of exp(beta*(x_i - c)) over the entries of x[start..end) other than c, each exponent
 * exact (double-double), Neumaier-compensated; and the count k of entries at c. With weights
 * (w[i - start + ws] for x[i]), each term is weighted, k is the sum of the weights at c, and
 * entries of weight 0 are left out whatever their value.
 */
function restOf(x: RealArray, start: number, end: number, c: number, beta: number, w?: RealArray, ws = 0): { k: number; r: number } {
  let k = 0;
  let total = 0;
  let lost = 0;
  for (let i = start; i < end; i++) {
    const v = x[i];
    const weight = w ? w[i - start + ws] : 1;
    if (weight === 0) continue;
    if (v === c) {
      k += weight;
      continue;
    }
    // TwoSum (on halves from 2^1000 on, where its intermediates could overflow): d + e = v - c.
    const h = Math.abs(v) >= 2 ** 1000 || Math.abs(c) >= 2 ** 1000 ? 0.5 : 1;
    const vh = v * h;
    const ch = c * h;
    const bh = beta / h;
    const d = vh - ch;
    const p = d * bh;
    let t: number;
    if (!Number.isFinite(p) || !Number.isFinite(bh)) t = Math.exp(scaledDiff(beta, v, c));
    else {
      const w = d - vh;
      const e = vh - (d - w) + (-ch - w);
      t = Math.exp(p);
      t += t * (productLow(d, bh, p) + e * bh);
    }
    t *= weight;
    lost += roundingOf(total, t);
    total += t;
  }
  return { k, r: total + lost };
}

/**
 * The weighted sum of exp(beta*(x_i - c)) over x[start..end) in plain f64 (as restOf, without
 * the exact exponents): the weights k at c, the rest r, and a bound on r's error. Each term
 * w*exp(p) is off by at most 2|p| + 3 units of 2^-53 of itself (p's two roundings magnified by
 * the exp, the exp's own within an ulp, the weight's), Neumaier's sum by 2 more of the terms'
 * magnitudes, and a term that underflows by the smallest subnormal.
 */
function plainRest(x: RealArray, start: number, end: number, c: number, beta: number, w: RealArray, ws: number): { k: number; r: number; error: number } {
  let k = 0;
  let total = 0;
  let lost = 0;
  let error = 0;
  let terms = 0;
  for (let i = start; i < end; i++) {
    const weight = w[i - start + ws];
    if (weight === 0) continue;
    const v = x[i];
    if (v === c) {
      k += weight;
      continue;
    }
    const p = beta * (v - c);
    const t = weight * Math.exp(p);
    lost += roundingOf(total, t);
    total += t;
    error += Math.abs(t) * (6 - 2 * Math.max(p, -1e4)); // p <= 0; a masked entry's -Infinity adds 0
    terms++;
  }
  return { k, r: total + lost, error: 1.12e-16 * error + terms * 5e-324 };
}

/**
 * SciPy's weighted LogSumExp of row x[start..start + n) with weights w[ws..ws + n): log|S|
 * and the sign of S = sum_j w_j exp(beta x_j) (-1, 0 or 1; NaN with a NaN value). Entries of
 * weight 0 drop out, even where x_j is infinite or NaN. S = exp(beta c) (m + s): c the extremum
 * of the other entries, m the sum of their weights at c, s the rest, so that
 * log|S| = beta c + log|m| + log1p(s/m) keeps its relative accuracy near 0 (with m and s
 * swapped where |s| > |m|: s/m could overflow, and m = 0 would divide by 0). The rest is summed
 * plainly first (plainRest); where its error bound could move log|S| by more than half the f64
 * contract relative to the result (near 0, where weights cancel), or where beta*(x - c) could
 * leave f64's range, it is summed again with exact exponents (restOf).
 */
export function weightedLogSumExp(x: RealArray, start: number, n: number, w: RealArray, ws: number, beta: number): [number, number] {
  let c = beta < 0 ? Infinity : -Infinity;
  let kept = false;
  for (let i = 0; i < n && c === c; i++) {
    const v = x[start + i];
    if (w[ws + i] === 0) continue;
    kept = true;
    if (!(beta < 0 ? v >= c : v <= c)) c = v; // a NaN too, which ends the scan
  }
  if (!kept) return [-Infinity, 0];
  const b = beta * c;
  if (b !== b) return [NaN, NaN];
  if (Number.isFinite(c) && !wide(c, beta)) {
    const { k: m, r: s, error } = plainRest(x, start, start + n, c, beta, w, ws);
    if (m !== m || s !== s) return [NaN, NaN];
    const [value, sign] = logOfSum(b, m, s);
    if (error <= 0.5e-14 * Math.abs(value) * Math.abs(m + s)) return [value, sign];
  }
  const { k: m, r: s } = restOf(x, start, start + n, c, beta, w, ws);
  if (m !== m || s !== s) return [NaN, NaN];
  if (!Number.isFinite(c)) return b < 0 ? [-Infinity, 0] : m ? [Infinity, Math.sign(m)] : [NaN, NaN];
  return logOfSum(b, m, s);
}

/** log|S| and sign(S) of S = exp(b) (m + s), with the larger of m and s as the base of a log1p. */
function logOfSum(b: number, m: number, s: number): [number, number] {
  const [base, rest] = Math.abs(m) >= Math.abs(s) ? [m, s] : [s, m];
  const q = base ? rest / base : -1; // both 0: S = 0
  const sign = Math.sign(base) * Math.sign(1 + q);
  return [sign ? b + Math.log(Math.abs(base)) + Math.log1p(q) : -Infinity, sign];
}

/** max of x[start..end) (min when `lowest`); NaN if any element is NaN. */
export function extremum(x: RealArray, start: number, end: number, lowest: boolean): number {
  let c = lowest ? Infinity : -Infinity;
  // One comparison per element: !(v <= c) is v > c or v NaN, and a NaN ends the scan.
  if (lowest) {
    for (let i = start; i < end; i++) {
      const v = x[i];
      if (!(v >= c)) {
        if (v !== v) return NaN;
        c = v;
      }
    }
  } else {
    for (let i = start; i < end; i++) {
      const v = x[i];
      if (!(v <= c)) {
        if (v !== v) return NaN;
        c = v;
      }
    }
  }
  return c;
}

/** Sum of exp(beta*(x_i - c)) over x[start..end), storing each term to y when given. */
function expSum(x: RealArray, y: RealArray | undefined, start: number, end: number, c: number, beta: number): number {
  if (wide(c, beta)) {
    let s = 0;
    for (let i = start; i < end; i++) {
      const e = Math.exp(scaledDiff(beta, x[i], c));
      if (y) y[i] = e;
      s += e;
    }
    return s;
  }
  let total = 0;
  let lost = 0; // Neumaier compensation: rows of 2^24 elements would lose digits otherwise
  for (let i = start; i < end; ) {
    const stop = Math.min(i + FLUSH, end);
    let part = 0;
    if (y && beta === 1) {
      // The default beta: no multiply (a naive loop has none either).
      for (; i < stop; i++) {
        const e = Math.exp(x[i] - c);
        y[i] = e;
        part += e;
      }
    } else if (y) {
      for (; i < stop; i++) {
        const e = Math.exp((x[i] - c) * beta);
        y[i] = e;
        part += e;
      }
    } else {
      for (; i < stop; i++) part += Math.exp((x[i] - c) * beta);
    }
    lost += roundingOf(total, part);
    total += part;
  }
  return total + lost;
}

/** A row whose scaled extremum m is not finite: NaN, all masked, or +Inf entries sharing. */
function specialRow(x: RealArray, y: RealArray, start: number, end: number, c: number, m: number, log: boolean): void {
  if (m !== m) {
    y.fill(NaN, start, end);
  } else if (m < 0) {
    y.fill(log ? -Infinity : 0, start, end);
  } else {
    let k = 0;
    for (let i = start; i < end; i++) if (x[i] === c) k++;
    const share = log ? -Math.log(k) : 1 / k;
    const rest = log ? -Infinity : 0;
    for (let i = start; i < end; i++) y[i] = x[i] === c ? share : rest;
  }
}

/**
 * x itself, or a copy when y views part of the same bytes at another offset: the loops read
 * x[i] and write y[i] in one pass, which is safe in place but not over a shifted overlap.
 */
export function readable(x: RealArray, y: RealArray): RealArray {
  // Equal offsets (with equal lengths) are the same bytes or other buffers; testing them
  // first spares reading .buffer, which costs up to 1 us on a small new array.
  if (x.byteOffset === y.byteOffset || x.buffer !== y.buffer) return x;
  const overlap = x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
  return overlap ? x.slice() : x;
}

/** Reduction of x[start..end): see Reduced. */
function reduceRange(x: RealArray, start: number, end: number, beta: number): Reduced {
  const c = extremum(x, start, end, beta < 0);
  const m = beta * c;
  const nan: Reduced = { c: NaN, m: NaN, k: NaN, r: NaN };
  if (m !== m) return nan;
  if (m === -Infinity && !Number.isFinite(c)) return { c, m, k: 0, r: 0 };
  if (m === Infinity && !Number.isFinite(c)) {
    let k = 0;
    for (let i = start; i < end; i++) if (x[i] === c) k++;
    return { c, m, k, r: 0 };
  }
  const s = expSum(x, undefined, start, end, c, beta);
  if (s !== s) return nan;
  if (!tooCoarse(s, end - start, x instanceof Float32Array)) return { c, m, k: 1, r: s - 1 };
  const { k, r } = restOf(x, start, end, c, beta);
  return { c, m, k, r };
}

export class JsCore implements Core {
  readonly backend = "js" as const;

  alloc(length: number, dtype: Dtype): PlainArray {
    return new PlainArray(length, dtype);
  }

  owns(a: unknown): boolean {
    return a instanceof PlainArray;
  }

  widen(x: AnyOperand): Float32Array {
    return widenHalves(typedArray(x) as HalfArray);
  }

  widened<R>(x: AnyOperand, use: (xs: Operand) => R): R {
    return use(this.widen(x));
  }

  rows(log: boolean, x0: AnyOperand, y0: AnyOperand, rows: number, k: number, beta: number): void {
    viaF32(x0, y0, (x, y) => this.#rows(log, x, y as Operand, rows, k, beta));
  }

  #rows(log: boolean, x: Operand, y: Operand, rows: number, k: number, beta: number): void {
    const ys = realArray(y);
    const xs = readable(realArray(x), ys);
    const lowest = beta < 0;
    for (let start = 0, r = 0; r < rows; r++, start += k) {
      const end = start + k;
      if (log) {
        const { c, m, k: count, r: rest } = reduceRange(xs, start, end, beta);
        if (!Number.isFinite(c) || count !== count) {
          specialRow(xs, ys, start, end, c, m, true);
          continue;
        }
        const shift = Math.log1p(count - 1 + rest);
        if (wide(c, beta)) for (let i = start; i < end; i++) ys[i] = scaledDiff(beta, xs[i], c) - shift;
        else for (let i = start; i < end; i++) ys[i] = (xs[i] - c) * beta - shift;
      } else {
        const c = extremum(xs, start, end, lowest);
        if (!Number.isFinite(c)) {
          specialRow(xs, ys, start, end, c, beta * c, false);
          continue;
        }
        const inv = 1 / expSum(xs, ys, start, end, c, beta);
        for (let i = start; i < end; i++) ys[i] *= inv;
      }
    }
  }

  logSumExp(x0: AnyOperand, out0: AnyOperand | undefined, rows: number, k: number, beta: number): number {
    let lse = -Infinity;
    viaF32(x0, out0, (x, out) => (lse = this.#logSumExp(x, out, rows, k, beta)));
    return lse;
  }

  #logSumExp(x: Operand, out: Operand | undefined, rows: number, k: number, beta: number): number {
    const xs = realArray(x);
    const os = out && realArray(out);
    let lse = -Infinity;
    for (let start = 0, r = 0; r < rows; r++, start += k) {
      const state = reduceRange(xs, start, start + k, beta);
      lse = state.m + Math.log1p(state.k - 1 + state.r);
      if (os) os[r] = lse;
    }
    return lse;
  }

  reduce(x: AnyOperand, beta: number): Reduced {
    const xs = dtypeOf(x) === "f16" ? widenHalves(typedArray(x) as HalfArray) : realArray(x as Operand);
    return reduceRange(xs, 0, xs.length, beta);
  }

  normalize(log: boolean, x0: AnyOperand, y0: AnyOperand, beta: number, c: number, shift: number): void {
    viaF32(x0, y0, (x, y) => this.#normalize(log, x, y as Operand, beta, c, shift));
  }

  #normalize(log: boolean, x: Operand, y: Operand, beta: number, c: number, shift: number): void {
    const ys = realArray(y);
    const xs = readable(realArray(x), ys);
    const n = xs.length;
    if (wide(c, beta)) {
      for (let i = 0; i < n; i++) ys[i] = log ? scaledDiff(beta, xs[i], c) - shift : Math.exp(scaledDiff(beta, xs[i], c) - shift);
    } else if (log) for (let i = 0; i < n; i++) ys[i] = (xs[i] - c) * beta - shift;
    else for (let i = 0; i < n; i++) ys[i] = Math.exp((xs[i] - c) * beta - shift);
  }
}
