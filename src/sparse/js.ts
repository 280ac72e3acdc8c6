// The sparse arithmetic of the pure TypeScript backend: the search of assembly/sparse/sparse.ts
// (see its header) in plain loops in f64 with Math.pow: the row's samples (the maxima of each
// SAMPLE values, then of those, to at most TOP_SAMPLE), each level's threshold less a margin the
// floor of the next, candidates from the blocks whose sample is above the floor, Newton's steps
// (Halley's for other alphas).

import { extremum, readable, roundingOf } from "../core/baseline.js";
import type { Operand } from "../core/backend.js";
import type { SparseCore } from "./backend.js";
import { realArray } from "../core/memory.js";
import { scaledDiff } from "../core/online.js";
import type { RealArray } from "../core/types.js";

/** Passes over the candidates at most (bisection alone halves the bracket 100 times). */
const MAX_PASSES = 100;
/** Below this Newton step the next estimate is within about its square of the root. */
const TOLERANCE = 2.8e-14;
/** The part of the row's sum that a search at other alphas may leave (1% of the contract's 1e-12). */
const SUM_LEFT = 1e-14;
/** Values per block of a sample: each level of samples is the maxima of SAMPLE values of the one below. */
const SAMPLE = 16;
/** The samples of the sample are taken until one has at most this many values. */
const TOP_SAMPLE = 256;
/** Below a sample's threshold: its rounding stays above the floor (2^-36). */
const MARGIN = 1.4551915228366852e-11;
/**
 * The largest |d|*max(kappa, 1) for which the output takes a term of the search's last pass
 * times the series of (1 - d)^kappa to d^4 instead of a power (2^-9, as
 * assembly/sparse/sparse.ts's TERMS_STEP_F64: the first term left out is below 2^-45/120 of p).
 */
const TERMS_STEP = 0.001953125;

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

/** A threshold found: tau, its part below f64 (the exact alphas; else 0), the candidates left, the tau of `terms`. */
type Threshold = { tau: number; low: number; count: number; termsAt: number };

/**
 * The threshold tau of the candidate scores w[0..m) for alpha, searched from `start` (a lower
 * bound, or -1; assembly/sparse/sparse.ts, solve). As the support shrinks, the candidates are
 * compacted in w and their positions alongside in `at` (when given): `count` of them are left.
 * Other alphas leave in `terms` each candidate's [X - tau0]_+^kappa of the last pass, tau0 =
 * `termsAt` (see the output in entmax; always an array, the samples' searches' too, so that
 * the loop's stores see one type).
 */
