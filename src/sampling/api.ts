// Sampling from logits: argmax, topK, sample, sampler and gumbelSoftmax over any backend.
//
// The chain per row (docs/sampling.md; the order of Hugging Face `generate`): penalties, allowed,
// temperature, topK, topP, minP, draw. Every filter keeps a prefix of one order, logits
// descending with equal logits by lower index first, so the chain is a series of cuts in that
// order. The backend passes (sample-js.ts, assembly/sample.ts) find the row max, sum weights,
// and gather a small candidate set behind a threshold (the top-k kernel raises its threshold
// as it reads); the cuts are then found here by quickselect over the candidates, and the
// token by the inverse CDF of one uniform over the kept tokens in index order. Nothing sorts
// the vocabulary.
//
// Seeds name the generator of core/random.ts (PCG32), run in the host: a seed draws the same
// uniforms on every backend and runtime.

import { type AnyOperand, type Core, type Operand, dtypeOf, rowOf } from "../core/backend.js";
import { Float16Constructor } from "../core/half.js";
import { lasting, realArray } from "../core/memory.js";
import { Pcg32, uniformSource } from "../core/random.js";
import { JsSampleBackend } from "./js.js";
import type { Band, SampleBackend, SampleSession } from "./backend.js";
import type { Sampler, SamplingKernels, TokenIds } from "./types.js";
import { WasmSampleBackend } from "./wasm.js";
import type { Input, RealArray } from "../core/types.js";
import { numberOption } from "../core/targets.js";
import { anyOperandOf, describe, newArray, operandOf, optionsOf, outOperand, rowsOf } from "../core/validate.js";
import { type KernelExports, WasmCore } from "../core/wasm.js";

// ---------------------------------------------------------------- validation

/** The logits as an operand of the backend: halves as they are where its kernels read them, else widened. */
function logitsOf(core: Core, backend: SampleBackend, x: unknown, name: string): AnyOperand {
  return backend.halves ? anyOperandOf(core, x, name) : operandOf(core, x, name);
}

const CHAIN_KEYS = [
  "temperature",
  "topK",
  "topP",
  "minP",
  "minKeep",
  "repetitionPenalty",
  "frequencyPenalty",
  "presencePenalty",
  "allowed",
  "seed",
  "random",
];
const SAMPLE_KEYS = new Set([...CHAIN_KEYS, "history", "rowLength"]);
const SAMPLER_KEYS = new Set([...CHAIN_KEYS, "penaltyWindow"]);
const DISTRIBUTION_KEYS = new Set([...CHAIN_KEYS.filter((key) => key !== "seed" && key !== "random"), "history", "rowLength", "out"]);
const GUMBEL_KEYS = new Set(["tau", "hard", "seed", "random", "rowLength", "out"]);
const ROW_LENGTH_KEYS = new Set(["rowLength"]);
const ALLOWED_KEYS = new Set(["allowed"]);

type Options = Record<string, unknown>;

const isCount = (v: number) => Number.isSafeInteger(v) && v >= 0;
const positiveFinite = (v: number) => v > 0 && v < Infinity;

/** The filters of the chain, validated. */
interface Chain {
  greedy: boolean;
  beta: number;
  topK: number;
  topP: number;
  minP: number;
  minKeep: number;
  repetition: number;
  frequency: number;
  presence: number;
}

function chainOf(o: Options): Chain {
  const temperature = numberOption(o, "temperature", 1, (v) => v >= 0 && v < Infinity, "finite and >= 0");
  return {
    greedy: temperature === 0,
    // A subnormal temperature would give beta = Infinity; the largest finite beta acts the same.
    beta: Math.min(1 / temperature, Number.MAX_VALUE),
    topK: numberOption(o, "topK", 0, isCount, "an integer >= 0"),
    topP: numberOption(o, "topP", 1, (v) => v > 0 && v <= 1, "in (0, 1]"),
    minP: numberOption(o, "minP", 0, (v) => v >= 0 && v < 1, "in [0, 1)"),
    minKeep: numberOption(o, "minKeep", 1, (v) => isCount(v) && v >= 1, "an integer >= 1"),
    repetition: numberOption(o, "repetitionPenalty", 1, positiveFinite, "finite and > 0"),
    frequency: numberOption(o, "frequencyPenalty", 0, Number.isFinite, "finite"),
    presence: numberOption(o, "presencePenalty", 0, Number.isFinite, "finite"),
  };
}

