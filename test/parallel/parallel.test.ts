// sm.parallel (docs/parallel.md) in Node: random batches split across threads give the bits of
// one thread, for every build and every function that splits (rows; attention by kv heads and
// by key segments);
// errors reject with the kind sm throws, a worker's error reaches the caller, no worker keeps
// the process alive, and partial results computed in separate processes merge into the whole.
// Deno and Bun run test/conformance's parallelChecks here too; Chromium (isolated and not) in
// browser.test.ts; every runtime of runtimes.test.ts (workerd and Firefox: the rejection) in
// the whole conformance run on the packed tarball.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Kernels, type ParallelKernels, initSync, js } from "../../dist/index.js";
import { SEGMENT_KEYS } from "../../dist/attention/segments.js";
import { Pool } from "../../dist/parallel/pool.js";
import { parallelChecks, prng } from "../conformance/conformance.js";
import { relaxedBytes, scalarBytes, simdBytes } from "../support/backends.js";

const run = promisify(execFile);
const script = (name: string) => new URL(name, import.meta.url).pathname;

const builds: [string, Kernels][] = [
  ["relaxed-simd", initSync(relaxedBytes)],
  ["simd", initSync(simdBytes)],
  ["scalar", initSync(scalarBytes)],
];

type Real = Float32Array | Float64Array | Uint16Array;

function bits(a: Real): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function expectSameBits(a: Real, b: Real): void {
  expect(b.byteLength).toBe(a.byteLength);
  expect(Buffer.compare(Buffer.from(bits(a)), Buffer.from(bits(b)))).toBe(0);
}

/** n values from a seed: N(0, spread)-like, with -Infinity and NaN now and then. */
function values(n: number, seed: number, spread: number, specials: boolean): Float64Array {
  const next = prng(seed);
  return Float64Array.from({ length: n }, () => {
    const u = next();
    if (specials && u < 0.002) return u < 0.0015 ? -Infinity : NaN;
    return (next() + next() + next() - 1.5) * spread;
  });
}

const DTYPES = ["f32", "f64", "f16"] as const;

