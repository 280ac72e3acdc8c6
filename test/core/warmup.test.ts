// init()'s warm-up (src/core/warmup.ts), driven by a fake clock: it stops once softmax runs faster
// (twice in a row) and MIN_CALLS calls are made, gives up after WARM_UP_MS, does nothing under a
// clock that stands still (workerd), and frees its scratch arrays.
import { afterEach, describe, expect, it, vi } from "vitest";
import { init, js } from "../../dist/index.js";
import { MIN_CALLS, WARM_UP_MS, warmUp } from "../../dist/core/warmup.js";
import { simdBytes } from "../support/backends.js";

let now = 0;

/** js's kernels, with softmax advancing the fake clock by cost(call number) ms per call. */
function fakeKernels(cost: (call: number) => number) {
  let calls = 0;
  let live = 0;
  const sm = {
    ...js,
    alloc(length: number) {
      live++;
      const a = js.alloc(length);
      const free = a.free.bind(a);
      a.free = () => {
        live--;
        free();
      };
      return a;
    },
    softmax(...args: Parameters<typeof js.softmax>) {
      now += cost(++calls);
      return js.softmax(...args);
    },
  } as typeof js;
  return { sm, calls: () => calls, live: () => live };
}

describe("init() warm-up", () => {
  afterEach(() => vi.restoreAllMocks());

  it("stops after two fast tries once the optimized code runs", async () => {
    vi.spyOn(performance, "now").mockImplementation(() => now);
    const fast = MIN_CALLS + 500;
    const fake = fakeKernels((call) => (call < fast ? 0.02 : 0.005));
    const started = now;
    await warmUp(fake.sm);
    expect(fake.calls()).toBeGreaterThan(fast);
    // A try has MIN_CALLS calls at most: the one under way when the code got fast, then two fast ones.
    expect(fake.calls()).toBeLessThan(fast + 3 * MIN_CALLS);
    expect(now - started).toBeLessThan(WARM_UP_MS);
    expect(fake.live()).toBe(0);
  });

  it("makes MIN_CALLS calls before it stops, however early the code got fast", async () => {
    vi.spyOn(performance, "now").mockImplementation(() => now);
    // Cold first calls, then a baseline tier only 1.4x slower than the optimized code (JavaScriptCore's).
    const fake = fakeKernels((call) => (call < 50 ? 0.05 : call < 800 ? 0.007 : 0.005));
    await warmUp(fake.sm);
    expect(fake.calls()).toBeGreaterThanOrEqual(MIN_CALLS);
    expect(fake.live()).toBe(0);
  });

  it("gives up after WARM_UP_MS when nothing gets faster", async () => {
    vi.spyOn(performance, "now").mockImplementation(() => now);
    const fake = fakeKernels(() => 0.1);
    const started = now;
    await warmUp(fake.sm);
    expect(now - started).toBeGreaterThanOrEqual(WARM_UP_MS);
    expect(now - started).toBeLessThan(WARM_UP_MS + 10);
    expect(fake.live()).toBe(0);
  });

  it("does nothing more than a few calls under a clock that stands still", async () => {
    vi.spyOn(performance, "now").mockImplementation(() => 0);
    const fake = fakeKernels(() => 0);
    await warmUp(fake.sm);
    expect(fake.calls()).toBeLessThanOrEqual(1 + 16 * 127);
    expect(fake.live()).toBe(0);
  });

  it("init() resolves to working kernels after its warm-up", async () => {
    const sm = await init(simdBytes);
    const x = sm.alloc(4);
    x.array.set([1, 2, 3, 4]);
    const y = sm.softmax(x);
    const e = [1, 2, 3, 4].map((v) => Math.exp(v - 4));
    const s = e.reduce((a, b) => a + b);
    e.forEach((v, i) => expect(Math.abs(y[i] - v / s)).toBeLessThanOrEqual(2e-6 * (v / s) + 1e-9));
    x.free();
  });
});
