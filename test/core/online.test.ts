// The online accumulator: any split of the data, pushed or merged in any grouping, gives the
// LogSumExp of the whole; normalize() gives the softmax of the whole, chunk by chunk.
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { type Dtype, data, expectLogs, expectProbabilities, random, refRow } from "./reference.js";

/** Splits x into chunks of random sizes (some empty). */
function split<T extends Float32Array | Float64Array>(x: T, seed: number, most: number): T[] {
  const next = random(seed);
  const chunks: T[] = [];
  for (let i = 0; i < x.length; ) {
    const size = Math.floor(next() * most);
    chunks.push(x.subarray(i, i + size) as T);
    i += size;
  }
  return chunks;
}

describe.each(backends)("%s online", (_name, sm) => {
  describe.each(["f32", "f64"] as Dtype[])("%s", (dtype) => {
    it.each([0.8, -1.7, 0])("any split, pushed, gives the whole's LogSumExp (beta %d)", (beta) => {
      for (const [n, most] of [
        [1, 3],
        [100, 9],
        [5000, 700],
        [50_000, 9000],
      ]) {
        const x = data(dtype, n, 40, 1e3, n);
        const ref = refRow(x, beta);
        const acc = sm.online({ beta });
        for (const chunk of split(x, n, most)) acc.push(chunk);
        expect(acc.count).toBe(n);
        expectLogs([acc.logSumExp()], [ref.lse], dtype);
        let c = x[0];
        for (const v of x) if (beta * v > beta * c) c = v;
        expect(acc.max).toBe(beta * c);
        let sum = 0;
        for (const v of x) sum += Math.exp(beta * (v - c));
        expectLogs([Math.log(acc.sum)], [Math.log(sum)], dtype);
      }
    });

    it("merging in any grouping gives the same LogSumExp, and leaves the other unchanged", () => {
      const x = data(dtype, 20_000, 60, -500, 4);
      const ref = refRow(x, 1.1);
      const chunks = split(x, 9, 3000);
      const accs = chunks.map((c) => sm.online({ beta: 1.1 }).push(c));
      const left = accs.reduce((a, b) => a.merge(b), sm.online({ beta: 1.1 }));
      expectLogs([left.logSumExp()], [ref.lse], dtype);
      const right = sm.online({ beta: 1.1 });
      for (let i = accs.length - 1; i >= 0; i--) right.merge(accs[i]);
      expectLogs([right.logSumExp()], [ref.lse], dtype);
      const before = [accs[1].logSumExp(), accs[1].count, accs[1].max, accs[1].sum];
      const tree = sm.online({ beta: 1.1 }).push(chunks[0]).merge(accs[1]);
      expect([accs[1].logSumExp(), accs[1].count, accs[1].max, accs[1].sum]).toEqual(before);
      for (let i = 2; i < chunks.length; i += 2) {
        const pair = sm.online({ beta: 1.1 }).push(chunks[i]);
        if (i + 1 < chunks.length) pair.merge(accs[i + 1]);
        tree.merge(pair);
      }
      expect(tree.count).toBe(x.length);
      expectLogs([tree.logSumExp()], [ref.lse], dtype);
    });

    it("normalize and logNormalize give the whole's softmax chunk by chunk", () => {
      const x = data(dtype, 9001, 30, 2e4, 6);
      const ref = refRow(x, 0.9);
      const acc = sm.online({ temperature: 1 / 0.9 });
      for (const chunk of split(x, 3, 2500)) acc.push(chunk);
      const p = new Float64Array(x.length);
      const logp = new Float64Array(x.length);
      let at = 0;
      for (const chunk of split(x, 11, 1234)) {
        const y = acc.normalize(chunk);
        expect(y).toBeInstanceOf(dtype === "f32" ? Float32Array : Float64Array);
        p.set(y, at);
        logp.set(acc.logNormalize(chunk), at);
        at += chunk.length;
      }
      expectProbabilities(p, ref.p, dtype);
      expectLogs(logp, ref.logp, dtype);
      const out = dtype === "f32" ? new Float32Array(10) : new Float64Array(10);
      expect(acc.normalize(x.subarray(0, 10), out)).toBe(out);
      expectProbabilities(out, ref.p.subarray(0, 10), dtype);
    });
  });

  it("chunks of mixed dtypes and number[] fold into one state (f32 chunks bring f32 accuracy)", () => {
    const a = data("f32", 300, 10, 0, 1);
    const b = data("f64", 200, 10, 0, 2);
    const c = [3.5, -2, 7];
    const all = [...a, ...b, ...c];
    const acc = sm.online().push(a).push(b).push(c);
    expectLogs([acc.logSumExp()], [refRow(all, 1).lse], "f32");
    const f64 = sm.online().push(Float64Array.from(a)).push(b).push(c);
    expectLogs([f64.logSumExp()], [refRow(all, 1).lse], "f64");
  });

  it("empty, reset, and special values", () => {
    const acc = sm.online();
    expect([acc.count, acc.max, acc.sum, acc.logSumExp()]).toEqual([0, -Infinity, 0, -Infinity]);
    acc.push(new Float32Array(0)).push([]);
    expect(acc.logSumExp()).toBe(-Infinity);
    acc.push([-Infinity, -Infinity]);
    expect([acc.count, acc.max, acc.logSumExp()]).toEqual([2, -Infinity, -Infinity]);
    expect(Array.from(acc.normalize([-Infinity]))).toEqual([0]);
    acc.push([1, 2]);
    expectLogs([acc.logSumExp()], [refRow([1, 2], 1).lse], "f64");
    acc.push([Infinity, 5, Infinity]);
    expect(acc.logSumExp()).toBe(Infinity);
    expect(acc.sum).toBe(2);
    expect(Array.from(acc.normalize([Infinity, 3]))).toEqual([0.5, 0]);
    expectLogs(acc.logNormalize([Infinity, 3]), [-Math.log(2), -Infinity], "f64");
    acc.push([NaN]);
    expect(acc.logSumExp()).toBeNaN();
    expect(Array.from(acc.normalize([1, 2])).every(Number.isNaN)).toBe(true);
    const other = sm.online().push([1, 2, 3]);
    expect(other.merge(acc).logSumExp()).toBeNaN();
    acc.reset();
    expect([acc.count, acc.max, acc.sum, acc.logSumExp()]).toEqual([0, -Infinity, 0, -Infinity]);
    expectLogs([acc.push([4, 5, 6]).logSumExp()], [refRow([4, 5, 6], 1).lse], "f64");
  });

  it("merges with accumulators of the other backends", () => {
    const x = data("f64", 3000, 20, 0, 13);
    for (const [, other] of backends) {
      const a = sm.online({ beta: -0.5 }).push(x.subarray(0, 1000));
      const b = other.online({ beta: -0.5 }).push(x.subarray(1000));
      expectLogs([a.merge(b).logSumExp()], [refRow(x, -0.5).lse], "f64");
    }
  });
});
