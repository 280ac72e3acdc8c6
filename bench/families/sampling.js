// The sampling family: one token from each f32 row of logits (151,936 = Qwen's vocabulary,
// 262,144 = Gemma's), with temperature and top-p ("topP"), transformers.js's default step
// ("topK": repetition penalty over a 256-token history, temperature, top-k 50) or the whole
// chain ("chain": temperature, top-k, top-p, min-p), on language-like rows and on typical ones
// (N(0, 2^2), no peak: there the top-p set holds thousands of tokens, the hard case for any
// filter). Contenders: our builds and the JS backend; JS samplers as a user would write them;
// transformers.js itself (bench/peers), its generate() step; and one softmax of the same rows,
// the yardstick (target: sample <= 3x). A full run (and the core one) adds topK itself (k = 50
// of the smaller row) against the plain JS top-k that sorts every index.

import { loadTransformersGeneration } from "../peers/contenders.js";
import { softmaxYardstick, uniforms, workload } from "../workloads.js";

export const name = "sampling";
const defaultValues = "language";
const family = { name, defaultValues };

/** A prompt-like history for the repetition penalty: 256 token ids below the smaller vocabulary. */
const next = uniforms(3);
const HISTORY = Array.from({ length: 256 }, () => Math.floor(next() * 151936));

const OPTIONS = {
  topK: { temperature: 0.8, topK: 50, repetitionPenalty: 1.1, history: HISTORY },
  topP: { temperature: 0.8, topP: 0.9 },
  chain: { temperature: 0.8, topK: 50, topP: 0.9, minP: 0.05 },
  // The speed rule's top-p (docs/sampling.md): within 3x one softmax on every shape of row.
  topP95: { temperature: 0.8, topP: 0.95 },
};
const VARIANTS = ["topK", "topP", "chain"];
const SIZES = [151936, 262144];

// Each call takes the next of DRAWS rows of the shape of values, drawn apart: top-k's threshold
// let a part of the entries through at random, and one row timed over and over taught that to the
// branch predictor (topK 50 of 32,000: 22 us on one row, 60 us over 8, Node 24).
const DRAWS = 4;

const sample = (rows, rowLength, variant, values = defaultValues) =>
  workload(family, "sample", "f32", rows, rowLength, { variant, values, tags: rows > 1 ? ["batched"] : [], draws: DRAWS });

/** topK itself (k = 50) of the smaller row: the kernel and its host, no draw. */
const topK = (values) => workload(family, "topK", "f32", 1, SIZES[0], { variant: "k50", values, k: 50, draws: DRAWS });

/** Shapes of values of the speed rule (docs/sampling.md): each against the typical row. */
const SHAPES = ["confident", "flat", "masked"];

/**
 * The workloads of a full run (both sizes, both shapes of values, batches of 4 and 16 rows, and
 * the smaller row with confident, flat and masked values), of a core one (the smaller row, both
 * variants) or of a quick one (its full chain).
 */
export function workloads({ quick = false, core = false } = {}) {
  if (quick) return [sample(1, SIZES[0], "chain")];
  if (core) return [...VARIANTS.map((variant) => sample(1, SIZES[0], variant)), topK("language")];
  const list = [];
  for (const n of SIZES) for (const values of ["language", "typical"]) for (const variant of VARIANTS) list.push(sample(1, n, variant, values));
  for (const values of SHAPES) for (const variant of ["topP", "chain"]) list.push(sample(1, SIZES[0], variant, values));
  for (const values of ["typical", ...SHAPES]) list.push(sample(1, SIZES[0], "topP95", values));
  // The cost per row should not depend on how many rows share a call.
  for (const rows of [4, 16]) list.push(sample(rows, SIZES[0], "chain"));
  for (const values of ["language", "typical", "flat"]) list.push(topK(values));
  return list;
}

/** A row after the repetition penalty (logit / p if > 0, else logit * p, once per distinct token). */
function penalized(row, { repetitionPenalty = 1, history = [] }) {
  const out = Float64Array.from(row);
  if (repetitionPenalty !== 1) for (const t of new Set(history)) out[t] = out[t] > 0 ? out[t] / repetitionPenalty : out[t] * repetitionPenalty;
  return out;
}

/**
 * Per row, the least logit (after penalties) a sampled token may have: the float64 chain's
 * kept set (sorted by probability, cut by top-k, then top-p, then min-p), with one token of
 * slack at its edge (f32 sums may round the cut one token further); with the penalized rows,
 * for errorOf.
 */
