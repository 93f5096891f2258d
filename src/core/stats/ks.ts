/**
 * Two-sample Kolmogorov–Smirnov test with the semantics of scipy.stats.ks_2samp (scipy 1.17):
 *
 *  - Statistic: with both samples sorted, cdfᵢ(v) = #{xᵢ ≤ v}/nᵢ over every observed v;
 *    D⁺ = max(cdf₁ − cdf₂), D⁻ = max(cdf₂ − cdf₁) (clipped at 0); two-sided D = max(D⁺, D⁻) (D⁻ only when it is
 *    strictly larger), 'greater' uses D⁺, 'less' uses D⁻.
 *  - method 'auto' is 'exact' when max(n₁, n₂) ≤ 10 000, else 'asymp'. 'exact' switches to 'asymp' when
 *    (n₁/g)·(n₂/g) does not fit a 32-bit integer (g = gcd) or when the exact computation fails; the result says so.
 *  - Exact, two-sided: with h = round(D·lcm(n₁, n₂)) and D replaced by h/lcm (as scipy returns it), p = 1 when
 *    h = 0; for n₁ = n₂ = n the closed form p = 2 Σ_k (−1)^(k−1) C(2n, n−kh)/C(2n, n), evaluated as a Horner-like
 *    product; otherwise the proportion of lattice paths from (0,0) to (n₁,n₂) leaving the band
 *    |x/n₁ − y/n₂| < h/lcm, by Hodges' (1958) "inside" recursion in the 1 − p form of Viehmann (2021,
 *    arXiv:2102.08037), which never forms large binomials: A(i,j) = (i·A(i−1,j) + j·A(i,j−1))/(i+j), with
 *    A = 1 outside the band.
 *  - Exact, one-sided: n₁ = n₂: C(2n, n−h)/C(2n, n) = Π_{j<h} (n−j)/(n+j+1). Otherwise the proportion of paths
 *    that reach n₂x − n₁y ≥ h·g, by the same normalized recursion (one boundary). scipy counts these paths with
 *    binomial coefficients and falls back to 'asymp' when C(n₁+n₂, n₁) overflows a double; we apply the same
 *    fallback rule, so 'auto' picks the same method scipy does.
 *  - Asymp, two-sided: p = kstwo.sf(D, round(n₁n₂/(n₁+n₂))) (./ksdist). One-sided: Hodges' approximation
 *    p = exp(−2z² − 2z(m+2n)/(3√(mn(m+n)))), z = D√(mn/(m+n)), m ≥ n.
 *
 * Unlike scipy (which returns NaN), NaN and ±∞ are dropped and counted.
 */
import { StatsInputError } from './errors';
import { kstwoSf } from './ksdist';
import { lgamma } from './special';
import { asNumeric, DroppedCounts, NumericInput, roundHalfEven } from './sample';

export type Alternative = 'two-sided' | 'less' | 'greater';
export type KsMethod = 'auto' | 'exact' | 'asymp';

export interface KsOptions {
  alternative?: Alternative;
  method?: KsMethod;
}

export interface KsResult {
  /** D (for method 'exact', rounded to h/lcm(n₁, n₂) as scipy returns it). */
  statistic: number;
  pValue: number;
  /** The method actually used. */
  method: 'exact' | 'asymp';
  /** Why 'exact' was not used when it was asked for (or chosen by 'auto'). */
  fallbackReason?: string;
  alternative: Alternative;
  /** +1 when the statistic is max(cdf₁ − cdf₂), −1 when it is max(cdf₂ − cdf₁). */
  statisticSign: 1 | -1;
  /** The smallest observation at which the statistic is attained. */
  statisticLocation: number;
  n1: number;
  n2: number;
  dropped1: DroppedCounts;
  dropped2: DroppedCounts;
}

/** Above this sample size 'auto' uses the asymptotic distribution (scipy's MAX_AUTO_N). */
export const KS_MAX_AUTO_N = 10000;

function gcd(a: number, b: number): number {
  while (b) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** The two one-sided sup-differences of the empirical CDFs and where they are first attained. */
export function ksStatistics(
  a: Float64Array,
  b: Float64Array,
): { dPlus: number; dMinus: number; locPlus: number; locMinus: number } {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxS = -Infinity;
  let minS = Infinity;
  let locPlus = NaN;
  let locMinus = NaN;
  while (i < n1 || j < n2) {
    const v = i < n1 && (j >= n2 || a[i] <= b[j]) ? a[i] : b[j];
    while (i < n1 && a[i] <= v) {
      i++;
    }
    while (j < n2 && b[j] <= v) {
      j++;
    }
    const diff = i / n1 - j / n2;
    if (diff > maxS) {
      maxS = diff;
      locPlus = v;
    }
    if (diff < minS) {
      minS = diff;
      locMinus = v;
    }
  }
  const dMinus = Math.min(Math.max(-minS, 0), 1);
  return { dPlus: maxS, dMinus, locPlus, locMinus };
}

/** Two-sided exact p for n₁ = n₂ = n: P(D ≥ h/n). */
function exactSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) {
      p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    }
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * Two-sided exact p for n₁ ≠ n₂: the proportion of monotone lattice paths (0,0) → (m,n) that touch
 * |ng·i − mg·j| ≥ h (mg = m/g, ng = n/g), i.e. |i/m − j/n| ≥ h/lcm. Column-by-column, O(m · band width).
 */
