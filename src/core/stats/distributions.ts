/**
 * Continuous distributions used by the tests: standard normal, Student's t and chi-square. Each function
 * states the definition it implements; accuracy against scipy.stats is checked in test/unit/stats-special.test.ts
 * (worst relative error there: 2e-14 normal, 7e-14 t, 3e-13 chi-square). Student's t uses the incomplete beta
 * up to ν = 1000 and a normal-mixture quadrature above, where the continued fraction would lose ε·ν/t².
 * The Kolmogorov–Smirnov distributions live in ./ksdist.
 */
import { betaIncBoth, erfc, gammaIncBoth, lbeta, logErfc } from './special';

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.39894228040143267794;
const EPS = 2.220446049250313e-16;

// ---------------------------------------------------------------------------------------------------------------
// Standard normal

/** φ(x) = e^(−x²/2)/√(2π), with x² evaluated exactly (x split in two) so the tails keep full relative accuracy. */
export function normalPdf(x: number): number {
  if (Number.isNaN(x)) {
    return NaN;
  }
  const ax = Math.abs(x);
  if (ax > 40) {
    return 0;
  }
  const hi = Math.floor(ax * 65536) / 65536;
  const lo = ax - hi;
  return INV_SQRT_2PI * Math.exp(-0.5 * hi * hi) * Math.exp(-0.5 * lo * (2 * hi + lo));
}

/** Φ(x) = ½ erfc(−x/√2): the standard normal CDF (scipy.stats.norm.cdf / scipy.special.ndtr). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * SQRT1_2);
}

/** 1 − Φ(x) = ½ erfc(x/√2), computed directly so it does not underflow to 0 for large x (scipy norm.sf). */
export function normalSf(x: number): number {
  return 0.5 * erfc(x * SQRT1_2);
}

/**
 * The x ≥ 0 with 1 − Φ(x) = q, for 0 < q ≤ ½: starts from Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4) and
 * polishes with Newton's method on ln(1 − Φ(x)) − ln q, which converges quadratically and keeps full relative
 * accuracy deep in the tail (q down to the smallest subnormal).
 */
function upperTailNormalQuantile(q: number): number {
  if (q === 0.5) {
    return 0;
  }
  const t = Math.sqrt(-2 * Math.log(q));
  let x = t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
  const lq = Math.log(q);
  for (let i = 0; i < 50; i++) {
    const sf = normalSf(x);
    if (!(sf > 0)) {
      x *= 0.99;
      continue;
    } // overshot into underflow: step back
    const dx = ((Math.log(sf) - lq) * sf) / normalPdf(x);
    x += dx;
    if (Math.abs(dx) <= 4 * EPS * Math.max(1, Math.abs(x))) {
      break;
    }
  }
  return x;
}

/** ln(1 − Φ(x)), finite far into the upper tail. */
export function normalLogSf(x: number): number {
  return Math.log(0.5) + logErfc(x * SQRT1_2);
}

/** Φ⁻¹(p), the standard normal quantile (scipy norm.ppf / scipy.special.ndtri). ppf(0) = −∞, ppf(1) = +∞. */
export function normalPpf(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) {
    return NaN;
  }
  if (p === 0) {
    return -Infinity;
  }
  if (p === 1) {
    return Infinity;
  }
  return p < 0.5 ? -upperTailNormalQuantile(p) : upperTailNormalQuantile(1 - p);
}

/** The inverse survival function: the x with 1 − Φ(x) = q (scipy norm.isf), accurate for tiny q. */
export function normalIsf(q: number): number {
  if (Number.isNaN(q) || q < 0 || q > 1) {
    return NaN;
  }
  if (q === 0) {
    return Infinity;
  }
  if (q === 1) {
    return -Infinity;
  }
  return q <= 0.5 ? upperTailNormalQuantile(q) : -upperTailNormalQuantile(1 - q);
}

// ---------------------------------------------------------------------------------------------------------------
// Student's t (real degrees of freedom ν > 0; ν = Infinity is the normal)

/**
 * P(T > |t|) = ½ I_{ν/(ν+t²)}(ν/2, ½) (Abramowitz & Stegun 26.7.1 via 26.5.27), with x = ν/(ν+t²) and
 * 1 − x = t²/(ν+t²) both passed to the incomplete beta so neither loses digits.
 */
function studentTUpperTail(absT: number, df: number): number {
  const t2 = absT * absT;
  if (t2 === Infinity) {
    return 0;
  }
  if (df > LARGE_DF) {
    return studentTUpperTailLargeDf(absT, df);
  }
  const x = df / (df + t2);
  const y = t2 / (df + t2);
  return 0.5 * betaIncBoth(df / 2, 0.5, x, y).lower;
}

/**
 * Above this many degrees of freedom the incomplete-beta continued fraction loses about ε·ν/t² relative accuracy
 * (it effectively forms 1 − x with x = ν/(ν+t²) near 1), so the tail is computed by quadrature instead.
 */
const LARGE_DF = 1000;

/** e^s − 1 − s without cancellation for small |s|. */
function expm1mx(s: number): number {
  if (Math.abs(s) < 0.5) {
    let term = s;
    let sum = 0;
    for (let k = 2; k < 60; k++) {
      term *= s / k;
      sum += term;
      if (Math.abs(term) <= EPS * Math.abs(sum)) {
        break;
      }
    }
    return sum;
  }
  return Math.expm1(s) - s;
}

