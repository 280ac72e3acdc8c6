// The sampling passes of the `js` backend: the same contract as assembly/sample.ts (see
// SampleSession in sample.ts), in plain loops over typed arrays with Math.exp in f64.
//
// Every pass reads Float64Arrays only: the current row is staged as one (a copy unless the
// input is a Float64Array the call may not write), so each loop sees one kind of array. A
// loop that met both Float32Array and Float64Array rows (f32 inputs, the f64 references of the
// tests and benchmarks) ran JavaScriptCore's generic element access and V8's polymorphic one:
// from 1.3x to 5x slower, by an amount that changed from call to call (docs/speed.md).

import type { Operand } from "../core/backend.js";
import { realArray } from "../core/memory.js";
import type { RealArray } from "../core/types.js";
import type { Band, Room, SampleBackend, SampleSession } from "./backend.js";
import { STRIDE } from "./layout.js";

/**
 * Tokens per block of keptSum's running sums: draw computes the weights of one block, and
 * finds it among k / BLOCK sums (the wasm kernels' WALK, assembly/sampling/sample.ts).
 */
const BLOCK = 64;


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
    let t = p0;
    if (p0 < p1) {
      p0 = p1;
      p1 = t;
    }
    if (p1 < p2) {
      t = p1;
      p1 = p2;
      p2 = t;
    }
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

