// Float64 references of the sparse family, written from the algorithms with a sort of the row
// (what the kernels avoid): sparsemax by the sorted cumulative sums (Martins & Astudillo 2016,
// Algorithm 1), entmax 1.5 by the sorted moments (Peters et al. 2019, Algorithm 2), other
// alphas by bisection on the threshold to f64's resolution, then the threshold of the
// support so found refined by Newton's method on the support alone. Scores z = beta*x; -Infinity
// entries take no part; +Infinity entries share 1; NaN gives NaN.

export type Dtype = "f32" | "f64";

/** Accuracy of the contract (docs/sparse.md, Accuracy). */
export const TOL = { f32: 2e-6, f64: 1e-13 } as const;
/** Row sums (docs/sparse.md). */
export const SUM_TOL = { f32: 1e-6, f64: 1e-12 } as const;

/** alpha-entmax of one row of scores z with its threshold tau (p_i = [(alpha - 1) z_i - tau]_+^(1/(alpha - 1))). */
export function entmaxRef(z: ArrayLike<number>, alpha: number): { p: Float64Array; tau: number; support: boolean[] } {
  const n = z.length;
  const p = new Float64Array(n);
  const support = new Array<boolean>(n).fill(false);
  if (Array.from(z).some((v) => Number.isNaN(v))) return { p: p.fill(NaN), tau: NaN, support };
  const inf = Array.from(z).filter((v) => v === Infinity).length;
  if (inf > 0) {
    for (let i = 0; i < n; i++) if (z[i] === Infinity) (p[i] = 1 / inf), (support[i] = true);
    return { p, tau: NaN, support };
  }
  if (alpha === 1) {
    const m = Math.max(...Array.from(z));
    if (m === -Infinity) return { p, tau: NaN, support };
    let s = 0;
    for (let i = 0; i < n; i++) s += p[i] = Math.exp(z[i] - m);
    for (let i = 0; i < n; i++) (p[i] /= s), (support[i] = p[i] > 0);
    return { p, tau: NaN, support };
  }
  // X sorted descending, finite entries only.
  const X = Array.from(z, (v) => (alpha - 1) * v).filter((v) => v > -Infinity).sort((a, b) => b - a);
  if (X.length === 0) return { p, tau: NaN, support };
  const kappa = 1 / (alpha - 1);
  let tau: number;
  if (alpha === 2) {
    let cum = 0;
    let k = 0;
    let cumK = 0;
    for (let j = 0; j < X.length; j++) {
      cum += X[j];
      if (1 + (j + 1) * X[j] > cum) (k = j + 1), (cumK = cum);
    }
    tau = (cumK - 1) / k;
  } else if (alpha === 1.5) {
    // For each support size k: tau_k from the mean and the sum of squares of the top k.
    let s1 = 0;
    let s2 = 0;
    tau = NaN;
    for (let k = 1; k <= X.length; k++) {
      s1 += X[k - 1];
      s2 += X[k - 1] * X[k - 1];
      const mean = s1 / k;
      const delta = (1 - (s2 / k - mean * mean) * k) / k;
      if (delta < 0) break;
      const tk = mean - Math.sqrt(delta);
      if (tk <= X[k - 1]) tau = tk;
      else break;
    }
  } else {
    const top = X[0];
    let lo = top - 1;
    let hi = top;
    const f = (t: number) => X.reduce((s, v) => (v > t ? s + (v - t) ** kappa : s), 0);
    for (let it = 0; it < 200; it++) {
      const mid = (lo + hi) / 2;
      if (f(mid) >= 1) lo = mid;
      else hi = mid;
    }
    tau = lo;
    // Newton on the support found: f is smooth there.
    const S = X.filter((v) => v > tau);
    for (let it = 0; it < 50; it++) {
      let fv = -1;
      let d = 0;
      for (const v of S) (fv += (v - tau) ** kappa), (d += kappa * (v - tau) ** (kappa - 1));
      const next = tau + fv / d;
      if (!(Math.abs(next - tau) > 0) || !(next < S[S.length - 1])) break;
      tau = next;
    }
  }
  for (let i = 0; i < n; i++) {
    const t = (alpha - 1) * z[i] - tau;
    if (t > 0) (p[i] = t ** kappa), (support[i] = true);
  }
  return { p, tau, support };
}

/** Reference rows of beta*x (rows of k). */
export function rowsRef(x: ArrayLike<number>, k: number, alpha: number, beta = 1): Float64Array {
  const out = new Float64Array(x.length);
  for (let start = 0; start < x.length; start += k) {
    const z = Array.from({ length: k }, (_, j) => {
      const v = x[start + j];
      // beta*(x - max) for the finite rows: the translation the kernels take, exact in f64 for f32 data.
      return v * beta;
    });
    out.set(entmaxRef(z, alpha).p, start);
  }
  return out;
}

/**
 * Checks y against the reference of rows of k: |y - r| <= tol, except entries within tol of
 * the threshold (where the support may differ), which must still be within tol of 0.
 */
export function expectEntmaxClose(y: ArrayLike<number>, x: ArrayLike<number>, k: number, alpha: number, dtype: Dtype, beta = 1): number {
  const tol = TOL[dtype];
  let worst = 0;
  for (let start = 0; start < x.length; start += k) {
    const z = Array.from({ length: k }, (_, j) => x[start + j] * beta);
    const max = Math.max(...z);
    const shifted = Number.isFinite(max) ? z.map((v) => v - max) : z;
    const { p } = entmaxRef(shifted, alpha);
    for (let j = 0; j < k; j++) {
      const got = y[start + j];
      const want = p[j];
      if (Number.isNaN(want)) {
        if (!Number.isNaN(got)) throw new Error(`row at ${start}, entry ${j}: ${got}, expected NaN`);
        continue;
      }
      const err = Math.abs(got - want);
      worst = Math.max(worst, err);
      if (!(err <= tol)) throw new Error(`row at ${start}, entry ${j} of ${k} (alpha ${alpha}, ${dtype}): ${got}, expected ${want} (error ${err} > ${tol})`);
      if ((got > 0) !== (want > 0) && !(Math.abs(got) <= tol && Math.abs(want) <= tol)) {
        throw new Error(`row at ${start}, entry ${j}: support differs (${got} vs ${want})`);
      }
    }
  }
  return worst;
}

/** The Fenchel-Young loss of one row of scores theta against q, from the reference (docs/sparse.md). */
export function fyLossRef(theta: number[], q: number[], alpha: number): number {
  const max = Math.max(...theta);
  const t = theta.map((v) => v - max);
  const { p } = entmaxRef(t, alpha);
  const omega = (v: ArrayLike<number>) => {
    let s = 0;
    if (alpha === 1) {
      for (let i = 0; i < v.length; i++) if (v[i] > 0) s += v[i] * Math.log(v[i]);
      return s;
    }
    for (let i = 0; i < v.length; i++) if (v[i] > 0) s += v[i] ** alpha;
    return (s - 1) / (alpha * (alpha - 1));
  };
  let dot = 0;
  for (let i = 0; i < t.length; i++) if (p[i] - q[i] !== 0) dot += t[i] * (p[i] - q[i]);
  return omega(q) - omega(p) + dot;
}
