// Builds the package: every family's kernels as their own wasm module in each of three builds
// (AssemblyScript, then wasm-opt from binaryen), the results layout generated into the host,
// then the TypeScript host layer. Output in dist/.
//
//   node scripts/build.mjs [--force]
//
// The modules compile in parallel (one process each, as many as the machine has cores), and a
// module whose sources did not change since its last build is skipped: build/<file>.hash
// holds the hash of what it was built from (--force rebuilds everything).
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { generateLayout } from "./results.mjs";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
process.chdir(root);
const force = process.argv.includes("--force");
const bin = (name) => join("node_modules", ".bin", name);

/**
 * One wasm module per family. All modules of one Kernels share one memory: each module's static
 * data starts at its own memoryBase, and the host starts its heap above all of them. A module
 * whose data outgrows its slot (up to the next module's base) fails the build.
 */
export const MODULES = [
  { family: "core", entry: "assembly/core/softmax.ts", file: "softmax", memoryBase: 0x0400 },
  { family: "sampling", entry: "assembly/sampling/sample.ts", file: "sampling", memoryBase: 0x4000 },
  { family: "loss", entry: "assembly/loss/loss.ts", file: "loss", memoryBase: 0x8000 },
  { family: "attention", entry: "assembly/attention/attention.ts", file: "attention", memoryBase: 0xc000 },
  { family: "sparse", entry: "assembly/sparse/sparse.ts", file: "sparse", memoryBase: 0x10000 },
  { family: "vocab", entry: "assembly/vocab/vocab.ts", file: "vocab", memoryBase: 0x14000 },
];
/** Test-only modules: built like the families, into build/ (never shipped in dist/). */
const TEST_MODULES = [
  { family: "exp-test", entry: "assembly/shared/exp-test.ts", file: "exp-test", memoryBase: 0x0400, test: true },
  { family: "sum-bench", entry: "assembly/attention/sum-bench.ts", file: "sum-bench", memoryBase: 0x0400, test: true },
  { family: "half-test", entry: "assembly/shared/half-test.ts", file: "half-test", memoryBase: 0x0400, test: true },
  { family: "half-bench", entry: "assembly/shared/half-bench.ts", file: "half-bench", memoryBase: 0x0400, test: true },
];
/** End of the last module's slot. */
const DATA_END = 0x18000;
/**
 * Pages of the shared memory that parallel() gives every module (src/parallel): an imported
 * shared memory needs a maximum, here wasm32's 4 GiB.
 */
export const MAX_PAGES = 65536;

/**
 * wasm-opt's passes: one -O3 round. --converge's further rounds left every module larger
 * gzipped (the core's relaxed build 10,327 -> 10,181 bytes without them, loss 8,179 -> 7,776),
 * the kernels as fast (A/B medians within 3%, Node 24 and Bun).
 */
const WASM_OPT = ["-O3"];

/** asconfig.json target -> file suffix and the wasm-opt feature flags it needs. */
const BUILDS = [
  { target: "relaxed", suffix: "-relaxed", features: ["--enable-simd", "--enable-relaxed-simd"] },
  { target: "simd", suffix: "", features: ["--enable-simd"] },
  { target: "scalar", suffix: "-scalar", features: [] },
];

/** The .ts files under a folder, recursively. */
function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Hash of everything a module's build reads: its family's folder, the shared kernels, the config, wasm-opt's passes. */
function hashOf(module, build) {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ module, build, WASM_OPT }));
  const dir = module.entry.split("/").slice(0, 2).join("/");
  for (const file of [...sources("assembly/shared"), ...sources(dir), "asconfig.json", "package-lock.json"].sort()) {
    hash.update(file).update(readFileSync(file));
  }
  return hash.digest("hex");
}

