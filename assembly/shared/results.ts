// The results area: where a kernel leaves the numbers a call returns besides its arrays. The
// host passes its address (a block of f64 slots it owns, followed by the kernels' work space)
// and reads the slots once after the call. The layout is written here once; scripts/build.mjs
// generates src/core/layout.ts from the `export const` lines below, so kernel and host cannot
// drift apart.

// A reduction's state (the core's reduce kernel; see src/core/backend.ts, Reduced):
export const R_C: i32 = 0; // c, the extremum of the data (max, or min for beta < 0)
export const R_M: i32 = 1; // m = beta*c
export const R_K: i32 = 2; // k, the count of entries at c (or 1 where the sum is far from 1)
export const R_R: i32 = 3; // r, the rest of the sum of exp(beta*(x - c))
// The largest exponent beta*(x_i - c) a tracking exp-sum met (the long softmax rows' guess).
export const R_TOP: i32 = 4;
// f64 slots of the area.
export const RESULTS: i32 = 5;
// f64 slots of work space after the area: a long softmax row's block references.
export const MAX_BLOCKS: i32 = 8192;

/** Writes `value` to slot `slot` of the results area at `out`. */
// @ts-ignore: decorator
@inline
export function result(out: usize, slot: i32, value: f64): void {
  store<f64>(out + (<usize>slot << 3), value);
}

/** The address of slot `slot` of the results area at `out`. */
// @ts-ignore: decorator
@inline
export function resultAt(out: usize, slot: i32): usize {
  return out + (<usize>slot << 3);
}

/** Slot `slot` of the results area at `out`. */
// @ts-ignore: decorator
@inline
export function resultOf(out: usize, slot: i32): f64 {
  return load<f64>(out + (<usize>slot << 3));
}
