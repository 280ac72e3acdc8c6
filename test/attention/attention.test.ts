// attend and mergeAttention against the float64 reference (test/attention/reference.ts) on
// every backend: head mappings (MHA, GQA, MQA), dims that are not multiples of a vector, key
// lengths and query counts across the kernels' block and tile boundaries, ranges across
// segments, every option alone
// and together, dtypes of q and of keys/values apart, masked keys never read, queries that see
// no key, NaN scores, merges of split ranges, a key/value cache in WasmArrays, and the errors.
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { type Dtype, type Real, type RefOptions, attentionRef, expectAttention, values } from "./reference.js";
import { KEY_BLOCK, TILE_ROWS } from "../../dist/attention/layout.js";
import { SEGMENT_KEYS } from "../../dist/attention/segments.js";

const dtypes: Dtype[] = ["f32", "f64"];

interface Case {
  q: Real;
  k: Real;
  v: Real;
  opts: RefOptions;
}

/** A case of `queries` queries over `capacity` key rows, q in qd and keys/values in kd. */
function makeCase(queries: number, capacity: number, o: RefOptions, qd: Dtype, kd: Dtype, seed: number): Case {
  const heads = o.heads ?? 1;
  const kvHeads = o.kvHeads ?? heads;
  const valueDim = o.valueDim ?? o.dim;
  return {
    q: values(qd, queries * heads * o.dim, seed, 2),
    k: values(kd, capacity * kvHeads * o.dim, seed + 1, 2),
    v: values(kd, capacity * kvHeads * valueDim, seed + 2, 3),
    opts: o,
  };
}