/** Token ids as numbers, each a non-negative integer (checked against K when sampling); bigints as transformers.js keeps its input_ids. */
function tokenIds(tokens: unknown, name: string): number[] {
  const isIntArray =
    tokens instanceof Int32Array ||
    tokens instanceof Uint32Array ||
    tokens instanceof Int16Array ||
    tokens instanceof Uint16Array ||
    tokens instanceof Int8Array ||
    tokens instanceof Uint8Array ||
    tokens instanceof BigInt64Array ||
    tokens instanceof BigUint64Array;
  if (!Array.isArray(tokens) && !isIntArray) {
    throw new TypeError(`${name} must be an array or integer typed array of token ids (got ${describe(tokens)})`);
  }
  const list = tokens as ArrayLike<unknown>;
  const ids: number[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const t = list[i];
    if (typeof t !== "number" && typeof t !== "bigint") throw new TypeError(`${name}[${i}] must be a number or bigint (got ${describe(t)})`);
    const v = typeof t === "bigint" && t >= 0n && t <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(t) : t;
    if (typeof v !== "number" || !isCount(v)) throw new RangeError(`${name}[${i}] must be a token id, an integer >= 0 (got ${typeof t === "bigint" ? `${t}n` : t})`);
    ids[i] = v;
  }
  return ids;
}

/** Distinct tokens of a history with their counts; RangeError for an id outside the row. */
interface Penalties {
  tokens: number[];
  counts: number[];
}

const penalizes = (chain: Chain) => chain.repetition !== 1 || chain.frequency !== 0 || chain.presence !== 0;

function penaltiesOf(chain: Chain, history: readonly number[], k: number, name: string): Penalties | undefined {
  if (history.length === 0 || !penalizes(chain)) return undefined;
  const counts = new Map<number, number>();
  for (let i = 0; i < history.length; i++) {
    const t = history[i];
    if (t >= k) throw new RangeError(`${name}[${i}] must be below the row length ${k} (got ${t})`);
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return { tokens: [...counts.keys()], counts: [...counts.values()] };
}

/** The allowed mask: one for every row (>= ceil(K/32) words), or one per row (rows * ceil(K/32)). */
interface Mask {
  words: Uint32Array;
  perRow: number;
}

function maskOf(allowed: unknown, rows: number, k: number): Mask | undefined {
  if (allowed === undefined) return undefined;
  if (!(allowed instanceof Uint32Array)) throw new TypeError(`allowed must be a Uint32Array bit mask (got ${describe(allowed)})`);
  const words = Math.ceil(k / 32);
  if (allowed.length < words) {
    throw new RangeError(`allowed must have at least ${words} words for rows of ${k} tokens (got ${allowed.length})`);
  }
  return { words: allowed, perRow: rows > 1 && allowed.length === rows * words ? words : 0 };
}

/** Uniforms from the seed or random option (core/random.ts). */
function uniformsOf(o: Options): { rng: Pcg32 | undefined; random: () => number } {
  return uniformSource(o.seed, o.random);
}

// ---------------------------------------------------------------- the chain

/** A cut of the order: x > value, or x == value at an index <= index; `count` tokens. */
interface Cut {
  value: number;
  index: number;
  count: number;
}

/**
 * In slots[0..size), candidate slots into (cv, ci, cw): the smallest prefix of the order
 * (value descending, index ascending) for which need(count, mass) holds, by quickselect
 * (expected linear, no sort); the prefix ends up in slots[0..count). undefined if none.
 */
function selectPrefix(
  slots: Int32Array,
  size: number,
  cv: Float64Array,
  ci: Int32Array,
  cw: Float64Array,
  need: (count: number, mass: number) => boolean,
): Cut | undefined {
  let lo = 0;
  let hi = size;
  let baseMass = 0;
  while (lo < hi) {
    const mid = lo + ((hi - lo) >> 1);
    const p = slots[mid];
    slots[mid] = slots[lo];
    slots[lo] = p;
    const pv = cv[p];
    const pi = ci[p];
    let store = lo + 1;
    let mass = 0;
    for (let j = lo + 1; j < hi; j++) {
      const s = slots[j];
      const v = cv[s];
      if (v > pv || (v === pv && ci[s] < pi)) {
        mass += cw[s];
        slots[j] = slots[store];
        slots[store++] = s;
      }
    }
    const pos = store - 1;
    slots[lo] = slots[pos];
    slots[pos] = p;
    if (need(pos, baseMass + mass)) hi = pos;
    else if (need(pos + 1, baseMass + mass + cw[p])) return { value: pv, index: pi, count: pos + 1 };
    else {
      baseMass += mass + cw[p];
      lo = pos + 1;
    }
  }
  return undefined;
}

/** Candidates (row indices) with their f64 weights, which of them the chain keeps, and the kept weight. */
interface Candidates {
  ci: Int32Array;
  cw: Float64Array;
  keep: Uint8Array;
  sum: number;
}

/**
 * The tokens the chain keeps among the candidates `cand` (row indices in order, a prefix of
 * the order that holds every token the filters can keep). `total` is the weight of the whole
 * row when topP has to see it (NaN when the candidates are the whole topK set).
 */
// byValue's keys: an f32 value's order above its index, the index in the low INDEX_BITS.
const INDEX_BITS = 2 ** 21;
const keyOf = new Float32Array(1);
const keyBits = new Uint32Array(keyOf.buffer);

/**
 * The indices `cand` by their values in `data`, largest first, ties (and -0 and +0) by index.
 * f32 and f16 rows (a half is an f32 exactly) below 2^21 entries sort one Float64Array of keys,
 * each the value's f32 order bits, largest first, times 2^21 plus the index (exact: below 2^53);
 * other rows through a comparator, which V8 called ~4,500 times for 500 candidates: 88 us, three
 * fifths of topK 500 of 32,000 (and for 50, it made f16 topK 1.2-1.3x the f32 one).
 */
function byValue(cand: Int32Array, data: RealArray): number[] {
  const m = cand.length;
  const singles = data instanceof Float32Array || (Float16Constructor !== undefined && data instanceof Float16Constructor);
  if (!singles || data.length > INDEX_BITS) return Array.from(cand).sort((a, b) => data[b] - data[a] || a - b);
  const keys = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const i = cand[j];
    const v = data[i];
    keyOf[0] = v === 0 ? 0 : v;
    const bits = keyBits[0];
    // Largest first: positives' bits flipped below 2^31, negatives' (sign and magnitude) above it.
    const order = bits >= 0x80000000 ? bits : 0x7fffffff - bits;
    keys[j] = order * INDEX_BITS + i;
  }
  keys.sort();
  const sorted = new Array<number>(m);
  for (let j = 0; j < m; j++) sorted[j] = keys[j] % INDEX_BITS;
  return sorted;
}

