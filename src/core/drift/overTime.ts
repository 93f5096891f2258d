/**
 * Drift and performance over time, the NannyML way:
 *  - Chunks: the current data in time order (when a time column is given; rows without a time are left out) is
 *    split into `chunks` chunks of ⌊n/chunks⌋ rows, the remainder going to the last one (NannyML's
 *    CountBasedChunker with incomplete='append'), or into calendar periods (UTC hour/day/ISO week/month). The
 *    reference is chunked the same way (by count, or by period when it has the time column).
 *  - Drift per chunk: NannyML's default univariate method, the Jensen–Shannon distance (base 2) of the chunk
 *    against the whole reference — doane bins of the reference for numerical columns, the reference's categories
 *    for categorical ones, plus a leftover bin for what falls outside them. Alert above mean + 3σ (ddof 0) of the
 *    reference chunks' values.
 *  - Performance per chunk (when target and prediction exist): accuracy/F1 (labels), ROC AUC/accuracy/F1
 *    (probabilities, labels at p ≥ 0.5), RMSE/MAE (regression), with NannyML's band mean ± 3σ of the reference
 *    chunks, clipped to the metric's range; an alert outside the band, "degraded" on the worse side.
 */
import {
  Category,
  categoricalFromCounts,
  chiSquareHomogeneity,
  histogramBinEdges,
  histogramCounts,
  jensenShannonDistance,
  ks2samp,
  nannymlJensenShannon,
  nannymlThreshold,
  NumericSample,
  prepareNumeric,
  psiOfProportions,
  quantilePsi,
  StatsInputError,
} from '../stats';
import { calibratedBand } from './calibrate';
import { Column, MISSING_CODE } from './columns';
import { Table } from './dataset';
import { accuracy, compareLabelKeys, f1, LabelKeys, mae, metricLimits, positiveLabel, rmse, rocAuc } from './metrics';
import { alignKeys, PreparedColumn } from './sides';
import {
  ChunkInfo,
  ChunkPeriod,
  DriftReport,
  DriftSeries,
  EffectiveSettings,
  HIGHER_IS_BETTER,
  MetricSeries,
  OverTime,
  PerformanceMetric,
  Task,
} from './types';

export interface OverTimeInput {
  reference: Table;
  current: Table;
  settings: EffectiveSettings;
  target: string | null;
  prediction: string | null;
  time: string | null;
  task: Task | null;
  predictionKind: DriftReport['predictionKind'];
  prepared: PreparedColumn[];
  warnings: string[];
}

const MAX_PERIOD_CHUNKS = 500;

/** Time keys of a column (ms for datetimes, the numbers otherwise), NaN where missing. */
function timeKeys(col: Column | undefined): Float64Array | null {
  if (!col) {
    return null;
  }
  if (col.times) {
    return col.times;
  }
  if (col.numbers) {
    return col.numbers;
  }
  return null;
}

/** Row indices in time order (stable), leaving out rows without a time. */
export function timeOrder(keys: Float64Array | null, n: number): { order: Uint32Array; dropped: number } {
  if (!keys) {
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      order[i] = i;
    }
    return { order, dropped: 0 };
  }
  let m = 0;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    if (!Number.isNaN(keys[i])) {
      order[m++] = i;
    }
  }
  const out = order.slice(0, m);
  let sorted = true;
  for (let k = 1; k < m; k++) {
    if (keys[out[k]] < keys[out[k - 1]]) {
      sorted = false;
      break;
    }
  }
  if (!sorted) {
    out.sort((a, b) => keys[a] - keys[b] || a - b);
  }
  return { order: out, dropped: n - m };
}

/** NannyML's count chunks of an ordered row list. */
export function countChunks(order: Uint32Array, k: number): Uint32Array[] {
  const n = order.length;
  const size = Math.floor(n / k);
  const out: Uint32Array[] = [];
  for (let i = 0; i < k; i++) {
    out.push(order.subarray(i * size, i === k - 1 ? n : (i + 1) * size));
  }
  return out;
}

