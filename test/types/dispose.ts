// `using` where the lib has Symbol.dispose (esnext.disposable, or @types/node).
import type { Kernels } from "softmax-wasm";

declare const sm: Kernels;
{
  using x = sm.alloc(8);
  x.array.fill(1);
  sm.softmax(x, { out: x });
}
