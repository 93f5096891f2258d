/**
 * Drift statistics with the definitions and defaults of Evidently (legacy stattests, evidently @a4aa4c2) and
 * NannyML (univariate drift methods, nannyml @4c86ee3), as written up in the project's research notes (§4).
 * Numeric inputs are arrays or prepared samples (./sample); NaN and ±∞ are dropped and counted in every result.
 *
 * Evidently:
 *  - Binning for PSI and Jensen–Shannon (get_binned_data): a numerical column whose reference has more than 20
 *    distinct values gets numpy Sturges bins over reference ∪ current; otherwise (and for categorical columns)
 *    one bin per distinct value of reference ∪ current. Cells are proportions of each side's size.
 *  - PSI = Σ (rᵢ − cᵢ) ln(rᵢ/cᵢ), after replacing each side's empty cells with min(non-zero)/10⁶ when that minimum
 *    is ≤ 10⁻⁴, else with 10⁻⁴ (no renormalization). Drift when PSI ≥ 0.1.
 *  - Jensen–Shannon: scipy.spatial.distance.jensenshannon of the (unfilled) proportions, natural log: a distance
 *    in [0, √ln 2]. Drift when ≥ 0.1.
 *  - Wasserstein (normed): W₁(ref, cur) / max(std(ref), 0.001), std with ddof 0. Drift when ≥ 0.1.
 *  - Chi-square: over the union of categories, expected = ref count · n_cur/n_ref, observed = cur count,
 *    scipy.stats.chisquare with K − 1 degrees of freedom. Drift when p < 0.05. A category absent from the
 *    reference gives statistic ∞ and p = 0.
 *  - z-test: categories sorted, the first ↦ 0, the others ↦ 1; pooled two-proportion z of reference minus current.
 *    p = 2·(1 − Φ(|z|)) in Evidently, which underflows to 0 beyond |z| ≈ 8.3; we compute 2·Φ(−|z|) (same value
 *    where Evidently's is non-zero). Identical single-valued samples give p = 1. Drift when p < 0.05.
 *  - KS: ks_2samp two-sided, method auto. Drift when p ≤ 0.05.
 *  - Default test per column (registry._get_default_stattest), with u = distinct values of ref ∪ cur:
 *    n_ref ≤ 1000: numerical u > 5 → KS; numerical u ≤ 5 and categorical → chi-square if u > 2 else z;
 *    n_ref > 1000: numerical u > 5 → Wasserstein (normed); otherwise Jensen–Shannon.
 *  - Dataset drift when the share of drifted columns ≥ drift_share (0.5).
 *
 * NannyML's methods (Jensen–Shannon and Hellinger on its bins, L∞, chi2, the alert band) are in ./nannyml.
 */
import { chiSquareSf, normalSf } from './distributions';
import { StatsInputError } from './errors';
import { countDistinctUnionSorted, histogramCounts, sturgesEdges } from './binning';
import { DriftInput, isNumericLike, proportionsOver, toCategorical, toNumeric, unionCategories } from './driftInput';
import { ks2samp } from './ks';
import {
  asNumeric,
  Category,
  countDistinctSorted,
  DroppedCounts,
  numericAsCategorical,
  NumericInput,
  NumericSample,
  sum,
  variance,
} from './sample';

export type { DriftInput } from './driftInput';

export type FeatureKind = 'numerical' | 'categorical';

/** Two distributions over the same bins, as proportions. */
export interface BinnedDistributions {
  /** 'histogram': numeric bins with `edges`; 'categories': one bin per entry of `categories`. */
  binning: 'histogram' | 'categories';
  edges?: Float64Array;
  categories?: Category[];
  reference: Float64Array;
  current: Float64Array;
}

/** Common fields of every drift result. */
export interface DriftSizes {
  nRef: number;
  nCur: number;
  droppedRef: DroppedCounts;
  droppedCur: DroppedCounts;
}

export interface DistanceResult extends DriftSizes {
  value: number;
  threshold: number;
  drifted: boolean;
}

export interface BinnedDistanceResult extends DistanceResult {
  distributions: BinnedDistributions;
}

