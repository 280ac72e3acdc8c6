// The vocabulary functions as a user's strict project calls them.
import type { HuffmanTree, Kernels, SampledGrad, WasmArray } from "softmax-wasm";

declare const sm: Kernels;
declare const f32: Float32Array;
declare const f64: Float64Array;
declare const nodes: WasmArray<"f32">;

export const tree: HuffmanTree = sm.huffman([5, 3, 3, 1]);
export const fromTyped: Int32Array = sm.huffman(Int32Array.of(4, 2)).points;
export const logProb: Float32Array = sm.hierarchicalSoftmax(f32, nodes, tree, [1, 2]).logProb;
export const logProb64: Float64Array = sm.hierarchicalSoftmax(f64, f64, tree, Int32Array.of(0)).logProb;
const withGrad = sm.hierarchicalSoftmax(f32, nodes, tree, [1], { grad: true });
export const gradNodes: Float32Array = withGrad.grad.nodes;
export const ids: Int32Array = withGrad.grad.ids;
export const probs: Float64Array = sm.hierarchicalSoftmax.probabilities(f64, f64, { codes: [0, 1], points: [0, 0], lengths: [1, 1] });
export const drawn: Int32Array = sm.hierarchicalSoftmax.sample(f32, nodes, tree, { seed: 1 });
const sampled = sm.sampledSoftmaxLoss(f32, f32, f32, [3], { numSampled: 64, seed: 7, grad: true });
export const loss: Float32Array = sampled.loss;
export const grad: SampledGrad<Float32Array> = sampled.grad;
export const candidates: Int32Array = sampled.sampled;
export const tries: number = sm.sampledSoftmaxLoss(f64, f64, f64, [3], { sampled: Int32Array.of(1, 2) }).numTries;

// @ts-expect-error no gradient unless asked
sm.hierarchicalSoftmax(f32, nodes, tree, [1]).grad.h;
// @ts-expect-error the options of sampledSoftmaxLoss are required
sm.sampledSoftmaxLoss(f32, f32, f32, [3]);
// @ts-expect-error no such option
sm.sampledSoftmaxLoss(f32, f32, f32, [3], { numSampled: 2, unique: false });
