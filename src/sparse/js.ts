// The sparse arithmetic of the pure TypeScript backend: the search of assembly/sparse/sparse.ts
// (see its header) in plain loops in f64 with Math.pow, without its samples (the candidates are
// the scores above -1) and with Newton's steps only.

import { extremum, readable } from "../core/baseline.js";
import type { Operand } from "../core/backend.js";
import type { SparseCore } from "./backend.js";
import { realArray } from "../core/memory.js";
import { scaledDiff } from "../core/online.js";
import type { RealArray } from "../core/types.js";

/** Passes over the candidates at most (bisection alone halves the bracket 100 times). */
const MAX_PASSES = 100;
/** Below this Newton step the next estimate is within about its square of the root. */
const TOLERANCE = 2.8e-14;

/** A row whose scaled extremum m = beta*c is not finite: NaN, all masked, or +Inf scores sharing. */
export function specialRow(x: RealArray, y: RealArray, start: number, end: number, c: number, m: number): void {
  if (m !== m) {
    y.fill(NaN, start, end);
    return;
  }
  let count = 0;
  if (m > 0) for (let i = start; i < end; i++) if (x[i] === c) count++;
  const share = m > 0 ? 1 / count : 0;
  for (let i = start; i < end; i++) y[i] = x[i] === c ? share : 0;
}

/** The threshold tau of the candidate scores w[0..m) for alpha (assembly/sparse/sparse.ts, solve). */
function thresholdOf(w: Float64Array, m: number, alpha: number): number {
  const kappa = 1 / (alpha - 1);
  const sparsemax = alpha === 2;
  const quadratic = alpha === 1.5;
  const general = !sparsemax && !quadratic;
  let lo = -1;
  let hi = -Math.pow(m, 1 - alpha);
  let tau = -1;
  let refined = false;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let n = 0;
    let s1 = 0;
    let s2 = 0;
    let sg = 0;
    let low = Infinity;
    for (let i = 0; i < m; i++) {
      const X = w[i];
      const t = X - tau;
      if (!(t > 0)) continue;
      n++;
      if (X < low) low = X;
      if (general) {
        const p = Math.pow(t, kappa);
        s2 += p;
        sg += p / t;
      } else {
        s1 += t;
        s2 += t * t;
      }
    }
    if (!general) {
      // The exact threshold of the support {X > tau}, as a shift d from tau.
      const d = sparsemax ? (s1 - 1) / n : (s2 - 1) / (s1 + Math.sqrt(Math.max(s1 * s1 - n * (s2 - 1), 0)));
      if (tau + d <= low) {
        // Exact for this support; one more pass from there refines the sums (assembly/sparse/sparse.ts, solve).
        if (refined) return tau + d;
        refined = true;
        tau += d;
        continue;
      }
    }
    const f = sparsemax ? s1 : s2;
    if (f >= 1) {
      lo = tau;
      // Dense rows shrink their support over many passes: the later ones read only what is left.
      if (n <= m >> 1) {
        let kept = 0;
        for (let i = 0; i < m; i++) if (w[i] > tau) w[kept++] = w[i];
        m = kept;
      }
    } else hi = tau;
    let next: number;
    if (sparsemax) next = tau + (s1 - 1) / n;
    else if (quadratic) next = tau + (s2 - Math.sqrt(s2)) / s1;
    else next = tau + (f - f / Math.pow(f, alpha - 1)) / sg;
    // A small step is a converged one, for kappa < 1 only where the sum is 1 (assembly/sparse/sparse.ts, solve).
    const small = general ? Math.abs(next - tau) <= TOLERANCE : next === tau;
    if (small && (kappa >= 1 || Math.abs(f - 1) <= TOLERANCE)) return general ? next : tau;
    const newton = !small && next > lo && next < hi;
    if (!newton) next = 0.5 * (lo + hi);
    if (next === tau || (general && kappa >= 1 && hi - lo <= TOLERANCE)) return next;
    tau = next;
  }
  return tau;
}

export class JsSparse implements SparseCore {
  #work = new Float64Array(0);

  entmax(x: Operand, y: Operand, rows: number, k: number, beta: number, alpha: number): void {
    const ys = realArray(y);
    const xs = readable(realArray(x), ys);
    if (this.#work.length < k) this.#work = new Float64Array(k);
    const w = this.#work;
    const scale = alpha - 1;
    const a = scale * beta;
    const kappa = 1 / scale;
    for (let r = 0, start = 0; r < rows; r++, start += k) {
      const end = start + k;
      const c = extremum(xs, start, end, beta < 0);
      const m = beta * c;
      if (!Number.isFinite(c) || m !== m) {
        specialRow(xs, ys, start, end, c, m);
        continue;
      }
      // The scores X_i = a*(x_i - c), with x - c past f64's range halved (scaledDiff).
      let count = 0;
      let nan = false;
      for (let i = start; i < end; i++) {
        let X = (xs[i] - c) * a;
        if (!(X > -Infinity)) {
          X = scaledDiff(beta, xs[i], c) * scale;
          nan ||= X !== X;
        }
        if (X > -1) w[count++] = X;
      }
      if (nan) {
        ys.fill(NaN, start, end);
        continue;
      }
      const tau = thresholdOf(w, count, alpha);
      for (let i = start; i < end; i++) {
        let X = (xs[i] - c) * a;
        if (!(X > -Infinity)) X = scaledDiff(beta, xs[i], c) * scale;
        const t = X - tau;
        ys[i] = t > 0 ? (alpha === 2 ? t : alpha === 1.5 ? t * t : Math.pow(t, kappa)) : 0;
      }
    }
  }

  backward(g: Operand, y: Operand, out: Operand, rows: number, k: number, beta: number, alpha: number): void {
    const os = realArray(out);
    const gs = readable(realArray(g), os);
    const ys = readable(realArray(y), os);
    const q = 2 - alpha;
    const weight = (v: number) => (!(v > 0) ? 0 : alpha === 2 ? 1 : alpha === 1.5 ? Math.sqrt(v) : Math.pow(v, q));
    for (let r = 0, start = 0; r < rows; r++, start += k) {
      const end = start + k;
      let sg = 0;
      let ss = 0;
      for (let i = start; i < end; i++) {
        const s = weight(ys[i]);
        if (s !== 0) sg += s * gs[i];
        ss += s;
      }
      const mean = ss > 0 ? sg / ss : 0;
      for (let i = start; i < end; i++) {
        const s = weight(ys[i]);
        os[i] = s !== 0 ? s * ((gs[i] - mean) * beta) : 0;
      }
    }
  }
}
