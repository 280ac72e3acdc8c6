// The memory limit of attention's decode step, for bench/families/attention.js: a plain SIMD
// sum over the same bytes as the key and value rows. scripts/build.mjs builds it into build/,
// never into dist/.

import { at } from "../shared/reduce";

export { features, heapBase } from "../shared/module";

/** Sum of x[0..n) f32 (n a multiple of 16): four f32x4 accumulators, a plain loop in the scalar build. */
export function f32_sum(x: usize, n: i32): f64 {
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    for (let i = 0; i + 16 <= n; i += 16) {
      const p = at<f32>(x, i);
      a0 = f32x4.add(a0, v128.load(p));
      a1 = f32x4.add(a1, v128.load(p, 16));
      a2 = f32x4.add(a2, v128.load(p, 32));
      a3 = f32x4.add(a3, v128.load(p, 48));
    }
    const s = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
    return <f64>f32x4.extract_lane(s, 0) + <f64>f32x4.extract_lane(s, 1) + <f64>f32x4.extract_lane(s, 2) + <f64>f32x4.extract_lane(s, 3);
  }
  let s: f32 = 0;
  for (let i = 0; i < n; i++) s += load<f32>(at<f32>(x, i));
  return s;
}
