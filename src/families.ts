// The families of softmax-wasm (the entry with every family), as the loader sees them.

import type { FamilyDefinition } from "./core/family.js";
import { loss } from "./loss.js";
import { sampling } from "./sampling.js";

export const FAMILIES = [sampling, loss] as unknown as readonly FamilyDefinition[];
