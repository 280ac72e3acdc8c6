// Loss benchmark: f32 logits, 32 rows x 32,000 classes (a language-model batch). Times, in
// interleaved rounds in one process, crossEntropy with its gradient and logProbs against one
// batched softmax of the same logits, against careful plain JS and the library's js backend,
// and (Node only, when bench/peers is installed) tfjs: tf.losses.softmaxCrossEntropy with
// its gradient from tf.valueAndGrad on the wasm backend.
//
//   node bench/loss.js        deno run --allow-read bench/loss.js        bun bench/loss.js
//
// Options: --rows N --classes K --rounds N. Needs `npm run build` first (dist/).

import { median, timeCases } from "./harness.js";

const isDeno = typeof globalThis.Deno !== "undefined";
const isBun = typeof globalThis.Bun !== "undefined";
const isNode = !isDeno && !isBun && typeof process !== "undefined" && process.release?.name === "node";
if (isNode) await import("./relaxed-flag.js");
const { init, js } = await import("../dist/index.js");

const args = isDeno ? Deno.args : process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROWS = option("rows", 32);
const K = option("classes", 32000);
const ROUNDS = option("rounds", 9);
const N = ROWS * K;

const runtime = isDeno ? `Deno ${Deno.version.deno}` : isBun ? `Bun ${Bun.version}` : `Node ${process.versions.node}`;

/** Deterministic logits in [-8, 8) and targets in [0, K). */
function inputs() {
  let s = 0x9e3779b9;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const x = new Float32Array(N);
  for (let i = 0; i < N; i++) x[i] = next() * 16 - 8;
  const t = new Int32Array(ROWS);
  for (let r = 0; r < ROWS; r++) t[r] = Math.floor(next() * K);
  return { x, t };
}

// ---- careful plain JS: one exp per element, the exps kept in grad, f64 arithmetic ----

/** Mean cross-entropy of rows of k with its gradient written to grad. */
function jsCrossEntropyGrad(x, t, grad, rows, k) {
  let loss = 0;
  const inv = 1 / rows;
  for (let r = 0, start = 0; r < rows; r++, start += k) {
    const end = start + k;
    let max = -Infinity;
    for (let i = start; i < end; i++) if (x[i] > max) max = x[i];
    let sum = 0;
    for (let i = start; i < end; i++) {
      const e = Math.exp(x[i] - max);
      grad[i] = e;
      sum += e;
    }
    loss += Math.log(sum) - (x[start + t[r]] - max);
    const scale = inv / sum;
    for (let i = start; i < end; i++) grad[i] *= scale;
    grad[start + t[r]] -= inv;
  }
  return loss * inv;
}

/** log-softmax at each row's target. */
function jsLogProbs(x, t, out, rows, k) {
  for (let r = 0, start = 0; r < rows; r++, start += k) {
    const end = start + k;
    let max = -Infinity;
    for (let i = start; i < end; i++) if (x[i] > max) max = x[i];
    let sum = 0;
    for (let i = start; i < end; i++) sum += Math.exp(x[i] - max);
    out[r] = x[start + t[r]] - max - Math.log(sum);
  }
  return out;
}