function keepCandidates(values: RealArray, cand: Int32Array, c: number, beta: number, chain: Chain, total: number, row: number): Candidates {
  const m = cand.length;
  const cv = new Float64Array(m);
  const cw = new Float64Array(m);
  const ci = Int32Array.from(cand);
  for (let j = 0; j < m; j++) {
    const v = values[ci[j]];
    cv[j] = v;
    // Tokens at +Infinity share equally; the rest then weigh 0.
    cw[j] = c === Infinity ? (v === Infinity ? 1 : 0) : Math.exp((v - c) * beta);
  }
  const slots = new Int32Array(m);
  for (let j = 0; j < m; j++) slots[j] = j;
  let size = m;
  let cutValue = -Infinity;
  let cutIndex = Infinity;
  if (chain.topP < 1) {
    let whole = total;
    if (whole !== whole) {
      whole = 0;
      for (let j = 0; j < m; j++) whole += cw[j];
    }
    const floor = Math.min(chain.minKeep, size);
    let cut = selectPrefix(slots, size, cv, ci, cw, (_, mass) => mass >= chain.topP * whole);
    if (cut && cut.count < floor) cut = selectPrefix(slots, size, cv, ci, cw, (count) => count >= floor);
    if (cut) {
      size = cut.count;
      cutValue = cut.value;
      cutIndex = cut.index;
    }
  }
  let least = 0;
  if (chain.minP > 0) {
    let top = 0;
    for (let j = 0; j < size; j++) top = Math.max(top, cw[slots[j]]);
    least = chain.minP * top;
    let kept = 0;
    for (let j = 0; j < size; j++) if (cw[slots[j]] >= least) kept++;
    const floor = Math.min(chain.minKeep, size);
    if (kept < floor) {
      const cut = selectPrefix(slots, size, cv, ci, cw, (count) => count >= floor) as Cut;
      cutValue = cut.value;
      cutIndex = cut.index;
      least = 0;
    }
  }
  const keep = new Uint8Array(m);
  let sum = 0;
  for (let j = 0; j < m; j++) {
    if ((cv[j] > cutValue || (cv[j] === cutValue && ci[j] <= cutIndex)) && cw[j] >= least) {
      keep[j] = 1;
      sum += cw[j];
    }
  }
  if (!(sum > 0)) throw new RangeError(`nothing left to draw in row ${row}: the filters kept no token of positive probability`);
  return { ci, cw, keep, sum };
}