/** Evidently's empty-cell fill for PSI: min(non-zero)/10⁶ if that minimum ≤ 10⁻⁴, else 10⁻⁴. */
function fillZeroes(p: Float64Array): Float64Array {
  let min = Infinity;
  for (const v of p) {
    if (v !== 0 && v < min) {
      min = v;
    }
  }
  const fill = min <= 0.0001 ? min / 10 ** 6 : 0.0001;
  return p.map(v => (v === 0 ? fill : v));
}

export interface BinningOptions {
  kind?: FeatureKind;
  /** The column has an integer dtype in the source (numpy then keeps Sturges bins at least 1 wide). */
  integerData?: boolean;
}

/** Evidently's get_binned_data (without the zero fill). */
export function evidentlyBinned(
  ref: DriftInput,
  cur: DriftInput,
  options: BinningOptions = {},
): BinnedDistributions & DriftSizes {
  const kind = options.kind ?? 'numerical';
  if (kind === 'numerical') {
    const r = toNumeric(ref, 'reference sample');
    const c = toNumeric(cur, 'current sample');
    const sizes = { nRef: r.n, nCur: c.n, droppedRef: r.dropped, droppedCur: c.dropped };
    if (countDistinctSorted(r.sorted) > 20) {
      const edges = sturgesEdges(
        Math.min(r.sorted[0], c.sorted[0]),
        Math.max(r.sorted[r.n - 1], c.sorted[c.n - 1]),
        r.n + c.n,
        options.integerData,
      );
      const reference = histogramCounts(r.sorted, edges).map(v => v / r.n);
      const current = histogramCounts(c.sorted, edges).map(v => v / c.n);
      return { binning: 'histogram', edges, reference, current, ...sizes };
    }
    const rc = numericAsCategorical(r);
    const cc = numericAsCategorical(c);
    const categories = unionCategories(rc, cc);
    return {
      binning: 'categories',
      categories,
      reference: proportionsOver(rc, categories),
      current: proportionsOver(cc, categories),
      ...sizes,
    };
  }
  const r = toCategorical(ref, 'reference sample');
  const c = toCategorical(cur, 'current sample');
  const categories = unionCategories(r, c);
  return {
    binning: 'categories',
    categories,
    reference: proportionsOver(r, categories),
    current: proportionsOver(c, categories),
    nRef: r.n,
    nCur: c.n,
    droppedRef: r.dropped,
    droppedCur: c.dropped,
  };
}

function splitBinned(b: BinnedDistributions & DriftSizes): { distributions: BinnedDistributions; sizes: DriftSizes } {
  const { nRef, nCur, droppedRef, droppedCur, ...distributions } = b;
  return { distributions, sizes: { nRef, nCur, droppedRef, droppedCur } };
}

export interface ThresholdOptions extends BinningOptions {
  threshold?: number;
}

/** Population stability index with Evidently's binning and zero fill. Drift when ≥ threshold (0.1). */
export function psi(ref: DriftInput, cur: DriftInput, options: ThresholdOptions = {}): BinnedDistanceResult {
  const threshold = options.threshold ?? 0.1;
  const { distributions, sizes } = splitBinned(evidentlyBinned(ref, cur, options));
  const value = psiOfProportions(distributions.reference, distributions.current, true);
  return { value, threshold, drifted: value >= threshold, ...sizes, distributions };
}

/** Σ (rᵢ − cᵢ) ln(rᵢ/cᵢ) over two proportion vectors, optionally after Evidently's zero fill. */
export function psiOfProportions(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  evidentlyZeroFill = true,
): number {
  if (reference.length !== current.length) {
    throw new StatsInputError('the two distributions have different numbers of bins');
  }
  const r = evidentlyZeroFill ? fillZeroes(Float64Array.from(reference)) : Float64Array.from(reference);
  const c = evidentlyZeroFill ? fillZeroes(Float64Array.from(current)) : Float64Array.from(current);
  const terms = new Float64Array(r.length);
  for (let i = 0; i < r.length; i++) {
    terms[i] = (r[i] - c[i]) * Math.log(r[i] / c[i]);
  }
  return sum(terms);
}

