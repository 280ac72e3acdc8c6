// Builds the package: each wasm target of asconfig.json (AssemblyScript), then wasm-opt from
// binaryen over it, then the TypeScript host layer. Output in dist/.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import asc from "assemblyscript/asc";

const root = fileURLToPath(new URL("..", import.meta.url));
process.chdir(root);
const bin = (name) => `node_modules/.bin/${name}`;

/** build target -> shipped file and the wasm-opt feature flags it needs. */
const targets = [
  { target: "relaxed", file: "softmax-relaxed.wasm", features: ["--enable-simd", "--enable-relaxed-simd"] },
  { target: "simd", file: "softmax.wasm", features: ["--enable-simd"] },
  { target: "scalar", file: "softmax-scalar.wasm", features: [] },
];

mkdirSync("build", { recursive: true });
mkdirSync("dist", { recursive: true });
for (const { target, file, features } of targets) {
  const started = performance.now();
  const { error, stderr } = await asc.main(["--config", "asconfig.json", "--target", target]);
  if (error) {
    console.error(stderr.toString());
    throw new Error(`asc --target ${target} failed: ${error.message}`);
  }
  execFileSync(bin("wasm-opt"), [`build/${file}`, "-O3", "--converge", ...features, "-o", `dist/${file}`], { stdio: "inherit" });
  const bytes = readFileSync(`dist/${file}`);
  // Node 20 validates relaxed SIMD only with --experimental-wasm-relaxed-simd.
  if (WebAssembly.validate(bytes)) console.log(`build: dist/${file} validates`);
  else if (target !== "relaxed") throw new Error(`dist/${file} does not validate`);
  const ms = Math.round(performance.now() - started);
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  console.log(`build: dist/${file} ${bytes.length} bytes, ${gzipped} gzipped (${target}, ${ms} ms)`);
}

execFileSync(process.execPath, [bin("tsc"), "-p", "tsconfig.json"], { stdio: "inherit" });
console.log("build: dist/*.js and dist/*.d.ts (tsc)");
