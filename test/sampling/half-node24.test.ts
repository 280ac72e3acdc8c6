// The sampling family's f16 kernels, which read halves only where the runtime has Float16Array
// (the runner's Node 20 widens every f16 row first): test/sampling/half-node24.mjs, run by the
// Node 24 of test/node24 (installed apart from the root package: npm ci --prefix test/node24).
import { expect, it } from "vitest";
import { runNode24 } from "../support/node24.js";

it("f16 logits sample, filter and rank exactly as their f32 widening on every backend (Node 24)", async () => {
  const result = await runNode24<{ node: string; checked: number; returned: number; failures: string[] }>(new URL("half-node24.mjs", import.meta.url));
  expect(result.node).toMatch(/^v24\./);
  expect(result.failures).toEqual([]);
  // 4 backends x (120 cases x 5 calls + 240 masked-row draws), each in two forms; most calls return (others throw alike).
  expect(result.checked).toBeGreaterThan(6000);
  expect(result.returned).toBeGreaterThan(1000);
}, 300_000);
