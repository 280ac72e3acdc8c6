// The sparse family: one f32 row of 32,000 scores (a vocabulary, or attention over a long
// context): sparsemax, entmax at alpha 1.5 (its exact threshold) and at 1.1, 1.2, 1.3, 1.7, 2.5 and
// 4 (the search).
// Contenders: our builds (zero-copy and copying) and the JS backend; a sort-based JS
// implementation (sort the row, then the threshold from the cumulative sums, as the papers'
// algorithms and most ports do); and one softmax of the same row, the yardstick (targets:
// sparsemax and entmax 1.5 <= 2x, other alphas <= 4x). A full run adds the other shapes of
// values (flat, masked, confident): a flat row puts most entries near the threshold.

import { softmaxYardstick, workload } from "../workloads.js";

export const name = "sparse";
const defaultValues = "typical";
const family = { name, defaultValues };

const K = 32000;
/** The workloads' variants: the function and its alpha. */
const VARIANTS = { sparsemax: { op: "sparsemax", alpha: 2 }, "1.5": { op: "entmax", alpha: 1.5 }, "1.3": { op: "entmax", alpha: 1.3 } };
// Other alphas of the search, in a full run only.
for (const alpha of [1.1, 1.2, 1.7, 2.5, 4]) VARIANTS[alpha] = { op: "entmax", alpha };
const CORE_VARIANTS = ["sparsemax", "1.5", "1.3"];

// Each call takes the next of DRAWS rows of the shape of values, drawn apart: the search's
// branches on the values are taken at random on flat rows, and one row timed over and over
// taught them to the branch predictor (entmax 1.3 of the flat row: 65 us on one row, 118 us
// over 8, Node 24), which a user's rows do not.
const DRAWS = 8;

const one = (variant, values = defaultValues) =>
  workload(family, VARIANTS[variant].op, "f32", 1, K, { variant: variant === "sparsemax" ? undefined : variant, values, alpha: VARIANTS[variant].alpha, draws: DRAWS });

/**
 * sparsemax and entmax 1.5 and 1.3 of the typical row (a quick run: sparsemax alone) and of a
 * flat one (the row that puts most entries near the threshold; the core run of the other
 * runtimes too); a full run adds the masked and confident rows and the other alphas.
 */
export function workloads({ quick = false, core = false } = {}) {
  if (quick) return [one("sparsemax")];
  const shapes = core ? ["typical", "flat"] : ["typical", "flat", "masked", "confident"];
  const variants = core ? CORE_VARIANTS : Object.keys(VARIANTS);
  return shapes.flatMap((values) => variants.map((v) => one(v, values)));
}

/**
 * alpha-entmax of rows of k by sorting each row (f64 arithmetic): sparsemax from the sorted
 * cumulative sums, 1.5 from the sorted moments, other alphas by bisection over the sorted
 * prefix sums' support. Writes out (any float array) and returns it.
 */
export function sortedEntmax(x, k, alpha, out) {
  const kappa = 1 / (alpha - 1);
  const X = new Float64Array(k);
  for (let start = 0; start < x.length; start += k) {
    for (let j = 0; j < k; j++) X[j] = (alpha - 1) * x[start + j];
    X.sort().reverse();
    // -Infinity entries sort last and take no part.
    let live = k;
    while (live > 0 && X[live - 1] === -Infinity) live--;
    let tau;
    if (alpha === 2 || alpha === 1.5) {
      let s1 = 0;
      let s2 = 0;
      for (let j = 0; j < live; j++) {
        s1 += X[j];
        s2 += X[j] * X[j];
        const n = j + 1;
        const t = alpha === 2 ? (s1 - 1) / n : s1 / n - Math.sqrt(Math.max(0, (1 - (s2 - (s1 * s1) / n)) / n));
        if (t >= X[j]) break;
        tau = t;
      }
    } else {
      let lo = X[0] - 1;
      let hi = X[0];
      for (let it = 0; it < 60; it++) {
        const mid = (lo + hi) / 2;
        let f = 0;
        for (let j = 0; j < live && X[j] > mid; j++) f += (X[j] - mid) ** kappa;
        if (f >= 1) lo = mid;
        else hi = mid;
      }
      tau = lo;
    }
    for (let j = 0; j < k; j++) {
      const t = (alpha - 1) * x[start + j] - tau;
      out[start + j] = t > 0 ? (alpha === 2 ? t : alpha === 1.5 ? t * t : t ** kappa) : 0;
    }
  }
  return out;
}

/** Float64 reference: the sorted algorithms in f64. */
export function referenceOf(w, x) {
  return sortedEntmax(x, w.rowLength, w.alpha, new Float64Array(w.n));
}

/** The contract's bound, |y - r| <= 2e-6 (f32); errors in units of it. */
export function errorOf(w, got, reference) {
  const values = got?.array ?? got;
  if (values?.length !== reference.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < reference.length; i++) {
    const e = Math.abs(values[i] - reference[i]) / 2e-6;
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

const accepts = (w) => w.family === name;

/** A build's sparse API: typed arrays in and out ("copy") or WasmArrays ("zero-copy"). */
function ours({ name: build, kind, version, sm }, how) {
  return {
    name: kind === "baseline" ? build : `${build} ${how}`,
    kind,
    version,
    accepts,
    setup(w, inputs) {
      const arrays = [];
      const fns = inputs.map((input) => {
        let x = input;
        let out = new Float32Array(w.n);
        if (how === "zero-copy") {
          x = sm.alloc(w.n, "f32");
          x.array.set(input);
          out = sm.alloc(w.n, "f32");
          arrays.push(x, out);
        }
        return w.op === "sparsemax" ? () => sm.sparsemax(x, { out }) : () => sm.entmax(x, { alpha: w.alpha, out });
      });
      return { fns, dispose: () => arrays.forEach((a) => a.free()) };
    },
  };
}

const sortedJs = {
  name: "sort-based JS",
  kind: "naive",
  version: "-",
  accepts,
  setup(w, inputs) {
    const fns = inputs.map((x) => {
      const out = new Float32Array(w.n);
      return () => sortedEntmax(x, w.rowLength, w.alpha, out);
    });
    return { fns, dispose() {} };
  },
};

/** The family's contenders over `builds` ({ name, kind, version, sm }, see bench/contenders.js). */
export async function contenders(builds) {
  const list = builds.flatMap((b) => (b.kind === "baseline" ? [ours(b, "copy")] : [ours(b, "zero-copy"), ours(b, "copy")]));
  list.push(sortedJs);
  const best = builds.find((b) => b.kind === "softmax-wasm");
  if (best) list.push(softmaxYardstick(best, accepts));
  return list;
}