/** The inverse CDF of uniform u over the kept candidates in index order. */
function drawCandidates({ ci, cw, keep, sum }: Candidates, u: number): number {
  const target = u * sum;
  let acc = 0;
  let last = -1;
  for (let j = 0; j < ci.length; j++) {
    if (!keep[j]) continue;
    acc += cw[j];
    if (acc > target) return ci[j];
    if (cw[j] > 0) last = ci[j];
  }
  return last;
}

/**
 * The top-p cut (minKeep 1) from its band (SampleSession.band): the tokens above the band,
 * weighing `above`, are all kept, so only the band is ordered (quickselect, f64 weights). The
 * kept weight comes with it, `above` plus the kept band tokens' stored weights, the same sum
 * a pass of keptSum would take over the row. undefined when rounding leaves the band's mass
 * short (the caller then orders every candidate).
 */
function cutTopP(values: RealArray, c: number, beta: number, need: number, { above, indices, weights }: Band): Kept | undefined {
  const size = indices.length;
  const cv = new Float64Array(size);
  const ci = Int32Array.from(indices);
  const cw = new Float64Array(size);
  for (let j = 0; j < size; j++) {
    const v = values[ci[j]];
    cv[j] = v;
    cw[j] = Math.exp((v - c) * beta);
  }
  const slots = new Int32Array(size);
  for (let j = 0; j < size; j++) slots[j] = j;
  const cut = selectPrefix(slots, size, cv, ci, cw, (_, mass) => above + mass >= need);
  if (!cut) return undefined;
  let sum = above;
  for (let j = 0; j < cut.count; j++) sum += weights[ci[slots[j]]];
  return { value: cut.value, index: cut.index, sum };
}

/**
 * The tokens a row keeps: a cut of the whole row (x > value, or x == value at index <= index;
 * the kernels weigh them, unless `sum` already holds their weight), or `cand`, candidates with
 * f64 weights.
 */
type Kept = { value: number; index: number; sum?: number; cand?: undefined } | { cand: Candidates };

/** How a call filters its rows (from the chain and K). */
interface Plan {
  /** The logits' dtype is f64 (else f32: f16 logits are read as f32). */
  f64: boolean;
  topKCount: number;
  useTopK: boolean;
  filtered: boolean;
}

function planOf(x: AnyOperand, chain: Chain, k: number): Plan {
  const topKCount = chain.topK > 0 ? Math.max(chain.topK, chain.minKeep) : 0;
  const useTopK = topKCount > 0 && topKCount < k;
  return { f64: dtypeOf(x) === "f64", topKCount, useTopK, filtered: useTopK || chain.topP < 1 || chain.minP > 0 };
}

/**
 * The session of a call: a writable copy when penalties or a mask apply, top-k room when a
 * filter needs it, room for a row of weights when top-p weighs them or `rowOut` (distribution's
 * kept row).
 */
function sessionOf(
  backend: SampleBackend,
  x: AnyOperand,
  k: number,
  plan: Plan,
  chain: Chain,
  penalties: Penalties | undefined,
  mask: Mask | undefined,
  rowOut: boolean,
): SampleSession {
  const room = plan.useTopK || (plan.filtered && chain.minKeep > 1) ? "topK" : "indices";
  const weights = !chain.greedy && (rowOut || (!plan.useTopK && chain.topP < 1));
  return backend.session(x, penalties !== undefined || mask !== undefined, mask?.words, k, room, weights);
}

/** Runs `passes` over a session, then ends it (also when they throw), so its room may serve the next session. */
function ending<T>(session: SampleSession, passes: () => T): T {
  try {
    return passes();
  } finally {
    session.end();
  }
}

/**
 * Makes row r current with penalties and the mask applied; returns its values and the index
 * of its max c (RangeError for a NaN, or for nothing left to draw).
 */
function prepareRow(
  session: SampleSession,
  f64: boolean,
  r: number,
  k: number,
  chain: Chain,
  penalties: Penalties | undefined,
  mask: Mask | undefined,
): { values: RealArray; top: number } {
  const start = r * k;
  const values = session.row(start, k);
  if (penalties) {
    const { tokens: ids, counts } = penalties;
    for (let j = 0; j < ids.length; j++) {
      let v = values[ids[j]];
      if (chain.repetition !== 1) v = v > 0 ? v / chain.repetition : v * chain.repetition;
      // Rounded to the dtype: the js backend stages every row as a Float64Array.
      v -= counts[j] * chain.frequency + chain.presence;
      values[ids[j]] = f64 ? v : Math.fround(v);
    }
  }
  if (mask) session.mask(start, k, r * mask.perRow);
  const top = session.argmax(start, k);
  const c = values[top];
  if (c !== c) throw new RangeError(`logits must not hold NaN (got NaN at index ${top} of row ${r})`);
  if (c === -Infinity) {
    throw new RangeError(`nothing left to draw in row ${r}: every logit is -Infinity or masked by allowed (row length ${k})`);
  }
  return { values, top };
}

