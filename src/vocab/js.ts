// The vocabulary arithmetic of the pure TypeScript backend: the loops of
// assembly/vocab/vocab.ts in f64.

import type { Operand } from "../core/backend.js";
import { realArray } from "../core/memory.js";
import type { RealArray } from "../core/types.js";
import type { Pairs, VocabCore } from "./backend.js";

/** a[ao..ao+dim).b[bo..bo+dim). */
function dot(a: RealArray, ao: number, b: RealArray, bo: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += a[ao + d] * b[bo + d];
  return s;
}

export class JsVocab implements VocabCore {
  dots(a: Operand, b: Operand, dim: number, { ids, pa, pb }: Pairs, dots: Float64Array): void {
    const as = realArray(a);
    const bs = realArray(b);
    for (let p = 0; p < pa.length; p++) dots[p] = dot(as, pa[p] * dim, bs, ids[pb[p]] * dim, dim);
  }

  backward(a: Operand, b: Operand, dim: number, { ids, pa, pb }: Pairs, g: Float64Array, ga: RealArray, gb: RealArray): void {
    const as = realArray(a);
    const bs = realArray(b);
    for (let p = 0; p < pa.length; p++) {
      const c = g[p];
      const ao = pa[p] * dim;
      const bo = ids[pb[p]] * dim;
      const go = pb[p] * dim;
      for (let d = 0; d < dim; d++) {
        ga[ao + d] += c * bs[bo + d];
        gb[go + d] += c * as[ao + d];
      }
    }
  }

  allDots(a: Operand, b: Operand, dim: number, out: Float64Array): void {
    const as = realArray(a);
    const bs = realArray(b);
    const rows = as.length / dim;
    const m = bs.length / dim;
    for (let r = 0; r < rows; r++) for (let c = 0; c < m; c++) out[r * m + c] = dot(as, r * dim, bs, c * dim, dim);
  }
}
