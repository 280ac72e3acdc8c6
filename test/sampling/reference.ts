// The float64 reference of the sampling chain, written from docs/sampling.md and
// nothing else of the library: it sorts the whole row (a test may), applies each filter to the
// sorted order, and draws by the inverse CDF over the kept tokens in index order. It also says
// when a decision sits within `tol` of a boundary (a crossing, a threshold, a CDF step), so
// that a test can skip the cases rounding may decide either way.

export type Dtype = "f32" | "f64";

export interface ChainOptions {
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  minKeep?: number;
  history?: number[];
  repetitionPenalty?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  allowed?: Uint32Array;
}

export interface RefChain {
  /** The logits after penalties and the mask (rounded to the dtype, as the library computes in it). */
  logits: Float64Array;
  /** Greedy token (temperature 0), else -1. */
  greedy: number;
  /** Kept tokens in index order, with their probabilities (normalized over the kept). */
  kept: number[];
  p: number[];
  /** A filter decision lay within tol of its boundary. */
  ambiguous: boolean;
  /** Nothing can be drawn (every logit -Infinity or masked). */
  empty: boolean;
}

/** The reference chain for one row. */
export function refChain(x: ArrayLike<number>, opts: ChainOptions, dtype: Dtype, tol: number): RefChain {
  const n = x.length;
  const round = dtype === "f32" ? Math.fround : (v: number) => v;
  const l = Float64Array.from(x);
  const { repetitionPenalty = 1, frequencyPenalty = 0, presencePenalty = 0 } = opts;
  const counts = new Map<number, number>();
  for (const t of opts.history ?? []) counts.set(t, (counts.get(t) ?? 0) + 1);
  if (repetitionPenalty !== 1 || frequencyPenalty !== 0 || presencePenalty !== 0) {
    for (const [t, count] of counts) {
      let v = l[t];
      v = v > 0 ? v / repetitionPenalty : v * repetitionPenalty;
      l[t] = round(v - (count * frequencyPenalty + presencePenalty));
    }
  }
  if (opts.allowed) {
    for (let i = 0; i < n; i++) if (((opts.allowed[i >> 5] >>> (i & 31)) & 1) === 0) l[i] = -Infinity;
  }
  let best = -1;
  for (let i = 0; i < n; i++) if (best < 0 || l[i] > l[best]) best = i;
  const result: RefChain = { logits: l, greedy: -1, kept: [], p: [], ambiguous: false, empty: false };
  if (best < 0 || l[best] === -Infinity) return { ...result, empty: true };
  const temperature = opts.temperature ?? 1;
  if (temperature === 0) return { ...result, greedy: best };
  const c = l[best];
  const w = Array.from(l, (v) => (c === Infinity ? (v === Infinity ? 1 : 0) : Math.exp((v - c) / temperature)));
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (l[b] > l[a] ? 1 : l[b] < l[a] ? -1 : a - b));
  const minKeep = opts.minKeep ?? 1;
  // topK: the k highest, every tie of the k-th kept.
  let size = n;
  const topK = opts.topK ?? 0;
  if (topK > 0) {
    const k = Math.max(topK, minKeep);
    if (k < n) {
      const v = l[order[k - 1]];
      size = 0;
      while (size < n && l[order[size]] >= v) size++;
    }
  }
  // topP: the smallest prefix whose probability reaches p (the crossing token kept).
  const topP = opts.topP ?? 1;
  if (topP < 1) {
    let whole = 0;
    for (let j = 0; j < size; j++) whole += w[order[j]];
    let mass = 0;
    let j = 0;
    while (j < size && mass < topP * whole) mass += w[order[j++]];
    // A crossing within tol of p * whole may fall on either side under rounding.
    if (Math.abs(mass - topP * whole) <= tol * whole || Math.abs(mass - w[order[j - 1]] - topP * whole) <= tol * whole) result.ambiguous = true;
    size = Math.max(j, Math.min(minKeep, size));
  }
  // minP: p_i >= minP * p_max.
  const minP = opts.minP ?? 0;
  if (minP > 0) {
    const least = minP * w[order[0]];
    let count = 0;
    for (let j = 0; j < size; j++) {
      if (w[order[j]] >= least) count++;
      if (Math.abs(w[order[j]] - least) <= tol * least) result.ambiguous = true;
    }
    size = Math.max(count, Math.min(minKeep, size));
  }
  const kept = order.slice(0, size).sort((a, b) => a - b);
  let total = 0;
  for (const i of kept) total += w[i];
  return { ...result, kept, p: kept.map((i) => w[i] / total) };
}

/**
 * The token a uniform u draws: the first kept token whose cumulative probability (index
 * order) exceeds u. undefined when u lies within tol of a step of the CDF.
 */
export function refDraw(ref: RefChain, u: number, tol: number): number | undefined {
  let acc = 0;
  let last = -1;
  for (let j = 0; j < ref.kept.length; j++) {
    if (ref.p[j] === 0) continue;
    const next = acc + ref.p[j];
    if (Math.abs(next - u) <= tol || Math.abs(acc - u) <= tol) return undefined;
    if (next > u) return ref.kept[j];
    acc = next;
    last = ref.kept[j];
  }
  return last;
}

/** PCG32 (pcg32_srandom_r(seed, 54)) in BigInt, straight from its definition. */
export function refPcg32(seed: number): { next(): number; uniform(): number } {
  const MASK = (1n << 64n) - 1n;
  const MUL = 6364136223846793005n;
  const inc = (54n << 1n) | 1n;
  let state = 0n;
  const step = () => {
    state = (state * MUL + inc) & MASK;
  };
  const next = () => {
    const old = state;
    step();
    const xorshifted = Number(((old >> 18n) ^ old) >> 27n & 0xffffffffn);
    const rot = Number(old >> 59n);
    return ((xorshifted >>> rot) | (xorshifted << ((32 - rot) & 31))) >>> 0;
  };
  step();
  state = (state + BigInt.asUintN(64, BigInt(seed))) & MASK;
  step();
  // 52 bits: the top 26 of two outputs, and a half so that u is never 0.
  const uniform = () => {
    const a = next() >>> 6;
    const b = next() >>> 6;
    return (a * 2 ** 26 + b + 0.5) / 2 ** 52;
  };
  return { next, uniform };
}

/** Upper tail of the chi-square distribution: P(X >= x) for `df` degrees of freedom. */
export function chiSquareTail(x: number, df: number): number {
  // Q(a, z) = Gamma(a, z) / Gamma(a), a = df/2, z = x/2: series below a + 1, continued fraction above.
  const a = df / 2;
  const z = x / 2;
  if (z <= 0) return 1;
  const lnGammaA = lnGamma(a);
  if (z < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let k = 1; k < 1000; k++) {
      term *= z / (a + k);
      sum += term;
      if (term < sum * 1e-16) break;
    }
    return 1 - sum * Math.exp(-z + a * Math.log(z) - lnGammaA);
  }
  // Lentz's method for the continued fraction of Gamma(a, z).
  let b = z + 1 - a;
  let c = 1e300;
  let d = 1 / b;
  let h = d;
  for (let k = 1; k < 1000; k++) {
    const an = -k * (k - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-z + a * Math.log(z) - lnGammaA) * h;
}

/** log Gamma(a) for a > 0 (Lanczos, g = 7). */
function lnGamma(a: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (a < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * a)) - lnGamma(1 - a);
  const z = a - 1;
  let sum = g[0];
  for (let i = 1; i < 9; i++) sum += g[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}
