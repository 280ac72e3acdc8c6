// The types of softmax-wasm (the entry with every family).

import type { AttentionKernels } from "./attention/types.js";
import type { CoreKernels } from "./core/types.js";
import type { LossKernels } from "./loss/types.js";
import type { SamplingKernels } from "./sampling/types.js";
import type { SparseKernels } from "./sparse/types.js";
import type { VocabKernels } from "./vocab/types.js";

/** Every family's functions: what softmax-wasm's init() gives, identical on every backend. */
export interface Kernels extends CoreKernels, SamplingKernels, LossKernels, SparseKernels, AttentionKernels, VocabKernels {}
