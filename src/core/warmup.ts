// A short warm-up for init(). Engines run new wasm in a baseline tier first and compile the
// optimized code in the background once a function has run enough (V8: Liftoff, then
// TurboFan; Firefox: its baseline, then Ion): the first hundreds of calls ran 2-3x slower
// than steady state. The warm-up runs f32 softmax on a scratch row until it gets that much
// faster (the optimized code is in), yielding between tries so the background compiler
// gets the CPU, for WARM_UP_MS at most.

import type { CoreKernels } from "./types.js";

const N = 4096;
/** Upper bound of the warm-up, in ms (the optimized compile alone took 13-39 ms on a loaded 2-core machine). */
export const WARM_UP_MS = 100;
/** Calls per timed try at least: with those of the first tries, V8's tier-up budget is used up. */
const CALLS = 16;
/** A try lasts this long at least, so that coarse clocks (browsers) still tell the speed. */
const TRY_MS = 1;
/** A try this much faster than the first means the optimized code runs. */
const SPEEDUP = 1.6;
/** Tries at most, for runtimes whose clock stands still while code runs (workerd). */
const MAX_TRIES = 64;

/** Between tries the thread sleeps this long, so that the background compiler gets a core. */
const SLEEP_MS = 2;

const sleep = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, SLEEP_MS));

/** Warms up sm's f32 softmax (see above); resolves when done. */
export async function warmUp(sm: CoreKernels): Promise<void> {
  const x = sm.alloc(N);
  const y = sm.alloc(N);
  try {
    const a = x.array;
    for (let i = 0; i < N; i++) a[i] = ((i * 37) % 101) / 8;
    const opts = { out: y };
    let calls = CALLS;
    const time = (): number => {
      const start = performance.now();
      for (let i = 0; i < calls; i++) sm.softmax(x, opts);
      return performance.now() - start;
    };
    const started = performance.now();
    sm.softmax(x, opts); // compiles the baseline code
    let baseline = time();
    while (baseline < TRY_MS && calls < 64 * CALLS) {
      calls *= 2;
      baseline = time();
    }
    if (baseline === 0) return; // a clock that stands still while code runs tells nothing
    baseline = Math.min(baseline, time()); // a try the scheduler interrupted is not the baseline
    // Two fast tries in a row: one could be the baseline code on a quieter moment.
    for (let tries = 0, fast = 0; fast < 2 && tries < MAX_TRIES && performance.now() - started < WARM_UP_MS; tries++) {
      await sleep();
      fast = time() * SPEEDUP < baseline ? fast + 1 : 0;
    }
  } finally {
    x.free();
    y.free();
  }
}
