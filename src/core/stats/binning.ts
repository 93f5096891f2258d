/**
 * Histogram binning exactly as numpy does it (numpy 2.x, lib/_histograms_impl.py), because Evidently's PSI and
 * Jensen–Shannon and NannyML's distances are defined by numpy's bins:
 *
 *  - Outer edges: min and max of the data, widened to ±0.5 when they are equal.
 *  - Bin width by the named rule on the data: Sturges ptp/(log2 n + 1); Doane ptp/(1 + log2 n + log2(1 + |g1|/σ_g1))
 *    with g1 the population skewness and σ_g1 = √(6(n−2)/((n+1)(n+3))) (n > 2 and σ > 0, else width 0).
 *    For integer-typed data a width below 1 becomes 1.
 *  - Bin count ceil((last − first)/width) (1 when the width is 0) — computed from the width, not from the formula
 *    directly, which reproduces numpy's rounding (e.g. 8 Sturges bins at n = 64 for some ranges).
 *  - Edges: numpy.linspace(first, last, count + 1): edge i = i·step + first, last edge = last exactly.
 *  - Counts: bins are [eᵢ, eᵢ₊₁) except the last, [e_{k−1}, e_k]; values outside the edges are not counted.
 */
import { mean, sum } from './sample';

export type BinRule = 'sturges' | 'doane';

/** numpy.linspace(start, stop, num) with endpoint=True. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const div = num - 1;
  const delta = stop - start;
  const step = delta / div;
  for (let i = 0; i < num; i++) {
    out[i] = step === 0 ? (i / div) * delta + start : i * step + start;
  }
  out[num - 1] = stop;
  return out;
}

function binWidth(sorted: Float64Array, rule: BinRule): number {
  const n = sorted.length;
  const ptp = sorted[n - 1] - sorted[0];
  if (rule === 'sturges') {
    return ptp / (Math.log2(n) + 1);
  }
  if (n <= 2) {
    return 0;
  }
  const sg1 = Math.sqrt((6 * (n - 2)) / ((n + 1) * (n + 3)));
  const m = mean(sorted);
  const dev = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = sorted[i] - m;
    dev[i] = d * d;
  }
  const sigma = Math.sqrt(sum(dev) / n);
  if (!(sigma > 0)) {
    return 0;
  }
  for (let i = 0; i < n; i++) {
    dev[i] = Math.pow((sorted[i] - m) / sigma, 3);
  }
  const g1 = sum(dev) / n;
  return ptp / (1 + Math.log2(n) + Math.log2(1 + Math.abs(g1) / sg1));
}

/**
 * numpy.histogram_bin_edges(data, bins=rule) for a sorted, finite, non-empty sample.
 * `integerData`: the data has an integer dtype in the original tool (pandas int64 column), which makes numpy
 * raise a width below 1 to 1.
 */
export function histogramBinEdges(sorted: Float64Array, rule: BinRule, integerData = false): Float64Array {
  if (rule === 'sturges') {
    return sturgesEdges(sorted[0], sorted[sorted.length - 1], sorted.length, integerData);
  }
  return edgesFromWidth(sorted[0], sorted[sorted.length - 1], binWidth(sorted, rule), integerData);
}

/** Sturges edges need only the range and the size: numpy.histogram_bin_edges(data, 'sturges') for such data. */
export function sturgesEdges(min: number, max: number, n: number, integerData = false): Float64Array {
  return edgesFromWidth(min, max, (max - min) / (Math.log2(n) + 1), integerData);
}

function edgesFromWidth(min: number, max: number, w: number, integerData: boolean): Float64Array {
  let first = min;
  let last = max;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  let width = w;
  let count = 1;
  if (width) {
    if (integerData && width < 1) {
      width = 1;
    }
    count = Math.ceil((last - first) / width);
  }
  return linspace(first, last, count + 1);
}

/** Index of the first element ≥ x (side='left'). */
export function lowerBound(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/** Index of the first element > x (side='right'). */
export function upperBound(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/** numpy.histogram(data, bins=edges)[0] for sorted data. */
export function histogramCounts(sorted: Float64Array, edges: ArrayLike<number>): Float64Array {
  const k = edges.length - 1;
  const counts = new Float64Array(Math.max(k, 0));
  if (k < 1) {
    return counts;
  }
  let prev = lowerBound(sorted, edges[0]);
  for (let i = 1; i <= k; i++) {
    const at = i === k ? upperBound(sorted, edges[i]) : lowerBound(sorted, edges[i]);
    counts[i - 1] = at - prev;
    prev = at;
  }
  return counts;
}

/** Number of distinct values in the union of two sorted arrays (no allocation). */
export function countDistinctUnionSorted(a: Float64Array, b: Float64Array): number {
  let i = 0,
    j = 0,
    u = 0;
  while (i < a.length || j < b.length) {
    const v = i < a.length && (j >= b.length || a[i] <= b[j]) ? a[i] : b[j];
    while (i < a.length && a[i] === v) {
      i++;
    }
    while (j < b.length && b[j] === v) {
      j++;
    }
    u++;
  }
  return u;
}

/**
 * numpy.quantile(sorted, q) with the default 'linear' method, computed as numpy does it: the virtual index
 * (n − 1)·q, its floor and the next index (the last value at or above n − 1), and numpy's lerp (from the upper
 * end when γ ≥ 0.5).
 */
export function quantileLinear(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const virtual = (n - 1) * q;
  if (virtual >= n - 1) {
    return sorted[n - 1];
  }
  if (virtual < 0) {
    return sorted[0];
  }
  const below = Math.floor(virtual);
  const above = below + 1;
  const gamma = virtual - below;
  const a = sorted[below];
  const b = sorted[above];
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/**
 * Fixed reference-quantile bins: the interior edges numpy.unique(numpy.quantile(reference, [1/k, …, (k−1)/k]))
 * (k = 10: deciles). The bins are (−∞, e₁], (e₁, e₂], …, (e_{k−1}, ∞) — right-closed, as pandas.qcut — so
 * every window is binned the same way whatever its own range.
 */
export function quantileEdges(sortedReference: ArrayLike<number>, k = 10): Float64Array {
  const out: number[] = [];
  for (let i = 1; i < k; i++) {
    const e = quantileLinear(sortedReference, i / k);
    if (!out.length || e > out[out.length - 1]) {
      out.push(e);
    }
  }
  return Float64Array.from(out);
}

/** Counts of sorted values in the right-closed bins of quantileEdges (numpy.searchsorted(edges, x, 'left')). */
export function rightClosedCounts(sorted: ArrayLike<number>, interiorEdges: ArrayLike<number>): Float64Array {
  const counts = new Float64Array(interiorEdges.length + 1);
  let prev = 0;
  for (let i = 0; i < interiorEdges.length; i++) {
    const at = upperBound(sorted, interiorEdges[i]);
    counts[i] = at - prev;
    prev = at;
  }
  counts[interiorEdges.length] = sorted.length - prev;
  return counts;
}