/** (1+u)·log1p(u) + (1−u)·log1p(−u) = Σ_{k≥1} u^(2k)/(k(2k−1)), without cancellation for small |u|. */
function symmetricKlTerm(u: number): number {
  const au = Math.abs(u);
  if (au === 1) {
    return 2 * Math.LN2;
  }
  if (au >= 0.5) {
    return (1 + u) * Math.log1p(u) + (1 - u) * Math.log1p(-u);
  }
  const u2 = u * u;
  let pow = u2;
  let s = 0;
  for (let k = 1; k < 200; k++) {
    const add = pow / (k * (2 * k - 1));
    s += add;
    if (add <= 1e-17 * s) {
      break;
    }
    pow *= u2;
  }
  return s;
}

/**
 * scipy.spatial.distance.jensenshannon(p, q, base): both vectors normalized to sum 1, m = (p+q)/2,
 * √((KL(p‖m) + KL(q‖m))/2), natural log unless a base is given. Each bin's p ln(p/m) + q ln(q/m) is evaluated
 * as m·((1+u) ln(1+u) + (1−u) ln(1−u)), u = (p−q)/(p+q), whose series has no cancellation, so nearly equal
 * distributions keep full relative accuracy (scipy's direct sum loses up to ~1e-10 there).
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base?: number): number {
  if (p.length !== q.length) {
    throw new StatsInputError('the two distributions have different numbers of bins');
  }
  if (p.length === 0) {
    throw new StatsInputError('the distributions have no bins');
  }
  const sp = sum(p);
  const sq = sum(q);
  const terms = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / sp;
    const qi = q[i] / sq;
    if (pi < 0 || qi < 0) {
      throw new StatsInputError('a distribution has a negative entry');
    }
    const m = (pi + qi) / 2;
    terms[i] = m === 0 ? 0 : m * symmetricKlTerm((pi - qi) / (pi + qi));
  }
  let js = sum(terms);
  if (base !== undefined) {
    js /= Math.log(base);
  }
  return Math.sqrt(js / 2);
}

/** Evidently's Jensen–Shannon drift: natural-log distance of the binned proportions. Drift when ≥ threshold (0.1). */
export function jensenShannon(ref: DriftInput, cur: DriftInput, options: ThresholdOptions = {}): BinnedDistanceResult {
  const threshold = options.threshold ?? 0.1;
  const { distributions, sizes } = splitBinned(evidentlyBinned(ref, cur, options));
  const value = jensenShannonDistance(distributions.reference, distributions.current);
  return { value, threshold, drifted: value >= threshold, ...sizes, distributions };
}

/**
 * First Wasserstein distance between the empirical distributions of u and v (scipy.stats.wasserstein_distance,
 * unweighted): ∫|F_u − F_v| dx = Σ |F_u(wₖ) − F_v(wₖ)|·(wₖ₊₁ − wₖ) over the merged sorted sample w.
 */
export function wassersteinDistance(u: NumericInput, v: NumericInput): number {
  const a = asNumeric(u, 'first sample').sorted;
  const b = asNumeric(v, 'second sample').sorted;
  // Walk the merged order without building it; Neumaier-compensated sum of |F_u − F_v|·(next − current).
  let i = 0;
  let j = 0;
  let s = 0;
  let c = 0;
  let w = i < a.length && (j >= b.length || a[i] <= b[j]) ? a[i] : b[j];
  while (i < a.length || j < b.length) {
    while (i < a.length && a[i] <= w) {
      i++;
    }
    while (j < b.length && b[j] <= w) {
      j++;
    }
    if (i >= a.length && j >= b.length) {
      break;
    }
    const next = i < a.length && (j >= b.length || a[i] <= b[j]) ? a[i] : b[j];
    const term = Math.abs(i / a.length - j / b.length) * (next - w);
    const t = s + term;
    c += Math.abs(s) >= Math.abs(term) ? s - t + term : term - t + s;
    s = t;
    w = next;
  }
  return s + c;
}

