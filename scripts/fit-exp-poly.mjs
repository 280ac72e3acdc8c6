#!/usr/bin/env node
// fit-exp-poly.mjs: derives the polynomial coefficients of the vectorized exp kernel (x = n*ln2 + r, |r| <= ln2/2).
// f32 model: exp(r) ~ 1 + r*p(r), p = c1 + r*(c2 + r*(c3 + r*(c4 + r*c5))); the target is the max RELATIVE error.
// Step 1: Remez exchange on the weighted problem (weight 1/exp), all arithmetic in 256-bit BigInt fixed point.
// Step 2: round to f32 lowest degree first, re-running Remez on the still-free higher coefficients after each rounding.
// Step 3: coordinate search over neighbouring f32 values, scored by the max ulp error of the f32 Horner evaluation
//         (Math.fround after every op, no FMA, result = s + (r*s)*p with s = 1), on a uniform f32 grid plus
//         every f32 around the r < 0 alternation points (where the ulp of exp(r) is smallest).
// Step 4: verify on a denser, offset grid (--exhaustive: every f32 r in the interval, ~40 s extra).
// Step 5 (f64): exp(r) ~ 1 + r + r^2*q(r), deg q = 8..11; report the smallest deg whose max rel error is below 2^-57.
// Why: the constants are derived here (not copied from a library) so they can be re-derived and checked.
// Usage: node scripts/fit-exp-poly.mjs [--no-f64] [--exhaustive]      (Node >= 20, no dependencies)

const args = new Set(process.argv.slice(2));

// ---------- fixed-point arithmetic: value = big / 2^FB ----------
const FB = 256n;
const ONE = 1n << FB;
const TWO_FB = 2 ** 256;
const fmul = (a, b) => (a * b) >> FB;
const fdiv = (a, b) => (a << FB) / b;
const abs = (a) => (a < 0n ? -a : a);
const toNum = (a) => Number(a) / TWO_FB; // Number(bigint) rounds to nearest, /2^256 is exact
function fromNum(x) {
  const y = x * TWO_FB; // exact (power-of-two scaling)
  if (!Number.isInteger(y)) throw new Error(`fromNum: ${x} not representable`);
  return BigInt(y);
}
function expFix(x) {
  let s = ONE, t = ONE;
  for (let k = 1n; ; k++) {
    t = fmul(t, x) / k;
    if (t === 0n) return s;
    s += t;
  }
}
function ln2Fix() { // ln2 = 2*atanh(1/3) = 2*sum (1/3)^(2k+1)/(2k+1)
  let pow = ONE / 3n, s = 0n;
  for (let k = 0n; pow !== 0n; k++) { s += pow / (2n * k + 1n); pow /= 9n; }
  return 2n * s;
}
function polyFix(c, x) { // c: dense array of fixed-point coefficients
  let acc = c[c.length - 1];
  for (let i = c.length - 2; i >= 0; i--) acc = fmul(acc, x) + c[i];
  return acc;
}
function roundFix(a, bits) { // round to `bits` significant bits, nearest-even (normal range)
  if (a === 0n) return 0n;
  const neg = a < 0n, m = neg ? -a : a;
  const sh = BigInt(m.toString(2).length - bits);
  if (sh <= 0n) return a;
  const q = m >> sh, rem = m - (q << sh), half = 1n << (sh - 1n);
  let r = q;
  if (rem > half || (rem === half && (q & 1n))) r++;
  r <<= sh;
  return neg ? -r : r;
}
const log2s = (x) => `2^${Math.log2(Math.abs(x)).toFixed(2)}`;

// ---------- relative error e(x) = (P(x) - exp(x)) / exp(x) ----------
function relErr(c, x, ex = expFix(x)) { return fdiv(polyFix(c, x) - ex, ex); }

function makeGrid(A, N) {
  const xs = [], ex = [];
  for (let i = 0; i <= N; i++) {
    const x = -A + (2n * A * BigInt(i)) / BigInt(N);
    xs.push(x); ex.push(expFix(x));
  }
  return { A, N, xs, ex };
}

