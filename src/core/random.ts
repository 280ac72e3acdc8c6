// The generator behind every `seed` option: PCG32 (O'Neill, pcg-random.org: a 64-bit LCG with
// the XSH-RR output), seeded as the reference pcg32_srandom_r(seed, 54); a uniform takes 52
// bits from two outputs and lies in the open interval (0, 1). It runs in the host, so a seed
// draws the same uniforms on every backend and runtime.

import { describe } from "./validate.js";

const TWO_32 = 4294967296;
// The LCG multiplier 6364136223846793005 in two halves.
const MUL_HI = 0x5851f42d;
const MUL_LO = 0x4c957f2d;
// pcg32_srandom_r's stream: increment (54 << 1) | 1.
const INC_LO = 109;

/** PCG32 (XSH-RR over a 64-bit LCG), with the 64-bit state in two uint32 halves. */
export class Pcg32 {
  #hi = 0;
  #lo = 0;

  /** pcg32_srandom_r(seed, 54): a safe integer seed, taken modulo 2^64. */
  constructor(seed: number) {
    this.#step();
    const lo = this.#lo + (seed >>> 0);
    this.#lo = lo >>> 0;
    this.#hi = (this.#hi + (Math.floor(seed / TWO_32) >>> 0) + (lo >= TWO_32 ? 1 : 0)) >>> 0;
    this.#step();
  }

  /** state = state * MUL + INC (mod 2^64). */
  #step(): void {
    const hi = this.#hi;
    const lo = this.#lo;
    // lo * MUL_LO in full, from 16-bit pieces (each product fits a double exactly).
    const a0 = lo & 0xffff;
    const a1 = lo >>> 16;
    const p00 = a0 * (MUL_LO & 0xffff);
    const p01 = a0 * (MUL_LO >>> 16);
    const p10 = a1 * (MUL_LO & 0xffff);
    const p11 = a1 * (MUL_LO >>> 16);
    const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    const low = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
    const high = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
    const next = low + INC_LO;
    this.#lo = next >>> 0;
    this.#hi = (high + Math.imul(hi, MUL_LO) + Math.imul(lo, MUL_HI) + (next >= TWO_32 ? 1 : 0)) >>> 0;
  }

  /** The next 32-bit output. */
  nextU32(): number {
    const hi = this.#hi;
    const lo = this.#lo;
    this.#step();
    // ((state >> 18) ^ state) >> 27, truncated to 32 bits, rotated right by state >> 59.
    const xHi = (hi >>> 18) ^ hi;
    const xLo = ((lo >>> 18) | (hi << 14)) ^ lo;
    const xorshifted = ((xLo >>> 27) | (xHi << 5)) >>> 0;
    const rot = hi >>> 27;
    return ((xorshifted >>> rot) | (xorshifted << ((32 - rot) & 31))) >>> 0;
  }

  /** A uniform in (0, 1): 52 random bits (26 from each of two outputs) plus one half. */
  uniform(): number {
    const a = this.nextU32() >>> 6;
    const b = this.nextU32() >>> 6;
    return (a * 67108864 + b + 0.5) / 4503599627370496;
  }

  clone(): Pcg32 {
    const copy = new Pcg32(0);
    copy.#hi = this.#hi;
    copy.#lo = this.#lo;
    return copy;
  }
}

/** Uniforms in [0, 1) from a `seed` option (PCG32), a `random` option (checked), or Math.random; `rng` is the seeded generator. */
export function uniformSource(seed: unknown, random: unknown): { rng: Pcg32 | undefined; random: () => number } {
  if (seed !== undefined && random !== undefined) throw new TypeError("give either seed or random, not both");
  if (seed !== undefined) {
    if (typeof seed !== "number") throw new TypeError(`seed must be a number (got ${describe(seed)})`);
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer (got ${seed})`);
    const rng = new Pcg32(seed);
    return { rng, random: () => rng.uniform() };
  }
  if (random !== undefined) {
    if (typeof random !== "function") throw new TypeError(`random must be a function (got ${describe(random)})`);
    return { rng: undefined, random: checkedRandom(random as () => unknown) };
  }
  return { rng: undefined, random: Math.random };
}

function checkedRandom(random: () => unknown): () => number {
  return () => {
    const u = random();
    if (typeof u !== "number" || !(u >= 0 && u < 1)) throw new RangeError(`random() must return a number in [0, 1) (got ${describe(u)})`);
    return u;
  };
}
