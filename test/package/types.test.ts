// The published declarations in users' strict settings: test/types/ holds what a user writes
// (with @ts-expect-error on each misuse, which tsc rejects when the misuse compiles) and one
// tsconfig per kind of project: browser libs only, Node types only, neither, and with
// esnext.disposable; all strict, exactOptionalPropertyTypes, no skipLibCheck. Each is compiled
// by TypeScript 5 (the root devDependency) and TypeScript 7 (test/ts7, the native compiler),
// against the built dist/ through the package's own exports.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));

const COMPILERS = {
  "TypeScript 5": path.join(root, "node_modules", "typescript", "bin", "tsc"),
  "TypeScript 7": path.join(root, "test", "ts7", "node_modules", "typescript", "bin", "tsc"),
};
const PROJECTS = ["dom", "node", "es", "disposable"];

describe.each(Object.entries(COMPILERS))("%s", (_name, tsc) => {
  it("is installed (npm ci --prefix test/ts7 for TypeScript 7)", async () => {
    expect(existsSync(tsc), `${tsc} is missing`).toBe(true);
    const { stdout } = await run(process.execPath, [tsc, "--version"]);
    expect(stdout).toMatch(_name === "TypeScript 5" ? /^Version 5\./ : /^Version 7\./);
  });

  it.each(PROJECTS)("compiles test/types/tsconfig.%s.json, misuses rejected", async (project) => {
    const config = path.join(root, "test", "types", `tsconfig.${project}.json`);
    const result = await run(process.execPath, [tsc, "-p", config], { cwd: root }).then(
      () => "",
      (error: { stdout?: string; message: string }) => error.stdout || error.message,
    );
    expect(result).toBe("");
  }, 60_000);
});