// golden-section maximisation of |e| in [lo, hi] (doubles); returns { x (fixed), e (fixed) }
function refineMax(c, lo, hi, best) {
  const g = (Math.sqrt(5) - 1) / 2;
  const f = (x) => { const bx = fromNum(x); return { x: bx, e: relErr(c, bx) }; };
  let a = lo, b = hi, u = b - g * (b - a), v = a + g * (b - a), fu = f(u), fv = f(v);
  for (let it = 0; it < 32; it++) {
    if (abs(fu.e) > abs(fv.e)) { b = v; v = u; fv = fu; u = b - g * (b - a); fu = f(u); }
    else { a = u; u = v; fu = fv; v = a + g * (b - a); fv = f(v); }
  }
  for (const cand of [fu, fv]) if (abs(cand.e) > abs(best.e)) best = cand;
  return best;
}

// local extrema of |e| over the grid, one per run of constant sign, each refined. The sign tracked is that of
// e(x) / x^kmin with kmin the lowest free exponent: e = x^kmin * (Haar-system error), so for odd kmin the
// alternation flips at x = 0 (e itself need not change sign there between alternation points).
function extrema(c, grid, oddK = false) {
  const { xs, ex, N } = grid;
  const es = xs.map((x, i) => relErr(c, x, ex[i]));
  const groups = [];
  for (let i = 0; i <= N; i++) {
    if (es[i] === 0n) continue;
    const s = (es[i] > 0n) !== (oddK && xs[i] < 0n);
    const g = groups[groups.length - 1];
    if (!g || g.s !== s) groups.push({ s, i });
    else if (abs(es[i]) > abs(es[g.i])) g.i = i;
  }
  return groups.map(({ s, i }) => {
    const lo = toNum(xs[Math.max(i - 1, 0)]), hi = toNum(xs[Math.min(i + 1, N)]);
    const p = refineMax(c, lo, hi, { x: xs[i], e: es[i] });
    return { s, x: p.x, e: p.e };
  });
}
const maxAbsErr = (c, grid) => extrema(c, grid).reduce((m, p) => (abs(p.e) > m ? abs(p.e) : m), 0n);

function solve(M) { // Gaussian elimination with partial pivoting, augmented matrix of fixed-point values
  const n = M.length;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (abs(M[r][col]) > abs(M[piv][col])) piv = r;
    [M[col], M[piv]] = [M[piv], M[col]];
    for (let r = col + 1; r < n; r++) {
      const f = fdiv(M[r][col], M[col][col]);
      for (let k = col; k <= n; k++) M[r][k] -= fmul(f, M[col][k]);
    }
  }
  const sol = new Array(n).fill(0n);
  for (let i = n - 1; i >= 0; i--) {
    let b = M[i][n];
    for (let k = i + 1; k < n; k++) b -= fmul(M[i][k], sol[k]);
    sol[i] = fdiv(b, M[i][i]);
  }
  return sol;
}
// exchange rule: among the sign-run extrema choose n alternating points maximising the smallest |e|
// (threshold t, drop points below t, merge equal-sign neighbours keeping the larger), then trim the
// smaller end until n remain (the global max is never dropped)
function pickAlternating(ext, n) {
  const ts = ext.map((p) => abs(p.e)).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  for (const t of ts) {
    const sel = [];
    for (const p of ext) {
      if (abs(p.e) < t) continue;
      const last = sel[sel.length - 1];
      if (last && last.s === p.s) { if (abs(p.e) > abs(last.e)) sel[sel.length - 1] = p; }
      else sel.push(p);
    }
    if (sel.length < n) continue;
    while (sel.length > n) { if (abs(sel[0].e) < abs(sel[sel.length - 1].e)) sel.shift(); else sel.pop(); }
    return sel;
  }
  return null;
}
const powFix = (x, k) => { let p = ONE; for (let i = 0; i < k; i++) p = fmul(p, x); return p; };

