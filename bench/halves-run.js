// bench/halves.js's cases and its timing loop, without Node: `node bench/halves.js` runs them
// in Node, Deno or Bun, and `node bench/halves.js --browser chromium|firefox` in a page
// (bench/browser/page.js, ?halves). Each function on one row of f16 logits (an f16 WasmArray)
// against the same row in f32 (an f32 WasmArray holding the same values), zero-copy, outputs in
// f32 WasmArrays, timed side by side in interleaved rounds (harness.js) in one process.

import { logits, timeCases } from "./harness.js";

/** Bytes of input each case cycles through at sizes beyond the caches. */
const ROTATE_BYTES = 64 * 2 ** 20;
const CACHED_BYTES = 4 * 2 ** 20;

/** A decode shape for attention: the keys (and values) of one call hold n elements. */
const HEADS = 32;
const KV_HEADS = 8;
const DIM = 128;

/**
 * The functions, each (sm, x, n, out) => a call on row x (a WasmArray of n logits, f32 or f16);
 * out(length) gives its f32 WasmArrays, shared by the copies of x (only inputs rotate);
 * out.owned(a) frees a WasmArray of its own with them.
 */
export const FUNCTIONS = {
  softmax: (sm, x, n, out) => {
    const y = out(n);
    return () => sm.softmax(x, { out: y });
  },
  // Logits uniform in magnitude over [1e-6, 5e-5], random sign (subnormal as halves): on Intel
  // cores a float operation on a subnormal takes a microcode assist (docs/core.md, "Subnormal
  // halves"), which the f16 kernels avoid by widening such rows without float arithmetic.
  "softmax subnormal logits": subnormalLogits(7, (sm, t, n, out) => {
    const y = out(n);
    return () => sm.softmax(t, { out: y });
  }),
  // The logits with runs of -Infinity (400 of every 1,000: masked tokens).
  "softmax masked": maskedLogits((sm, t, n, out) => {
    const y = out(n);
    return () => sm.softmax(t, { out: y });
  }),
  // A constrained decode: 990 of every 1,000 masked.
  "softmax mostly masked": maskedLogits(
    (sm, t, n, out) => {
      const y = out(n);
      return () => sm.softmax(t, { out: y });
    },
    990,
  ),
  "logSumExp masked": maskedLogits((sm, t) => () => sm.logSumExp(t)),
  "crossEntropy masked": maskedLogits((sm, t, n) => {
    const target = new Int32Array([(n >> 1) + 500]);
    return () => sm.crossEntropy(t, target);
  }),
  logSoftmax: (sm, x, n, out) => {
    const y = out(n);
    return () => sm.logSoftmax(x, { out: y });
  },
  logSumExp: (sm, x) => () => sm.logSumExp(x),
  "logSumExp weighted": (sm, x, n, out) => {
    const b = out(n);
    b.array.fill(0.5);
    return () => sm.logSumExp(x, { b });
  },
  "online push": (sm, x) => {
    const acc = sm.online();
    return () => acc.reset().push(x);
  },
  // The streaming softmax's last step: the row's probabilities from the accumulator's state.
  "online normalize": (sm, x, n, out) => {
    const y = out(n);
    const acc = sm.online().push(x);
    return () => acc.normalize(x, y);
  },
  argmax: (sm, x) => () => sm.argmax(x),
  "topK 50": (sm, x) => () => sm.topK(x, 50),
  "sample T 0.8": (sm, x) => () => sm.sample(x, { temperature: 0.8, seed: 1 }),
  "sample T 0.8 subnormal logits": subnormalLogits(11, (sm, t) => () => sm.sample(t, { temperature: 0.8, seed: 1 })),
  "sample topP 0.95 subnormal logits": subnormalLogits(11, (sm, t) => () => sm.sample(t, { temperature: 0.8, topP: 0.95, seed: 1 })),
  // The logits with every tenth made subnormal (as halves): ordinary rows the kernels read as halves.
  "sample topP 0.95 10% subnormal": (sm, x, n, out) => {
    const t = out.owned(operand(sm, x, Float32Array.from(x.array, (v, i) => (i % 10 === 3 ? Math.f16round(v * 1e-6) : v))));
    return () => sm.sample(t, { temperature: 0.8, topP: 0.95, seed: 1 });
  },
  "sample T 0.8 masked": maskedLogits((sm, t) => () => sm.sample(t, { temperature: 0.8, seed: 1 })),
  "sample topP 0.95 mostly masked": maskedLogits((sm, t) => () => sm.sample(t, { temperature: 0.8, topP: 0.95, seed: 1 }), 990),
  "sample topK 50": (sm, x) => () => sm.sample(x, { topK: 50, seed: 1 }),
  "sample topP 0.95": (sm, x) => () => sm.sample(x, { temperature: 0.8, topP: 0.95, seed: 1 }),
  "sample minP 0.05": (sm, x) => () => sm.sample(x, { minP: 0.05, seed: 1 }),
  // Penalties write the row: halves are widened into the staged copy (the f32 kernels follow).
  "sample penalties": (sm, x) => () => sm.sample(x, { repetitionPenalty: 1.2, history: [1, 2, 3, 5, 8], topK: 50, seed: 1 }),
  "sampler topP 0.9": (sm, x) => {
    const s = sm.sampler({ temperature: 0.8, topP: 0.9, seed: 1 });
    return () => s.sample(x);
  },
  distribution: (sm, x, n, out) => {
    const y = out(n);
    return () => sm.distribution(x, { temperature: 0.8, out: y });
  },
  gumbelSoftmax: (sm, x, n, out) => {
    const y = out(n);
    return () => sm.gumbelSoftmax(x, { seed: 1, out: y });
  },
  "crossEntropy + grad": (sm, x, n, out) => {
    const grad = out(n);
    const target = new Int32Array([n >> 1]);
    return () => sm.crossEntropy(x, target, { grad });
  },
  crossEntropy: (sm, x, n, out) => {
    const target = new Int32Array([n >> 1]);
    return () => sm.crossEntropy(x, target);
  },
  logProbs: (sm, x, n, out) => {
    const target = new Int32Array([n >> 1]);
    const y = out(1);
    return () => sm.logProbs(x, target, { out: y });
  },
  softmaxBackward: (sm, x, n, out) => {
    const y = out(n);
    return () => sm.softmaxBackward(x, x, { out: y });
  },
  // gradY f16 (or f32), y an f32 row (a softmax's output, f32 for f16 logits): the lone f16
  // operand is widened before the f32 kernel.
  "softmaxBackward f32 y": (sm, x, n, out) => {
    const y = out(n);
    const p = out.owned(sm.alloc(n, "f32"));
    p.array.fill(1 / n);
    return () => sm.softmaxBackward(x, p, { out: y });
  },
  // y f16 (or f32), gradY an f32 row: the lone f16 operand is widened before the f32 kernel.
  "softmaxBackward f32 g": (sm, x, n, out) => {
    const y = out(n);
    const g = out.owned(sm.alloc(n, "f32"));
    g.array.set(x.array);
    return () => sm.softmaxBackward(g, x, { out: y });
  },
  // The other operand uniform in magnitude over [1e-6, 5e-5] (subnormal as halves, below
  // 6.1e-5), the logits as g or y: on AMD Zen 5 widening subnormal halves inside a loop of
  // normal multiplies once cost 2-3x (docs/loss.md, "Half precision").
  "softmaxBackward subnormal y": subnormalRow("y", "softmaxBackward"),
  "softmaxBackward subnormal g": subnormalRow("g", "softmaxBackward"),
  // y the softmax of the logits (most of a long row's entries subnormal as halves).
  "softmaxBackward softmax y": (sm, x, n, out) => {
    const y = out(n);
    const p = out.owned(operand(sm, x, softmaxOf(x.array)));
    return () => sm.softmaxBackward(x, p, { out: y });
  },
  logSoftmaxBackward: (sm, x, n, out) => {
    const y = out(n);
    return () => sm.logSoftmaxBackward(x, x, { out: y });
  },
  // logY the log-softmax of the logits (all <= 0, as a log-softmax's output is; the row above
  // passes the logits, half of them above 0, where each exp is taken twice).
  "logSoftmaxBackward logSoftmax y": (sm, x, n, out) => {
    const y = out(n);
    const logY = out.owned(operand(sm, x, logSoftmaxOf(x.array)));
    return () => sm.logSoftmaxBackward(x, logY, { out: y });
  },
  sparsemax: (sm, x, n, out) => {
    const y = out(n);
    return () => sm.sparsemax(x, { out: y });
  },
  "entmax 1.5": (sm, x, n, out) => {
    const y = out(n);
    return () => sm.entmax(x, { alpha: 1.5, out: y });
  },
  "entmax 1.3": (sm, x, n, out) => {
    const y = out(n);
    return () => sm.entmax(x, { alpha: 1.3, out: y });
  },
  "sparsemax subnormal logits": subnormalLogits(13, (sm, t, n, out) => {
    const y = out(n);
    return () => sm.sparsemax(t, { out: y });
  }),
  "entmax 1.5 subnormal logits": subnormalLogits(13, (sm, t, n, out) => {
    const y = out(n);
    return () => sm.entmax(t, { alpha: 1.5, out: y });
  }),
  sparsemaxLoss: (sm, x, n, out) => {
    const target = new Int32Array([n >> 1]);
    return () => sm.sparsemaxLoss(x, target);
  },
  "entmaxLoss 1.5": (sm, x, n, out) => {
    const target = new Int32Array([n >> 1]);
    return () => sm.entmaxLoss(x, target, { alpha: 1.5 });
  },
  sparsemaxBackward: (sm, x, n, out) => {
    const y = out(n);
    return () => sm.sparsemaxBackward(x, x, { out: y });
  },
  "entmaxBackward 1.5": (sm, x, n, out) => {
    const y = out(n);
    return () => sm.entmaxBackward(x, x, { alpha: 1.5, out: y });
  },
  "entmaxBackward 1.3": (sm, x, n, out) => {
    const y = out(n);
    return () => sm.entmaxBackward(x, x, { alpha: 1.3, out: y });
  },
  // As softmaxBackward's rows: the other operand uniform in magnitude over [1e-6, 5e-5]
  // (subnormal as halves), the logits as g or y (docs/sparse.md, "Half precision").
  "entmaxBackward 1.5 subnormal y": subnormalRow("y", "entmaxBackward", { alpha: 1.5 }),
  "entmaxBackward 1.5 subnormal g": subnormalRow("g", "entmaxBackward", { alpha: 1.5 }),
  "entmaxBackward 1.3 subnormal y": subnormalRow("y", "entmaxBackward", { alpha: 1.3 }),
  "entmaxBackward 1.3 subnormal g": subnormalRow("g", "entmaxBackward", { alpha: 1.3 }),
  "attend (keys and values)": attendCase(""),
  // The logits as keys, values uniform in magnitude over [1e-6, 5e-5] (subnormal as halves).
  "attend subnormal values": attendCase("values"),
  // Keys uniform in magnitude over [1e-6, 5e-5], the logits as values.
  "attend subnormal keys": attendCase("keys"),
};

