// `using` in every kind of project: with esnext.disposable or @types/node, and with neither
// (lib ["es2022", "dom"] or ["es2022"]): the package declares the Disposable it needs.
import type { Kernels } from "softmax-wasm";

declare const sm: Kernels;
{
  using x = sm.alloc(8);
  x.array.fill(1);
  sm.softmax(x, { out: x });
}
