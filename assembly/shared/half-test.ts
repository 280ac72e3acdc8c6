// half.ts as a module of its own, for the tests of every bit pattern: scripts/build.mjs builds
// it into build/, never into dist/, so no shipped module carries test-only exports.

import {
  f32ToHalf, foldedAtLeast, foldedHalf, halfConstant, halfExtremum, halfNotPositive8, halfOrder, halfOrderAtLeast, halfPositive, halfToF32, halvesFinite, maxLaneU,
  narrowHalves, positiveEdge, specialBlock, widenFolded4, widenHalves, widenSmallRun,
} from "./half";

import { extremum, widenExtremum } from "./reduce";

export { features, heapBase } from "./module";

/** Sets half.ts's specialBlock, which loop the next quick widening starts with (1: quickTopAll8's), and returns the old value. */
export function startSpecial(on: i32): i32 {
  const was = i32(specialBlock);
  specialBlock = on != 0;
  return was;
}

/** dst = f32 of the halves at src, n of them (SIMD where the build has it). */
export function widen(src: usize, dst: usize, n: i32): void {
  widenHalves(src, dst, n);
}

/** dst = f32 of the halves at src by the small widening alone (exact for finite halves; the scalar build: halfToF32); the largest exponent bits of the whole 8s (0x7c00: an Inf or NaN among them). */
export function widenSmall(src: usize, dst: usize, n: i32): i32 {
  if (ASC_FEATURE_SIMD) return maxLaneU(widenSmallRun(src, dst, n, i16x8.splat(0)));
  for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), halfToF32(<u32>load<u16>(src + (<usize>i << 1))));
  return 0;
}

/** dst = halves of the f32s at src, rounded to nearest even (SIMD where the build has it). */
export function narrow(src: usize, dst: usize, n: i32): void {
  narrowHalves(src, dst, n);
}

/** widen through the scalar twin only. */
export function widenScalar(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), halfToF32(<u32>load<u16>(src + (<usize>i << 1))));
}

/** narrow through the scalar twin only. */
export function narrowScalar(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u16>(dst + (<usize>i << 1), <u16>f32ToHalf(load<f32>(src + (<usize>i << 2))));
}

/** The order key of the half with bits h. */
export function order(h: i32): i32 {
  return halfOrder(h);
}

/** The order key of the least half >= t. */
export function orderAtLeast(t: f32): i32 {
  return halfOrderAtLeast(t);
}

/** halfExtremum's halvesFinite for the n halves at x: 1 when none is Inf or NaN. */
export function finite(x: usize, n: i32): i32 {
  halfExtremum(x, n, false);
  return i32(halvesFinite);
}

/** reduce.ts's widenExtremum: the max (min when lowest) of the n halves at x, widened into dst. */
export function widenPick(x: usize, dst: usize, n: i32, lowest: i32): f32 {
  return widenExtremum(x, dst, n, lowest != 0);
}

/** extremum<f32> of the n f32s at x (max, or min when lowest). */
export function pickF32(x: usize, n: i32, lowest: i32): f32 {
  return lowest ? extremum<f32>(x, n, true) : extremum<f32>(x, n, false);
}

/**
 * dst[i] = 1 where the half src[i] is not above 0, else 0, i < n (n a multiple of 8 in the SIMD
 * builds): halfNotPositive8, or its twin halfPositive in the scalar build.
 */
export function notPositive(src: usize, dst: usize, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    const bias = halfConstant(5);
    const edge = positiveEdge();
    for (let i = 0; i < n; i += 8) {
      const o = halfNotPositive8(v128.load(src + (<usize>i << 1)), bias, edge);
      v128.store(dst + (<usize>i << 1), i16x8.shr_u(o, 15));
    }
  } else {
    for (let i = 0; i < n; i++) store<u16>(dst + (<usize>i << 1), u16(!halfPositive(<u32>load<u16>(src + (<usize>i << 1)))));
  }
}

/** notPositive through the scalar twin only. */
export function notPositiveScalar(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u16>(dst + (<usize>i << 1), u16(!halfPositive(<u32>load<u16>(src + (<usize>i << 1)))));
}

/** dst = the folded values (x*2^-112) of the n finite halves at src: widenFolded4 (n a multiple of 4), or foldedHalf in the scalar build. */
export function fold(src: usize, dst: usize, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    const k1 = halfConstant(1);
    for (let i = 0; i < n; i += 4) v128.store(dst + (<usize>i << 2), widenFolded4(v128.load16x4_s(src + (<usize>i << 1)), k1));
  } else {
    for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), foldedHalf(halfToF32(<u32>load<u16>(src + (<usize>i << 1)))));
  }
}

/** The folded value of the half whose value is x. */
export function foldedOf(x: f32): f32 {
  return foldedHalf(x);
}

/** The folded value of the least half >= t. */
export function foldedFloor(t: f32): f32 {
  return foldedAtLeast(t);
}
