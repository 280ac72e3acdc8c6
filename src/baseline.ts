// The pure TypeScript backend: the same semantics as the kernels (assembly/softmax.ts), in
// plain loops over typed arrays with Math.exp in f64. It is the yardstick the wasm kernels
// are measured against, so it is written to be fast: no spread, no per-element allocation,
// one pass per step.

import type { Core, Operand, Reduced } from "./core.js";
import { PlainArray, realArray } from "./memory.js";
import type { Dtype, RealArray } from "./types.js";

/** Terms summed plainly before the partial sum joins the compensated total. */
const FLUSH = 256;

/** max of x[start..end) (min when `lowest`); NaN if any element is NaN. */
export function extremum(x: RealArray, start: number, end: number, lowest: boolean): number {
  let c = lowest ? Infinity : -Infinity;
  if (lowest) {
    for (let i = start; i < end; i++) {
      const v = x[i];
      if (v < c || v !== v) c = v;
    }
  } else {
    for (let i = start; i < end; i++) {
      const v = x[i];
      if (v > c || v !== v) c = v;
    }
  }
  return c;
}

/** Sum of exp(beta*(x_i - c)) over x[start..end), storing each term to y when given. */
function expSum(x: RealArray, y: RealArray | undefined, start: number, end: number, c: number, beta: number): number {
  let total = 0;
  let lost = 0; // Neumaier compensation: rows of 2^24 elements would lose digits otherwise
  for (let i = start; i < end; ) {
    const stop = Math.min(i + FLUSH, end);
    let part = 0;
    if (y) {
      for (; i < stop; i++) {
        const e = Math.exp((x[i] - c) * beta);
        y[i] = e;
        part += e;
      }
    } else {
      for (; i < stop; i++) part += Math.exp((x[i] - c) * beta);
    }
    const t = total + part;
    lost += Math.abs(total) >= Math.abs(part) ? total - t + part : part - t + total;
    total = t;
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
  if (m !== m) return { c: NaN, m: NaN, s: NaN };
  if (m === -Infinity) return { c, m, s: 0 };
  if (m === Infinity) {
    let k = 0;
    for (let i = start; i < end; i++) if (x[i] === c) k++;
    return { c, m, s: k };
  }
  return { c, m, s: expSum(x, undefined, start, end, c, beta) };
}

export class JsCore implements Core {
  readonly backend = "js" as const;

  alloc(length: number, dtype: Dtype): PlainArray {
    return new PlainArray(length, dtype);
  }

  owns(a: unknown): boolean {
    return a instanceof PlainArray;
  }

  rows(log: boolean, x: Operand, y: Operand, rows: number, k: number, beta: number): void {
    const ys = realArray(y);
    const xs = readable(realArray(x), ys);
    const lowest = beta < 0;
    for (let start = 0, r = 0; r < rows; r++, start += k) {
      const end = start + k;
      if (log) {
        const { c, m, s } = reduceRange(xs, start, end, beta);
        if (!Number.isFinite(m) || s !== s) {
          specialRow(xs, ys, start, end, c, s !== s ? NaN : m, true);
          continue;
        }
        const shift = Math.log(s);
        for (let i = start; i < end; i++) ys[i] = (xs[i] - c) * beta - shift;
      } else {
        const c = extremum(xs, start, end, lowest);
        const m = beta * c;
        if (!Number.isFinite(m)) {
          specialRow(xs, ys, start, end, c, m, false);
          continue;
        }
        const inv = 1 / expSum(xs, ys, start, end, c, beta);
        for (let i = start; i < end; i++) ys[i] *= inv;
      }
    }
  }

  logSumExp(x: Operand, out: Operand | undefined, rows: number, k: number, beta: number): number {
    const xs = realArray(x);
    const os = out && realArray(out);
    let lse = -Infinity;
    for (let start = 0, r = 0; r < rows; r++, start += k) {
      const { m, s } = reduceRange(xs, start, start + k, beta);
      lse = m + Math.log(s);
      if (os) os[r] = lse;
    }
    return lse;
  }

  reduce(x: Operand, beta: number): Reduced {
    return reduceRange(realArray(x), 0, x.length, beta);
  }

  normalize(log: boolean, x: Operand, y: Operand, beta: number, c: number, shift: number): void {
    const ys = realArray(y);
    const xs = readable(realArray(x), ys);
    const n = xs.length;
    if (log) for (let i = 0; i < n; i++) ys[i] = (xs[i] - c) * beta - shift;
    else for (let i = 0; i < n; i++) ys[i] = Math.exp((xs[i] - c) * beta - shift);
  }
}
