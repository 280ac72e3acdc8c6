// Timing for the benchmarks: every case is calibrated to a run of about `runMs`, then the
// cases are timed in interleaved rounds (one run of each per round), so a burst of load
// elsewhere on a shared machine lands on all of them alike; the figure is the median (or
// another quantile of the rounds: a low one on a machine busy with other work).
// A case may be async (onnxruntime has no synchronous run): it is timed by a loop that
// awaits each call, while the loop of a sync case stays a plain loop with no await in it.

const AsyncFunction = (async () => {}).constructor;

/**
 * A timing loop of its own for one case: (fn, count) => nanoseconds per call of `count`
 * calls of fn (awaited if async). One shared loop would see every case's fn at its call
 * site, which V8 then stops inlining (megamorphic): ~50 ns more per call for all cases
 * but the first. A loop per case keeps the call site monomorphic, as in a caller's code.
 */
function timingLoop(isAsync) {
  const body = `const start = performance.now();
for (let i = 0; i < count; i++) ${isAsync ? "await " : ""}fn();
return ((performance.now() - start) * 1e6) / count;`;
  return isAsync ? new AsyncFunction("fn", "count", body) : new Function("fn", "count", body);
}

/** Warms fn up for about warmMs, then returns the call count of a run of about runMs. */
async function calibrate(time, fn, warmMs, runMs) {
  let spent = 0;
  let ns = 0;
  for (let count = 1; spent < warmMs * 1e6; count *= 2) {
    ns = await time(fn, count);
    spent += ns * count;
  }
  // Calls longer than a run are timed one at a time anyway: no need to refine their count.
  for (let r = 0; r < 3 && ns < runMs * 1e6; r++) ns = Math.min(ns, await time(fn, Math.max(1, Math.round((runMs * 1e6) / ns))));
  return { count: Math.max(1, Math.round((runMs * 1e6) / ns)), ns };
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** The q-quantile of xs (the sample at floor(q*n) in sorted order; 0.5 is the median). */
export const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

/**
 * Times each case ({ name, fn, async?, warmMs? }) and returns [{ name, ns, min, samples }]
 * (ns: the `quantile` of ns per call over the rounds, the median by default). When a round would take long (cases of a
 * second per call), the rounds are cut to fit about budgetMs, but never below minRounds.
 * onCalibrated(count, total) and onRound(done, total) report progress.
 */
export async function timeCases(
  cases,
  { rounds = 9, minRounds = 5, runMs = 20, warmMs = 100, budgetMs = Infinity, quantile: q = 0.5, onCalibrated, onRound } = {},
) {
  const loops = cases.map((c) => timingLoop(c.async === true));
  const runs = [];
  for (const [i, c] of cases.entries()) {
    runs.push(await calibrate(loops[i], c.fn, c.warmMs ?? warmMs, runMs));
    onCalibrated?.(runs.length, cases.length);
  }
  const roundMs = runs.reduce((ms, r) => ms + (r.count * r.ns) / 1e6, 0);
  const total = Math.max(Math.min(rounds, minRounds), Math.min(rounds, Math.floor(budgetMs / roundMs)));
  const samples = cases.map(() => []);
  for (let round = 0; round < total; round++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i];
      samples[i].push(c.async ? await loops[i](c.fn, runs[i].count) : loops[i](c.fn, runs[i].count));
    }
    onRound?.(round + 1, total);
  }
  return cases.map((c, i) => ({ name: c.name, ns: quantile(samples[i], q), min: Math.min(...samples[i]), samples: samples[i] }));
}

/** Deterministic logits in [-8, 8) (xorshift32). */
export function logits(length, dtype = "f32", seed = 0x9e3779b9) {
  let s = seed >>> 0;
  const a = dtype === "f32" ? new Float32Array(length) : new Float64Array(length);
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = ((s >>> 0) / 2 ** 32) * 16 - 8;
  }
  return a;
}
