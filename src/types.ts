// The types of softmax-wasm (the entry with every family).

import type { AttentionKernels } from "./attention/types.js";
import type { CoreKernels } from "./core/types.js";
import type { LossKernels } from "./loss/types.js";
import type { ParallelKernels, ParallelOptions } from "./parallel/types.js";
import type { SamplingKernels } from "./sampling/types.js";
import type { SparseKernels } from "./sparse/types.js";
import type { VocabKernels } from "./vocab/types.js";

/** Every family's functions: what softmax-wasm's init() gives, identical on every backend. */
export interface Kernels extends CoreKernels, SamplingKernels, LossKernels, SparseKernels, AttentionKernels, VocabKernels {
  /**
   * These functions on `workers` threads (the calling one included) over one shared memory,
   * each returning a Promise; batches split by rows, results equal to these bit for bit. Rejects
   * with an Error saying why where there are no threads (a page that is not cross-origin
   * isolated, Cloudflare Workers); a RangeError for workers not a positive integer.
   */
  parallel(options?: ParallelOptions): Promise<ParallelKernels<Kernels>>;
}