/** The tokens the filters keep in the current row r (max c), the one piece of code behind sample and distribution. */
function keptOf(session: SampleSession, values: RealArray, r: number, k: number, c: number, chain: Chain, plan: Plan): Kept {
  const start = r * k;
  const beta = chain.beta;
  if (c === Infinity) return { cand: keepCandidates(values, session.collect(start, k, Infinity), c, beta, chain, NaN, r) };
  if (!plan.filtered) return { value: -Infinity, index: -1 };
  let cand: Int32Array;
  let total = NaN;
  if (plan.useTopK) cand = session.topK(start, k, plan.topKCount);
  else {
    // Tokens of weight below (1 - topP) * total / k together weigh less than 1 - topP: none
    // of them can be in the top-p set. Collect a little lower than the bounds (the kernels'
    // weights may round differently from the f64 ones of the cuts).
    let zmin = -Infinity;
    if (chain.topP < 1) {
      // The weights are stored once: the band, the kept sum and the draw read them.
      total = session.weigh(start, k, c, beta);
      const need = chain.topP * total;
      const band = session.band(start, k, total, need);
      if (chain.minP === 0 && chain.minKeep === 1) {
        const cut = cutTopP(values, c, beta, need, band);
        if (cut) return cut;
      }
      // Every token the top-p cut keeps weighs at least low (a little less with f64 weights).
      zmin = Math.log(band.low * 0.999);
    }
    // min-p alone keeps the tokens at or above one logit: a cut of the whole row, which costs
    // the same on every row (sample: keptSum and draw; distribution: keep), where as
    // candidates a flat row would make every token one.
    const minPAlone = chain.minP > 0 && chain.topP === 1 && chain.minKeep === 1;
    if (minPAlone) {
      const value = minPFloor(c, beta, chain.minP, plan.f64);
      if (value !== undefined) return { value, index: k };
    }
    if (chain.minP > 0) zmin = Math.max(zmin, Math.log(chain.minP * 0.999));
    cand = session.collect(start, k, c + zmin / beta);
    const floor = Math.min(chain.minKeep, k);
    if (cand.length < floor) cand = floor < k ? session.topK(start, k, floor) : session.collect(start, k, -Infinity);
  }
  return { cand: keepCandidates(values, cand, c, beta, chain, total, r) };
}

const bits = new DataView(new ArrayBuffer(8));

/** The next value of the dtype after v towards +Infinity (up) or -Infinity (v finite, or -Infinity going up). */
function nextValue(v: number, up: boolean, f64: boolean): number {
  if (v === 0) return (up ? 1 : -1) * (f64 ? Number.MIN_VALUE : 2 ** -149);
  if (f64) {
    bits.setFloat64(0, v);
    bits.setBigInt64(0, bits.getBigInt64(0) + (up === v > 0 ? 1n : -1n));
    return bits.getFloat64(0);
  }
  bits.setFloat32(0, v);
  bits.setInt32(0, bits.getInt32(0) + (up === v > 0 ? 1 : -1));
  return bits.getFloat32(0);
}

/**
 * The least logit of the row's dtype that min-p keeps, exp((v - c)·β) >= minP in f64 (the
 * test keepCandidates makes, p_max being exp(0) = 1): the rounded estimate c + log(minP)/β
 * moved by single steps of the dtype; undefined if that takes more than a few steps.
 */
function minPFloor(c: number, beta: number, minP: number, f64: boolean): number | undefined {
  const keeps = (v: number) => Math.exp((v - c) * beta) >= minP;
  let v = c + Math.log(minP) / beta;
  if (!f64) v = Math.fround(v);
  for (let steps = 0; steps < 64; steps++) {
    if (!keeps(v)) v = nextValue(v, true, f64);
    else {
      const below = nextValue(v, false, f64);
      if (!keeps(below)) return v;
      v = below;
    }
  }
  return undefined;
}