/** Evidently's normed Wasserstein: W₁(ref, cur)/max(std(ref), 0.001). Drift when ≥ threshold (0.1). */
export function wassersteinNormed(
  ref: NumericInput,
  cur: NumericInput,
  options: { threshold?: number } = {},
): DistanceResult & { raw: number; referenceStd: number } {
  const threshold = options.threshold ?? 0.1;
  const r = asNumeric(ref, 'reference sample');
  const c = asNumeric(cur, 'current sample');
  const raw = wassersteinDistance(r, c);
  const referenceStd = Math.sqrt(variance(r.sorted, 0));
  const value = raw / Math.max(referenceStd, 0.001);
  return {
    value,
    raw,
    referenceStd,
    threshold,
    drifted: value >= threshold,
    nRef: r.n,
    nCur: c.n,
    droppedRef: r.dropped,
    droppedCur: c.dropped,
  };
}

export interface ChiSquareResult {
  statistic: number;
  dof: number;
  pValue: number;
}

/**
 * Pearson's chi-square goodness of fit (scipy.stats.chisquare): Σ (oᵢ − eᵢ)²/eᵢ on k − 1 − ddof degrees of
 * freedom. Expected defaults to the uniform mean. As scipy does, the two totals must agree to 1e-8 relative.
 */
export function chiSquareGoodnessOfFit(
  observed: ArrayLike<number>,
  expected?: ArrayLike<number>,
  ddof = 0,
): ChiSquareResult {
  const k = observed.length;
  if (k === 0) {
    throw new StatsInputError('chi-square needs at least one category');
  }
  const so = sum(observed);
  const exp = expected ?? new Float64Array(k).fill(so / k);
  if (exp.length !== k) {
    throw new StatsInputError('observed and expected counts have different lengths');
  }
  const se = sum(exp);
  if (Math.abs(so - se) > 1e-8 * Math.max(Math.abs(so), Math.abs(se))) {
    throw new StatsInputError(`the observed total (${so}) and the expected total (${se}) differ`);
  }
  const terms = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const d = observed[i] - exp[i];
    terms[i] = (d * d) / exp[i];
  }
  const statistic = sum(terms);
  const dof = k - 1 - ddof;
  const pValue = statistic === Infinity ? 0 : chiSquareSf(statistic, dof);
  return { statistic, dof, pValue };
}

/**
 * Chi-square test of independence on a contingency table (scipy.stats.chi2_contingency): expected counts from the
 * margins; with one degree of freedom and `correction` (default true) Yates' continuity correction moves each
 * observed count up to 0.5 towards its expectation. dof = 0 gives statistic 0 and p = 1, as in scipy.
 */