describe.each(builds)("%s build", (_name, sm) => {
  let par: ParallelKernels<Kernels>;
  beforeAll(async () => {
    // Three threads on this machine's two cores: parts of unequal sizes, and a worker that waits.
    par = await sm.parallel({ workers: 3 });
  });
  afterAll(() => par.close());

  it("conformance: 2 threads give one thread's bits, calls after close() reject", async () => {
    expect(await parallelChecks(sm)).toBe("2 threads, bit for bit");
  });

  it("row functions on random batches give one thread's bits", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          rows: fc.integer({ min: 1, max: 40 }),
          k: fc.integer({ min: 1, max: 7000 }),
          dtype: fc.constantFrom(...DTYPES),
          beta: fc.constantFrom(1, 0.37, -2, 0),
          spread: fc.constantFrom(0.3, 4, 60),
          specials: fc.boolean(),
          seed: fc.integer(),
          wasmArrays: fc.boolean(),
        }),
        async ({ rows, k, dtype, beta, spread, specials, seed, wasmArrays }) => {
          const n = rows * k;
          const v = values(n, seed, spread, specials);
          // f16 data as an f16 WasmArray of each (its bits); f32/f64 as typed arrays or WasmArrays.
          const input = (kernels: Kernels | ParallelKernels<Kernels>) => {
            if (dtype !== "f16" && !wasmArrays) return dtype === "f32" ? Float32Array.from(v) : v;
            const a = kernels.alloc(n, dtype);
            if (dtype === "f16") {
              const view = a.array as unknown as Real;
              const halves = new Uint16Array(view.buffer, view.byteOffset, n);
              for (let i = 0; i < n; i++) halves[i] = f16Bits(v[i]);
            } else a.array.set(v);
            return a;
          };
          const one = input(sm);
          const two = input(par);
          const options = { rowLength: k, beta };
          expectSameBits(sm.softmax(one, options) as Real, (await par.softmax(two, options)) as Real);
          expectSameBits(sm.logSoftmax(one, options) as Real, (await par.logSoftmax(two, options)) as Real);
          expectSameBits(sm.logSumExp(one, options) as Real, (await par.logSumExp(two, options)) as Real);
          if (dtype !== "f16") {
            const target = Int32Array.from({ length: rows }, (_, r) => (((r * 7919 + seed) % k) + k) % k);
            target[0] = -100; // ignored
            const ce = { rowLength: k, beta: beta || 1, grad: true, labelSmoothing: 0.05, reduction: "sum" } as const;
            const a = sm.crossEntropy(one, target, ce);
            const b = await par.crossEntropy(two, target, ce);
            expect(Object.is(a.loss, b.loss)).toBe(true);
            expectSameBits(a.grad as Real, b.grad as Real);
            const y = sm.softmax(one, options) as Float32Array;
            expectSameBits(sm.softmaxBackward(y, y, options) as Real, (await par.softmaxBackward(y, y, options)) as Real);
          }
          // f16 rows split as halves in, f32 out (the kernels' strides differ).
          expectSameBits(sm.entmax(one, options) as Real, (await par.entmax(two, options)) as Real);
          if (dtype === "f16") expectSameBits(sm.entmaxBackward(one, one, options) as Real, (await par.entmaxBackward(two, two, options)) as Real);
        },
      ),
      { numRuns: 12, seed: 18 },
    );
  }, 60_000);

  it("entmax and entmaxBackward of f16 rows split as halves in, f32 out: one thread's bits", async () => {
    // Long enough rows that the call splits (the random batches above may not).
    const rows = 16;
    const k = 20_000;
    const make = (kernels: Kernels | ParallelKernels<Kernels>) => {
      const a = kernels.alloc(rows * k, "f16");
      const view = a.array as unknown as Real;
      const halves = new Uint16Array(view.buffer, view.byteOffset, rows * k);
      // Every third half subnormal: entmaxBackward 1.5 widens such blocks into each thread's work area.
      for (let i = 0; i < halves.length; i++) halves[i] = i % 3 === 0 ? 1 + ((i * 7919) % 0x3ff) : 0x3000 + ((i * 7919) % 3000);
      return a;
    };
    const one = make(sm);
    const two = make(par);
    for (const alpha of [1.5, 1.3]) {
      expectSameBits(sm.entmax(one, { rowLength: k, alpha }) as Real, (await par.entmax(two, { rowLength: k, alpha })) as Real);
      expectSameBits(sm.entmaxBackward(one, one, { rowLength: k, alpha }) as Real, (await par.entmaxBackward(two, two, { rowLength: k, alpha })) as Real);
      // One operand of halves, the other f32 (their strides and work areas differ).
      const y = sm.entmax(one, { rowLength: k, alpha }) as Float32Array;
      expectSameBits(sm.entmaxBackward(one, y, { rowLength: k, alpha }) as Real, (await par.entmaxBackward(two, y, { rowLength: k, alpha })) as Real);
      expectSameBits(sm.entmaxBackward(y, one, { rowLength: k, alpha }) as Real, (await par.entmaxBackward(y, two, { rowLength: k, alpha })) as Real);
    }
  });

  it("the loss functions of f16 rows split as halves in, f32 out (gradients, targets' probabilities, work areas): one thread's bits", async () => {
    // Long enough rows that the calls split, and past the one-read block (2048) and its work area.
    const rows = 16;
    const k = 20_000;
    const make = (kernels: Kernels | ParallelKernels<Kernels>, seed: number) => {
      const a = kernels.alloc(rows * k, "f16");
      const view = a.array as unknown as Real;
      const halves = new Uint16Array(view.buffer, view.byteOffset, rows * k);
      for (let i = 0; i < halves.length; i++) halves[i] = 0x3000 + ((i * 7919 + seed) % 3000) + (i & 1 ? 0x8000 : 0);
      return a;
    };
    const [x1, y1] = [make(sm, 0), make(sm, 5)];
    const [x2, y2] = [make(par, 0), make(par, 5)];
    const target = Int32Array.from({ length: rows }, (_, r) => (r * 7919) % k);
    const probs = Float32Array.from({ length: rows * k }, (_, i) => (i % k === target[Math.floor(i / k)] ? 0.75 : 0.25 / (k - 1)));
    for (const [t, options] of [[target, { grad: true }], [target, {}], [probs, { grad: true }], [probs, {}]] as const) {
      const ce = { rowLength: k, reduction: "none", ...options } as const;
      const a = sm.crossEntropy(x1, t, ce);
      const b = await par.crossEntropy(x2, t, ce);
      expectSameBits(a.loss as Real, b.loss as Real);
      if (ce.grad) expectSameBits(a.grad as Real, b.grad as Real);
    }
    expectSameBits(sm.logProbs(x1, target, { rowLength: k }), await par.logProbs(x2, target, { rowLength: k }));
    expectSameBits(sm.softmaxBackward(x1, y1, { rowLength: k }) as Real, (await par.softmaxBackward(x2, y2, { rowLength: k })) as Real);
    expectSameBits(sm.logSoftmaxBackward(x1, y1, { rowLength: k }) as Real, (await par.logSoftmaxBackward(x2, y2, { rowLength: k })) as Real);
    // One operand of halves, the other f32 (their strides differ): gradY halves, then y.
    const f1 = sm.alloc(rows * k, "f32");
    const f2 = par.alloc(rows * k, "f32");
    (f1.array as Float32Array).set(sm.softmax(y1, { rowLength: k }) as Float32Array);
    (f2.array as Float32Array).set(f1.array as Float32Array);
    for (const f of ["softmaxBackward", "logSoftmaxBackward"] as const) {
      expectSameBits(sm[f](x1, f1, { rowLength: k }) as Real, (await par[f](x2, f2, { rowLength: k })) as Real);
      expectSameBits(sm[f](f1, x1, { rowLength: k }) as Real, (await par[f](f2, x2, { rowLength: k })) as Real);
    }
    for (const a of [x1, y1, x2, y2, f1, f2]) a.free();
  });

  it("attention on random shapes gives one thread's bits (split by kv heads)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          kvHeads: fc.integer({ min: 1, max: 7 }),
          group: fc.constantFrom(1, 2, 4, 8),
          dim: fc.integer({ min: 1, max: 64 }),
          length: fc.integer({ min: 1, max: 1500 }),
          queries: fc.integer({ min: 1, max: 12 }),
          causal: fc.boolean(),
          window: fc.constantFrom(0, 100),
          f64: fc.boolean(),
          seed: fc.integer(),
        }),
        async ({ kvHeads, group, dim, length, queries, causal, window, f64, seed }) => {
          const heads = kvHeads * group;
          const make = (n: number, s: number) => (f64 ? values(n, s, 1, false) : Float32Array.from(values(n, s, 1, false)));
          const q = make(queries * heads * dim, seed);
          const keys = make(length * kvHeads * dim, seed + 1);
          const vals = make(length * kvHeads * dim, seed + 2);
          const options = { heads, kvHeads, dim, causal, window: window || undefined, lse: true } as const;
          const a = sm.attend(q, keys, vals, options);
          const b = await par.attend(q, keys, vals, options);
          expectSameBits(a.out as Real, b.out as Real);
          expectSameBits(a.lse as Real, b.lse as Real);
        },
      ),
      { numRuns: 12, seed: 18 },
    );
  }, 60_000);
});