/** One token per row of the logits x. */
function sampleRows(
  backend: SampleBackend,
  x: AnyOperand,
  rows: number,
  k: number,
  chain: Chain,
  penalties: Penalties | undefined,
  mask: Mask | undefined,
  random: () => number,
): Int32Array {
  const plan = planOf(x, chain, k);
  const session = sessionOf(backend, x, k, plan, chain, penalties, mask, false);
  const tokens = new Int32Array(rows);
  ending(session, () => {
    for (let r = 0; r < rows; r++) {
      const { top } = prepareRow(session, plan.f64, r, k, chain, penalties, mask);
      if (chain.greedy) {
        tokens[r] = top;
        continue;
      }
      const u = random();
      // random() may have grown the memory (it may allocate): the view before is detached.
      const values = session.view(r * k, k);
      const c = values[top];
      const kept = keptOf(session, values, r, k, c, chain, plan);
      if (kept.cand) tokens[r] = drawCandidates(kept.cand, u);
      else {
        const start = r * k;
        const sum = kept.sum ?? session.keptSum(start, k, c, chain.beta, kept.value, kept.index);
        tokens[r] = session.draw(start, k, c, chain.beta, kept.value, kept.index, u * sum);
      }
    }
  });
  return tokens;
}

/**
 * The distribution sampleRows draws from, into y (rows of k): the kept tokens' logits, the
 * rest -Infinity, then one softmax of every row (the core's kernel); a greedy row is one-hot.
 */
function distributionRows(
  core: Core,
  backend: SampleBackend,
  x: AnyOperand,
  y: Operand,
  rows: number,
  k: number,
  chain: Chain,
  penalties: Penalties | undefined,
  mask: Mask | undefined,
): void {
  const plan = planOf(x, chain, k);
  const session = sessionOf(backend, x, k, plan, chain, penalties, mask, true);
  // Read after the session: staging may grow the memory a WasmArray out lives in.
  const out = realArray(y);
  /** The rows spread() wrote as probabilities (the rest are kept logits for the core's softmax). */
  let spread: Uint8Array | undefined;
  ending(session, () => {
    for (let r = 0; r < rows; r++) {
      const start = r * k;
      const { values, top } = prepareRow(session, plan.f64, r, k, chain, penalties, mask);
      if (chain.greedy) {
        out.fill(0, start, start + k);
        out[start + top] = 1;
        continue;
      }
      const kept = keptOf(session, values, r, k, values[top], chain, plan);
      if (kept.cand) {
        // Read every kept logit before writing: out may be the logits themselves.
        const { ci, keep } = kept.cand;
        const v = new Float64Array(ci.length);
        for (let j = 0; j < ci.length; j++) v[j] = keep[j] ? values[ci[j]] : -Infinity;
        out.fill(-Infinity, start, start + k);
        for (let j = 0; j < ci.length; j++) out[start + ci[j]] = v[j];
      } else if (session.spread && kept.value > -Infinity) {
        // A cut of the whole row (min-p's, top-p's): the draw's own weights over its sum, at
        // the same cost on every row (a softmax of the kept logits costs an exp per kept token
        // only, exps of -Infinity next to nothing: flat rows ran 1.4-1.7x typical ones).
        out.set(session.spread(start, k, values[top], chain.beta, kept.value, kept.index), start);
        (spread ??= new Uint8Array(rows))[r] = 1;
      } else out.set(session.keep(start, k, kept.value, kept.index), start);
    }
  });
  if (chain.greedy) return;
  if (!spread) core.rows(false, y, y, rows, k, chain.beta);
  else for (let r = 0; r < rows; r++) if (!spread[r]) core.rows(false, rowOf(y, r, k), rowOf(y, r, k), 1, k, chain.beta);
}

// ---------------------------------------------------------------- the API

