// The contract's checks (docs/core.md) that every runtime runs (Node, Deno, Bun, browsers, workerd): plain ESM,
// no test framework, no imports, so it loads unchanged wherever the package loads. The
// reference is computed here in float64 (Neumaier sums; data quantized so that x - c is exact).
//
//   const result = await run(await import("softmax-wasm"), { log: console.log });
//   // { passed, failed, failures: [{ name, message }], backend, hasSimd, extra }
//   // backend: what init() picked; extra: the backend of each init(source) and initSync
//
// run() never throws. Options:
//   log(line)       progress and failures;
//   sources         [label, source][]: each is also given to init(source) and smoke-tested;
//   module          a WebAssembly.Module of a build, for initSync(module).

const TOL = {
  f32: { prob: [2e-6, 1e-9], log: 1e-6, sum: 1e-5 },
  f64: { prob: [5e-14, 1e-18], log: 1e-14, sum: 1e-12 },
};
const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 257, 1000, 4099];
const dispose = Symbol.dispose ?? Symbol.for("Symbol.dispose");

// ---------------------------------------------------------------- data and reference

/** mulberry32: a small seeded generator, so every runtime sees the same data. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values in [center - spread, center + spread], quantized to 2^-20 (f64) or rounded to f32. */
function data(dtype, n, seed, spread = 10, center = 0) {
  const next = prng(seed);
  const a = dtype === "f32" ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.round((center + (2 * next() - 1) * spread) * 2 ** 20) / 2 ** 20;
  return a;
}

function make(dtype, values) {
  return dtype === "f32" ? Float32Array.from(values) : Float64Array.from(values);
}

