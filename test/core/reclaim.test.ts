// A WasmArray dropped without free() is reclaimed once it is garbage collected
// (FinalizationRegistry); free() stays the prompt path. Run in a child process with
// --expose-gc, where the test can force collections.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const dist = new URL("../../dist/", import.meta.url).href;

/** Runs a module body in a fresh Node with gc() exposed; returns what it prints as JSON. */
function inChild(body: string): Record<string, number> {
  const source = `
    import { readFileSync } from "node:fs";
    import { initSync } from "${dist}index.js";
    const sm = initSync(readFileSync(new URL("${dist}softmax-scalar.wasm")));
    const settle = async () => { for (let i = 0; i < 5; i++) { gc(); await new Promise((r) => setTimeout(r, 10)); } };
    ${body}`;
  const out = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", source], { encoding: "utf8", cwd: fileURLToPath(new URL("../..", import.meta.url)) });
  return JSON.parse(out);
}

describe("WasmArrays dropped without free()", () => {
  it("are reclaimed by the garbage collector: memory stops growing", { timeout: 60_000 }, () => {
    const r = inChild(`
      const MB16 = 1 << 22; // f32 elements
      const size = () => { const a = sm.alloc(1); const s = a.array.buffer.byteLength; a.free(); return s; };
      const drop = () => { const a = sm.alloc(MB16); a.array[0] = 1; };
      drop();
      await settle();
      const before = size();
      for (let i = 0; i < 24; i++) { drop(); await settle(); }
      console.log(JSON.stringify({ before, after: size(), leaked: 25 * 4 * MB16 }));
    `);
    // Without reclaiming, 24 more arrays of 16 MB would have grown the memory by 384 MB.
    expect(r.after - r.before).toBeLessThan(r.leaked / 8);
  });

  it("free() releases at once and a later collection of the freed array releases nothing twice", { timeout: 60_000 }, () => {
    const r = inChild(`
      let aPtrView = 0;
      let b;
      (() => {
        const a = sm.alloc(1000); // unreachable after this function: collectable
        b = sm.alloc(1000); // right after a
        aPtrView = a.array.byteOffset;
        a.free();
      })();
      const c = sm.alloc(1000); // takes a's block at once
      const reused = c.array.byteOffset === aPtrView ? 1 : 0;
      await settle(); // a is collected: its (freed) block must not be released again under c
      const d = sm.alloc(1000);
      const distinct = d.array.byteOffset !== c.array.byteOffset && d.array.byteOffset !== b.array.byteOffset ? 1 : 0;
      console.log(JSON.stringify({ reused, distinct }));
    `);
    expect(r).toEqual({ reused: 1, distinct: 1 });
  });
});
