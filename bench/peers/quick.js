// Rough per-element cost of each peer, one row of f32, in one process: for orientation,
// not for publication (no buffer rotation, no CPU pinning, no cold-start split).
// Usage: node bench/peers/quick.js [runs=15]

import os from "node:os";
import { loadPeers } from "./contenders.js";

const SIZES = [16, 4096, 32000, 2 ** 20];
const RUNS = Number(process.argv[2] ?? 15);
const RUN_MS = 25;
// onnxruntime-web needs ~thousands of calls before V8 has tiered its wasm up from the
// baseline compiler (~160 us per small call at first, ~10 us after); the JS peers need JIT.
const WARM_MS = 400;

function values(length) {
  let s = 0x9e3779b9;
  return Float32Array.from({ length }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32) * 16 - 8;
  });
}

const median = (xs) => xs.toSorted((a, b) => a - b)[xs.length >> 1];

/** A timed loop of `count` calls; returns nanoseconds per call. */
function timer(run, isAsync) {
  if (isAsync) {
    return async (count) => {
      const start = performance.now();
      for (let i = 0; i < count; i++) await run();
      return ((performance.now() - start) * 1e6) / count;
    };
  }
  return (count) => {
    const start = performance.now();
    for (let i = 0; i < count; i++) run();
    return ((performance.now() - start) * 1e6) / count;
  };
}

/** Runs for about WARM_MS, then returns the number of calls that takes about RUN_MS. */
async function calibrate(time) {
  let spent = 0;
  let ns = 0;
  for (let count = 1; spent < WARM_MS * 1e6; count *= 2) {
    ns = await time(count);
    spent += ns * count;
  }
  for (let r = 0; r < 3; r++) ns = Math.min(ns, await time(Math.max(1, Math.round((RUN_MS * 1e6) / ns))));
  return Math.max(1, Math.round((RUN_MS * 1e6) / ns));
}

const peers = await loadPeers({ log: (message) => console.log(`# ${message}`) });
console.log(`# node ${process.version}, ${os.cpus()[0].model}, median of ${RUNS} interleaved runs of ~${RUN_MS} ms`);

// Every (peer, size) pair gets one run per round, so a burst of load elsewhere on the
// machine lands on all of them alike instead of on whichever was being timed.
const cases = [];
for (const peer of peers) {
  for (const n of SIZES) {
    const { fns } = await peer.setup({ op: "softmax", dtype: "f32", rows: 1, rowLength: n, n }, [values(n)]);
    const time = timer(fns[0], peer.async === true);
    cases.push({ peer, n, time, count: await calibrate(time), samples: [] });
  }
}
for (let round = 0; round < RUNS; round++) {
  for (const c of cases) c.samples.push(await c.time(c.count));
}

// The median is the figure asked for; the best run shows what the machine's other load hid.
for (const [label, pick] of [["median", median], ["best", (xs) => Math.min(...xs)]]) {
  console.log([`${label} ns/element`.padEnd(19), ...SIZES.map((n) => `n=${n}`.padStart(11)), "  us/call@16"].join(""));
  for (const peer of peers) {
    const mine = cases.filter((c) => c.peer === peer);
    const cells = mine.map((c) => (pick(c.samples) / c.n).toFixed(2).padStart(11));
    const smallCall = pick(mine.find((c) => c.n === 16).samples) / 1000;
    console.log([peer.name.padEnd(19), ...cells, smallCall.toFixed(2).padStart(13)].join(""));
  }
}
for (const peer of peers) await peer.dispose?.();