function thresholdOf(
  w: Float64Array,
  m: number,
  alpha: number,
  start: number,
  at: Int32Array | undefined,
  terms: Float64Array,
): Threshold {
  const kappa = 1 / (alpha - 1);
  const sparsemax = alpha === 2;
  const quadratic = alpha === 1.5;
  const general = !sparsemax && !quadratic;
  let lo = -1;
  let hi = -Math.pow(m, 1 - alpha);
  let tau = start;
  let refined = false;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let n = 0;
    let s1 = 0;
    let s2 = 0;
    let sg = 0;
    let sh = 0;
    // What s1's and s2's additions dropped (Neumaier): their sums set the exact threshold's last
    // shift, and n terms near 1/n summed plainly lost up to n units of the sum's last place.
    let lost1 = 0;
    let lost2 = 0;
    let low = Infinity;
    for (let i = 0; i < m; i++) {
      const X = w[i];
      const t = X - tau;
      if (!(t > 0)) {
        if (general) terms[i] = 0;
        continue;
      }
      n++;
      if (X < low) low = X;
      if (general) {
        const p = Math.pow(t, kappa);
        terms[i] = p;
        const g = p / t;
        s2 += p;
        sg += g;
        sh += g / t;
      } else {
        lost1 += roundingOf(s1, t);
        s1 += t;
        lost2 += roundingOf(s2, t * t);
        s2 += t * t;
      }
    }
    s1 += lost1;
    s2 += lost2;
    if (!general) {
      // The exact threshold of the support {X > tau}, as a shift d from tau.
      const d = sparsemax ? (s1 - 1) / n : (s2 - 1) / (s1 + Math.sqrt(Math.max(s1 * s1 - n * (s2 - 1), 0)));
      if (tau + d <= low) {
        // Exact for this support; one more pass from there refines the sums (assembly/sparse/sparse.ts, solve).
        if (refined) {
          // tau + d and what its rounding drops, which the output subtracts too: each of the
          // support's n entries missed by it, n times it in the row's sum.
          return { tau: tau + d, low: roundingOf(tau, d), count: m, termsAt: NaN };
        }
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
        for (let i = 0; i < m; i++) {
          if (!(w[i] > tau)) continue;
          if (at) at[kept] = at[i];
          terms[kept] = terms[i];
          w[kept++] = w[i];
        }
        m = kept;
      }
    } else hi = tau;
    let next: number;
    // Other alphas: Halley's step for kappa >= 1 and the error it leaves of the row's sum
    // (assembly/sparse/sparse.ts, solve: f' = -kappa*sg, f'' = kappa(kappa - 1)*sh).
    let left = Infinity;
    if (sparsemax) next = tau + (s1 - 1) / n;
    else if (quadratic) next = tau + (s2 - Math.sqrt(s2)) / s1;
    else {
      const d1 = -kappa * sg;
      const curve = ((1 / kappa - 1) * d1) / f + (kappa * (kappa - 1) * sh) / d1;
      let step = (f - f / Math.pow(f, alpha - 1)) / sg;
      const halley = 1 + 0.5 * step * curve;
      if (kappa >= 1 && halley >= 0.5) step /= halley;
      next = tau + step;
      left = Math.abs(0.5 * curve * step * step * d1);
    }
    // A small step is a converged one, for kappa < 1 only where the sum is 1; other alphas also
    // take a step that no entry of the support crosses and that leaves less than SUM_LEFT of the
    // sum (assembly/sparse/sparse.ts, solve).
    const settled = next > lo && next < hi && next + Math.abs(next - tau) < low && left <= SUM_LEFT;
    const small = general ? Math.abs(next - tau) <= TOLERANCE || (kappa >= 1 && settled) : next === tau;
    if (small && (kappa >= 1 || Math.abs(f - 1) <= TOLERANCE)) return { tau: general ? next : tau, low: 0, count: m, termsAt: tau };
    const newton = !small && next > lo && next < hi;
    if (!newton) next = 0.5 * (lo + hi);
    if (next === tau || (general && kappa >= 1 && hi - lo <= TOLERANCE)) return { tau: next, low: 0, count: m, termsAt: tau };
    tau = next;
  }
  return { tau, low: 0, count: m, termsAt: NaN };
}

/** The maxima (minima when `lowest`) of each SAMPLE values of v[from..to) into s[at..); returns their count. */
function sampleInto(v: RealArray, from: number, to: number, lowest: boolean, s: Float64Array, at: number): number {
  let count = 0;
  for (let i = from; i < to; i += SAMPLE) {
    const last = Math.min(i + SAMPLE, to);
    let b = v[i];
    for (let j = i + 1; j < last; j++) b = lowest ? Math.min(b, v[j]) : Math.max(b, v[j]);
    s[at + count++] = b;
  }
  return count;
}

export class JsSparse implements SparseCore {
  #work = new Float64Array(0);
  #positions = new Int32Array(0);
  #terms = new Float64Array(0);
  #samples = new Float64Array(0);

