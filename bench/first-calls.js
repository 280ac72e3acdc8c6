// The first calls after init(): an application that calls softmax once per token lives in
// them, while the engine still runs the module's baseline code. Runs in every runtime of the
// suite (no Node APIs). It must run before anything else in the process compiles the same
// bytes: engines share compiled (and tiered-up) code between modules of identical bytes.

import { logits } from "./harness.js";
import { initializerFor } from "./kernels.js";

const N = 32000;
/** Calls per timed group: short groups, so that the scheduler stretches few of them on a loaded machine. */
const GROUP = 5;
const FIRST = 100;
/** Calls 1-10 are the first groups; the ratio is taken over the groups of calls 11-100. */
const SKIP = 10 / GROUP;
/** Steady state: calls keep running this long before it is timed (Firefox needs ~1.3 s). */
const SETTLE_MS = 2000;

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Times calls 1 to 100 of f32 softmax at n = 32000 (zero-copy) on new Kernels of `build` of
 * the package in `distDir` (see initializerFor: the package is imported and the build read
 * first; initMs is init() alone, its compile and warm-up included), in groups of GROUP calls, then the steady state after
 * SETTLE_MS more of calls. Returns { n, group (GROUP), initMs, groups (ns per call of each
 * group), first (ns per call of calls 1-10), later (ns per call, median group of calls
 * 11-100), steady (ns per call, median group), ratio (later over steady), worst (the slowest
 * group of calls 11-100 over steady) }.
 */
export async function firstCalls(distDir, build) {
  const init = await initializerFor(distDir, build);
  const t0 = performance.now();
  const sm = await init();
  const initMs = performance.now() - t0;
  const x = sm.alloc(N);
  const y = sm.alloc(N);
  x.array.set(logits(N));
  const opts = { out: y };
  const group = (calls) => {
    const start = performance.now();
    for (let i = 0; i < calls; i++) sm.softmax(x, opts);
    return ((performance.now() - start) * 1e6) / calls;
  };
  const groups = [];
  for (let done = 0; done < FIRST; done += GROUP) groups.push(group(GROUP));
  const settle = performance.now();
  while (performance.now() - settle < SETTLE_MS) group(GROUP);
  const steady = median(Array.from({ length: 41 }, () => group(GROUP)));
  x.free();
  y.free();
  const first = groups.slice(0, SKIP).reduce((a, b) => a + b) / SKIP;
  const later = median(groups.slice(SKIP));
  return { n: N, group: GROUP, initMs, groups, first, later, steady, ratio: later / steady, worst: Math.max(...groups.slice(SKIP)) / steady };
}
