// A program that uses sm.parallel and ends, with close() or without: parallel.test.ts checks
// that its process exits by itself (no worker keeps it alive).
//
//   node test/parallel/exits.js [close]
import { init } from "../../dist/node.js";

const sm = await init();
const par = await sm.parallel({ workers: 2 });
const x = new Float32Array(64 * 4000).map((_, i) => Math.sin(i));
const y = await par.softmax(x, { rowLength: 4000 });
if (process.argv[2] === "close") await par.close();
console.log(`done ${y.length}`);
