// sm.parallel as a user's strict project calls it, through softmax-wasm and through
// softmax-wasm/parallel with a softmax-wasm/core instance.
import type { Kernels, ParallelKernels, RealArray, WasmArray } from "softmax-wasm";
import { init } from "softmax-wasm/core";
import { loss } from "softmax-wasm/loss";
import { parallel } from "softmax-wasm/parallel";

declare const sm: Kernels;
declare const f32: Float32Array;
declare const labels: Int32Array;

export async function usage(): Promise<void> {
  const par: ParallelKernels<Kernels> = await sm.parallel({ workers: 2 });
  // The results are typed as the function's widest result (a generic signature does not map to
  // a Promise of each instantiation): a Float32Array here, narrowed by the caller.
  const probs = (await par.softmax(f32, { rowLength: 4 })) as Float32Array;
  const wide: RealArray | WasmArray = await par.logSoftmax(f32);
  const ce: number | RealArray = (await par.crossEntropy(f32, labels, { rowLength: 4, grad: true })).loss;
  const x = par.alloc(8);
  x.array.set(probs);
  const workers: number = par.workers + wide.length;
  await par.close();
  const core = await init({ with: [loss] });
  const p = await parallel(core, { workers: workers + Number(ce) });
  await p.crossEntropy(x, labels, { rowLength: 4 });
  // @ts-expect-error the parallel kernels have no parallel
  await par.parallel();
  // @ts-expect-error workers is a number
  await sm.parallel({ workers: "2" });
  // @ts-expect-error a core instance without the loss family has no crossEntropy
  await (await parallel(await init())).crossEntropy(f32, labels);
}
