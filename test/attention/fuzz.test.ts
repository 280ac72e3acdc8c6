// Property-based checks (fast-check) of attend and mergeAttention against the float64
// reference (test/attention/reference.ts), on every backend: random head mappings, dims,
// lengths, key ranges and every option, q and keys/values in either dtype, masked runs in the
// bias; any split of the keys merged equals the whole; a constant added to every score moves
// lse by it and leaves the output.
//
// `npm test` runs a bounded number of cases from a fixed seed (FUZZ_SEED, FUZZ_RUNS override).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { type Dtype, type RefOptions, TOL, attentionRef, expectAttention, values } from "./reference.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

const dtypeArb = fc.constantFrom<Dtype>("f32", "f64");

/** A call: shapes, options, dtypes and a seed for the data. */
const callArb = fc
  .record({
    kvHeads: fc.integer({ min: 1, max: 3 }),
    group: fc.constantFrom(1, 2, 3, 4, 8),
    dim: fc.integer({ min: 1, max: 20 }),
    valueDim: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
    queries: fc.integer({ min: 1, max: 6 }),
    capacity: fc.integer({ min: 0, max: 110 }),
    spare: fc.integer({ min: 0, max: 5 }),
    cut: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
    useRange: fc.boolean(),
    scale: fc.option(fc.double({ min: -3, max: 3, noNaN: true }), { nil: undefined }),
    softcap: fc.option(fc.double({ min: 0.1, max: 50, noNaN: true }), { nil: undefined }),
    causal: fc.boolean(),
    window: fc.option(fc.integer({ min: 1, max: 80 }), { nil: undefined }),
    bias: fc.constantFrom("none", "shared", "per-head"),
    maskEvery: fc.integer({ min: 0, max: 4 }),
    alibi: fc.boolean(),
    sinks: fc.boolean(),
    spread: fc.constantFrom(0.1, 1, 4, 20),
    qd: dtypeArb,
    kd: dtypeArb,
    seed: fc.integer({ min: 0, max: 1 << 30 }),
  })
  .map((c) => {
    const heads = c.kvHeads * c.group;
    const length = c.capacity - Math.min(c.spare, c.capacity);
    const a = Math.min(length, Math.floor(c.cut[0] * (length + 1)));
    const b = Math.min(length, Math.floor(c.cut[1] * (length + 1)));
    const opts: RefOptions = { heads, kvHeads: c.kvHeads, dim: c.dim, length };
    if (c.valueDim !== undefined) opts.valueDim = c.valueDim;
    if (c.useRange) opts.range = [Math.min(a, b), Math.max(a, b)];
    if (c.scale !== undefined) opts.scale = c.scale;
    if (c.softcap !== undefined) opts.softcap = c.softcap;
    if (c.causal) opts.causal = true;
    if (c.window !== undefined) opts.window = c.window;
    if (c.bias !== "none") {
      const n = (c.bias === "per-head" ? heads : 1) * c.queries * length;
      const bias = values(c.qd, n, c.seed + 3, 3);
      if (c.maskEvery > 0) for (let i = 0; i < n; i += c.maskEvery + 1) bias[i] = -Infinity;
      opts.bias = bias;
    }
    if (c.alibi) opts.alibi = Array.from(values("f64", heads, c.seed + 4, 0.5));
    if (c.sinks) opts.sinks = Array.from(values("f64", heads, c.seed + 5, 3));
    const valueDim = opts.valueDim ?? c.dim;
    return {
      opts,
      qd: c.qd,
      q: values(c.qd, c.queries * heads * c.dim, c.seed, c.spread),
      k: values(c.kd, c.capacity * c.kvHeads * c.dim, c.seed + 1, c.spread),
      v: values(c.kd, c.capacity * c.kvHeads * valueDim, c.seed + 2, 2),
    };
  });

describe.each(backends)("attention properties on %s", (_name, kernels) => {
  it("attend equals the float64 reference for any shape and options", () => {
    fc.assert(
      fc.property(callArb, ({ opts, qd, q, k, v }) => {
        const got = kernels.attend(q, k, v, { ...opts, lse: true });
        expectAttention(got, attentionRef(q, k, v, opts), v, qd);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("any split of the keys, merged in any order, equals the whole", () => {
    fc.assert(
      fc.property(callArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }), fc.boolean(), ({ opts, qd, q, k, v }, cuts, fromRight) => {
        const [start, end] = opts.range ?? [0, opts.length as number];
        const edges = [start, ...cuts.map((c) => start + Math.floor(c * (end - start))).sort((x, y) => x - y), end];
        const { sinks, ...rest } = opts;
        const parts = edges.slice(1).map((e, p) => kernels.attend(q, k, v, { ...rest, sinks: p === 0 ? sinks : undefined, range: [edges[p], e], lse: true }));
        const order = fromRight ? parts.reverse() : parts;
        const m = { heads: opts.heads as number, valueDim: opts.valueDim ?? opts.dim };
        let merged = order[0];
        for (const part of order.slice(1)) merged = fromRight ? kernels.mergeAttention(part, merged, m) : kernels.mergeAttention(merged, part, m);
        expectAttention(merged, attentionRef(q, k, v, opts), v, qd);
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });

  it("a constant added to every score moves lse by it and leaves the output", () => {
    fc.assert(
      fc.property(callArb, fc.integer({ min: -20, max: 20 }), ({ opts, qd, q, k, v }, shift) => {
        const queries = q.length / ((opts.heads as number) * opts.dim);
        const n = queries * (opts.length as number);
        const base = opts.bias ? Float64Array.from(opts.bias).subarray(0, n) : new Float64Array(n);
        const bias = (qd === "f32" ? Float32Array : Float64Array).from(base);
        const moved = bias.map((b) => b + shift);
        const a = kernels.attend(q, k, v, { ...opts, sinks: undefined, bias, lse: true });
        const b = kernels.attend(q, k, v, { ...opts, sinks: undefined, bias: moved, lse: true });
        let s = 0;
        for (const x of v) s = Math.max(s, Math.abs(x));
        // Both within the bound of docs/attention.md (test/attention/reference.ts, TOL), so within twice it of each other.
        for (let i = 0; i < a.out.length; i++) expect(Math.abs(a.out[i] - b.out[i])).toBeLessThanOrEqual(2 * TOL[qd].out * s);
        for (let i = 0; i < a.lse.length; i++) {
          if (a.lse[i] === -Infinity) expect(b.lse[i]).toBe(-Infinity);
          else expect(Math.abs(b.lse[i] - (a.lse[i] + shift))).toBeLessThanOrEqual(4 * TOL[qd].lse * (1 + Math.abs(a.lse[i]) + Math.abs(shift)));
        }
      }),
      { seed: SEED + 2, numRuns: RUNS },
    );
  });
});