/** Keeps the entries of (idx, vals)[0..m) with vals >= theta, in order; returns how many. */
function compact(idx: Int32Array, vals: Float64Array, m: number, theta: number): number {
  let kept = 0;
  for (let j = 0; j < m; j++) {
    const v = vals[j];
    if (v >= theta) {
      idx[kept] = idx[j];
      vals[kept++] = v;
    }
  }
  return kept;
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
  /** The input's data: rows are staged from it. */
  readonly #data: RealArray;
  /** Whether rows are staged as copies (into #copy), or are views of the data (a Float64Array the call does not write). */
  readonly #copies: boolean;
  readonly #copy: Float64Array;
  /** The current row (row()'s view). */
  #x: Float64Array;
  readonly #mask: Uint32Array | undefined;
  readonly #idx: Int32Array;
  readonly #vals: Float64Array;
  readonly #tmp: Float64Array;
  readonly #w: Float64Array;
  /** The (start, c, beta) of the weights in #w (NaN: none). */
  #weighed = [NaN, NaN, NaN];
  /** keptSum's running sum at the end of each block of BLOCK tokens, for draw. */
  readonly #ends: Float64Array;
  /** The (start, c, beta, theta, tie) of the sums in #ends (NaN: none). */
  #blocked = [NaN, NaN, NaN, NaN, NaN];

  readonly end: () => void;

  constructor(
    data: RealArray,
    writable: boolean,
    mask: Uint32Array | undefined,
    k: number,
    room: Room,
    weights: boolean,
    own: Room64,
    end: () => void,
  ) {
    this.#data = data;
    this.#copies = writable || !(data instanceof Float64Array);
    this.#copy = take(own, "copy", this.#copies ? k : 0, f64);
    this.#x = this.#copy;
    this.#mask = mask;
    this.#idx = take(own, "idx", room === "none" ? 0 : k, i32);
    this.#vals = take(own, "vals", room === "topK" ? k : 0, f64);
    this.#tmp = take(own, "tmp", room === "topK" ? k : 0, f64);
    this.#w = take(own, "w", weights ? k : 0, f64);
    this.#ends = take(own, "ends", room === "none" ? 0 : Math.ceil(k / BLOCK), f64);
    this.end = end;
  }

  row(start: number, k: number): RealArray {
    const data = this.#data;
    this.#weighed = [NaN, NaN, NaN];
    this.#blocked = [NaN, NaN, NaN, NaN, NaN];
    if (!this.#copies) this.#x = (data as Float64Array).subarray(start, start + k);
    else {
      // Values of an f32 row are exact in f64; writes to it (penalties) round as the dtype does (api.ts).
      this.#copy.set(data.subarray(start, start + k));
      this.#x = this.#copy;
    }
    return this.#x;
  }

  view(): RealArray {
    return this.#x;
  }

  weigh(start: number, k: number, c: number, beta: number): number {
    const x = this.#x;
    const w = this.#w;
    let total = 0;
    for (let i = 0; i < k; i++) total += w[i] = Math.exp((x[i] - c) * beta);
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
    const idx = this.#idx;
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
          idx[count++] = i;
        }
      }
      const settled = pass < 2;
      if (above >= need && settled) {
        lo = nextUp(hi);
        hi = Infinity;
      } else if (above + within < need && lo > 0 && settled) {
        hi = nextDown(lo);
        lo = 0;
      } else return { above, low: settled ? lo : 0, indices: idx.subarray(0, count), weights: w };
    }
  }

  argmax(_: number, k: number): number {
    const x = this.#x;
    if (k === 0) return -1;
    let best = -Infinity;
    let at = 0;
    for (let i = 0; i < k; i++) {
      const v = x[i];
      if (v !== v) return i;
      if (v > best) {
        best = v;
        at = i;
      }
    }
    return at;
  }

  mask(_: number, k: number, word: number): void {
    const x = this.#x;
    const mask = this.#mask as Uint32Array;
    for (let i = 0; i < k; i++) {
      if (((mask[word + (i >>> 5)] >>> (i & 31)) & 1) === 0) x[i] = -Infinity;
    }
  }

  keep(_: number, k: number, theta: number, tie: number): RealArray {
    const x = this.#x;
    const y = this.#w;
    this.#weighed = [NaN, NaN, NaN];
    for (let i = 0; i < k; i++) {
      const v = x[i];
      y[i] = v > theta || (v === theta && i <= tie) ? v : -Infinity;
    }
    return y.subarray(0, k);
  }

  keptSum(start: number, k: number, c: number, beta: number, theta: number, tie: number): number {
    return this.#kept(start, k, c, beta, theta, tie, undefined);
  }

  spread(start: number, k: number, c: number, beta: number, theta: number, tie: number): RealArray {
    const w = this.#w;
    const inv = 1 / this.#kept(start, k, c, beta, theta, tie, w);
    for (let i = 0; i < k; i++) w[i] *= inv;
    this.#weighed = [NaN, NaN, NaN];
    return w.subarray(0, k);
  }

  /**
   * The sum of the cut's kept weights in index order, every weight computed and masked (times 1
   * or 0, which adds exactly what skipping it would), so that a flat row, which keeps every
   * token, costs what a typical one keeping a handful does: computing the kept weights only,
   * flat rows ran 3.5-4.8x longer (docs/speed.md). The running sum at each block's end goes to
   * #ends for draw, the masked weights to `into` when given (it may be #w, the stored weights).
   */
  #kept(start: number, k: number, c: number, beta: number, theta: number, tie: number, into: Float64Array | undefined): number {
    const x = this.#x;
    const w = this.#weights(start, c, beta);
    const ends = this.#ends;
    let total = 0;
    for (let i = 0, b = 0; i < k; b++) {
      const end = Math.min(i + BLOCK, k);
      for (; i < end; i++) {
        const v = x[i];
        const weight = (w ? w[i] : Math.exp((v - c) * beta)) * (v > theta || (v === theta && i <= tie) ? 1 : 0);
        if (into) into[i] = weight;
        total += weight;
      }
      ends[b] = total;
    }
    this.#blocked = [start, c, beta, theta, tie];
    return total;
  }

  draw(start: number, k: number, c: number, beta: number, theta: number, tie: number, target: number): number {
    const x = this.#x;
    const stored = this.#weights(start, c, beta);
    const kept = (v: number, i: number) => v > theta || (v === theta && i <= tie);
    const weight = (v: number, i: number) => (stored ? stored[i] : Math.exp((v - c) * beta));
    let total = 0;
    let i = 0;
    const [bs, bc, bb, bt, bi] = this.#blocked;
    if (bs === start && bc === c && bb === beta && bt === theta && bi === tie) {
      // keptSum's running sums, exactly those of the walk below from 0: the walk starts at the
      // block where the sum passes target, the same token as a walk over the whole row.
      const ends = this.#ends;
      const blocks = Math.ceil(k / BLOCK);
      let b = 0;
      while (b < blocks && !(ends[b] > target)) b++;
      if (b === blocks) i = k;
      else if (b > 0) {
        i = b * BLOCK;
        total = ends[b - 1];
      }
    }
    for (; i < k; i++) {
      const v = x[i];
      if (!kept(v, i)) continue;
      total += weight(v, i);
      if (total > target) return i;
    }
    // Rounding left target unreached: the last kept token of positive weight.
    for (i = k - 1; i >= 0; i--) if (kept(x[i], i) && weight(x[i], i) > 0) return i;
    return -1;
  }

  collect(_: number, k: number, theta: number, below = NaN): Int32Array {
    const x = this.#x;
    const idx = this.#idx;
    let count = 0;
    for (let i = 0; i < k; i++) {
      const v = x[i];
      if (v >= theta && !(v >= below)) idx[count++] = i;
    }
    return idx.subarray(0, count);
  }

  topK(_: number, k: number, count: number): Int32Array {
    const x = this.#x;
    const idx = this.#idx;
    const vals = this.#vals;
    const tmp = this.#tmp;
    let theta = -Infinity;
    let m = 0;
    let trigger = Math.min(k, Math.max(1024, 8 * count));
    for (let i = 0; i < k; i++) {
      const v = x[i];
      if (!(v >= theta)) continue;
      idx[m] = i;
      vals[m++] = v;
      if (m >= trigger) {
        tmp.set(vals.subarray(0, m));
        theta = kthLargest(tmp, m, count);
        m = compact(idx, vals, m, theta);
        // Ties may keep the buffer full: give it room to make progress.
        if (m > trigger >> 1) trigger = Math.min(k, trigger * 2);
      }
    }
    if (m > count) {
      tmp.set(vals.subarray(0, m));
      m = compact(idx, vals, m, kthLargest(tmp, m, count));
    }
    return idx.subarray(0, m);
  }
}