describe.each(backends)("attend on %s", (_name, kernels) => {
  describe.each(dtypes)("q %s", (dtype) => {
    it("MHA, GQA and MQA head mappings, dims 1 to 17, valueDim apart from dim", () => {
      const shapes = [
        [1, 1], [4, 4], [4, 2], [6, 3], [8, 2], [4, 1], [12, 1],
      ];
      let seed = 1;
      for (const [heads, kvHeads] of shapes) {
        for (const dim of [1, 3, 4, 5, 7, 8, 9, 16, 17]) {
          for (const valueDim of [dim, 1, 6, 19]) {
            const c = makeCase(2, 37, { heads, kvHeads, dim, valueDim }, dtype, dtype, seed++);
            const got = kernels.attend(c.q, c.k, c.v, { ...c.opts, lse: true });
            expect(got.out).toBeInstanceOf(dtype === "f32" ? Float32Array : Float64Array);
            expectAttention(got, attentionRef(c.q, c.k, c.v, c.opts), c.v, dtype, `${heads}/${kvHeads} dim ${dim} valueDim ${valueDim}`);
          }
        }
      }
    });

    it("key lengths and query counts across every block and tile boundary", () => {
      const B = KEY_BLOCK;
      const lengths = [0, 1, 2, B - 1, B, B + 1, 2 * B - 1, 2 * B, 2 * B + 1, 3 * B + 5];
      let seed = 100;
      for (const [heads, kvHeads] of [[2, 2], [8, 2], [TILE_ROWS * 2, 1]]) {
        const group = heads / kvHeads;
        const tq = Math.max(1, Math.floor(TILE_ROWS / group));
        for (const queries of [1, tq - 1, tq, tq + 1, 2 * tq + 1].filter((n) => n >= 1)) {
          for (const length of lengths) {
            for (const causal of [false, true]) {
              const c = makeCase(queries, length, { heads, kvHeads, dim: 5, causal }, dtype, dtype, seed++);
              const got = kernels.attend(c.q, c.k, c.v, { ...c.opts, lse: true });
              expectAttention(got, attentionRef(c.q, c.k, c.v, c.opts), c.v, dtype, `${heads}/${kvHeads} queries ${queries} length ${length} causal ${causal}`);
            }
          }
        }
      }
    });

    it("ranges longer than a segment (SEGMENT_KEYS keys, merged in order) with every option", () => {
      const S = SEGMENT_KEYS;
      let seed = 400;
      for (const length of [S + 1, 2 * S + 3]) {
        const queries = 2;
        const bias = values("f64", queries * length, seed, 2);
        const options: RefOptions[] = [
          {} as RefOptions,
          { causal: true, sinks: [0.5, -1, 3, 40] },
          { window: 100, causal: true },
          { window: S + 50, alibi: [0.001, 0.01, 0.002, 0] },
          { softcap: 5, scale: 3, bias },
          { range: [100, length - 50] as [number, number], sinks: [-Infinity, 2, 1, 0] },
          { range: [S - 5, length] as [number, number], causal: true, window: S },
        ];
        options.forEach((o, i) => {
          // MQA and GQA; a bias of one head, sinks and slopes of the first heads.
          const [heads, kvHeads] = i % 2 === 0 ? [2, 1] : [4, 2];
          const perHead = { sinks: o.sinks && Array.from(o.sinks).slice(0, heads), alibi: o.alibi && Array.from(o.alibi).slice(0, heads) };
          const c = makeCase(queries, length, { heads, kvHeads, dim: 5, ...o, ...perHead }, dtype, dtype, seed++);
          const got = kernels.attend(c.q, c.k, c.v, { ...c.opts, lse: true });
          expectAttention(got, attentionRef(c.q, c.k, c.v, c.opts), c.v, dtype, `${heads}/${kvHeads} length ${length} ${JSON.stringify(o).slice(0, 80)}`);
        });
      }
    }, 120_000);

    it("every option alone", () => {
      const base = { heads: 4, kvHeads: 2, dim: 6 };
      const queries = 5;
      const capacity = 2 * KEY_BLOCK + 3;
      const bias = values("f64", queries * capacity, 7, 2);
      const headBias = values("f64", 4 * queries * capacity, 8, 2);
      const masked = Array.from(bias, (b, i) => (i % 3 === 0 ? -Infinity : b));
      const options: RefOptions[] = [
        {} as RefOptions,
        { scale: 0.37 },
        { scale: -1.5 },
        { softcap: 0.8 },
        { softcap: 30 },
        { softcap: 0.5, scale: 12 },
        { causal: true },
        { window: 1 },
        { window: 9 },
        { causal: true, window: 9 },
        { bias },
        { bias: headBias },
        { bias: masked },
        { alibi: [0.5, 0.25, 0.125, 0.0625] },
        { sinks: [0, 2, -1, 10] },
        { sinks: [-Infinity, -Infinity, 1, -Infinity] },
        { range: [3, 40] },
        { range: [KEY_BLOCK, KEY_BLOCK + 1] },
        { range: [0, capacity] },
        { length: 40 },
        { length: 40, range: [10, 20] },
      ].map((o) => ({ ...base, ...o }) as RefOptions);
      let seed = 300;
      for (const opts of options) {
        for (const kd of dtypes) {
          const c = makeCase(queries, capacity, opts, dtype, kd, seed++);
          const given = { ...opts } as Record<string, unknown>;
          if (opts.bias) given.bias = dtype === "f32" ? Float32Array.from(opts.bias) : Float64Array.from(opts.bias);
          const got = kernels.attend(c.q, c.k, c.v, { ...given, dim: opts.dim, lse: true });
          // The bias as the kernels read it: in q's dtype.
          const ref = attentionRef(c.q, c.k, c.v, { ...opts, bias: given.bias as Real | undefined });
          expectAttention(got, ref, c.v, dtype, `${JSON.stringify({ ...opts, bias: opts.bias?.length })} keys ${kd}`);
        }
      }
    });

    it("scores of any size: within the bound where f32 scores alone would not be", () => {
      // Every key near one direction and each query along it, a times over: scores near 2.7a
      // (up to about 270) that differ by a few units, so that many keys weigh alike; an f32
      // score carries its own rounding, |s|*2^-24, past the bound from about 60.
      let seed = 300;
      for (const [heads, kvHeads] of [[8, 2], [3, 1]]) {
        const dim = 64;
        const length = 2 * KEY_BLOCK + 3;
        const base = values("f64", kvHeads * dim, seed++);
        const noise = values("f64", length * kvHeads * dim, seed++, 0.1);
        const k = (dtype === "f32" ? Float32Array : Float64Array).from(noise, (x, i) => base[i % (kvHeads * dim)] + x);
        const v = values(dtype, length * kvHeads * dim, seed++);
        // f64 up to a = 30: past it the f64 scores' own rounding (and the reference's) reaches
        // the f64 bound (1.03x at a = 100 on one element).
        for (const a of dtype === "f32" ? [1, 10, 30, 100] : [1, 10, 30]) {
          const jitter = values("f64", 2 * heads * dim, seed++, 0.01);
          const q = (dtype === "f32" ? Float32Array : Float64Array).from(jitter, (x, i) => {
            const g = Math.floor((Math.floor(i / dim) % heads) / (heads / kvHeads));
            return a * base[g * dim + (i % dim)] + x;
          });
          for (const opts of [{ heads, kvHeads, dim }, { heads, kvHeads, dim, causal: true, bias: values(dtype, 2 * length, seed++) }]) {
            const got = kernels.attend(q, k, v, { ...opts, lse: true });
            expectAttention(got, attentionRef(q, k, v, opts), v, dtype, `${heads}/${kvHeads} a ${a}`);
          }
        }
      }
    });

    it("every option together, over a cache with room to spare", () => {
      const heads = 6;
      const queries = 7;
      const length = 3 * KEY_BLOCK + 11;
      const capacity = length + 20;
      let seed = 500;
      for (const kvHeads of [6, 3, 1]) {
        for (const kd of dtypes) {
          const opts: RefOptions = {
            heads, kvHeads, dim: 9, valueDim: 5, length, range: [4, length - 2], scale: 0.4, softcap: 4, causal: true, window: 50,
            bias: values(dtype, heads * queries * length, seed, 1), alibi: [0.1, 0.2, 0.05, 0, 0.3, 0.01], sinks: [1, -2, 0, 3, -Infinity, 0.5],
          };
          const c = makeCase(queries, capacity, opts, dtype, kd, seed++);
          const got = kernels.attend(c.q, c.k, c.v, { ...opts, lse: true });
          expectAttention(got, attentionRef(c.q, c.k, c.v, opts), c.v, dtype, `kvHeads ${kvHeads} keys ${kd}`);
        }
      }
    });

    it("keys and values of different dtypes, number[] inputs", () => {
      const opts = { heads: 2, kvHeads: 1, dim: 7 };
      const c = makeCase(3, 45, opts, dtype, "f32", 600);
      const v64 = values("f64", c.v.length, 601, 3);
      const got = kernels.attend(c.q, c.k, v64, { ...opts, lse: true });
      expectAttention(got, attentionRef(c.q, c.k, v64, opts), v64, dtype, "f32 keys, f64 values");
      const plain = kernels.attend(Array.from(c.q), Array.from(c.k), Array.from(c.v), opts);
      expect(plain).toBeInstanceOf(Float64Array);
      expectAttention({ out: plain }, attentionRef(c.q, c.k, c.v, opts), c.v, "f64", "number[]");
    });

    it("keys outside the range, the length, the causal limit and the window are never read", () => {
      const queries = 4;
      const capacity = 90;
      const length = 80;
      const opts = { heads: 2, dim: 5, length, range: [10, 75] as [number, number], causal: true, window: 30 };
      const c = makeCase(queries, capacity, opts, dtype, dtype, 700);
      const clean = kernels.attend(c.q, c.k, c.v, { ...opts, lse: true });
      expectAttention(clean, attentionRef(c.q, c.k, c.v, opts), c.v, dtype);
      // Poison every key and value row that no query sees: [0, 10) (range and window), [73, 90)
      // (causal limit of the last query at position 79 is 79, but range ends at 75; length 80).
      const k = c.k.slice();
      const v = c.v.slice();
      const firstSeen = length - queries - 30 + 1;
      for (let j = 0; j < capacity; j++) {
        if (j >= Math.max(10, firstSeen) && j < 75) continue;
        k.fill(NaN, j * 2 * 5, (j + 1) * 2 * 5);
        v.fill(Infinity, j * 2 * 5, (j + 1) * 2 * 5);
      }
      const poisoned = kernels.attend(c.q, k, v, { ...opts, lse: true });
      expect(Array.from(poisoned.out)).toEqual(Array.from(clean.out));
      expect(Array.from(poisoned.lse)).toEqual(Array.from(clean.lse));
    });

    it("a query that sees no key gets 0s and lse -Infinity; with sinks, 0s and lse the sink", () => {
      const opts = { heads: 3, kvHeads: 1, dim: 5 };
      // 6 queries over 4 keys, causal: the first two queries sit at negative positions.
      const c = makeCase(6, 4, opts, dtype, dtype, 800);
      const got = kernels.attend(c.q, c.k, c.v, { ...opts, causal: true, lse: true });
      expect(Array.from(got.out.subarray(0, 2 * 3 * 5))).toEqual(new Array(30).fill(0));
      expect(Array.from(got.lse.subarray(0, 6))).toEqual(new Array(6).fill(-Infinity));
      expectAttention(got, attentionRef(c.q, c.k, c.v, { ...opts, causal: true }), c.v, dtype);
      const sinks = [0.5, -3, 2];
      const withSinks = kernels.attend(c.q, c.k, c.v, { ...opts, causal: true, sinks, lse: true });
      expect(Array.from(withSinks.out.subarray(0, 30))).toEqual(new Array(30).fill(0));
      expect(Array.from(withSinks.lse.subarray(0, 6))).toEqual([...sinks, ...sinks].map((s) => (dtype === "f32" ? Math.fround(s) : s)));
      expectAttention(withSinks, attentionRef(c.q, c.k, c.v, { ...opts, causal: true, sinks }), c.v, dtype);
      for (const more of [{ range: [2, 2] as [number, number] }, { bias: new Float64Array(6 * 4).fill(-Infinity) }, { length: 0 }]) {
        const none = kernels.attend(c.q, c.k, c.v, { ...opts, ...more, lse: true });
        expect(Array.from(none.out)).toEqual(new Array(6 * 3 * 5).fill(0));
        expect(Array.from(none.lse)).toEqual(new Array(18).fill(-Infinity));
      }
    });

    it("a NaN score makes that query's output NaN, and only that query's", () => {
      const opts = { heads: 2, kvHeads: 1, dim: 3 };
      const c = makeCase(3, 50, opts, dtype, dtype, 900);
      const q = c.q.slice();
      q[1 * 2 * 3 + 3] = NaN; // query 1, head 1
      const got = kernels.attend(q, c.k, c.v, { ...opts, lse: true });
      const ref = attentionRef(q, c.k, c.v, opts);
      expectAttention(got, ref, c.v, dtype);
      expect(got.out.subarray(9, 12).every(Number.isNaN)).toBe(true);
      expect(got.lse[3]).toBeNaN();
      expect(Number.isFinite(got.lse[2])).toBe(true);
      // A NaN key seen by the last queries only (causal): the first query stays finite.
      const k = c.k.slice();
      k[49 * 3] = NaN;
      const causal = kernels.attend(c.q, k, c.v, { ...opts, causal: true, lse: true });
      expectAttention(causal, attentionRef(c.q, k, c.v, { ...opts, causal: true }), c.v, dtype);
      expect(causal.out.subarray(0, 2 * 2 * 3).every(Number.isFinite)).toBe(true);
      expect(causal.out.subarray(2 * 2 * 3).every(Number.isNaN)).toBe(true);
    });

    it("out and lse given: written and returned, typed arrays and WasmArrays", () => {
      const opts = { heads: 2, dim: 4, valueDim: 3 };
      const c = makeCase(2, 20, opts, dtype, dtype, 1000);
      const ref = attentionRef(c.q, c.k, c.v, opts);
      const out = dtype === "f32" ? new Float32Array(12) : new Float64Array(12);
      const lse = dtype === "f32" ? new Float32Array(4) : new Float64Array(4);
      const got = kernels.attend(c.q, c.k, c.v, { ...opts, out, lse });
      expect(got.out).toBe(out);
      expect(got.lse).toBe(lse);
      expectAttention({ out, lse }, ref, c.v, dtype);
      expect(kernels.attend(c.q, c.k, c.v, { ...opts, out })).toBe(out);
      const wout = kernels.alloc(12, dtype);
      const wlse = kernels.alloc(4, dtype);
      const w = kernels.attend(c.q, c.k, c.v, { ...opts, out: wout, lse: wlse });
      expect(w.out).toBe(wout);
      expectAttention({ out: wout.array, lse: wlse.array }, ref, c.v, dtype);
      wout.free();
      wlse.free();
    });

    it("merges of any split of the keys equal the whole, sinks given to one part", () => {
      const opts = { heads: 4, kvHeads: 2, dim: 6, causal: true, alibi: [0.1, 0.2, 0.3, 0.4] };
      const length = 2 * KEY_BLOCK + 9;
      const c = makeCase(3, length, opts, dtype, dtype, 1100);
      const sinks = [1, 0, -1, 2];
      const whole = kernels.attend(c.q, c.k, c.v, { ...opts, sinks, lse: true });
      expectAttention(whole, attentionRef(c.q, c.k, c.v, { ...opts, sinks }), c.v, dtype);
      const m = { heads: 4, valueDim: 6 };
      for (const cuts of [[0], [length], [1], [KEY_BLOCK], [10, 40], [5, 6, 7, length - 1], [0, 0, length]]) {
        const edges = [0, ...cuts, length];
        const parts = edges.slice(1).map((end, p) =>
          kernels.attend(c.q, c.k, c.v, { ...opts, range: [edges[p], end], sinks: p === 0 ? sinks : undefined, lse: true }),
        );
        let left = parts[0];
        for (const part of parts.slice(1)) left = kernels.mergeAttention(left, part, m);
        expectAttention(left, attentionRef(c.q, c.k, c.v, { ...opts, sinks }), c.v, dtype, `left fold of ${cuts}`);
        let right = parts[parts.length - 1];
        for (const part of parts.slice(0, -1).reverse()) right = kernels.mergeAttention(part, right, m);
        expectAttention(right, attentionRef(c.q, c.k, c.v, { ...opts, sinks }), c.v, dtype, `right fold of ${cuts}`);
      }
    });

    it("mergeAttention: parts with lse -Infinity add nothing, in place into a, NaN stays", () => {
      const a = { out: Float64Array.from([1, 2, 3, 4]), lse: Float64Array.from([0.5, -Infinity]) };
      const b = { out: Float64Array.from([NaN, Infinity, 5, 6]), lse: Float64Array.from([-Infinity, -Infinity]) };
      const merged = kernels.mergeAttention(a, b, { heads: 1, valueDim: 2 });
      expect(Array.from(merged.out)).toEqual([1, 2, 0, 0]);
      expect(Array.from(merged.lse)).toEqual([0.5, -Infinity]);
      const c = { out: Float32Array.from([1, 3]), lse: Float32Array.from([Math.log(3)]) };
      const d = { out: Float32Array.from([3, 1]), lse: Float32Array.from([Math.log(1)]) };
      const into = kernels.mergeAttention(c, d, { heads: 1, valueDim: 2, out: c.out, lse: c.lse });
      expect(into.out).toBe(c.out);
      expect(Array.from(c.out)).toEqual([1.5, 2.5]);
      expect(c.lse[0]).toBeCloseTo(Math.log(4), 6);
      const n = kernels.mergeAttention({ out: [1], lse: [NaN] }, { out: [2], lse: [0] }, { heads: 1, valueDim: 1 });
      expect(n.out[0]).toBeNaN();
      expect(n.lse[0]).toBeNaN();
    });

    it("a decode loop over a key/value cache in WasmArrays, rows appended in place", () => {
      const heads = 4;
      const kvHeads = 2;
      const dim = 8;
      const capacity = 70;
      using keys = kernels.alloc(capacity * kvHeads * dim, dtype);
      using vals = kernels.alloc(capacity * kvHeads * dim, dtype);
      const k = values(dtype, capacity * kvHeads * dim, 1200, 2);
      const v = values(dtype, capacity * kvHeads * dim, 1201, 3);
      const q = values(dtype, capacity * heads * dim, 1202, 2);
      using out = kernels.alloc(heads * dim, dtype);
      for (let t = 0; t < capacity; t++) {
        keys.array.set(k.subarray(t * kvHeads * dim, (t + 1) * kvHeads * dim), t * kvHeads * dim);
        vals.array.set(v.subarray(t * kvHeads * dim, (t + 1) * kvHeads * dim), t * kvHeads * dim);
        const qt = q.subarray(t * heads * dim, (t + 1) * heads * dim);
        kernels.attend(qt, keys, vals, { heads, kvHeads, dim, length: t + 1, out });
        const ref = attentionRef(qt, k.subarray(0, (t + 1) * kvHeads * dim), v.subarray(0, (t + 1) * kvHeads * dim), { heads, kvHeads, dim });
        expectAttention({ out: out.array }, ref, v, dtype, `step ${t}`);
      }
    });
  });

  it("errors name the option and the value, and change nothing", () => {
    const q = new Float32Array(8);
    const k = new Float32Array(12);
    const v = new Float32Array(12);
    const out = new Float32Array(8).fill(7);
    const call = (opts: object) => () => kernels.attend(q, k, v, { dim: 4, out, ...opts } as never);
    expect(call({ dim: undefined })).toThrow(TypeError);
    expect(call({ dim: undefined })).toThrow(/dim is required/);
    expect(call({ dim: 0 })).toThrow(/dim must be a positive integer \(got 0\)/);
    expect(call({ dim: 3 })).toThrow(/q must be \[queries\]\[heads\]\[dim\].*got length 8 for heads\*dim 3/);
    expect(call({ heads: 2, kvHeads: 3 })).toThrow(/kvHeads must divide heads \(got kvHeads 3 for heads 2\)/);
    expect(call({ heads: 1.5 })).toThrow(RangeError);
    expect(call({ valueDim: 5 })).toThrow(/values must be \[capacity\]\[kvHeads\]\[valueDim\]/);
    expect(call({ length: 4 })).toThrow(/length must be an integer in \[0, 3\].*got 4/);
    expect(call({ range: [2, 1] })).toThrow(/range must be integers with 0 <= start <= end <= length 3 \(got \[2, 1\]\)/);
    expect(call({ range: [0] })).toThrow(TypeError);
    expect(call({ scale: NaN })).toThrow(/scale must be finite \(got NaN\)/);
    expect(call({ softcap: 0 })).toThrow(/softcap must be finite and > 0 \(got 0\)/);
    expect(call({ causal: 1 })).toThrow(/causal must be a boolean \(got the number 1\)/);
    expect(call({ window: 0 })).toThrow(/window must be a positive integer \(got 0\)/);
    expect(call({ bias: [1, 2] })).toThrow(/bias must be \[queries\]\[length\] or \[heads\]\[queries\]\[length\]/);
    expect(call({ alibi: [1, 2] })).toThrow(/alibi must have one value per query head \(got length 2 for 1 heads\)/);
    expect(call({ sinks: "x" })).toThrow(/sinks must be a Float32Array/);
    expect(call({ out: new Float64Array(8) })).toThrow(/out must have the output dtype f32/);
    expect(call({ out: new Float32Array(7) })).toThrow(/out must have \[queries\]\[heads\]\[valueDim\] elements \(got length 7 for 8\)/);
    expect(call({ lse: new Float32Array(3) })).toThrow(/lse must have one element per query and head \(got length 3 for 2\)/);
    expect(call({ mask: true })).toThrow(/unknown option "mask"/);
    expect(() => kernels.attend(q, k, v, { dim: 4, out: q })).toThrow(/out must not overlap q/);
    // Any shared byte, not only the same array: views of one buffer (WasmArrays: of one memory).
    const buffer = new Float32Array(64);
    const qv = buffer.subarray(0, 8);
    expect(() => kernels.attend(qv, k, v, { dim: 4, out: buffer.subarray(4, 12) })).toThrow(/out must not overlap q/);
    expect(() => kernels.attend(q, buffer.subarray(16, 28), v, { dim: 4, out: buffer.subarray(20, 28) })).toThrow(/out must not overlap keys/);
    expect(() => kernels.attend(q, k, buffer.subarray(30, 42), { dim: 4, lse: buffer.subarray(40, 42) })).toThrow(/lse must not overlap values/);
    expect(() => kernels.attend(q, k, v, { dim: 4, out: buffer.subarray(1, 9), lse: buffer.subarray(0, 2) })).toThrow(/out and lse must not overlap/);
    using wq = kernels.alloc(8);
    expect(() => kernels.attend(wq, k, v, { dim: 4, out: wq })).toThrow(/out must not overlap q/);
    const beside = buffer.subarray(8, 16);
    expect(kernels.attend(qv, k, v, { dim: 4, out: beside })).toBe(beside); // adjacent, not overlapping
    expect(() => kernels.attend(q, k, v, undefined as never)).toThrow(/attend options must be an object/);
    expect(() => kernels.attend("q" as never, k, v, { dim: 4 })).toThrow(/q must be a Float32Array/);
    expect(Array.from(out)).toEqual(new Array(8).fill(7));
    expect(() => kernels.mergeAttention({ out: [1] } as never, { out: [1], lse: [0] }, { heads: 1, valueDim: 1 })).toThrow(/a must be an attend result/);
    expect(() => kernels.mergeAttention({ out: [1, 2], lse: [0] }, { out: [1], lse: [0] }, { heads: 1, valueDim: 2 })).toThrow(/b.out must have a.out's length/);
    expect(() => kernels.mergeAttention({ out: [1], lse: [0] }, { out: [1], lse: [0] }, { heads: 1 } as never)).toThrow(/valueDim is required/);
    // Still working after the errors.
    expect(kernels.attend(q, k, v, { dim: 4 }).length).toBe(8);
  });

  it("repeating a call does not grow the memory", () => {
    const q = values("f32", 4 * 64, 1300);
    const k = values("f32", 300 * 2 * 64, 1301);
    const v = values("f32", 300 * 2 * 64, 1302);
    const opts = { heads: 4, kvHeads: 2, dim: 64 };
    kernels.attend(q, k, v, opts);
    using probe = kernels.alloc(1);
    const before = probe.array.buffer.byteLength;
    for (let i = 0; i < 5; i++) kernels.attend(q, k, v, opts);
    expect(probe.array.buffer.byteLength).toBe(before);
  });
});
