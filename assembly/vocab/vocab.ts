// The vocabulary family's arithmetic over linear memory: dot products of hidden vectors with
// rows of a matrix (the inner nodes of a hierarchical softmax, the output embeddings of a
// sampled softmax) and the scatter-adds of their gradients. Everything else (the tree, the
// log-sigmoids, the candidate sampler, the log-sum-exp) is the host's: per row it is O(log K)
// or O(S) numbers, while these loops are O(dim) per number.
//
// Matrices are row-major rows of `dim` elements of T (f32 or f64); row indices are i32 arrays;
// dot products come out in f64, coefficients of the scatter-adds go in as f64.

import { dot } from "../shared/dot";
import { madd } from "../shared/exp";
import { at, lanes } from "../shared/reduce";

/** out[p] = a[ia[p]].b[ib[p]] for p < n. */
function pairdots<T>(a: usize, b: usize, dim: i32, ia: usize, ib: usize, n: i32, out: usize): void {
  const row = <usize>dim << alignof<T>();
  for (let p = 0; p < n; p++) {
    const i = <usize>load<i32>(ia + (<usize>p << 2));
    const j = <usize>load<i32>(ib + (<usize>p << 2));
    store<f64>(out + (<usize>p << 3), dot<T, T>(a + i * row, b + j * row, dim));
  }
}

/**
 * out[r*m + c] = a[r].b[ib[c]] for r < rows, c < m (ib = 0: b's rows 0..m-1 in order). Each
 * row of b is read from memory once, against every row of a (few, and in cache).
 */
function rowdots<T>(a: usize, rows: i32, b: usize, ib: usize, m: i32, dim: i32, out: usize): void {
  const row = <usize>dim << alignof<T>();
  for (let c = 0; c < m; c++) {
    const j = ib ? <usize>load<i32>(ib + (<usize>c << 2)) : <usize>c;
    const bp = b + j * row;
    for (let r = 0; r < rows; r++) {
      store<f64>(out + ((<usize>r * <usize>m + <usize>c) << 3), dot<T, T>(a + <usize>r * row, bp, dim));
    }
  }
}

/** dst[id[p]] += g[p]*src[is[p]] for p < n (rows of dim, in T). */
function scatter<T>(dst: usize, src: usize, dim: i32, id: usize, is: usize, g: usize, n: i32): void {
  const row = <usize>dim << alignof<T>();
  for (let p = 0; p < n; p++) {
    const dp = dst + <usize>load<i32>(id + (<usize>p << 2)) * row;
    const sp = src + <usize>load<i32>(is + (<usize>p << 2)) * row;
    const c = <T>load<f64>(g + (<usize>p << 3));
    let d = 0;
    if (ASC_FEATURE_SIMD) {
      const L = lanes<T>();
      const vc = v128.splat<T>(c);
      for (; d + L <= dim; d += L) {
        const o = <usize>d << alignof<T>();
        v128.store(dp + o, madd<T>(v128.load(sp + o), vc, v128.load(dp + o)));
      }
    }
    for (; d < dim; d++) store<T>(at<T>(dp, d), load<T>(at<T>(dp, d)) + c * load<T>(at<T>(sp, d)));
  }
}

export { features, heapBase } from "../shared/module";

// ---- exports: <dtype>_<kernel> ----

export function f32_pairdots(a: usize, b: usize, dim: i32, ia: usize, ib: usize, n: i32, out: usize): void {
  pairdots<f32>(a, b, dim, ia, ib, n, out);
}
export function f64_pairdots(a: usize, b: usize, dim: i32, ia: usize, ib: usize, n: i32, out: usize): void {
  pairdots<f64>(a, b, dim, ia, ib, n, out);
}

export function f32_rowdots(a: usize, rows: i32, b: usize, ib: usize, m: i32, dim: i32, out: usize): void {
  rowdots<f32>(a, rows, b, ib, m, dim, out);
}
export function f64_rowdots(a: usize, rows: i32, b: usize, ib: usize, m: i32, dim: i32, out: usize): void {
  rowdots<f64>(a, rows, b, ib, m, dim, out);
}

export function f32_scatter(dst: usize, src: usize, dim: i32, id: usize, is: usize, g: usize, n: i32): void {
  scatter<f32>(dst, src, dim, id, is, g, n);
}
export function f64_scatter(dst: usize, src: usize, dim: i32, id: usize, is: usize, g: usize, n: i32): void {
  scatter<f64>(dst, src, dim, id, is, g, n);
}