/** tfjs on its wasm backend (XNNPACK): loss and gradient by its autograd. Node only. */
async function tfjsCase(x, t, log) {
  if (!isNode) return undefined;
  try {
    const { fileURLToPath } = await import("node:url");
    const { createRequire } = await import("node:module");
    // The peers live in bench/peers/node_modules: resolve from there (one tfjs-core instance).
    const require = createRequire(new URL("./peers/package.json", import.meta.url));
    const tf = require("@tensorflow/tfjs-core");
    const wasm = require("@tensorflow/tfjs-backend-wasm");
    // tfjs-core alone registers no gradients (the @tensorflow/tfjs bundle does), and its ESM
    // file that does has extensionless imports that Node cannot load: bundle it (esbuild, a
    // devDependency) and load that. The gradient registry and the engine are tfjs globals.
    const esbuild = await import("esbuild");
    const entry = fileURLToPath(new URL("./peers/node_modules/@tensorflow/tfjs-core/dist/register_all_gradients.js", import.meta.url));
    const bundle = await esbuild.build({ entryPoints: [entry], bundle: true, format: "esm", platform: "node", write: false, logLevel: "error" });
    await import(`data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].text).toString("base64")}`);
    wasm.setWasmPaths(fileURLToPath(new URL("./peers/node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url)));
    wasm.setThreadsCount(1);
    if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') returned false");
    await tf.ready();
    const logits = tf.tensor2d(x, [ROWS, K], "float32");
    const labels = tf.cast(tf.oneHot(tf.tensor1d(t, "int32"), K), "float32");
    const valueAndGrad = tf.valueAndGrad((l) => tf.losses.softmaxCrossEntropy(labels, l));
    const run = () => {
      const { value, grad } = valueAndGrad(logits);
      const loss = value.dataSync()[0];
      const g = grad.dataSync();
      value.dispose();
      grad.dispose();
      return { loss, grad: g };
    };
    run();
    log(`tfjs ${tf.version_core} on ${tf.getBackend()} (1 thread)`);
    return run;
  } catch (error) {
    log(`tfjs: not run (${String(error?.message ?? error).split("\n")[0]}); install with npm --prefix bench/peers ci`);
    return undefined;
  }
}

const log = (line) => console.log(line);
const sm = await init();
const { x, t } = inputs();
log(`loss benchmark: ${runtime}, backend ${sm.backend}, f32, ${ROWS} rows x ${K} classes`);

// Zero-copy operands in the module's memory.
const xa = sm.alloc(N, "f32");
xa.array.set(x);
const ya = sm.alloc(N, "f32");
const ga = sm.alloc(N, "f32");
const inPlace = sm.alloc(N, "f32");
inPlace.array.set(x);
const lp = new Float32Array(ROWS);
const gradTyped = new Float32Array(N);
const gradJs = new Float32Array(N);
const gradCareful = new Float32Array(N);
const lpJs = new Float32Array(ROWS);

// Check every contender against the library before timing.
const reference = sm.crossEntropy(xa, t, { rowLength: K, grad: ga });
const refGrad = ga.array.slice();
const maxDiff = (a, b) => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};
const careful = jsCrossEntropyGrad(x, t, gradCareful, ROWS, K);
log(`check: careful JS loss ${careful} vs ${reference.loss}, max gradient difference ${maxDiff(gradCareful, refGrad).toExponential(2)}`);
const jsResult = js.crossEntropy(x, t, { rowLength: K, grad: gradJs });
log(`check: js backend loss ${jsResult.loss}, max gradient difference ${maxDiff(gradJs, refGrad).toExponential(2)}`);
sm.logProbs(xa, t, { rowLength: K, out: lp });
jsLogProbs(x, t, lpJs, ROWS, K);
log(`check: logProbs max difference to careful JS ${maxDiff(lp, lpJs).toExponential(2)}`);
const tfjs = await tfjsCase(x, t, log);
if (tfjs) {
  const r = tfjs();
  log(`check: tfjs loss ${r.loss}, max gradient difference ${maxDiff(r.grad, refGrad).toExponential(2)}`);
}

const cases = [
  { name: "softmax (zero-copy)", fn: () => sm.softmax(xa, { rowLength: K, out: ya }) },
  { name: "crossEntropy + grad (zero-copy)", fn: () => sm.crossEntropy(xa, t, { rowLength: K, grad: ga }) },
  { name: "crossEntropy + grad in place", fn: () => sm.crossEntropy(inPlace, t, { rowLength: K, grad: inPlace }) },
  { name: "crossEntropy loss only", fn: () => sm.crossEntropy(xa, t, { rowLength: K }) },
  { name: "logProbs (zero-copy)", fn: () => sm.logProbs(xa, t, { rowLength: K, out: lp }) },
  { name: "crossEntropy + grad (Float32Arrays)", fn: () => sm.crossEntropy(x, t, { rowLength: K, grad: gradTyped }) },
  { name: "careful JS crossEntropy + grad", fn: () => jsCrossEntropyGrad(x, t, gradCareful, ROWS, K) },
  { name: "careful JS logProbs", fn: () => jsLogProbs(x, t, lpJs, ROWS, K) },
  { name: "js backend crossEntropy + grad", fn: () => js.crossEntropy(x, t, { rowLength: K, grad: gradJs }) },
];
if (tfjs) cases.push({ name: "tfjs softmaxCrossEntropy + tf.valueAndGrad", fn: tfjs });

const results = await timeCases(cases, {
  rounds: ROUNDS,
  runMs: 60,
  warmMs: 300,
  onCalibrated: (done, total) => log(`calibrated ${done}/${total}`),
  onRound: (done, total) => log(`round ${done}/${total}`),
});
const ns = Object.fromEntries(results.map((r) => [r.name, r.ns]));
// Ratios per round (each round times every case once), then their median.
const perRound = (a, b) => median(results.find((r) => r.name === a).samples.map((v, i) => v / results.find((r) => r.name === b).samples[i]));

log("");
log(`| ${runtime} (${sm.backend}) | us per call | ns per element |`);
log("| --- | ---: | ---: |");
for (const r of results) log(`| ${r.name} | ${(r.ns / 1000).toFixed(1)} | ${(r.ns / N).toFixed(3)} |`);
log("");
const ratio = (a, b) => `${perRound(a, b).toFixed(2)}x`;
log(`crossEntropy + grad / softmax: ${ratio("crossEntropy + grad (zero-copy)", "softmax (zero-copy)")} (target <= 1.5x); in place ${ratio("crossEntropy + grad in place", "softmax (zero-copy)")}`);
log(`logProbs / softmax: ${ratio("logProbs (zero-copy)", "softmax (zero-copy)")} (target <= 1.1x)`);
log(`careful JS / crossEntropy + grad: ${ratio("careful JS crossEntropy + grad", "crossEntropy + grad (zero-copy)")}; careful JS / logProbs: ${ratio("careful JS logProbs", "logProbs (zero-copy)")}`);
log(`js backend / crossEntropy + grad: ${ratio("js backend crossEntropy + grad", "crossEntropy + grad (zero-copy)")}`);
if (tfjs) log(`tfjs / crossEntropy + grad: ${ratio("tfjs softmaxCrossEntropy + tf.valueAndGrad", "crossEntropy + grad (zero-copy)")}`);
void ns;
