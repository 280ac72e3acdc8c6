// The float64 reference the tests compare against, written from the definitions of docs/core.md and
// nothing else of the library: per row, scores beta*x; NaN anywhere makes the row NaN;
// -Inf scores are masked; +Inf scores share; otherwise exp(beta*(x - c)) / sum, with the sum
// compensated (Kahan) so the reference stays exact to ~1e-16 on rows of millions.
import { expect } from "vitest";
// @ts-expect-error: plain JS, shared with every runtime the conformance checks run in
import { prng } from "../conformance/conformance.js";

export type Dtype = "f32" | "f64";

/** The accuracy table of docs/core.md. */
export const TOL = {
  f32: { rel: 2e-6, abs: 1e-9, log: 1e-6, rowSum: 1e-5 },
  f64: { rel: 5e-14, abs: 1e-18, log: 1e-14, rowSum: 1e-12 },
} as const;

export interface RefRow {
  p: Float64Array;
  logp: Float64Array;
  lse: number;
}

/** hi + lo = a*b exactly (Veltkamp split), when neither a nor b nor a*b is near the f64 limits. */
function twoProduct(a: number, b: number): [number, number] {
  const p = a * b;
  if (!Number.isFinite(p) || Math.abs(a) > 1e150 || Math.abs(b) > 1e150 || Math.abs(p) < 1e-290) return [p, 0];
  const split = (v: number): [number, number] => {
    const t = 134217729 * v;
    const h = t - (t - v);
    return [h, v - h];
  };
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

/** beta*(x - c) as hi + lo, to about 2^-100 relative: the exact exponent of a term. */
export function scaledDifference(beta: number, x: number, c: number): [number, number] {
  if (x === c) return [0, 0];
  if (x === -Infinity || x === Infinity) return [beta * (x - c), 0];
  // On halves where x - c or TwoSum's intermediates could pass f64's range.
  const h = Math.abs(x) >= 2 ** 1000 || Math.abs(c) >= 2 ** 1000 ? 0.5 : 1;
  const b = beta / h;
  if (!Number.isFinite(b)) return [beta * (x * h - c * h) / h, 0];
  const d = x * h - c * h;
  const v = d - x * h; // TwoSum: d + e = x*h - c*h exactly
  const e = x * h - (d - v) + (-c * h - v);
  const [hi, lo] = twoProduct(b, d);
  if (!Number.isFinite(hi)) return [hi, 0];
  return [hi, lo + b * e];
}

/**
 * softmax, log-softmax and LogSumExp of one row, in float64 from the rules of docs/core.md: NaN anywhere
 * makes the row NaN; beta = 0 gives uniform on a finite row (NaN with an infinite entry);
 * c = max (min for beta < 0); an infinite c decides (+Infinity scores share, all -Infinity
 * masked); else the exact exponent beta*(x - c) of each entry (finite values whose beta*x
 * overflows included), LSE = beta*c + log1p(sum of the non-maximal terms).
 */
export function refRow(x: ArrayLike<number>, beta: number): RefRow {
  const n = x.length;
  const p = new Float64Array(n);
  const logp = new Float64Array(n);
  let c = beta < 0 ? Infinity : -Infinity;
  let nan = false;
  let infinite = false;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (Number.isNaN(v)) nan = true;
    if (v === Infinity || v === -Infinity) infinite = true;
    if (beta < 0 ? v < c : v > c) c = v;
  }
  if (nan || (beta === 0 && infinite)) return { p: p.fill(NaN), logp: logp.fill(NaN), lse: n === 0 ? -Infinity : NaN };
  if (n === 0) return { p, logp, lse: -Infinity };
  if (beta === 0) return { p: p.fill(1 / n), logp: logp.fill(-Math.log(n)), lse: Math.log(n) };
  if (beta * c === -Infinity && !Number.isFinite(c)) return { p, logp: logp.fill(-Infinity), lse: -Infinity };
  if (!Number.isFinite(c)) {
    let k = 0;
    for (let i = 0; i < n; i++) if (x[i] === c) k++;
    for (let i = 0; i < n; i++) {
      p[i] = x[i] === c ? 1 / k : 0;
      logp[i] = x[i] === c ? -Math.log(k) : -Infinity;
    }
    return { p, logp, lse: Infinity };
  }
  const hi = new Float64Array(n);
  const lo = new Float64Array(n);
  let k = 0;
  let rest = 0; // Neumaier sum of the terms of the entries below the max
  let lost = 0;
  for (let i = 0; i < n; i++) {
    const [h, l] = scaledDifference(beta, x[i], c);
    hi[i] = h;
    lo[i] = l;
    if (x[i] === c) {
      k++;
      continue;
    }
    const e = Math.exp(h) * (1 + l);
    const t = rest + e;
    lost += Math.abs(rest) >= e ? rest - t + e : e - t + rest;
    rest = t;
  }
  rest += lost;
  const sum = k + rest;
  const logSum = Math.log1p(k - 1 + rest);
  for (let i = 0; i < n; i++) {
    p[i] = x[i] === c ? 1 / sum : (Math.exp(hi[i]) * (1 + lo[i])) / sum;
    logp[i] = hi[i] - logSum + lo[i];
  }
  return { p, logp, lse: beta * c + logSum };
}

