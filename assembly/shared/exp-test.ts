// The kernels' exp as a module of its own, for the accuracy tests and bench/exp-ulp.js:
// scripts/build.mjs builds it into build/, never into dist/, so no shipped module carries
// test-only exports.

import { expAny, expAnyV } from "./exp";
import { at, lanes } from "./reduce";

export { features, heapBase } from "./module";

/** y = exp(x) element-wise over x[0..n), SIMD lanes then the scalar twin. */
// @ts-ignore: decorator
@inline
function expArray<T>(x: usize, y: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const L = lanes<T>();
    for (; i + L <= n; i += L) v128.store(at<T>(y, i), expAnyV<T>(v128.load(at<T>(x, i))));
  }
  for (; i < n; i++) store<T>(at<T>(y, i), expAny<T>(load<T>(at<T>(x, i))));
}

/** y = exp(x) element-wise (f32). */
export function f32_exp(x: usize, y: usize, n: i32): void {
  expArray<f32>(x, y, n);
}

/** y = exp(x) element-wise (f64). */
export function f64_exp(x: usize, y: usize, n: i32): void {
  expArray<f64>(x, y, n);
}