/** Neumaier-compensated sum. */
function sum(values) {
  let s = 0;
  let lost = 0;
  for (const v of values) {
    const t = s + v;
    lost += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  return s + lost;
}

/** float64 reference of one row: softmax, logSoftmax and LSE, with the special values of docs/core.md. */
function refRow(x, beta = 1) {
  const n = x.length;
  const sm = new Float64Array(n);
  const lsm = new Float64Array(n);
  if (n === 0) return { sm, lsm, lse: -Infinity };
  if (Array.prototype.some.call(x, (v) => v !== v)) return { sm: sm.fill(NaN), lsm: lsm.fill(NaN), lse: NaN };
  let c = beta < 0 ? Infinity : -Infinity;
  for (const v of x) c = beta < 0 ? Math.min(c, v) : Math.max(c, v);
  const m = beta * c;
  if (m === -Infinity) return { sm, lsm: lsm.fill(-Infinity), lse: -Infinity };
  if (m === Infinity) {
    const k = Array.prototype.filter.call(x, (v) => beta * v === Infinity).length;
    for (let i = 0; i < n; i++) {
      const top = beta * x[i] === Infinity;
      sm[i] = top ? 1 / k : 0;
      lsm[i] = top ? -Math.log(k) : -Infinity;
    }
    return { sm, lsm, lse: Infinity };
  }
  const d = Array.from(x, (v) => (beta === 0 ? 0 : beta * (v - c)));
  const s = sum(d.map(Math.exp));
  const logS = Math.log(s);
  for (let i = 0; i < n; i++) {
    sm[i] = Math.exp(d[i]) / s;
    lsm[i] = d[i] - logS;
  }
  return { sm, lsm, lse: m + logS };
}

/** The reference of each row of a batch, flattened. */
function refRows(x, k, beta = 1) {
  const sm = new Float64Array(x.length);
  const lsm = new Float64Array(x.length);
  const lse = new Float64Array(k === 0 ? 0 : x.length / k);
  for (let r = 0; r < lse.length; r++) {
    const row = refRow(x.subarray(r * k, (r + 1) * k), beta);
    sm.set(row.sm, r * k);
    lsm.set(row.lsm, r * k);
    lse[r] = row.lse;
  }
  return { sm, lsm, lse };
}

// ---------------------------------------------------------------- assertions

class Failure extends Error {}

function fail(message) {
  throw new Failure(message);
}

function assert(condition, message) {
  if (!condition) fail(message);
}

const show = (v) => (typeof v === "number" ? String(v) : v?.constructor?.name ?? String(v));

const F32_MAX = 3.4028234663852886e38;

/**
 * Same special value (NaN, +-Infinity) or within |y - r| <= tol(r). An f32 result whose exact
 * value lies beyond the f32 range may be the rounded -Infinity/+Infinity or the saturated +-max.
 */
function close(y, r, tol, dtype) {
  if (r !== r) return y !== y;
  if (!Number.isFinite(r)) return y === r;
  if (dtype === "f32" && Math.abs(r) > F32_MAX) return Math.sign(y) === Math.sign(r) && Math.abs(y) >= F32_MAX;
  return Math.abs(y - r) <= tol(r);
}

function expectArray(name, y, r, tol, dtype) {
  assert(y !== null && typeof y === "object" && typeof y.length === "number", `${name}: not an array (${show(y)})`);
  assert(y.length === r.length, `${name}: length ${y.length}, expected ${r.length}`);
  let worst = -1;
  let excess = 0;
  for (let i = 0; i < r.length; i++) {
    if (!close(y[i], r[i], tol, dtype ?? (y instanceof Float32Array ? "f32" : "f64"))) {
      const e = Number.isFinite(r[i]) ? Math.abs(y[i] - r[i]) / tol(r[i]) : Infinity;
      if (worst < 0 || e > excess) [worst, excess] = [i, e];
    }
  }
  if (worst >= 0) fail(`${name}: [${worst}] = ${y[worst]}, expected ${r[worst]} (${excess.toPrecision(3)}x the tolerance)`);
}

function expectNumber(name, y, r, tol) {
  assert(typeof y === "number", `${name}: ${show(y)} is not a number`);
  assert(close(y, r, tol), `${name}: ${y}, expected ${r}`);
}

const probTol = (dtype) => (r) => TOL[dtype].prob[0] * r + TOL[dtype].prob[1];
const logTol = (dtype) => (r) => TOL[dtype].log * (1 + Math.abs(r));

function expectType(name, y, dtype) {
  const Type = dtype === "f32" ? Float32Array : Float64Array;
  assert(y instanceof Type, `${name}: ${show(y)}, expected ${Type.name}`);
}

/** Checks softmax, logSoftmax and logSumExp of x (one row or a batch) against the reference. */
function expectAll(name, k, x, dtype, opts = {}, beta = 1) {
  const rowLength = opts.rowLength;
  const values = Float64Array.from(x.array ?? x);
  const ref = rowLength === undefined ? refRow(values, beta) : refRows(values, rowLength, beta);
  const sm = k.softmax(x, opts);
  expectType(`${name} softmax`, sm, dtype);
  expectArray(`${name} softmax`, sm, ref.sm, probTol(dtype));
  const lsm = k.logSoftmax(x, opts);
  expectType(`${name} logSoftmax`, lsm, dtype);
  expectArray(`${name} logSoftmax`, lsm, ref.lsm, logTol(dtype));
  const lse = k.logSumExp(x, opts);
  if (rowLength === undefined) {
    expectNumber(`${name} logSumExp`, lse, ref.lse, logTol(dtype));
  } else {
    expectType(`${name} logSumExp`, lse, dtype);
    expectArray(`${name} logSumExp`, lse, ref.lse, logTol(dtype));
  }
  const rows = rowLength === undefined ? 1 : x.length / rowLength;
  const width = rowLength ?? x.length;
  for (let r = 0; r < rows && width > 0; r++) {
    if (!Number.isFinite(ref.lse instanceof Float64Array ? ref.lse[r] : ref.lse)) continue;
    const total = sum(sm.subarray(r * width, (r + 1) * width));
    assert(Math.abs(total - 1) <= TOL[dtype].sum, `${name} softmax row ${r} sums to ${total}`);
  }
}

/** Throws unless fn throws an instance of Type whose message names every word in `names`. */
function expectThrow(name, Type, fn, names = []) {
  let error;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert(error !== undefined, `${name}: did not throw, expected ${Type.name}`);
  assert(error instanceof Type, `${name}: threw ${error?.name}: ${error?.message}, expected ${Type.name}`);
  for (const word of names) {
    assert(String(error.message).includes(word), `${name}: message "${error.message}" does not name "${word}"`);
  }
}

/** A bit-exact copy to compare against after a call. */
function snapshot(a) {
  return Array.from(a.array ?? a);
}

function unchanged(name, a, before) {
  const now = Array.from(a.array ?? a);
  assert(now.length === before.length && now.every((v, i) => Object.is(v, before[i])), `${name}: array changed by a call that threw`);
}

// ---------------------------------------------------------------- the checks

function valueChecks(check, k) {
  for (const dtype of ["f32", "f64"]) {
    check(`${dtype} values at sizes around tile boundaries`, () => {
      for (const n of SIZES) expectAll(`n=${n}`, k, data(dtype, n, n), dtype);
    });
    check(`${dtype} values far from 0 (naive exp overflows)`, () => {
      expectAll("around 1e4", k, data(dtype, 100, 7, 50, 1e4), dtype);
      expectAll("around -1e4", k, data(dtype, 33, 8, 50, -1e4), dtype);
      expectAll("spread 300", k, data(dtype, 65, 9, 300), dtype);
    });
    check(`${dtype} temperature and beta`, () => {
      const x = data(dtype, 37, 11);
      for (const temperature of [0.5, 1, 2, 7.5, 1e-3, 1e3]) expectAll(`T=${temperature}`, k, x, dtype, { temperature }, 1 / temperature);
      for (const beta of [0, 0.25, 3, -1, -2.5, 1e-300]) expectAll(`beta=${beta}`, k, x, dtype, { beta }, beta);
    });
    check(`${dtype} beta = 0 gives the uniform distribution`, () => {
      const x = data(dtype, 10, 12);
      expectArray("softmax", k.softmax(x, { beta: 0 }), new Float64Array(10).fill(0.1), probTol(dtype));
    });
    check(`${dtype} beta < 0 is the soft arg-min: softmax(x, -b) = softmax(-x, b)`, () => {
      const x = data(dtype, 19, 13);
      const minus = x.map((v) => -v);
      expectArray("softmax", k.softmax(x, { beta: -2 }), k.softmax(minus, { beta: 2 }), probTol(dtype));
    });
    check(`${dtype} a huge beta gives the arg max, ties sharing equally`, () => {
      const x = make(dtype, [1, 3, -2, 3, 2]);
      const ties = [0, 0.5, 0, 0.5, 0];
      expectArray("beta 1e300", k.softmax(x, { beta: 1e300 }), ties, probTol(dtype));
      expectArray("temperature 1e-300", k.softmax(x, { temperature: 1e-300 }), ties, probTol(dtype));
      expectArray("beta -1e300 (arg min)", k.softmax(x, { beta: -1e300 }), [0, 0, 1, 0, 0], probTol(dtype));
      expectAll("beta 1e300", k, x, dtype, { beta: 1e300 }, 1e300);
      expectAll("beta -1e300", k, x, dtype, { beta: -1e300 }, -1e300);
    });
    check(`${dtype} rowLength batches, each row on its own`, () => {
      for (const [rowLength, rows] of [[1, 5], [3, 4], [8, 3], [17, 2], [64, 7], [1000, 2]]) {
        const x = data(dtype, rowLength * rows, rowLength + rows, 20);
        expectAll(`K=${rowLength}x${rows}`, k, x, dtype, { rowLength }, 1);
        expectAll(`K=${rowLength}x${rows} beta -0.5`, k, x, dtype, { rowLength, beta: -0.5 }, -0.5);
      }
      expectAll("one row of the whole input", k, data(dtype, 12, 3), dtype, { rowLength: 12 });
    });
    check(`${dtype} out: written and returned, also in place`, () => {
      const x = data(dtype, 50, 14);
      const ref = refRows(x, 10);
      const out = dtype === "f32" ? new Float32Array(50) : new Float64Array(50);
      assert(k.softmax(x, { out, rowLength: 10 }) === out, "softmax does not return out");
      expectArray("softmax out", out, ref.sm, probTol(dtype));
      assert(k.logSoftmax(x, { out, rowLength: 10 }) === out, "logSoftmax does not return out");
      expectArray("logSoftmax out", out, ref.lsm, logTol(dtype));
      const lseOut = dtype === "f32" ? new Float32Array(5) : new Float64Array(5);
      assert(k.logSumExp(x, { out: lseOut, rowLength: 10 }) === lseOut, "logSumExp does not return out");
      expectArray("logSumExp out", lseOut, ref.lse, logTol(dtype));
      const inPlace = x.slice();
      assert(k.softmax(inPlace, { out: inPlace, rowLength: 10 }) === inPlace, "in-place softmax does not return x");
      expectArray("in-place softmax", inPlace, ref.sm, probTol(dtype));
      const logInPlace = x.slice();
      k.logSoftmax(logInPlace, { out: logInPlace });
      expectArray("in-place logSoftmax", logInPlace, refRow(x).lsm, logTol(dtype));
    });
  }
  check("number[] input computes in f64 and gives a Float64Array", () => {
    const values = Array.from(data("f64", 20, 15));
    expectAll("number[]", k, values, "f64");
    expectAll("number[] rowLength 5", k, values, "f64", { rowLength: 5 });
  });
}

function specialChecks(check, k) {
  for (const dtype of ["f32", "f64"]) {
    check(`${dtype} empty input`, () => {
      const empty = make(dtype, []);
      const sm = k.softmax(empty);
      expectType("softmax", sm, dtype);
      assert(sm.length === 0, "softmax of nothing is not empty");
      assert(k.logSoftmax(empty).length === 0, "logSoftmax of nothing is not empty");
      assert(k.logSumExp(empty) === -Infinity, `logSumExp of nothing is ${k.logSumExp(empty)}`);
      assert(k.logSumExp([]) === -Infinity, "logSumExp([]) is not -Infinity");
    });
    check(`${dtype} a NaN makes its whole row NaN`, () => {
      const x = make(dtype, [1, 2, 3, 4, NaN, 6, 7, 8, 9]);
      expectAll("rows of 3", k, x, dtype, { rowLength: 3 });
      expectAll("one row", k, x, dtype);
      expectAll("with -Infinity", k, make(dtype, [-Infinity, NaN, 1]), dtype);
      expectAll("with +Infinity", k, make(dtype, [Infinity, NaN, 1]), dtype);
    });
    check(`${dtype} -Infinity entries are masked`, () => {
      expectAll("some masked", k, make(dtype, [1, -Infinity, 3, -Infinity, 0.5]), dtype);
      const allMasked = make(dtype, [-Infinity, -Infinity, -Infinity, 1, 2, 3]);
      expectAll("a row masked entirely", k, allMasked, dtype, { rowLength: 3 });
      const sm = k.softmax(make(dtype, [-Infinity, -Infinity]));
      assert(sm[0] === 0 && sm[1] === 0, `a row masked entirely gives softmax ${Array.from(sm)}, expected 0s`);
      expectAll("beta < 0 masks +Infinity", k, make(dtype, [Infinity, 1, 2]), dtype, { beta: -1 }, -1);
    });
    check(`${dtype} +Infinity entries share the probability`, () => {
      expectAll("two of four", k, make(dtype, [Infinity, 1, Infinity, -Infinity]), dtype);
      expectAll("one", k, make(dtype, [Infinity, 1e30, 2]), dtype);
      expectAll("three, in a batch", k, make(dtype, [Infinity, Infinity, Infinity, 1, 2, 3]), dtype, { rowLength: 3 });
      expectAll("beta < 0 and -Infinity", k, make(dtype, [-Infinity, 5, -Infinity]), dtype, { beta: -2 }, -2);
    });
  }
}

function errorChecks(check, k) {
  const x = () => Float32Array.from([1, 2, 3, 4, 5, 6]);
  const fns = ["softmax", "logSoftmax", "logSumExp"];
  const cases = [
    ["both beta and temperature", TypeError, { beta: 1, temperature: 1 }, ["beta", "temperature"]],
    ["temperature 0", RangeError, { temperature: 0 }, ["temperature", "0"]],
    ["temperature -2", RangeError, { temperature: -2 }, ["temperature", "-2"]],
    ["temperature Infinity", RangeError, { temperature: Infinity }, ["temperature", "Infinity"]],
    ["temperature NaN", RangeError, { temperature: NaN }, ["temperature", "NaN"]],
    ["beta Infinity", RangeError, { beta: Infinity }, ["beta", "Infinity"]],
    ["beta NaN", RangeError, { beta: NaN }, ["beta", "NaN"]],
    ["rowLength 0", RangeError, { rowLength: 0 }, ["rowLength", "0"]],
    ["rowLength -3", RangeError, { rowLength: -3 }, ["rowLength", "-3"]],
    ["rowLength 1.5", RangeError, { rowLength: 1.5 }, ["rowLength", "1.5"]],
    ["rowLength 4 for 6", RangeError, { rowLength: 4 }, ["rowLength", "4"]],
  ];
  check("bad options throw TypeError / RangeError naming the option and value", () => {
    for (const fn of fns) {
      for (const [label, Type, opts, names] of cases) expectThrow(`${fn} ${label}`, Type, () => k[fn](x(), opts), names);
    }
  });
  check("wrong inputs and outs throw", () => {
    for (const fn of fns) {
      for (const bad of ["abc", 3, null, {}, new Int32Array(3), new Uint8Array(2)]) {
        expectThrow(`${fn}(${show(bad)})`, TypeError, () => k[fn](bad));
      }
      expectThrow(`${fn} number[] with a string`, TypeError, () => k[fn]([1, "2", 3]));
      expectThrow(`${fn} f64 out for f32 x`, TypeError, () => k[fn](x(), { out: new Float64Array(fn === "logSumExp" ? 1 : 6) }));
      expectThrow(`${fn} f32 out for number[] x`, TypeError, () => k[fn]([1, 2], { out: new Float32Array(fn === "logSumExp" ? 1 : 2) }));
      expectThrow(`${fn} out not an array`, TypeError, () => k[fn](x(), { out: [0, 0, 0, 0, 0, 0] }));
    }
    expectThrow("softmax out of length 5", RangeError, () => k.softmax(x(), { out: new Float32Array(5) }), ["out", "5"]);
    expectThrow("logSumExp out of 3 for 2 rows", RangeError, () => k.logSumExp(x(), { rowLength: 3, out: new Float32Array(3) }), ["out", "3"]);
  });
  check("a call that throws changes neither x nor out, and the instance keeps working", () => {
    for (const fn of ["softmax", "logSoftmax"]) {
      for (const opts of [{ temperature: 0 }, { beta: 1, temperature: 2 }, { rowLength: 4 }, { beta: NaN }]) {
        const xs = x();
        const out = new Float32Array(6).fill(-7);
        const [before, outBefore] = [snapshot(xs), snapshot(out)];
        try {
          k[fn](xs, { ...opts, out });
        } catch {
          // expected
        }
        unchanged(`${fn} x`, xs, before);
        unchanged(`${fn} out`, out, outBefore);
        const inPlace = x();
        try {
          k[fn](inPlace, { ...opts, out: inPlace });
        } catch {
          // expected
        }
        unchanged(`${fn} in place`, inPlace, before);
      }
      const wrongLength = new Float32Array(5).fill(3);
      try {
        k[fn](x(), { out: wrongLength });
      } catch {
        // expected
      }
      unchanged(`${fn} out of the wrong length`, wrongLength, [3, 3, 3, 3, 3]);
    }
    expectAll("after errors", k, x(), "f32", { rowLength: 3 });
  });
  check("alloc and online argument errors", () => {
    for (const bad of [-1, 1.5, NaN, Infinity]) expectThrow(`alloc(${bad})`, RangeError, () => k.alloc(bad), ["alloc", String(bad)]);
    expectThrow('alloc(1, "f8")', TypeError, () => k.alloc(1, "f8"), ["dtype"]);
    assert(k.alloc(3, "f16").dtype === "f16", 'alloc(3, "f16") gives an f16 WasmArray');
    expectThrow("online both", TypeError, () => k.online({ beta: 1, temperature: 1 }));
    expectThrow("online temperature 0", RangeError, () => k.online({ temperature: 0 }), ["temperature"]);
    expectThrow("online push a string", TypeError, () => k.online().push("abc"));
    expectThrow("online merge another beta", TypeError, () => k.online({ beta: 1 }).merge(k.online({ beta: 2 })));
  });
  if (k.backend !== "js") {
    check("input or alloc too large for the module's memory: RangeError", () => {
      expectThrow("alloc 2^30 f64 (8 GiB)", RangeError, () => k.alloc(2 ** 30, "f64"), ["alloc", String(2 ** 30)]);
      expectAll("after", k, data("f32", 9, 1), "f32");
    });
  }
}

function onlineChecks(check, k) {
  for (const dtype of ["f32", "f64"]) {
    check(`${dtype} online: any split and grouping gives the one-shot logSumExp`, () => {
      const x = data(dtype, 1000, 21, 30);
      for (const beta of [1, 0.5, -1.5]) {
        const ref = refRow(x, beta).lse;
        const whole = k.online({ beta }).push(x);
        expectNumber(`whole beta ${beta}`, whole.logSumExp(), ref, logTol(dtype));
        assert(whole.count === 1000, `count ${whole.count}`);
        let max = -Infinity;
        for (const v of x) max = Math.max(max, beta * v);
        expectNumber("max", whole.max, max, logTol(dtype));
        expectNumber("sum", whole.sum, Math.exp(ref - max), (r) => TOL[dtype].log * r);
        const chunked = k.online({ beta });
        for (let i = 0, size = 1; i < x.length; i += size, size = (size * 3) % 97 + 1) chunked.push(x.subarray(i, i + size));
        expectNumber(`chunked beta ${beta}`, chunked.logSumExp(), ref, logTol(dtype));
        const [a, b, c] = [k.online({ beta }).push(x.subarray(600)), k.online({ beta }).push(x.subarray(0, 250)), k.online({ beta }).push(x.subarray(250, 600))];
        const bBefore = [b.count, b.logSumExp()];
        const merged = a.merge(b.merge(k.online({ beta })).merge(c));
        expectNumber(`merged beta ${beta}`, merged.logSumExp(), ref, logTol(dtype));
        assert(merged.count === 1000, `merged count ${merged.count}`);
        assert(c.count === 350, "merge changed the other accumulator");
        assert(b.count === 600 && b.logSumExp() !== bBefore[1], "merge did not fold into this");
      }
    });
    check(`${dtype} online normalize and logNormalize`, () => {
      const x = data(dtype, 300, 22);
      const acc = k.online({ temperature: 2 }).push(x.subarray(0, 100)).push(x.subarray(100));
      const ref = refRow(x, 0.5);
      const p = acc.normalize(x.subarray(50, 150));
      expectType("normalize", p, dtype);
      expectArray("normalize", p, ref.sm.subarray(50, 150), probTol(dtype));
      const lp = acc.logNormalize(x);
      expectType("logNormalize", lp, dtype);
      expectArray("logNormalize", lp, ref.lsm, logTol(dtype));
      const out = dtype === "f32" ? new Float32Array(300) : new Float64Array(300);
      assert(acc.normalize(x, out) === out, "normalize does not return out");
      expectArray("normalize out", out, ref.sm, probTol(dtype));
      expectThrow("normalize out of the wrong dtype", TypeError, () => acc.normalize(x, dtype === "f32" ? new Float64Array(300) : new Float32Array(300)));
      expectThrow("normalize out of the wrong length", RangeError, () => acc.normalize(x, dtype === "f32" ? new Float32Array(3) : new Float64Array(3)));
    });
  }
  check("online: empty, reset, mixed dtypes and special values", () => {
    const acc = k.online();
    assert(acc.count === 0 && acc.max === -Infinity && acc.logSumExp() === -Infinity, "an empty accumulator is not empty");
    acc.push(new Float32Array(0)).push([]);
    assert(acc.logSumExp() === -Infinity, "pushing nothing changed the accumulator");
    const x32 = data("f32", 40, 23);
    const x64 = data("f64", 60, 24);
    acc.push(x32).push(x64).push([1.5, -2]);
    const all = [...x32, ...x64, 1.5, -2];
    expectNumber("mixed dtypes", acc.logSumExp(), refRow(all).lse, logTol("f32"));
    assert(acc.count === 102, `count ${acc.count}`);
    assert(acc.reset() === acc && acc.count === 0 && acc.logSumExp() === -Infinity, "reset does not empty");
    acc.push([1, -Infinity, 2]);
    expectNumber("masked entries", acc.logSumExp(), refRow([1, 2]).lse, logTol("f64"));
    expectArray("normalize masked", acc.normalize([1, -Infinity]), [refRow([1, 2]).sm[0], 0], probTol("f64"));
    acc.push([Infinity, 3]);
    assert(acc.logSumExp() === Infinity, "+Infinity seen: logSumExp is not +Infinity");
    assert(k.online().push([-Infinity, -Infinity]).logSumExp() === -Infinity, "all masked: logSumExp is not -Infinity");
    assert(Number.isNaN(k.online().push([1, NaN]).push([2]).logSumExp()), "NaN seen: logSumExp is not NaN");
    assert(Number.isNaN(k.online().push([1]).merge(k.online().push([NaN])).logSumExp()), "NaN merged: logSumExp is not NaN");
  });
}

function wasmArrayChecks(check, k, isWasm, other) {
  check("alloc: array, length, dtype; kernels read and write it", () => {
    const a = k.alloc(40);
    assert(a.dtype === "f32" && a.length === 40 && a.array instanceof Float32Array && a.array.length === 40, "alloc(40) is not an f32 array of 40");
    a.array.set(data("f32", 40, 31));
    const x = a.array.slice();
    expectAll("f32 WasmArray", k, a, "f32", { rowLength: 8 });
    const b = k.alloc(40, "f64");
    assert(b.dtype === "f64" && b.array instanceof Float64Array, "alloc(40, 'f64') is not f64");
    b.array.set(data("f64", 40, 32));
    expectAll("f64 WasmArray", k, b, "f64");
    const out = k.alloc(40);
    assert(k.softmax(a, { out, rowLength: 8 }) === out, "softmax does not return a WasmArray out");
    expectArray("WasmArray out", out.array, refRows(x, 8).sm, probTol("f32"));
    assert(k.softmax(a, { out: a }) === a, "in-place softmax on a WasmArray does not return it");
    expectArray("WasmArray in place", a.array, refRow(x).sm, probTol("f32"));
    const lse = k.alloc(5, "f64");
    k.logSumExp(b, { rowLength: 8, out: lse });
    expectArray("logSumExp into a WasmArray", lse.array, refRows(b.array, 8).lse, logTol("f64"));
    expectThrow("f64 WasmArray out for f32 x", TypeError, () => k.softmax(a, { out: b }));
    for (const w of [a, b, out, lse]) w.free();
    const empty = k.alloc(0, "f64");
    assert(empty.length === 0 && empty.array.length === 0, "alloc(0) is not empty");
    empty.free();
  });
  check("use after free throws an Error; free is idempotent; Symbol.dispose frees", () => {
    const a = k.alloc(8);
    a.free();
    a.free();
    expectThrow("array after free", Error, () => a.array);
    expectThrow("softmax of a freed array", Error, () => k.softmax(a));
    const b = k.alloc(8);
    expectThrow("softmax into a freed out", Error, () => k.softmax(new Float32Array(8), { out: a }));
    assert(typeof b[dispose] === "function", "no [Symbol.dispose]");
    b[dispose]();
    expectThrow("array after dispose", Error, () => b.array);
    expectAll("after", k, data("f32", 9, 1), "f32");
  });
  check(`WasmArrays of another backend (${other?.backend}) are accepted as data`, () => {
    if (!other) return;
    const foreign = other.alloc(16, "f64");
    foreign.array.set(data("f64", 16, 33));
    expectAll("foreign WasmArray", k, foreign, "f64");
    foreign.free();
  });
  if (!isWasm) return;
  check("after memory growth .array is a fresh, usable view; same-size calls do not grow memory", () => {
    const a = k.alloc(16);
    a.array.set(data("f32", 16, 34));
    const values = Array.from(a.array);
    const big = k.alloc(1 << 22); // 16 MiB: the memory grows
    const view = a.array;
    assert(view.length === 16 && view.byteLength === 64, `.array after growth has length ${view.length}, ${view.byteLength} bytes`);
    assert(view.every((v, i) => v === values[i]), ".array after growth lost its values");
    expectAll("after growth", k, a, "f32");
    big.free();
    const x = data("f32", 200000, 35);
    const out = new Float32Array(x.length);
    k.softmax(x, { out });
    const bytes = a.array.buffer.byteLength;
    for (let i = 0; i < 5; i++) {
      k.softmax(x, { out });
      k.logSoftmax(x, { out });
      k.logSumExp(x);
      k.online().push(x).normalize(x, out);
    }
    assert(a.array.buffer.byteLength === bytes, `memory grew from ${bytes} to ${a.array.buffer.byteLength} bytes over same-size calls`);
    a.free();
  });
}

/** Quick check of a Kernels from another source: backend, one value per function. */
/** The uniforms of `seed`: PCG32 as pcg32_srandom_r(seed, 54), 52 bits per uniform (README), in BigInt. */
function pcg32Uniforms(seed) {
  const mask = (1n << 64n) - 1n;
  let state = 0n;
  const step = () => (state = (state * 6364136223846793005n + 109n) & mask);
  const next = () => {
    const old = state;
    step();
    const xorshifted = Number((((old >> 18n) ^ old) >> 27n) & 0xffffffffn);
    const rot = Number(old >> 59n);
    return ((xorshifted >>> rot) | (xorshifted << ((32 - rot) & 31))) >>> 0;
  };
  step();
  state = (state + BigInt.asUintN(64, BigInt(seed))) & mask;
  step();
  return () => ((next() >>> 6) * 2 ** 26 + (next() >>> 6) + 0.5) / 2 ** 52;
}

function samplingChecks(check, k) {
  check("sample with a seed draws the token of the PCG32 uniform's inverse CDF (the same in every runtime)", () => {
    const x = Float64Array.from([0, 1, 2, 3, 1.5, -1, 2.5, 0.5, -3, 2.25]);
    for (const topK of [0, 3]) {
      // The kept tokens (the topK highest, or all) and their probabilities, in index order.
      const cut = topK ? [...x].sort((a, b) => b - a)[topK - 1] : -Infinity;
      const w = Array.from(x, (v) => (v >= cut ? Math.exp(v - 3) : 0));
      const total = sum(w);
      for (let seed = 1; seed <= 30; seed++) {
        const u = pcg32Uniforms(seed)();
        let acc = 0;
        let want = -1;
        for (let i = 0; i < x.length && want < 0; i++) {
          acc += w[i] / total;
          if (w[i] > 0 && Math.abs(acc - u) < 1e-9) want = -2; // on a step: rounding decides
          else if (acc > u && w[i] > 0) want = i;
        }
        if (want === -2) continue;
        const got = k.sample(x, { seed, topK });
        assert(got === want, `seed ${seed} topK ${topK}: token ${got}, the reference ${want}`);
      }
    }
    const f32 = Float32Array.from(x);
    const sampler = k.sampler({ seed: 5 });
    const next = pcg32Uniforms(5);
    for (let i = 0; i < 10; i++) {
      const u = next();
      assert(sampler.sample(f32) === k.sample(f32, { random: () => u }), `sampler draw ${i} is not the seed's uniform ${i}`);
    }
    assert(k.argmax(x) === 3 && k.sample(x, { temperature: 0 }) === 3, "greedy is not the argmax");
    const top = k.topK(f32, 3);
    assert(Array.from(top.indices).join() === "3,6,9" && top.values instanceof Float32Array, `topK gave ${Array.from(top.indices)}`);
  });
}

function attentionChecks(check, k) {
  check("attend: a grouped-query decode step over a WasmArray cache equals the formula (docs/attention.md)", () => {
    const heads = 8;
    const kvHeads = 2;
    const dim = 5;
    const length = 70;
    const next = prng(77);
    const q = Float32Array.from({ length: heads * dim }, () => 2 * next() - 1);
    const kv = (n) => Float32Array.from({ length: n }, () => 2 * next() - 1);
    const kf = kv(length * kvHeads * dim);
    const vf = kv(length * kvHeads * dim);
    const keys = k.alloc(kf.length);
    const values = k.alloc(vf.length);
    keys.array.set(kf);
    values.array.set(vf);
    const { out, lse } = k.attend(q, keys, values, { heads, kvHeads, dim, lse: true });
    for (let h = 0; h < heads; h++) {
      const g = Math.floor(h / (heads / kvHeads));
      const s = [];
      for (let j = 0; j < length; j++) {
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += q[h * dim + d] * kf[(j * kvHeads + g) * dim + d];
        s.push(dot / Math.sqrt(dim));
      }
      const m = Math.max(...s);
      const w = s.map((x) => Math.exp(x - m));
      const z = sum(w);
      assert(Math.abs(lse[h] - (m + Math.log(z))) <= 1e-5, `lse[${h}] ${lse[h]}`);
      for (let d = 0; d < dim; d++) {
        let o = 0;
        for (let j = 0; j < length; j++) o += w[j] * vf[(j * kvHeads + g) * dim + d];
        assert(Math.abs(out[h * dim + d] - o / z) <= 1e-5, `out[${h * dim + d}] ${out[h * dim + d]}, the formula ${o / z}`);
      }
    }
    const half = k.attend(q, keys, values, { heads, kvHeads, dim, range: [0, 30], lse: true });
    const rest = k.attend(q, keys, values, { heads, kvHeads, dim, range: [30, length], lse: true });
    const merged = k.mergeAttention(half, rest, { heads, valueDim: dim });
    for (let i = 0; i < out.length; i++) assert(Math.abs(merged.out[i] - out[i]) <= 1e-5, `merged out[${i}]`);
    keys.free();
    values.free();
  });
}

function vocabChecks(check, k) {
  check("hierarchicalSoftmax over huffman(counts) and sampledSoftmaxLoss over every class equal their formulas (docs/vocab.md)", () => {
    const K = 9;
    const dim = 6;
    const next = prng(91);
    const tree = k.huffman(Array.from({ length: K }, (_, i) => 1 + Math.floor(100 / (i + 1))));
    const nodes = Float64Array.from({ length: (K - 1) * dim }, () => 2 * next() - 1);
    const h = Float64Array.from({ length: 2 * dim }, () => 2 * next() - 1);
    const probs = k.hierarchicalSoftmax.probabilities(h, nodes, tree);
    for (let r = 0; r < 2; r++) {
      assert(Math.abs(sum(probs.subarray(r * K, (r + 1) * K)) - 1) <= 1e-12, `probabilities row ${r} sums to ${sum(probs.subarray(r * K, (r + 1) * K))}`);
    }
    const targets = [0, K - 1];
    const { logProb } = k.hierarchicalSoftmax(h, nodes, tree, targets);
    for (let r = 0; r < 2; r++) {
      let start = 0;
      for (let i = 0; i < targets[r]; i++) start += tree.lengths[i];
      let want = 0;
      for (let s = start; s < start + tree.lengths[targets[r]]; s++) {
        let z = 0;
        for (let d = 0; d < dim; d++) z += h[r * dim + d] * nodes[tree.points[s] * dim + d];
        // word2vec's sign: code 0 is sigmoid(z), code 1 is sigmoid(-z)
        want += Math.log(1 / (1 + Math.exp(tree.codes[s] === 0 ? -z : z)));
      }
      assert(Math.abs(logProb[r] - want) <= 1e-12 * Math.max(1, Math.abs(want)), `logProb[${r}] ${logProb[r]}, the formula ${want}`);
      assert(Math.abs(Math.exp(want) - probs[r * K + targets[r]]) <= 1e-12, `probabilities[${r}] disagrees with logProb`);
    }
    const V = 30;
    const weights = Float32Array.from({ length: V * dim }, () => 2 * next() - 1);
    const biases = Float32Array.from({ length: V }, () => next() - 0.5);
    const h32 = Float32Array.from(h);
    const all = Int32Array.from({ length: V }, (_, i) => i);
    const { loss } = k.sampledSoftmaxLoss(h32, weights, biases, [4, 17], { sampled: all, subtractLogQ: false });
    for (let r = 0; r < 2; r++) {
      const logits = Array.from({ length: V }, (_, i) => {
        let z = biases[i];
        for (let d = 0; d < dim; d++) z += h32[r * dim + d] * weights[i * dim + d];
        return z;
      });
      const m = Math.max(...logits);
      const want = m + Math.log(sum(logits.map((z) => Math.exp(z - m)))) - logits[[4, 17][r]];
      assert(Math.abs(loss[r] - want) <= 1e-5 * Math.max(1, want), `sampled loss[${r}] ${loss[r]}, the full cross-entropy ${want}`);
    }
  });
}

/** The bytes of a typed array (bitwise comparison: NaN payloads and -0 included). */
function bytesOf(a) {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function expectSameBits(name, a, b) {
  const x = bytesOf(a);
  const y = bytesOf(b);
  assert(x.length === y.length, `${name}: ${y.length} bytes, one thread ${x.length}`);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) throw new Failure(`${name}: byte ${i} differs from one thread's`);
}

/** Whether this runtime can run threads over a shared memory (a cross-origin isolated page, Node, Deno, Bun; not workerd). */
export function hasThreads() {
  return (
    typeof SharedArrayBuffer === "function" &&
    globalThis.crossOriginIsolated !== false &&
    globalThis.navigator?.userAgent !== "Cloudflare-Workers"
  );
}

/**
 * sm.parallel (docs/parallel.md): with threads, batches split across 2 threads give sm's bits
 * (the batches are large enough to split); without, it rejects with an Error saying why.
 * Returns what happened, for the runner's extra.
 */
export async function parallelChecks(sm) {
  let par;
  try {
    par = await sm.parallel({ workers: 2 });
  } catch (error) {
    if (hasThreads()) throw error;
    assert(error instanceof Error && /Cross-Origin-Opener-Policy|Cloudflare Workers/.test(error.message), `rejected with ${error}`);
    return "rejected (no threads)";
  }
  try {
    assert(hasThreads(), "parallel() resolved where there are no threads");
    assert(par.workers === 2 && par.backend === sm.backend, `workers ${par.workers}, backend ${par.backend}`);
    for (const dtype of ["f32", "f64"]) {
      const k = 6000;
      const rows = 23;
      const x = data(dtype, rows * k, 90, 6);
      for (const name of ["softmax", "logSoftmax", "logSumExp"]) {
        expectSameBits(`${dtype} ${name}`, sm[name](x, { rowLength: k, beta: 0.7 }), await par[name](x, { rowLength: k, beta: 0.7 }));
      }
      const target = Int32Array.from({ length: rows }, (_, r) => (r * 997) % k);
      const one = sm.crossEntropy(x, target, { rowLength: k, grad: true, labelSmoothing: 0.1 });
      const two = await par.crossEntropy(x, target, { rowLength: k, grad: true, labelSmoothing: 0.1 });
      assert(Object.is(one.loss, two.loss), `${dtype} crossEntropy loss ${two.loss}, one thread ${one.loss}`);
      expectSameBits(`${dtype} crossEntropy grad`, one.grad, two.grad);
    }
    const heads = 32;
    const kvHeads = 8;
    const dim = 64;
    const length = 600;
    const q = data("f32", heads * dim, 91, 1);
    const keys = par.alloc(length * kvHeads * dim);
    const values = par.alloc(length * kvHeads * dim);
    keys.array.set(data("f32", keys.length, 92, 1));
    values.array.set(data("f32", values.length, 93, 1));
    const options = { heads, kvHeads, dim, lse: true };
    const one = sm.attend(q, keys.array.slice(), values.array.slice(), options);
    const two = await par.attend(q, keys, values, options);
    expectSameBits("attend out", one.out, two.out);
    expectSameBits("attend lse", one.lse, two.lse);
    let error;
    await par.softmax(new Float32Array(10), { rowLength: 7 }).catch((e) => (error = e));
    assert(error instanceof RangeError, `a bad rowLength rejected with ${error}`);
  } finally {
    await par.close();
  }
  let closed;
  await par.softmax([1, 2]).catch((e) => (closed = e));
  assert(closed instanceof Error, "a call after close() did not reject");
  return "2 threads, bit for bit";
}

function smoke(name, k) {
  assert(["wasm-relaxed-simd", "wasm-simd", "wasm"].includes(k.backend), `${name}: backend ${k.backend}`);
  for (const dtype of ["f32", "f64"]) {
    expectAll(`${name} ${dtype}`, k, data(dtype, 67, 41), dtype, { rowLength: 67 });
    expectAll(`${name} ${dtype} specials`, k, make(dtype, [Infinity, 1, NaN, -Infinity, 2, 3]), dtype, { rowLength: 3 });
  }
  expectNumber(`${name} online`, k.online().push(data("f64", 50, 42)).logSumExp(), refRow(data("f64", 50, 42)).lse, logTol("f64"));
}

// ---------------------------------------------------------------- runner

/** Runs every check against `api` (the module namespace of softmax-wasm). Never throws. */
export async function run(api, { log = () => {}, sources = [], module } = {}) {
  const result = { passed: 0, failed: 0, failures: [], backend: undefined, hasSimd: undefined, extra: {} };
  const record = (name, error) => {
    if (error === undefined) {
      result.passed++;
      return;
    }
    result.failed++;
    const message = error instanceof Failure ? error.message : `${error?.name ?? "thrown"}: ${error?.message ?? String(error)}`;
    result.failures.push({ name, message });
    log(`FAIL ${name}: ${message}`);
  };
  const check = (prefix) => (name, fn) => {
    try {
      fn();
      record(`${prefix}: ${name}`);
    } catch (error) {
      record(`${prefix}: ${name}`, error);
    }
  };
  const checkAsync = async (name, fn) => {
    try {
      await fn();
      record(name);
    } catch (error) {
      record(name, error);
    }
  };

  let wasm;
  await checkAsync("exports: init, initSync, js", async () => {
    for (const name of ["init", "initSync"]) assert(typeof api?.[name] === "function", `${name} is not exported`);
    assert(api.js && typeof api.js.softmax === "function" && api.js.backend === "js", "js is not a Kernels with backend js");
  });
  await checkAsync("init() loads the bundled binary and returns the same instance again", async () => {
    wasm = await api.init();
    result.backend = wasm.backend;
    assert(["wasm-relaxed-simd", "wasm-simd", "wasm"].includes(wasm.backend), `backend ${wasm.backend}`);
    assert((await api.init()) === wasm, "a second init() gave another instance");
    // The best build the runtime validates: relaxed SIMD, else SIMD, else scalar.
    if (typeof api.hasSimd === "function") {
      result.hasSimd = api.hasSimd();
      assert(result.hasSimd === (wasm.backend !== "wasm"), `hasSimd() is ${result.hasSimd} but init() chose ${wasm.backend}`);
    }
    if (typeof api.hasRelaxedSimd === "function") {
      const relaxed = api.hasRelaxedSimd();
      assert(relaxed === (wasm.backend === "wasm-relaxed-simd"), `hasRelaxedSimd() is ${relaxed} but init() chose ${wasm.backend}`);
    }
  });
  log(`init() backend: ${result.backend}`);

  const suites = [["js", api?.js, false, wasm]];
  if (wasm) suites.unshift([wasm.backend, wasm, true, api.js]);
  for (const [label, k, isWasm, other] of suites) {
    if (!k) continue;
    const c = check(label);
    for (const suite of [valueChecks, specialChecks, errorChecks, onlineChecks, samplingChecks, attentionChecks, vocabChecks]) {
      try {
        suite(c, k);
      } catch (error) {
        record(`${label}: ${suite.name}`, error);
      }
    }
    try {
      wasmArrayChecks(c, k, isWasm, other);
    } catch (error) {
      record(`${label}: wasmArrayChecks`, error);
    }
  }

  for (const [label, source] of sources) {
    await checkAsync(`init(${label})`, async () => {
      const k = await api.init(source);
      assert(k !== wasm, "init(source) returned the shared instance");
      result.extra[label] = k.backend;
      smoke(`init(${label})`, k);
    });
  }
  if (module !== undefined) {
    await checkAsync("initSync(module)", async () => {
      const k = api.initSync(module);
      result.extra.initSync = k.backend;
      smoke("initSync(module)", k);
    });
  }
  if (wasm) {
    await checkAsync("parallel: 2 threads give one thread's bits, or reject where there are no threads", async () => {
      result.extra.parallel = await parallelChecks(wasm);
    });
  }
  await checkAsync("initSync and init reject what is not a source", async () => {
    expectThrow("initSync('nope')", TypeError, () => api.initSync("nope"));
    expectThrow("initSync(42)", TypeError, () => api.initSync(42));
    let error;
    try {
      await api.init(42);
    } catch (e) {
      error = e;
    }
    assert(error instanceof TypeError, `init(42) gave ${error}`);
  });
  log(`${result.passed} passed, ${result.failed} failed`);
  return result;
}
