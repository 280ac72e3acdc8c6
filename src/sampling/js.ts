// The sampling passes of the `js` backend: the same contract as assembly/sample.ts (see
// SampleSession in sample.ts), in plain loops over typed arrays with Math.exp in f64.

import type { Operand } from "../core/backend.js";
import { realArray } from "../core/memory.js";
import type { RealArray } from "../core/types.js";
import type { Band, Room, SampleBackend, SampleSession } from "./backend.js";
import { STRIDE } from "./layout.js";


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

const bits = new Float64Array(1);
const bitsOf = new BigInt64Array(bits.buffer);

/** The next f64 above v >= 0 (Infinity stays). */
function nextUp(v: number): number {
  if (v === Infinity) return v;
  bits[0] = v;
  bitsOf[0] += 1n;
  return bits[0];
}

/** The next f64 below v > 0. */
function nextDown(v: number): number {
  bits[0] = v;
  bitsOf[0] -= 1n;
  return bits[0];
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
  readonly #w: Float64Array;
  /** The (start, c, beta) of the weights in #w (NaN: none). */
  #weighed = [NaN, NaN, NaN];

  constructor(values: RealArray, mask: Uint32Array | undefined, k: number, room: Room, weights: boolean) {
    this.values = values;
    this.#mask = mask;
    this.#idx = new Int32Array(room === "none" ? 0 : k);
    this.#vals = new Float64Array(room === "topK" ? k : 0);
    this.#tmp = new Float64Array(room === "topK" ? k : 0);
    this.#w = new Float64Array(weights ? k : 0);
  }

  weigh(start: number, k: number, c: number, beta: number): number {
    const x = this.values;
    const w = this.#w;
    let total = 0;
    for (let i = 0; i < k; i++) total += w[i] = Math.exp((x[start + i] - c) * beta);
    this.#weighed = [start, c, beta];
    return total;
  }

  /** The stored weights if they are those of the row at start for (c, beta). */
  #weights(start: number, c: number, beta: number): Float64Array | undefined {
    const [s, wc, wb] = this.#weighed;
    return s === start && wc === c && wb === beta ? this.#w : undefined;
  }

  band(_: number, k: number, total: number, need: number): Band {
    const w = this.#w;
    const sample = new Float64Array(Math.ceil(k / STRIDE));
    for (let i = 0, m = 0; i < k; i += STRIDE, m++) sample[m] = w[Math.min(i + (m & (STRIDE - 1)), k - 1)];
    sample.sort();
    const m = sample.length;
    // The lightest sampled weights estimate the mass below the cut (see the kernel).
    const budget = ((total - need) * m) / k;
    let r = 0;
    for (let acc = 0; r < m && acc + sample[r] <= budget; r++) acc += sample[r];
    const spread = Math.trunc(2 * Math.sqrt(Math.min(r, m - r))) + 8;
    let lo = r - spread <= 0 ? 0 : sample[r - spread];
    let hi = r + spread >= m ? Infinity : sample[r + spread];
    for (let pass = 0; ; pass++) {
      let above = 0;
      let within = 0;
      let count = 0;
      for (let i = 0; i < k; i++) {
        const v = w[i];
        if (v > hi) above += v;
        else if (v >= lo) {
          within += v;
          this.#idx[count++] = i;
        }
      }
      const settled = pass < 2;
      if (above >= need && settled) {
        lo = nextUp(hi);
        hi = Infinity;
      } else if (above + within < need && lo > 0 && settled) {
        hi = nextDown(lo);
        lo = 0;
      } else return { above, low: settled ? lo : 0, indices: this.#idx.subarray(0, count), weights: w };
    }
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

  keep(start: number, k: number, theta: number, tie: number): RealArray {
    const x = this.values;
    const y = this.#w;
    this.#weighed = [NaN, NaN, NaN];
    for (let i = 0; i < k; i++) {
      const v = x[start + i];
      y[i] = v > theta || (v === theta && i <= tie) ? v : -Infinity;
    }
    return y.subarray(0, k);
  }

  keptSum(start: number, k: number, c: number, beta: number, theta: number, tie: number): number {
    const x = this.values;
    const w = this.#weights(start, c, beta);
    let total = 0;
    for (let i = 0; i < k; i++) {
      const v = x[start + i];
      if (v > theta || (v === theta && i <= tie)) total += w ? w[i] : Math.exp((v - c) * beta);
    }
    return total;
  }

  draw(start: number, k: number, c: number, beta: number, theta: number, tie: number, target: number): number {
    const x = this.values;
    const stored = this.#weights(start, c, beta);
    let total = 0;
    let last = -1;
    for (let i = 0; i < k; i++) {
      const v = x[start + i];
      if (!(v > theta || (v === theta && i <= tie))) continue;
      const w = stored ? stored[i] : Math.exp((v - c) * beta);
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
  readonly halves = false;
  session(x: Operand, writable: boolean, mask: Uint32Array | undefined, k: number, room: Room, weights = false): SampleSession {
    const data = realArray(x);
    return new JsSession(writable ? data.slice() : data, mask, k, room, weights);
  }
}
