// npm run fuzz [seed] [runs]: the property-based suites (test/core/fuzz.test.ts, test/loss/fuzz.test.ts,
// test/sampling/fuzz.test.ts) for a long run.
// Without a seed it draws one and prints it first; give it back to replay a failure (fast-check
// then shrinks to the same minimal case). runs: cases per property (default 2000).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const [seedArg, runsArg] = process.argv.slice(2);
const seed = seedArg === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(seedArg);
const runs = runsArg === undefined ? 2000 : Number(runsArg);
if (!Number.isInteger(seed) || !Number.isInteger(runs) || runs <= 0) {
  console.error("usage: npm run fuzz [seed] [runs]   (integers)");
  process.exit(2);
}
console.log(`fuzz: seed ${seed}, ${runs} runs per property (replay: npm run fuzz ${seed} ${runs})`);
const root = fileURLToPath(new URL("..", import.meta.url));
const result = spawnSync(process.execPath, ["node_modules/vitest/vitest.mjs", "run", "test/core/fuzz.test.ts", "test/loss/fuzz.test.ts", "test/sampling/fuzz.test.ts"], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, FUZZ_SEED: String(seed), FUZZ_RUNS: String(runs) },
});
console.log(`fuzz: seed ${seed} ${result.status === 0 ? "passed" : "FAILED"} (replay: npm run fuzz ${seed} ${runs})`);
process.exit(result.status ?? 1);
