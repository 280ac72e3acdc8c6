// Left-packing: the lanes of a vector that a mask keeps, moved to its front in order, so that one
// store writes them all and the count advances by how many there are (no branch or store per
// lane). The stores write a whole vector, the lanes past the kept ones zeros that the next store
// overwrites: where the count of kept elements is at most the source's position (a packing in
// place, or into an array as long as the source), they stay within the elements already read.

// Entry b (16 bytes): the swizzle that moves the 4-byte lanes j with bit j of b set to the front,
// in order; the bytes after them are 0x80 (out of range: swizzle gives 0).
const PACK_32 = memory.data<u8>([
  128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  4, 5, 6, 7, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 128, 128, 128, 128, 128, 128, 128, 128,
  8, 9, 10, 11, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 8, 9, 10, 11, 128, 128, 128, 128, 128, 128, 128, 128,
  4, 5, 6, 7, 8, 9, 10, 11, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 128, 128, 128, 128,
  12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128,
  4, 5, 6, 7, 12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 128, 128, 128, 128,
  8, 9, 10, 11, 12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 128, 128, 128, 128,
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
]);
// The same for 8-byte lanes, entries b = 0 to 3.
const PACK_64 = memory.data<u8>([
  128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 128, 128, 128, 128, 128, 128, 128, 128,
  8, 9, 10, 11, 12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
]);
// The positions 0, 1, 2, 3 as i32 lanes.
const IOTA = memory.data<i32>([0, 1, 2, 3]);

/** The lanes of v (T lanes) whose bit is set in `bits` (a bitmask of T lanes), at the front, in order. */
// @ts-ignore: decorator
@inline
export function packed<T>(v: v128, bits: i32): v128 {
  const table = sizeof<T>() == 4 ? PACK_32 : PACK_64;
  return i8x16.swizzle(v, v128.load(table + (<usize>bits << 4)));
}

/**
 * Stores at dst the positions i + j (i32) of the lanes j of a vector of T set in `bits`, in
 * order: as many i32 as T has lanes are written.
 */
// @ts-ignore: decorator
@inline
export function storePositions<T>(dst: usize, i: i32, bits: i32): void {
  if (sizeof<T>() == 4) v128.store(dst, i8x16.swizzle(i32x4.add(i32x4.splat(i), v128.load(IOTA)), v128.load(PACK_32 + (<usize>bits << 4))));
  else store<i64>(dst, (<i64>(i + 1) << 32) | <i64><u32>(i + 1 - (bits & 1)));
}
