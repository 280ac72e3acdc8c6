// The large-vocabulary API over a backend: validation (everything before anything is
// written), the paths and candidates of a call as pairs of rows, the backend's dot products
// and scatter-adds, and the per-pair arithmetic here, shared by every backend (O(log K) or
// O(S) numbers per row against the backend's O(dim) per number).
//
// Hierarchical softmax (Morin & Bengio 2005; word2vec's convention): at inner node n of the
// target's path with branch code c, the probability of the branch taken is
// sigma((1 - 2c)*h.n): code 0 is sigma(h.n), code 1 is sigma(-h.n). log P is the sum of
// log sigma over the path; d log P / d(h.n) = 1 - c - sigma(h.n) (word2vec's g before its
// learning rate).
//
// Sampled softmax (Jean et al. 2015; TensorFlow's sampled_softmax_loss with num_true = 1):
// logits h.w_i + b_i - log E(i) for the target and S candidates drawn for the whole batch,
// E(i) the expected count of i under the sampler; a candidate equal to the row's target is
// masked (removeAccidentalHits); the loss is the softmax cross-entropy with the target first.

import { type AnyOperand, type Core, type Operand, dtypeOf } from "../core/backend.js";
import { widenHalves } from "../core/half.js";
import { realArray, typedArray } from "../core/memory.js";
import { uniformSource } from "../core/random.js";
import { indexTargets, numberOption } from "../core/targets.js";
import type { Dtype } from "../core/types.js";
import { anyOperandOf, describe, newArray, operandOf, optionsOf, outOperand } from "../core/validate.js";
import { type KernelExports, WasmCore } from "../core/wasm.js";
import type { Pairs, VocabCore } from "./backend.js";
import { JsVocab } from "./js.js";
import { type CheckedTree, childrenOf, huffman, treeOf } from "./tree.js";
import type { VocabKernels } from "./types.js";
import { WasmVocab } from "./wasm.js";

const HIERARCHICAL_KEYS = new Set(["grad"]);
const PROBABILITY_KEYS = new Set(["out"]);
const DRAW_KEYS = new Set(["seed", "random"]);
const SAMPLED_KEYS = new Set(["numSampled", "sampled", "numTries", "removeAccidentalHits", "subtractLogQ", "seed", "random", "grad"]);

/** The largest double below 1: a uniform rescaled by a rounded probability stays in [0, 1). */
const BELOW_ONE = 1 - 2 ** -53;

/** log sigma(x) = -log(1 + exp(-x)), without overflow or cancellation at either end. */
export function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

/** sigma(x) = 1/(1 + exp(-x)). */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** A boolean option, `fallback` when absent. */
function booleanOption(opts: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const v = opts[name];
  if (v === undefined) return fallback;
  if (typeof v !== "boolean") throw new TypeError(`${name} must be a boolean (got ${describe(v)})`);
  return v;
}

/** The distinct values of `values`, ascending, and each value's place among them. */
function distinct(values: Int32Array): { ids: Int32Array; slots: Int32Array } {
  const sorted = values.slice().sort();
  let m = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[m - 1]) sorted[m++] = sorted[i];
  const ids = sorted.slice(0, m);
  const slots = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let lo = 0;
    let hi = m - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ids[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    slots[i] = lo;
  }
  return { ids, slots };
}

interface Matrices {
  a: Operand;
  /** The matrix as given (f16 data included): rows of another dtype than h's are converted per call (rowsOf). */
  b: AnyOperand;
  dtype: Dtype;
  dim: number;
  rows: number;
}