function periodKey(ms: number, period: ChunkPeriod): number {
  const day = Math.floor(ms / 86_400_000);
  switch (period) {
    case 'hour':
      return Math.floor(ms / 3_600_000);
    case 'day':
      return day;
    case 'week':
      return Math.floor((day + 3) / 7); // weeks start on Monday (1970-01-05 was one)
    default: {
      const d = new Date(ms);
      return d.getUTCFullYear() * 12 + d.getUTCMonth();
    }
  }
}

function periodStart(key: number, period: ChunkPeriod): number {
  switch (period) {
    case 'hour':
      return key * 3_600_000;
    case 'day':
      return key * 86_400_000;
    case 'week':
      return (key * 7 - 3) * 86_400_000;
    default:
      return Date.UTC(Math.floor(key / 12), key % 12, 1);
  }
}

function periodLabel(ms: number, period: ChunkPeriod): string {
  const iso = new Date(ms).toISOString();
  switch (period) {
    case 'hour':
      return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
    case 'day':
      return iso.slice(0, 10);
    case 'week':
      return `week of ${iso.slice(0, 10)}`;
    default:
      return iso.slice(0, 7);
  }
}

/** Period chunks of rows in time order (keys in ms). */
export function periodChunks(
  order: Uint32Array,
  keys: Float64Array,
  period: ChunkPeriod,
): { rows: Uint32Array; key: number }[] {
  const out: { rows: Uint32Array; key: number }[] = [];
  let start = 0;
  for (let i = 1; i <= order.length; i++) {
    if (i === order.length || periodKey(keys[order[i]], period) !== periodKey(keys[order[start]], period)) {
      out.push({ rows: order.subarray(start, i), key: periodKey(keys[order[start]], period) });
      start = i;
    }
  }
  return out;
}

