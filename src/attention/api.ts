// The attention API over a backend: validation (everything before anything is written), the
// shapes and key ranges resolved, then the backend's arithmetic; mergeAttention, the same
// arithmetic on every backend (segments.ts's merge, which attend uses over long ranges).

import { type Core, type Operand, dtypeOf } from "../core/backend.js";
import { isWasmArray, realArray } from "../core/memory.js";
import type { Dtype, Input, RealArray } from "../core/types.js";
import { numberOption } from "../core/targets.js";
import { anyOperandOf, describe, newArray, operandOf, optionsOf, outOperand } from "../core/validate.js";
import { type KernelExports, WasmCore } from "../core/wasm.js";
import { JsAttention } from "./js.js";
import type { AttentionCall, AttentionCore } from "./layout.js";
import { mergeRows } from "./segments.js";
import type { AttentionKernels } from "./types.js";
import { WasmAttention } from "./wasm.js";

const ATTEND_KEYS = new Set([
  "heads", "kvHeads", "dim", "valueDim", "length", "range", "scale", "softcap", "causal", "window", "bias", "alibi", "sinks", "out", "lse",
]);
const MERGE_KEYS = new Set(["heads", "valueDim", "out", "lse"]);

const positive = (v: number) => Number.isSafeInteger(v) && v > 0;

/** An Input of `n` elements read as f64 (alibi slopes, sinks), or undefined. */
function perHead(core: Core, opts: Record<string, unknown>, name: string, heads: number): Float64Array | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  const a = realArray(operandOf(core, v, name));
  if (a.length !== heads) throw new RangeError(`${name} must have one value per query head (got length ${a.length} for ${heads} heads)`);
  return Float64Array.from(a);
}

/** The lse option: undefined (none), a new array, or the validated array given. */
function lseOperand(core: Core, lse: unknown, dtype: Dtype, n: number): Operand | undefined {
  if (lse === undefined || lse === false) return undefined;
  if (lse === true) return newArray(dtype, n);
  if (typeof lse === "boolean" || !(lse instanceof Float32Array || lse instanceof Float64Array || isWasmArray(lse))) {
    throw new TypeError(`lse must be true or a Float32Array, Float64Array or WasmArray (got ${describe(lse)})`);
  }
  const o = (isWasmArray(lse) ? (core.owns(lse) ? lse : lse.array) : lse) as Operand;
  if (dtypeOf(o) !== dtype) throw new TypeError(`lse must have the output dtype ${dtype} (got ${describe(lse)})`);
  if (o.length !== n) throw new RangeError(`lse must have one element per query and head (got length ${o.length} for ${n})`);
  return o;
}

/** The bytes an array occupies: [buffer, start, end), or undefined for a plain number[]. */
function bytesOf(x: unknown): [ArrayBufferLike, number, number] | undefined {
  const view = isWasmArray(x) ? x.array : x;
  if (!ArrayBuffer.isView(view)) return undefined;
  return [view.buffer, view.byteOffset, view.byteOffset + view.byteLength];
}

/** Whether two arrays share any byte (views of one buffer, WasmArrays of one memory). */
function overlap(a: unknown, b: unknown): boolean {
  const x = bytesOf(a);
  const y = bytesOf(b);
  return x !== undefined && y !== undefined && x[0] === y[0] && x[1] < y[2] && y[1] < x[2];
}

