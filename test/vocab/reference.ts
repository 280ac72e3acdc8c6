// Float64 references of the vocab family, written from the algorithms they follow:
// - word2vec's CreateBinaryTree (word2vec.c), transcribed with its arrays (count, binary,
//   parent_node of 2K entries, 1e15 for the inner nodes not made yet) and its code/point
//   loop; the vocabulary sorted by count descending, equal counts by lower index (word2vec's
//   qsort leaves ties unspecified; the package fixes this order);
// - the hierarchical softmax as word2vec's training loop reads it: f = sigma(h.syn1[point]),
//   log-likelihood log f for code 0 and log(1 - f) for code 1, computed with exact sums;
// - TensorFlow's sampled_softmax_loss (nn_impl._compute_sampled_logits and
//   softmax_cross_entropy_with_logits, num_true = 1) and LogUniformSampler with unique = true
//   (range_sampler.cc), over the uniforms of the package's generator.

export type Dtype = "f32" | "f64";

/** Accuracy of the contract (docs/vocab.md): relative to max(1, |r|). */
export const TOL = { f32: 1e-5, f64: 1e-12 } as const;

export interface RefTree {
  codes: number[];
  points: number[];
  lengths: number[];
}

/** word2vec's CreateBinaryTree, its variable names kept. */
export function refHuffman(counts: ArrayLike<number>): RefTree {
  const vocabSize = counts.length;
  const vocab = Array.from({ length: vocabSize }, (_, i) => ({ cn: counts[i], index: i }));
  vocab.sort((a, b) => b.cn - a.cn || a.index - b.index);
  const count = new Array<number>(vocabSize * 2 + 1).fill(1e15);
  const binary = new Array<number>(vocabSize * 2 + 1).fill(0);
  const parentNode = new Array<number>(vocabSize * 2 + 1).fill(0);
  for (let a = 0; a < vocabSize; a++) count[a] = vocab[a].cn;
  let pos1 = vocabSize - 1;
  let pos2 = vocabSize;
  let min1i: number;
  let min2i: number;
  for (let a = 0; a < vocabSize - 1; a++) {
    if (pos1 >= 0) {
      if (count[pos1] < count[pos2]) min1i = pos1--;
      else min1i = pos2++;
    } else min1i = pos2++;
    if (pos1 >= 0) {
      if (count[pos1] < count[pos2]) min2i = pos1--;
      else min2i = pos2++;
    } else min2i = pos2++;
    count[vocabSize + a] = count[min1i] + count[min2i];
    parentNode[min1i] = vocabSize + a;
    parentNode[min2i] = vocabSize + a;
    binary[min2i] = 1;
  }
  const codeOf: number[][] = [];
  const pointOf: number[][] = [];
  for (let a = 0; a < vocabSize; a++) {
    const code: number[] = [];
    const point: number[] = [];
    let b = a;
    for (;;) {
      code.push(binary[b]);
      point.push(b);
      b = parentNode[b];
      if (b === vocabSize * 2 - 2) break;
    }
    const i = code.length;
    const vc = new Array<number>(i);
    const vp = new Array<number>(i + 1);
    vp[0] = vocabSize - 2;
    for (b = 0; b < i; b++) {
      vc[i - b - 1] = code[b];
      vp[i - b] = point[b] - vocabSize;
    }
    codeOf[vocab[a].index] = vc;
    pointOf[vocab[a].index] = vp.slice(0, i); // the last entry is the leaf, not a node
  }
  return { codes: codeOf.flat(), points: pointOf.flat(), lengths: codeOf.map((c) => c.length) };
}

/** A balanced tree over K outcomes (not Huffman's): the other trees the layout admits. */
export function balancedTree(K: number): RefTree {
  // Inner nodes numbered as made, bottom-up pairing of a queue; root last (K - 2).
  let queue: { node: number; leaves: number[]; bits: number[][]; points: number[][] }[] = [];
  for (let i = 0; i < K; i++) queue.push({ node: -1 - i, leaves: [i], bits: [[]], points: [[]] });
  let next = 0;
  while (queue.length > 1) {
    const merged: typeof queue = [];
    for (let j = 0; j + 1 < queue.length; j += 2) {
      const n = next++;
      const left = queue[j];
      const right = queue[j + 1];
      merged.push({
        node: n,
        leaves: [...left.leaves, ...right.leaves],
        bits: [...left.bits.map((b) => [0, ...b]), ...right.bits.map((b) => [1, ...b])],
        points: [...left.points.map((p) => [n, ...p]), ...right.points.map((p) => [n, ...p])],
      });
    }
    if (queue.length % 2 === 1) merged.push(queue[queue.length - 1]);
    queue = merged;
  }
  const codes: number[][] = [];
  const points: number[][] = [];
  const [root] = queue;
  root.leaves.forEach((leaf, j) => {
    codes[leaf] = root.bits[j];
    points[leaf] = root.points[j];
  });
  return { codes: codes.flat(), points: points.flat(), lengths: codes.map((c) => c.length) };
}