// Remez: P(x) = fixed(x) + sum_j a_j x^free[j], minimise max |P/exp - 1| on [-A, A]
function remez(grid, fixed, free, maxIter = 40) {
  const A = toNum(grid.A), m = free.length, deg = Math.max(fixed.length - 1, ...free);
  const oddK = free[0] % 2 === 1; // free exponents must be contiguous: free[0] .. free[0] + m - 1
  let ref = [];
  for (let i = 0; i <= m; i++) ref.push(-A * Math.cos((Math.PI * i) / m));
  for (let i = 0; i <= m; i++) if (Math.abs(ref[i]) < 1e-9) ref[i] = (ref[i] + ref[i + 1]) / 2; // weight vanishes at 0
  ref = ref.map(fromNum);
  let best = null, iter = 0;
  for (; iter < maxIter; iter++) {
    const M = ref.map((x, i) => { // P(x_i) - exp(x_i) = (-1)^i * E * exp(x_i) * sign(x_i)^kmin
      const e = expFix(x);
      const rhs = e - polyFix(fixed.length ? fixed : [0n], x);
      const neg = (i % 2 === 1) !== (oddK && x < 0n);
      return [...free.map((k) => powFix(x, k)), neg ? e : -e, rhs];
    });
    const sol = solve(M);
    const c = new Array(deg + 1).fill(0n);
    fixed.forEach((v, k) => { c[k] = v; });
    free.forEach((k, j) => { c[k] += sol[j]; });
    const E = abs(sol[m]);
    let ext = extrema(c, grid, oddK);
    const maxE = ext.reduce((mx, p) => (abs(p.e) > mx ? abs(p.e) : mx), 0n);
    if (!best || maxE < best.err) best = { c, err: maxE, E, iter };
    ext = pickAlternating(ext, m + 1);
    if (!ext) throw new Error(`remez: fewer than ${m + 1} alternations`);
    ref = ext.map((p) => p.x);
    if (toNum(maxE - E) <= 1e-10 * toNum(maxE)) break;
  }
  best.iters = iter + 1;
  return best;
}

// round the free coefficients one at a time (lowest degree first), refitting the rest after each rounding
function roundRefit(grid, fixed0, free, bits) {
  const fixed = fixed0.slice(), rem = free.slice();
  while (rem.length) {
    const { c } = remez(grid, fixed, rem);
    const k = rem.shift();
    while (fixed.length <= k) fixed.push(0n);
    fixed[k] = roundFix(c[k], bits);
  }
  return fixed;
}

// ---------- formatting ----------
function hexFloat(x, mantBits) {
  if (x === 0) return '0x0p+0';
  const sign = x < 0 ? '-' : '';
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  while (a / 2 ** e >= 2) e++;
  while (a / 2 ** e < 1) e--;
  const nd = Math.ceil(mantBits / 4);
  const frac = BigInt((a / 2 ** e - 1) * 2 ** (nd * 4));
  return `${sign}0x1.${frac.toString(16).toUpperCase().padStart(nd, '0')}p${e >= 0 ? '+' : ''}${e}`;
}

// ---------- f32 evaluation model ----------
const fr = Math.fround;
const f32buf = new Float32Array(1), u32buf = new Uint32Array(f32buf.buffer);
function f32Step(x, d) { f32buf[0] = x; u32buf[0] += d; return f32buf[0]; } // d ulps (away from 0 if d > 0)