/** Validates an attend call into what a backend needs. */
function attendCall(core: Core, q: unknown, keys: unknown, values: unknown, options: unknown, halves: boolean): AttentionCall {
  const opts = optionsOf(options, ATTEND_KEYS, "attend");
  const qo = operandOf(core, q, "q");
  let ko = anyOperandOf(core, keys, "keys");
  let vo = anyOperandOf(core, values, "values");
  // Halves go to the kernels as they are where both keys and values are halves (the kernel
  // widens them as it reads); else they are widened to f32 here, exactly.
  if ((dtypeOf(ko) === "f16" || dtypeOf(vo) === "f16") && !(halves && dtypeOf(ko) === "f16" && dtypeOf(vo) === "f16")) {
    ko = operandOf(core, keys, "keys");
    vo = operandOf(core, values, "values");
  }
  const dtype = dtypeOf(qo);
  const dim = numberOption(opts, "dim", undefined, positive, "a positive integer");
  const heads = numberOption(opts, "heads", 1, positive, "a positive integer");
  const kvHeads = numberOption(opts, "kvHeads", heads, positive, "a positive integer");
  if (heads % kvHeads !== 0) throw new RangeError(`kvHeads must divide heads (got kvHeads ${kvHeads} for heads ${heads})`);
  const valueDim = numberOption(opts, "valueDim", dim, positive, "a positive integer");
  if (qo.length % (heads * dim) !== 0) {
    throw new RangeError(`q must be [queries][heads][dim]: its length must be a multiple of heads*dim (got length ${qo.length} for heads*dim ${heads * dim})`);
  }
  const queries = qo.length / (heads * dim);
  if (ko.length % (kvHeads * dim) !== 0) {
    throw new RangeError(`keys must be [capacity][kvHeads][dim]: its length must be a multiple of kvHeads*dim (got length ${ko.length} for kvHeads*dim ${kvHeads * dim})`);
  }
  const capacity = ko.length / (kvHeads * dim);
  if (vo.length !== capacity * kvHeads * valueDim) {
    throw new RangeError(`values must be [capacity][kvHeads][valueDim], ${capacity} rows like keys (got length ${vo.length} for ${capacity * kvHeads * valueDim})`);
  }
  const length = numberOption(opts, "length", capacity, (v) => Number.isSafeInteger(v) && v >= 0 && v <= capacity, `an integer in [0, ${capacity}] (the key rows)`);
  let start = 0;
  let end = length;
  if (opts.range !== undefined) {
    const r = opts.range;
    if (!Array.isArray(r) || r.length !== 2 || typeof r[0] !== "number" || typeof r[1] !== "number") {
      throw new TypeError(`range must be [start, end], two numbers (got ${describe(r)})`);
    }
    [start, end] = r;
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= length)) {
      throw new RangeError(`range must be integers with 0 <= start <= end <= length ${length} (got [${start}, ${end}])`);
    }
  }
  const scale = numberOption(opts, "scale", 1 / Math.sqrt(dim), Number.isFinite, "finite");
  const softcap = numberOption(opts, "softcap", 0, (v) => v > 0 && v < Infinity, "finite and > 0");
  if (opts.causal !== undefined && typeof opts.causal !== "boolean") throw new TypeError(`causal must be a boolean (got ${describe(opts.causal)})`);
  const window = numberOption(opts, "window", 0, positive, "a positive integer");
  let bias: Operand | undefined;
  let biasHead = 0;
  if (opts.bias !== undefined) {
    bias = operandOf(core, opts.bias, "bias");
    if (bias.length === heads * queries * length && heads > 1) biasHead = queries * length;
    else if (bias.length !== queries * length) {
      throw new RangeError(`bias must be [queries][length] or [heads][queries][length] (got length ${bias.length} for ${queries}*${length} or ${heads}*${queries}*${length})`);
    }
  }
  const alibi = perHead(core, opts, "alibi", heads);
  const sinks = perHead(core, opts, "sinks", heads);
  const n = queries * heads * valueDim;
  // The kernel writes out (and lse) while it still reads the inputs: no output over any byte of
  // an input, nor out and lse over each other.
  const inputs = [["q", q], ["keys", keys], ["values", values], ["bias", opts.bias]] as const;
  for (const [option, output] of [["out", opts.out], ["lse", opts.lse]] as const) {
    for (const [name, input] of inputs) {
      if (output !== undefined && (output === input || overlap(output, input))) {
        throw new RangeError(`${option} must not overlap ${name} (attend writes ${option} while it reads ${name})`);
      }
    }
  }
  if (overlap(opts.out, opts.lse)) throw new RangeError("out and lse must not overlap");
  const out = opts.out === undefined ? newArray(dtype, n) : outOperand(core, opts.out, dtype, n, "[queries][heads][valueDim] elements");
  const lse = lseOperand(core, opts.lse, dtype, queries * heads);
  return {
    q: qo, keys: ko, values: vo, out, lse, queries, heads, kvHeads, dim, valueDim, length, start, end,
    offset: length - queries, causal: opts.causal === true, window, scale, softcap, bias, biasHead, alibi, sinks,
  };
}

