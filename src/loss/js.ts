// The loss arithmetic of the pure TypeScript backend: the same two passes as
// assembly/loss.ts, in plain loops with Math.exp in f64 (see that file's header).

import { extremum, readable, roundingOf } from "../core/baseline.js";
import { type AnyOperand, type Operand, dtypeOf } from "../core/backend.js";
import { type HalfArray, widenHalves } from "../core/half.js";
import { COEFS, type LossCall, type LossCore, PLAIN, PROB, STATS, S_DOTT, S_DOTW, S_M, S_SUM, S_SUMT, S_ZY } from "./layout.js";
import { realArray, typedArray } from "../core/memory.js";
import type { RealArray } from "../core/types.js";

/** Terms summed plainly before the partial sum joins the compensated total. */
const FLUSH = 256;

function mulz(a: number, u: number): number {
  return u !== 0 ? a * u : 0;
}

/**
 * beta*(x - c) where the plain product is NaN or -Infinity for a finite x: x - c past f64's
 * range (halves), or 0*Infinity for beta = 0 (docs/core.md, Special values: the difference decides).
 */
function score(x: number, c: number, beta: number): number {
  const d = x - c;
  if (Number.isFinite(d) || !Number.isFinite(x) || !Number.isFinite(c)) return d * beta;
  return (x * 0.5 - c * 0.5) * beta * 2;
}

/**
 * Sum of exp((x_i - c)*beta) over [start, end) (compensated across blocks), each term also
 * stored to g when given.
 */
function expRange(xs: RealArray, gs: RealArray | undefined, start: number, end: number, c: number, beta: number): number {
  let total = 0;
  let lost = 0;
  for (let i = start; i < end; ) {
    const stop = Math.min(i + FLUSH, end);
    let part = 0;
    if (gs) {
      for (; i < stop; i++) {
        let a = (xs[i] - c) * beta;
        if (!(a > -Infinity)) a = score(xs[i], c, beta);
        const e = Math.exp(a);
        gs[i] = e;
        part += e;
      }
    } else {
      for (; i < stop; i++) {
        let a = (xs[i] - c) * beta;
        if (!(a > -Infinity)) a = score(xs[i], c, beta);
        part += Math.exp(a);
      }
    }
    lost += roundingOf(total, part);
    total += part;
  }
  return total + lost;
}

/**
 * Half of beta*(x - c): the dot products are kept in halves, which stay finite where x - c
 * passes f64's range (assembly/loss/loss.ts, addDots).
 */
function halfScore(x: number, c: number, beta: number): number {
  return (x * 0.5 - c * 0.5) * beta;
}

/**
 * beta*(y*(a - b)), beta last (beta*y may underflow to 0 where the rest is infinite); a - b
 * in halves where it passes f64's range for finite a and b (the product may not).
 */
function halved(a: number, b: number, beta: number, y: number): number {
  const d = a - b;
  if (Number.isFinite(d) || !Number.isFinite(a) || !Number.isFinite(b)) return beta * (y * d);
  return 2 * (beta * (y * (0.5 * a - 0.5 * b)));
}

/** a_j of a row whose m is not finite (the special-value rules of assembly/loss.ts). */
function specialScore(x: number, c: number, m: number): number {
  return m !== m ? NaN : m > 0 && x === c ? 0 : -Infinity;
}