/**
 * P(T > t) for large ν as the normal-mixture integral E[1 − Φ(t·√(V/ν))], V ~ χ²_ν. With V = ν eˢ the weight is
 * exp(−k(eˢ − 1 − s)), k = ν/2, a near-Gaussian of width 1/√k; the integrand is entire, so the trapezoid rule
 * converges geometrically. Numerator and normalizer are summed on grids of step 0.2/√k spanning ±16/√k, the
 * numerator's centred on the integrand's peak s* = −ln(1 + t²/ν); sums are taken in log space.
 */
function studentTUpperTailLargeDf(t: number, df: number): number {
  const k = df / 2;
  const h = 0.2 / Math.sqrt(k);
  const N = 80;
  const logSumExp = (center: number, withTail: boolean) => {
    const logs = new Float64Array(2 * N + 1);
    let max = -Infinity;
    for (let i = -N; i <= N; i++) {
      const s = center + i * h;
      let l = -k * expm1mx(s);
      if (withTail) {
        l += normalLogSf(t * Math.exp(s / 2));
      }
      logs[i + N] = l;
      if (l > max) {
        max = l;
      }
    }
    let sum = 0;
    for (let i = 0; i < logs.length; i++) {
      sum += Math.exp(logs[i] - max);
    }
    return max + Math.log(sum);
  };
  const sStar = -Math.log1p((t * t) / df);
  return Math.exp(logSumExp(sStar, true) - logSumExp(0, false));
}

/** Student's t survival function P(T > t) with ν = df degrees of freedom (scipy stats.t.sf). */
export function studentTSf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) {
    return NaN;
  }
  if (df === Infinity) {
    return normalSf(t);
  }
  if (t === 0) {
    return 0.5;
  }
  const tail = studentTUpperTail(Math.abs(t), df);
  return t > 0 ? tail : 1 - tail;
}

/** Student's t CDF P(T ≤ t) (scipy stats.t.cdf). */
export function studentTCdf(t: number, df: number): number {
  return studentTSf(-t, df);
}

/** Student's t density Γ((ν+1)/2)/(√(νπ) Γ(ν/2)) (1 + t²/ν)^(−(ν+1)/2) = (1+t²/ν)^(−(ν+1)/2) / (√ν B(ν/2, ½)). */
export function studentTPdf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) {
    return NaN;
  }
  if (df === Infinity) {
    return normalPdf(t);
  }
  return Math.exp(-((df + 1) / 2) * Math.log1p((t * t) / df) - 0.5 * Math.log(df) - lbeta(df / 2, 0.5));
}

/**
 * The t ≥ 0 with P(T > t) = q for 0 < q ≤ ½: Newton's method on ln P(T > t) − ln q, started from the
 * Cornish–Fisher expansion around the normal quantile (A&S 26.7.5) and safeguarded by a bracket (bisection,
 * geometric when the bracket spans orders of magnitude, as it does for ν ≤ 2 and tiny q).
 */
function upperTailTQuantile(q: number, df: number): number {
  if (q === 0.5) {
    return 0;
  }
  if (df === 1) {
    return 1 / Math.tan(Math.PI * q);
  } // Cauchy, exact
  const z = upperTailNormalQuantile(q);
  const z2 = z * z;
  let x = z + (z * (z2 + 1)) / (4 * df) + (z * (5 * z2 * z2 + 16 * z2 + 3)) / (96 * df * df);
  if (!(x > 0) || !Number.isFinite(x)) {
    x = z > 0 ? z : 1;
  }
  const lq = Math.log(q);
  let lo = 0;
  let hi = Infinity;
  for (let i = 0; i < 400; i++) {
    const sf = studentTUpperTail(x, df);
    const fx = Math.log(sf) - lq; // decreasing in x
    if (fx === 0) {
      return x;
    }
    if (fx > 0) {
      lo = Math.max(lo, x);
    } else {
      hi = Math.min(hi, x);
    }
    let next = sf > 0 ? x + (fx * sf) / studentTPdf(x, df) : NaN;
    if (!(next > lo && next < hi)) {
      if (hi === Infinity) {
        next = Math.max(2 * x, x + 1);
      } else if (lo > 0 && hi / lo > 4) {
        next = Math.sqrt(lo * hi);
      } else {
        next = 0.5 * (lo + hi);
      }
    }
    if (Math.abs(next - x) <= 4 * EPS * Math.abs(next)) {
      return next;
    }
    x = next;
  }
  return x;
}

/** Student's t quantile: the t with P(T ≤ t) = p (scipy stats.t.ppf). */
export function studentTPpf(p: number, df: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1 || !(df > 0)) {
    return NaN;
  }
  if (df === Infinity) {
    return normalPpf(p);
  }
  if (p === 0) {
    return -Infinity;
  }
  if (p === 1) {
    return Infinity;
  }
  return p < 0.5 ? -upperTailTQuantile(p, df) : upperTailTQuantile(1 - p, df);
}

// ---------------------------------------------------------------------------------------------------------------
// Chi-square (k > 0 degrees of freedom, not necessarily an integer)

/** Chi-square CDF P(X ≤ x) = P(k/2, x/2), the regularized lower incomplete gamma (scipy stats.chi2.cdf). */
export function chiSquareCdf(x: number, k: number): number {
  if (Number.isNaN(x) || !(k > 0)) {
    return NaN;
  }
  if (x <= 0) {
    return 0;
  }
  return gammaIncBoth(k / 2, x / 2).p;
}

/** Chi-square survival function P(X > x) = Q(k/2, x/2) (scipy stats.chi2.sf), accurate for tiny p-values. */
export function chiSquareSf(x: number, k: number): number {
  if (Number.isNaN(x) || !(k > 0)) {
    return NaN;
  }
  if (x <= 0) {
    return 1;
  }
  return gammaIncBoth(k / 2, x / 2).q;
}
