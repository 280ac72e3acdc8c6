// One workload of the suite, in any runtime (Node, Deno, Bun, browsers): set up, check, time.

import { familyOf } from "./contenders.js";
import { timeCases } from "./harness.js";
import { copiesOf, inputsOf } from "./workloads.js";

/**
 * Runs one workload: every contender that accepts it is set up, its output checked against
 * the family's float64 reference (softmax-wasm and its baseline within the accuracy bound,
 * the others within `looseCheck` times it, or they are left out), then timed in interleaved
 * rounds (harness.js). Returns the results entry of the workload, with `failures`: how many
 * checks of softmax-wasm failed.
 */
export async function runWorkload(w, contenders, { settings, looseCheck, peerWarmup = true, progress = () => {} }) {
  const family = familyOf(w);
  const copies = copiesOf(w);
  progress(`preparing data (${copies} ${copies > 1 ? "copies" : "copy"})`);
  const inputs = inputsOf(w, copies);
  // One reference per draw (inputsOf: copy i is of draw i % draws).
  const draws = Math.min(w.draws ?? 1, copies);
  const references = inputs.slice(0, draws).map((x) => family.referenceOf(w, x));
  const entry = { ...w, copies, results: [], left: [], failures: 0 };
  const cases = [];
  const disposers = [];
  for (const c of contenders.filter((c) => c.accepts(w))) {
    progress(`preparing ${c.name}`);
    try {
      const { fns, dispose } = await c.setup(w, inputs);
      disposers.push(dispose);
      // Every copy is run and checked once: this also touches every page of its buffers, so
      // no first-write page fault lands in the timing.
      let error = 0;
      for (const [i, fn] of fns.entries()) {
        const got = await fn();
        const x = inputs[i % draws];
        error = Math.max(error, c.errorOf ? c.errorOf(w, got, x) : family.errorOf(w, got, references[i % draws]));
      }
      const ours = c.kind === "softmax-wasm" || c.kind === "baseline";
      if (!(error <= (ours ? 1 : looseCheck))) {
        entry.left.push({ contender: c.name, reason: `output off: ${error.toPrecision(3)} x the accuracy bound` });
        if (ours) entry.failures++;
        continue;
      }
      cases.push({ name: c.name, fn: rotate(fns), async: c.async, warmMs: peerWarmup ? c.warmMs : undefined, error });
    } catch (error) {
      entry.left.push({ contender: c.name, reason: `failed: ${error.message}` });
    }
  }
  const t0 = performance.now();
  const results = await timeCases(cases, {
    ...settings,
    onCalibrated: (done, total) => progress(`warming up and calibrating ${done}/${total}`),
    onRound: (done, total) => progress(`round ${done}/${total}`),
  });
  entry.seconds = (performance.now() - t0) / 1e3;
  for (const [i, r] of results.entries()) {
    entry.results.push({ contender: r.name, ns: r.ns, min: r.min, error: cases[i].error, samples: r.samples });
  }
  for (const dispose of disposers) await dispose();
  return entry;
}

/** One function that cycles through the copies (or the only one, with no indirection). */
function rotate(fns) {
  if (fns.length === 1) return fns[0];
  let next = 0;
  return () => {
    const fn = fns[next];
    next = next + 1 === fns.length ? 0 : next + 1;
    return fn();
  };
}