// N+1 evenly spaced f32 r, plus every f32 within +-w ulps of each window centre, of the end points and of 0
function f32Grid(A, N, offset, centres = [], w = 0) {
  const rs = [];
  for (let i = 0; i <= N; i++) rs.push(fr(-A + (2 * A * (i + offset)) / N));
  for (const c of centres) for (let k = -w; k <= w; k++) rs.push(f32Step(Math.abs(c), k) * Math.sign(c));
  const a32 = fr(A);
  for (let k = 0; k < 4096; k++) { rs.push(f32Step(a32, -k)); rs.push(-f32Step(a32, -k)); }
  for (let k = 2; k <= 40; k++) { rs.push(fr(2 ** -k)); rs.push(-fr(2 ** -k)); }
  const r = new Float64Array(rs.filter((x) => Math.abs(x) <= a32));
  const ex = r.map(Math.exp);
  const iu = r.map((x) => (x >= 0 ? 2 ** 23 : 2 ** 24)); // 1/ulp(exp(r)): exp(r) in [1,2) or [0.5,1)
  return { r, ex, iu };
}
function f32Score(c, g) {
  const c1 = fr(c[0]), c2 = fr(c[1]), c3 = fr(c[2]), c4 = fr(c[3]), c5 = fr(c[4]);
  const { r: R, ex, iu } = g, s = 1;
  let mx = 0, sum = 0;
  for (let i = 0; i < R.length; i++) {
    const r = R[i];
    let p = fr(c4 + fr(r * c5));
    p = fr(c3 + fr(r * p));
    p = fr(c2 + fr(r * p));
    p = fr(c1 + fr(r * p));
    const y = fr(s + fr(fr(r * s) * p));
    const e = Math.abs(y - ex[i]) * iu[i];
    sum += e;
    if (e > mx) mx = e;
  }
  return { max: mx, mean: sum / R.length };
}
function f32Exhaustive(c, A) { // every f32 r with |r| <= fround(A)
  const c1 = fr(c[0]), c2 = fr(c[1]), c3 = fr(c[2]), c4 = fr(c[3]), c5 = fr(c[4]);
  f32buf[0] = fr(A);
  const top = u32buf[0], CH = 1 << 20;
  const bits = new Uint32Array(CH), vals = new Float32Array(bits.buffer);
  let mx = 0, at = 0;
  for (const sign of [0, 0x80000000]) {
    for (let b0 = 0; b0 <= top; b0 += CH) {
      const n = Math.min(CH, top - b0 + 1);
      for (let j = 0; j < n; j++) bits[j] = (sign | (b0 + j)) >>> 0;
      for (let j = 0; j < n; j++) {
        const r = vals[j];
        let p = fr(c4 + fr(r * c5));
        p = fr(c3 + fr(r * p));
        p = fr(c2 + fr(r * p));
        p = fr(c1 + fr(r * p));
        const y = fr(1 + fr(r * p));
        const ex = Math.exp(r);
        const e = Math.abs(y - ex) * (r >= 0 ? 2 ** 23 : 2 ** 24);
        if (e > mx) { mx = e; at = r; }
      }
    }
  }
  return { max: mx, at };
}

// ================= main =================
const t0 = performance.now();
const Afix = ln2Fix() / 2n;
const A = toNum(Afix);
console.log(`exp(x) = 2^n * exp(r), r in [-ln2/2, ln2/2] = [-${A}, ${A}]`);

