// The float64 reference of attention, written from the formula of docs/attention.md (not from
// the kernels): for query i at position p_i = length - queries + i and head h (kv head
// floor(h / (heads/kvHeads))), the keys j it sees are those in [start, end) with j <= p_i when
// causal and j > p_i - window with a window; s_j = scale*q.k_j, then softcap*tanh(s_j/softcap),
// + bias + (-slope_h*(p_i - j)); out = sum_j exp(s_j - M) v_j / Z and lse = log Z with
// Z = sum_j exp(s_j - M) + exp(sink_h - M) (times exp(M)), M the max of the s_j and the sink.
import { expect } from "vitest";
import { random } from "../core/reference.js";

export type Dtype = "f32" | "f64";
export type Real = Float32Array | Float64Array;

export interface RefOptions {
  heads?: number;
  kvHeads?: number;
  dim: number;
  valueDim?: number;
  length?: number;
  range?: [number, number];
  scale?: number;
  softcap?: number;
  causal?: boolean;
  window?: number;
  bias?: ArrayLike<number>;
  alibi?: ArrayLike<number>;
  sinks?: ArrayLike<number>;
}

/** out [queries][heads][valueDim] and lse [queries][heads] in float64 from the formula. */
export function attentionRef(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, o: RefOptions): { out: Float64Array; lse: Float64Array } {
  const heads = o.heads ?? 1;
  const kvHeads = o.kvHeads ?? heads;
  const dim = o.dim;
  const valueDim = o.valueDim ?? dim;
  const queries = q.length / (heads * dim);
  const capacity = k.length / (kvHeads * dim);
  const length = o.length ?? capacity;
  const [start, end] = o.range ?? [0, length];
  const scale = o.scale ?? 1 / Math.sqrt(dim);
  const perHeadBias = o.bias !== undefined && o.bias.length === heads * queries * length && heads > 1;
  const out = new Float64Array(queries * heads * valueDim);
  const lse = new Float64Array(queries * heads);
  for (let i = 0; i < queries; i++) {
    const p = length - queries + i;
    for (let h = 0; h < heads; h++) {
      const g = Math.floor((h * kvHeads) / heads);
      const seen: { j: number; s: number }[] = [];
      for (let j = start; j < end; j++) {
        if (o.causal && j > p) continue;
        if (o.window !== undefined && j <= p - o.window) continue;
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += q[(i * heads + h) * dim + d] * k[(j * kvHeads + g) * dim + d];
        let s = scale * dot;
        if (o.softcap !== undefined) s = o.softcap * Math.tanh(s / o.softcap);
        if (o.bias !== undefined) s += o.bias[(perHeadBias ? h * queries * length : 0) + i * length + j];
        if (o.alibi !== undefined) s += -o.alibi[h] * (p - j);
        seen.push({ j, s });
      }
      const sink = o.sinks === undefined ? -Infinity : o.sinks[h];
      const all = [...seen.map((e) => e.s), sink];
      const row = i * heads + h;
      if (all.some(Number.isNaN)) {
        lse[row] = NaN;
        out.fill(NaN, row * valueDim, (row + 1) * valueDim);
        continue;
      }
      const M = Math.max(...all);
      if (M === -Infinity) {
        lse[row] = -Infinity; // out stays 0
        continue;
      }
      let Z = sink === -Infinity ? 0 : Math.exp(sink - M);
      for (const { j, s } of seen) {
        const w = Math.exp(s - M);
        Z += w;
        for (let d = 0; d < valueDim; d++) out[row * valueDim + d] += w * v[(j * kvHeads + g) * valueDim + d];
      }
      for (let d = 0; d < valueDim; d++) out[row * valueDim + d] /= Z;
      lse[row] = M + Math.log(Z);
    }
  }
  return { out, lse };
}

/** The tolerances of docs/attention.md: out within TOL.out*max|v|, lse as logSumExp, whatever the size of the scores. */
export const TOL = { f32: { out: 2e-6, lse: 1e-6 }, f64: { out: 1e-13, lse: 1e-14 } } as const;

/** Checks out and lse against the reference (NaN where the reference is NaN, -Infinity alike). */
export function expectAttention(got: { out: ArrayLike<number>; lse?: ArrayLike<number> }, ref: { out: Float64Array; lse: Float64Array }, v: ArrayLike<number>, dtype: Dtype, what = ""): void {
  let s = 0;
  for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i])) s = Math.max(s, Math.abs(v[i]));
  const tol = TOL[dtype];
  expect(got.out.length, `${what} out length`).toBe(ref.out.length);
  for (let i = 0; i < ref.out.length; i++) {
    const r = ref.out[i];
    const y = got.out[i];
    if (Number.isNaN(r)) expect(y, `${what} out[${i}]`).toBeNaN();
    else if (!(Math.abs(y - r) <= tol.out * s)) expect.fail(`${what} out[${i}] = ${y}, reference ${r} (|diff| ${Math.abs(y - r)} > ${tol.out}*${s})`);
  }
  if (!got.lse) return;
  for (let i = 0; i < ref.lse.length; i++) {
    const r = ref.lse[i];
    const y = got.lse[i];
    if (Number.isNaN(r)) expect(y, `${what} lse[${i}]`).toBeNaN();
    else if (!Number.isFinite(r)) expect(y, `${what} lse[${i}]`).toBe(r);
    else if (!(Math.abs(y - r) <= tol.lse * (1 + Math.abs(r)))) expect.fail(`${what} lse[${i}] = ${y}, reference ${r}`);
  }
}

/** n values uniform in [-spread, spread) from a seed, in a dtype. */
export function values(dtype: Dtype, n: number, seed: number, spread = 1): Real {
  const next = random(seed);
  const a = dtype === "f32" ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = spread * (2 * next() - 1);
  return a;
}
