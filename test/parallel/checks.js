// test/conformance's parallelChecks on this checkout's dist/ (parallel.test.ts runs it in Deno
// and Bun; runtimes.test.ts runs the whole conformance on the packed tarball).
//
//   deno run --allow-read test/parallel/checks.js      bun test/parallel/checks.js
import { init } from "../../dist/node.js";
import { parallelChecks } from "../conformance/conformance.js";

console.log(await parallelChecks(await init()));