/** The sampling functions over one backend. */
export function createSampling(core: Core, exports: KernelExports | undefined): SamplingKernels {
  const backend: SampleBackend = core instanceof WasmCore && exports ? new WasmSampleBackend(core, exports) : new JsSampleBackend();

  function argmax(x: Input, opts?: unknown): number | Int32Array {
    const o = optionsOf(opts ?? {}, ROW_LENGTH_KEYS);
    const xo = logitsOf(core, backend, x, "x");
    if (xo.length === 0) throw new RangeError("argmax of an empty input (got length 0)");
    const { rows, k, batched } = rowsOf(xo.length, o.rowLength);
    const session = backend.session(xo, false, undefined, k, "none");
    const out = new Int32Array(rows);
    ending(session, () => {
      for (let r = 0; r < rows; r++) {
        session.row(r * k, k);
        out[r] = session.argmax(r * k, k);
      }
    });
    return batched ? out : out[0];
  }

  function topK(x: Input, count: number, opts?: unknown) {
    const o = optionsOf(opts ?? {}, ROW_LENGTH_KEYS);
    const xo = logitsOf(core, backend, x, "x");
    if (typeof count !== "number") throw new TypeError(`k must be a number (got ${describe(count)})`);
    const { rows, k } = rowsOf(xo.length, o.rowLength);
    if (!isCount(count)) throw new RangeError(`k must be an integer >= 0 (got ${count})`);
    if (count > k) throw new RangeError(`k must be at most the row length ${k} (got ${count})`);
    const values = newArray(dtypeOf(xo), rows * count);
    const indices = new Int32Array(rows * count);
    const session = backend.session(xo, false, undefined, k, count > 0 && count < k ? "topK" : "indices");
    ending(session, () => {
      for (let r = 0; r < rows && count > 0; r++) {
        const start = r * k;
        const data = session.row(start, k);
        const top = session.argmax(start, k);
        let nans: number[] = [];
        if (data[top] !== data[top]) {
          for (let i = 0; i < k; i++) if (data[i] !== data[i]) nans.push(i);
        }
        nans = nans.slice(0, count);
        const rest = count - nans.length;
        let chosen: number[] = [];
        if (rest > 0) {
          const cand = rest < k - nans.length ? session.topK(start, k, rest) : session.collect(start, k, -Infinity);
          chosen = byValue(cand, data).slice(0, rest);
        }
        const list = nans.concat(chosen);
        for (let j = 0; j < count; j++) {
          indices[r * count + j] = list[j];
          values[r * count + j] = data[list[j]];
        }
      }
    });
    return { values, indices };
  }

  function sample(logits: Input, opts?: unknown): number | Int32Array {
    const o = optionsOf(opts ?? {}, SAMPLE_KEYS);
    const xo = logitsOf(core, backend, logits, "logits");
    const { rows, k, batched } = rowsOf(xo.length, o.rowLength);
    const chain = chainOf(o);
    const history = o.history === undefined ? [] : tokenIds(o.history, "history");
    const mask = maskOf(o.allowed, rows, k);
    const { random } = uniformsOf(o);
    if (rows === 0) throw new RangeError("nothing to draw from an empty input (got length 0)");
    const penalties = penaltiesOf(chain, history, k, "history");
    const tokens = sampleRows(backend, xo, rows, k, chain, penalties, mask, random);
    return batched ? tokens : tokens[0];
  }

  function distribution(logits: Input, opts?: unknown) {
    const o = optionsOf(opts ?? {}, DISTRIBUTION_KEYS);
    const xo = logitsOf(core, backend, logits, "logits");
    const n = xo.length;
    const { rows, k } = rowsOf(n, o.rowLength);
    const chain = chainOf(o);
    const history = o.history === undefined ? [] : tokenIds(o.history, "history");
    const mask = maskOf(o.allowed, rows, k);
    const dtype = dtypeOf(xo);
    const out = o.out === undefined ? undefined : outOperand(core, o.out, dtype, n, "the input's length");
    if (rows === 0) throw new RangeError("no distribution of an empty input (got length 0)");
    const penalties = penaltiesOf(chain, history, k, "history");
    const y = out ?? newArray(dtype, n);
    distributionRows(core, backend, xo, y, rows, k, chain, penalties, mask);
    return o.out ?? y;
  }

  function sampler(opts?: unknown): Sampler {
    const o = optionsOf(opts ?? {}, SAMPLER_KEYS);
    const chain = chainOf(o);
    const window = numberOption(o, "penaltyWindow", Infinity, (v) => isCount(v) || v === Infinity, "an integer >= 0 or Infinity");
    const allowed = o.allowed;
    if (allowed !== undefined) maskOf(allowed, 1, 0);
    const { rng, random } = uniformsOf(o);
    return new ChainSampler(backend, core, chain, window, allowed as Uint32Array | undefined, rng?.clone(), rng, random);
  }

  function gumbelSoftmax(logits: Input, opts?: unknown) {
    const o = optionsOf(opts ?? {}, GUMBEL_KEYS);
    const xo = operandOf(core, logits, "logits");
    const n = xo.length;
    const { rows, k } = rowsOf(n, o.rowLength);
    const tau = numberOption(o, "tau", 1, positiveFinite, "finite and > 0");
    const hard = o.hard ?? false;
    if (typeof hard !== "boolean") throw new TypeError(`hard must be a boolean (got ${describe(hard)})`);
    const dtype = dtypeOf(xo);
    const out = o.out === undefined ? undefined : outOperand(core, o.out, dtype, n, "the input's length");
    const { random } = uniformsOf(o);
    // Noise first: a random() that throws leaves out untouched. 2^-53 stands in for u = 0, so
    // that the noise is never log(0). The logits are read after every random() call: one
    // that allocates may grow the memory and detach their view (lasting re-makes it).
    const memory = core instanceof WasmCore ? core.memory : undefined;
    const logitsNow = lasting(memory, xo);
    const outNow = out && lasting(memory, out);
    const z = new Float64Array(n);
    for (let i = 0; i < n; i++) z[i] = -Math.log(-Math.log(random() || 2 ** -53));
    const x = realArray(logitsNow());
    for (let i = 0; i < n; i++) z[i] = x[i] + z[i];
    const y = outNow ? outNow() : newArray(dtype, n);
    const ya = realArray(y);
    if (hard) {
      for (let r = 0; r < rows; r++) {
        const start = r * k;
        let best = start;
        for (let i = start; i < start + k; i++) {
          if (z[i] > z[best] || (z[i] !== z[i] && z[best] === z[best])) best = i;
        }
        const nan = z[best] !== z[best];
        for (let i = start; i < start + k; i++) ya[i] = nan ? NaN : i === best ? 1 : 0;
      }
    } else {
      ya.set(z);
      core.rows(false, y, y, rows, k, Math.min(1 / tau, Number.MAX_VALUE));
    }
    return o.out ?? y;
  }

  return { argmax, topK, sample, distribution, sampler, gumbelSoftmax } as unknown as SamplingKernels;
}