/**
 * A decode step of attend over a cache of n elements of keys and as many of values: the logits,
 * but the `subnormal` operand ("keys", "values" or none) uniform in magnitude over [1e-6, 5e-5].
 */
function attendCase(subnormal) {
  return (sm, x, n, out) => {
    const length = Math.max(1, Math.floor(n / (KV_HEADS * DIM)));
    const q = logits(HEADS * DIM, "f32", 7).map((v) => v / 8);
    const y = out(HEADS * DIM);
    const cache = out.owned(sm.alloc(length * KV_HEADS * DIM, x.dtype));
    cache.array.set(x.array.subarray(0, cache.length));
    const small = subnormal ? out.owned(operand(sm, x, magnitudes(cache.length, 1e-6, 5e-5, true, 17))) : cache;
    const keys = subnormal === "keys" ? small : cache;
    const vals = subnormal === "values" ? small : cache;
    return () => sm.attend(q, keys, vals, { heads: HEADS, kvHeads: KV_HEADS, dim: DIM, out: y });
  };
}

/** The case f(sm, t, n, out) on logits t uniform in magnitude over [1e-6, 5e-5], random sign (subnormal as halves). */
function subnormalLogits(seed, f) {
  return (sm, x, n, out) => f(sm, out.owned(operand(sm, x, magnitudes(n, 1e-6, 5e-5, true, seed))), n, out);
}

