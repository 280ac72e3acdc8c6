// word2vec's Huffman tree (CreateBinaryTree in word2vec.c, Mikolov et al. 2013) and the checked,
// cached form of any tree in its layout, shared by every backend.
//
// CreateBinaryTree sorts the outcomes by count, descending (equal counts: lower index first),
// then merges the two smallest nodes K-1 times. The leaves are taken from the end of the sorted
// order (pos1, walking down) and the inner nodes in creation order (pos2, walking up; their
// counts never fall); a leaf is taken only when its count is strictly below the inner node's,
// so on a tie the inner node goes first. Of the two nodes taken, the second gets bit 1. Inner
// node a (0..K-2) is word2vec's node K + a; the root is K-2. Each outcome's code and points
// are its path read from the root down.

import { describe } from "../core/validate.js";
import type { Counts, HuffmanTree } from "./types.js";

/** The counts as numbers, checked: K >= 2, each positive and finite. */
function countsOf(counts: unknown): ArrayLike<number> {
  const ok = Array.isArray(counts) || (ArrayBuffer.isView(counts) && !(counts instanceof DataView) && !(counts instanceof BigInt64Array) && !(counts instanceof BigUint64Array));
  if (!ok) throw new TypeError(`counts must be a number[] or a typed array (got ${describe(counts)})`);
  const c = counts as ArrayLike<unknown>;
  if (c.length < 2) throw new RangeError(`counts must have K >= 2 entries (got ${c.length})`);
  for (let i = 0; i < c.length; i++) {
    const v = c[i];
    if (typeof v !== "number") throw new TypeError(`counts[${i}] must be a number (got ${describe(v)})`);
    if (!(v > 0 && v < Infinity)) throw new RangeError(`counts[${i}] must be positive and finite (got ${v})`);
  }
  return c as ArrayLike<number>;
}

/** word2vec's CreateBinaryTree over `counts` (see the header). */
export function huffman(counts: Counts): HuffmanTree {
  const c = countsOf(counts);
  const K = c.length;
  // The outcomes by count descending, equal counts by lower index first.
  const order = Int32Array.from({ length: K }, (_, i) => i).sort((a, b) => c[b] - c[a] || a - b);
  // Nodes 0..K-1 are the sorted leaves, K..2K-2 the inner nodes (word2vec's numbering).
  // Inner nodes not made yet count as Infinity (word2vec: 1e15).
  const count = new Float64Array(2 * K - 1).fill(Infinity);
  for (let p = 0; p < K; p++) count[p] = c[order[p]];
  const parent = new Int32Array(2 * K - 1);
  const bit = new Uint8Array(2 * K - 1);
  let pos1 = K - 1;
  let pos2 = K;
  const take = () => (pos1 >= 0 && count[pos1] < count[pos2] ? pos1-- : pos2++);
  for (let a = 0; a < K - 1; a++) {
    const min1 = take();
    const min2 = take();
    count[K + a] = count[min1] + count[min2];
    parent[min1] = K + a;
    parent[min2] = K + a;
    bit[min2] = 1;
  }
  // Path lengths, then each outcome's path written from its leaf up, so root first.
  const root = 2 * K - 2;
  const depth = new Int32Array(K);
  let total = 0;
  for (let p = 0; p < K; p++) {
    let d = 0;
    for (let n = p; n !== root; n = parent[n]) d++;
    depth[p] = d;
    total += d;
  }
  const lengths = new Int32Array(K);
  for (let p = 0; p < K; p++) lengths[order[p]] = depth[p];
  const offsets = offsetsOf(lengths);
  const codes = new Uint8Array(total);
  const points = new Int32Array(total);
  for (let p = 0; p < K; p++) {
    const i = order[p];
    let at = offsets[i] + lengths[i];
    for (let n = p; n !== root; n = parent[n]) {
      at--;
      codes[at] = bit[n];
      points[at] = parent[n] - K;
    }
  }
  return { codes, points, lengths };
}

/** Where each path starts: the running sum of the lengths (K + 1 entries). */
function offsetsOf(lengths: ArrayLike<number>): Float64Array {
  const offsets = new Float64Array(lengths.length + 1);
  for (let i = 0; i < lengths.length; i++) offsets[i + 1] = offsets[i] + lengths[i];
  return offsets;
}

