// The sampling kernels' work space that the host lays out. scripts/build.mjs generates
// src/sampling/layout.ts from the `export const` lines below.

// Buckets of the histograms by which the top-p band search selects among sampled and banded
// weights (band, narrow): an f64 sum and an i32 count each.
export const HISTOGRAM_BUCKETS: i32 = 2048; // buckets of the top-p band search's histograms

// Weights per sampled weight in the search for the top-p band (band); the js backend samples
// its band the same way.
export const STRIDE: i32 = 32; // weights per sampled weight of the top-p band search