/** h ([rows][dim]) and a matrix of `bRows` rows of the same dim. */
function matricesOf(core: Core, h: unknown, matrix: unknown, name: string, bRows: number): Matrices {
  const a = operandOf(core, h, "h");
  const b = anyOperandOf(core, matrix, name);
  const dtype = dtypeOf(a);
  if (b.length === 0 || b.length % bRows !== 0) {
    throw new RangeError(`${name} must be [${bRows}][dim], dim >= 1 (got length ${b.length})`);
  }
  const dim = b.length / bRows;
  if (a.length % dim !== 0) throw new RangeError(`h must be [rows][dim] with ${name}'s dim ${dim} (got length ${a.length})`);
  return { a, b, dtype, dim, rows: a.length / dim };
}

/**
 * The matrix rows a call reads, in h's dtype, and its pairs against them. A matrix of h's dtype
 * goes as it is (a WasmArray: no copy at all); of another dtype (f16 nodes with f32 h, f64 with
 * f32, ...) only the rows `pairs.ids` are converted, exactly, into a compact matrix that the
 * pairs then address in order: a call converts the rows it reads, never the whole vocabulary.
 */
function rowsOf(m: Matrices, pairs: Pairs): { b: Operand; pairs: Pairs } {
  if (dtypeOf(m.b) === m.dtype) return { b: m.b as Operand, pairs };
  const { dim } = m;
  const source = typedArray(m.b);
  const b = newArray(m.dtype, pairs.ids.length * dim);
  for (let i = 0; i < pairs.ids.length; i++) {
    const row = source.subarray(pairs.ids[i] * dim, (pairs.ids[i] + 1) * dim);
    b.set(row instanceof Uint16Array ? widenHalves(row) : row, i * dim);
  }
  return { b, pairs: { ...pairs, ids: Int32Array.from(pairs.ids, (_, i) => i) } };
}

/** The whole matrix in h's dtype (for calls that read every row). */
function wholeOf(m: Matrices): Operand {
  if (dtypeOf(m.b) === m.dtype) return m.b as Operand;
  return rowsOf(m, { ids: Int32Array.from({ length: m.b.length / m.dim }, (_, i) => i), pa: new Int32Array(0), pb: new Int32Array(0) }).b;
}

/** Class indices, one per row, each in [0, k). */
function targetsOf(target: unknown, rows: number, k: number): Int32Array {
  const t = indexTargets(target, rows, k, undefined);
  if (t) return t;
  if (Array.isArray(target)) throw new RangeError(`target must have one index per row (got length ${target.length} for ${rows} rows)`);
  throw new TypeError(`target must be an Int32Array or number[] of indices, one per row (got ${describe(target)})`);
}