export function chiSquareContingency(
  table: ReadonlyArray<ArrayLike<number>>,
  options: { correction?: boolean } = {},
): ChiSquareResult & { expected: number[][] } {
  const R = table.length;
  const C = R ? table[0].length : 0;
  if (R === 0 || C === 0 || table.some(r => r.length !== C)) {
    throw new StatsInputError('the contingency table must be a non-empty rectangle');
  }
  const rowSums = table.map(r => sum(r));
  const colSums = Array.from({ length: C }, (_, j) => sum(table.map(r => r[j])));
  const total = sum(rowSums);
  const expected = table.map((_, i) => colSums.map(cs => (rowSums[i] * cs) / total));
  if (expected.some(r => r.some(e => e === 0))) {
    throw new StatsInputError('a row or column of the contingency table is all zeros');
  }
  const dof = (R - 1) * (C - 1);
  if (dof === 0) {
    return { statistic: 0, dof: 0, pValue: 1, expected };
  }
  const terms: number[] = [];
  for (let i = 0; i < R; i++) {
    for (let j = 0; j < C; j++) {
      let o = table[i][j];
      const e = expected[i][j];
      if (dof === 1 && (options.correction ?? true)) {
        const diff = e - o;
        o += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      terms.push(((o - e) * (o - e)) / e);
    }
  }
  const statistic = sum(terms);
  return { statistic, dof, pValue: chiSquareSf(statistic, dof), expected };
}

export interface TestDriftResult extends DriftSizes {
  statistic: number;
  pValue: number;
  threshold: number;
  drifted: boolean;
}

/** Evidently's chi-square drift test for a categorical (or few-valued numeric) column. Drift when p < threshold. */
export function evidentlyChiSquare(
  ref: DriftInput,
  cur: DriftInput,
  options: { threshold?: number } = {},
): TestDriftResult & { dof: number; categories: Category[] } {
  const threshold = options.threshold ?? 0.05;
  const r = toCategorical(ref, 'reference sample');
  const c = toCategorical(cur, 'current sample');
  const categories = unionCategories(r, c);
  const kNorm = c.n / r.n;
  const expected = categories.map(k => (r.counts.get(k) ?? 0) * kNorm);
  const observed = categories.map(k => c.counts.get(k) ?? 0);
  const res = chiSquareGoodnessOfFit(observed, expected);
  return {
    ...res,
    threshold,
    drifted: res.pValue < threshold,
    categories,
    nRef: r.n,
    nCur: c.n,
    droppedRef: r.dropped,
    droppedCur: c.dropped,
  };
}

/** Evidently's two-proportion z drift test (first sorted category vs the rest). Drift when p < threshold. */
export function evidentlyZTest(
  ref: DriftInput,
  cur: DriftInput,
  options: { threshold?: number } = {},
): TestDriftResult {
  const threshold = options.threshold ?? 0.05;
  const r = toCategorical(ref, 'reference sample');
  const c = toCategorical(cur, 'current sample');
  const sizes = { nRef: r.n, nCur: c.n, droppedRef: r.dropped, droppedCur: c.dropped };
  if (r.counts.size === 1 && c.counts.size === 1 && [...r.counts.keys()][0] === [...c.counts.keys()][0]) {
    return { statistic: 0, pValue: 1, threshold, drifted: false, ...sizes };
  }
  const first = unionCategories(r, c)[0];
  const n1 = r.n;
  const n2 = c.n;
  const p1 = (n1 - (r.counts.get(first) ?? 0)) / n1;
  const p2 = (n2 - (c.counts.get(first) ?? 0)) / n2;
  const P = (p1 * n1 + p2 * n2) / (n1 + n2);
  const z = (p1 - p2) / Math.sqrt(P * (1 - P) * (1 / n1 + 1 / n2));
  const pValue = 2 * normalSf(Math.abs(z));
  return { statistic: z, pValue, threshold, drifted: pValue < threshold, ...sizes };
}

/** Evidently's KS drift test: ks_2samp (two-sided, auto). Drift when p ≤ threshold (0.05). */
export function evidentlyKs(
  ref: NumericInput,
  cur: NumericInput,
  options: { threshold?: number } = {},
): TestDriftResult & { method: 'exact' | 'asymp' } {
  const threshold = options.threshold ?? 0.05;
  const res = ks2samp(ref, cur);
  return {
    statistic: res.statistic,
    pValue: res.pValue,
    method: res.method,
    threshold,
    drifted: res.pValue <= threshold,
    nRef: res.n1,
    nCur: res.n2,
    droppedRef: res.dropped1,
    droppedCur: res.dropped2,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Evidently's default test per column, and dataset drift

export type DriftMethod = 'ks' | 'chisquare' | 'z' | 'jensenshannon' | 'wasserstein' | 'psi';

/** The test Evidently picks for a column: n_ref (after dropping missing values), u = distinct values of ref ∪ cur. */
export function evidentlyDefaultMethod(kind: FeatureKind, nRef: number, nUnique: number): DriftMethod {
  if (nRef <= 1000) {
    if (kind === 'numerical' && nUnique > 5) {
      return 'ks';
    }
    return nUnique > 2 ? 'chisquare' : 'z';
  }
  return kind === 'numerical' && nUnique > 5 ? 'wasserstein' : 'jensenshannon';
}

export interface ColumnDriftOptions extends BinningOptions {
  /** Override Evidently's default choice. */
  method?: DriftMethod;
  /** Override the method's default threshold (0.05 for p-values, 0.1 for distances). */
  threshold?: number;
}

export interface ColumnDriftResult extends DriftSizes {
  kind: FeatureKind;
  method: DriftMethod;
  /** Evidently's drift score: the p-value for ks/chisquare/z, the distance for the others. */
  score: number;
  /** The test statistic (D, χ², z) or the distance. */
  statistic: number;
  pValue?: number;
  threshold: number;
  drifted: boolean;
  /** Distinct values of reference ∪ current. */
  nUnique: number;
}

function distinctUnion(ref: DriftInput, cur: DriftInput, kind: FeatureKind): number {
  if (kind === 'numerical' && isNumericLike(ref) && isNumericLike(cur)) {
    return countDistinctUnionSorted(asNumeric(ref, 'reference sample').sorted, asNumeric(cur, 'current sample').sorted);
  }
  return unionCategories(toCategorical(ref, 'reference sample'), toCategorical(cur, 'current sample')).length;
}

/**
 * Drift of one column (a feature, the label or the prediction) with Evidently's default test for its kind and
 * size, or the given method. For label drift pass the target column: 'categorical' for classification labels,
 * 'numerical' for regression targets.
 */
export function columnDrift(ref: DriftInput, cur: DriftInput, options: ColumnDriftOptions = {}): ColumnDriftResult {
  const kind = options.kind ?? (isNumericLike(ref) && isNumericLike(cur) ? 'numerical' : 'categorical');
  const r = kind === 'numerical' ? toNumeric(ref, 'reference sample') : toCategorical(ref, 'reference sample');
  const c = kind === 'numerical' ? toNumeric(cur, 'current sample') : toCategorical(cur, 'current sample');
  const nUnique = distinctUnion(r, c, kind);
  const method = options.method ?? evidentlyDefaultMethod(kind, r.n, nUnique);
  const t = options.threshold;
  const base = { kind, method, nUnique };
  switch (method) {
    case 'ks': {
      if (kind !== 'numerical') {
        throw new StatsInputError('the KS test needs a numerical column');
      }
      const res = evidentlyKs(r as NumericSample, c as NumericSample, { threshold: t });
      return { ...base, ...fromPValueTest(res) };
    }
    case 'chisquare': {
      const res = evidentlyChiSquare(r, c, { threshold: t });
      return { ...base, ...fromPValueTest(res) };
    }
    case 'z': {
      const res = evidentlyZTest(r, c, { threshold: t });
      return { ...base, ...fromPValueTest(res) };
    }
    case 'wasserstein': {
      if (kind !== 'numerical') {
        throw new StatsInputError('the Wasserstein distance needs a numerical column');
      }
      const res = wassersteinNormed(r as NumericSample, c as NumericSample, { threshold: t });
      return {
        ...base,
        ...sizesOf(res),
        score: res.value,
        statistic: res.value,
        threshold: res.threshold,
        drifted: res.drifted,
      };
    }
    case 'jensenshannon': {
      const res = jensenShannon(r, c, { kind, integerData: options.integerData, threshold: t });
      return {
        ...base,
        ...sizesOf(res),
        score: res.value,
        statistic: res.value,
        threshold: res.threshold,
        drifted: res.drifted,
      };
    }
    case 'psi': {
      const res = psi(r, c, { kind, integerData: options.integerData, threshold: t });
      return {
        ...base,
        ...sizesOf(res),
        score: res.value,
        statistic: res.value,
        threshold: res.threshold,
        drifted: res.drifted,
      };
    }
    default:
      throw new StatsInputError(`unknown drift method "${String(method)}"`);
  }
}

/** The result fields of a p-value test (KS, chi-square, z): its score is its p-value. */
function fromPValueTest(
  res: DriftSizes & { statistic: number; pValue: number; threshold: number; drifted: boolean },
): DriftSizes & { score: number; statistic: number; pValue: number; threshold: number; drifted: boolean } {
  const { statistic, pValue, threshold, drifted } = res;
  return { ...sizesOf(res), score: pValue, statistic, pValue, threshold, drifted };
}

function sizesOf(x: DriftSizes): DriftSizes {
  return { nRef: x.nRef, nCur: x.nCur, droppedRef: x.droppedRef, droppedCur: x.droppedCur };
}

/** Dataset drift: the share of drifted columns reaches driftShare (Evidently default 0.5). */
export function datasetDrift(
  columns: ReadonlyArray<{ drifted: boolean }>,
  driftShare = 0.5,
): { nColumns: number; nDrifted: number; share: number; driftShare: number; drifted: boolean } {
  const nColumns = columns.length;
  const nDrifted = columns.filter(c => c.drifted).length;
  const share = nColumns ? nDrifted / nColumns : 0;
  return { nColumns, nDrifted, share, driftShare, drifted: nColumns > 0 && share >= driftShare };
}