  entmax(x: Operand, y: Operand, rows: number, k: number, beta: number, alpha: number): void {
    const ys = realArray(y);
    const xs = readable(realArray(x), ys);
    if (this.#work.length < k) {
      this.#work = new Float64Array(k);
      this.#positions = new Int32Array(k);
      this.#terms = new Float64Array(k);
      // Every level of samples, one after the other: k/16 + k/256 + ... plus one per level.
      this.#samples = new Float64Array(Math.ceil(k / (SAMPLE - 1)) + 8);
    }
    const w = this.#work;
    const at = this.#positions;
    const general = alpha !== 2 && alpha !== 1.5;
    const terms = this.#terms;
    const samples = this.#samples;
    const scale = alpha - 1;
    const a = scale * beta;
    const kappa = 1 / scale;
    const lowest = beta < 0;
    /** The score of a value: a*(v - c), with v - c past f64's range halved (scaledDiff). */
    const scoreOf = (v: number, c: number) => {
      const X = (v - c) * a;
      return X > -Infinity ? X : scaledDiff(beta, v, c) * scale;
    };
    for (let r = 0, start = 0; r < rows; r++, start += k) {
      const end = start + k;
      // The row's sample, and its extremum the row's (NaN if any value is NaN: Math.max lets it through).
      let size = sampleInto(xs, start, end, lowest, samples, 0);
      const c = extremum(samples, 0, size, lowest);
      const m = beta * c;
      if (!Number.isFinite(c) || m !== m) {
        specialRow(xs, ys, start, end, c, m);
        continue;
      }
      // The levels of samples (beta = 0 uses none: an infinite entry's score is NaN, which only the whole row shows).
      const levels: number[] = beta !== 0 ? [0] : [];
      for (let offset = 0; beta !== 0 && size > TOP_SAMPLE; ) {
        const next = sampleInto(samples, offset, offset + size, lowest, samples, offset + size);
        offset += size;
        size = next;
        levels.push(offset);
      }
      // From the smallest sample down, each level's threshold less the margin is the floor of the next.
      let floor = -1;
      for (let l = levels.length - 1; l >= 0; l--) {
        const from = levels[l];
        const to = l + 1 < levels.length ? levels[l + 1] : from + size;
        let count = 0;
        for (let i = from; i < to; i++) {
          const X = scoreOf(samples[i], c);
          if (X > floor) w[count++] = X;
        }
        const { tau } = thresholdOf(w, count, alpha, floor, undefined, terms);
        if (tau >= floor) floor = Math.max(tau - MARGIN, -1);
      }
      // The row's candidates: the scores above the floor, from the blocks whose sample is above it;
      // a threshold below the floor (the margin not enough) takes the row from -1.
      let found: Threshold;
      let nan = false;
      let sampled = levels.length > 0;
      while (true) {
        let count = 0;
        for (let b = 0, i = start; i < end; b++, i += SAMPLE) {
          if (sampled && !(scoreOf(samples[b], c) > floor)) continue;
          const last = Math.min(i + SAMPLE, end);
          for (let j = i; j < last; j++) {
            const X = scoreOf(xs[j], c);
            nan ||= X !== X;
            if (!(X > floor)) continue;
            w[count] = X;
            at[count++] = j;
          }
        }
        found = thresholdOf(w, count, alpha, floor, at, terms);
        if (found.tau >= floor || !sampled) break;
        floor = -1;
        sampled = false;
      }
      if (nan) {
        ys.fill(NaN, start, end);
        continue;
      }
      const { tau, low, count, termsAt } = found;
      ys.fill(0, start, end);
      if (!general) {
        for (let j = 0; j < count; j++) {
          const t = w[j] - tau - low;
          if (t > 0) ys[at[j]] = alpha === 2 ? t : t * t;
        }
        continue;
      }
      // Other alphas: (X - tau)^kappa = term*(1 - d)^kappa, d = (tau - tau0)/(X - tau0), from the
      // last pass's term at tau0 (a series in d where it is small), else a power.
      const e = tau - termsAt;
      // |d|*max(kappa, 1) <= TERMS_STEP where (X - tau0)*TERMS_STEP >= near.
      const near = Math.abs(e) * Math.max(kappa, 1);
      const c1 = -kappa;
      const c2 = (kappa * (kappa - 1)) / 2;
      const c3 = (-kappa * (kappa - 1) * (kappa - 2)) / 6;
      const c4 = (kappa * (kappa - 1) * (kappa - 2) * (kappa - 3)) / 24;
      for (let j = 0; j < count; j++) {
        const t = w[j] - tau;
        if (!(t > 0)) continue;
        const t0 = w[j] - termsAt;
        if (t0 * TERMS_STEP >= near && t0 > 0) {
          const d = e / t0;
          ys[at[j]] = terms[j] * (1 + d * (c1 + d * (c2 + d * (c3 + d * c4))));
        } else ys[at[j]] = Math.pow(t, kappa);
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
