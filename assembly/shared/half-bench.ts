// How fast a one-pass exp loop over halves can be, for bench/half-bound.js: the same loop (four
// f32x4 accumulators, the kernels' own exp with its constants in locals) over a row of f32s
// and over a row of halves read three ways. scripts/build.mjs builds it into build/, never
// into dist/.
//
// - folded: each 4 halves widened inside the loop as the sampling family reads finite halves
//   (half.ts widenFolded4: sign-extend, shift, mask; x*2^-112, c and beta scaled to match).
// - marked: the same loop reading `i32x4.extend_low_i16x8_u(v128.load64_zero(p))`, an operation
//   that no other function of this module uses: bench/half-bound.js swaps it for the Wasm FP16
//   proposal's f32x4.promote_low_f16x8 (one instruction on x64 cores with F16C) where the
//   engine has that proposal, to time the loop with the conversion in the instruction set.
// - widen: the folded widening alone, as a pass of its own into an f32 row (the kernels' way:
//   widen a block, then the f32 loop over it).

import { expConstant, expWith } from "./exp";
import { halfConstant, widenFolded4 } from "./half";
import { at, atS } from "./reduce";

export { features, heapBase } from "./module";

const READ_F32 = 0;
const READ_FOLDED = 1;
const READ_MARKED = 2;

/** The 4 f32 lanes at element i of a row read as `read` says (h1 = halfConstant(1)). */
// @ts-ignore: decorator
@inline
function lanesAt(x: usize, i: i32, read: i32, h1: v128): v128 {
  if (read == READ_F32) return v128.load(at<f32>(x, i));
  if (read == READ_FOLDED) return widenFolded4(v128.load16x4_s(atS<i16>(x, i)), h1);
  return i32x4.extend_low_i16x8_u(v128.load64_zero(atS<u16>(x, i)));
}

/** Sum of exp(beta*(x_i - c)) over x[0..n), n a multiple of 16 (SIMD builds; NaN in the scalar build). */
// @ts-ignore: decorator
@inline
function expSum(x: usize, n: i32, c: f32, beta: f32, read: i32): f64 {
  if (!ASC_FEATURE_SIMD) return NaN;
  const k0 = expConstant<f32>(0);
  const k1 = expConstant<f32>(1);
  const k2 = expConstant<f32>(2);
  const k3 = expConstant<f32>(3);
  const k4 = expConstant<f32>(4);
  const k5 = expConstant<f32>(5);
  const k6 = expConstant<f32>(6);
  const k7 = expConstant<f32>(7);
  const k8 = expConstant<f32>(8);
  const k9 = expConstant<f32>(9);
  const h1 = halfConstant(1);
  const vc = f32x4.splat(c);
  const vb = f32x4.splat(beta);
  let s0 = f32x4.splat(0);
  let s1 = s0;
  let s2 = s0;
  let s3 = s0;
  for (let i = 0; i + 16 <= n; i += 16) {
    const a0 = f32x4.mul(f32x4.sub(lanesAt(x, i, read, h1), vc), vb);
    const a1 = f32x4.mul(f32x4.sub(lanesAt(x, i + 4, read, h1), vc), vb);
    const a2 = f32x4.mul(f32x4.sub(lanesAt(x, i + 8, read, h1), vc), vb);
    const a3 = f32x4.mul(f32x4.sub(lanesAt(x, i + 12, read, h1), vc), vb);
    s0 = f32x4.add(s0, expWith<f32>(a0, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9));
    s1 = f32x4.add(s1, expWith<f32>(a1, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9));
    s2 = f32x4.add(s2, expWith<f32>(a2, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9));
    s3 = f32x4.add(s3, expWith<f32>(a3, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9));
  }
  const s = f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3));
  return <f64>f32x4.extract_lane(s, 0) + <f64>f32x4.extract_lane(s, 1) + <f64>f32x4.extract_lane(s, 2) + <f64>f32x4.extract_lane(s, 3);
}

/** expSum of an f32 row. */
export function f32_expsum(x: usize, n: i32, c: f32, beta: f32): f64 {
  return expSum(x, n, c, beta, READ_F32);
}

/** expSum of finite halves read folded: c and beta as given (the caller folds them). */
export function folded_expsum(x: usize, n: i32, c: f32, beta: f32): f64 {
  return expSum(x, n, c, beta, READ_FOLDED);
}

/** expSum of halves read by the marker operation (see the top: only meaningful once swapped). */
export function marked_expsum(x: usize, n: i32, c: f32, beta: f32): f64 {
  return expSum(x, n, c, beta, READ_MARKED);
}

/** dst = the n finite halves at src, folded (x*2^-112), n a multiple of 8 (SIMD builds). */
export function folded_widen(src: usize, dst: usize, n: i32): void {
  if (!ASC_FEATURE_SIMD) return;
  const h1 = halfConstant(1);
  for (let i = 0; i + 8 <= n; i += 8) {
    v128.store(at<f32>(dst, i), lanesAt(src, i, READ_FOLDED, h1));
    v128.store(at<f32>(dst, i), lanesAt(src, i + 4, READ_FOLDED, h1), 16);
  }
}
