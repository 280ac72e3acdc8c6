// One machine's part of a map-reduce (docs/parallel.md, "Beyond one machine"): the online state
// and the attention result over its share of the data, printed as JSON. Run by
// parallel.test.ts in separate processes; the test merges what they print.
//
//   node test/parallel/part.js <part> <parts>
import { init } from "../../dist/node.js";
import { prng } from "../conformance/conformance.js";

const [part, parts] = process.argv.slice(2).map(Number);
const sm = await init();

// Scores over a vocabulary of N, each machine holding a contiguous share.
const N = 50000;
const next = prng(5);
const scores = Float64Array.from({ length: N }, () => 12 * next() - 6);
const from = Math.floor((part * N) / parts);
const to = Math.floor(((part + 1) * N) / parts);
const state = sm.online().push(scores.subarray(from, to));

// Decode attention over a key/value cache of LENGTH rows, each machine a range of it.
const heads = 8;
const kvHeads = 2;
const dim = 16;
const LENGTH = 3000;
const q = Float64Array.from({ length: heads * dim }, () => 2 * next() - 1);
const keys = Float64Array.from({ length: LENGTH * kvHeads * dim }, () => 2 * next() - 1);
const values = Float64Array.from({ length: LENGTH * kvHeads * dim }, () => 2 * next() - 1);
const range = [Math.floor((part * LENGTH) / parts), Math.floor(((part + 1) * LENGTH) / parts)];
const { out, lse } = sm.attend(q, keys, values, { heads, kvHeads, dim, range, lse: true });

console.log(JSON.stringify({ max: state.max, sum: state.sum, out: [...out], lse: [...lse] }));
