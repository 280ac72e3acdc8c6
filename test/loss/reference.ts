// The float64 reference of the loss tests, written from docs/loss.md and
// PyTorch's F.cross_entropy definition, and nothing else of the library: log-softmax of
// crossEntropyRef from test/core/reference.ts's refRow (the exact scores beta*(x_j - c), so a huge
// beta on finite logits is the arg max, not beta*x overflowing to +-Infinity), the loss
// summed term by term from its definition,
// the gradient from the closed form d(-log p_c)/dz_j = p_j - [j = c].
import { expect } from "vitest";
import { refRow } from "../core/reference.js";

export type Dtype = "f32" | "f64";

/** docs/loss.md, Accuracy: per-row values within tol*max(1, max|r|); losses within `loss` relative. */
export const LOSS_TOL = {
  f32: { grad: 2e-6, loss: 1e-5 },
  f64: { grad: 1e-13, loss: 1e-12 },
} as const;

export interface CeOptions {
  rowLength?: number;
  ignoreIndex?: number;
  reduction?: "mean" | "sum" | "none";
  labelSmoothing?: number;
  weight?: number[];
  zLoss?: number;
  beta?: number;
  temperature?: number;
}

/**
 * log-softmax and softmax of the scores z of one row: +Infinity scores share the probability,
 * -Infinity ones get 0. The sum is 1 + the terms of the other entries, so that log1p keeps
 * the log-probability of the largest entry to full relative accuracy (SciPy's logsumexp).
 */
export function logSoftmaxRef(z: number[]): { logp: number[]; p: number[]; lse: number } {
  if (z.some((v) => Number.isNaN(v))) return { logp: z.map(() => NaN), p: z.map(() => NaN), lse: NaN };
  let top = -Infinity;
  let topIndex = -1;
  for (let i = 0; i < z.length; i++) {
    if (z[i] > top) {
      top = z[i];
      topIndex = i;
    }
  }
  if (top === -Infinity) return { logp: z.map(() => -Infinity), p: z.map(() => 0), lse: -Infinity };
  if (top === Infinity) {
    const shared = z.filter((v) => v === Infinity).length;
    const logp = z.map((v) => (v === Infinity ? -Math.log(shared) : -Infinity));
    return { logp, p: logp.map(Math.exp), lse: Infinity };
  }
  let rest = 0;
  for (let i = 0; i < z.length; i++) if (i !== topIndex) rest += Math.exp(z[i] - top);
  const logSum = Math.log1p(rest);
  const logp = z.map((v) => v - top - logSum);
  return { logp, p: logp.map(Math.exp), lse: top + logSum };
}

export interface CeRef {
  /** Per-row losses (0 for ignored rows). */
  rows: number[];
  /** The reduced loss. */
  loss: number;
  /** Gradient of the reduced loss (of the sum for "none") with respect to the logits. */
  grad: number[];
}