/** Reference of a row-major batch. */
export function refRows(x: ArrayLike<number>, beta: number, k: number): { p: Float64Array; logp: Float64Array; lse: Float64Array } {
  const rows = k === 0 ? 0 : x.length / k;
  const p = new Float64Array(x.length);
  const logp = new Float64Array(x.length);
  const lse = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const row = refRow(Array.prototype.slice.call(x, r * k, (r + 1) * k) as number[], beta);
    p.set(row.p, r * k);
    logp.set(row.logp, r * k);
    lse[r] = row.lse;
  }
  return { p, logp, lse };
}

function same(y: number, r: number): boolean {
  return Object.is(y, r) || (Number.isNaN(y) && Number.isNaN(r)) || y === r;
}

/** First index where probabilities miss the promised tolerance, as a message; "" if none. */
export function probabilityMisses(y: ArrayLike<number>, r: ArrayLike<number>, dtype: Dtype): string {
  const { rel, abs } = TOL[dtype];
  if (y.length !== r.length) return `length ${y.length} != ${r.length}`;
  for (let i = 0; i < r.length; i++) {
    if (Number.isNaN(r[i]) || !Number.isFinite(r[i])) {
      if (!same(y[i], r[i])) return `[${i}] ${y[i]} != ${r[i]}`;
    } else if (!(Math.abs(y[i] - r[i]) <= rel * r[i] + abs)) {
      return `[${i}] ${y[i]} vs ${r[i]}: error ${Math.abs(y[i] - r[i])} > ${rel * r[i] + abs}`;
    }
  }
  return "";
}

/** First index where log-domain values miss the promised tolerance; "" if none. */
export function logMisses(y: ArrayLike<number>, r: ArrayLike<number>, dtype: Dtype): string {
  const tol = TOL[dtype].log;
  if (y.length !== r.length) return `length ${y.length} != ${r.length}`;
  for (let i = 0; i < r.length; i++) {
    if (!Number.isFinite(r[i])) {
      if (!same(y[i], r[i])) return `[${i}] ${y[i]} != ${r[i]}`;
    } else if (!(Math.abs(y[i] - r[i]) <= tol * (1 + Math.abs(r[i])))) {
      return `[${i}] ${y[i]} vs ${r[i]}: error ${Math.abs(y[i] - r[i])} > ${tol * (1 + Math.abs(r[i]))}`;
    }
  }
  return "";
}

/** Largest finite value of a dtype. */
export const DTYPE_MAX = { f32: 3.4028234663852886e38, f64: Number.MAX_VALUE } as const;

/** The special values the fuzz suites place in runs; "far" only where the suite gives a generator for it. */
export type RunKind = "-inf" | "+inf" | "nan" | "max" | "-max" | "tie" | "tiny" | "zero" | "far";

/**
 * Overwrites row[start..end) with a run of `kind`: infinities, NaN, values at the dtype's
 * limits, ties of the row's max, subnormals, zeros, or `far()` values. Draws from `next` as
 * every suite always has (each element evaluates every entry), so fixed seeds keep their cases.
 */