/** The vocabulary functions of one backend. */
export function vocabKernels(core: Core, exports: KernelExports | undefined): VocabKernels {
  const backend: VocabCore = core instanceof WasmCore && exports ? new WasmVocab(core, exports) : new JsVocab();

  /** The pairs of the rows' paths: row r against every node of target[r]'s path, and the codes. */
  function pathPairs(tree: CheckedTree, targets: Int32Array): { pairs: Pairs; codes: Uint8Array } {
    let n = 0;
    for (let r = 0; r < targets.length; r++) n += tree.lengths[targets[r]];
    const pa = new Int32Array(n);
    const nodes = new Int32Array(n);
    const codes = new Uint8Array(n);
    for (let r = 0, p = 0; r < targets.length; r++) {
      const start = tree.offsets[targets[r]];
      const end = start + tree.lengths[targets[r]];
      for (let s = start; s < end; s++, p++) {
        pa[p] = r;
        nodes[p] = tree.points[s];
        codes[p] = tree.codes[s];
      }
    }
    const { ids, slots } = distinct(nodes);
    return { pairs: { ids, pa, pb: slots }, codes };
  }

  function hierarchicalSoftmax(h: unknown, nodes: unknown, tree: unknown, target: unknown, options?: unknown) {
    const opts = optionsOf(options ?? {}, HIERARCHICAL_KEYS, "hierarchicalSoftmax");
    const grad = booleanOption(opts, "grad", false);
    const t = treeOf(tree);
    const m = matricesOf(core, h, nodes, "nodes", t.K - 1);
    const { a, dtype, dim, rows } = m;
    const targets = targetsOf(target, rows, t.K);
    const path = pathPairs(t, targets);
    const { codes } = path;
    const { b, pairs } = rowsOf(m, path.pairs);
    const n = pairs.pa.length;
    const z = new Float64Array(n);
    if (n > 0) backend.dots(a, b, dim, pairs, z);
    const sums = new Float64Array(rows);
    for (let p = 0; p < n; p++) sums[pairs.pa[p]] += logSigmoid(codes[p] ? -z[p] : z[p]);
    const logProb = newArray(dtype, rows);
    logProb.set(sums);
    if (!grad) return { logProb };
    // d log sigma(s*z)/dz = s*sigma(-s*z) = 1 - code - sigma(z), s = 1 - 2*code.
    const g = new Float64Array(n);
    for (let p = 0; p < n; p++) g[p] = codes[p] ? -sigmoid(z[p]) : sigmoid(-z[p]);
    const gh = newArray(dtype, rows * dim);
    const gn = newArray(dtype, pairs.ids.length * dim);
    if (n > 0) backend.backward(a, b, dim, pairs, g, gh, gn);
    return { logProb, grad: { h: gh, nodes: gn, ids: path.pairs.ids } };
  }

  function probabilities(h: unknown, nodes: unknown, tree: unknown, options?: unknown) {
    const opts = optionsOf(options ?? {}, PROBABILITY_KEYS, "hierarchicalSoftmax.probabilities");
    const t = treeOf(tree);
    const m = matricesOf(core, h, nodes, "nodes", t.K - 1);
    const { a, dtype, dim, rows } = m;
    const b = wholeOf(m);
    const K = t.K;
    const out = opts.out === undefined ? newArray(dtype, rows * K) : outOperand(core, opts.out, dtype, rows * K, "[rows][K] elements");
    const z = new Float64Array(rows * (K - 1));
    if (rows > 0) backend.allDots(a, b, dim, z);
    // Each node's two branches once per row, then every outcome's path.
    const branch = new Float64Array(2 * (K - 1));
    const p = new Float64Array(rows * K);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < K - 1; j++) {
        branch[2 * j] = logSigmoid(z[r * (K - 1) + j]);
        branch[2 * j + 1] = logSigmoid(-z[r * (K - 1) + j]);
      }
      for (let i = 0; i < K; i++) {
        const start = t.offsets[i];
        const end = start + t.lengths[i];
        let s = 0;
        for (let k = start; k < end; k++) s += branch[2 * t.points[k] + t.codes[k]];
        p[r * K + i] = Math.exp(s);
      }
    }
    realArray(out).set(p);
    return opts.out ?? out;
  }

  function sample(h: unknown, nodes: unknown, tree: unknown, options?: unknown) {
    const opts = optionsOf(options ?? {}, DRAW_KEYS, "hierarchicalSoftmax.sample");
    const t = treeOf(tree);
    const m = matricesOf(core, h, nodes, "nodes", t.K - 1);
    const { a, dim, rows } = m;
    const { children, root } = childrenOf(t);
    const { random } = uniformSource(opts.seed, opts.random);
    const u = new Float64Array(rows);
    for (let r = 0; r < rows; r++) u[r] = random();
    const drawn = new Int32Array(rows);
    const at = new Int32Array(rows).fill(root);
    // The rows still descending; one level of the tree per pass, all of them in one call.
    let active = Int32Array.from({ length: rows }, (_, r) => r);
    while (active.length > 0) {
      const { ids, slots } = distinct(active.map((r) => at[r]));
      const z = new Float64Array(active.length);
      const level = rowsOf(m, { ids, pa: active, pb: slots });
      backend.dots(a, level.b, dim, level.pairs, z);
      let still = 0;
      for (let i = 0; i < active.length; i++) {
        const r = active[i];
        if (z[i] !== z[i]) throw new RangeError(`h row ${r} against nodes row ${at[r]} is NaN: nothing to draw`);
        // Inverse CDF in the tree's leaf order: branch 0 holds [0, sigma(z)), branch 1 the rest.
        const p0 = sigmoid(z[i]);
        const bit = u[r] < p0 ? 0 : 1;
        u[r] = Math.min(bit === 0 ? u[r] / p0 : (u[r] - p0) / sigmoid(-z[i]), BELOW_ONE);
        const child = children[2 * at[r] + bit];
        if (child < 0) drawn[r] = -1 - child;
        else {
          at[r] = child;
          active[still++] = r;
        }
      }
      active = active.subarray(0, still);
    }
    return drawn;
  }

  function sampledSoftmaxLoss(h: unknown, weights: unknown, biases: unknown, target: unknown, options?: unknown) {
    const opts = optionsOf(options ?? {}, SAMPLED_KEYS, "sampledSoftmaxLoss");
    const bias = realArray(operandOf(core, biases, "biases"));
    const V = bias.length;
    if (V < 1) throw new RangeError("biases must have one entry per class, V >= 1 (got length 0)");
    const m = matricesOf(core, h, weights, "weights", V);
    const { a, dtype, dim, rows } = m;
    const targets = targetsOf(target, rows, V);
    const grad = booleanOption(opts, "grad", false);
    const removeHits = booleanOption(opts, "removeAccidentalHits", true);
    const subtractLogQ = booleanOption(opts, "subtractLogQ", true);
    const inRange = `an integer in [1, ${V}] (V = biases.length)`;
    // Every option checked before a uniform is drawn (random may be the caller's generator).
    const triesGiven = numberOption(opts, "numTries", 0, (v) => Number.isSafeInteger(v) && v >= 1, "a positive integer");
    let sampled: Int32Array;
    let numTries: number;
    if (opts.sampled !== undefined) {
      if (opts.seed !== undefined || opts.random !== undefined) throw new TypeError("seed and random draw candidates: not with sampled");
      sampled = candidatesOf(opts.sampled, V);
      numberOption(opts, "numSampled", sampled.length, (v) => v === sampled.length, `sampled's length, ${sampled.length}`);
      numTries = triesGiven || sampled.length;
    } else {
      const S = numberOption(opts, "numSampled", undefined, (v) => Number.isInteger(v) && v >= 1 && v <= V, inRange);
      const { random } = uniformSource(opts.seed, opts.random);
      ({ sampled, numTries } = logUniformUnique(S, V, random));
      numTries = triesGiven || numTries;
    }
    const S = sampled.length;
    const logRange = Math.log1p(V);
    // log E(i): the expected count of class i in the draws (TensorFlow's ExpectedCountHelper).
    const logExpected = (i: number) => {
      if (!subtractLogQ) return 0;
      const q = Math.log1p(1 / (i + 1)) / logRange;
      return Math.log(numTries === S ? q * S : -Math.expm1(numTries * Math.log1p(-q)));
    };
    // Logits [rows][C]: the target's, then the candidates'. The pairs go by column (the
    // targets', then each candidate's against every row), so that a row of weights is read
    // from memory once for the whole batch: pair (r, c) is p = c*rows + r.
    const C = S + 1;
    const { ids, slots } = distinct(Int32Array.from([...targets, ...sampled]));
    const pa = new Int32Array(rows * C);
    const pb = new Int32Array(rows * C);
    for (let c = 0, p = 0; c < C; c++) {
      for (let r = 0; r < rows; r++, p++) {
        pa[p] = r;
        pb[p] = c === 0 ? slots[r] : slots[rows + c - 1];
      }
    }
    const { b, pairs } = rowsOf(m, { ids, pa, pb });
    const z = new Float64Array(rows * C);
    if (rows > 0) backend.dots(a, b, dim, pairs, z);
    const logits = new Float64Array(rows * C);
    for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) logits[r * C + c] = z[c * rows + r];
    const shift = Float64Array.from(sampled, (i) => bias[i] - logExpected(i));
    for (let r = 0; r < rows; r++) {
      const y = targets[r];
      logits[r * C] += bias[y] - logExpected(y);
      for (let j = 0; j < S; j++) logits[r * C + 1 + j] = removeHits && sampled[j] === y ? -Infinity : logits[r * C + 1 + j] + shift[j];
    }
    // The log-sum-exp of each row by the core's reductions; the loss is LSE - the target's logit.
    const lse = new Float64Array(rows);
    if (rows > 0) core.logSumExp(logits, lse, rows, C, 1);
    const loss = newArray(dtype, rows);
    for (let r = 0; r < rows; r++) loss[r] = lse[r] - logits[r * C];
    const result = { loss, grad: undefined as unknown, sampled, numTries };
    if (!grad) return result;
    // d loss / d logit = softmax - the one-hot of the target (column 0); masked columns get 0.
    const g = new Float64Array(rows * C);
    if (rows > 0) core.rows(false, logits, g, rows, C, 1);
    for (let r = 0; r < rows; r++) g[r * C] -= 1;
    // In the pairs' order (z's storage is free again).
    for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) z[c * rows + r] = g[r * C + c];
    const gh = newArray(dtype, rows * dim);
    const gw = newArray(dtype, ids.length * dim);
    const gb = new Float64Array(ids.length);
    if (rows > 0) backend.backward(a, b, dim, pairs, z, gh, gw);
    for (let p = 0; p < pb.length; p++) gb[pb[p]] += z[p];
    const gbOut = newArray(dtype, ids.length);
    gbOut.set(gb);
    result.grad = { h: gh, weights: gw, biases: gbOut, ids };
    return result;
  }

  const hs = Object.assign(hierarchicalSoftmax, { probabilities, sample });
  return { huffman, hierarchicalSoftmax: hs, sampledSoftmaxLoss } as unknown as VocabKernels;
}

