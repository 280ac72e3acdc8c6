// The sparse functions as a user's strict project calls them, through softmax-wasm and through
// softmax-wasm/core with the sparse family.
import type { Kernels } from "softmax-wasm";
import { init } from "softmax-wasm/core";
import { type EntmaxOptions, sparse } from "softmax-wasm/sparse";

declare const sm: Kernels;
declare const f32: Float32Array;
declare const f64: Float64Array;
declare const labels: Int32Array;
declare const maybeRowLength: number | undefined;
declare const maybeAlpha: number | undefined;

export const p32: Float32Array = sm.sparsemax(f32, { rowLength: maybeRowLength });
export const p64: Float64Array = sm.entmax(f64, { alpha: maybeAlpha, temperature: 2 });
export const pList: Float64Array = sm.entmax([1, 2, 3], { alpha: 1.5 });
export const pOut: Float32Array = sm.entmax(f32, { out: f32 });
export const back: Float32Array = sm.sparsemaxBackward(f32, f32, { rowLength: maybeRowLength, out: f32 });
export const back15: Float64Array = sm.entmaxBackward(f64, f64, { alpha: 1.5, beta: 2 });
export const mean: number = sm.sparsemaxLoss(f32, labels, { rowLength: 4 }).loss;
export const perRow: Float32Array = sm.entmaxLoss(f32, labels, { rowLength: 4, reduction: "none", alpha: 1.3 }).loss;
export const grad: Float64Array = sm.entmaxLoss(f64, f64, { grad: true, ignoreIndex: undefined }).grad;
export const options: EntmaxOptions = { alpha: 2, rowLength: 3 };
export const withSparse = init({ with: [sparse] }).then((k) => k.sparsemax(f64));

// @ts-expect-error beta and temperature together
sm.sparsemax(f32, { beta: 1, temperature: 2 });
// @ts-expect-error out of the other dtype
sm.entmax(f32, { out: f64 });
// @ts-expect-error a gradient of the other dtype
sm.sparsemaxLoss(f32, labels, { grad: f64 });
// @ts-expect-error no such reduction
sm.entmaxLoss(f32, labels, { reduction: "avg" });
