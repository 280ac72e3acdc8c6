// The half conversions against Node 24's own Float16Array, Math.f16round and DataView.getFloat16
// (the runner's Node 20 has none of them): test/core/half-node24.mjs, run by the Node 24 of
// test/node24 (installed apart from the root package: npm ci --prefix test/node24).
import { expect, it } from "vitest";
import { runNode24 } from "../support/node24.js";

it("agrees with Node 24's Float16Array, Math.f16round and DataView.getFloat16 on every half", async () => {
  const result = await runNode24<{ node: string; checked: number; failures: string[] }>(new URL("half-node24.mjs", import.meta.url));
  expect(result.node).toMatch(/^v24\./);
  expect(result.failures).toEqual([]);
  expect(result.checked).toBeGreaterThan(3 * (65536 + 5 * 0x7c00));
}, 120_000);
