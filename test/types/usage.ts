// What a user's strict project writes (compiled by test/package/types.test.ts, never run): every line
// outside the @ts-expect-error ones must type-check in every tsconfig here, whatever its lib,
// and every @ts-expect-error line is a misuse that must not (tsc fails on an unused one).
import { type Kernels, type OneScale, type ScaleOptions, type SoftmaxOptions, type WasmArray, hasSimd, init, initSync, js } from "softmax-wasm";

declare const sm: Kernels;
declare const f32: Float32Array;
declare const f64: Float64Array;
declare const list: number[];
declare const maybeRowLength: number | undefined;
declare const maybeBeta: number | undefined;
declare const maybeTemperature: number | undefined;

// The output dtype follows the input.
export const p32: Float32Array = sm.softmax(f32);
export const p64: Float64Array = sm.softmax(f64);
export const pList: Float64Array = js.logSoftmax(list);
export const pLiteral: Float64Array = sm.softmax([1, 2, 3]);

// Optional options accept undefined (exactOptionalPropertyTypes).
sm.softmax(f32, { rowLength: maybeRowLength });
sm.softmax(f32, { beta: maybeBeta, rowLength: 3 });
sm.softmax(f32, { temperature: maybeTemperature, out: undefined });
sm.softmax(f32, { temperature: undefined, beta: 2 });
sm.softmax(f32, undefined);
const options: SoftmaxOptions = { temperature: 0.7 };
sm.logSoftmax(f64, options);

// out of the output dtype, returned as it was given.
const w32 = sm.alloc(3);
const w64 = sm.alloc(3, "f64");
export const o1: WasmArray<"f32"> = sm.softmax(f32, { out: w32 });
export const o2: Float32Array = sm.softmax(w32, { out: f32 });
export const o3: Float64Array = sm.logSoftmax(list, { out: f64 });
export const o4: WasmArray<"f64"> = sm.softmax(w64, { out: w64, beta: -1 });
export const o5: Float64Array = sm.softmax(w64);
w32.free();

// logSumExp: a number without rowLength, an array with it, either when it may be undefined.
export const l1: number = sm.logSumExp(f32);
export const l2: Float32Array = sm.logSumExp(f32, { rowLength: 4 });
export const l3: number | Float32Array = sm.logSumExp(f32, { rowLength: maybeRowLength });
export const l4: number | Float64Array = js.logSumExp(list, { rowLength: maybeRowLength, beta: 2 });
export const l5: number = sm.logSumExp(f64, { out: new Float64Array(1), temperature: maybeTemperature });
// SciPy's weights and signs: { value, sign }, numbers or arrays of the output dtype.
export const l6: number = sm.logSumExp(f32, { b: list, beta: 2 });
export const l7: { value: number; sign: number } = sm.logSumExp(f64, { b: f32, returnSign: true });
export const l8: { value: Float32Array; sign: Float32Array } = sm.logSumExp(f32, { rowLength: 4, b: w64, returnSign: true });
export const l9: Float64Array = sm.logSumExp(list, { rowLength: 4, b: list, returnSign: false });

// Online.
const acc = sm.online({ temperature: 2 }).push(f32).push(list).merge(js.online({ temperature: 2 }));
export const n1: Float32Array = acc.normalize(f32);
export const n2: Float64Array = acc.logNormalize(list, f64);
export const lse: number = acc.logSumExp() + acc.max + acc.sum + acc.count;
sm.online({ beta: maybeBeta });
sm.online();

// Loading, with what every lib has.
export const loaded: Promise<Kernels> = init();
init(new Uint8Array(8));
init(new ArrayBuffer(8));
init("/softmax.wasm");
initSync(new Uint8Array(8));
export const simd: boolean = hasSimd();
export const backend: "wasm-relaxed-simd" | "wasm-simd" | "wasm" | "js" = sm.backend;

// Misuses: each is a TypeError at run time and must be a compile error.
// @ts-expect-error beta and temperature together
sm.softmax(f32, { beta: 1, temperature: 2 });
// @ts-expect-error beta and temperature together
sm.logSumExp(f32, { beta: 1, temperature: 2, rowLength: 3 });
// @ts-expect-error beta and temperature together
sm.online({ beta: 1, temperature: 2 });
// @ts-expect-error out of the other dtype
sm.softmax(f32, { out: new Float64Array(3) });
// @ts-expect-error out of the other dtype
sm.softmax(f64, { out: f32 });
// @ts-expect-error number[] gives f64
sm.logSoftmax(list, { out: f32 });
// @ts-expect-error a WasmArray of the other dtype
sm.softmax(f32, { out: w64 });
// @ts-expect-error out of the other dtype
sm.logSumExp(f32, { rowLength: 4, out: f64 });
// @ts-expect-error out of the other dtype
acc.normalize(f64, f32);
// @ts-expect-error f32 in gives f32 out
export const wrongDtype: Float64Array = sm.softmax(f32);
// @ts-expect-error with rowLength possibly given, logSumExp may return an array
export const notANumber: number = sm.logSumExp(f32, { rowLength: maybeRowLength });
// @ts-expect-error an unknown option (a typo)
sm.softmax(f32, { rowlength: 4 });
// @ts-expect-error integer arrays are not an input
sm.softmax(new Int32Array(3));
// @ts-expect-error no such dtype
sm.alloc(3, "bf16");
// f16 in (an f16 WasmArray; a Float16Array where the lib declares it) gives f32 out, or an f16 out.
const halves = sm.alloc(3, "f16");
export const fromHalves: Float32Array = sm.softmax(halves);
sm.logSoftmax(halves, { out: sm.alloc(3, "f16") });
// @ts-expect-error a plain Uint16Array is not an input (only an f16 WasmArray's view is, at run time)
sm.softmax(new Uint16Array(3));

// ScaleOptions is an interface to build on (as the other families' options do); OneScale
// gives the either-or of beta and temperature to whatever extends it.
interface WithTopK extends ScaleOptions {
  topK?: number | undefined;
}
declare function sampleLike(opts?: OneScale<WithTopK>): number;
sampleLike({ topK: 3, temperature: 0.5 });
sampleLike({ beta: maybeBeta });
// @ts-expect-error beta and temperature together
sampleLike({ topK: 3, beta: 1, temperature: 2 });

// Sampling: a number per call, an Int32Array with rowLength, either when it may be undefined.
export const token: number = sm.sample(f32, { temperature: 0.7, topK: 50, topP: 0.9, minP: 0.05, seed: 1 });
export const tokens: Int32Array = sm.sample(f32, { rowLength: 4, allowed: new Uint32Array(1) });
export const tokenOrTokens: number | Int32Array = sm.sample(f32, { rowLength: maybeRowLength, topP: maybeBeta });
export const best: number = sm.argmax(f64);
export const bests: Int32Array = sm.argmax(f64, { rowLength: 2 });
export const top32: Float32Array = sm.topK(f32, 5).values;
export const gumbel: Float64Array = sm.gumbelSoftmax(f64, { tau: 0.5, hard: true, random: Math.random });
export const next: number = sm.sampler({ repetitionPenalty: 1.1, penaltyWindow: 64 }).accept([1, 2]).sample(f32, { allowed: undefined });
// @ts-expect-error history ids are integers, not a Float32Array
sm.sample(f32, { history: f32 });