/** A queue that runs at most `limit` jobs at once. */
async function pool(jobs, limit) {
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

async function buildOne(module, build, index, slotEnd) {
  const file = `${module.file}${build.suffix}.wasm`;
  const out = `${module.test ? "build/opt" : "dist"}/${file}`;
  const hash = hashOf(module, build);
  const hashFile = `build/${file}.hash`;
  const started = performance.now();
  if (!force && existsSync(out) && existsSync(hashFile) && readFileSync(hashFile, "utf8") === hash) {
    return { file, out, skipped: true };
  }
  const asc = join("node_modules", "assemblyscript", "bin", "asc.js");
  const args = [asc, module.entry, "--config", "asconfig.json", "--target", build.target, "--memoryBase", String(module.memoryBase), "-o", `build/${file}`];
  try {
    await run(process.execPath, args);
  } catch (error) {
    throw new Error(`asc ${module.entry} --target ${build.target} failed:\n${error.stderr || error.message}`);
  }
  await run(process.execPath, [bin("wasm-opt"), `build/${file}`, ...WASM_OPT, ...build.features, "-o", out]).catch(
    (error) => {
      throw new Error(`wasm-opt ${file} failed:\n${error.stderr || error.message}`);
    },
  );
  if (!module.test) checkSlot(file, module, slotEnd);
  writeFileSync(hashFile, hash);
  return { file, out, skipped: false, ms: Math.round(performance.now() - started), index };
}

/** Unsigned LEB128 at bytes[at]: [value, index after it]. */
function readLeb(bytes, at) {
  let value = 0;
  let shift = 0;
  let byte;
  do {
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

function leb(value) {
  const out = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

/**
 * The shared-memory twin of a module: the same code, its memory import declared shared with a
 * maximum of MAX_PAGES (limits flag 3). Byte for byte what asc --sharedMemory --maximumMemory
 * 65536 --enable threads gives from the same sources (checked for every module and build when
 * this was written): the kernels use no atomics, so only the import's type differs, and the
 * twin's results are the one-thread module's bit for bit. Only parallel() loads the twins.
 */
export function sharedTwin(bytes) {
  const parts = [bytes.subarray(0, 8)];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, body] = readLeb(bytes, at + 1);
    const end = body + size;
    if (id !== 2) {
      parts.push(bytes.subarray(at, end));
      at = end;
      continue;
    }
    const [count, first] = readLeb(bytes, body);
    const section = [...leb(count)];
    let p = first;
    for (let i = 0; i < count; i++) {
      const start = p;
      for (let name = 0; name < 2; name++) {
        const [length, next] = readLeb(bytes, p);
        p = next + length;
      }
      const kind = bytes[p++];
      section.push(...bytes.subarray(start, p));
      if (kind !== 2) throw new Error(`a module imports something other than its memory (import kind ${kind})`);
      const flags = bytes[p++];
      const [initial, next] = readLeb(bytes, p);
      p = flags & 1 ? readLeb(bytes, next)[1] : next;
      section.push(3, ...leb(initial), ...leb(MAX_PAGES));
    }
    parts.push(Uint8Array.of(2, ...leb(section.length), ...section));
    at = end;
  }
  return Buffer.concat(parts);
}

/** Fails when the module's static data passes the start of the next module's. */
function checkSlot(file, module, slotEnd) {
  const bytes = readFileSync(`dist/${file}`);
  // Relaxed SIMD validates on Node 20 only behind a flag: the slot check reads the data
  // segments from the scalar twin, which always instantiates here.
  if (!WebAssembly.validate(bytes)) {
    if (file.includes("-relaxed")) return;
    throw new Error(`dist/${file} does not validate`);
  }
  const memory = new WebAssembly.Memory({ initial: Math.ceil(DATA_END / 65536) + 1 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const end = instance.exports.heapBase();
  if (end > slotEnd) {
    throw new Error(`dist/${file}: static data ends at ${end}, past its slot [${module.memoryBase}, ${slotEnd}); move the next module's memoryBase in scripts/build.mjs`);
  }
}

mkdirSync("build/opt", { recursive: true });
mkdirSync("dist", { recursive: true });
generateLayout({ dataEnd: DATA_END });

const started = performance.now();
const jobs = [...MODULES, ...TEST_MODULES].flatMap((module, index) => {
  const slotEnd = MODULES[index + 1]?.memoryBase ?? DATA_END;
  return BUILDS.map((build) => () => buildOne(module, build, index, slotEnd));
});
const built = await pool(jobs, availableParallelism());
for (const { out } of built.filter((b) => !b.out.startsWith("build/"))) {
  writeFileSync(out.replace(/^dist\/([a-z]+)/, "dist/$1-shared"), sharedTwin(readFileSync(out)));
}
for (const { out, skipped, ms } of built) {
  const bytes = readFileSync(out);
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  console.log(`build: ${out} ${bytes.length} bytes, ${gzipped} gzipped${skipped ? " (unchanged)" : ` (${ms} ms)`}`);
}
console.log(`build: ${built.filter((b) => !b.skipped).length} of ${built.length} modules compiled in ${Math.round(performance.now() - started)} ms`);

// Stale host files of an earlier layout would ship otherwise: tsc writes, never deletes.
for (const entry of readdirSync("dist", { withFileTypes: true })) {
  if (!entry.name.endsWith(".wasm")) rmSync(join("dist", entry.name), { recursive: true, force: true });
}
await run(process.execPath, [bin("tsc"), "-p", "tsconfig.json"]).catch((error) => {
  console.error(error.stdout || "", error.stderr || "");
  throw new Error("tsc failed");
});
console.log("build: dist/**/*.js and dist/**/*.d.ts (tsc)");