export function referenceOf(w, x) {
  if (w.op === "topK") return { indices: sortedTopK(x, w.k) };
  const options = OPTIONS[w.variant];
  const { temperature, topK = 0, topP = 1, minP = 0 } = options;
  const least = new Float64Array(w.rows);
  const rows = [];
  for (let r = 0; r < w.rows; r++) {
    rows.push(penalized(x.subarray(r * w.rowLength, (r + 1) * w.rowLength), options));
    const row = Array.from(rows[r]).sort((a, b) => b - a);
    const p = row.map((v) => Math.exp((v - row[0]) / temperature));
    let kept = topK > 0 ? Math.min(topK, row.length) : row.length;
    let whole = 0;
    for (let j = 0; j < kept; j++) whole += p[j];
    let mass = 0;
    let cut = 0;
    while (cut < kept && mass < topP * whole) mass += p[cut++];
    kept = cut;
    while (kept > 1 && p[kept - 1] < minP * p[0]) kept--;
    least[r] = row[Math.min(kept, row.length - 1)];
  }
  return { rows, least };
}

/** 0 when every row's token is in its kept set, else 1 + how far (in logits) the worst one falls below; Infinity for no token. */
export function errorOf(w, got, { rows, least, indices }) {
  if (w.op === "topK") return got?.indices?.length === indices.length && got.indices.every((i, j) => i === indices[j]) ? 0 : Infinity;
  const tokens = typeof got === "number" ? [got] : got;
  if (tokens?.length !== w.rows) return Infinity;
  let worst = 0;
  for (let r = 0; r < w.rows; r++) {
    const t = tokens[r];
    if (!(Number.isInteger(t) && t >= 0 && t < w.rowLength)) return Infinity;
    const logit = rows[r][t];
    if (logit < least[r]) worst = Math.max(worst, 1 + least[r] - logit);
  }
  return worst;
}

// ---------------------------------------------------------------- the JS samplers

/** The k largest of x by sorting every index (values descending, ties by index), as a plain JS top-k does. */
function sortedTopK(x, k) {
  const order = Int32Array.from(x.keys());
  order.sort((a, b) => x[b] - x[a] || a - b);
  return order.slice(0, k);
}

/** Sort-based top-p: what a plain JS sampler does (softmax, sort everything, cumulate). */
function sortedTopP(x, temperature, topP, random) {
  const n = x.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[i] > max) max = x[i];
  const p = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += p[i] = Math.exp((x[i] - max) / temperature);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => p[b] - p[a] || a - b);
  let kept = 0;
  let mass = 0;
  while (kept < n && mass < topP * sum) mass += p[order[kept++]];
  let target = random() * mass;
  for (let j = 0; j < kept; j++) {
    target -= p[order[j]];
    if (target < 0) return order[j];
  }
  return order[kept - 1];
}

/**
 * A careful filtered JS sampler for the full chain: two passes over the row (max, exp-sum),
 * then only the tokens that can be in the top-p set are gathered and sorted.
 */
function filteredChain(x, { temperature, topK = 0, topP = 1, minP = 0 }, random) {
  const n = x.length;
  const beta = 1 / temperature;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp((x[i] - max) * beta);
  let least = topP < 1 ? ((1 - topP) * sum) / n : 0;
  if (minP > 0) least = Math.max(least, minP);
  const floor = max + Math.log(least) / beta;
  const idx = [];
  for (let i = 0; i < n; i++) if (x[i] >= floor) idx.push(i);
  idx.sort((a, b) => x[b] - x[a] || a - b);
  let kept = topK > 0 ? Math.min(topK, idx.length) : idx.length;
  while (topK > 0 && kept < idx.length && x[idx[kept]] === x[idx[topK - 1]]) kept++;
  const w = idx.map((i) => Math.exp((x[i] - max) * beta));
  let whole = sum;
  if (topK > 0) {
    whole = 0;
    for (let j = 0; j < kept; j++) whole += w[j];
  }
  let mass = 0;
  let cut = 0;
  while (cut < kept && mass < topP * whole) mass += w[cut++];
  kept = topP < 1 ? cut : kept;
  while (minP > 0 && kept > 1 && w[kept - 1] < minP * w[0]) kept--;
  const chosen = idx.slice(0, kept).sort((a, b) => a - b);
  let total = 0;
  for (const i of chosen) total += Math.exp((x[i] - max) * beta);
  let target = random() * total;
  for (const i of chosen) {
    target -= Math.exp((x[i] - max) * beta);
    if (target < 0) return i;
  }
  return chosen[chosen.length - 1];
}

// ---------------------------------------------------------------- the contenders

const accepts = (w) => w.family === name;
const samples = (w) => accepts(w) && w.op === "sample";
const rowsOf = (w, x) => Array.from({ length: w.rows }, (_, r) => x.subarray(r * w.rowLength, (r + 1) * w.rowLength));