function fmtTime(ms: number, dateOnly: boolean): string {
  const iso = new Date(ms).toISOString();
  return dateOnly ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

interface Chunking {
  chunks: Uint32Array[];
  info: ChunkInfo[];
  period: ChunkPeriod;
}

function chunkTable(
  n: number,
  keys: Float64Array | null,
  isDatetime: boolean,
  settings: EffectiveSettings,
  k: number,
  warnings: string[] | null,
  what: string,
): Chunking | null {
  const { order, dropped } = timeOrder(keys, n);
  if (dropped && warnings) {
    warnings.push(
      `${dropped.toLocaleString('en-US')} ${what} row${dropped === 1 ? '' : 's'} without a time ${dropped === 1 ? 'is' : 'are'} left out of the analysis over time.`,
    );
  }
  let period = settings.period;
  if (period !== 'count' && !(keys && isDatetime)) {
    if (warnings) {
      warnings.push(`Chunking by ${period} needs a datetime time column; chunks are by row count instead.`);
    }
    period = 'count';
  }
  if (period !== 'count' && keys) {
    const groups = periodChunks(order, keys, period);
    if (groups.length <= MAX_PERIOD_CHUNKS) {
      return {
        period,
        chunks: groups.map(g => g.rows),
        info: groups.map((g, i) => ({
          index: i,
          label: periodLabel(periodStart(g.key, period), period),
          start: keys[g.rows[0]],
          end: keys[g.rows[g.rows.length - 1]],
          rows: g.rows.length,
        })),
      };
    }
    if (warnings) {
      warnings.push(
        `Chunking by ${period} gives ${groups.length} chunks (more than ${MAX_PERIOD_CHUNKS}); chunks are by row count instead.`,
      );
    }
    period = 'count';
  }
  const kk = Math.min(k, Math.floor(order.length / 2));
  if (kk < 2) {
    return null;
  }
  const chunks = countChunks(order, kk);
  let offset = 0;
  const info = chunks.map((rows, i) => {
    const first = offset + 1;
    offset += rows.length;
    if (keys && isDatetime) {
      const s = keys[rows[0]];
      const e = keys[rows[rows.length - 1]];
      const dateOnly = e - s >= 2 * 86_400_000;
      return {
        index: i,
        label: `${fmtTime(s, dateOnly)} – ${fmtTime(e, dateOnly)}`,
        start: s,
        end: e,
        rows: rows.length,
      };
    }
    if (keys) {
      return {
        index: i,
        label: `${keys[rows[0]]} – ${keys[rows[rows.length - 1]]}`,
        start: keys[rows[0]],
        end: keys[rows[rows.length - 1]],
        rows: rows.length,
      };
    }
    return {
      index: i,
      label: `rows ${first.toLocaleString('en-US')}–${offset.toLocaleString('en-US')}`,
      start: null,
      end: null,
      rows: rows.length,
    };
  });
  return { chunks, info, period: 'count' };
}

// ---------------------------------------------------------------------------------------------------------------
// Drift per chunk

/** NannyML's continuous Jensen–Shannon of some rows against reference proportions on reference doane edges. */
export function chunkJsContinuous(
  edges: Float64Array,
  refProportions: Float64Array,
  values: Float64Array,
  rows: ArrayLike<number>,
): number | null {
  const k = edges.length - 1;
  const counts = new Float64Array(k);
  let n = 0;
  let leftover = 0;
  const lo = edges[0];
  const hi = edges[k];
  const norm = k / (hi - lo);
  for (let r = 0; r < rows.length; r++) {
    const v = values[rows[r]];
    if (!Number.isFinite(v)) {
      continue;
    }
    n++;
    if (v < lo || v > hi) {
      leftover++;
      continue;
    }
    // the bin by arithmetic, corrected against the edges (as numpy.histogram does for equal-width bins)
    let idx = Math.floor((v - lo) * norm);
    if (idx >= k) {
      idx = k - 1;
    } else if (idx < 0) {
      idx = 0;
    }
    while (idx > 0 && v < edges[idx]) {
      idx--;
    }
    while (idx < k - 1 && v >= edges[idx + 1]) {
      idx++;
    }
    counts[idx]++;
  }
  if (!n) {
    return null;
  }
  let ref = refProportions;
  let cur: Float64Array = counts.map(c => c / n);
  if (leftover > 0) {
    const r2 = new Float64Array(k + 1);
    r2.set(ref);
    ref = r2;
    const c2 = new Float64Array(k + 1);
    c2.set(cur);
    c2[k] = leftover / n;
    cur = c2;
  }
  return jensenShannonDistance(ref, cur, 2);
}

/** One column's drift per chunk (NannyML's Jensen–Shannon) and its alert threshold. */
export function driftSeries(p: PreparedColumn, plan: ChunkPlan): DriftSeries {
  const cur = plan.cur;
  const ref = plan.ref;
  let chunkValue: (rows: ArrayLike<number>, side: 'ref' | 'cur') => number | null;
  // the verdict's per-chunk test against the whole reference, and PSI on fixed reference bins
  let chunkTest: (rows: ArrayLike<number>) => { p: number; psi: number } | null;
  if (p.type === 'numerical') {
    const refSorted = (p.refSample as NumericSample).sorted;
    const edges = histogramBinEdges(refSorted, 'doane');
    const refProps = histogramCounts(refSorted, edges).map(c => c / refSorted.length);
    const curValues = p.cur.numeric('current sample').values;
    const refValues = p.ref.numeric('reference sample').values;
    chunkValue = (rows, side) => chunkJsContinuous(edges, refProps, side === 'cur' ? curValues : refValues, rows);
    const refSample = p.refSample as NumericSample;
    chunkTest = rows => {
      const v = new Float64Array(rows.length);
      for (let k = 0; k < rows.length; k++) {
        v[k] = curValues[rows[k]];
      }
      let s: NumericSample;
      try {
        s = prepareNumeric(v, 'chunk');
      } catch (e) {
        if (e instanceof StatsInputError) {
          return null;
        }
        throw e;
      }
      return {
        p: ks2samp(refSample, s, { method: 'asymp' }).pValue,
        psi: quantilePsi(refSample.sorted, s.sorted).value,
      };
    };
  } else {
    const fromNumbers = (p.refSample as { kind: string }).kind === 'numeric-sample';
    const countsOf = (side: 'ref' | 'cur', rows?: ArrayLike<number>): Map<Category, number> => {
      const s = side === 'cur' ? p.cur : p.ref;
      if (fromNumbers) {
        const values = s.numeric(side === 'cur' ? 'current sample' : 'reference sample').values;
        const m = new Map<Category, number>();
        const it = rows ?? { length: values.length };
        for (let k = 0; k < it.length; k++) {
          const v = values[rows ? rows[k] : k];
          if (!Number.isFinite(v)) {
            continue;
          }
          const key = v === 0 ? 0 : v;
          m.set(key, (m.get(key) ?? 0) + 1);
        }
        return m;
      }
      return s.categoryCounts(side === 'cur' ? 'current sample' : 'reference sample', rows).counts;
    };
    const refAll = countsOf('ref');
    chunkTest = rows => {
      const c = countsOf('cur', rows);
      if (!c.size) {
        return null;
      }
      const [a, b] = alignKeys(refAll, c);
      const keys = [...new Set([...a.keys(), ...b.keys()])];
      const na = [...a.values()].reduce((x, y) => x + y, 0);
      const nb = [...b.values()].reduce((x, y) => x + y, 0);
      return {
        p: chiSquareHomogeneity(a, b).pValue,
        psi: psiOfProportions(
          keys.map(k => (a.get(k) ?? 0) / na),
          keys.map(k => (b.get(k) ?? 0) / nb),
          true,
        ),
      };
    };
    chunkValue = (rows, side) => {
      const c = countsOf(side, rows);
      if (!c.size) {
        return null;
      }
      const [a, b] = alignKeys(refAll, c);
      return nannymlJensenShannon(
        categoricalFromCounts(a, 'reference sample'),
        categoricalFromCounts(b, 'chunk'),
        'categorical',
      );
    };
  }
  const values = cur.chunks.map(rows => chunkValue(rows, 'cur'));
  const referenceValues = ref ? ref.chunks.map(rows => chunkValue(rows, 'ref')) : [];
  const finiteRef = referenceValues.filter((v): v is number => v !== null);
  const upper =
    finiteRef.length >= 2 ? Math.min(1, nannymlThreshold(finiteRef, { lowerMultiplier: null }).upper!) : null;
  const tests = cur.chunks.map(rows => chunkTest(rows));
  return {
    name: p.name,
    role: p.role,
    type: p.type,
    values,
    referenceValues,
    upper,
    alerts: values.map(v => v !== null && upper !== null && v > upper),
    pValues: tests.map(t => t?.p ?? null),
    psi: tests.map(t => t?.psi ?? null),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Performance per chunk

function labelKeys(col: Column): LabelKeys {
  const out: LabelKeys = new Array(col.length).fill(null);
  if (col.codes && col.dictionary) {
    const dict =
      col.dtype === 'boolean' ? col.dictionary.map(t => (/^true$/i.test(t) ? 'True' : 'False')) : col.dictionary;
    for (let i = 0; i < col.length; i++) {
      const c = col.codes[i];
      if (c !== MISSING_CODE) {
        out[i] = dict[c];
      }
    }
  } else if (col.numbers) {
    for (let i = 0; i < col.length; i++) {
      const v = col.numbers[i];
      if (Number.isFinite(v)) {
        out[i] = String(v === 0 ? 0 : v);
      }
    }
  }
  return out;
}

export interface Scorer {
  metrics: PerformanceMetric[];
  score(metric: PerformanceMetric, rows: ArrayLike<number>): number | null;
  unlabelled(rows: ArrayLike<number>): number;
}

function scorer(
  t: Table,
  target: string,
  prediction: string,
  task: Task,
  kind: DriftReport['predictionKind'],
  classes: string[],
): Scorer | null {
  const yc = t.columns.find(c => c.name === target);
  const pc = t.columns.find(c => c.name === prediction);
  if (!yc || !pc) {
    return null;
  }
  if (task === 'regression') {
    const y = yc.numbers;
    const p = pc.numbers;
    if (!y || !p) {
      return null;
    }
    return {
      metrics: ['rmse', 'mae'],
      score: (m, rows) => (m === 'rmse' ? rmse(y, p, rows) : mae(y, p, rows)),
      unlabelled: rows => {
        let u = 0;
        for (let k = 0; k < rows.length; k++) {
          if (!Number.isFinite(y[rows[k]] - p[rows[k]])) {
            u++;
          }
        }
        return u;
      },
    };
  }
  const y = labelKeys(yc);
  let predicted: LabelKeys;
  let scores: Float64Array | null = null;
  let positive = '';
  if (kind === 'probabilities') {
    if (classes.length !== 2 || !pc.numbers) {
      return null;
    }
    positive = positiveLabel(classes);
    const negative = classes.find(c => c !== positive)!;
    scores = pc.numbers;
    const s = scores;
    predicted = Array.from(s, v => (Number.isFinite(v) ? (v >= 0.5 ? positive : negative) : null));
  } else {
    predicted = labelKeys(pc);
  }
  const metrics: PerformanceMetric[] = scores ? ['auc', 'accuracy', 'f1'] : ['accuracy', 'f1'];
  return {
    metrics,
    score: (m, rows) => {
      if (m === 'accuracy') {
        return accuracy(y, predicted, rows);
      }
      if (m === 'f1') {
        return f1(y, predicted, rows, classes);
      }
      if (m === 'auc' && scores) {
        return rocAuc(y, scores, rows, positive);
      }
      return null;
    },
    unlabelled: rows => {
      let u = 0;
      for (let k = 0; k < rows.length; k++) {
        if (y[rows[k]] === null || predicted[rows[k]] === null) {
          u++;
        }
      }
      return u;
    },
  };
}

function allRows(n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = i;
  }
  return a;
}

/** How both tables are cut into chunks (row indices per chunk, in time order). */
export interface ChunkPlan {
  period: ChunkPeriod;
  timeColumn: string | null;
  cur: { chunks: Uint32Array[]; info: ChunkInfo[] };
  ref: { chunks: Uint32Array[] } | null;
}

/** Cuts the current data (and the reference, the same way) into chunks; null when there are too few rows. */
export function planChunks(
  reference: Table,
  current: Table,
  settings: EffectiveSettings,
  time: string | null,
  warnings: string[],
): ChunkPlan | null {
  const curTimeCol = time ? current.columns.find(c => c.name === time) : undefined;
  const refTimeCol = time ? reference.columns.find(c => c.name === time) : undefined;
  const curKeys = timeKeys(curTimeCol);
  if (time && !curKeys) {
    warnings.push(`The time column "${time}" holds neither dates nor numbers; chunks follow the file's row order.`);
  }
  const cur = chunkTable(
    current.rows,
    curKeys,
    curTimeCol?.dtype === 'datetime',
    settings,
    settings.chunks,
    warnings,
    'current',
  );
  if (!cur) {
    if (current.rows > 0) {
      warnings.push(`The current data has too few rows (${current.rows}) for drift over time.`);
    }
    return null;
  }
  const refKeys = timeKeys(refTimeCol);
  const ref = chunkTable(
    reference.rows,
    refKeys,
    refTimeCol?.dtype === 'datetime',
    { ...settings, period: cur.period },
    settings.chunks,
    null,
    'reference',
  );
  return {
    period: cur.period,
    timeColumn: curKeys ? time : null,
    cur: { chunks: cur.chunks, info: cur.info },
    ref: ref ? { chunks: ref.chunks } : null,
  };
}

/** Performance per chunk and its bands, when the task, target and prediction are known. */
export function performanceOverTime(plan: ChunkPlan, input: Omit<OverTimeInput, 'prepared'>): OverTime['performance'] {
  const { reference, current, settings, target, prediction, task, warnings } = input;
  const cur = plan.cur;
  const ref = plan.ref;
  let performance: OverTime['performance'] = null;
  if (task && target && prediction) {
    let classes: string[] = [];
    if (task === 'classification') {
      const set = new Set<string>();
      for (const t of [reference, current]) {
        const yc = t.columns.find(c => c.name === target);
        if (yc) {
          for (const k of labelKeys(yc)) {
            if (k !== null) {
              set.add(k);
            }
          }
        }
      }
      classes = [...set].sort(compareLabelKeys);
    }
    const cs = scorer(current, target, prediction, task, input.predictionKind, classes);
    const rs = reference.columns.some(c => c.name === prediction)
      ? scorer(reference, target, prediction, task, input.predictionKind, classes)
      : null;
    if (!cs) {
      warnings.push(
        input.predictionKind === 'probabilities' && classes.length !== 2
          ? `The prediction "${prediction}" looks like probabilities but the target has ${classes.length} classes: no performance over time.`
          : `No performance over time: "${target}" and "${prediction}" cannot be compared.`,
      );
    } else {
      if (!rs) {
        warnings.push(
          `The reference data has no prediction column "${prediction}": performance has no reference band.`,
        );
      }
      const policy = settings.retrain;
      const primary: PerformanceMetric =
        policy.performanceMetric !== 'auto' && cs.metrics.includes(policy.performanceMetric)
          ? policy.performanceMetric
          : cs.metrics[0] === 'auc'
            ? 'auc'
            : task === 'regression'
              ? 'rmse'
              : 'f1';
      if (policy.performanceMetric !== 'auto' && !cs.metrics.includes(policy.performanceMetric)) {
        warnings.push(
          `The performance metric ${policy.performanceMetric} does not apply to this ${task} task; ${primary} is used.`,
        );
      }
      const series: MetricSeries[] = cs.metrics.map(metric => {
        const values = cur.chunks.map(rows => cs.score(metric, rows));
        const referenceValues = rs && ref ? ref.chunks.map(rows => rs.score(metric, rows)) : [];
        const finite = referenceValues.filter((v): v is number => v !== null && Number.isFinite(v));
        let lower: number | null = null;
        let upper: number | null = null;
        if (finite.length >= 2) {
          const lim = metricLimits(metric);
          const b = nannymlThreshold(finite, {
            upperMultiplier: 3,
            lowerMultiplier: 3,
            lowerLimit: lim.lower,
            upperLimit: lim.upper,
          });
          lower = b.lower ?? null;
          upper = b.upper ?? null;
        }
        const alerts = values.map(v => v !== null && ((lower !== null && v < lower) || (upper !== null && v > upper)));
        const better = HIGHER_IS_BETTER[metric];
        const degraded = values.map(
          v => v !== null && (better ? lower !== null && v < lower : upper !== null && v > upper),
        );
        // the verdict's band, for the metric it watches
        const band =
          rs && metric === primary
            ? calibratedBand(
                metric,
                rows => rs.score(metric, rows),
                reference.rows,
                values,
                cur.chunks.map(c => c.length),
                referenceValues,
                ref ? ref.chunks.map(c => c.length) : [],
                policy.minAlertChunks,
                settings.verdict.alpha,
              )
            : null;
        return {
          metric,
          values,
          referenceValues,
          lower,
          upper,
          alerts,
          degraded,
          band,
          reference: rs ? rs.score(metric, allRows(reference.rows)) : null,
          current: cs.score(metric, allRows(current.rows)),
        };
      });
      const unlabelled = cs.unlabelled(allRows(current.rows));
      performance = { task, primary, series, threshold: policy.performanceThreshold, unlabelledRows: unlabelled };
    }
  }
  return performance;
}

/** The analysis over time in one go (the report composes the same parts, possibly in worker threads). */
export function computeOverTime(input: OverTimeInput): OverTime | null {
  const plan = planChunks(input.reference, input.current, input.settings, input.time, input.warnings);
  if (!plan) {
    return null;
  }
  const drift = input.prepared.map(p => driftSeries(p, plan));
  return {
    period: plan.period,
    timeColumn: plan.timeColumn,
    chunks: plan.cur.info,
    referenceChunks: plan.ref?.chunks.length ?? 0,
    performance: performanceOverTime(plan, input),
    drift,
  };
}
