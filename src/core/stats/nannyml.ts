/**
 * Drift statistics with the definitions and defaults of NannyML (univariate drift methods, nannyml @4c86ee3), as
 * written up in the project's research notes (§4):
 *  - Continuous Jensen–Shannon (base 2, range [0, 1]) and Hellinger √Σ(√p − √q)²/√2 on numpy 'doane' bins of
 *    the reference only; the share of the analysed data outside the reference's range (or, for categorical data,
 *    in categories the reference lacks) forms a "leftover" bin where the reference has 0.
 *  - A column counts as continuous when it has more than 50 distinct values or distinct/n > 0.1.
 *  - L∞ = max |pᵢ − qᵢ| over the union of categories; chi2 = scipy chi2_contingency on [ref counts; cur counts].
 *  - Alert band: upper = mean + 3·std (ddof 0) of the method's values on the reference chunks, no lower bound.
 */
import { StatsInputError } from './errors';
import { histogramBinEdges, histogramCounts } from './binning';
import { BinnedDistributions, chiSquareContingency, ChiSquareResult, DriftSizes, jensenShannonDistance } from './drift';
import { DriftInput, proportionsOver, toCategorical, toNumeric, unionCategories } from './driftInput';
import { asNumeric, compareCategories, countDistinctSorted, NumericInput, sum, variance } from './sample';

/** NannyML treats a numeric column as continuous when it has > 50 distinct values or distinct/n > 0.1. */
export function nannymlTreatAsContinuous(ref: NumericInput): boolean {
  const s = asNumeric(ref, 'reference sample');
  const u = countDistinctSorted(s.sorted);
  return u > 50 || u / s.n > 0.1;
}

export type NannymlKind = 'continuous' | 'categorical';

/**
 * NannyML's binned distributions: doane bins of the reference (continuous) or the reference's categories, with a
 * leftover bin (reference 0) holding the share of the analysed data that falls outside them, when there is any.
 */
export function nannymlDistributions(
  ref: DriftInput,
  cur: DriftInput,
  kind: NannymlKind,
): BinnedDistributions & DriftSizes & { leftover: number } {
  if (kind === 'continuous') {
    const r = toNumeric(ref, 'reference sample');
    const c = toNumeric(cur, 'current sample');
    const edges = histogramBinEdges(r.sorted, 'doane');
    let reference: Float64Array = histogramCounts(r.sorted, edges).map(v => v / r.n);
    const counts = histogramCounts(c.sorted, edges);
    let current: Float64Array = counts.map(v => v / c.n);
    const leftover = (c.n - sum(counts)) / c.n;
    if (leftover > 0) {
      reference = appendValue(reference, 0);
      current = appendValue(current, leftover);
    }
    return {
      binning: 'histogram',
      edges,
      reference,
      current,
      leftover,
      nRef: r.n,
      nCur: c.n,
      droppedRef: r.dropped,
      droppedCur: c.dropped,
    };
  }
  const r = toCategorical(ref, 'reference sample');
  const c = toCategorical(cur, 'current sample');
  const categories = [...r.counts.keys()].sort(compareCategories);
  let reference: Float64Array = proportionsOver(r, categories);
  let inRef = 0;
  for (const k of categories) {
    inRef += c.counts.get(k) ?? 0;
  }
  let current: Float64Array = proportionsOver(c, categories);
  const leftover = (c.n - inRef) / c.n;
  if (leftover > 0) {
    reference = appendValue(reference, 0);
    current = appendValue(current, leftover);
  }
  return {
    binning: 'categories',
    categories,
    reference,
    current,
    leftover,
    nRef: r.n,
    nCur: c.n,
    droppedRef: r.dropped,
    droppedCur: c.dropped,
  };
}

function appendValue(a: Float64Array, v: number): Float64Array {
  const out = new Float64Array(a.length + 1);
  out.set(a);
  out[a.length] = v;
  return out;
}

/** NannyML's Jensen–Shannon distance (base 2, in [0, 1]). */
export function nannymlJensenShannon(ref: DriftInput, cur: DriftInput, kind: NannymlKind): number {
  const d = nannymlDistributions(ref, cur, kind);
  return jensenShannonDistance(d.reference, d.current, 2);
}

/** Hellinger distance √Σ(√pᵢ − √qᵢ)² / √2 on NannyML's bins. */
export function nannymlHellinger(ref: DriftInput, cur: DriftInput, kind: NannymlKind): number {
  const d = nannymlDistributions(ref, cur, kind);
  return hellingerDistance(d.reference, d.current);
}

/** √Σ(√pᵢ − √qᵢ)² / √2 for two proportion vectors. */
export function hellingerDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) {
    throw new StatsInputError('the two distributions have different numbers of bins');
  }
  const terms = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const d = Math.sqrt(p[i]) - Math.sqrt(q[i]);
    terms[i] = d * d;
  }
  return Math.sqrt(sum(terms)) / Math.SQRT2;
}

/** L∞ distance max |pᵢ − qᵢ| between the category proportions of two samples (NannyML l_infinity). */
export function lInfinity(ref: DriftInput, cur: DriftInput): number {
  const r = toCategorical(ref, 'reference sample');
  const c = toCategorical(cur, 'current sample');
  let max = 0;
  for (const k of unionCategories(r, c)) {
    max = Math.max(max, Math.abs((r.counts.get(k) ?? 0) / r.n - (c.counts.get(k) ?? 0) / c.n));
  }
  return max;
}

/** NannyML's chi2 method: chi2_contingency on the 2 × K table of reference and current counts; alert when p < 0.05. */
export function nannymlChiSquare(ref: DriftInput, cur: DriftInput): ChiSquareResult & { alert: boolean } {
  const r = toCategorical(ref, 'reference sample');
  const c = toCategorical(cur, 'current sample');
  const keys = unionCategories(r, c);
  const res = chiSquareContingency([keys.map(k => r.counts.get(k) ?? 0), keys.map(k => c.counts.get(k) ?? 0)]);
  return { statistic: res.statistic, dof: res.dof, pValue: res.pValue, alert: res.pValue < 0.05 };
}

/**
 * NannyML's standard-deviation threshold on a method's values over the reference chunks:
 * upper = mean + upperMultiplier·std, lower = mean − lowerMultiplier·std (std with ddof 0), each clipped to the
 * method's limits; lowerMultiplier null (the drift default) means no lower bound.
 */
export function nannymlThreshold(
  referenceChunkValues: ArrayLike<number>,
  options: {
    upperMultiplier?: number | null;
    lowerMultiplier?: number | null;
    lowerLimit?: number;
    upperLimit?: number;
  } = {},
): { lower?: number; upper?: number; mean: number; std: number } {
  if (referenceChunkValues.length === 0) {
    throw new StatsInputError('the threshold needs at least one reference chunk');
  }
  const m = sum(referenceChunkValues) / referenceChunkValues.length;
  const std = Math.sqrt(variance(referenceChunkValues, 0));
  const up = options.upperMultiplier === undefined ? 3 : options.upperMultiplier;
  const lowM = options.lowerMultiplier ?? null;
  let upper = up === null ? undefined : m + up * std;
  let lower = lowM === null ? undefined : m - lowM * std;
  if (upper !== undefined && options.upperLimit !== undefined) {
    upper = Math.min(upper, options.upperLimit);
  }
  if (lower !== undefined && options.lowerLimit !== undefined) {
    lower = Math.max(lower, options.lowerLimit);
  }
  return { ...(lower !== undefined ? { lower } : {}), ...(upper !== undefined ? { upper } : {}), mean: m, std };
}
