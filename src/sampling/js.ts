// The sampling passes of the `js` backend: the same contract as assembly/sample.ts (see
// SampleSession in sample.ts), in plain loops over typed arrays with Math.exp in f64.

import type { Operand } from "../core/backend.js";
import { realArray } from "../core/memory.js";
import type { RealArray } from "../core/types.js";
import { BUCKETS, type Histogram, type Room, type SampleBackend, type SampleSession } from "./backend.js";

/** The k-th largest of a[0..m) (1 <= k <= m); reorders a (Hoare selection, median of three). */
function kthLargest(a: Float64Array, m: number, k: number): number {
  let lo = 0;
  let hi = m - 1;
  const want = k - 1;
  while (lo < hi) {
    const mid = lo + ((hi - lo) >> 1);
    let p0 = a[lo];
    let p1 = a[mid];
    let p2 = a[hi];
    if (p0 < p1) [p0, p1] = [p1, p0];
    if (p1 < p2) [p1, p2] = [p2, p1];
    if (p0 < p1) p1 = p0;
    const pivot = p1;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (want <= j) hi = j;
    else if (want >= i) lo = i;
    else return pivot;
  }
  return a[want];
}

class JsSession implements SampleSession {
  readonly values: RealArray;

  row(start: number, k: number): RealArray {
    return this.values.subarray(start, start + k);
  }

  view(start: number, k: number): RealArray {
    return this.row(start, k);
  }

  readonly #mask: Uint32Array | undefined;
  readonly #idx: Int32Array;
  readonly #vals: Float64Array;
  readonly #tmp: Float64Array;

  constructor(values: RealArray, mask: Uint32Array | undefined, k: number, room: Room) {
    this.values = values;
    this.#mask = mask;
    this.#idx = new Int32Array(room === "none" ? 0 : k);
    this.#vals = new Float64Array(room === "topK" ? k : 0);
    this.#tmp = new Float64Array(room === "topK" ? k : 0);
  }

  argmax(start: number, k: number): number {
    const x = this.values;
    if (k === 0) return -1;
    let best = -Infinity;
    let at = 0;
    for (let i = start; i < start + k; i++) {
      const v = x[i];
      if (v !== v) return i - start;
      if (v > best) {
        best = v;
        at = i - start;
      }
    }
    return at;
  }

  mask(start: number, k: number, word: number): void {
    const x = this.values;
    const mask = this.#mask as Uint32Array;
    for (let i = 0; i < k; i++) {
      if (((mask[word + (i >>> 5)] >>> (i & 31)) & 1) === 0) x[start + i] = -Infinity;
    }
  }

  keptSum(start: number, k: number, c: number, beta: number, theta: number, tie: number): number {
    const x = this.values;
    let total = 0;
    for (let i = 0; i < k; i++) {
      const v = x[start + i];
      if (v > theta || (v === theta && i <= tie)) total += Math.exp((v - c) * beta);
    }
    return total;
  }

  draw(start: number, k: number, c: number, beta: number, theta: number, tie: number, target: number): number {
    const x = this.values;
    let total = 0;
    let last = -1;
    for (let i = 0; i < k; i++) {
      const v = x[start + i];
      if (!(v > theta || (v === theta && i <= tie))) continue;
      const w = Math.exp((v - c) * beta);
      total += w;
      if (total > target) return i;
      if (w > 0) last = i;
    }
    return last;
  }

  collect(start: number, k: number, theta: number, below = NaN): Int32Array {
    const x = this.values;
    const idx = this.#idx;
    let count = 0;
    for (let i = 0; i < k; i++) {
      const v = x[start + i];
      if (v >= theta && !(v >= below)) idx[count++] = i;
    }
    return idx.subarray(0, count);
  }

  histogram(start: number, k: number, c: number, beta: number, theta: number, zmin: number): Histogram {
    const x = this.values;
    const counts = new Int32Array(BUCKETS);
    const masses = new Float64Array(BUCKETS);
    const scale = BUCKETS / -zmin;
    for (let i = start; i < start + k; i++) {
      const v = x[i];
      if (!(v >= theta)) continue;
      const z = (v - c) * beta;
      const b = Math.min(Math.trunc(-z * scale), BUCKETS - 1);
      counts[b]++;
      masses[b] += Math.exp(z);
    }
    return { counts, masses };
  }

  topK(start: number, k: number, count: number): Int32Array {
    const x = this.values;
    const idx = this.#idx;
    const vals = this.#vals;
    const tmp = this.#tmp;
    let theta = -Infinity;
    let m = 0;
    let trigger = Math.min(k, Math.max(1024, 8 * count));
    const compact = (t: number) => {
      let kept = 0;
      for (let j = 0; j < m; j++) {
        if (vals[j] >= t) {
          idx[kept] = idx[j];
          vals[kept++] = vals[j];
        }
      }
      m = kept;
    };
    for (let i = 0; i < k; i++) {
      const v = x[start + i];
      if (!(v >= theta)) continue;
      idx[m] = i;
      vals[m++] = v;
      if (m >= trigger) {
        tmp.set(vals.subarray(0, m));
        theta = kthLargest(tmp, m, count);
        compact(theta);
        if (m > trigger >> 1) trigger = Math.min(k, trigger * 2);
      }
    }
    if (m > count) {
      tmp.set(vals.subarray(0, m));
      compact(kthLargest(tmp, m, count));
    }
    return idx.subarray(0, m);
  }
}

/** The js backend's sampling passes. */
export class JsSampleBackend implements SampleBackend {
  session(x: Operand, writable: boolean, mask: Uint32Array | undefined, k: number, room: Room): SampleSession {
    const data = realArray(x);
    return new JsSession(writable ? data.slice() : data, mask, k, room);
  }
}
