// Cold start and binary size, apart from the warm timings: each cold start is a fresh
// Node process (cold-start-child.js), subjects interleaved round by round, median per phase.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { median } from "./harness.js";
import { BUILDS } from "./kernels.js";

const child = new URL("./cold-start-child.js", import.meta.url);
const PHASES = ["load", "init", "first", "total", "sinceStart"];

/** Runs every subject `runs` times in fresh processes; returns [{ subject, runs, median: { phase: ms } }]. */
export function measureColdStart(subjects, { runs = 7, onRun } = {}) {
  const samples = new Map(subjects.map((s) => [s, []]));
  const errors = new Map();
  for (let round = 0; round < runs; round++) {
    for (const subject of subjects) {
      try {
        const output = execFileSync(process.execPath, [fileURLToPath(child), subject], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        samples.get(subject).push(JSON.parse(output.trim().split("\n").at(-1)));
      } catch (error) {
        // e.g. dist/ being rebuilt by another command meanwhile: that run is left out.
        errors.set(subject, (error.stderr || error.message).trim().split("\n").at(-1));
      }
      onRun?.(round * subjects.length + subjects.indexOf(subject) + 1, runs * subjects.length);
    }
  }
  return subjects.map((subject) => {
    const runsOf = samples.get(subject);
    const failed = runs - runsOf.length;
    const result = { subject, runs: runsOf.length, ...(failed ? { failed, error: errors.get(subject) } : {}) };
    if (runsOf.length) result.median = Object.fromEntries(PHASES.map((p) => [p, median(runsOf.map((r) => r[p]))]));
    return result;
  });
}

const sizeOf = (bytes) => ({ bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });

/** The module files of one build, one per family (softmax.wasm is the core's). */
const FAMILY_FILES = ["softmax", "sampling", "loss", "sparse", "attention", "vocab"];

/**
 * Bytes a user downloads or loads: each of our builds (every family's module of it; each gzipped
 * on its own, as served), our host JS (the browser entries' files: not the workerd and node
 * entries, the bin or the benchmark; gzipped as one file, like a bundle), and the binaries the
 * peers load. npm run sizes gives the sizes of bundles per entry point.
 */
export function binarySizes({ peers = true } = {}) {
  const dist = new URL("../dist/", import.meta.url);
  const rows = BUILDS.map(({ backend, file }) => {
    const files = FAMILY_FILES.map((family) => readFileSync(new URL(file.replace("softmax", family), dist)));
    const total = (key) => files.reduce((sum, bytes) => sum + sizeOf(bytes)[key], 0);
    return { name: backend, file: `${FAMILY_FILES.length} modules (${file.replace("softmax", "*")})`, bytes: total("bytes"), gzip: total("gzip") };
  });
  const hostFiles = ["", "core/", "sampling/", "loss/", "sparse/", "attention/", "vocab/"].flatMap((dir) =>
    readdirSync(new URL(dir, dist))
      .filter((f) => f.endsWith(".js") && !/^(workerd|node)\.js$/.test(f))
      .map((f) => new URL(dir + f, dist)),
  );
  const host = Buffer.concat(hostFiles.map((f) => readFileSync(f)));
  rows.push({ name: "host JS", file: `${hostFiles.length} files in dist/`, ...sizeOf(host) });
  const modules = new URL("./peers/node_modules/", import.meta.url);
  const peerFiles = [
    ["tfjs-wasm", "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"],
    ["ort-web-wasm", "onnxruntime-web/dist/ort-wasm-simd-threaded.wasm"],
    ["ort-node-cpu", "onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"],
  ];
  for (const [name, path] of peers ? peerFiles : []) {
    const url = new URL(path, modules);
    if (existsSync(url)) rows.push({ name, file: path.split("/").at(-1), ...sizeOf(readFileSync(url)) });
  }
  return rows;
}