function exactInsideBand(n1: number, n2: number, g: number, h: number): number {
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const mg = m / g;
  const ng = n / g;
  const A = new Float64Array(n + 1).fill(1);
  // column i = 0: inside where mg·j < h
  let lo = 0;
  let hi = Math.min(Math.ceil(h / mg) - 1, n);
  for (let j = lo; j <= hi; j++) {
    A[j] = 0;
  }
  for (let i = 1; i <= m; i++) {
    const newLo = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    const newHi = Math.min(Math.ceil((ng * i + h) / mg) - 1, n);
    if (newHi < newLo) {
      return 1;
    }
    // cells that left the band at the bottom are outside now
    for (let j = lo; j < Math.min(newLo, hi + 1); j++) {
      A[j] = 1;
    }
    let below = newLo === 0 ? 0 : 1; // A(i, newLo − 1): outside the band (or the j = −1 sentinel)
    for (let j = newLo; j <= newHi; j++) {
      // A[j] still holds column i−1 (1 if it was outside the band there)
      const val = (A[j] * i + below * j) / (i + j);
      A[j] = val;
      below = val;
    }
    lo = newLo;
    hi = newHi;
  }
  return A[n];
}

/**
 * One-sided exact p for n₁ ≠ n₂: the proportion of paths (0,0) → (m,n), m ≥ n, that reach ng·i − mg·j ≥ h.
 * The probability is symmetric in (n₁, n₂) (scipy relies on the same fact). O(m·n).
 */
function exactOneSided(n1: number, n2: number, g: number, h: number): number {
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const mg = m / g;
  const ng = n / g;
  const A = new Float64Array(n + 1);
  // column 0: i = 0, ng·0 − mg·j ≥ h never holds (h ≥ 1)
  for (let i = 1; i <= m; i++) {
    const reached = ng * i - h; // cells with mg·j ≤ reached are past the boundary
    const jMaxOut = Math.floor(reached / mg);
    let below = 0;
    for (let j = 0; j <= n; j++) {
      const val = j <= jMaxOut ? 1 : (A[j] * i + below * j) / (i + j);
      A[j] = val;
      below = val;
    }
  }
  return A[n];
}

/** ln C(n, k) */
function logBinom(n: number, k: number): number {
  return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1);
}
const LOG_MAX_DOUBLE = Math.log(Number.MAX_VALUE);

function validAlternative(a: unknown): a is Alternative {
  return a === 'two-sided' || a === 'less' || a === 'greater';
}

/** scipy.stats.ks_2samp(data1, data2, alternative, method), with NaN/±∞ dropped and counted. */
export function ks2samp(data1: NumericInput, data2: NumericInput, options: KsOptions = {}): KsResult {
  const alternative = options.alternative ?? 'two-sided';
  const requested = options.method ?? 'auto';
  if (!validAlternative(alternative)) {
    throw new StatsInputError(`unknown alternative "${String(alternative)}" (use two-sided, less or greater)`);
  }
  if (requested !== 'auto' && requested !== 'exact' && requested !== 'asymp') {
    throw new StatsInputError(`unknown method "${String(requested)}" (use auto, exact or asymp)`);
  }
  const s1 = asNumeric(data1, 'first sample');
  const s2 = asNumeric(data2, 'second sample');
  const n1 = s1.n;
  const n2 = s2.n;
  const st = ksStatistics(s1.sorted, s2.sorted);
  let d: number;
  let sign: 1 | -1;
  let location: number;
  if (alternative === 'less' || (alternative === 'two-sided' && st.dMinus > st.dPlus)) {
    d = st.dMinus;
    sign = -1;
    location = st.locMinus;
  } else {
    d = st.dPlus;
    sign = 1;
    location = st.locPlus;
  }
  const g = gcd(n1, n2);
  const n1g = n1 / g;
  const n2g = n2 / g;
  let method: 'exact' | 'asymp';
  let fallbackReason: string | undefined;
  if (requested === 'auto') {
    method = Math.max(n1, n2) <= KS_MAX_AUTO_N ? 'exact' : 'asymp';
  } else if (requested === 'exact' && n1g >= 2147483647 / n2g) {
    method = 'asymp';
    fallbackReason = `the exact distribution is not computed for sample sizes ${n1} and ${n2} (lcm too large)`;
  } else {
    method = requested;
  }
  let p = NaN;
  if (method === 'exact') {
    const lcm = n1g * n2;
    const h = roundHalfEven(d * lcm);
    d = h / lcm;
    if (h === 0) {
      p = 1;
    } else if (alternative === 'two-sided') {
      p = n1 === n2 ? exactSquare(n1, h) : exactInsideBand(n1, n2, g, h);
    } else if (n1 === n2) {
      p = 1;
      for (let j = 0; j < h; j++) {
        p *= (n1 - j) / (n1 + j + 1);
      }
    } else if (logBinom(n1 + n2, n1) >= LOG_MAX_DOUBLE) {
      fallbackReason = `the one-sided exact computation overflows for sample sizes ${n1} and ${n2} (as in scipy)`;
    } else {
      p = exactOneSided(n1, n2, g, h);
    }
    if (!(p >= 0 && p <= 1)) {
      method = 'asymp';
      fallbackReason = fallbackReason ?? 'the exact computation was not numerically reliable';
    }
  }
  if (method === 'asymp') {
    const m = Math.max(n1, n2);
    const n = Math.min(n1, n2);
    const en = (m * n) / (m + n);
    if (alternative === 'two-sided') {
      p = kstwoSf(d, Math.max(1, roundHalfEven(en)));
    } else {
      const z = Math.sqrt(en) * d;
      p = Math.exp(-2 * z * z - (2 * z * (m + 2 * n)) / Math.sqrt(m * n * (m + n)) / 3);
    }
  }
  p = Math.min(Math.max(p, 0), 1);
  return {
    statistic: d,
    pValue: p,
    method,
    ...(fallbackReason ? { fallbackReason } : {}),
    alternative,
    statisticSign: sign,
    statisticLocation: location,
    n1,
    n2,
    dropped1: s1.dropped,
    dropped2: s2.dropped,
  };
}
