/**
 * What the comparison view decides about its data before drawing (plain functions, unit-tested): which metrics are
 * curves and which are final values, the axes of the parallel-coordinates plot (missing values on their own tick,
 * a labelled tick for single-value axes, log scale for parameters spanning decades), labels that do not overlap,
 * the colour of a run by a metric, the scatter's default parameter, deltas as absolute or relative numbers, and
 * which table cells differ.
 */
import type { SeriesData } from './types';
import { CellValue, TableRow, asNumber, higherIsBetter } from './table';

// ---------------------------------------------------------------------------------------------------------
// Curves and final metrics

/**
 * Splits metric keys into curves (some run logged the metric at two or more steps) and final metrics (every run
 * logged it at most once: a test-set score, a final evaluation). Final metrics are drawn as bars, not as lines
 * that a single point cannot make.
 */
export function splitFinalMetrics(
  metricKeys: readonly string[],
  series: readonly SeriesData[],
): { curves: string[]; finals: string[] } {
  const most = new Map<string, number>();
  for (const s of series) {
    most.set(s.key, Math.max(most.get(s.key) ?? 0, s.total));
  }
  const curves: string[] = [],
    finals: string[] = [];
  for (const k of metricKeys) {
    ((most.get(k) ?? 0) >= 2 ? curves : finals).push(k);
  }
  return { curves, finals };
}

// ---------------------------------------------------------------------------------------------------------
// Parallel coordinates

/** Where a missing value sits on an axis that has some: below the values, on a tick of its own. */
export const MISSING_POS = 0;
export const MISSING_LABEL = 'missing';
/** the part of an axis that values use when a missing tick is at the bottom */
const VALUE_FLOOR = 0.16;

export interface ParallelAxis {
  name: string;
  kind: 'param' | 'metric';
  numeric: boolean;
  log: boolean;
  /** per run: position on the axis in [0, 1] (1 = top); MISSING_POS for a run without the value */
  positions: number[];
  /** per run: false where the run has no value */
  present: boolean[];
  /** labelled ticks (a value tick per distinct value when there are few, else evenly spaced; plus "missing") */
  ticks: { pos: number; label: string; missing?: boolean }[];
  /** numeric axes: the range of the values */
  min: number;
  max: number;
}

function fmtTick(v: number): string {
  if (Number.isInteger(v)) {
    return String(v);
  }
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(2) : v.toPrecision(4).replace(/\.?0+$/, '');
}

/**
 * One axis from one value per run (null = the run has no such value). Numbers are placed linearly (or on a log
 * scale when all are positive and span two decades or more); anything else is categorical, sorted. A run without
 * the value sits on the axis's "missing" tick, so its line still reaches every axis.
 */
export function parallelAxis(name: string, kind: ParallelAxis['kind'], values: readonly CellValue[]): ParallelAxis {
  const present = values.map(v => v !== null && v !== undefined && v !== '');
  const nums = values.map((v, i) => (present[i] ? asNumber(v) : undefined));
  const numeric = present.some(Boolean) && nums.every((n, i) => !present[i] || (n !== undefined && Number.isFinite(n)));
  const hasMissing = present.some(p => !p);
  const lo = hasMissing ? VALUE_FLOOR : 0;
  const place = (t: number) => lo + t * (1 - lo);
  const ticks: ParallelAxis['ticks'] = [];
  let positions: number[];
  let min = 0,
    max = 0,
    log = false;
  if (numeric) {
    const f = nums.filter((n, i): n is number => present[i] && n !== undefined);
    min = Math.min(...f);
    max = Math.max(...f);
    log = min > 0 && max / min >= 100;
    const scale = (v: number) =>
      max === min ? 0.5 : log ? Math.log(v / min) / Math.log(max / min) : (v - min) / (max - min);
    positions = nums.map((n, i) => (present[i] ? place(scale(n!)) : MISSING_POS));
    const distinct = [...new Set(f)].sort((a, b) => a - b);
    const tickValues =
      distinct.length <= 8
        ? distinct
        : log
          ? Array.from(
              { length: Math.floor(Math.log10(max)) - Math.ceil(Math.log10(min)) + 1 },
              (_, i) => 10 ** (Math.ceil(Math.log10(min)) + i),
            )
          : Array.from({ length: 5 }, (_, i) => min + (i * (max - min)) / 4);
    for (const v of tickValues) {
      ticks.push({ pos: place(scale(v)), label: fmtTick(v) });
    }
  } else {
    const cats = [...new Set(values.filter((_, i) => present[i]).map(v => String(v)))].sort((a, b) =>
      a.localeCompare(b),
    );
    const scale = (c: string) => (cats.length === 1 ? 0.5 : cats.indexOf(c) / (cats.length - 1));
    positions = values.map((v, i) => (present[i] ? place(scale(String(v))) : MISSING_POS));
    for (const c of cats) {
      ticks.push({ pos: place(scale(c)), label: c });
    }
  }
  if (hasMissing) {
    ticks.push({ pos: MISSING_POS, label: MISSING_LABEL, missing: true });
  }
  return { name, kind, numeric, log, positions, present, ticks, min, max };
}

