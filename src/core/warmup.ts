// A short warm-up for init(). Engines run new wasm in a baseline tier first and compile the
// optimized code in the background, function by function, once a function has run enough
// (V8: Liftoff, then TurboFan; Firefox: its baseline, then Ion; JavaScriptCore: BBQ, then
// OMG): the first hundreds of calls ran 1.3-3x slower than steady state. The warm-up runs f32
// softmax on a scratch row in tries, yielding between them so the background compiler gets
// the CPU, until
// - it has made MIN_CALLS calls: JavaScriptCore's baseline code is only 1.3-1.6x slower than
//   its optimized code, so a speed-up alone does not tell the two apart (it stopped Bun's
//   warm-up at the baseline code), and its optimized code came after hundreds of calls; and
// - two tries in a row ran SPEEDUP faster than the baseline code (V8's optimized code is
//   1.9x faster than Liftoff's, Firefox's 6-7x faster than its baseline code),
// for WARM_UP_MS at most. A try that took less than TRY_MS makes the next one twice as long,
// so the calls are not outnumbered by the sleeps once the code gets fast.

import type { CoreKernels } from "./types.js";

const N = 4096;
/** Upper bound of the warm-up, in ms (the optimized compile alone took 13-39 ms on a loaded 2-core machine). */
export const WARM_UP_MS = 100;
/** Calls of softmax on the scratch row at least (see above; 4 ms of optimized code in V8). */
export const MIN_CALLS = 1024;
/** Calls per timed try to begin with: with those of the first tries, V8's tier-up budget is used up. */
const CALLS = 16;
/** A try lasts this long at least, so that coarse clocks (browsers) still tell the speed. */
const TRY_MS = 1;
/** A try this much faster than the baseline code means the optimized code runs. */
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
    let made = 1;
    const time = (): number => {
      const start = performance.now();
      for (let i = 0; i < calls; i++) sm.softmax(x, opts);
      made += calls;
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
    baseline = Math.min(baseline, time()) / calls; // a try the scheduler interrupted is not the baseline
    // Two fast tries in a row: one could be the baseline code on a quieter moment.
    for (let tries = 0, fast = 0; (fast < 2 || made < MIN_CALLS) && tries < MAX_TRIES && performance.now() - started < WARM_UP_MS; tries++) {
      await sleep();
      const spent = time();
      fast = (spent / calls) * SPEEDUP < baseline ? fast + 1 : 0;
      if (spent < TRY_MS && calls < MIN_CALLS) calls *= 2;
    }
  } finally {
    x.free();
    y.free();
  }
}
