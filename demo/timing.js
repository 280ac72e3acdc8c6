// Timing, result rows and run buttons for the demo's benchmarks (the softmax panel in main.js, the attention panel in
// attention.js): calls timed in batches of about BATCH_MS after a warm-up, contenders taking
// turns round by round, the median round reported.

const BATCH_MS = 20;
const WARMUP_MS = 40;

/** Lets the page paint between rounds. */
export const yieldToBrowser = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Milliseconds for `calls` calls of `call`. */
export function timeCalls(call, calls) {
  const started = performance.now();
  for (let k = 0; k < calls; k++) call();
  return performance.now() - started;
}

/** Runs the call for WARMUP_MS (JIT tiers, caches), then returns the calls per BATCH_MS batch. */
export function warmUp(call) {
  const started = performance.now();
  let calls = 0;
  do {
    call();
    calls++;
  } while (performance.now() - started < WARMUP_MS);
  const probe = Math.ceil(calls / 4);
  const msPerCall = timeCalls(call, probe) / probe;
  return Math.max(1, Math.round(BATCH_MS / msPerCall));
}

export const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Interleaved rounds: every contender warmed up, then `reps` rounds in which each times one
 * batch, the order rotated so that none always runs first. Returns per contender the ms per
 * call of every round and the batch size. `progress(done, total)` after each round.
 */
export async function interleaved(calls, reps, progress) {
  const batch = calls.map(warmUp);
  const samples = calls.map(() => []);
  for (let rep = 0; rep < reps; rep++) {
    for (let k = 0; k < calls.length; k++) {
      const c = (k + rep) % calls.length;
      samples[c].push(timeCalls(calls[c], batch[c]) / batch[c]);
    }
    progress?.(rep + 1, reps);
    await yieldToBrowser();
  }
  return { samples, batch };
}

/** Appends one table cell per [text, title?] to the row. */
export function appendCells(tr, cells) {
  for (const [text, title] of cells) {
    const td = document.createElement("td");
    td.textContent = text;
    if (title) td.title = title;
    tr.append(td);
  }
}

/**
 * Wires a benchmark's button: while `run(progress)` runs the button is disabled, the progress
 * bar shown and body[data-<state>] is "running"; `progress(fraction, message)` moves the bar and
 * the status line. `run` resolves with the status text for the seconds it took; then the result
 * is shown and the state is "done" ("failed", with `${what} failed: ...`, if it throws).
 */
export function benchmarkButton({ button, progress, status, result, state, what }, run) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    progress.hidden = false;
    document.body.dataset[state] = "running";
    const started = performance.now();
    try {
      const doneText = await run((fraction, message) => {
        progress.value = fraction;
        status.textContent = message;
      });
      result.hidden = false;
      status.textContent = doneText((performance.now() - started) / 1000);
      document.body.dataset[state] = "done";
    } catch (error) {
      status.textContent = `${what} failed: ${error.message}`;
      document.body.dataset[state] = "failed";
    } finally {
      button.disabled = false;
      progress.hidden = true;
    }
  });
}
