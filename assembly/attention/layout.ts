// The attention kernels' tiling. scripts/build.mjs generates src/attention/layout.ts from the
// `export const` lines below, for the host's checks and the benchmarks' descriptions.

// Keys per block: a block's scores, and its key and value rows of one kv head (32 rows of
// 128 f32 = 16 KB each), stay in the L1 cache between the score pass and the value pass.
export const KEY_BLOCK: i32 = 32; // keys per block
// Query rows per tile (queries times the query heads of one kv group): each key and value
// row is read once per tile; at least one query per tile, whatever the group size.
export const TILE_ROWS: i32 = 32; // query rows per tile (at least one query's heads)
