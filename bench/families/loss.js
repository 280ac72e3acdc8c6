// The loss family: f32 logits, 32 rows x 32,000 classes (a language-model batch):
// crossEntropy with its gradient ("grad") or the loss alone ("loss"), and logProbs at each
// row's target. Contenders: our builds (zero-copy, zero-copy with the gradient in place,
// copying) and the JS backend; careful plain JS; tfjs (Node, with the peers:
// tf.losses.softmaxCrossEntropy with its gradient from tf.valueAndGrad on the wasm backend);
// and one batched softmax of the same logits, the yardstick (targets: crossEntropy + grad
// <= 1.5x, logProbs <= 1.1x).

import { softmaxYardstick, uniforms, valuesOf, workload } from "../workloads.js";

export const name = "loss";
const defaultValues = "typical";
const family = { name, defaultValues };

const ROWS = 32;
const CLASSES = 32000;

/** Shapes of values besides the typical one (speed must not depend on them). */
const SHAPES = ["confident", "flat", "masked"];

/**
 * The workloads: crossEntropy with its gradient (a quick run: that alone), logProbs, and in a
 * full run the loss alone and every one of them on the other shapes of values.
 */
export function workloads({ quick = false, core = false } = {}) {
  const grad = (values) => workload(family, "crossEntropy", "f32", ROWS, CLASSES, { variant: "grad", writes: true, values });
  const logProbs = (values) => workload(family, "logProbs", "f32", ROWS, CLASSES, { values });
  const lossAlone = (values) => workload(family, "crossEntropy", "f32", ROWS, CLASSES, { variant: "loss", values });
  if (quick) return [grad()];
  const list = [grad(), logProbs()];
  if (!core) {
    list.push(lossAlone());
    for (const values of SHAPES) list.push(grad(values), logProbs(values), lossAlone(values));
  }
  return list;
}

/**
 * Each row's target class, deterministic per workload: a uniform draw, moved to the row's first
 * entry where it would land on a masked (-Infinity) logit (the masked rows keep that one finite).
 */
const targets = new Map();
export function targetsOf(w) {
  if (!targets.has(w.id)) {
    const next = uniforms(w.rows * 7919 + w.rowLength);
    const t = Int32Array.from({ length: w.rows }, () => Math.floor(next() * w.rowLength));
    if (w.values === "masked") {
      const x = valuesOf(w);
      for (let r = 0; r < w.rows; r++) if (x[r * w.rowLength + t[r]] === -Infinity) t[r] = 0;
    }
    targets.set(w.id, t);
  }
  return targets.get(w.id);
}

/** Float64 reference: { loss (mean), grad } for crossEntropy, the log-probabilities for logProbs. */
export function referenceOf(w, x) {
  const t = targetsOf(w);
  const grad = new Float64Array(w.n);
  const logProbs = new Float64Array(w.rows);
  let loss = 0;
  for (let r = 0; r < w.rows; r++) {
    const start = r * w.rowLength;
    const end = start + w.rowLength;
    let max = -Infinity;
    for (let i = start; i < end; i++) if (x[i] > max) max = x[i];
    let sum = 0;
    for (let i = start; i < end; i++) sum += grad[i] = Math.exp(x[i] - max);
    for (let i = start; i < end; i++) grad[i] /= sum * w.rows;
    grad[start + t[r]] -= 1 / w.rows;
    logProbs[r] = x[start + t[r]] - max - Math.log(sum);
    loss -= logProbs[r] / w.rows;
  }
  return w.op === "logProbs" ? logProbs : { loss, grad };
}

/** The README's bounds: values within 2e-6 s (s = max(1, max |r|) per row), losses within 1e-5 relative; errors in units of them. */
export function errorOf(w, got, reference) {
  const within = (values, expected, rowLength) => {
    if (values?.length !== expected.length) return Infinity;
    let worst = 0;
    for (let start = 0; start < expected.length; start += rowLength) {
      let s = 1;
      for (let i = start; i < start + rowLength; i++) s = Math.max(s, Math.abs(expected[i]));
      for (let i = start; i < start + rowLength; i++) {
        const e = Math.abs(values[i] - expected[i]) / (2e-6 * s);
        if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
      }
    }
    return worst;
  };
  if (w.op === "logProbs") return within(got?.array ?? got, reference, 1);
  const lossError = Math.abs(got.loss - reference.loss) / (1e-5 * Math.abs(reference.loss));
  const error = Number.isNaN(lossError) ? Infinity : lossError;
  return w.variant === "grad" ? Math.max(error, within(got.grad?.array ?? got.grad, reference.grad, w.rowLength)) : error;
}

// ---------------------------------------------------------------- careful plain JS

