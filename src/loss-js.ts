// The loss arithmetic of the pure TypeScript backend: the same two passes as
// assembly/loss.ts, in plain loops with Math.exp in f64 (see that file's header).

import { extremum, readable } from "./baseline.js";
import type { Operand } from "./core.js";
import { COEFS, type LossCall, type LossCore, PLAIN, PROB, SMOOTH, STATS, S_DOTT, S_DOTW, S_M, S_SUM, S_SUMT, S_ZY } from "./loss-core.js";
import { realArray } from "./memory.js";
import type { RealArray } from "./types.js";

/** Terms summed plainly before the partial sum joins the compensated total. */
const FLUSH = 256;

function mulz(a: number, u: number): number {
  return u !== 0 ? a * u : 0;
}

export class JsLoss implements LossCore {
  crossEntropy(call: LossCall, between: (stats: Float64Array) => Float64Array | undefined): void {
    const { rows, k, beta, targets, weight: w, mode } = call;
    const gs = call.grad && realArray(call.grad);
    const xs = gs ? readable(realArray(call.x), gs) : realArray(call.x);
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
      const special = !Number.isFinite(m);
      let total = 0;
      let lost = 0;
      let dotW = 0;
      let dotT = 0;
      let sumT = 0;
      let zy = 0;
      const target = y < 0 ? -1 : start + y;
      for (let i = start; i < end; ) {
        const stop = Math.min(i + FLUSH, end);
        let part = 0;
        for (; i < stop; i++) {
          // The special-value rules of a row whose m is not finite (assembly/loss.ts).
          const a = special ? (m !== m ? NaN : m > 0 && xs[i] === c ? 0 : -Infinity) : (xs[i] - c) * beta;
          const e = Math.exp(a);
          if (gs) gs[i] = e;
          if (i === target) zy = a;
          else part += e;
          if (mode !== PLAIN) {
            const wj = w ? w[i - start] : 1;
            dotW += mulz(a, wj);
            if (mode === PROB) {
              const u = (ts as RealArray)[i] * wj;
              dotT += mulz(a, u);
              sumT += u;
            }
          }
        }
        const t = total + part;
        lost += Math.abs(total) >= Math.abs(part) ? total - t + part : part - t + total;
        total = t;
      }
      stats[at + S_SUM] = total + lost;
      stats[at + S_ZY] = zy;
      if (mode === SMOOTH || mode === PROB) stats[at + S_DOTW] = dotW;
      stats[at + S_DOTT] = dotT;
      stats[at + S_SUMT] = sumT;
    }
    const coefs = between(stats);
    if (!gs || !coefs) return;
    for (let r = 0, start = 0; r < rows; r++, start += k) {
      const c = r * COEFS;
      const A = coefs[c];
      const B = coefs[c + 1];
      const D = coefs[c + 2];
      for (let j = 0; j < k; j++) {
        const i = start + j;
        let u = ts ? B + D * ts[i] : B;
        if (w) u *= w[j];
        gs[i] = A * gs[i] - u;
      }
      const y = targets ? targets[r] : -1;
      if (y >= 0) gs[start + y] -= coefs[c + 3];
    }
  }

  backward(log: boolean, g: Operand, y: Operand, out: Operand, rows: number, k: number, beta: number): void {
    const os = realArray(out);
    const gs = readable(realArray(g), os);
    const ys = readable(realArray(y), os);
    for (let r = 0, start = 0; r < rows; r++, start += k) {
      const end = start + k;
      let s = 0;
      if (log) {
        for (let i = start; i < end; i++) s += gs[i];
        for (let i = start; i < end; i++) os[i] = beta * (gs[i] - Math.exp(ys[i]) * s);
      } else {
        for (let i = start; i < end; i++) s += mulz(gs[i], ys[i]);
        for (let i = start; i < end; i++) os[i] = beta * ys[i] * (gs[i] - s);
      }
    }
  }
}
