// Everything the suite times, by family (bench/families/): the workloads of each and their
// contenders (one contract, see bench/workloads.js), over the builds of this checkout's
// dist/ and, for a before/after comparison, those of another build directory ("before:").

import * as attention from "./families/attention.js";
import * as core from "./families/core.js";
import * as loss from "./families/loss.js";
import * as sampling from "./families/sampling.js";
import * as shapes from "./families/shapes.js";
import * as sparse from "./families/sparse.js";
import * as vocab from "./families/vocab.js";
import { BUILDS, DIST, kernelsFor, versionOf } from "./kernels.js";

const FAMILIES = [core, sampling, loss, sparse, attention, vocab, shapes];

/** The workloads of every family in a full, quick or core run. */
export const workloads = (options) => FAMILIES.flatMap((f) => f.workloads(options));

/** The family a workload belongs to. */
export const familyOf = (w) => FAMILIES.find((f) => f.name === w.family);

/**
 * The builds of a build directory that load here, as { name, kind, version, sm }: each
 * wasm build ("softmax-wasm", named by its backend) and the JS backend ("baseline", "js"),
 * every name prefixed with `prefix`. log(message) reports a build left out and why.
 */
async function buildsOf(distDir, prefix, log) {
  const version = await versionOf(distDir);
  const list = [];
  for (const { backend, build } of BUILDS) {
    try {
      list.push({ name: `${prefix}${backend}`, kind: "softmax-wasm", version, sm: await kernelsFor(distDir, build) });
    } catch (error) {
      log(`${prefix}${backend}: left out (${error.message})`);
    }
  }
  list.push({ name: `${prefix}js`, kind: "baseline", version, sm: await kernelsFor(distDir, "js") });
  return list;
}

/**
 * Every contender of every family that loads here. `peers`: load the library peers
 * (bench/peers must be installed; `only`: those named); naive-js needs none of them.
 * `compare`: the URL of another dist/ whose builds run too, as "before:<name>". log(message)
 * reports what is left out and why.
 */
export async function loadContenders({ peers = true, only, compare, log = () => {} } = {}) {
  const builds = await buildsOf(DIST, "", log);
  if (compare) builds.push(...(await buildsOf(compare, "before:", log)));
  const list = [];
  for (const family of FAMILIES) list.push(...(await family.contenders(builds, { peers, only, log })));
  return list;
}