/** The sampled option: class ids in [0, V), at least one. */
function candidatesOf(sampled: unknown, V: number): Int32Array {
  if (!(sampled instanceof Int32Array || Array.isArray(sampled))) throw new TypeError(`sampled must be an Int32Array or number[] of class ids (got ${describe(sampled)})`);
  const s = sampled as ArrayLike<unknown>;
  if (s.length < 1 || s.length > V) throw new RangeError(`sampled must hold 1 to V = ${V} candidates (got ${s.length})`);
  const out = new Int32Array(s.length);
  for (let j = 0; j < s.length; j++) {
    const v = s[j];
    if (typeof v !== "number") throw new TypeError(`sampled[${j}] must be a number (got ${describe(v)})`);
    if (!(Number.isInteger(v) && v >= 0 && v < V)) throw new RangeError(`sampled[${j}] must be a class id in [0, ${V}) (got ${v})`);
    out[j] = v;
  }
  return out;
}

/**
 * S distinct classes of [0, V) drawn from the log-uniform (Zipfian) distribution
 * P(i) = (log(i + 2) - log(i + 1)) / log(V + 1), as TensorFlow's LogUniformSampler with
 * unique = true: floor(exp(u*log(V + 1))) - 1 per draw, repeats drawn again; numTries counts
 * every draw.
 */
export function logUniformUnique(S: number, V: number, random: () => number): { sampled: Int32Array; numTries: number } {
  const logRange = Math.log1p(V);
  const sampled = new Int32Array(S);
  const seen = new Set<number>();
  let numTries = 0;
  while (seen.size < S) {
    numTries++;
    const v = (Math.floor(Math.exp(random() * logRange)) - 1) % V;
    if (seen.has(v)) continue;
    sampled[seen.size] = v;
    seen.add(v);
  }
  return { sampled, numTries };
}

