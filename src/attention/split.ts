// The attention kernel (assembly/attention/attention.ts) as parallel() splits one call: by kv
// heads, each part the query heads of its kv heads [g0, g1), over the same operands
// (src/core/split.ts). Key segments (segments.ts) are whole calls, run at once by wasm.ts.
//
// attend(q, k, v, out, lse, work, queries, heads, kvHeads, dim, valueDim, length, start, end,
//        offset, causal, window, scale, softcap, bias, biasHead, alibi, sinks, g0, g1)

import type { Splits } from "../core/split.js";

type WorkKernel = (queries: number, heads: number, kvHeads: number, valueDim: number, dim: number, halves: number) => number;

export const ATTENTION_SPLITS: Splits = {
  attend: {
    count: 8,
    range: [23, 24],
    // Key and value elements read: every kv head reads its rows of the range once per tile.
    cost: (a) => (a[13] - a[12]) * a[8] * (a[9] + a[10]) * Math.max(1, a[6] / 16),
    // f32_f16_attend, f64_f16_attend: room for a block of keys and values widened (halves).
    work: [5, (a, _dtype, exports, name) => (exports.attendwork as WorkKernel)(a[6], a[7], a[8], a[10], a[9], name.includes("_f16_") ? 1 : 0)],
  },
};
