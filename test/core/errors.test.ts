// Error rules: TypeError for wrong types, RangeError for bad values, messages that name the
// option and the value; a call that throws changes neither x nor out; the instance goes on.
import { describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { expectProbabilities, refRow } from "./reference.js";

type Call = [label: string, error: typeof TypeError | typeof RangeError, message: RegExp, opts: unknown];

const x = () => Float32Array.from([1, 2, 3, 4, 5, 6]);

const OPTION_ERRORS: Call[] = [
  ["both beta and temperature", TypeError, /temperature.*beta|beta.*temperature/, { beta: 1, temperature: 1 }],
  ["temperature 0", RangeError, /temperature.*\(got 0\)/, { temperature: 0 }],
  ["temperature < 0", RangeError, /temperature.*\(got -2\)/, { temperature: -2 }],
  ["temperature Infinity", RangeError, /temperature.*Infinity/, { temperature: Infinity }],
  ["temperature NaN", RangeError, /temperature.*NaN/, { temperature: NaN }],
  ["temperature a string", TypeError, /temperature/, { temperature: "2" }],
  ["beta Infinity", RangeError, /beta.*Infinity/, { beta: Infinity }],
  ["beta NaN", RangeError, /beta.*NaN/, { beta: NaN }],
  ["beta a string", TypeError, /beta/, { beta: "1" }],
  ["rowLength 0", RangeError, /rowLength.*\(got 0\)/, { rowLength: 0 }],
  ["rowLength negative", RangeError, /rowLength.*-3/, { rowLength: -3 }],
  ["rowLength fractional", RangeError, /rowLength.*1\.5/, { rowLength: 1.5 }],
  ["rowLength not dividing", RangeError, /rowLength must divide the input length \(got 4 for 6\)/, { rowLength: 4 }],
  ["rowLength a string", TypeError, /rowLength/, { rowLength: "2" }],
  ["out of the wrong dtype", TypeError, /out.*f32/, { out: new Float64Array(6) }],
  ["out not an array", TypeError, /out/, { out: [0, 0, 0, 0, 0, 0] }],
  ["out of the wrong length", RangeError, /out.*length 5/, { out: new Float32Array(5) }],
  ["an unknown option", TypeError, /unknown option "temprature"/, { temprature: 2 }],
  ["options not an object", TypeError, /options/, 3],
];

const INPUT_ERRORS: [string, unknown, RegExp][] = [
  ["a string", "1,2,3", /x must be/],
  ["an Int32Array", new Int32Array(3), /x must be.*Int32Array/],
  ["a number[] holding a string", [1, "2", 3], /x\[1\] must be a number/],
  ["a number[] holding undefined", [1, undefined], /x\[1\] must be a number/],
  ["null", null, /x must be/],
  ["a plain object", { length: 2, 0: 1, 1: 2 }, /x must be/],
];

describe.each(backends)("%s errors", (_name, sm) => {
  it.each(OPTION_ERRORS)("%s", (_label, error, message, opts) => {
    for (const fn of [sm.softmax, sm.logSoftmax] as const) {
      const input = x();
      const out = (opts as { out?: unknown } | null)?.out;
      const before = out instanceof Float32Array || out instanceof Float64Array ? out.slice() : undefined;
      expect(() => fn(input, opts as never)).toThrow(error);
      expect(() => fn(input, opts as never)).toThrow(message);
      expect(Array.from(input)).toEqual([1, 2, 3, 4, 5, 6]);
      if (before) expect(Array.from(out as Float32Array)).toEqual(Array.from(before));
    }
    // logSumExp validates the same options (its out has one element per row).
    if (!(opts as { out?: unknown } | null)?.out) expect(() => sm.logSumExp(x(), opts as never)).toThrow(error);
    expectProbabilities(sm.softmax(x()), refRow(x(), 1).p, "f32");
  });

  it.each(INPUT_ERRORS)("x as %s is a TypeError", (_label, input, message) => {
    for (const fn of [sm.softmax, sm.logSoftmax, sm.logSumExp] as const) {
      expect(() => fn(input as never)).toThrow(TypeError);
      expect(() => fn(input as never)).toThrow(message);
    }
    expect(() => sm.online().push(input as never)).toThrow(TypeError);
  });

  it("logSumExp's out has one element per row (or 1 without rowLength)", () => {
    expect(() => sm.logSumExp(x(), { rowLength: 2, out: new Float32Array(6) })).toThrow(RangeError);
    expect(() => sm.logSumExp(x(), { rowLength: 2, out: new Float32Array(3) })).not.toThrow();
    expect(() => sm.logSumExp(x(), { out: new Float32Array(2) })).toThrow(RangeError);
    expect(() => sm.logSumExp(x(), { rowLength: 2, out: new Float64Array(3) })).toThrow(TypeError);
  });

  it("alloc rejects bad lengths and dtypes", () => {
    expect(() => sm.alloc(-1)).toThrow(RangeError);
    expect(() => sm.alloc(-1)).toThrow(/alloc length.*-1/);
    expect(() => sm.alloc(2.5)).toThrow(RangeError);
    expect(() => sm.alloc(NaN)).toThrow(RangeError);
    expect(() => sm.alloc(Infinity)).toThrow(RangeError);
    expect(() => sm.alloc("3" as never)).toThrow(TypeError);
    expect(() => sm.alloc(3, "bf16" as never)).toThrow(TypeError);
    expect(() => sm.alloc(3, "bf16" as never)).toThrow(/dtype.*bf16/);
  });

  it("online validates its options and merge partners", () => {
    expect(() => sm.online({ temperature: 0 })).toThrow(RangeError);
    expect(() => sm.online({ beta: 1, temperature: 1 })).toThrow(TypeError);
    expect(() => sm.online({ rowLength: 2 } as never)).toThrow(TypeError);
    expect(() => sm.online({ beta: 2 }).merge(sm.online({ beta: 1 }))).toThrow(TypeError);
    expect(() => sm.online().merge({} as never)).toThrow(TypeError);
    const acc = sm.online();
    acc.push([1, 2]);
    expect(() => acc.normalize([1, 2], new Float32Array(2))).toThrow(TypeError);
    expect(() => acc.normalize([1, 2], new Float64Array(3))).toThrow(RangeError);
  });
});
