// The streaming accumulator: the state (c, m = beta*c, k, r) of the data seen so far, where c
// is a value of the data (its max, or min for beta < 0) and k + r = sum exp(beta*(x - c)).
// Keeping c itself, not only m, lets normalize() compute beta*(x - c) before the exp, which
// keeps full precision when the data sits far from 0, and decides by the difference where
// beta*c overflows. Chunks are reduced by the backend's kernel; states are merged here, in f64.

import { type Core, type Operand, type Reduced, dtypeOf, viaF32 } from "./backend.js";
import { realArray } from "./memory.js";
import type { Input, OnlineSoftmax, Output, OutputOf, RealArray } from "./types.js";
import { anyOperandOf, describe, newArray, outOperand } from "./validate.js";

const EMPTY: Reduced = { c: NaN, m: -Infinity, k: 0, r: 0 };

/** beta*(a - b), halving a and b first where a - b is beyond f64's range. */
export function scaledDiff(beta: number, a: number, b: number): number {
  const d = a - b;
  if (Number.isFinite(d) || !Number.isFinite(a) || !Number.isFinite(b)) return d * beta;
  return (a * 0.5 - b * 0.5) * beta * 2;
}

/** Folds b into a (the sum of the two states); pure. Extremes compare by c, not beta*c. */
export function mergeReduced(a: Reduced, b: Reduced, beta: number): Reduced {
  if (a.m !== a.m || a.k !== a.k || b.m !== b.m || b.k !== b.k) return { c: NaN, m: NaN, k: NaN, r: NaN };
  if (b.k === 0) return a;
  if (a.k === 0) return b;
  const aTop = !Number.isFinite(a.c);
  const bTop = !Number.isFinite(b.c);
  if (aTop || bTop) {
    if (aTop && bTop) return { c: a.c, m: a.m, k: a.k + b.k, r: 0 };
    return aTop ? a : b;
  }
  if (a.c === b.c) return { c: a.c, m: a.m, k: a.k + b.k, r: a.r + b.r };
  if (beta < 0 ? b.c < a.c : b.c > a.c) return { c: b.c, m: b.m, k: b.k, r: b.r + (a.k + a.r) * Math.exp(scaledDiff(beta, a.c, b.c)) };
  return { c: a.c, m: a.m, k: a.k, r: a.r + (b.k + b.r) * Math.exp(scaledDiff(beta, b.c, a.c)) };
}

export class Online implements OnlineSoftmax {
  readonly #core: Core;
  readonly beta: number;
  #state: Reduced = EMPTY;
  #count = 0;

  constructor(core: Core, beta: number) {
    this.#core = core;
    this.beta = beta;
  }

  get count(): number {
    return this.#count;
  }

  get max(): number {
    return this.#state.m;
  }

  get sum(): number {
    return this.#state.k + this.#state.r;
  }

  /** The state, for merge(). */
  get reduced(): Reduced {
    return this.#state;
  }

  push(chunk: Input): this {
    const x = anyOperandOf(this.#core, chunk, "chunk");
    if (x.length === 0) return this;
    this.#state = mergeReduced(this.#state, this.#core.reduce(x, this.beta), this.beta);
    this.#count += x.length;
    return this;
  }

  merge(other: OnlineSoftmax): this {
    if (!(other instanceof Online)) throw new TypeError(`merge needs an OnlineSoftmax (got ${describe(other)})`);
    if (other.beta !== this.beta) {
      throw new TypeError(`merge needs the same beta (got ${other.beta} into ${this.beta})`);
    }
    this.#state = mergeReduced(this.#state, other.reduced, this.beta);
    this.#count += other.count;
    return this;
  }

  logSumExp(): number {
    const { m, k, r } = this.#state;
    return m + Math.log1p(k - 1 + r);
  }

  normalize<X extends Input, O extends Output | undefined = undefined>(chunk: X, out?: O): O extends Output ? O : OutputOf<X> {
    return this.#normalize(false, chunk, out) as O extends Output ? O : OutputOf<X>;
  }

  logNormalize<X extends Input, O extends Output | undefined = undefined>(chunk: X, out?: O): O extends Output ? O : OutputOf<X> {
    return this.#normalize(true, chunk, out) as O extends Output ? O : OutputOf<X>;
  }

  reset(): this {
    this.#state = EMPTY;
    this.#count = 0;
    return this;
  }

  #normalize(log: boolean, chunk: Input, out: Output | undefined): Output {
    const core = this.#core;
    const x = anyOperandOf(core, chunk, "chunk");
    const dtype = dtypeOf(x);
    const y = out === undefined ? newArray(dtype, x.length) : outOperand(core, out, dtype, x.length, "the chunk's length", true);
    const { c, m, k, r } = this.#state;
    if (Number.isFinite(c) && k === k) {
      core.normalize(log, x, y, this.beta, c, Math.log1p(k - 1 + r));
    } else {
      // NaN state: all NaN. Empty or masked state (LSE -Inf): finite values give +Inf,
      // masked ones 0. +Inf scores state: the entries at c share 1/k, the rest 0.
      viaF32(x, y, (x32, y32) => {
        const xs = realArray(x32);
        const ys = realArray(y32 as Operand);
        for (let i = 0; i < xs.length; i++) {
          const v = xs[i];
          const score = this.beta * v;
          let p: number;
          if (m !== m || k !== k || score !== score) p = NaN;
          else if (k === 0) p = score === -Infinity && !Number.isFinite(v) ? (log ? -Infinity : 0) : Infinity;
          else p = v === c ? (log ? -Math.log(k) : 1 / k) : log ? -Infinity : 0;
          ys[i] = p;
        }
      });
    }
    return out ?? (y as RealArray);
  }
}
