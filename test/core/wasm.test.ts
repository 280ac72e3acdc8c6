// The wasm host layer: loading from every kind of source, build selection, linear memory
// (growth under live WasmArrays, bounded reuse, too-large inputs).
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Kernels, hasRelaxedSimd, hasSimd, init, initSync } from "../../dist/node.js";
import { relaxedBytes, scalarBytes, simdBytes } from "../support/backends.js";
import { data, expectProbabilities, refRow } from "./reference.js";

const simdUrl = new URL("../../dist/softmax.wasm", import.meta.url);

/** Bytes of linear memory behind a wasm backend, read through a WasmArray's view. */
function memoryBytes(sm: Kernels): number {
  const probe = sm.alloc(1);
  const bytes = probe.array.buffer.byteLength;
  probe.free();
  return bytes;
}

function works(sm: Kernels): void {
  const x = data("f32", 100, 5, 0, 1);
  expectProbabilities(sm.softmax(x), refRow(x, 1).p, "f32");
}

describe("loading", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.resetModules();
  });

  it("init() picks the relaxed-SIMD build here, and returns the same instance each time", async () => {
    expect(hasSimd()).toBe(true);
    expect(hasRelaxedSimd()).toBe(true);
    const a = await init();
    expect(a.backend).toBe("wasm-relaxed-simd");
    expect(await init()).toBe(a);
    works(a);
  });

  it("init() picks the SIMD build when relaxed SIMD does not validate", async () => {
    vi.resetModules();
    const validate = WebAssembly.validate;
    // Only the relaxed probe (it holds the relaxed_madd opcode 0xfd 0x85 0x02) fails.
    vi.spyOn(WebAssembly, "validate").mockImplementation((bytes) => {
      const b = new Uint8Array(bytes as ArrayBuffer);
      return !(b.length < 64 && b.some((v, i) => v === 0xfd && b[i + 1] === 0x85 && b[i + 2] === 0x02)) && validate(bytes);
    });
    const fresh = await import("../../dist/node.js");
    const sm = await fresh.init();
    expect(sm.backend).toBe("wasm-simd");
    works(sm);
  });

  it("init() picks the scalar build when SIMD does not validate", async () => {
    vi.resetModules();
    vi.spyOn(WebAssembly, "validate").mockReturnValue(false);
    const fresh = await import("../../dist/node.js");
    const sm = await fresh.init();
    expect(sm.backend).toBe("wasm");
    works(sm);
  });

  it("init(source) takes a Module, bytes, a URL, a string URL, a Response or a Promise<Response>", async () => {
    const response = () => new Response(simdBytes, { headers: { "content-type": "application/wasm" } });
    const sources = [
      new WebAssembly.Module(simdBytes),
      simdBytes,
      simdBytes.buffer.slice(simdBytes.byteOffset, simdBytes.byteOffset + simdBytes.byteLength),
      simdUrl,
      simdUrl.href,
      response(),
      Promise.resolve(response()),
      new Response(scalarBytes), // no content type: compiled from the bytes
    ];
    for (const source of sources) {
      const sm = await init(source);
      expect(sm.backend).toBe(source === sources.at(-1) ? "wasm" : "wasm-simd");
      works(sm);
    }
    await expect(init(new Response("nope", { status: 404 }))).rejects.toThrow(/404/);
    await expect(init(42 as never)).rejects.toThrow(TypeError);
  });

  it("initSync takes a Module or bytes", () => {
    expect(initSync(new WebAssembly.Module(scalarBytes)).backend).toBe("wasm");
    expect(initSync(readFileSync(simdUrl)).backend).toBe("wasm-simd");
    expect(() => initSync("softmax.wasm" as never)).toThrow(TypeError);
  });
});

describe.each([
  ["wasm-relaxed-simd", relaxedBytes],
  ["wasm-simd", simdBytes],
  ["wasm", scalarBytes],
])("%s linear memory", (_name, bytes) => {
  it("live WasmArrays survive growth: every read of .array is usable", () => {
    const sm = initSync(bytes);
    const a = sm.alloc(1000, "f64");
    a.array.set(data("f64", 1000, 3, 0, 2));
    const kept = a.array;
    const before = memoryBytes(sm);
    const big = sm.alloc(32 * 1024 * 1024, "f32"); // 128 MiB: grows the memory
    expect(memoryBytes(sm)).toBeGreaterThan(before);
    expect(kept.length).toBe(0); // the old view was detached by growth...
    expect(a.array.length).toBe(1000); // ...but .array gives a new one, with the data intact
    expectProbabilities(sm.softmax(a), refRow(a.array, 1).p, "f64");
    big.array.fill(1);
    expect(sm.softmax(big, { out: big }).array[12345]).toBeCloseTo(1 / big.length, 15);
    big.free();
    a.free();
  });

  it("typed-array views of the module's memory as x and out survive the growth the call causes", () => {
    const sm = initSync(bytes);
    const n = 3 << 20; // 12 MiB of f32: staging a copy must grow the memory
    const a = sm.alloc(n);
    const b = sm.alloc(n);
    a.array.set(data("f32", n, 6, 0, 8));
    const x = a.array;
    const out = b.array;
    const before = memoryBytes(sm);
    sm.softmax(x, { out });
    expect(memoryBytes(sm)).toBeGreaterThan(before);
    expect(x.length).toBe(0); // both views were detached by the growth...
    expectProbabilities(b.array, refRow(a.array, 1).p, "f32"); // ...yet read and written right
    a.free();
    b.free();
  });

  it("repeating a call of the same size never grows the memory", () => {
    const sm = initSync(bytes);
    const x = data("f64", 300_000, 5, 0, 3);
    const out = new Float64Array(x.length);
    sm.softmax(x, { out });
    sm.logSumExp(x, { rowLength: 1000, out: new Float64Array(300) });
    sm.online().push(x).normalize(x, out);
    const after = memoryBytes(sm);
    for (let i = 0; i < 20; i++) {
      sm.softmax(x, { out });
      sm.logSoftmax(x);
      sm.logSumExp(x, { rowLength: 1000 });
      sm.online().push(x).normalize(x, out);
      sm.softmax(x.subarray(0, 1000 + i));
    }
    expect(memoryBytes(sm)).toBe(after);
  });

  it("freed blocks are reused", () => {
    const sm = initSync(bytes);
    for (let i = 0; i < 50; i++) sm.alloc(1 << 20, "f64").free();
    const after = memoryBytes(sm);
    for (let i = 0; i < 50; i++) sm.alloc(1 << 20, "f64").free();
    expect(memoryBytes(sm)).toBe(after);
  });

  it("too large for the module's memory: RangeError naming the size, nothing changed, still working", () => {
    const sm = initSync(bytes);
    expect(() => sm.alloc(2 ** 31, "f64")).toThrow(RangeError);
    expect(() => sm.alloc(2 ** 31, "f64")).toThrow(/alloc length.*2147483648/);
    const x = new Float64Array(2 ** 29 + 8); // 4 GiB + 64 bytes: more than wasm32 can address
    x[0] = 1;
    const out = new Float64Array(x.length);
    expect(() => sm.softmax(x, { out })).toThrow(RangeError);
    expect(() => sm.softmax(x, { out })).toThrow(/input too large.*536870920/);
    expect(out[0]).toBe(0);
    expect(x[0]).toBe(1);
    works(sm);
  });
});
