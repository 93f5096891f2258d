/**
 * Model performance on labelled rows, with scikit-learn's definitions:
 *  - accuracy: share of rows whose predicted label equals the true label (accuracy_score);
 *  - F1: binary F1 of the positive label when there are two classes (f1_score, average='binary'), macro-averaged
 *    F1 over the union of true and predicted labels otherwise (average='macro'); an undefined precision or recall
 *    counts as 0 (zero_division=0). The positive label is 1 / true / "1" / "true" / "yes" when present, else the
 *    last label in sorted order;
 *  - ROC AUC of class-1 probabilities (roc_auc_score): the Mann–Whitney U statistic / (n₊·n₋), ties at half;
 *    undefined (null) unless both classes are present;
 *  - RMSE √(Σ(y − ŷ)²/n) and MAE Σ|y − ŷ|/n (mean_squared_error(squared=False), mean_absolute_error).
 * Labels are compared as text keys (1 and "1" are the same label).
 */
import { compareCategories, sum } from '../stats';
import { PerformanceMetric } from './types';

/** Label keys of rows (null = no label). */
export type LabelKeys = (string | null)[];

const POSITIVE = ['1', 'true', 'True', 'TRUE', 'yes', 'Yes', 'YES', 'positive', '1.0'];

/** The positive label of a binary problem (see above). */
export function positiveLabel(labels: readonly string[]): string {
  for (const p of POSITIVE) {
    if (labels.includes(p)) {
      return p;
    }
  }
  return [...labels].sort(compareLabelKeys)[labels.length - 1];
}

/** Sorts numeric-looking keys numerically, others by code point (as Python sorts one type). */
export function compareLabelKeys(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb)) {
    return na - nb;
  }
  return compareCategories(a, b);
}

export function accuracy(y: LabelKeys, p: LabelKeys, rows: ArrayLike<number>): number | null {
  let n = 0;
  let hit = 0;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    const a = y[i];
    const b = p[i];
    if (a === null || b === null) {
      continue;
    }
    n++;
    if (a === b) {
      hit++;
    }
  }
  return n ? hit / n : null;
}

/** Binary F1 (two classes overall) or macro F1, over the rows. `classes`: the labels seen in both files. */
export function f1(y: LabelKeys, p: LabelKeys, rows: ArrayLike<number>, classes: readonly string[]): number | null {
  const tp = new Map<string, number>();
  const fp = new Map<string, number>();
  const fn = new Map<string, number>();
  const present = new Set<string>();
  let n = 0;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    const a = y[i];
    const b = p[i];
    if (a === null || b === null) {
      continue;
    }
    n++;
    present.add(a);
    present.add(b);
    if (a === b) {
      tp.set(a, (tp.get(a) ?? 0) + 1);
    } else {
      fp.set(b, (fp.get(b) ?? 0) + 1);
      fn.set(a, (fn.get(a) ?? 0) + 1);
    }
  }
  if (!n) {
    return null;
  }
  const score = (c: string) => {
    const t = tp.get(c) ?? 0;
    const denom = 2 * t + (fp.get(c) ?? 0) + (fn.get(c) ?? 0);
    return denom === 0 ? 0 : (2 * t) / denom;
  };
  if (classes.length === 2) {
    return score(positiveLabel(classes));
  }
  const labels = [...present].sort(compareLabelKeys);
  return sum(labels.map(score)) / labels.length;
}

/** ROC AUC of scores for the positive label; null when a class is missing in the rows. */
export function rocAuc(
  y: LabelKeys,
  scores: ArrayLike<number>,
  rows: ArrayLike<number>,
  positive: string,
): number | null {
  // U = Σ over positives of (negatives below + half the negatives tied), on the two score lists sorted as numbers
  const pos = new Float64Array(rows.length);
  const neg = new Float64Array(rows.length);
  let nPos = 0;
  let nNeg = 0;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    const v = scores[i];
    if (y[i] === null || !Number.isFinite(v)) {
      continue;
    }
    if (y[i] === positive) {
      pos[nPos++] = v;
    } else {
      neg[nNeg++] = v;
    }
  }
  if (!nPos || !nNeg) {
    return null;
  }
  const p = pos.subarray(0, nPos).sort();
  const n = neg.subarray(0, nNeg).sort();
  let u = 0;
  let below = 0;
  for (let a = 0; a < nPos;) {
    let b = a + 1;
    while (b < nPos && p[b] === p[a]) {
      b++;
    }
    const s = p[a];
    while (below < nNeg && n[below] < s) {
      below++;
    }
    let tied = below;
    while (tied < nNeg && n[tied] === s) {
      tied++;
    }
    u += (b - a) * (below + (tied - below) / 2);
    a = b;
  }
  return u / (nPos * nNeg);
}

export function rmse(y: Float64Array, p: Float64Array, rows: ArrayLike<number>): number | null {
  const terms: number[] = [];
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    const d = y[i] - p[i];
    if (Number.isFinite(d)) {
      terms.push(d * d);
    }
  }
  return terms.length ? Math.sqrt(sum(terms) / terms.length) : null;
}

export function mae(y: Float64Array, p: Float64Array, rows: ArrayLike<number>): number | null {
  const terms: number[] = [];
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    const d = y[i] - p[i];
    if (Number.isFinite(d)) {
      terms.push(Math.abs(d));
    }
  }
  return terms.length ? sum(terms) / terms.length : null;
}

/** The metric's range, for clipping NannyML's band. */
export function metricLimits(m: PerformanceMetric): { lower?: number; upper?: number } {
  return m === 'rmse' || m === 'mae' ? { lower: 0 } : { lower: 0, upper: 1 };
}
