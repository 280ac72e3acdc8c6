// Pay for what you use (docs/core.md, Loading): softmax-wasm/core has the core functions only,
// families come in `with`, every module of one instance shares one memory, `build` picks a
// build of every module, `sources` names a family's module, and initSync reads the bundled
// family modules where the runtime can read files.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import * as core from "../../dist/core-node.js";
import * as everything from "../../dist/node.js";
import { attention } from "../../dist/attention.js";
import { loss } from "../../dist/loss.js";
import { sampling } from "../../dist/sampling.js";
import { sparse } from "../../dist/sparse.js";
import { vocab } from "../../dist/vocab.js";

const dist = new URL("../../dist/", import.meta.url);
const bytes = (file: string) => readFileSync(new URL(file, dist));
const CORE = ["alloc", "backend", "logSoftmax", "logSumExp", "online", "softmax"];
const SAMPLING = ["argmax", "distribution", "gumbelSoftmax", "sample", "sampler", "topK"];
const LOSS = ["crossEntropy", "jacobian", "logProbs", "logSoftmaxBackward", "softmaxBackward"];
const SPARSE = ["entmax", "entmaxBackward", "entmaxLoss", "sparsemax", "sparsemaxBackward", "sparsemaxLoss"];
const ATTENTION = ["attend", "mergeAttention"];
const VOCAB = ["hierarchicalSoftmax", "huffman", "sampledSoftmaxLoss"];

describe("softmax-wasm/core", () => {
  it("has the core functions only, on js and on the wasm builds", async () => {
    expect(Object.keys(core.js).sort()).toEqual(CORE);
    const sm = await core.init();
    expect(Object.keys(sm).sort()).toEqual(CORE);
    expect(sm.backend).toMatch(/^wasm/);
    const p = sm.softmax(new Float64Array([0, Math.log(3)]));
    expect(p[0]).toBeCloseTo(0.25, 14);
    expect(p[1]).toBeCloseTo(0.75, 14);
  });

  it("adds the families given in with, and only those", async () => {
    const withSampling = await core.init({ with: [sampling] });
    expect(Object.keys(withSampling).sort()).toEqual([...CORE, ...SAMPLING].sort());
    const both = await core.init({ with: [sampling, loss] });
    expect(Object.keys(both).sort()).toEqual([...CORE, ...SAMPLING, ...LOSS].sort());
    const js = await core.init({ build: "js", with: [loss] });
    expect(js.backend).toBe("js");
    expect(Object.keys(js).sort()).toEqual([...CORE, ...LOSS].sort());
    const withSparse = await core.init({ with: [sparse] });
    expect(Object.keys(withSparse).sort()).toEqual([...CORE, ...SPARSE].sort());
    const withAttention = await core.init({ with: [attention] });
    expect(Object.keys(withAttention).sort()).toEqual([...CORE, ...ATTENTION].sort());
    const withVocab = await core.init({ with: [vocab] });
    expect(Object.keys(withVocab).sort()).toEqual([...CORE, ...VOCAB].sort());
    expect(Object.keys(await everything.init()).sort()).toEqual([...CORE, ...SAMPLING, ...LOSS, ...SPARSE, ...ATTENTION, ...VOCAB, "parallel"].sort());
  });

  it("shares one instance per set of families; a build or a source makes a new one", async () => {
    expect(await core.init()).toBe(await core.init());
    const a = await core.init({ with: [sampling] });
    expect(await core.init({ with: [sampling] })).toBe(a);
    expect(a).not.toBe(await core.init());
    expect(await core.init({ build: "simd" })).not.toBe(await core.init({ build: "simd" }));
    expect(await everything.init()).toBe(await everything.init());
  });
});

describe("one memory for every module of an instance", () => {
  it("a WasmArray from alloc goes into every family's function, in place, with the results of the js backend", async () => {
    const sm = await core.init({ with: [sampling, loss, sparse, vocab] });
    const logits = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 4);
    const x = sm.alloc(logits.length);
    x.array.set(logits);
    const grad = sm.alloc(logits.length);
    const { loss: value } = sm.crossEntropy(x, [7], { grad });
    const reference = core.js.logSoftmax(Float64Array.from(logits));
    expect(value).toBeCloseTo(-reference[7], 5);
    expect(sm.argmax(x)).toBe(everything.js.argmax(logits));
    expect(sm.sample(x, { seed: 5, topK: 20 })).toBe(everything.js.sample(logits, { seed: 5, topK: 20 }));
    const sparse32 = sm.alloc(logits.length);
    sm.sparsemax(x, { out: sparse32 });
    expect(Array.from(sparse32.array)).toEqual(Array.from(everything.js.sparsemax(logits)).map((v) => expect.closeTo(v, 6)));
    sparse32.free();
    // x as the node matrix of a hierarchical softmax over 101 outcomes (100 rows of 10), read in place
    const tree = sm.huffman(Array.from({ length: 101 }, (_, i) => 101 - i));
    const h = logits.slice(0, 20);
    const hs = sm.hierarchicalSoftmax(h, x, tree, [3, 100]).logProb;
    expect(Array.from(hs)).toEqual(Array.from(everything.js.hierarchicalSoftmax(h, logits, tree, [3, 100]).logProb).map((v) => expect.closeTo(v, 5)));
    // in place: the softmax of x into x, then the gradient (p - e_7) read from the same memory
    sm.softmax(x, { out: x });
    for (let i = 0; i < 1000; i += 97) expect(grad.array[i]).toBeCloseTo(x.array[i] - (i === 7 ? 1 : 0), 6);
    x.free();
    grad.free();
  });

  it("a key/value cache allocated through the core goes into attend in place", async () => {
    const sm = await core.init({ with: [attention] });
    const keys = sm.alloc(3 * 2);
    const values = sm.alloc(3 * 2);
    keys.array.set([1, 0, 0, 1, 1, 1]);
    values.array.set([1, 2, 3, 4, 5, 6]);
    const q = Float32Array.from([0.5, -0.5]);
    const got = sm.attend(q, keys, values, { dim: 2 });
    expect(Array.from(got)).toEqual(Array.from(everything.js.attend(q, keys.array, values.array, { dim: 2 })).map(Math.fround));
    keys.free();
    values.free();
  });

  it("every build of every module runs: build picks it, and the backend says which", async () => {
    for (const [build, backend] of [
      ["relaxed-simd", "wasm-relaxed-simd"],
      ["simd", "wasm-simd"],
      ["scalar", "wasm"],
      ["js", "js"],
    ] as const) {
      const sm = await everything.init({ build });
      expect(sm.backend).toBe(backend);
      expect(sm.topK([3, 1, 2], 2).indices).toEqual(Int32Array.from([0, 2]));
      expect(sm.logProbs([0, Math.log(3)], [1])[0]).toBeCloseTo(Math.log(0.75), 12);
      expect(sm.attend([1, 0], [1, 0, 0, 1], [2, 4], { dim: 2, valueDim: 1, scale: Math.log(3) })[0]).toBeCloseTo(2.5, 6);
    }
  });
});

