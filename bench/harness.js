// Timing for the benchmarks: every case is calibrated to a run of about `runMs`, then the
// cases are timed in interleaved rounds (one run of each per round), so a burst of load
// elsewhere on a shared machine lands on all of them alike; the figure is the median.

/** Nanoseconds per call of `count` calls of fn. */
function timeCalls(fn, count) {
  const start = performance.now();
  for (let i = 0; i < count; i++) fn();
  return ((performance.now() - start) * 1e6) / count;
}

/** Warms fn up for about warmMs, then returns the call count of a run of about runMs. */
function calibrate(fn, warmMs, runMs) {
  let spent = 0;
  let ns = 0;
  for (let count = 1; spent < warmMs * 1e6; count *= 2) {
    ns = timeCalls(fn, count);
    spent += ns * count;
  }
  for (let r = 0; r < 3; r++) ns = Math.min(ns, timeCalls(fn, Math.max(1, Math.round((runMs * 1e6) / ns))));
  return Math.max(1, Math.round((runMs * 1e6) / ns));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Times each case ({ name, fn }) and returns [{ name, ns }] (median ns per call).
 * onRound(done, total) reports progress.
 */
export function timeCases(cases, { rounds = 9, runMs = 20, warmMs = 100, onRound } = {}) {
  const counts = cases.map((c) => calibrate(c.fn, warmMs, runMs));
  const samples = cases.map(() => []);
  for (let round = 0; round < rounds; round++) {
    cases.forEach((c, i) => samples[i].push(timeCalls(c.fn, counts[i])));
    onRound?.(round + 1, rounds);
  }
  return cases.map((c, i) => ({ name: c.name, ns: median(samples[i]) }));
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

/** Largest |a_i - b_i|, to check a contender's output before it is timed. */
export function maxDifference(a, b) {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return a.length === b.length ? worst : Infinity;
}
