// The loss kernels' side of their contract with the host: the per-row statistics the
// cross-entropy pass leaves, the gradient coefficients the host gives, and the modes. Written
// here once; scripts/build.mjs generates src/loss/stats.ts from the `export const` lines.

// Per-row statistics of crossentropy, f64 each:
export const S_M: i32 = 0; // m = beta*c (NaN for a row with a NaN)
export const S_SUM: i32 = 1; // sum of e_j over j != y (over every j without a target index)
export const S_ZY: i32 = 2; // a_y, in f64
export const S_DOTW: i32 = 3; // sum_j W_j*a_j/(2K) (terms with W_j = 0 count 0; scaled so that the sum stays finite where a_j passes the dtype's range)
export const S_DOTT: i32 = 4; // sum_j W_j*T_j*a_j/2 (terms with W_j*T_j = 0 count 0; halved as S_DOTW)
export const S_SUMT: i32 = 5; // sum_j W_j*T_j
export const STATS: i32 = 6; // f64 statistics per row

// Gradient coefficients from the host per row: A0, B, D, F (assembly/loss/loss.ts, gradRow).
export const COEFS: i32 = 4; // f64 coefficients per row

// The work area of the f16 kernels (their last argument; one per thread) holds max(HALF_WORK,
// k) f32: halves are widened into it (a block of HALF_WORK at a time where a pass reads the
// row once), so that the f32 loops run on them.
export const HALF_WORK: i32 = 2048; // f32 elements

// What crossentropy accumulates besides the exp sum:
export const PLAIN: i32 = 0; // nothing (loss of index targets without smoothing, logProbs)
export const SMOOTH: i32 = 1; // dotW (index targets with label smoothing)
export const PROB: i32 = 2; // dotW, dotT, sumT (probability targets)
