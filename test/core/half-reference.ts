// IEEE 754 binary16 from its definition, for the tests: value = (-1)^s * 2^(e - 15) * (1 + m/1024)
// for exponents 1-30, (-1)^s * 2^-14 * m/1024 for exponent 0, ±Infinity (m = 0) or NaN for 31.

/** The value of the half with bit pattern h. */
export function halfValue(h: number): number {
  const s = h >> 15 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 31) return m === 0 ? s * Infinity : NaN;
  if (e === 0) return s * 2 ** -14 * (m / 1024);
  return s * 2 ** (e - 15) * (1 + m / 1024);
}

/** Positive finite halves in increasing order of bit pattern (0 .. 0x7bff), by value. */
const positive = Float64Array.from({ length: 0x7c00 }, (_, h) => halfValue(h));

/** The bits of the half nearest to x (not NaN), ties to the even mantissa; ±Infinity past 65520. */
export function nearestHalf(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00; // 65504 + half its ulp: ties to even go up to Infinity
  let lo = 0;
  let hi = positive.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (positive[mid] <= a) lo = mid;
    else hi = mid - 1;
  }
  if (positive[lo] === a || lo === positive.length - 1) return sign | lo;
  const below = a - positive[lo];
  const above = positive[lo + 1] - a;
  if (below < above) return sign | lo;
  if (above < below) return sign | (lo + 1);
  return sign | (lo % 2 === 0 ? lo : lo + 1);
}