/**
 * Which labels to draw so that none overlaps another: given label centres (pixels, any order) and the height a
 * label needs, keeps a label when it is at least `gap` from every label kept before it. Labels marked `keep`
 * (the ends of an axis, "missing") are placed first.
 */
export function nonOverlapping(centres: readonly number[], gap: number, keep: readonly boolean[] = []): boolean[] {
  const order = centres.map((_, i) => i).sort((a, b) => Number(!!keep[b]) - Number(!!keep[a]) || a - b);
  const shown = centres.map(() => false);
  const placed: number[] = [];
  for (const i of order) {
    if (placed.every(p => Math.abs(p - centres[i]) >= gap)) {
      shown[i] = true;
      placed.push(centres[i]);
    }
  }
  return shown;
}

/** Cuts a label to at most `max` characters (with an ellipsis); `max` comes from the space between axes. */
export function fitLabel(label: string, max: number): string {
  if (max <= 1) {
    return '…';
  }
  return label.length <= max ? label : label.slice(0, Math.max(1, max - 1)) + '…';
}

/**
 * The colour position of each run for "colour by metric": 0 = worst, 1 = best (by the metric's direction), null
 * for a run without a finite value. All equal: 1.
 */
export function metricColorPositions(metric: string, values: readonly CellValue[]): (number | null)[] {
  const nums = values.map(v => {
    const n = asNumber(v);
    return n !== undefined && Number.isFinite(n) ? n : null;
  });
  const f = nums.filter((n): n is number => n !== null);
  if (!f.length) {
    return nums.map(() => null);
  }
  const lo = Math.min(...f),
    hi = Math.max(...f);
  const up = higherIsBetter(metric);
  return nums.map(n => (n === null ? null : hi === lo ? 1 : up ? (n - lo) / (hi - lo) : (hi - n) / (hi - lo)));
}