export class JsLoss implements LossCore {
  crossEntropy(call: LossCall): Float64Array {
    const { rows, k, beta, targets, weight: w, mode, coefs, zScale, tScale } = call;
    const gs = call.grad && realArray(call.grad);
    const x = dtypeOf(call.x) === "f16" ? widenHalves(typedArray(call.x) as HalfArray) : realArray(call.x as Operand);
    const xs = gs ? readable(x, gs) : x;
    const ts = call.probs && (gs ? readable(realArray(call.probs), gs) : realArray(call.probs));
    const stats = new Float64Array(rows * STATS);
    const lowest = beta < 0;
    for (let r = 0, start = 0; r < rows; r++, start += k) {
      const at = r * STATS;
      const end = start + k;
      const y = targets ? targets[r] : -1;
      if (targets && y < 0) {
        if (gs) gs.fill(0, start, end);
        continue;
      }
      const c = extremum(xs, start, end, lowest);
      const m = beta * c;
      stats[at + S_M] = m;
      // Special only where c is not finite (assembly/loss.ts): a finite c keeps beta*(x - c).
      const special = !Number.isFinite(c) || m !== m;
      // The dot products first: in place, the exps below overwrite x.
      if (mode !== PLAIN) {
        // dotW scaled by 1/K and dotT halved, as the kernels' (stats.ts): finite at +-MAX.
        const invK = 1 / k;
        let dotW = 0;
        let dotT = 0;
        let sumT = 0;
        for (let i = start; i < end; i++) {
          // specialScore's values (0, -Infinity, NaN) are their own halves.
          const a = special ? specialScore(xs[i], c, m) : halfScore(xs[i], c, beta);
          const wj = w ? w[i - start] : 1;
          dotW += mulz(a * invK, wj);
          if (mode === PROB) {
            const u = (ts as RealArray)[i] * wj;
            dotT += mulz(a, u);
            sumT += u;
          }
        }
        stats[at + S_DOTW] = dotW;
        stats[at + S_DOTT] = dotT;
        stats[at + S_SUMT] = sumT;
      }
      let sum = 0;
      let zy = 0;
      if (special) {
        for (let i = start; i < end; i++) {
          const a = specialScore(xs[i], c, m);
          const e = Math.exp(a);
          if (gs) gs[i] = e;
          if (i === start + y) zy = a;
          else sum += e;
        }
      } else if (y < 0) {
        sum = expRange(xs, gs, start, end, c, beta);
      } else {
        // The target's term is left out of the sum (see assembly/loss.ts).
        zy = score(xs[start + y], c, beta);
        sum = expRange(xs, gs, start, start + y, c, beta) + expRange(xs, gs, start + y + 1, end, c, beta);
        if (gs) gs[start + y] = Math.exp(zy);
      }
      stats[at + S_SUM] = sum;
      stats[at + S_ZY] = zy;
      if (gs && coefs) {
        // The gradient of the row while it is in cache (assembly/loss.ts, gradRow).
        const total = sum + (y < 0 ? 0 : Math.exp(zy));
        let A0 = coefs[r * COEFS] + (ts ? tScale * stats[at + S_SUMT] : 0);
        if (zScale !== 0) A0 += zScale * (m + Math.log(total));
        // beta*(p_j*A - B_j): beta last, so that a huge beta cancels nothing beta-sized.
        const A = total === 0 ? 0 : A0 / total;
        const B = coefs[r * COEFS + 1];
        const D = coefs[r * COEFS + 2];
        const ey = y >= 0 ? gs[start + y] : 0;
        if (!Number.isFinite(A)) {
          // LSE = +Infinity with zLoss: entries of probability 0 add 0, not Infinity*0.
          for (let i = start; i < end; i++) gs[i] = (mulz(A, gs[i]) - (B + (ts ? D * ts[i] : 0)) * (w ? w[i - start] : 1)) * beta;
        } else if (ts && w) for (let i = start; i < end; i++) gs[i] = (A * gs[i] - (B + D * ts[i]) * w[i - start]) * beta;
        else if (ts) for (let i = start; i < end; i++) gs[i] = (A * gs[i] - (B + D * ts[i])) * beta;
        else if (w && B !== 0) for (let i = start; i < end; i++) gs[i] = (A * gs[i] - B * w[i - start]) * beta;
        else for (let i = start; i < end; i++) gs[i] = (A * gs[i] - B) * beta;
        if (y >= 0) {
          // p_y*A0 - F as ((A0 - F)*e_y - F*rest)/total: no cancellation where p_y rounds to 1.
          const F = coefs[r * COEFS + 3];
          const py = total === 0 ? -F : (mulz(A0 - F, ey) - F * sum) / total;
          gs[start + y] = (py - (B + (ts ? D * ts[start + y] : 0)) * (w ? w[y] : 1)) * beta;
        }
      }
    }
    return stats;
  }

  backward(log: boolean, g: AnyOperand, y: AnyOperand, out: Operand, rows: number, k: number, beta: number): void {
    const os = realArray(out);
    const wide = (a: AnyOperand) => (dtypeOf(a) === "f16" ? widenHalves(typedArray(a) as HalfArray) : readable(realArray(a as Operand), os));
    const gs = wide(g);
    const ys = wide(y);
    for (let r = 0, start = 0; r < rows; r++, start += k) {
      const end = start + k;
      let s = 0;
      if (log) {
        let inf = 0;
        for (let i = start; i < end; i++) {
          s += gs[i];
          if (!Number.isFinite(gs[i])) inf += gs[i];
        }
        // An infinite g_j makes the sum that infinity, even where finite ones passed the range.
        if (inf !== 0) s = inf;
        for (let i = start; i < end; i++) os[i] = halved(gs[i], Math.exp(ys[i]) * s, beta, 1);
      } else {
        for (let i = start; i < end; i++) s += mulz(gs[i], ys[i]);
        for (let i = start; i < end; i++) os[i] = halved(gs[i], s, beta, ys[i]);
      }
    }
  }
}
