// The naive JS loops for the operations other than softmax (whose naive loop is the
// `naive-js` peer in peers/contenders.js): the textbook code a user would write, in float64
// arithmetic, independent of the library under test.

/** max + log(sum exp(x - max)) over x[start, end). */
function logSumExpOf(x, start, end) {
  let max = -Infinity;
  for (let i = start; i < end; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = start; i < end; i++) sum += Math.exp(x[i] - max);
  return max + Math.log(sum);
}

/** LogSumExp of one row. */
export const logSumExp = (x) => logSumExpOf(x, 0, x.length);

/** x - LogSumExp per row of rowLength, written to out. */
export function logSoftmax(x, out, rowLength) {
  for (let start = 0; start < x.length; start += rowLength) {
    const end = start + rowLength;
    const lse = logSumExpOf(x, start, end);
    for (let i = start; i < end; i++) out[i] = x[i] - lse;
  }
  return out;
}

/** LogSumExp of chunks that arrive one by one: a running max and a rescaled running sum. */
export function onlineLogSumExp(chunks) {
  let max = -Infinity;
  let sum = 0;
  for (const chunk of chunks) {
    let chunkMax = -Infinity;
    for (let i = 0; i < chunk.length; i++) if (chunk[i] > chunkMax) chunkMax = chunk[i];
    if (chunkMax > max) {
      sum *= Math.exp(max - chunkMax);
      max = chunkMax;
    }
    for (let i = 0; i < chunk.length; i++) sum += Math.exp(chunk[i] - max);
  }
  return max + Math.log(sum);
}
