/**
 * Multiple-comparison control and the two-sample tests the calibrated drift verdict uses:
 *  - Holm's step-down adjusted p-values (family-wise error, any dependence) and Benjamini–Hochberg's step-up
 *    adjusted p-values (false-discovery rate, independence or positive dependence) — the values
 *    statsmodels.stats.multitest.multipletests(ps, method='holm' | 'fdr_bh') returns;
 *  - a chi-square test of homogeneity of two category-count vectors (reference against current, both sampled:
 *    scipy.stats.chi2_contingency on the 2 × k table), with rare categories pooled so the approximation holds;
 *  - a seeded generator (mulberry32) for reproducible resampling.
 */
import { Category } from './sample';
import { chiSquareContingency } from './drift';
import { StatsInputError } from './errors';

export type Correction = 'holm' | 'bh';

/** Holm's adjusted p-values: p̃_(k) = max_{j ≤ k} min(1, (m − j + 1)·p_(j)), in the input order. */
export function holmAdjust(ps: readonly number[]): number[] {
  const m = ps.length;
  const order = ps.map((p, i) => ({ p: Number.isNaN(p) ? 1 : p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach((o, k) => {
    running = Math.max(running, Math.min(1, (m - k) * o.p));
    out[o.i] = running;
  });
  return out;
}

/** Benjamini–Hochberg adjusted p-values: p̃_(k) = min_{j ≥ k} min(1, m·p_(j)/j), in the input order. */
export function bhAdjust(ps: readonly number[]): number[] {
  const m = ps.length;
  const order = ps.map((p, i) => ({ p: Number.isNaN(p) ? 1 : p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const out = new Array<number>(m);
  let running = 1;
  for (let k = m - 1; k >= 0; k--) {
    running = Math.min(running, Math.min(1, (m * order[k].p) / (k + 1)));
    out[order[k].i] = running;
  }
  return out;
}

export function adjustPValues(ps: readonly number[], correction: Correction): number[] {
  return correction === 'holm' ? holmAdjust(ps) : bhAdjust(ps);
}

/** Categories with fewer than this many values in both samples together are pooled into one cell. */
export const HOMOGENEITY_MIN_COUNT = 10;

/**
 * Chi-square test of homogeneity of two samples' category counts (2 × k contingency table, Yates' correction at
 * one degree of freedom as scipy does). Categories seen fewer than HOMOGENEITY_MIN_COUNT times in both samples
 * together are pooled into one cell (kept only when it reaches that count too), so the chi-square
 * approximation holds for ids and rare levels. p = 1 when fewer than two cells remain.
 */
export function chiSquareHomogeneity(
  reference: ReadonlyMap<Category, number>,
  current: ReadonlyMap<Category, number>,
): { statistic: number; dof: number; pValue: number; cells: number } {
  const keys = new Set<Category>([...reference.keys(), ...current.keys()]);
  const r: number[] = [];
  const c: number[] = [];
  let poolR = 0;
  let poolC = 0;
  for (const k of keys) {
    const a = reference.get(k) ?? 0;
    const b = current.get(k) ?? 0;
    if (a + b >= HOMOGENEITY_MIN_COUNT) {
      r.push(a);
      c.push(b);
    } else {
      poolR += a;
      poolC += b;
    }
  }
  if (poolR + poolC >= HOMOGENEITY_MIN_COUNT) {
    r.push(poolR);
    c.push(poolC);
  }
  const nr = r.reduce((s, x) => s + x, 0);
  const nc = c.reduce((s, x) => s + x, 0);
  if (r.length < 2 || nr === 0 || nc === 0) {
    return { statistic: 0, dof: 0, pValue: 1, cells: r.length };
  }
  const t = chiSquareContingency([r, c]);
  return { statistic: t.statistic, dof: t.dof, pValue: t.pValue, cells: r.length };
}

/** A seeded uniform generator on [0, 1) (mulberry32): the same seed gives the same stream everywhere. */
export function seededRandom(seed: number): () => number {
  if (!Number.isFinite(seed)) {
    throw new StatsInputError('the seed must be a finite number');
  }
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
