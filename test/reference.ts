// The float64 reference the tests compare against, written from SPEC.md's definitions and
// nothing else of the library: per row, scores beta*x; NaN anywhere makes the row NaN;
// -Inf scores are masked; +Inf scores share; otherwise exp(beta*(x - c)) / sum, with the sum
// compensated (Kahan) so the reference stays exact to ~1e-16 on rows of millions.
import { expect } from "vitest";
// @ts-expect-error: plain JS, shared with every runtime the conformance checks run in
import { prng } from "./conformance/conformance.js";

export type Dtype = "f32" | "f64";

/** SPEC.md accuracy table. */
export const TOL = {
  f32: { rel: 2e-6, abs: 1e-9, log: 1e-6, rowSum: 1e-5 },
  f64: { rel: 5e-14, abs: 1e-18, log: 1e-14, rowSum: 1e-12 },
} as const;

export interface RefRow {
  p: Float64Array;
  logp: Float64Array;
  lse: number;
}

/** softmax, log-softmax and LogSumExp of one row, in float64. */
export function refRow(x: ArrayLike<number>, beta: number): RefRow {
  const n = x.length;
  const p = new Float64Array(n);
  const logp = new Float64Array(n);
  let best = -Infinity;
  let bestIndex = -1;
  let nan = false;
  for (let i = 0; i < n; i++) {
    const s = beta * x[i];
    if (Number.isNaN(s)) nan = true;
    else if (s > best || bestIndex < 0) {
      best = s;
      bestIndex = i;
    }
  }
  if (nan) return { p: p.fill(NaN), logp: logp.fill(NaN), lse: NaN };
  if (n === 0 || best === -Infinity) return { p, logp: logp.fill(-Infinity), lse: -Infinity };
  if (best === Infinity) {
    let k = 0;
    for (let i = 0; i < n; i++) if (beta * x[i] === Infinity) k++;
    for (let i = 0; i < n; i++) {
      const top = beta * x[i] === Infinity;
      p[i] = top ? 1 / k : 0;
      logp[i] = top ? -Math.log(k) : -Infinity;
    }
    return { p, logp, lse: Infinity };
  }
  const c = x[bestIndex];
  let sum = 0;
  let carry = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(beta * (x[i] - c));
    p[i] = e;
    const y = e - carry;
    const t = sum + y;
    carry = t - sum - y;
    sum = t;
  }
  const logSum = Math.log(sum);
  for (let i = 0; i < n; i++) {
    p[i] /= sum;
    logp[i] = beta * (x[i] - c) - logSum;
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

/** First index where probabilities miss the SPEC tolerance, as a message; "" if none. */
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

/** First index where log-domain values miss the SPEC tolerance; "" if none. */
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

export function expectProbabilities(y: ArrayLike<number>, r: ArrayLike<number>, dtype: Dtype): void {
  expect(probabilityMisses(y, r, dtype)).toBe("");
}

export function expectLogs(y: ArrayLike<number>, r: ArrayLike<number>, dtype: Dtype): void {
  expect(logMisses(y, r, dtype)).toBe("");
}

/** Each row of finite probabilities sums to 1 within the SPEC tolerance. */
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