/** A session's typed arrays, by name (each as long as the longest row it has served). */
type Room64 = Map<string, Float64Array | Int32Array>;

/** The first n of the array `name` of `room`, grown (a fresh one) if it is shorter. */
function take<A extends Float64Array | Int32Array>(room: Room64, name: string, n: number, make: (n: number) => A): A {
  let a = room.get(name) as A | undefined;
  if (!a || a.length < n) room.set(name, (a = make(n)));
  return a.subarray(0, n) as A;
}
const f64 = (n: number) => new Float64Array(n);
const i32 = (n: number) => new Int32Array(n);

/** The js backend's sampling passes. */
export class JsSampleBackend implements SampleBackend {
  readonly halves = false;
  /**
   * The room of the last session that ended, for the next one: fresh typed arrays of a row's
   * size cost more than the passes over them (a top-k session's took ~1 ms in Node 24 at
   * K = 32,000, zero-filled and collected every call). A session takes it whole and gives it
   * back at its end, so a session that starts meanwhile (a `random` callback that samples)
   * gets arrays of its own.
   */
  #free: Room64 | undefined = new Map();

  session(x: Operand, writable: boolean, mask: Uint32Array | undefined, k: number, room: Room, weights = false): SampleSession {
    const own = this.#free ?? new Map();
    this.#free = undefined;
    return new JsSession(realArray(x), writable, mask, k, room, weights, own, () => (this.#free = own));
  }
}