/** A build's sample(): zero-copy (the rows in a WasmArray) or copying (a Float32Array); a new seed each call. */
function ours({ name: build, kind, version, sm }, zeroCopy) {
  return {
    name: kind === "baseline" ? build : `${build} ${zeroCopy ? "zero-copy" : "copy"}`,
    kind,
    version,
    accepts,
    setup(w, inputs) {
      const arrays = [];
      let seed = 0;
      const fns = inputs.map((x) => {
        let logits = x;
        if (zeroCopy) {
          logits = sm.alloc(w.n, "f32");
          logits.array.set(x);
          arrays.push(logits);
        }
        if (w.op === "topK") return () => sm.topK(logits, w.k);
        const opts = { ...OPTIONS[w.variant], ...(w.rows > 1 && { rowLength: w.rowLength }) };
        return () => sm.sample(logits, { ...opts, seed: seed++ });
      });
      return { fns, dispose: () => arrays.forEach((a) => a.free()) };
    },
  };
}

/** A JS sampler of one row, run row by row (an Int32Array of tokens for a batch). */
function jsSampler(contenderName, pick, accepted = samples) {
  return {
    name: contenderName,
    kind: "naive",
    version: "-",
    accepts: accepted,
    setup(w, inputs) {
      const random = uniforms(7);
      const options = OPTIONS[w.variant];
      const fns = inputs.map((x) => {
        if (w.rows === 1) return () => pick(x, options, random);
        const rows = rowsOf(w, x);
        const tokens = new Int32Array(w.rows);
        return () => {
          for (let r = 0; r < rows.length; r++) tokens[r] = pick(rows[r], options, random);
          return tokens;
        };
      });
      return { fns, dispose() {} };
    },
  };
}


/**
 * transformers.js's generate() step, run by transformers.js itself (`peer`, from
 * loadTransformersGeneration): the row copied into a [1, V] float32 Tensor (generate's
 * slice(...).to("float32") makes that copy), its LogitsProcessorList (RepetitionPenalty over
 * the history, then Temperature), then its MultinomialSampler, seeded once. It has no top-p
 * and no min-p (generate leaves top_p out, its TopPLogitsWarper has no _call): on "topP" it
 * runs top_k 0, a TopK of the whole vocabulary (the full sort), and is checked only for a
 * valid token, since it draws from another distribution.
 */
function transformersStep({ lib, LogitsSampler, version }) {
  const { GenerationConfig, LogitsProcessorList, RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper, Tensor, random } = lib;
  return {
    name: "transformers.js generate step",
    kind: "peer",
    version,
    async: true,
    warmMs: 400,
    accepts: (w) => samples(w) && w.rows === 1 && (w.variant === "topK" || w.variant === "topP"),
    errorOf(w, got, x) {
      if (w.variant === "topK") return errorOf(w, got, referenceOf(w, x));
      return Number.isInteger(got) && got >= 0 && got < w.rowLength && x[got] > -Infinity ? 0 : Infinity;
    },
    setup(w, inputs) {
      const { temperature, topK = 0, repetitionPenalty = 1, history = [] } = OPTIONS[w.variant];
      const processors = new LogitsProcessorList();
      if (repetitionPenalty !== 1) processors.push(new RepetitionPenaltyLogitsProcessor(repetitionPenalty));
      processors.push(new TemperatureLogitsWarper(temperature));
      const sampler = LogitsSampler.getSampler(new GenerationConfig({ do_sample: true, top_k: topK }));
      const ids = [history.map(BigInt)];
      random.seed(7);
      const fns = inputs.map((x) => async () => {
        const scores = processors(ids, new Tensor("float32", x.slice(), [1, x.length]));
        const [[token]] = await sampler(scores[0]);
        return Number(token);
      });
      return { fns, dispose() {} };
    },
  };
}

/** The family's contenders over `builds` ({ name, kind, version, sm }, see bench/contenders.js); `peers`: transformers.js too. */
export async function contenders(builds, { peers = true, only, log = () => {} } = {}) {
  const list = builds.flatMap((b) => (b.kind === "baseline" ? [ours(b, false)] : [ours(b, true), ours(b, false)]));
  list.push(
    // Penalties are not its business: the chains without them.
    jsSampler("filtered (JS)", filteredChain, (w) => samples(w) && w.variant !== "topK"),
    // Sorts the whole row by probability: top-p alone, as a plain JS sampler does.
    jsSampler("sorted top-p (JS)", (x, { temperature, topP }, random) => sortedTopP(x, temperature, topP, random), (w) => samples(w) && (w.variant === "topP" || w.variant === "topP95")),
    {
      name: "sorted top-k (JS)",
      kind: "naive",
      version: "-",
      accepts: (w) => accepts(w) && w.op === "topK",
      setup: (w, inputs) => ({ fns: inputs.map((x) => () => ({ indices: sortedTopK(x, w.k) })), dispose() {} }),
    },
  );
  if (peers && (!only || only.includes("transformers-js"))) {
    try {
      list.push(transformersStep(await loadTransformersGeneration()));
    } catch (error) {
      log(`transformers.js generate step: unavailable (${error.message})`);
    }
  }
  const best = builds.find((b) => b.kind === "softmax-wasm");
  if (best) list.push(softmaxYardstick(best, accepts));
  return list;
}
