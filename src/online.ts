// The streaming accumulator: the state (c, m = beta*c, s) of the data seen so far, where c is
// a value of the data (its max, or min for beta < 0) and s = sum exp(beta*(x - c)). Keeping c
// itself, not only m, lets normalize() compute beta*(x - c) before the exp, which keeps full
// precision when the data sits far from 0. Chunks are reduced by the backend's kernel; states
// are merged here, in f64.

import { type Core, type Reduced, dtypeOf } from "./core.js";
import { realArray } from "./memory.js";
import type { Input, OnlineSoftmax, Output, OutputOf, RealArray } from "./types.js";
import { describe, newArray, operandOf, outOperand } from "./validate.js";

const EMPTY: Reduced = { c: NaN, m: -Infinity, s: 0 };

/** Folds b into a (the sum of the two states); pure. */
export function mergeReduced(a: Reduced, b: Reduced, beta: number): Reduced {
  if (a.m !== a.m || a.s !== a.s || b.m !== b.m || b.s !== b.s) return { c: NaN, m: NaN, s: NaN };
  if (b.m === -Infinity) return a;
  if (a.m === -Infinity) return b;
  if (a.m === Infinity || b.m === Infinity) {
    if (a.m === b.m) return { c: a.c, m: a.m, s: a.s + b.s };
    return a.m === Infinity ? a : b;
  }
  if (b.m > a.m) return { c: b.c, m: b.m, s: a.s * Math.exp(beta * (a.c - b.c)) + b.s };
  return { c: a.c, m: a.m, s: a.s + b.s * Math.exp(beta * (b.c - a.c)) };
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
    return this.#state.s;
  }

  /** The state, for merge(). */
  get reduced(): Reduced {
    return this.#state;
  }

  push(chunk: Input): this {
    const x = operandOf(this.#core, chunk, "chunk");
    if (x.length === 0) return this;
    this.#state = mergeReduced(this.#state, this.#core.reduce(x, this.beta), this.beta);
    this.#count += x.length;
    return this;
  }

  merge(other: OnlineSoftmax): this {
    if (!(other instanceof Online)) throw new TypeError(`merge needs an OnlineSoftmax (got ${describe(other)})`);
    if (other.beta !== this.beta) {
      throw new TypeError(`merge needs accumulators with the same beta (got ${other.beta} into ${this.beta})`);
    }
    this.#state = mergeReduced(this.#state, other.reduced, this.beta);
    this.#count += other.count;
    return this;
  }

  logSumExp(): number {
    return this.#state.m + Math.log(this.#state.s);
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
    const x = operandOf(core, chunk, "chunk");
    const dtype = dtypeOf(x);
    const y = out === undefined ? newArray(dtype, x.length) : outOperand(core, out, dtype, x.length, "the chunk's length");
    const { c, m, s } = this.#state;
    if (Number.isFinite(m) && s === s) {
      core.normalize(log, x, y, this.beta, c, Math.log(s));
    } else {
      // NaN state: all NaN. Empty or masked state (LSE -Inf): finite scores give +Inf,
      // masked ones 0. State +Inf: scores +Inf share 1/s, the rest 0.
      const xs = realArray(x);
      const ys = realArray(y);
      for (let i = 0; i < xs.length; i++) {
        const score = this.beta * xs[i];
        let v: number;
        if (m !== m || s !== s || score !== score) v = NaN;
        else if (m === -Infinity) v = score === -Infinity ? (log ? -Infinity : 0) : Infinity;
        else v = score === Infinity ? (log ? -Math.log(s) : 1 / s) : log ? -Infinity : 0;
        ys[i] = v;
      }
    }
    return out ?? (y as RealArray);
  }
}