export function fillRun(
  row: Float32Array | Float64Array,
  start: number,
  end: number,
  kind: RunKind,
  dtype: Dtype,
  next: () => number,
  far?: () => number,
): void {
  const max = DTYPE_MAX[dtype];
  let top = -Infinity;
  for (const v of row) if (v > top) top = v;
  for (let i = start; i < end; i++) {
    row[i] = {
      "-inf": -Infinity,
      "+inf": Infinity,
      nan: NaN,
      max: max * (1 - next() * 1e-3),
      "-max": -max * (1 - next() * 1e-3),
      tie: top,
      tiny: (next() < 0.5 ? -1 : 1) * (dtype === "f32" ? 1.4e-45 : 5e-324) * Math.floor(next() * 8),
      zero: 0,
      far: far?.() ?? NaN,
    }[kind];
  }
}
/** Smallest normal value of a dtype: below it results carry a subnormal's absolute error. */
const DTYPE_TINY = { f32: 1.1754943508222875e-38, f64: 2.2250738585072014e-308 } as const;

/**
 * First index where log-probabilities miss the promised relative bound (1e-6*|r| f32, 1e-14*|r|
 * f64, for every finite entry); "" if none. `slack` allows for exps that the dtype flushes
 * (the row length times the smallest normal number); f32 references beyond f32's range must
 * come out at -Infinity (or the largest f32 magnitude).
 */
export function logRelativeMisses(y: ArrayLike<number>, r: ArrayLike<number>, dtype: Dtype, slack = DTYPE_TINY[dtype] * r.length): string {
  const tol = TOL[dtype].log;
  if (y.length !== r.length) return `length ${y.length} != ${r.length}`;
  for (let i = 0; i < r.length; i++) {
    if (!Number.isFinite(r[i])) {
      if (!same(y[i], r[i])) return `[${i}] ${y[i]} != ${r[i]}`;
    } else if (Math.abs(r[i]) > DTYPE_MAX[dtype] * (1 - 2 ** -25)) {
      if (!(Math.sign(y[i]) === Math.sign(r[i]) && Math.abs(y[i]) >= DTYPE_MAX[dtype] * (1 - 2 ** -23))) return `[${i}] ${y[i]} vs ${r[i]} (beyond ${dtype})`;
    } else if (!(Math.abs(y[i] - r[i]) <= tol * Math.abs(r[i]) + slack)) {
      return `[${i}] ${y[i]} vs ${r[i]}: error ${Math.abs(y[i] - r[i])} > ${tol * Math.abs(r[i]) + slack}`;
    }
  }
  return "";
}

export function expectLogsRelative(y: ArrayLike<number>, r: ArrayLike<number>, dtype: Dtype): void {
  expect(logRelativeMisses(y, r, dtype)).toBe("");
}

export function expectProbabilities(y: ArrayLike<number>, r: ArrayLike<number>, dtype: Dtype): void {
  expect(probabilityMisses(y, r, dtype)).toBe("");
}

export function expectLogs(y: ArrayLike<number>, r: ArrayLike<number>, dtype: Dtype): void {
  expect(logMisses(y, r, dtype)).toBe("");
}

/** Each row of finite probabilities sums to 1 within the promised tolerance. */
export function expectRowSums(y: ArrayLike<number>, k: number, dtype: Dtype): void {
  for (let start = 0; start < y.length; start += k) {
    // Neumaier-compensated: a plain f64 sum of 2^24 terms is itself off by ~1e-12.
    let s = 0;
    let lost = 0;
    let finite = true;
    for (let i = start; i < start + k; i++) {
      const v = y[i];
      const t = s + v;
      lost += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
      s = t;
      finite &&= Number.isFinite(v);
    }
    s += lost;
    if (finite && s !== 0) expect(Math.abs(s - 1), `row at ${start} sums to ${s}`).toBeLessThanOrEqual(TOL[dtype].rowSum);
  }
}

/** Deterministic uniform numbers in [0, 1) (mulberry32, the generator the runtime checks use). */
export const random: (seed: number) => () => number = prng;

/** n values offset + uniform(-spread, spread) in the given dtype. */
export function data(dtype: Dtype, n: number, spread: number, offset = 0, seed = n + 1): Float32Array | Float64Array {
  const next = random(seed);
  const a = dtype === "f32" ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = offset + spread * (2 * next() - 1);
  return a;
}