/** Mean cross-entropy of rows of k, its gradient written to grad (one exp per element, f64 arithmetic). */
function jsCrossEntropy(x, t, grad, rows, k) {
  let loss = 0;
  const inv = 1 / rows;
  for (let r = 0, start = 0; r < rows; r++, start += k) {
    const end = start + k;
    let max = -Infinity;
    for (let i = start; i < end; i++) if (x[i] > max) max = x[i];
    let sum = 0;
    if (grad) {
      for (let i = start; i < end; i++) sum += grad[i] = Math.exp(x[i] - max);
      const scale = inv / sum;
      for (let i = start; i < end; i++) grad[i] *= scale;
      grad[start + t[r]] -= inv;
    } else for (let i = start; i < end; i++) sum += Math.exp(x[i] - max);
    loss += Math.log(sum) - (x[start + t[r]] - max);
  }
  return { loss: loss * inv, grad };
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

// ---------------------------------------------------------------- the contenders

const accepts = (w) => w.family === name;

/**
 * A build's loss API: typed arrays in ("copy"), WasmArrays ("zero-copy"), WasmArrays with
 * the gradient written over the logits ("zero-copy in place": after the first call the
 * logits are the last gradient, as when a training step reuses the buffer), or typed arrays
 * with `grad: true` ("allocating": a new gradient array each call).
 */
function ours({ name: build, kind, version, sm }, how) {
  return {
    name: kind === "baseline" ? build : `${build} ${how}`,
    kind,
    version,
    accepts: how === "zero-copy in place" || how === "allocating" ? (w) => accepts(w) && w.variant === "grad" : accepts,
    setup(w, inputs) {
      const t = targetsOf(w);
      const arrays = [];
      const alloc = (n, values) => {
        if (how === "copy" || how === "allocating") return values?.slice() ?? new Float32Array(n);
        const a = sm.alloc(n, "f32");
        if (values) a.array.set(values);
        arrays.push(a);
        return a;
      };
      const fns = inputs.map((input) => {
        const x = how === "copy" || how === "allocating" ? input : alloc(w.n, input);
        if (w.op === "logProbs") {
          const out = new Float32Array(w.rows);
          return () => sm.logProbs(x, t, { rowLength: w.rowLength, out });
        }
        if (w.variant === "loss") return () => sm.crossEntropy(x, t, { rowLength: w.rowLength });
        const grad = how === "zero-copy in place" ? x : how === "allocating" ? true : alloc(w.n);
        return () => sm.crossEntropy(x, t, { rowLength: w.rowLength, grad });
      });
      return { fns, dispose: () => arrays.forEach((a) => a.free()) };
    },
  };
}

const carefulJs = {
  name: "careful JS",
  kind: "naive",
  version: "-",
  accepts,
  setup(w, inputs) {
    const t = targetsOf(w);
    const fns = inputs.map((x) => {
      if (w.op === "logProbs") {
        const out = new Float64Array(w.rows);
        return () => jsLogProbs(x, t, out, w.rows, w.rowLength);
      }
      const grad = w.variant === "grad" ? new Float32Array(w.n) : undefined;
      return () => jsCrossEntropy(x, t, grad, w.rows, w.rowLength);
    });
    return { fns, dispose() {} };
  },
};


/**
 * tfjs on its wasm backend (XNNPACK), loss and gradient by its autograd; Node only, from
 * bench/peers/node_modules. tfjs-core alone registers no gradients (the @tensorflow/tfjs
 * bundle does), and its ESM file that does has extensionless imports that Node cannot load:
 * it is bundled by esbuild (a devDependency) and loaded from that. The gradient registry
 * and the engine are tfjs globals, shared with the core family's tfjs-wasm peer.
 */
async function tfjs() {
  const { fileURLToPath } = await import("node:url");
  const { createRequire } = await import("node:module");
  const require = createRequire(new URL("../peers/package.json", import.meta.url));
  const tf = require("@tensorflow/tfjs-core");
  const wasm = require("@tensorflow/tfjs-backend-wasm");
  const esbuild = await import("esbuild");
  const entry = fileURLToPath(new URL("../peers/node_modules/@tensorflow/tfjs-core/dist/register_all_gradients.js", import.meta.url));
  const bundle = await esbuild.build({ entryPoints: [entry], bundle: true, format: "esm", platform: "node", write: false, logLevel: "error" });
  await import(`data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].text).toString("base64")}`);
  wasm.setWasmPaths(fileURLToPath(new URL("../peers/node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url)));
  wasm.setThreadsCount(1);
  if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') returned false");
  await tf.ready();
  const live = [];
  return {
    name: "tfjs-wasm",
    kind: "peer",
    version: require("@tensorflow/tfjs-backend-wasm/package.json").version,
    warmMs: 400,
    accepts: (w) => accepts(w) && w.op === "crossEntropy" && w.variant === "grad",
    setup(w, inputs) {
      const labels = tf.cast(tf.oneHot(tf.tensor1d(targetsOf(w), "int32"), w.rowLength), "float32");
      const valueAndGrad = tf.valueAndGrad((l) => tf.losses.softmaxCrossEntropy(labels, l));
      live.push(labels);
      const fns = inputs.map((x) => {
        const logits = tf.tensor2d(x, [w.rows, w.rowLength], "float32");
        live.push(logits);
        return () => {
          const { value, grad } = valueAndGrad(logits);
          const result = { loss: value.dataSync()[0], grad: grad.dataSync() };
          value.dispose();
          grad.dispose();
          return result;
        };
      });
      return { fns, dispose: () => live.splice(0).forEach((tensor) => tensor.dispose()) };
    },
  };
}

/**
 * The family's contenders over `builds` ({ name, kind, version, sm }, see bench/contenders.js);
 * `peers`: tfjs too, where it loads (Node); log(message) reports it left out and why.
 */
export async function contenders(builds, { peers = true, log = () => {} } = {}) {
  const list = builds.flatMap((b) =>
    b.kind === "baseline" ? [ours(b, "copy")] : [ours(b, "zero-copy"), ours(b, "zero-copy in place"), ours(b, "copy")],
  );
  const first = builds.find((b) => b.kind === "softmax-wasm");
  if (first) list.push(ours(first, "allocating"));
  list.push(carefulJs);
  const best = builds.find((b) => b.kind === "softmax-wasm");
  if (best) list.push(softmaxYardstick(best, accepts));
  const isNode = typeof process !== "undefined" && process.release?.name === "node" && !globalThis.Deno && !globalThis.Bun;
  if (peers && isNode) {
    try {
      list.push(await tfjs());
    } catch (error) {
      log(`tfjs-wasm (loss): unavailable (${String(error?.message ?? error).split("\n")[0]})`);
    }
  }
  return list;
}
