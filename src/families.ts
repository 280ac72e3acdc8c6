// The families of softmax-wasm (the entry with every family), as the loader sees them, and what
// its initSync gives for a family whose module it cannot load synchronously.

import { JsCore } from "./core/baseline.js";
import type { FamilyDefinition, WasmBuild } from "./core/family.js";
import { attention } from "./attention.js";
import { loss } from "./loss.js";
import { sampling } from "./sampling.js";
import { sparse } from "./sparse.js";
import { vocab } from "./vocab.js";

export const FAMILIES = [sampling, loss, sparse, attention, vocab] as unknown as readonly FamilyDefinition[];

/** Functions that throw, saying how to load the family that initSync could not. */
export function missing(family: FamilyDefinition, build: WasmBuild): object {
  const api = family.create(new JsCore(), undefined) as Record<string, unknown>;
  const fail = () => {
    throw new Error(
      `softmax-wasm: initSync could not load the ${family.name} module here (browsers cannot read files synchronously): pass it, initSync(core, { sources: { ${family.name}: module } }), or use await init() (${build} build)`,
    );
  };
  return Object.fromEntries(Object.keys(api).map((name) => [name, fail]));
}
