// Callbacks that grow the memory: every callback the API takes (the `random` option of sample,
// sampler and gumbelSoftmax) may allocate, and growth detaches every view of the memory made
// before it. Each call below runs twice from the same uniforms, once with a random() that
// allocates (and so grows the memory) and once without: the results must be the same, on
// every backend, for logits given as typed arrays, as WasmArrays and as views of WasmArrays.
import { afterAll, describe, expect, it } from "vitest";
import type { Kernels, WasmArray } from "../../dist/index.js";
import { backends } from "../support/backends.js";
import { random } from "../core/reference.js";

type Dtype = "f32" | "f64";
type Kind = "typed" | "wasm" | "view";
const dtypes: Dtype[] = ["f32", "f64"];
const kinds: Kind[] = ["typed", "wasm", "view"];

describe.each(backends)("random() callbacks that grow the memory on %s", (name, K) => {
  // Held to the end: a freed block leaves a gap that the next allocation would fill instead
  // of growing the memory.
  const held: WasmArray[] = [];
  afterAll(() => {
    for (const a of held.splice(0)) a.free();
  });

  /** The logits in the given form (a view: of a WasmArray of this backend, kept alive by `held`). */
  function input(kind: Kind, dtype: Dtype, values: ArrayLike<number>): Float32Array | Float64Array | WasmArray {
    const typed = dtype === "f32" ? Float32Array.from(values) : Float64Array.from(values);
    if (kind === "typed") return typed;
    const a = K.alloc(typed.length, dtype);
    a.array.set(typed);
    held.push(a);
    return kind === "wasm" ? a : a.array;
  }

  /**
   * Runs `call` with a random() from `seed` that, when `grow`, allocates in its first calls
   * and every 200th; returns the result and whether an allocation in a callback grew the
   * memory (a view made just before it is detached after).
   */
  function run<R>(seed: number, grow: boolean, call: (random: () => number) => R): { result: R; grew: boolean } {
    const probe = K.alloc(4, "f32");
    const next = random(seed);
    let calls = 0;
    let grew = false;
    const result = call(() => {
      if (grow && (calls < 2 || calls % 200 === 0)) {
        const before = probe.array;
        // 512 KiB past everything allocated, more than any gap the staging area leaves: the
        // memory grows (wasm; a plain array on js).
        held.push(K.alloc(1 << 17, "f32"));
        grew ||= before.length === 0;
      }
      calls++;
      return next();
    });
    probe.free();
    return { result, grew };
  }

  /** Checks that `call` gives the same with and without growth, and that the growth happened. */
  function same<R>(what: string, make: () => (random: () => number) => R): void {
    const plain = run(7, false, make());
    const grown = run(7, true, make());
    expect(grown.grew, `${what}: the memory grew in a callback`).toBe(name !== "js");
    expect(grown.result, what).toEqual(plain.result);
  }

  const next = random(20261204);
  const row = (k: number, spread: number) => Array.from({ length: k }, () => spread * (2 * next() - 1));
  const flat = row(6000, 0.01); // topP 0.99 then keeps thousands: the histogram + quickselect path
  const varied = row(3 * 700, 4);
  const withInf = row(64, 2).map((v, i) => (i % 9 === 4 ? Infinity : v));
  const allowed = new Uint32Array(Math.ceil(700 / 32)).map((_, i) => (i % 3 === 0 ? 0 : 0xf0f0f0f0 ^ i));

  for (const dtype of dtypes) {
    for (const kind of kinds) {
      if (kind === "view" && name === "js") continue; // js WasmArrays are plain arrays: the typed case
      const tag = `${dtype} ${kind}`;

      it(`${tag}: sample, every path of the chain`, () => {
        const options: Record<string, unknown>[] = [
          {},
          { temperature: 0.7, topK: 40 },
          { topP: 0.9, minKeep: 3 },
          { minP: 0.05, temperature: 1.3 },
          { topP: 0.8, minP: 0.01, history: [1, 5, 5, 9, 600], repetitionPenalty: 1.3, frequencyPenalty: 0.2, presencePenalty: 0.1 },
          { allowed, topK: 5 },
        ];
        for (const opts of options) {
          same(`${tag} sample ${JSON.stringify(opts)}`, () => (r) => Array.from(K.sample(input(kind, dtype, varied), { ...opts, rowLength: 700, random: r })));
        }
        same(`${tag} sample topP 0.99 on a flat row`, () => (r) => K.sample(input(kind, dtype, flat), { topP: 0.99, random: r }));
        same(`${tag} sample with +Infinity logits`, () => (r) => K.sample(input(kind, dtype, withInf), { random: r }));
      });

      it(`${tag}: sampler draws, accept, clone and reset`, () => {
        same(`${tag} sampler`, () => (r) => {
          const s = K.sampler({ topP: 0.95, repetitionPenalty: 1.2, random: r }).accept([3, 4]);
          const tokens: number[] = [];
          for (let i = 0; i < 4; i++) tokens.push(s.sample(input(kind, dtype, varied.slice(0, 700))));
          const copy = s.clone();
          tokens.push(copy.sample(input(kind, dtype, flat)), s.reset().sample(input(kind, dtype, varied.slice(700, 1400)), { allowed }));
          return { tokens, history: s.history, copied: copy.history };
        });
      });

      it(`${tag}: gumbelSoftmax, soft and hard, into new arrays and into out`, () => {
        const values = varied.slice(0, 600);
        for (const hard of [false, true]) {
          same(`${tag} gumbelSoftmax hard=${hard}`, () => (r) => Array.from(K.gumbelSoftmax(input(kind, dtype, values), { tau: 0.5, hard, rowLength: 200, random: r }) as Float64Array));
          same(`${tag} gumbelSoftmax hard=${hard} out`, () => (r) => {
            const n = values.length;
            const a = kind === "typed" ? undefined : K.alloc(n, dtype);
            if (a) held.push(a);
            // The input's allocation may grow the memory: the view of out is made after it.
            const x = input(kind, dtype, values);
            const out = a === undefined ? (dtype === "f32" ? new Float32Array(n) : new Float64Array(n)) : kind === "wasm" ? a : a.array;
            const y = K.gumbelSoftmax(x, { tau: 0.5, hard, rowLength: 200, out, random: r } as never);
            expect(y).toBe(out);
            // A view given as out may be detached by now: read it through its WasmArray.
            return Array.from(a ? a.array : (out as Float32Array));
          });
        }
      });
    }
  }
});
