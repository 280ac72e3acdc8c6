// Reading a results document (the JSON the suite writes): lookups, number formats, and the
// speed targets as ratios within the run. Shared by the suite and report.js.

/** The result of one contender on one workload, or undefined. */
export function resultOf(doc, workloadId, contender) {
  return doc.workloads.find((w) => w.id === workloadId)?.results.find((r) => r.contender === contender);
}

/** The fastest library peer of a workload (kind "peer"), or undefined. */
export function bestPeerOf(doc, workload) {
  const kinds = new Map(doc.contenders.map((c) => [c.name, c.kind]));
  return workload.results.filter((r) => kinds.get(r.contender) === "peer").sort((a, b) => a.ns - b.ns)[0];
}

/** 12.3 ns, 4.56 us, 7.89 ms, 1.23 s. */
export function formatNs(ns) {
  if (ns < 1e3) return `${ns.toPrecision(3)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toPrecision(3)} us`;
  if (ns < 1e9) return `${(ns / 1e6).toPrecision(3)} ms`;
  return `${(ns / 1e9).toPrecision(3)} s`;
}

/** 123 M, 1.23 G: a count per second with an SI prefix. */
export function formatRate(perSecond) {
  const units = ["", "k", "M", "G", "T"];
  let unit = 0;
  while (perSecond >= 999.5 && unit < units.length - 1) {
    perSecond /= 1000;
    unit++;
  }
  return `${perSecond.toPrecision(3)} ${units[unit]}`.trimEnd();
}

/** 14.2x, 0.87x. */
export const formatRatio = (ratio) => (Number.isFinite(ratio) ? `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}x` : "-");

/** Bytes as 41.2 KB (1000-based, as npm and browsers report sizes). */
export const formatBytes = (bytes) => (bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} KB` : `${(bytes / 1e6).toFixed(1)} MB`);

const SIMD = "wasm-simd zero-copy";
const RELAXED = "wasm-relaxed-simd zero-copy";
const row = (n) => `softmax/f32/1x${n}`;

/**
 * The speed targets for f32 softmax, zero-copy, each as { target, contender, value, text,
 * range, pass }: value is the measured figure (a ratio of medians, or ns per call or per
 * element), range the lowest and highest of the same figure round by round (contenders timed
 * in the same round ran close in time), text both formatted. A target is missing when the run
 * lacks a workload or contender it needs. Those across runtimes are in report.js.
 */
export function targets(doc) {
  const list = [];
  const at = (n, contender) => resultOf(doc, row(n), contender);
  /** value and per-round values of a / b over two results of one workload. */
  const ratio = (a, b) => (a && b ? { value: a.ns / b.ns, rounds: a.samples.map((s, i) => s / b.samples[i]) } : undefined);
  const add = (target, contender, figure, goal, format) => {
    if (!figure) return;
    const range = figure.rounds ? [Math.min(...figure.rounds), Math.max(...figure.rounds)] : undefined;
    list.push({
      target,
      contender,
      value: figure.value,
      text: format(figure.value),
      range: range && `${format(range[0])} to ${format(range[1])}`,
      pass: goal(figure.value),
    });
  };
  const atLeast = (min) => (v) => v >= min;
  const atMost = (max) => (v) => v <= max;
  const faster = (n, contender, other) => ratio(at(n, other), at(n, contender));
  const browser = doc.runtime?.name === "chromium" || doc.runtime?.name === "firefox";
  for (const contender of [RELAXED, SIMD]) {
    if (browser) {
      add(">= 12x naive-js at n = 32000", contender, faster(32000, contender, "naive-js"), atLeast(12), formatRatio);
    } else {
      add(">= 12x naive-js at n = 4096", contender, faster(4096, contender, "naive-js"), atLeast(12), formatRatio);
      for (const n of [32000, 2 ** 20]) {
        add(`>= 2x tfjs-wasm at n = ${n}`, contender, faster(n, contender, "tfjs-wasm"), atLeast(2), formatRatio);
        add(`>= 1.5x ort-node-cpu at n = ${n}`, contender, faster(n, contender, "ort-node-cpu"), atLeast(1.5), formatRatio);
      }
      const small = at(16, contender);
      add("< 100 ns per call at n = 16", contender, small && { value: small.ns, rounds: small.samples }, (v) => v < 100, formatNs);
      const alone = doc.alone?.find((a) => a.workload === row(16) && a.contender === contender);
      add("< 100 ns per call at n = 16, alone in a process", contender, alone && { value: alone.ns }, (v) => v < 100, formatNs);
      const copy = ratio(at(2 ** 24, contender), at(2 ** 24, "copy: TypedArray.set"));
      add("<= 2.5x the time of a memory copy at n = 2^24", contender, copy, atMost(2.5), formatRatio);
    }
    for (const w of doc.workloads.filter((x) => x.tags?.includes("short"))) {
      const r = resultOf(doc, w.id, contender);
      const perElement = r && { value: r.ns / w.n, rounds: r.samples.map((ns) => ns / w.n) };
      add(`<= 1.5 ns/element on ${w.rows} rows of ${w.rowLength}`, contender, perElement, atMost(1.5), (v) => `${v.toPrecision(3)} ns`);
    }
    // Sampling and loss against one softmax of the same rows (the yardstick of their workloads).
    const yardstick = (id) => ratio(resultOf(doc, id, contender), resultOf(doc, id, `softmax (${RELAXED})`));
    add("sample T+topP <= 3x softmax at n = 151936", contender, yardstick("sample/f32/1x151936/topP"), atMost(3), formatRatio);
    add("sample chain <= 3x softmax at n = 151936", contender, yardstick("sample/f32/1x151936/chain"), atMost(3), formatRatio);
    const sorted = ratio(resultOf(doc, "sample/f32/1x151936/topP", "sorted top-p (JS)"), resultOf(doc, "sample/f32/1x151936/topP", contender));
    add(">= 50x a sorting top-p sampler at n = 151936", contender, sorted, atLeast(50), formatRatio);
    add("crossEntropy + grad <= 1.5x softmax, 32 x 32000", contender, yardstick("crossEntropy/f32/32x32000/grad"), atMost(1.5), formatRatio);
    add("logProbs <= 1.1x softmax, 32 x 32000", contender, yardstick("logProbs/f32/32x32000"), atMost(1.1), formatRatio);
    const first = doc.firstCalls?.find((f) => f.contender === contender);
    add("calls 11-100 after init() <= 1.5x steady state at n = 32000", contender, first && { value: first.ratio }, atMost(1.5), formatRatio);
  }
  return list;
}
