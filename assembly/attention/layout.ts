// The attention kernels' tiling. scripts/build.mjs generates src/attention/tiling.ts from the
// `export const` lines below, for the host's tests and the benchmarks' descriptions.

// Keys per block: a block's scores, and its key and value rows of one kv head (32 rows of
// 128 f32 = 16 KB each), stay in the L1 cache between the score pass and the value pass.
export const KEY_BLOCK: i32 = 32; // keys per block
// Query rows per tile (queries times all their heads): each key and value row is read from
// memory once per tile; a tile holds at least one query, whatever the number of heads.
export const TILE_ROWS: i32 = 64; // query rows per tile (at least one query's heads)