describe("sources and initSync", () => {
  it("init(core source) takes the families' bundled modules of the same build, or those in sources", async () => {
    const scalar = await everything.init(bytes("softmax-scalar.wasm"));
    expect(scalar.backend).toBe("wasm");
    expect(scalar.argmax([1, 9, 3])).toBe(1);
    const given = await core.init(new URL("softmax.wasm", dist), { with: [sampling], sources: { sampling: bytes("sampling.wasm") } });
    expect(given.backend).toBe("wasm-simd");
    expect(given.argmax([1, 9, 3])).toBe(1);
  });

  it("modules of two builds in one instance are a TypeError that says so", async () => {
    await expect(core.init(bytes("softmax-scalar.wasm"), { with: [sampling], sources: { sampling: bytes("sampling.wasm") } })).rejects.toThrow(
      /the sampling module is the simd build, the core the scalar build: pass one build/,
    );
  });

  it("initSync reads the bundled family modules beside the core where the runtime reads files", () => {
    const sm = core.initSync(bytes("softmax.wasm"), { with: [sampling] });
    expect(sm.backend).toBe("wasm-simd");
    expect(sm.argmax([1, 9, 3])).toBe(1);
    const all = everything.initSync(new WebAssembly.Module(bytes("softmax-scalar.wasm")));
    expect(all.crossEntropy([0, 0], [1]).loss).toBeCloseTo(Math.LN2, 14);
    const given = core.initSync(bytes("softmax.wasm"), { with: [loss], sources: { loss: new WebAssembly.Module(bytes("loss.wasm")) } });
    expect(given.logProbs([0, 0], [0])[0]).toBeCloseTo(-Math.LN2, 14);
  });

  describe("where the runtime cannot read files (a browser)", () => {
    const process = globalThis.process as { getBuiltinModule?: unknown };
    const getBuiltinModule = process.getBuiltinModule;
    afterEach(() => {
      process.getBuiltinModule = getBuiltinModule;
    });

    it("softmax-wasm's initSync(core) gives the core, and family functions that say how to load them", () => {
      process.getBuiltinModule = undefined;
      const sm = everything.initSync(bytes("softmax.wasm"));
      expect(sm.logSumExp([0, 0])).toBeCloseTo(Math.LN2, 14);
      expect(() => sm.sample([1, 2])).toThrow(/initSync could not load the sampling module here .*sources: \{ sampling: module \}/);
      expect(() => sm.crossEntropy([1, 2], [0])).toThrow(/initSync could not load the loss module/);
    });

    it("softmax-wasm/core's initSync with a family and no source for it throws, naming the fix", () => {
      process.getBuiltinModule = undefined;
      expect(() => core.initSync(bytes("softmax.wasm"), { with: [sampling] })).toThrow(
        /initSync cannot load the sampling module here: pass \{ sources: \{ sampling: module \} \}/,
      );
    });
  });
});

describe("options are checked", () => {
  it("unknown options, a bad build, with and sources of the wrong shape: TypeError naming them", async () => {
    await expect(core.init({ bild: "simd" } as never)).rejects.toThrow(/init has no option "bild" \(options: build, with, sources\)/);
    await expect(core.init({ build: "wasm" } as never)).rejects.toThrow(/build must be "relaxed-simd", "simd", "scalar" or "js" \(got the string "wasm"\)/);
    await expect(core.init({ with: sampling } as never)).rejects.toThrow(/with must be an array of families/);
    await expect(core.init({ with: [{}] } as never)).rejects.toThrow(/with takes families, e.g. sampling from "softmax-wasm\/sampling"/);
    await expect(core.init({ sources: { sampling: bytes("sampling.wasm") } })).rejects.toThrow(/sources names the family "sampling", which is not loaded/);
    await expect(core.init(bytes("softmax.wasm"), { build: "js" })).rejects.toThrow(/build "js" takes no source/);
    expect(() => core.initSync(bytes("softmax.wasm"), { with: [loss], sources: { loss: "loss.wasm" } })).toThrow(
      /initSync sources.loss must be a WebAssembly.Module or BufferSource \(got the string "loss.wasm"\)/,
    );
  });
});