/** A colour ramp readable on dark and light themes (blue = worse → yellow = better), as an rgb() string. */
export function rampColor(t: number): string {
  const stops = [
    [84, 104, 214],
    [52, 160, 190],
    [94, 190, 98],
    [230, 196, 40],
  ];
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((a, k) => Math.round(a + f * (stops[i + 1][k] - a)));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

// ---------------------------------------------------------------------------------------------------------
// Scatter

/**
 * The parameter a metric-vs-parameter scatter starts on: one that varies across the runs that have it, as many
 * runs as possible having it, numeric before categorical, more distinct values first. Null when none varies.
 */
export function pickScatterParam(paramRows: readonly Pick<TableRow, 'key' | 'values'>[]): string | null {
  let best: { key: string; score: number[] } | null = null;
  for (const r of paramRows) {
    const present = r.values.filter(v => v !== null && v !== '');
    const distinct = new Set(
      present.map(v => {
        const n = asNumber(v);
        return n !== undefined ? `n:${n}` : `s:${String(v)}`;
      }),
    ).size;
    if (present.length < 2 || distinct < 2) {
      continue;
    }
    const numeric = present.every(v => {
      const n = asNumber(v);
      return n !== undefined && Number.isFinite(n);
    });
    const score = [present.length, numeric ? 1 : 0, distinct];
    const i = best ? score.findIndex((s, k) => s !== best!.score[k]) : -1;
    if (!best || (i >= 0 && score[i] > best.score[i])) {
      best = { key: r.key, score };
    }
  }
  return best?.key ?? null;
}

// ---------------------------------------------------------------------------------------------------------
// Deltas and highlighting

export type DeltaMode = 'absolute' | 'relative';

/** A delta as the table and the run chips show it: "+0.012" (absolute) or "+1.3 %" (relative to `reference`). */
export function formatDelta(delta: number, reference: number, mode: DeltaMode): string | null {
  if (!Number.isFinite(delta)) {
    return null;
  }
  if (mode === 'relative') {
    if (!Number.isFinite(reference) || reference === 0) {
      return null;
    }
    const pct = (delta / Math.abs(reference)) * 100;
    const a = Math.abs(pct);
    return `${pct >= 0 ? '+' : '−'}${a >= 100 ? a.toFixed(0) : a >= 10 ? a.toFixed(1) : a.toPrecision(2)} %`;
  }
  const a = Math.abs(delta);
  const text = Number.isInteger(delta)
    ? String(a)
    : a >= 1e5 || a < 1e-3
      ? a.toExponential(2)
      : a.toPrecision(3).replace(/\.?0+$/, '');
  return `${delta >= 0 ? '+' : '−'}${text}`;
}

function same(a: CellValue, b: CellValue): boolean {
  if (a === b) {
    return true;
  }
  if (a === null || b === null) {
    return false;
  }
  const na = asNumber(a),
    nb = asNumber(b);
  if (na !== undefined && nb !== undefined) {
    return na === nb || (Number.isNaN(na) && Number.isNaN(nb));
  }
  return String(a) === String(b);
}

/**
 * Which cells of a row to highlight: those that differ from the reference run's value, or without a reference,
 * from the row's most common value (the first run's on a tie). A row whose values are all equal has none.
 */
export function differingCells(values: readonly CellValue[], referenceIndex = -1): boolean[] {
  let ref: CellValue;
  if (referenceIndex >= 0 && referenceIndex < values.length) {
    ref = values[referenceIndex];
  } else {
    let bestCount = 0;
    ref = values[0] ?? null;
    for (const v of values) {
      const c = values.filter(w => same(v, w)).length;
      if (c > bestCount) {
        bestCount = c;
        ref = v;
      }
    }
  }
  return values.map(v => !same(v, ref));
}

/** Every index holding the best value of a metric row (ties share it); empty when bestIndex finds none. */
export function bestIndices(metric: string, values: readonly CellValue[]): number[] {
  const b = bestIndex(metric, values);
  if (b < 0) {
    return [];
  }
  const best = asNumber(values[b]);
  return values.map((v, i) => (asNumber(v) === best ? i : -1)).filter(i => i >= 0);
}

/** The index of the best value of a metric row (by the metric's direction), or -1 when fewer than two runs have it. */
export function bestIndex(metric: string, values: readonly CellValue[]): number {
  const nums = values.map(v => {
    const n = asNumber(v);
    return n !== undefined && Number.isFinite(n) ? n : null;
  });
  if (nums.filter(n => n !== null).length < 2) {
    return -1;
  }
  const up = higherIsBetter(metric);
  let best = -1;
  nums.forEach((n, i) => {
    if (n !== null && (best < 0 || (up ? n > nums[best]! : n < nums[best]!))) {
      best = i;
    }
  });
  return nums.every(n => n === null || n === nums[best]) ? -1 : best;
}
