/**
 * Sample preparation shared by every test: non-finite values are dropped and counted (never silently), numeric
 * samples are kept as one sorted Float64Array (no per-row objects), categorical samples as value counts.
 *
 * A prepared sample can be passed to every function in place of a raw array, so a drift report that runs KS,
 * PSI and Wasserstein on the same column sorts it once.
 */
import { EmptySampleError, StatsInputError } from './errors';

/** How many values were dropped from a sample before a test, by kind. */
export interface DroppedCounts {
  nan: number;
  posInf: number;
  negInf: number;
  /** null / undefined entries (categorical samples only; numeric arrays cannot hold them). */
  missing: number;
}

export const noneDropped = (): DroppedCounts => ({ nan: 0, posInf: 0, negInf: 0, missing: 0 });
export const droppedTotal = (d: DroppedCounts): number => d.nan + d.posInf + d.negInf + d.missing;

/** A numeric sample with non-finite values removed, sorted ascending. Build it with prepareNumeric. */
export interface NumericSample {
  readonly kind: 'numeric-sample';
  /** The finite values, ascending. Do not modify. */
  readonly sorted: Float64Array;
  readonly n: number;
  readonly dropped: DroppedCounts;
}

export type NumericInput = ArrayLike<number> | NumericSample;

function isNumericSample(x: unknown): x is NumericSample {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'numeric-sample';
}

/**
 * Copies the finite values of `values` into a sorted Float64Array and counts NaN, +∞ and −∞ (Evidently replaces
 * ±∞ with NaN and drops NaN; scipy would propagate NaN instead — we drop and report). Throws EmptySampleError
 * when nothing finite is left; `what` names the sample in that message ("reference sample", "group A").
 */
export function prepareNumeric(values: ArrayLike<number>, what = 'sample'): NumericSample {
  const dropped = noneDropped();
  const out = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') {
      if (v === null || v === undefined) {
        dropped.missing++;
        continue;
      }
      throw new StatsInputError(`the ${what} contains a value that is not a number (${JSON.stringify(v)})`);
    }
    if (v === Infinity) {
      dropped.posInf++;
    } else if (v === -Infinity) {
      dropped.negInf++;
    } else if (Number.isNaN(v)) {
      dropped.nan++;
    } else {
      out[n++] = v;
    }
  }
  if (n === 0) {
    throw new EmptySampleError(emptyMessage(what, values.length, dropped));
  }
  const sorted = n === out.length ? out : out.slice(0, n);
  sorted.sort();
  return { kind: 'numeric-sample', sorted, n, dropped };
}

/** Returns a prepared sample as is, or prepares a raw array. */
export function asNumeric(input: NumericInput, what = 'sample'): NumericSample {
  return isNumericSample(input) ? input : prepareNumeric(input, what);
}

function emptyMessage(what: string, total: number, d: DroppedCounts): string {
  if (total === 0) {
    return `the ${what} is empty`;
  }
  const parts: string[] = [];
  if (d.nan) {
    parts.push(`${d.nan} NaN`);
  }
  if (d.posInf + d.negInf) {
    parts.push(`${d.posInf + d.negInf} infinite`);
  }
  if (d.missing) {
    parts.push(`${d.missing} missing`);
  }
  return `the ${what} has no finite values (${total} given: ${parts.join(', ')})`;
}

// ---------------------------------------------------------------------------------------------------------------
// Categorical samples

export type Category = string | number | boolean;
export type CategoricalValue = Category | null | undefined;

/** Value counts of a categorical sample, with missing values dropped and counted. Build it with prepareCategorical. */
export interface CategoricalSample {
  readonly kind: 'categorical-sample';
  readonly counts: ReadonlyMap<Category, number>;
  readonly n: number;
  readonly dropped: DroppedCounts;
}

export type CategoricalInput = ArrayLike<CategoricalValue> | CategoricalSample;

function isCategoricalSample(x: unknown): x is CategoricalSample {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'categorical-sample';
}

/**
 * Counts the categories of `values`; null, undefined and NaN are dropped (as pandas' dropna does), ±∞ are
 * dropped too (Evidently's preprocessing). Categories compare by value and type: 1 and "1" differ, as in pandas.
 */
