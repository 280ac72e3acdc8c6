// The attention arithmetic of the pure TypeScript backend: per query and head, the scores of
// the keys it sees in f64, their max, then the exps and the weighted sum of the values (the
// same rules as assembly/attention/attention.ts, without the tiling); a long key range in the
// segments of segments.ts, as the wasm backends cut it.

import type { Operand } from "../core/backend.js";
import { realArray } from "../core/memory.js";
import type { RealArray } from "../core/types.js";
import type { AttentionCall, AttentionCore } from "./layout.js";
import { SegmentMerge, segmentsOf } from "./segments.js";

export class JsAttention implements AttentionCore {
  attend(c: AttentionCall): void {
    const segments = segmentsOf(c);
    const out = realArray(c.out);
    const lse = c.lse && realArray(c.lse);
    if (segments.length === 1) {
      attendRange(c, segments[0][0], segments[0][1], c.sinks, out, lse);
      return;
    }
    const rows = c.queries * c.heads;
    const merge = new SegmentMerge(rows, c.valueDim);
    const part = new Float64Array(rows * c.valueDim);
    const partLse = new Float64Array(rows);
    segments.forEach(([start, end], i) => {
      attendRange(c, start, end, i === 0 ? c.sinks : undefined, part, partLse);
      merge.add(part, partLse);
    });
    out.set(merge.out);
    lse?.set(merge.lse);
  }
}

/** attend over the keys [start, end) with the given sinks, into out (and lse). */
function attendRange(c: AttentionCall, start: number, end: number, sinks: Float64Array | undefined, out: RealArray, lse: RealArray | undefined): void {
  const { queries, heads, kvHeads, dim, valueDim, length, offset, causal, window, scale, softcap, biasHead, alibi } = c;
  const q = realArray(c.q);
  const k = realArray(c.keys as Operand);
  const v = realArray(c.values as Operand);
  const bias = c.bias && realArray(c.bias);
  const group = heads / kvHeads;
  const scores = new Float64Array(Math.max(0, end - start));
  const acc = new Float64Array(valueDim);
  for (let i = 0; i < queries; i++) {
    const pos = offset + i;
    const hi = causal ? Math.min(end, pos + 1) : end;
    const lo = window > 0 ? Math.max(start, pos - window + 1) : start;
    for (let h = 0; h < heads; h++) {
      const g = Math.floor(h / group);
      const qo = (i * heads + h) * dim;
      const bo = h * biasHead + i * length;
      const slope = alibi ? alibi[h] : 0;
      let m = -Infinity;
      let nan = false;
      for (let j = lo; j < hi; j++) {
        const ko = (j * kvHeads + g) * dim;
        let s = 0;
        for (let d = 0; d < dim; d++) s += q[qo + d] * k[ko + d];
        s *= scale;
        if (softcap > 0) s = softcap * Math.tanh(s / softcap);
        if (bias) s += bias[bo + j];
        if (alibi) s -= slope * (pos - j);
        scores[j - lo] = s;
        if (s !== s) nan = true;
        else if (s > m) m = s;
      }
      const sink = sinks ? sinks[h] : -Infinity;
      if (sink !== sink) nan = true;
      else if (sink > m) m = sink;
      const row = i * heads + h;
      const o = row * valueDim;
      if (nan || m === -Infinity) {
        // A NaN score: NaN; no key seen and no sink: 0s, lse -Infinity (never 0/0).
        out.fill(nan ? NaN : 0, o, o + valueDim);
        if (lse) lse[row] = nan ? NaN : -Infinity;
        continue;
      }
      acc.fill(0);
      let l = sink > -Infinity ? Math.exp(sink - m) : 0;
      for (let j = lo; j < hi; j++) {
        const p = Math.exp(scores[j - lo] - m);
        l += p;
        const vo = (j * kvHeads + g) * valueDim;
        for (let d = 0; d < valueDim; d++) acc[d] += p * v[vo + d];
      }
      for (let d = 0; d < valueDim; d++) out[o + d] = acc[d] / l;
      if (lse) lse[row] = m + Math.log(l);
    }
  }
}