/** A tree checked once: its arrays as typed arrays, the paths' offsets; the child table once a draw needs it. */
export interface CheckedTree {
  K: number;
  codes: Uint8Array | Int32Array;
  points: Int32Array;
  lengths: Int32Array;
  offsets: Float64Array;
  /** The tree's own arrays when it was checked: a tree whose fields were replaced is checked again. */
  source: readonly unknown[];
  /** children[2*node + bit]: an inner node, or -1 - outcome for a leaf; made when a draw first needs it. */
  children?: Int32Array;
  root?: number;
}

const checked = new WeakMap<object, CheckedTree>();

/** An integer array field of a tree, as an Int32Array (itself when it is one). */
function field(tree: Record<string, unknown>, name: string): Int32Array {
  const v = tree[name];
  if (v instanceof Int32Array) return v;
  if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) {
    const a = v as ArrayLike<unknown>;
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (typeof x !== "number") throw new TypeError(`tree.${name}[${i}] must be a number (got ${describe(x)})`);
      if (!(Number.isInteger(x) && Math.abs(x) < 2 ** 31)) throw new RangeError(`tree.${name}[${i}] must be an integer (got ${x})`);
    }
    return Int32Array.from(a as ArrayLike<number>);
  }
  throw new TypeError(`tree.${name} must be an integer array (got ${describe(v)})`);
}

/**
 * The tree of a call, checked the first time this object is seen (lengths >= 1 summing to the
 * codes' and points' lengths, codes 0 or 1, points in [0, K-2]) and kept for the next calls.
 */
export function treeOf(tree: unknown): CheckedTree {
  if (typeof tree !== "object" || tree === null) throw new TypeError(`tree must be { codes, points, lengths } (got ${describe(tree)})`);
  const t = tree as Record<string, unknown>;
  const source = [t.codes, t.points, t.lengths];
  const known = checked.get(tree);
  if (known && known.source.every((a, i) => a === source[i])) return known;
  const lengths = field(t, "lengths");
  const codes = t.codes instanceof Uint8Array ? t.codes : field(t, "codes");
  const points = field(t, "points");
  const K = lengths.length;
  if (K < 2) throw new RangeError(`tree.lengths must have K >= 2 entries, one per outcome (got ${K})`);
  for (let i = 0; i < K; i++) if (!(lengths[i] >= 1)) throw new RangeError(`tree.lengths[${i}] must be >= 1 (got ${lengths[i]})`);
  const offsets = offsetsOf(lengths);
  const total = offsets[K];
  if (codes.length !== total || points.length !== total) {
    throw new RangeError(`tree.codes and tree.points must hold every path: the sum of tree.lengths, ${total} (got ${codes.length} and ${points.length})`);
  }
  for (let i = 0; i < total; i++) {
    if (codes[i] !== 0 && codes[i] !== 1) throw new RangeError(`tree.codes[${i}] must be 0 or 1 (got ${codes[i]})`);
    if (!(points[i] >= 0 && points[i] <= K - 2)) throw new RangeError(`tree.points[${i}] must be an inner node in [0, ${K - 2}] (got ${points[i]})`);
  }
  const result: CheckedTree = { K, codes, points, lengths, offsets, source };
  checked.set(tree, result);
  return result;
}

/** The child table of a tree (children[2*node + bit]), built once: RangeError where the paths do not form one tree. */
export function childrenOf(tree: CheckedTree): { children: Int32Array; root: number } {
  if (tree.children && tree.root !== undefined) return { children: tree.children, root: tree.root };
  const { K, codes, points, lengths, offsets } = tree;
  const children = new Int32Array(2 * (K - 1)).fill(2 ** 31 - 1);
  const root = points[0];
  const EMPTY = 2 ** 31 - 1;
  for (let i = 0; i < K; i++) {
    const start = offsets[i];
    const end = start + lengths[i];
    if (points[start] !== root) throw new RangeError(`tree: outcome ${i}'s path starts at node ${points[start]}, outcome 0's at ${root} (one root)`);
    for (let s = start; s < end; s++) {
      const slot = 2 * points[s] + codes[s];
      const child = s + 1 < end ? points[s + 1] : -1 - i;
      if (children[slot] !== EMPTY && children[slot] !== child) {
        throw new RangeError(`tree: node ${points[s]}, bit ${codes[s]} leads to two places (outcome ${i}'s path disagrees with an earlier one)`);
      }
      children[slot] = child;
    }
  }
  for (let slot = 0; slot < children.length; slot++) {
    if (children[slot] === EMPTY) throw new RangeError(`tree: node ${slot >> 1}, bit ${slot & 1} leads nowhere (every inner node needs two children)`);
  }
  tree.children = children;
  tree.root = root;
  return { children, root };
}
