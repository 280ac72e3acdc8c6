// sample, sampler and distribution as the next-token step of a transformers.js generation loop,
// next to transformers.js itself (test/transformers: npm ci --prefix test/transformers), with
// logits made here instead of a model (nothing is downloaded). Where the semantics agree
// (repetition penalty, temperature, top-k without ties) its LogitsProcessorList, softmax, topk
// and MultinomialSampler give our distribution; where they do not (no top-p, no min-p in its
// generate) the test says so, and fails if that changes.
import { describe, expect, it } from "vitest";
import { js } from "../../dist/index.js";
import { backends } from "../support/backends.js";
import { chiSquareTail } from "./reference.js";

const modules = new URL("../transformers/node_modules/", import.meta.url);
const lib = await import(new URL("@huggingface/transformers/dist/transformers.node.mjs", modules).href);
// Its samplers are not exported: LogitsSampler.getSampler (what generate() calls) from the
// package's own sources.
const { LogitsSampler } = await import(new URL("@huggingface/transformers/src/generation/logits_sampler.js", modules).href);
const { Tensor, LogitsProcessorList, RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper, TopPLogitsWarper, GenerationConfig, softmax, topk, random, env } = lib;
// Its top-k is an onnxruntime TopK node: onnxruntime-web's wasm from the install, not its CDN.
env.backends.onnx.wasm.wasmPaths = new URL("onnxruntime-web/dist/", modules).pathname;
env.backends.onnx.wasm.numThreads = 1;

const V = 2000;

/** What a causal LM's forward gives: logits [1, seq, V] as a float32 Tensor, made from the ids (no model). */
function fakeModel(ids: bigint[]): InstanceType<typeof Tensor> {
  const seq = ids.length;
  const data = new Float32Array(seq * V);
  let h = 0;
  for (const id of ids) h = (h * 31 + Number(id)) % 1_000_003;
  for (let i = 0; i < V; i++) data[(seq - 1) * V + i] = 3 * Math.sin(i * 0.37 + h) + 2 * Math.cos(i * 0.011 * (1 + (h % 7)));
  return new Tensor("float32", data, [1, seq, V]);
}

/** transformers.js's processors as its generate() builds them for these options. */
function processorsOf(temperature: number, repetitionPenalty: number) {
  const list = new LogitsProcessorList();
  if (repetitionPenalty !== 1) list.push(new RepetitionPenaltyLogitsProcessor(repetitionPenalty));
  if (temperature !== 1) list.push(new TemperatureLogitsWarper(temperature));
  return list;
}

/** Probabilities within f32 rounding of the logits (its processors write them in f32). */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= 1e-7 + 1e-5 * want[i])) throw new Error(`${label}: token ${i} has ${got[i]}, transformers.js ${want[i]}`);
  }
}

describe("next to transformers.js", () => {
  const prompt = [5n, 17n, 17n, 400n, 1999n, 0n, 5n];

  it.each(backends)("%s: repetition penalty and temperature give its LogitsProcessorList + softmax, history as BigInt64Array", (_, k) => {
    const inputIds = new Tensor("int64", BigInt64Array.from(prompt), [1, prompt.length]);
    for (const [temperature, penalty] of [[1, 1], [0.7, 1.3], [1.5, 0.8]]) {
      const logits = fakeModel(prompt).slice(null, -1, null); // [1, V], as generate() takes it
      const ours = k.distribution(logits.data, { temperature, repetitionPenalty: penalty, history: inputIds.data });
      const scores = processorsOf(temperature, penalty)([Array.from(inputIds.data)], logits);
      expectClose(ours, softmax(scores[0].data), `T ${temperature}, penalty ${penalty}`);
    }
  });

  it.each(backends)("%s: top-k keeps the tokens of its topk (no ties), with its softmax over them", async (_, k) => {
    for (const topK of [1, 5, 50]) {
      const logits = fakeModel(prompt).slice(null, -1, null);
      const ours = k.distribution(logits.data, { temperature: 0.8, topK, repetitionPenalty: 1.2, history: prompt });
      const scores = processorsOf(0.8, 1.2)([prompt], logits);
      const [values, indices] = await topk(scores[0], topK);
      const want = new Float64Array(V);
      const p = softmax(values.data);
      Array.from(indices.data as BigInt64Array).forEach((i, j) => (want[Number(i)] = p[j]));
      expectClose(ours, want, `topK ${topK}`);
    }
  });

  it("its MultinomialSampler draws from our distribution (chi-square over 3000 draws)", async () => {
    const logits = fakeModel(prompt).slice(null, -1, null);
    const opts = { temperature: 1.3, topK: 12 };
    const p = js.distribution(logits.data, opts);
    const sampler = LogitsSampler.getSampler(new GenerationConfig({ do_sample: true, top_k: opts.topK }));
    const scores = processorsOf(opts.temperature, 1)([prompt], logits);
    random.seed(42);
    const counts = new Map<number, number>();
    const draws = 3000;
    for (let j = 0; j < draws; j++) {
      const [[token]] = await sampler(scores[0]);
      counts.set(Number(token), (counts.get(Number(token)) ?? 0) + 1);
    }
    let chi = 0;
    let cells = 0;
    for (let i = 0; i < V; i++) {
      if (p[i] === 0) {
        expect(counts.get(i) ?? 0, `token ${i} is outside our kept set`).toBe(0);
        continue;
      }
      const e = p[i] * draws;
      chi += ((counts.get(i) ?? 0) - e) ** 2 / e;
      cells++;
    }
    expect(cells).toBe(opts.topK);
    expect(chiSquareTail(chi, cells - 1)).toBeGreaterThan(1e-4);
  });

  it("where it differs: its generate() has no top-p or min-p (TopPLogitsWarper is not callable), and its top-k keeps exactly k", async () => {
    expect(() => new TopPLogitsWarper(0.9)([prompt], fakeModel(prompt).slice(null, -1, null))).toThrow(/_call/);
    expect(Object.keys(lib).some((name) => /MinP/i.test(name))).toBe(false);
    // Ties at the k-th value: it keeps k, Hugging Face's Python and we keep every tie.
    const tied = new Tensor("float32", Float32Array.from([3, 1, 2, 2, 2, 0]), [1, 6]);
    const [, indices] = await topk(tied, 2);
    expect(indices.data.length).toBe(2);
    expect(Array.from(js.distribution(tied.data, { topK: 2 })).filter((v) => v > 0).length).toBe(4);
  });

  it.each(backends)("%s: the generation loop of docs/sampling.md: sampler.sample as the next-token step", (_, k) => {
    // docs/sampling.md, "With transformers.js": input_ids stay bigints, the sampler takes them.
    const opts = { temperature: 0.8, topK: 50, topP: 0.9, minP: 0.05, repetitionPenalty: 1.1 };
    const sampler = k.sampler({ ...opts, seed: 7 });
    const inputIds = BigInt64Array.from(prompt);
    sampler.accept(inputIds);
    const ids = [...prompt];
    for (let step = 0; step < 40; step++) {
      const outputs = { logits: fakeModel(ids) };
      const logits = outputs.logits.slice(null, -1, null).data as Float32Array; // the last position's row
      const kept = k.distribution(logits, { ...opts, history: ids });
      const token = sampler.sample(logits);
      expect(kept[token], `step ${step}`).toBeGreaterThan(0);
      ids.push(BigInt(token));
    }
    expect(sampler.history).toEqual(ids.map(Number));
  });
});