export function prepareCategorical(values: ArrayLike<CategoricalValue>, what = 'sample'): CategoricalSample {
  const dropped = noneDropped();
  const counts = new Map<Category, number>();
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      dropped.missing++;
      continue;
    }
    if (typeof v === 'number') {
      if (Number.isNaN(v)) {
        dropped.nan++;
        continue;
      }
      if (v === Infinity) {
        dropped.posInf++;
        continue;
      }
      if (v === -Infinity) {
        dropped.negInf++;
        continue;
      }
    }
    const key = typeof v === 'number' && Object.is(v, -0) ? 0 : v;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    n++;
  }
  if (n === 0) {
    throw new EmptySampleError(emptyMessage(what, values.length, dropped));
  }
  return { kind: 'categorical-sample', counts, n, dropped };
}

/** Builds a categorical sample from counts already made elsewhere (e.g. a streaming CSV reader). */
export function categoricalFromCounts(
  counts: ReadonlyMap<Category, number> | Record<string, number>,
  what = 'sample',
  dropped: DroppedCounts = noneDropped(),
): CategoricalSample {
  const map = counts instanceof Map ? new Map(counts) : new Map<Category, number>(Object.entries(counts));
  let n = 0;
  for (const [k, c] of map) {
    if (!Number.isInteger(c) || c < 0) {
      throw new StatsInputError(
        `the count of category ${JSON.stringify(k)} in the ${what} is not a non-negative integer`,
      );
    }
    if (c === 0) {
      map.delete(k);
    }
    n += c;
  }
  if (n === 0) {
    throw new EmptySampleError(`the ${what} is empty`);
  }
  return { kind: 'categorical-sample', counts: map, n, dropped };
}

export function asCategorical(input: CategoricalInput, what = 'sample'): CategoricalSample {
  return isCategoricalSample(input) ? input : prepareCategorical(input, what);
}

/** The numeric sample's distinct values with their counts, as a categorical sample (Evidently's per-value bins). */
export function numericAsCategorical(s: NumericSample): CategoricalSample {
  const counts = new Map<Category, number>();
  const a = s.sorted;
  for (let i = 0; i < a.length;) {
    let j = i + 1;
    while (j < a.length && a[j] === a[i]) {
      j++;
    }
    counts.set(a[i] === 0 ? 0 : a[i], j - i);
    i = j;
  }
  return { kind: 'categorical-sample', counts, n: s.n, dropped: s.dropped };
}

/**
 * A fixed total order on categories, as Python's sorted() gives for a column of one type: numbers numerically,
 * strings by code point (not UTF-16 unit), false < true. Mixed types (which Python cannot sort) go numbers,
 * then booleans, then strings.
 */
export function compareCategories(a: Category, b: Category): number {
  const rank = (v: Category) => (typeof v === 'number' ? 0 : typeof v === 'boolean' ? 1 : 2);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) {
    return ra - rb;
  }
  if (ra === 0) {
    return (a as number) - (b as number);
  }
  if (ra === 1) {
    return Number(a) - Number(b);
  }
  const sa = a as string;
  const sb = b as string;
  // code-point order, as Python compares str (JS < compares UTF-16 code units)
  const ia = sa[Symbol.iterator]();
  const ib = sb[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) {
      return x.done && y.done ? 0 : x.done ? -1 : 1;
    }
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) {
      return cx - cy;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Small numeric helpers

/** Neumaier-compensated sum (error independent of n, unlike naive summation). */
export function sum(values: ArrayLike<number>): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const t = s + v;
    c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  return Number.isFinite(s) ? s + c : s; // with an infinite term the correction is NaN; the plain sum is right
}

export function mean(values: ArrayLike<number>): number {
  return sum(values) / values.length;
}

/** Σ(x − mean)² / (n − ddof), two-pass with a compensated sum; ddof = 0 is np.var/np.std's default. */
export function variance(values: ArrayLike<number>, ddof = 0): number {
  const m = mean(values);
  const dev = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const d = values[i] - m;
    dev[i] = d * d;
  }
  return sum(dev) / (values.length - ddof);
}

/** Number of distinct values of a sorted array. */
export function countDistinctSorted(sorted: ArrayLike<number>): number {
  let u = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) {
      u++;
    }
  }
  return u;
}

/** Round half to even, as numpy's np.round / Python's round do for floats. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
