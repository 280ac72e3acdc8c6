#!/usr/bin/env node
// The `softmax-wasm` command (package.json "bin"): `npx softmax-wasm bench`,
// `bunx softmax-wasm bench`, `deno run -A npm:softmax-wasm bench`.

import process from "node:process";
import { benchmark, formatTable } from "./node.js";

const USAGE = `usage: softmax-wasm bench [--sizes 16,1024,32768] [--rounds 7] [--json]

Times f32 softmax of one row in this runtime: the wasm kernels with zero-copy WasmArrays
and with typed arrays (copied in and out), the js baseline and a naive loop, in interleaved
rounds; prints ns per element and the speed-ups over the js baseline and the naive loop.
Every output is checked against a float64 reference before it is timed. A few seconds.

  --sizes a,b,...  row lengths (default 16,1024,32768,1048576)
  --rounds n       interleaved rounds per size, the median is reported (default 7)
  --json           the table as JSON on stdout (progress goes to stderr either way)
  --help           this text
`;

class UsageError extends Error {}

function parse(argv: string[]): { sizes?: number[]; rounds?: number; json: boolean; help: boolean } {
  const parsed: { sizes?: number[]; rounds?: number; json: boolean; help: boolean } = { json: false, help: false };
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") return { ...parsed, help: true };
  if (command !== "bench") throw new UsageError(command === undefined ? "a command is needed" : `unknown command ${JSON.stringify(command)}`);
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = rest[i].split(/=(.*)/s);
    const value = (): string => {
      const v = inline ?? rest[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === "--json") parsed.json = true;
    else if (flag === "--help" || flag === "-h") parsed.help = true;
    else if (flag === "--sizes") parsed.sizes = value().split(",").map(Number);
    else if (flag === "--rounds") parsed.rounds = Number(value());
    else throw new UsageError(`unknown option ${JSON.stringify(flag)}`);
  }
  return parsed;
}

try {
  const args = parse(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(USAGE);
  } else {
    const table = await benchmark({
      sizes: args.sizes,
      rounds: args.rounds,
      onProgress: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(args.json ? `${JSON.stringify(table, null, 2)}\n` : `${formatTable(table)}\n`);
  }
} catch (error) {
  const usage = error instanceof UsageError;
  process.stderr.write(`softmax-wasm: ${(error as Error).message}\n${usage ? `\n${USAGE}` : ""}`);
  process.exitCode = usage ? 2 : 1;
}