/** The path of outcome i: [points, codes]. */
export function pathOf(tree: RefTree, i: number): [number[], number[]] {
  let start = 0;
  for (let j = 0; j < i; j++) start += tree.lengths[j];
  const end = start + tree.lengths[i];
  return [tree.points.slice(start, end), tree.codes.slice(start, end)];
}

const dot = (h: ArrayLike<number>, ho: number, w: ArrayLike<number>, wo: number, dim: number) => {
  let s = 0;
  for (let d = 0; d < dim; d++) s += h[ho + d] * w[wo + d];
  return s;
};

/** log(1 + e^x) for any x. */
const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

/** log P(target | h) of every row: word2vec's f = sigma(h.syn1) per node, log f (code 0) or log(1 - f) (code 1). */
export function refLogProb(h: ArrayLike<number>, nodes: ArrayLike<number>, tree: RefTree, targets: ArrayLike<number>, dim: number): number[] {
  return Array.from(targets, (t, r) => {
    const [points, codes] = pathOf(tree, t);
    let s = 0;
    for (let k = 0; k < points.length; k++) {
      const f = dot(h, r * dim, nodes, points[k] * dim, dim);
      // log sigma(f) = -softplus(-f); log(1 - sigma(f)) = -softplus(f)
      s -= codes[k] === 0 ? softplus(-f) : softplus(f);
    }
    return s;
  });
}

/** TensorFlow's log-uniform sampler with unique = true over V classes, from `uniform` draws. */
export function refLogUniform(S: number, V: number, uniform: () => number): { sampled: number[]; numTries: number } {
  const logRange = Math.log(V + 1);
  const used = new Set<number>();
  const sampled: number[] = [];
  let numTries = 0;
  while (sampled.length < S) {
    numTries++;
    const value = (Math.floor(Math.exp(uniform() * logRange)) - 1) % V;
    if (!used.has(value)) {
      used.add(value);
      sampled.push(value);
    }
  }
  return { sampled, numTries };
}

/** LogUniformSampler::Probability: (log(k + 2) - log(k + 1)) / log(V + 1). */
export const refQ = (k: number, V: number) => (Math.log(k + 2) - Math.log(k + 1)) / Math.log(V + 1);

/** ExpectedCountHelper. */
export const refExpected = (p: number, S: number, numTries: number) => (numTries === S ? p * S : -Math.expm1(numTries * Math.log1p(-p)));

export interface SampledOptions {
  removeAccidentalHits: boolean;
  subtractLogQ: boolean;
  numTries: number;
}

/** The loss per row of sampled_softmax_loss with the given candidates. */
export function refSampledLoss(
  h: ArrayLike<number>,
  weights: ArrayLike<number>,
  biases: ArrayLike<number>,
  targets: ArrayLike<number>,
  sampled: number[],
  dim: number,
  { removeAccidentalHits, subtractLogQ, numTries }: SampledOptions,
): number[] {
  const V = biases.length;
  const S = sampled.length;
  const logE = (k: number) => (subtractLogQ ? Math.log(refExpected(refQ(k, V), S, numTries)) : 0);
  return Array.from(targets, (t, r) => {
    const trueLogit = dot(h, r * dim, weights, t * dim, dim) + biases[t] - logE(t);
    // acc_hits add -FLOAT_MAX to the candidate's logit: probability 0.
    const logits = sampled.map((s) => (removeAccidentalHits && s === t ? -Infinity : dot(h, r * dim, weights, s * dim, dim) + biases[s] - logE(s)));
    const all = [trueLogit, ...logits];
    const m = Math.max(...all);
    let sum = 0;
    for (const l of all) sum += Math.exp(l - m);
    return m + Math.log(sum) - trueLogit;
  });
}
