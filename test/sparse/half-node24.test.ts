// sparsemax and entmax of Float16Array logits (Node 24 has Float16Array, the runner's Node 20
// none): test/sparse/half-node24.mjs, run by the Node 24 of test/node24.
import { expect, it } from "vitest";
import { runNode24 } from "../support/node24.js";

it("Float16Array logits: the widened logits' results bit for bit, f16 outs and in place rounded to nearest even", async () => {
  const result = await runNode24<{ node: string; checked: number; failures: string[] }>(new URL("half-node24.mjs", import.meta.url));
  expect(result.node).toMatch(/^v24\./);
  expect(result.failures).toEqual([]);
  expect(result.checked).toBe(4 * 4 * 2 * 4);
}, 120_000);
