// One contender alone in a fresh process, as in an application that calls the library one
// way only: `node bench/alone-child.js <contender> <workload id> <settings JSON>` prints
// { ns, error } (median ns per call; error as in the suite). In the suite's process every
// softmax-wasm contender goes through the same API functions with other input types, so
// V8's feedback there is polymorphic; this measures the call without that.
import "./relaxed-flag.js";
import { familyOf, loadContenders, workloads } from "./contenders.js";
import { timeCases } from "./harness.js";
import { inputsOf } from "./workloads.js";

const [name, id, settings] = process.argv.slice(2);
const w = workloads().find((x) => x.id === id);
const contender = w && (await loadContenders({ peers: false })).find((c) => c.name === name && c.accepts(w));
if (!w || !contender) throw new Error(`no workload ${id} or no contender ${name} of it`);
const family = familyOf(w);
const inputs = inputsOf(w, 1);
const { fns } = await contender.setup(w, inputs);
const error = family.errorOf(w, await fns[0](), family.referenceOf(w, inputs[0]));
const [result] = await timeCases([{ name, fn: fns[0] }], JSON.parse(settings));
console.log(JSON.stringify({ ns: result.ns, error }));
