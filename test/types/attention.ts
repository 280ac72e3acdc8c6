// The attention functions as a user's strict project calls them.
import type { Kernels, WasmArray } from "softmax-wasm";

declare const sm: Kernels;
declare const f32: Float32Array;
declare const f64: Float64Array;
declare const cache: WasmArray<"f32">;
declare const maybeWindow: number | undefined;

export const out: Float32Array = sm.attend(f32, cache, cache, { heads: 32, kvHeads: 8, dim: 128, length: 7 });
export const out64: Float64Array = sm.attend(f64, f32, f32, { dim: 4, causal: true, window: maybeWindow, softcap: undefined });
export const given: WasmArray<"f32"> = sm.attend(f32, f32, f32, { dim: 4, out: cache });
export const withLse: { out: Float32Array; lse: Float32Array } = sm.attend(f32, f16OrF32(), f32, { dim: 4, lse: true, range: [0, 3] });
export const merged: Float32Array = sm.mergeAttention(withLse, withLse, { heads: 1, valueDim: 4 }).out;
export const mergedLse: Float64Array = sm.mergeAttention({ out: f64, lse: f64 }, withLse, { heads: 1, valueDim: 4 }).lse;

function f16OrF32(): Float32Array {
  return f32;
}

// @ts-expect-error dim is required
sm.attend(f32, f32, f32, { heads: 2 });
// @ts-expect-error range is a pair
sm.attend(f32, f32, f32, { dim: 4, range: 3 });
// @ts-expect-error no such option
sm.attend(f32, f32, f32, { dim: 4, mask: true });