// ---- f32 ----
{
  console.log('\n== f32: exp(r) ~ 1 + r*p(r), p(r) = c1 + r*(c2 + r*(c3 + r*(c4 + r*c5))) ==');
  const grid = makeGrid(Afix, 2000);
  const free = [1, 2, 3, 4, 5];
  const fit = remez(grid, [ONE], free);
  const cReal = free.map((k) => toNum(fit.c[k]));
  console.log(`Remez (real coefficients), ${fit.iters} iterations: max rel error = ${toNum(fit.err).toExponential(4)} (${log2s(toNum(fit.err))})`);
  free.forEach((k, j) => console.log(`  c${k} (real) = ${cReal[j].toPrecision(17)}`));

  const toC = (arr) => [ONE, ...arr.map(fromNum)];
  const naive = free.map((k) => toNum(roundFix(fit.c[k], 24)));
  const rr = roundRefit(grid, [ONE], free, 24).slice(1).map(toNum);
  // search grid: uniform + all f32 around the alternation points with r < 0 (there ulp(exp r) = 2^-24, so
  // the approximation error alone is ~1.5 ulp and these are where the f32 evaluation error peaks)
  const peaks = extrema(fit.c, grid, true).map((p) => toNum(p.x)).filter((x) => x < 0);
  const gSearch = f32Grid(A, 1 << 20, 0, peaks, 1 << 18);
  const better = (a, b) => a.max < b.max || (a.max === b.max && a.mean < b.mean);
  let cur = rr.slice(), curS = f32Score(cur, gSearch), evals = 0;
  for (let round = 0, improved = true; improved && round < 12; round++) {
    improved = false;
    for (let j = 0; j < 5; j++) {
      for (let d = -4; d <= 4; d++) {
        if (d === 0) continue;
        const cand = cur.slice();
        cand[j] = f32Step(cur[j], d);
        const s = f32Score(cand, gSearch);
        evals++;
        if (better(s, curS)) { cur = cand; curS = s; improved = true; }
      }
    }
  }
  const gVerify = f32Grid(A, 1 << 24, 0.5);
  const report = (name, c) => {
    const v = f32Score(c, gVerify);
    const re = toNum(maxAbsErr(toC(c), grid));
    console.log(`  ${name.padEnd(34)} f32-eval max ${v.max.toFixed(4)} ulp (mean ${v.mean.toFixed(4)}), real-poly rel err ${log2s(re)}`);
  };
  console.log(`f32 rounding variants (f32 Horner, no FMA, ${(gVerify.r.length / 1e6).toFixed(1)}M-point verification grid):`);
  report('naive round-to-nearest', naive);
  report('round lowest-first + refit', rr);
  report(`+ local search (${evals} candidates)`, cur);

  console.log('final f32 coefficients:');
  cur.forEach((v, j) => console.log(`  c${j + 1} = ${v.toPrecision(9).padEnd(14)} ${hexFloat(v, 23)}`));
  const reFinal = toNum(maxAbsErr(toC(cur), grid));
  const v = f32Score(cur, gVerify);
  console.log(`theoretical max rel error of the real polynomial: minimax ${toNum(fit.err).toExponential(4)} (${log2s(toNum(fit.err))}); with these f32 coefficients ${reFinal.toExponential(4)} (${log2s(reFinal)})`);
  console.log(`measured max error, f32 evaluation: ${v.max.toFixed(4)} ulp over ${gVerify.r.length} f32 r values (ulp of the f32 result)`);
  if (args.has('--exhaustive')) {
    const x = f32Exhaustive(cur, A);
    console.log(`exhaustive (all f32 r, |r| <= fround(ln2/2)): max ${x.max.toFixed(4)} ulp at r = ${x.at}`);
  }
}

// ---- f64 ----
if (!args.has('--no-f64')) {
  console.log('\n== f64: exp(r) ~ 1 + r + r^2*q(r), q(r) = q0 + q1*r + ... + qd*r^d ==');
  const grid = makeGrid(Afix, 1000);
  const target = 2 ** -57;
  const rows = [];
  for (const d of [8, 9, 10, 11]) {
    const free = Array.from({ length: d + 1 }, (_, i) => i + 2);
    const fit = remez(grid, [ONE, ONE], free);
    const rounded = roundRefit(grid, [ONE, ONE], free, 53);
    const re = toNum(maxAbsErr(rounded, grid));
    rows.push({ d, err: toNum(fit.err), re, rounded });
    console.log(`  d = ${String(d).padStart(2)} (exp degree ${d + 2}): minimax rel error ${log2s(toNum(fit.err))}, with f64-rounded coefficients ${log2s(re)}, ${fit.iters} Remez iterations`);
  }
  const pick = rows.find((r) => r.err < target && r.re < target);
  if (!pick) console.log('  no degree tried reaches 2^-57');
  else {
    console.log(`smallest d with max rel error < 2^-57: d = ${pick.d} (exp degree ${pick.d + 2}); real-poly error ${pick.re.toExponential(4)} (${log2s(pick.re)}) with these coefficients:`);
    for (let k = 2; k <= pick.d + 2; k++) {
      const v = toNum(pick.rounded[k]);
      console.log(`  q${String(k - 2).padEnd(2)} = ${v.toPrecision(17).padEnd(24)} ${hexFloat(v, 52)}`);
    }
  }
}
console.log(`\n(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