/** sampler(): the chain's options, a history window and a generator that advances per draw. */
class ChainSampler implements Sampler {
  readonly #backend: SampleBackend;
  readonly #core: Core;
  readonly #chain: Chain;
  readonly #window: number;
  readonly #allowed: Uint32Array | undefined;
  readonly #seeded: Pcg32 | undefined;
  #rng: Pcg32 | undefined;
  readonly #random: () => number;
  #history: number[] = [];
  /** Counts of the tokens in #history: a draw costs the distinct tokens, not the history's length. */
  #counts = new Map<number, number>();

  constructor(
    backend: SampleBackend,
    core: Core,
    chain: Chain,
    window: number,
    allowed: Uint32Array | undefined,
    seeded: Pcg32 | undefined,
    rng: Pcg32 | undefined,
    random: () => number,
  ) {
    this.#backend = backend;
    this.#core = core;
    this.#chain = chain;
    this.#window = window;
    this.#allowed = allowed;
    this.#seeded = seeded;
    this.#rng = rng;
    this.#random = random;
  }

  get history(): number[] {
    return this.#history.slice();
  }

  sample(logits: Input, opts?: { allowed?: Uint32Array | undefined }): number {
    const o = optionsOf(opts ?? {}, ALLOWED_KEYS);
    const xo = logitsOf(this.#core, this.#backend, logits, "logits");
    const k = xo.length;
    if (k === 0) throw new RangeError("nothing to draw from an empty input (got length 0)");
    const mask = maskOf(o.allowed ?? this.#allowed, 1, k);
    const penalties = this.#penalties(k);
    // Draw with a copy of the generator, kept only if the draw succeeds.
    const rng = this.#rng?.clone();
    const random = rng ? () => rng.uniform() : this.#random;
    const token = sampleRows(this.#backend, xo, 1, k, this.#chain, penalties, mask, random)[0];
    this.#rng = rng;
    this.#remember([token]);
    return token;
  }

  accept(tokens: TokenIds | number | bigint): this {
    this.#remember(tokenIds(typeof tokens === "number" || typeof tokens === "bigint" ? [tokens] : tokens, "tokens"));
    return this;
  }

  reset(): this {
    this.#history = [];
    this.#counts = new Map();
    this.#rng = this.#seeded?.clone();
    return this;
  }

  clone(): Sampler {
    const copy = new ChainSampler(this.#backend, this.#core, this.#chain, this.#window, this.#allowed, this.#seeded, this.#rng?.clone(), this.#random);
    copy.#history = this.#history.slice();
    copy.#counts = new Map(this.#counts);
    return copy;
  }

  /** The penalties of the history for rows of k (RangeError for a token outside the row). */
  #penalties(k: number): Penalties | undefined {
    if (this.#counts.size === 0 || !penalizes(this.#chain)) return undefined;
    for (const t of this.#counts.keys()) {
      if (t >= k) throw new RangeError(`sampler history must hold tokens below the row length ${k} (got ${t})`);
    }
    return { tokens: [...this.#counts.keys()], counts: [...this.#counts.values()] };
  }

  /** Appends tokens, keeping only what the penalty window can see. */
  #remember(tokens: number[]): void {
    const counts = this.#counts;
    for (const t of tokens) {
      this.#history.push(t);
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    if (this.#history.length > this.#window) {
      for (const t of this.#history.splice(0, this.#history.length - this.#window)) {
        const c = (counts.get(t) as number) - 1;
        if (c === 0) counts.delete(t);
        else counts.set(t, c);
      }
    }
  }
}

