// huffman against word2vec's CreateBinaryTree (reference.ts), and the hierarchical softmax on
// every backend, f32 and f64, batches: log-probabilities against word2vec's reading of the
// tree, any tree of the layout (a balanced one), probabilities over all K (rows sum to 1, each
// the exp of the log-probability), the gradients against central differences, tree-descent
// draws by chi-square against the probabilities, the errors.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { random } from "../core/reference.js";
import { halfValue, nearestHalf } from "../core/half-reference.js";
import { chiSquareTail, refPcg32 } from "../sampling/reference.js";
import { type Dtype, type RefTree, TOL, balancedTree, pathOf, refHuffman, refLogProb } from "./reference.js";

const [, js] = backends[backends.length - 1];
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

const array = (dtype: Dtype, values: ArrayLike<number>) => (dtype === "f32" ? Float32Array.from(values) : Float64Array.from(values));
function uniform(n: number, seed: number, spread: number): number[] {
  const next = random(seed);
  return Array.from({ length: n }, () => spread * (2 * next() - 1));
}
const close = (got: number, want: number, tol: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
/** Zipf-like counts with ties: what a corpus gives. */
const zipf = (K: number) => Array.from({ length: K }, (_, i) => Math.max(1, Math.floor(1000 / (i + 1))));

describe("huffman", () => {
  it("is word2vec's CreateBinaryTree: counts with ties, floats, any order", () => {
    const counts = fc.oneof(
      fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 80 }),
      fc.array(fc.integer({ min: 1, max: 1e6 }), { minLength: 2, maxLength: 300, size: "max" }),
      fc.array(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), { minLength: 2, maxLength: 50 }),
    );
    fc.assert(
      fc.property(counts, (c) => {
        const got = js.huffman(c);
        const want = refHuffman(c);
        expect(Array.from(got.lengths)).toEqual(want.lengths);
        expect(Array.from(got.codes)).toEqual(want.codes);
        expect(Array.from(got.points)).toEqual(want.points);
        // A full binary tree: Kraft's sum is exactly 1, the root is K - 2 and starts every path.
        let kraft = 0;
        for (const l of got.lengths) kraft += 2 ** -l;
        expect(kraft).toBe(1);
        let at = 0;
        for (const l of got.lengths) {
          expect(got.points[at]).toBe(c.length - 2);
          at += l;
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("gives frequent outcomes short paths, the same on every backend and for typed arrays", () => {
    const counts = zipf(500);
    const t = js.huffman(counts);
    for (let i = 1; i < counts.length; i++) expect(t.lengths[i]).toBeGreaterThanOrEqual(t.lengths[i - 1]);
    for (const [, sm] of backends) expect(sm.huffman(Float64Array.from(counts))).toEqual(t);
    expect(js.huffman(Int32Array.from(counts))).toEqual(t);
  });

  it("two outcomes: one node, the second taken (the more frequent) on bit 1", () => {
    expect(js.huffman([1, 3])).toEqual({ codes: Uint8Array.of(0, 1), points: Int32Array.of(0, 0), lengths: Int32Array.of(1, 1) });
  });

  it("refuses K < 2 and counts that are not positive and finite", () => {
    expect(() => js.huffman([3])).toThrow(RangeError);
    for (const bad of [0, -1, NaN, Infinity]) expect(() => js.huffman([1, bad, 2])).toThrow(/counts\[1\] must be positive and finite/);
    expect(() => js.huffman("abc" as never)).toThrow(TypeError);
    expect(() => js.huffman([1, "2"] as never)).toThrow(TypeError);
  });
});

/** One hierarchical-softmax case: rows x dim hidden vectors, K outcomes, a tree. */
function caseOf(K: number, rows: number, dim: number, seed: number, tree: RefTree = refHuffman(zipf(K))) {
  const h = uniform(rows * dim, seed, 1);
  const nodes = uniform((K - 1) * dim, seed + 1, 1);
  const next = random(seed + 2);
  const targets = Array.from({ length: rows }, () => Math.floor(next() * K));
  return { h, nodes, tree, targets, dim };
}

describe.each(backends)("%s", (_, sm) => {
  it("log-probabilities equal word2vec's reading of the tree (Huffman and balanced trees, f32 and f64, batches, dims around the lanes)", () => {
    for (const dtype of ["f32", "f64"] as const) {
      for (const [K, rows, dim, balanced] of [[2, 1, 1, false], [7, 3, 5, false], [100, 17, 16, false], [100, 4, 17, true], [1000, 9, 33, false], [33, 5, 64, true]] as const) {
        const c = caseOf(K, rows, dim, K + dim, balanced ? balancedTree(K) : undefined);
        // The reference reads the dtype's values (f32 inputs rounded first).
        const h = array(dtype, c.h);
        const nodes = array(dtype, c.nodes);
        const want = refLogProb(h, nodes, c.tree, c.targets, dim);
        const { logProb, grad } = sm.hierarchicalSoftmax(h, nodes, c.tree, Int32Array.from(c.targets));
        expect(logProb).toBeInstanceOf(dtype === "f32" ? Float32Array : Float64Array);
        expect(grad).toBeUndefined();
        for (let r = 0; r < rows; r++) close(logProb[r], want[r], TOL[dtype]);
      }
    }
  });

  it("takes number[] (f64), WasmArrays in place and nodes of another dtype", () => {
    const c = caseOf(50, 4, 12, 3);
    const want = refLogProb(c.h, c.nodes, c.tree, c.targets, c.dim);
    const got = sm.hierarchicalSoftmax(c.h, c.nodes, c.tree, c.targets).logProb;
    for (let r = 0; r < 4; r++) close(got[r], want[r], TOL.f64);
    const nodes = sm.alloc(c.nodes.length, "f64");
    nodes.array.set(c.nodes);
    const h = sm.alloc(c.h.length, "f64");
    h.array.set(c.h);
    const inPlace = sm.hierarchicalSoftmax(h, nodes, c.tree, c.targets, { grad: true });
    expect(Array.from(inPlace.logProb)).toEqual(Array.from(sm.hierarchicalSoftmax(c.h, c.nodes, c.tree, c.targets, { grad: true }).logProb));
    const f32 = sm.hierarchicalSoftmax(Float32Array.from(c.h), nodes, c.tree, c.targets).logProb;
    const want32 = refLogProb(Float32Array.from(c.h), Float32Array.from(c.nodes), c.tree, c.targets, c.dim);
    for (let r = 0; r < 4; r++) close(f32[r], want32[r], TOL.f32);
    nodes.free();
    h.free();
  });

  it("a matrix of another dtype (f64 or f16 nodes and weights with f32 h) gives the bits of that matrix converted first, in every function", () => {
    const halves = (values: number[]) => {
      const a = sm.alloc(values.length, "f16");
      if (a.array instanceof Uint16Array) a.array.set(values.map(nearestHalf));
      else (a.array as unknown as Float32Array).set(values.map((v) => halfValue(nearestHalf(v))));
      return a;
    };
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 300 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 1e6 }), (K, rows, dim, seed) => {
        const c = caseOf(K, rows, dim, seed);
        const h = Float32Array.from(c.h);
        const f16 = halves(c.nodes);
        for (const nodes of [Float64Array.from(c.nodes), f16]) {
          // The same values in h's dtype: what the whole conversion gave.
          const converted = Float32Array.from(nodes instanceof Float64Array ? nodes : Array.from(c.nodes, (v) => halfValue(nearestHalf(v))));
          const a = sm.hierarchicalSoftmax(h, nodes, c.tree, c.targets, { grad: true });
          const b = sm.hierarchicalSoftmax(h, converted, c.tree, c.targets, { grad: true });
          expect(a).toEqual(b);
          expect(sm.hierarchicalSoftmax.probabilities(h, nodes, c.tree)).toEqual(sm.hierarchicalSoftmax.probabilities(h, converted, c.tree));
          expect(sm.hierarchicalSoftmax.sample(h, nodes, c.tree, { seed })).toEqual(sm.hierarchicalSoftmax.sample(h, converted, c.tree, { seed }));
          // nodes as a weight matrix of K - 1 classes.
          const targets = c.targets.map((t) => t % (K - 1));
          const biases = Float32Array.from(uniform(K - 1, seed + 3, 1));
          const opts = { numSampled: Math.min(3, K - 1), seed, grad: true };
          expect(sm.sampledSoftmaxLoss(h, nodes, biases, targets, opts)).toEqual(sm.sampledSoftmaxLoss(h, converted, biases, targets, opts));
        }
        f16.free();
      }),
      { seed: SEED, numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it("f16 hidden vectors and nodes (f16 WasmArrays) are widened exactly and computed in f32", () => {
    const c = caseOf(30, 3, 8, 9);
    const bits = (values: number[]) => values.map(nearestHalf);
    const hBits = bits(c.h);
    const nBits = bits(c.nodes);
    const f16 = (b: number[]) => {
      const a = sm.alloc(b.length, "f16");
      if (a.array instanceof Uint16Array) a.array.set(b);
      else (a.array as unknown as Float32Array).set(b.map(halfValue));
      return a;
    };
    const h = f16(hBits);
    const nodes = f16(nBits);
    const want = refLogProb(hBits.map(halfValue), nBits.map(halfValue), c.tree, c.targets, c.dim);
    const { logProb } = sm.hierarchicalSoftmax(h, nodes, c.tree, c.targets);
    expect(logProb).toBeInstanceOf(Float32Array);
    for (let r = 0; r < 3; r++) close(logProb[r], want[r], TOL.f32);
    const sampled = sm.sampledSoftmaxLoss(h, nodes, new Float32Array(29), c.targets.map((t) => t % 29), { sampled: [1, 2, 3] });
    expect(sampled.loss).toBeInstanceOf(Float32Array);
    h.free();
    nodes.free();
  });

  it("the gradient of the summed log-probabilities against central differences (h and the path rows of nodes)", () => {
    const c = caseOf(40, 5, 7, 11);
    // Rows sharing targets: their path rows add up in one row of grad.nodes.
    c.targets[3] = c.targets[1];
    const f = (h: number[], nodes: number[]) => refLogProb(h, nodes, c.tree, c.targets, c.dim).reduce((a, b) => a + b, 0);
    const { grad } = sm.hierarchicalSoftmax(Float64Array.from(c.h), Float64Array.from(c.nodes), c.tree, c.targets, { grad: true });
    const eps = 1e-6;
    for (let i = 0; i < c.h.length; i++) {
      const up = c.h.slice();
      const down = c.h.slice();
      up[i] += eps;
      down[i] -= eps;
      expect(Math.abs(grad.h[i] - (f(up, c.nodes) - f(down, c.nodes)) / (2 * eps))).toBeLessThanOrEqual(1e-7);
    }
    // ids: every node on the rows' paths, ascending, once; rows off the paths have gradient 0.
    const onPaths = new Set(c.targets.flatMap((t) => pathOf(c.tree, t)[0]));
    expect(Array.from(grad.ids)).toEqual([...onPaths].sort((a, b) => a - b));
    for (let node = 0; node < 39; node++) {
      for (let d = 0; d < c.dim; d++) {
        const i = node * c.dim + d;
        const up = c.nodes.slice();
        const down = c.nodes.slice();
        up[i] += eps;
        down[i] -= eps;
        const fd = (f(c.h, up) - f(c.h, down)) / (2 * eps);
        const j = grad.ids.indexOf(node);
        const got = j < 0 ? 0 : grad.nodes[j * c.dim + d];
        expect(Math.abs(got - fd)).toBeLessThanOrEqual(1e-7);
      }
    }
    // f32: the same gradient within the dtype's accuracy.
    const g32 = sm.hierarchicalSoftmax(Float32Array.from(c.h), Float32Array.from(c.nodes), c.tree, c.targets, { grad: true }).grad;
    expect(g32.h).toBeInstanceOf(Float32Array);
    for (let i = 0; i < grad.h.length; i++) expect(Math.abs(g32.h[i] - grad.h[i])).toBeLessThanOrEqual(1e-5);
    for (let i = 0; i < grad.nodes.length; i++) expect(Math.abs(g32.nodes[i] - grad.nodes[i])).toBeLessThanOrEqual(1e-5);
  });

  it("probabilities over all K: each the exp of its log-probability, rows summing to 1", () => {
    for (const dtype of ["f32", "f64"] as const) {
      for (const balanced of [false, true]) {
        const K = 60;
        const c = caseOf(K, 3, 9, 5, balanced ? balancedTree(K) : undefined);
        const h = array(dtype, c.h);
        const nodes = array(dtype, c.nodes);
        const p = sm.hierarchicalSoftmax.probabilities(h, nodes, c.tree);
        expect(p.length).toBe(3 * K);
        for (let r = 0; r < 3; r++) {
          let sum = 0;
          for (let i = 0; i < K; i++) {
            sum += p[r * K + i];
            const [logP] = refLogProb(h.subarray(r * 9, r * 9 + 9), nodes, c.tree, [i], 9);
            close(p[r * K + i], Math.exp(logP), TOL[dtype]);
          }
          expect(Math.abs(sum - 1)).toBeLessThanOrEqual(dtype === "f32" ? 1e-5 : 1e-12);
        }
        const out = dtype === "f32" ? new Float32Array(3 * K) : new Float64Array(3 * K);
        expect(sm.hierarchicalSoftmax.probabilities(h, nodes, c.tree, { out } as never)).toBe(out);
        expect(Array.from(out)).toEqual(Array.from(p));
      }
    }
  });

  it("draws by descending the tree: chi-square against the probabilities; a seed draws the same outcome on every backend", () => {
    const K = 12;
    const dim = 6;
    const c = caseOf(K, 1, dim, 21, balancedTree(K));
    const h = Float64Array.from(c.h);
    const nodes = Float64Array.from(c.nodes);
    const p = sm.hierarchicalSoftmax.probabilities(h, nodes, c.tree);
    // A batch of the same row draws independent outcomes.
    const n = 20000;
    const batch = new Float64Array(n * dim);
    for (let r = 0; r < n; r++) batch.set(h, r * dim);
    const drawn = sm.hierarchicalSoftmax.sample(batch, nodes, c.tree, { seed: 7 });
    const counts = new Array<number>(K).fill(0);
    for (const i of drawn) counts[i]++;
    let chi = 0;
    for (let i = 0; i < K; i++) chi += (counts[i] - n * p[i]) ** 2 / (n * p[i]);
    expect(chiSquareTail(chi, K - 1)).toBeGreaterThan(1e-4);
    expect(Array.from(sm.hierarchicalSoftmax.sample(batch.subarray(0, 50 * dim), nodes, c.tree, { seed: 7 }))).toEqual(
      Array.from(js.hierarchicalSoftmax.sample(batch.subarray(0, 50 * dim), nodes, c.tree, { seed: 7 })),
    );
    // One uniform per row, the inverse CDF over the leaves in the tree's order (left branch first).
    const gen = refPcg32(7);
    for (let r = 0; r < 50; r++) {
      const u = gen.uniform();
      const order = leafOrder(c.tree, K);
      let acc = 0;
      let want = order[order.length - 1];
      for (const leaf of order) {
        if (Math.abs(acc - u) < 1e-9) break; // too close to a step to tell
        acc += p[leaf];
        if (acc > u) {
          want = leaf;
          break;
        }
      }
      if (Math.abs(acc - u) > 1e-9) expect(drawn[r]).toBe(want);
    }
  });

  it("a Huffman tree over Zipf counts: draws of a Huffman tree at K = 5000 keep the distribution (chi-square of the 20 first outcomes and the rest)", () => {
    const K = 5000;
    const dim = 8;
    const c = caseOf(K, 1, dim, 31);
    const h = Float32Array.from(c.h);
    const nodes = Float32Array.from(c.nodes);
    const p = sm.hierarchicalSoftmax.probabilities(h, nodes, c.tree);
    const n = 20000;
    const batch = new Float32Array(n * dim);
    for (let r = 0; r < n; r++) batch.set(h, r * dim);
    const drawn = sm.hierarchicalSoftmax.sample(batch, nodes, c.tree, { seed: 3 });
    // Bins: outcomes in order of probability, grouped until each holds >= 1% of the mass.
    const order = Array.from({ length: K }, (_, i) => i).sort((a, b) => p[b] - p[a]);
    const bin = new Int32Array(K);
    const mass: number[] = [0];
    for (const i of order) {
      if (mass[mass.length - 1] >= 0.01) mass.push(0);
      bin[i] = mass.length - 1;
      mass[mass.length - 1] += p[i];
    }
    const counts = new Array<number>(mass.length).fill(0);
    for (const i of drawn) counts[bin[i]]++;
    let chi = 0;
    for (let b = 0; b < mass.length; b++) chi += (counts[b] - n * mass[b]) ** 2 / (n * mass[b]);
    expect(chiSquareTail(chi, mass.length - 1)).toBeGreaterThan(1e-4);
  });

  it("refuses what is not a tree, targets out of range, shapes that do not fit, unknown options", () => {
    const c = caseOf(10, 2, 4, 1);
    const h = Float64Array.from(c.h);
    const nodes = Float64Array.from(c.nodes);
    const hs = sm.hierarchicalSoftmax;
    expect(() => hs(h, nodes, c.tree, [0, 10])).toThrow(/target\[1\] must be a class index in \[0, 10\) \(got 10\)/);
    expect(() => hs(h, nodes, c.tree, [0])).toThrow(RangeError);
    expect(() => hs(h, nodes, c.tree, Float64Array.of(0, 1) as never)).toThrow(TypeError);
    expect(() => hs(h, nodes.subarray(4), c.tree, [0, 1])).toThrow(/nodes must be \[9\]\[dim\]/);
    expect(() => hs(h.subarray(1), nodes, c.tree, [0, 1])).toThrow(/h must be \[rows\]\[dim\] with nodes's dim 4/);
    expect(() => hs(h, nodes, { ...c.tree, points: c.tree.points.map((p) => (p === 8 ? 9 : p)) }, [0, 1])).toThrow(/must be an inner node in \[0, 8\]/);
    expect(() => hs(h, nodes, { ...c.tree, codes: c.tree.codes.map(() => 2) }, [0, 1])).toThrow(/must be 0 or 1/);
    expect(() => hs(h, nodes, { ...c.tree, lengths: c.tree.lengths.map((l) => l + 1) }, [0, 1])).toThrow(/sum of tree.lengths/);
    expect(() => hs(h, nodes, null as never, [0, 1])).toThrow(TypeError);
    expect(() => hs(h, nodes, c.tree, [0, 1], { out: h } as never)).toThrow(/unknown option "out"/);
    expect(() => hs(h, nodes, c.tree, [0, 1], { grad: 1 } as never)).toThrow(/grad must be a boolean/);
    // Paths that do not form one tree: no descent.
    const twisted = { ...c.tree, codes: Uint8Array.from(c.tree.codes, () => 0) };
    expect(() => hs.sample(h, nodes, twisted, { seed: 1 })).toThrow(/leads/);
    expect(() => hs.sample(h, nodes, c.tree, { seed: 1.5 })).toThrow(RangeError);
    expect(() => hs.sample(Float64Array.of(NaN, 0, 0, 0), nodes, c.tree, { seed: 1 })).toThrow(/NaN/);
  });

  it("empty batches give empty results", () => {
    const c = caseOf(10, 1, 4, 1);
    const empty = new Float32Array(0);
    expect(sm.hierarchicalSoftmax(empty, Float32Array.from(c.nodes), c.tree, []).logProb).toEqual(new Float32Array(0));
    expect(sm.hierarchicalSoftmax.sample(empty, Float32Array.from(c.nodes), c.tree, { seed: 1 })).toEqual(new Int32Array(0));
    expect(sm.hierarchicalSoftmax.probabilities(empty, Float32Array.from(c.nodes), c.tree)).toEqual(new Float32Array(0));
  });
});

/** The leaves of a tree from left (bit 0) to right. */
function leafOrder(tree: RefTree, K: number): number[] {
  const paths = Array.from({ length: K }, (_, i) => pathOf(tree, i)[1].join(""));
  return Array.from({ length: K }, (_, i) => i).sort((a, b) => (paths[a] < paths[b] ? -1 : paths[a] > paths[b] ? 1 : 0));
}
