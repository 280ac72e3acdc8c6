// The sampling functions as a user's strict project calls them.
import type { Kernels, Sampler } from "softmax-wasm";

declare const sm: Kernels;
declare const f32: Float32Array;
declare const f64: Float64Array;
declare const maybeRowLength: number | undefined;
declare const maybeSeed: number | undefined;
declare const maybeMask: Uint32Array | undefined;

export const best: number = sm.argmax(f32);
export const bestPerRow: Int32Array = sm.argmax(f32, { rowLength: 4 });
export const either: number | Int32Array = sm.argmax(f32, { rowLength: maybeRowLength });
export const top: Float32Array = sm.topK(f32, 3, { rowLength: maybeRowLength }).values;
export const token: number = sm.sample(f32, { temperature: 0.7, topK: 40, topP: 0.9, seed: maybeSeed, allowed: maybeMask });
export const tokens: Int32Array = sm.sample(f64, { rowLength: 4, random: Math.random, history: [1, 2] });
export const someTokens: number | Int32Array = sm.sample(f32, { rowLength: maybeRowLength, minP: undefined });
const sampler: Sampler = sm.sampler({ seed: 42, penaltyWindow: undefined, repetitionPenalty: 1.1 });
export const next: number = sampler.accept([1, 2, 3]).sample(f32, { allowed: maybeMask });
export const soft: Float32Array = sm.gumbelSoftmax(f32, { tau: 0.5, hard: undefined, seed: 1 });
export const hard: Float64Array = sm.gumbelSoftmax(f64, { hard: true, out: f64, rowLength: maybeRowLength });

// @ts-expect-error seed and random together
sm.sample(f32, { seed: 1, random: Math.random });
// @ts-expect-error seed and random together
sm.sampler({ seed: 1, random: Math.random });
// @ts-expect-error seed and random together
sm.gumbelSoftmax(f32, { seed: 1, random: Math.random });
// @ts-expect-error out of the other dtype
sm.gumbelSoftmax(f32, { out: f64 });
// @ts-expect-error with rowLength possibly given, sample may return an Int32Array
export const notAToken: number = sm.sample(f32, { rowLength: maybeRowLength });
// @ts-expect-error the mask is a Uint32Array
sm.sample(f32, { allowed: [1, 0, 1] });

// transformers.js keeps input_ids as a BigInt64Array.
declare const inputIds: BigInt64Array;
export const fromIds: number = sm.sample(f32, { history: inputIds, topP: 0.9, minP: 0.05 });
export const fromBigints: number = sm.sampler().accept([1n, 2n]).accept(3n).accept(inputIds).sample(f32);
export const probs: Float32Array = sm.distribution(f32, { temperature: 0.7, topK: 40, history: inputIds, allowed: maybeMask });
export const probs64: Float64Array = sm.distribution(f64, { out: f64, rowLength: maybeRowLength, minP: 0.05 });
export const probsOfList: Float64Array = sm.distribution([1, 2, 3], { topP: 0.9 });
// @ts-expect-error distribution draws nothing: no seed
sm.distribution(f32, { seed: 1 });
// @ts-expect-error out of the other dtype
sm.distribution(f32, { out: f64 });
// @ts-expect-error token ids are integers or bigints, not floats
sm.sample(f32, { history: new Float32Array(2) });
