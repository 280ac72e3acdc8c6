// What every module exports besides its kernels: the host checks the build of each module it
// instantiates, and starts its heap above the static data of all of them (each module's data
// sits at the --memoryBase that scripts/build.mjs gives it).

/** Features this build was compiled with: 1 = SIMD, 2 = relaxed SIMD. */
export function features(): i32 {
  return (ASC_FEATURE_SIMD ? 1 : 0) | (ASC_FEATURE_RELAXED_SIMD ? 2 : 0);
}

/** First byte above this module's static data. */
export function heapBase(): usize {
  return __heap_base;
}
