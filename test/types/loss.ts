// The loss and gradient functions as a user's strict project calls them.
import type { Kernels } from "softmax-wasm";

declare const sm: Kernels;
declare const f32: Float32Array;
declare const f64: Float64Array;
declare const labels: Int32Array;
declare const maybeRowLength: number | undefined;
declare const maybeBeta: number | undefined;

export const mean: number = sm.crossEntropy(f32, labels, { rowLength: 4 }).loss;
export const perRow: Float32Array = sm.crossEntropy(f32, labels, { rowLength: 4, reduction: "none" }).loss;
export const grad: Float32Array = sm.crossEntropy(f32, [1, 2], { rowLength: maybeRowLength, grad: true, beta: maybeBeta }).grad;
export const inPlace: Float32Array = sm.crossEntropy(f32, labels, { grad: f32, ignoreIndex: undefined, weight: undefined }).grad;
export const probs: number = sm.crossEntropy(f64, f64, { labelSmoothing: 0.1, zLoss: 1e-4, temperature: 2 }).loss;
export const lp: Float64Array = sm.logProbs(f64, labels, { rowLength: maybeRowLength, out: undefined });
export const lpOut: Float32Array = sm.logProbs(f32, labels, { out: new Float32Array(2) });
export const back: Float32Array = sm.softmaxBackward(f32, f32, { rowLength: maybeRowLength, out: f32 });
export const logBack: Float64Array = sm.logSoftmaxBackward(f64, f64, { beta: maybeBeta });
export const jac: Float64Array = sm.jacobian(f64, { beta: maybeBeta });
export const jacOut: Float32Array = sm.jacobian(f32, { out: new Float32Array(4) });

// @ts-expect-error beta and temperature together
sm.crossEntropy(f32, labels, { beta: 1, temperature: 2 });
// @ts-expect-error beta and temperature together
sm.logProbs(f32, labels, { beta: 1, temperature: 2 });
// @ts-expect-error beta and temperature together
sm.softmaxBackward(f32, f32, { beta: 1, temperature: 2 });
// @ts-expect-error beta and temperature together
sm.jacobian(f32, { beta: 1, temperature: 2 });
// @ts-expect-error a gradient of the other dtype
sm.crossEntropy(f32, labels, { grad: f64 });
// @ts-expect-error out of the other dtype
sm.logProbs(f32, labels, { out: f64 });
// @ts-expect-error out of the other dtype
sm.logSoftmaxBackward(f64, f64, { out: f32 });
// @ts-expect-error out of the other dtype
sm.jacobian(f64, { out: f32 });
// @ts-expect-error no such reduction
sm.crossEntropy(f32, labels, { reduction: "avg" });
