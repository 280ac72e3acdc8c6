// attend over a long key range: the range cut into segments of SEGMENT_KEYS keys from its
// start, each attended alone into scratch { out, lse }, the partials merged left to right in
// f64 and rounded once. The segments depend only on the call, never on the threads, so
// parallel() may run them on different threads and still give the one-thread bits; a range of
// at most SEGMENT_KEYS keys is one call of the kernel, as without segments.

import type { RealArray } from "../core/types.js";
import type { AttentionCall } from "./layout.js";

/** Keys per segment of a long range (docs/attention.md, "Long ranges"). */
export const SEGMENT_KEYS = 16384;

/**
 * The key segments [start, end) of a call that some query sees, in order; the first carries
 * the sinks. A range of at most SEGMENT_KEYS keys is one segment; where no query sees any
 * key, the first segment alone (it gives the sinks, or 0s and lse -Infinity).
 */
export function segmentsOf(c: AttentionCall): [number, number][] {
  if (c.end - c.start <= SEGMENT_KEYS) return [[c.start, c.end]];
  // Query i sees keys below offset + i + 1 (causal) and from offset + i - window + 1 (window).
  const below = c.causal ? c.offset + c.queries : Infinity;
  const from = c.window > 0 ? c.offset - c.window + 1 : -Infinity;
  const seen: [number, number][] = [];
  for (let a = c.start; a < c.end; a += SEGMENT_KEYS) {
    const b = Math.min(c.end, a + SEGMENT_KEYS);
    if (a < below && b > from) seen.push([a, b]);
  }
  return seen.length > 0 ? seen : [[c.start, c.start + SEGMENT_KEYS]];
}

/**
 * The attend result over the union of two disjoint key ranges, from each one's { out, lse }
 * ([rows][valueDim] and [rows]): weights exp(lse - max) (a part with lse -Infinity adds
 * nothing, rows no part sees are 0s with lse -Infinity, a NaN lse gives NaN). out and lse may
 * be a's own arrays (merged in place).
 */
export function mergeRows(
  out: RealArray, lse: RealArray, aOut: RealArray, aLse: RealArray, bOut: RealArray, bLse: RealArray, rows: number, valueDim: number,
): void {
  for (let r = 0; r < rows; r++) {
    const la = aLse[r];
    const lb = bLse[r];
    const m = Math.max(la, lb); // NaN if either is
    const o = r * valueDim;
    if (m === -Infinity) {
      out.fill(0, o, o + valueDim);
      lse[r] = -Infinity;
      continue;
    }
    // exp(-Infinity) = 0: that part's out is not read (it may hold anything).
    const wa = Math.exp(la - m);
    const wb = Math.exp(lb - m);
    const s = wa + wb;
    const fa = wa / s;
    const fb = wb / s;
    for (let d = 0; d < valueDim; d++) {
      const x = fa === 0 ? 0 : fa * aOut[o + d];
      const y = fb === 0 ? 0 : fb * bOut[o + d];
      out[o + d] = x + y;
    }
    lse[r] = m + Math.log1p(s - 1);
  }
}

/** The running merge of a call's segment partials, in f64, in the order they are added. */
export class SegmentMerge {
  readonly out: Float64Array;
  readonly lse: Float64Array;
  #empty = true;

  constructor(readonly rows: number, readonly valueDim: number) {
    this.out = new Float64Array(rows * valueDim);
    this.lse = new Float64Array(rows);
  }

  /** Merges the next segment's partial ([rows][valueDim] and [rows]). */
  add(out: RealArray, lse: RealArray): void {
    if (this.#empty) {
      this.out.set(out);
      this.lse.set(lse);
      this.#empty = false;
    } else {
      mergeRows(this.out, this.lse, this.out, this.lse, out, lse, this.rows, this.valueDim);
    }
  }
}
