// Checks the direction of the imports between the source folders: no import cycle, a family
// depends on the core (and the shared kernels) only, never on another family, and the core
// on no family. Reads src/ and assembly/ (relative imports and `export ... from`, type-only
// ones included: a type cycle is a design cycle too).
//
//   node scripts/layout.mjs      prints the problems, exits 1 if there is one
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Folders whose files may be imported from anywhere below their tree. */
const CORE = { src: "core", assembly: "shared" };
/** Folders above the families: the entry points (the files at the top of src/, beside the wasm files in dist/), and the shipped benchmark, which runs softmax-wasm whole. */
const ABOVE = new Set(["src", "src/bench"]);

function files(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : [],
  );
}

/** The repository files a source file imports (relative specifiers only). */
function importsOf(file) {
  const text = readFileSync(join(root, file), "utf8");
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/g)].map((m) => m[1]);
  return specifiers
    .filter((s) => !s.endsWith(".wasm"))
    .map((s) => {
      const target = normalize(join(dirname(file), s)).replace(/\.js$/, ".ts");
      return target.endsWith(".ts") ? target : `${target}.ts`;
    });
}

/** The family a file belongs to: the folder under src/ or assembly/, or "" for a top-level file. */
function familyOf(file) {
  const parts = file.split("/");
  return parts.length > 2 ? parts[1] : "";
}

/** Every problem of the import graph, as lines of text. */
export function checkLayout() {
  const graph = new Map();
  for (const file of [...files("src"), ...files("assembly")]) graph.set(file, importsOf(file));
  const problems = [];
  for (const [file, targets] of graph) {
    const [tree] = file.split("/");
    const from = familyOf(file);
    for (const target of targets) {
      if (!graph.has(target)) {
        problems.push(`${file} imports ${relative(dirname(file), target)}, which does not exist`);
        continue;
      }
      const to = familyOf(target);
      if (ABOVE.has(dirname(file)) || to === from || to === CORE[tree]) continue;
      if (from === CORE[tree]) problems.push(`${file}: the core imports the ${to || "top-level"} file ${target}`);
      else problems.push(`${file}: the ${from} family imports ${target} (families depend on ${tree}/${CORE[tree]} only)`);
    }
  }
  // Cycles: depth-first search, reporting each cycle once by its path.
  const state = new Map();
  const stack = [];
  const visit = (file) => {
    state.set(file, "open");
    stack.push(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (state.get(target) === "open") problems.push(`import cycle: ${[...stack.slice(stack.indexOf(target)), target].join(" -> ")}`);
      else if (!state.has(target)) visit(target);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const problems = checkLayout();
  for (const p of problems) console.error(p);
  console.log(problems.length === 0 ? "layout: no import cycle, every family depends on the core only" : `layout: ${problems.length} problems`);
  process.exit(problems.length === 0 ? 0 : 1);
}