/** The case f(sm, t, n, out) on the logits x with runs of -Infinity: `masked` of every 1,000 elements. */
function maskedLogits(f, masked = 400) {
  return (sm, x, n, out) => {
    const v = Float32Array.from(x.array, (a, i) => (i % 1000 < masked ? -Infinity : a));
    return f(sm, out.owned(operand(sm, x, v)), n, out);
  };
}

/**
 * A backward pass's row (sm[name](gradY, y, { ...opts, out })) with one operand, `which` ("g" or
 * "y"), uniform in magnitude over [1e-6, 5e-5] (subnormal as halves) and the logits as the other.
 */
function subnormalRow(which, name, opts = {}) {
  return (sm, x, n, out) => {
    const o = { ...opts, out: out(n) };
    const s = out.owned(operand(sm, x, magnitudes(n, 1e-6, 5e-5, which === "g", which === "g" ? 5 : 3)));
    const [g, y] = which === "g" ? [s, x] : [x, s];
    return () => sm[name](g, y, o);
  };
}

/** n values uniform in log magnitude over [lo, hi] (random sign when `signed`), rounded to halves. */
function magnitudes(n, lo, hi, signed, seed) {
  let s = seed;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  return Float32Array.from({ length: n }, () => {
    const m = Math.exp(Math.log(lo) + next() * Math.log(hi / lo));
    return Math.f16round(signed && next() < 0.5 ? -m : m);
  });
}