describe.each(builds)("%s build: attention over key segments", (_name, sm) => {
  let pars: [number, ParallelKernels<Kernels>][];
  beforeAll(async () => {
    pars = [[2, await sm.parallel({ workers: 2 })], [3, await sm.parallel({ workers: 3 })]];
  });
  afterAll(() => Promise.all(pars.map(([, par]) => par.close())));

  it("ranges of several segments give one thread's bits on 2 and 3 threads: MQA and GQA, every option, f16 caches", async () => {
    const S = SEGMENT_KEYS;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          kvHeads: fc.constantFrom(1, 1, 2, 3),
          group: fc.constantFrom(1, 4, 8),
          dim: fc.integer({ min: 1, max: 20 }),
          length: fc.constantFrom(S - 1, S, S + 1, 2 * S - 1, 2 * S + 1, 2 * S + 5),
          queries: fc.integer({ min: 1, max: 5 }),
          range: fc.option(fc.tuple(fc.nat(S + 100), fc.nat(S + 100))),
          causal: fc.boolean(),
          window: fc.constantFrom(0, 0, 100, S + 3),
          sinks: fc.boolean(),
          alibi: fc.boolean(),
          bias: fc.boolean(),
          softcap: fc.constantFrom(0, 0, 3),
          storage: fc.constantFrom("f32", "f64", "f16"),
          seed: fc.integer(),
        }),
        async ({ kvHeads, group, dim, length, queries, range, causal, window, sinks, alibi, bias, softcap, storage, seed }) => {
          const heads = kvHeads * group;
          const f64 = storage === "f64";
          const make = (n: number, s: number) => (f64 ? values(n, s, 1, false) : Float32Array.from(values(n, s, 1, false)));
          const q = make(queries * heads * dim, seed);
          const kv = (kernels: Kernels | ParallelKernels<Kernels>, s: number) => {
            if (storage !== "f16") return make(length * kvHeads * dim, s);
            const v = values(length * kvHeads * dim, s, 1, false);
            const a = kernels.alloc(v.length, "f16");
            const view = a.array as unknown as Real;
            const halves = new Uint16Array(view.buffer, view.byteOffset, v.length);
            for (let i = 0; i < v.length; i++) halves[i] = f16Bits(v[i]);
            return a;
          };
          const perHead = (s: number) => Array.from(values(heads, s, 2, false));
          const options = {
            heads, kvHeads, dim, causal, lse: true,
            range: range ? ([length - Math.min(length, range[0] + range[1]), length - Math.min(length, range[1])] as [number, number]) : undefined,
            window: window || undefined,
            sinks: sinks ? perHead(seed + 3) : undefined,
            alibi: alibi ? perHead(seed + 4).map(Math.abs) : undefined,
            bias: bias ? make(queries * length, seed + 5) : undefined,
            softcap: softcap || undefined,
          };
          const a = sm.attend(q, kv(sm, seed + 1), kv(sm, seed + 2), options);
          for (const [, par] of pars) {
            const b = await par.attend(q, kv(par, seed + 1), kv(par, seed + 2), options);
            expectSameBits(a.out as Real, b.out as Real);
            expectSameBits(a.lse as Real, b.lse as Real);
          }
        },
      ),
      { numRuns: 10, seed: 18 },
    );
  }, 120_000);
});