/** PyTorch F.cross_entropy (plus zLoss and beta), in float64, with its gradient. */
export function crossEntropyRef(x: ArrayLike<number>, target: ArrayLike<number>, opts: CeOptions = {}): CeRef {
  const n = x.length;
  const k = opts.rowLength ?? n;
  const rows = k === 0 ? 0 : n / k;
  const beta = opts.beta ?? (opts.temperature !== undefined ? 1 / opts.temperature : 1);
  const eps = opts.labelSmoothing ?? 0;
  const lambda = opts.zLoss ?? 0;
  const ignore = opts.ignoreIndex ?? -100;
  const w = opts.weight ?? new Array(k).fill(1);
  const reduction = opts.reduction ?? "mean";
  const byIndex = target.length === rows && !(target instanceof Float32Array || target instanceof Float64Array);
  const perRow: number[] = [];
  const gradZ: number[][] = []; // d(row loss)/dz, unscaled by the reduction
  const zGrad: number[][] = [];
  const counted: boolean[] = [];
  let weightSum = 0;
  let countedRows = 0;
  const ceParts: number[] = [];
  const zParts: number[] = [];
  for (let r = 0; r < rows; r++) {
    // The scores beta*(x_j - c) of the special-value rules (test/core/reference.ts): beta*x alone may
    // overflow where the difference decides (a huge beta gives the arg max).
    const row = refRow(Array.prototype.slice.call(x, r * k, (r + 1) * k) as number[], beta);
    const { lse } = row;
    const logp = Array.from(row.logp);
    const p = Array.from(row.p);
    // The target distribution q (index: one-hot weighted by w_y; probabilities: w * t').
    const q = new Array(k).fill(0);
    let use = true;
    if (byIndex) {
      const y = target[r];
      if (y === ignore) use = false;
      else {
        for (let j = 0; j < k; j++) q[j] = (eps / k) * w[j];
        q[y] += (1 - eps) * w[y];
        weightSum += w[y];
      }
    } else {
      for (let j = 0; j < k; j++) q[j] = w[j] * ((1 - eps) * target[r * k + j] + eps / k);
    }
    counted.push(use);
    if (!use) {
      perRow.push(0);
      ceParts.push(0);
      zParts.push(0);
      gradZ.push(new Array(k).fill(0));
      zGrad.push(new Array(k).fill(0));
      continue;
    }
    countedRows++;
    let ce = 0;
    let qSum = 0;
    for (let j = 0; j < k; j++) {
      // q_j*(-log p_j) with the smoothing share as eps*w_j*(-log p_j)/K: eps/K alone may
      // underflow (a subnormal eps) where the term does not.
      const own = byIndex ? (j === target[r] ? (1 - eps) * w[j] : 0) : w[j] * (1 - eps) * target[r * k + j];
      if (own !== 0) ce -= own * logp[j];
      if (eps !== 0 && w[j] !== 0) ce -= (eps * w[j] * logp[j]) / k;
      qSum += q[j];
    }
    // -log p_j = log-sum + beta*(c - x_j) passes f64's range for logits near +-MAX (log p_j
    // is -Infinity then) while q_j*(-log p_j) may not: the sum again in halves.
    if (ce === Infinity && Number.isFinite(lse)) ce = 2 * halfLoss(Array.prototype.slice.call(x, r * k, (r + 1) * k) as number[], beta, q, logp, lse);
    const zl = lambda > 0 ? lambda * lse * lse : 0;
    perRow.push(ce + zl);
    ceParts.push(ce);
    zParts.push(zl);
    // p_j*qSum - q_j as p_j*(qSum - q_j) - q_j*(1 - p_j), 1 - p_j summed from the other
    // entries where p_j > 1/2: p_j rounding to 1 must not cancel a beta-sized gradient.
    gradZ.push(
      p.map((pj, j) => {
        if (!(pj > 0.5) || !Number.isFinite(lse)) return pj * qSum - q[j];
        let others = 0;
        for (let i = 0; i < k; i++) if (i !== j) others += p[i];
        return pj * (qSum - q[j]) - q[j] * others;
      }),
    );
    // lambda*LSE*p_j, the factor 2 joins the reduction's below (2*LSE alone may overflow).
    zGrad.push(p.map((pj) => (lambda > 0 && pj !== 0 ? lambda * lse * pj : 0)));
  }
  const mean = reduction === "mean";
  const ceScale = mean ? 1 / (byIndex ? weightSum : rows) : 1;
  const zScale = mean ? 1 / (byIndex ? countedRows : rows) : 1;
  let loss: number;
  if (mean) {
    let ceSum = ceParts.reduce((a, b) => a + b, 0) * ceScale;
    // Rows near f64's limit may sum past it where their mean does not.
    if (ceSum === Infinity) ceSum = ceParts.reduce((a, b) => a + b * ceScale, 0);
    loss = ceSum + zParts.reduce((a, b) => a + b, 0) * zScale;
    if (rows === 0 || countedRows === 0) loss = NaN;
  } else loss = perRow.reduce((a, b) => a + b, 0);
  const grad: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) grad.push(counted[r] ? beta * (gradZ[r][j] * ceScale + zGrad[r][j] * (2 * zScale)) : 0);
  }
  return { rows: perRow, loss, grad };
}

/**
 * Half of sum_j q_j*(-log p_j) of one row, where -log p_j = log-sum + beta*(c - x_j) is
 * taken in halves (0.5*c - 0.5*x_j stays finite for any finite logits).
 */
function halfLoss(x: number[], beta: number, q: number[], logp: number[], lse: number): number {
  let c = beta < 0 ? Infinity : -Infinity;
  for (const v of x) if (beta < 0 ? v < c : v > c) c = v;
  const logSum = lse - beta * c;
  let half = 0;
  for (let j = 0; j < x.length; j++) {
    if (q[j] === 0) continue;
    const nlp = Number.isFinite(logp[j]) ? -0.5 * logp[j] : 0.5 * logSum + beta * (0.5 * c - 0.5 * x[j]);
    half += q[j] * nlp;
  }
  return half;
}

/** Central finite differences of f at x (float64), step h. */
export function numericGradient(f: (x: Float64Array) => number, x: Float64Array, h = 1e-5): number[] {
  const g: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    x[i] = v + h;
    const up = f(x);
    x[i] = v - h;
    const down = f(x);
    x[i] = v;
    g.push((up - down) / (2 * h));
  }
  return g;
}

/** |y - r| <= tol * max(1, max|r| of the row) for every entry, row by row (NaN only where r is). */
export function expectRowsClose(y: ArrayLike<number>, r: ArrayLike<number>, k: number, tol: number, what = ""): void {
  expect(y.length, what).toBe(r.length);
  for (let start = 0; start < r.length; start += Math.max(k, 1)) {
    let scale = 1;
    for (let j = start; j < start + k; j++) if (Number.isFinite(r[j])) scale = Math.max(scale, Math.abs(r[j]));
    for (let j = start; j < start + k; j++) {
      if (Number.isNaN(r[j]) || !Number.isFinite(r[j])) {
        expect(y[j], `${what} [${j}]`).toBe(r[j]);
        continue;
      }
      const err = Math.abs(y[j] - r[j]);
      if (!(err <= tol * scale)) expect.fail(`${what} [${j}]: ${y[j]} vs ${r[j]} (error ${err}, allowed ${tol * scale})`);
    }
  }
}

/** |y - r| <= tol*|r| (exact match for non-finite r). */
export function expectRel(y: number, r: number, tol: number, what = ""): void {
  if (!Number.isFinite(r)) {
    expect(y, what).toBe(r);
    return;
  }
  const err = Math.abs(y - r);
  if (!(err <= tol * Math.abs(r))) expect.fail(`${what}: ${y} vs ${r} (relative error ${err / Math.abs(r)}, allowed ${tol})`);
}