/** The softmax of row x (in f64), rounded to halves. */
function softmaxOf(x) {
  const [max, sum] = maxAndSum(x);
  return Float32Array.from(x, (v) => Math.f16round(Math.exp(v - max) / sum));
}

/** The max of x and the sum of exp(x_i - max): the softmax's and the log-softmax's. */
function maxAndSum(x) {
  let max = -Infinity;
  for (const v of x) max = Math.max(max, v);
  let sum = 0;
  for (const v of x) sum += Math.exp(v - max);
  return [max, sum];
}

/** The log-softmax of x, each value rounded to a half (an f16 row's values, as the f32 row's). */
function logSoftmaxOf(x) {
  const [max, sum] = maxAndSum(x);
  const lse = max + Math.log(sum);
  return Float32Array.from(x, (v) => Math.f16round(v - lse));
}

/** A WasmArray of x's dtype holding `values` (the second operand of a call). */
function operand(sm, x, values) {
  const a = sm.alloc(values.length, x.dtype);
  a.array.set(values);
  return a;
}

/** Throws where `only` (function names, or undefined: all) names a function FUNCTIONS lacks. */
export function checkNames(only) {
  const unknown = (only ?? []).filter((f) => !(f in FUNCTIONS));
  if (unknown.length) throw new Error(`no such function: ${unknown.join(", ")} (known: ${Object.keys(FUNCTIONS).join(", ")})`);
}

/**
 * Times every function of `only` (all if undefined) at each size, f32 against f16, for each
 * build of `sms` ([label, sm]: "" for this checkout, "before " for another), each case's figure
 * the `quantile` of its rounds (the median by default; a low one on a busy machine); `say` gets the
 * heading and a line per function and size (awaited: a page posts them). Resolves to the lines.
 */
export async function runHalves({ sms, sizes, only, rounds, quantile = 0.5, runtime, say }) {
  const lines = [];
  const emit = async (line) => {
    lines.push(line);
    await say(line);
  };
  const statistic = quantile === 0.5 ? "median" : `${quantile} quantile of the rounds,`;
  await emit(`f16 / f32 per function: ${runtime}, ${sms[0][1].backend}, ${rounds} interleaved rounds, ${statistic} ns per call; ratio = f16 / f32 of the same build`);
  const names = Object.keys(FUNCTIONS).filter((f) => !only || only.includes(f));
  checkNames(only);
  for (const n of sizes) {
    // Scores around 0 with a spread of a few units, exact in f16.
    const values = logits(n, "f32", 11).map((v) => Math.f16round(v / 2));
    for (const f of names) {
      const cases = [];
      const arrays = [];
      for (const [build, sm] of sms) {
        for (const dtype of ["f32", "f16"]) {
          const outputs = new Map();
          const out = (length) => {
            if (!outputs.has(length)) outputs.set(length, sm.alloc(length));
            arrays.push(outputs.get(length));
            return outputs.get(length);
          };
          out.owned = (a) => (arrays.push(a), a);
          const bytes = n * (dtype === "f16" ? 2 : 4);
          const copies = bytes > CACHED_BYTES ? Math.ceil(ROTATE_BYTES / bytes) : 1;
          const fns = Array.from({ length: copies }, () => {
            const x = sm.alloc(n, dtype);
            x.array.set(values);
            arrays.push(x);
            return FUNCTIONS[f](sm, x, n, out);
          });
          let i = 0;
          cases.push({ name: `${build}${dtype}`, fn: copies === 1 ? fns[0] : () => fns[i++ % copies]() });
        }
      }
      const timed = await timeCases(cases, { rounds, quantile, runMs: n > 100000 ? 60 : 30, warmMs: 150 });
      const ns = Object.fromEntries(timed.map((t) => [t.name, t.ns]));
      const cells = sms.map(([build]) => {
        const f32 = ns[`${build}f32`];
        const f16 = ns[`${build}f16`];
        return `${build || "now "}f32 ${(f32 / 1e3).toFixed(1)} us, f16 ${(f16 / 1e3).toFixed(1)} us: ${(f16 / f32).toFixed(2)}x`;
      });
      await emit(`${String(n).padStart(7)} ${f.padEnd(28)} ${cells.join(" | ")}`);
      for (const a of new Set(arrays)) a.free();
    }
  }
  return lines;
}