/** The bits of the half nearest to x (ties to even), for f16 WasmArrays where Float16Array is missing. */
function f16Bits(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

describe("errors", () => {
  const sm = builds[0][1];

  it("workers not a positive integer: RangeError; the js backend and runtimes without threads: an Error saying why", async () => {
    for (const workers of [0, -1, 1.5, Number.NaN, "2"]) {
      await expect(sm.parallel({ workers: workers as number })).rejects.toThrow(RangeError);
    }
    await expect(js.parallel({ workers: 2 })).rejects.toThrow(/js backend has none/);
    const g = globalThis as { crossOriginIsolated?: boolean };
    g.crossOriginIsolated = false;
    try {
      await expect(sm.parallel({ workers: 2 })).rejects.toThrow(/Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/);
    } finally {
      delete g.crossOriginIsolated;
    }
    const navigator = Object.getOwnPropertyDescriptor(globalThis, "navigator");
    Object.defineProperty(globalThis, "navigator", { value: { userAgent: "Cloudflare-Workers" }, configurable: true });
    try {
      await expect(sm.parallel({ workers: 2 })).rejects.toThrow(/Cloudflare Workers have no threads/);
    } finally {
      if (navigator) Object.defineProperty(globalThis, "navigator", navigator);
      else delete (globalThis as { navigator?: unknown }).navigator;
    }
  });

  it("functions never throw synchronously: a bad call rejects with the kind sm throws, and the kernels keep working", async () => {
    const par = await sm.parallel({ workers: 2 });
    try {
      const x = new Float32Array(6);
      for (const [call, kind] of [
        [() => par.softmax(x, { rowLength: 4 }), RangeError],
        [() => par.softmax("nope" as unknown as Float32Array), TypeError],
        [() => par.crossEntropy(x, [9], { rowLength: 6 }), RangeError],
        [() => par.attend(x, x, x, { dim: 0 } as never), RangeError],
      ] as const) {
        let promise: Promise<unknown> | undefined;
        expect(() => (promise = call())).not.toThrow();
        await expect(promise).rejects.toThrow(kind);
      }
      expect(await par.logSumExp([0, -40])).toBe(sm.logSumExp([0, -40]));
    } finally {
      await par.close();
    }
  });

  it("an error inside a worker reaches the caller as the same kind (a trap: RuntimeError)", async () => {
    const memory = new WebAssembly.Memory({ initial: 3, maximum: 65536, shared: true });
    const bytes = (await import("node:fs")).readFileSync(new URL("../../dist/softmax-shared-scalar.wasm", import.meta.url));
    const module = new WebAssembly.Module(bytes);
    const url = new URL("../../dist/parallel/worker.js", import.meta.url);
    const pool = await Pool.start(() => new Worker(url), 1, { memory, modules: [module], exports: [[0, "f32_softmax"]] });
    try {
      // Rows far past the end of the memory: the kernel traps in the worker.
      pool.post(0, 0, [2 ** 31, 2 ** 31, 1, 1000, 1, 2 ** 31]);
      expect(() => pool.join(0)).toThrow(WebAssembly.RuntimeError);
      expect(() => {
        pool.post(0, 0, [2 ** 31, 2 ** 31, 1, 1000, 1, 2 ** 31]);
        pool.join(0);
      }).toThrow(/in a parallel worker: memory access out of bounds/);
    } finally {
      await pool.close();
    }
  });

  it("a worker that cannot set up rejects the start, and no worker is left running", async () => {
    const memory = new WebAssembly.Memory({ initial: 3, maximum: 65536, shared: true });
    const bytes = (await import("node:fs")).readFileSync(new URL("../../dist/softmax-shared-scalar.wasm", import.meta.url));
    const url = new URL("../../dist/parallel/worker.js", import.meta.url);
    const modules = [new WebAssembly.Module(bytes)];
    await expect(Pool.start(() => new Worker(url), 2, { memory, modules, exports: [[0, "f32_nothing"]] })).rejects.toThrow(/could not set up: .*f32_nothing is missing/);
  });
});

describe("processes", () => {
  it("a program using parallel exits by itself, with close() and without, in Node, Deno and Bun", async () => {
    const node = [process.execPath, ...process.execArgv.filter((a) => a.startsWith("--experimental-wasm"))];
    const bin = (name: string) => fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));
    for (const [command, ...first] of [node, [bin("deno"), "run", "--allow-read"], [bin("bun")]]) {
      for (const args of [["close"], []]) {
        const { stdout } = await run(command, [...first, script("exits.js"), ...args], { timeout: 30_000 });
        expect(stdout.trim()).toBe(`done ${64 * 4000}`);
      }
    }
  }, 120_000);

  it("Deno and Bun: 2 threads give one thread's bits (test/conformance's parallelChecks)", async () => {
    const bin = (name: string) => fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));
    for (const [command, ...first] of [[bin("deno"), "run", "--allow-read"], [bin("bun")]]) {
      const { stdout } = await run(command, [...first, script("checks.js")], { timeout: 60_000 });
      expect(stdout.trim()).toBe("2 threads, bit for bit");
    }
  }, 120_000);

  it("beyond one machine: online states and attention results computed in separate processes merge into the whole", async () => {
    const parts = 3;
    const outputs = await Promise.all(
      Array.from({ length: parts }, (_, p) => run(process.execPath, [...process.execArgv.filter((a) => a.startsWith("--experimental-wasm")), script("part.js"), String(p), String(parts)])),
    );
    const results = outputs.map(({ stdout }) => JSON.parse(stdout) as { max: number; sum: number; out: number[]; lse: number[] });
    const whole = JSON.parse((await run(process.execPath, [script("part.js"), "0", "1"])).stdout) as (typeof results)[number];
    // Online states: (max, sum) pairs merge as max' = max(a, b), sum' = a.sum e^(a.max - max') + b.sum e^(b.max - max').
    const merged = results.reduce((a, b) => {
      const max = Math.max(a.max, b.max);
      return { ...a, max, sum: a.sum * Math.exp(a.max - max) + b.sum * Math.exp(b.max - max) };
    });
    const lse = (s: { max: number; sum: number }) => s.max + Math.log(s.sum);
    expect(Math.abs(lse(merged) - lse(whole))).toBeLessThanOrEqual(1e-14 * (1 + Math.abs(lse(whole))));
    // Attention: mergeAttention over the parts' { out, lse }, as plain arrays.
    const sm = builds[0][1];
    const part = (r: (typeof results)[number]) => ({ out: Float64Array.from(r.out), lse: Float64Array.from(r.lse) });
    const all = results.map(part).reduce((a, b) => sm.mergeAttention(a, b, { heads: 8, valueDim: 16 }));
    const s = Math.max(...whole.out.map(Math.abs));
    for (let i = 0; i < whole.out.length; i++) expect(Math.abs(all.out[i] - whole.out[i])).toBeLessThanOrEqual(1e-13 * s);
    for (let i = 0; i < whole.lse.length; i++) expect(Math.abs(all.lse[i] - whole.lse[i])).toBeLessThanOrEqual(1e-14 * (1 + Math.abs(whole.lse[i])));
  });
});
