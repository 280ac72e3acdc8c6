// One entry per runtime, chosen by export condition, so that a bundle holds only its
// runtime's loading code: what each condition resolves to, what each entry's module graph
// holds, and the messages that tell a user what to do when loading fails.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import * as browserEntry from "../../dist/index.js";
import * as nodeEntry from "../../dist/node.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const simdUrl = new URL("../../dist/softmax.wasm", import.meta.url);

/** The files of dist/ that esbuild puts in a bundle of `softmax-wasm` under these conditions. */
async function bundled(conditions: string[], platform: "browser" | "node" | "neutral"): Promise<string[]> {
  const result = await build({
    stdin: { contents: 'export * from "softmax-wasm";', resolveDir: root, loader: "js" },
    bundle: true,
    write: false,
    format: "esm",
    platform,
    conditions,
    metafile: true,
    external: ["*.wasm"],
    logLevel: "silent",
  });
  const inputs = Object.keys(result.metafile.inputs);
  return inputs.map((file) => path.basename(file)).sort();
}

describe("export conditions", () => {
  it("map each runtime to its entry, types first", () => {
    const dot = pkg.exports["."];
    expect(Object.keys(dot)[0]).toBe("types");
    expect(dot).toMatchObject({
      workerd: "./dist/workerd.js",
      node: "./dist/node.js",
      deno: "./dist/node.js",
      bun: "./dist/node.js",
      browser: "./dist/index.js",
      default: "./dist/index.js",
    });
  });

  it("a browser bundle holds no file-reading code and no benchmark", async () => {
    const files = await bundled([], "browser");
    expect(files).toContain("index.js");
    expect(files).not.toContain("node.js");
    expect(files).not.toContain("workerd.js");
    expect(files.some((f) => f.startsWith("bench"))).toBe(false);
  });

  it("a bundle without any condition (platform neutral) gets the default entry", async () => {
    const files = await bundled([], "neutral");
    expect(files).toContain("index.js");
    expect(files).not.toContain("node.js");
  });

  it("a Workers bundle (workerd, worker, browser) gets the workerd entry and no file reading", async () => {
    const files = await bundled(["workerd", "worker", "browser"], "browser");
    expect(files).toContain("workerd.js");
    expect(files).not.toContain("node.js");
  });

  it("a Node bundle gets the node entry", async () => {
    expect(await bundled([], "node")).toContain("node.js");
  });
});

describe("loading errors say what to do", () => {
  it("the default entry reads a file: URL through process.getBuiltinModule, and says what to do where there is none", async () => {
    expect((await nodeEntry.init(simdUrl)).backend).toBe("wasm-simd");
    expect((await browserEntry.init(simdUrl)).backend).toBe("wasm-simd");
    const getBuiltinModule = process.getBuiltinModule;
    (process as { getBuiltinModule?: unknown }).getBuiltinModule = undefined;
    try {
      await expect(browserEntry.init(simdUrl)).rejects.toThrow(
        /cannot read file:.* here \(no node:fs\): use the "node" condition, or init\(bytes\)$/,
      );
      expect((await nodeEntry.init(simdUrl)).backend).toBe("wasm-simd"); // its own import of node:fs
    } finally {
      process.getBuiltinModule = getBuiltinModule;
    }
  });

  it("a 404 for the binary says to copy dist/*.wasm beside the bundle or to pass init(url)", async () => {
    const missing = new Response("not found", { status: 404 });
    await expect(browserEntry.init(missing)).rejects.toThrow(
      /status 404: copy softmax-wasm\/dist\/\*\.wasm beside the script, or pass init\(url, \{ sources \}\)/,
    );
    await expect(nodeEntry.init(Promise.resolve(new Response("", { status: 500 })))).rejects.toThrow(/status 500$/);
  });

  it("the node entry is the default entry's API with its own init()", () => {
    expect(Object.keys(nodeEntry).sort()).toEqual(Object.keys(browserEntry).sort());
    expect(nodeEntry.init).not.toBe(browserEntry.init);
    expect(nodeEntry.js).toBe(browserEntry.js);
  });
});

describe("type errors name what was given, in English, with the fix where there is one", () => {
  const sm = nodeEntry.js;
  it.each([
    [new Int32Array(3), /x must be .* \(got an Int32Array\); convert it with Float32Array\.from$/],
    [new Uint8Array(3), /\(got a Uint8Array\); convert it with Float32Array\.from/],
    [{ length: 3 }, /\(got an object\)$/],
    [undefined, /\(got undefined\)$/],
    [null, /\(got null\)$/],
    [3, /\(got the number 3\)$/],
    ["1,2", /\(got the string "1,2"\)$/],
    [() => 1, /\(got a function\)$/],
    [new Map(), /\(got a Map\)$/],
  ])("x = %o", (x, message) => {
    expect(() => sm.softmax(x as never)).toThrow(TypeError);
    expect(() => sm.softmax(x as never)).toThrow(message);
  });

  it("out, options, init and initSync sources, merge", async () => {
    const x = new Float32Array(3);
    expect(() => sm.softmax(x, { out: new Int16Array(3) as never })).toThrow(/out must be .* \(got an Int16Array\)$/);
    expect(() => sm.softmax(x, { out: new Float64Array(3) as never })).toThrow(/output dtype f32 \(got a Float64Array\)$/);
    expect(() => sm.softmax(x, { beta: "2" as never })).toThrow(/beta must be a number \(got the string "2"\)$/);
    expect(() => sm.softmax(x, { rowLength: true as never })).toThrow(/rowLength must be a number \(got true\)$/);
    expect(() => sm.softmax(x, 5 as never)).toThrow(/options must be an object \(got the number 5\)$/);
    expect(() => nodeEntry.initSync({} as never)).toThrow(/\(got an object\)$/);
    await expect(nodeEntry.init(42 as never)).rejects.toThrow(/\(got the number 42\)$/);
    expect(() => sm.online().merge({} as never)).toThrow(/merge needs an OnlineSoftmax \(got an object\)$/);
  });
});