/** The part of mergeAttention's a or b named `name`, validated. */
function partOf(core: Core, part: unknown, name: string): { out: RealArray; lse: RealArray; dtype: Dtype } {
  if (typeof part !== "object" || part === null || !("out" in part) || !("lse" in part)) {
    throw new TypeError(`${name} must be an attend result { out, lse } (got ${describe(part)})`);
  }
  const p = part as { out: unknown; lse: unknown };
  const out = operandOf(core, p.out, `${name}.out`);
  return { out: realArray(out), lse: realArray(operandOf(core, p.lse, `${name}.lse`)), dtype: dtypeOf(out) };
}

/** The attention functions of one backend. */
export function attentionKernels(core: Core, exports: KernelExports | undefined): AttentionKernels {
  const backend: AttentionCore = core instanceof WasmCore && exports ? new WasmAttention(core, exports) : new JsAttention();
  // The js backend reads halves through Float16Array where the runtime has it (no widened copy of the cache).
  const halves = backend instanceof WasmAttention || typeof Float16Array === "function";

  function attend(q: Input, keys: Input, values: Input, options: unknown) {
    const call = attendCall(core, q, keys, values, options, halves);
    if (call.queries > 0) backend.attend(call);
    const opts = options as { out?: unknown; lse?: unknown };
    const out = opts.out ?? call.out;
    if (!call.lse) return out;
    return { out, lse: opts.lse === true ? call.lse : opts.lse };
  }

  function mergeAttention(a: unknown, b: unknown, options: unknown) {
    const opts = optionsOf(options, MERGE_KEYS, "mergeAttention");
    const heads = numberOption(opts, "heads", undefined, positive, "a positive integer");
    const valueDim = numberOption(opts, "valueDim", undefined, positive, "a positive integer");
    const pa = partOf(core, a, "a");
    const pb = partOf(core, b, "b");
    const rows = pa.lse.length;
    if (rows % heads !== 0) throw new RangeError(`a.lse must be [queries][heads] (got length ${rows} for heads ${heads})`);
    if (pa.out.length !== rows * valueDim) throw new RangeError(`a.out must be [queries][heads][valueDim] (got length ${pa.out.length} for ${rows * valueDim})`);
    if (pb.lse.length !== rows) throw new RangeError(`b.lse must have a.lse's length (got length ${pb.lse.length} for ${rows})`);
    if (pb.out.length !== rows * valueDim) throw new RangeError(`b.out must have a.out's length (got length ${pb.out.length} for ${rows * valueDim})`);
    const dtype: Dtype = pa.dtype === "f64" || pb.dtype === "f64" ? "f64" : "f32";
    const outOp = opts.out === undefined ? newArray(dtype, rows * valueDim) : outOperand(core, opts.out, dtype, rows * valueDim, "[queries][heads][valueDim] elements");
    const lseOp = opts.lse === undefined ? newArray(dtype, rows) : lseOperand(core, opts.lse, dtype, rows) as Operand;
    const out = realArray(outOp);
    const lse = realArray(lseOp);
    mergeRows(out, lse, pa.out, pa.lse, pb.out, pb.lse, rows, valueDim);
    return { out: opts.out ?? outOp, lse: opts.lse ?? lseOp };
  }

  return { attend, mergeAttention } as unknown as AttentionKernels;
}
