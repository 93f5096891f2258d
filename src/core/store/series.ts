/**
 * Metric series in the store: the latest value of every (run, key) in `latest_metrics`, and a decimated copy of
 * the series in `metric_series` (not for MLflow FileStore runs, whose metric files are as durable as the runs:
 * writeLatestRows). Full histories stay in their source files (run logs, MLflow metric files, mlflow.db,
 * TensorBoard events) and are read from there when a chart needs them (see core/runs/history.ts).
 *
 * Decimation is by arrival order, so it can be kept up incrementally while a run logs: point i (0-based, in the
 * order the source holds them) is kept when i % stride == 0, where stride is the smallest power of two that keeps
 * at most SERIES_POINTS points; the newest point is kept too. Appending to a stored series gives exactly what a
 * cold read of the whole series gives.
 *
 * `data` is a little-endian Float64Array of (step, value) pairs: NaN and ±Infinity survive as they are.
 */
import type { BindParams, SqlValue } from 'sql.js';
import { Db, metricToSql } from './db';

/** Points kept per series, besides the newest one. */
export const SERIES_POINTS = 32;

/** Points of one series in arrival order, read lazily (a parser may decode values only when asked). */
export interface PointSeq {
  readonly length: number;
  step(i: number): number;
  ts(i: number): number | null;
  value(i: number): number;
}

/** Column-wise metric points; value NaN is allowed. */
export interface Points {
  ts: (number | null)[];
  values: number[];
  steps: number[];
}

export function emptyPoints(): Points {
  return { ts: [], values: [], steps: [] };
}

export function pointSeq(p: Points): PointSeq {
  return { length: p.values.length, step: i => p.steps[i], ts: i => p.ts[i], value: i => p.values[i] };
}

export interface StoredSeries {
  count: number;
  stride: number;
  steps: number[];
  values: number[];
}

/** Statement runner shared by Db and the ingesters' cached statements. */
interface Runner {
  run(sql: string, params: BindParams): unknown;
  get<T>(sql: string, params: BindParams): T | undefined;
}

export function encodeSeries(steps: readonly number[], values: readonly number[]): Uint8Array {
  const a = new Float64Array(steps.length * 2);
  for (let i = 0; i < steps.length; i++) {
    a[2 * i] = steps[i];
    a[2 * i + 1] = values[i];
  }
  return new Uint8Array(a.buffer);
}

export function decodeSeries(data: Uint8Array | null | undefined): { steps: number[]; values: number[] } {
  const steps: number[] = [];
  const values: number[] = [];
  if (!data || data.byteLength % 16 !== 0) {
    return { steps, values };
  }
  const a = new Float64Array(data.slice().buffer);
  for (let i = 0; i < a.length; i += 2) {
    steps.push(a[i]);
    values.push(a[i + 1]);
  }
  return { steps, values };
}

/** The stride for `count` points: the smallest power of two keeping at most SERIES_POINTS of them. */
export function strideFor(count: number, from = 1): number {
  let s = Math.max(1, from);
  while (Math.ceil(count / s) > SERIES_POINTS) {
    s *= 2;
  }
  return s;
}

/**
 * MLflow's latest rule, first part: > 0 if (step, ts) is later than (bestStep, bestTs), < 0 if earlier, 0 on a
 * tie, which the values decide (valueWins). Split so that callers decode values only on a tie.
 */
export function compareStepTs(step: number, ts: number, bestStep: number, bestTs: number): number {
  if (step !== bestStep) {
    return step > bestStep ? 1 : -1;
  }
  return ts === bestTs ? 0 : ts > bestTs ? 1 : -1;
}

/** MLflow's latest rule on a (step, timestamp) tie: the greater value wins; NaN never does. */
export function valueWins(value: number, best: number): boolean {
  return !Number.isNaN(value) && (Number.isNaN(best) || value > best);
}

/** Index (into seq) of the latest point by MLflow's rule: highest step, then timestamp, then value; NaN loses ties. */
export function latestIndex(seq: PointSeq): number {
  if (seq.length === 0) {
    return -1;
  }
  let best = 0;
  for (let i = 1; i < seq.length; i++) {
    const c = compareStepTs(seq.step(i), seq.ts(i) ?? 0, seq.step(best), seq.ts(best) ?? 0);
    if (c > 0 || (c === 0 && valueWins(seq.value(i), seq.value(best)))) {
      best = i;
    }
  }
  return best;
}

const LATEST_CONFLICT = `ON CONFLICT (run_id, key) DO UPDATE SET step = excluded.step, timestamp = excluded.timestamp, value = excluded.value
    WHERE excluded.step > latest_metrics.step
       OR (excluded.step = latest_metrics.step AND coalesce(excluded.timestamp, 0) > coalesce(latest_metrics.timestamp, 0))
       OR (excluded.step = latest_metrics.step AND coalesce(excluded.timestamp, 0) = coalesce(latest_metrics.timestamp, 0)
           AND excluded.value IS NOT NULL AND (latest_metrics.value IS NULL OR excluded.value > latest_metrics.value))`;

const UPSERT_LATEST = `INSERT INTO latest_metrics (run_id, key, step, timestamp, value) VALUES (?, ?, ?, ?, ?) ${LATEST_CONFLICT}`;
/** metric_keys (the keys each experiment's runs logged, for the Runs view) is kept by the writers of latest_metrics. */
const NOTE_KEY =
  'INSERT OR IGNORE INTO metric_keys (experiment_id, key) SELECT experiment_id, ? FROM runs WHERE id = ?';
const SERIES_CONFLICT =
  'ON CONFLICT (run_id, key) DO UPDATE SET count = excluded.count, stride = excluded.stride, data = excluded.data';
const UPSERT_SERIES = `INSERT INTO metric_series (run_id, key, count, stride, data) VALUES (?, ?, ?, ?, ?) ${SERIES_CONFLICT}`;

/**
 * How points meet what the store holds: 'append' to the stored series; 'replace' it (its source file was
 * rewritten); 'fresh': the caller knows the store has nothing for this series (a run read from scratch).
 */
export type SeriesMode = 'append' | 'replace' | 'fresh';

/** A metric_series row and a latest_metrics row for (run, key) after appending seq to what the store had. */
export interface SeriesRows {
  series: [string, string, number, number, Uint8Array];
  latest: [string, string, number, number | null, number | null];
}

/**
 * The rows for (run, key) after appending seq (arrival order) to `cur` (the stored row, undefined if none).
 * Pure: callers write the rows one by one (appendSeries) or many at once (writeSeriesRows).
 */
export function seriesRows(
  runId: string,
  key: string,
  seq: PointSeq,
  cur?: { count: number; stride: number; data: Uint8Array },
): SeriesRows | undefined {
  const m = seq.length;
  if (m === 0) {
    return undefined;
  }
  const n0 = cur ? Number(cur.count) : 0;
  const s0 = cur ? Number(cur.stride) : 1;
  const n = n0 + m;
  const stride = strideFor(n, s0);
  const steps: number[] = [];
  const values: number[] = [];
  if (cur) {
    const old = decodeSeries(cur.data);
    const kept = Math.ceil(n0 / s0); // entries beyond are the old newest point, superseded
    for (let j = 0; j < kept && j < old.steps.length; j++) {
      if ((j * s0) % stride === 0) {
        steps.push(old.steps[j]);
        values.push(old.values[j]);
      }
    }
  }
  for (let i = Math.ceil(n0 / stride) * stride; i < n; i += stride) {
    steps.push(seq.step(i - n0));
    values.push(seq.value(i - n0));
  }
  if ((n - 1) % stride !== 0) {
    steps.push(seq.step(m - 1));
    values.push(seq.value(m - 1));
  }
  const b = latestIndex(seq);
  return {
    series: [runId, key, n, stride, encodeSeries(steps, values)],
    latest: [runId, key, seq.step(b), seq.ts(b), metricToSql(seq.value(b))],
  };
}

/** Appends points (in arrival order) to the series (run, key): updates the decimated copy and the latest value. */
export function appendSeries(s: Runner, runId: string, key: string, seq: PointSeq, mode: SeriesMode = 'append'): void {
  if (mode === 'replace') {
    deleteSeries(s, runId, key);
  }
  if (seq.length === 0) {
    return;
  }
  const cur =
    mode !== 'append'
      ? undefined
      : s.get<{ count: number; stride: number; data: Uint8Array }>(
          'SELECT count, stride, data FROM metric_series WHERE run_id = ? AND key = ?',
          [runId, key],
        );
  const rows = seriesRows(runId, key, seq, cur)!;
  s.run(UPSERT_SERIES, rows.series);
  s.run(UPSERT_LATEST, rows.latest);
  s.run(NOTE_KEY, [key, runId]);
}

/** A latest_metrics row: run, key, step, timestamp, value. */
export type LatestRow = SeriesRows['latest'];

export function latestRow(
  runId: string,
  key: string,
  p: { step: number; ts: number | null; value: number },
): LatestRow {
  return [runId, key, p.step, p.ts, metricToSql(p.value)];
}

/**
 * Merges latest values of runs of one experiment into latest_metrics by MLflow's rule, in few statements, and
 * notes their keys in metric_keys (once per mutation). For sources whose full series stay readable where they
 * are (MLflow FileStore metric files), this is all the store keeps of a metric.
 */
export function writeLatestRows(
  s: { insertMany(head: string, rows: readonly SqlValue[][], tail?: string): void; seen(mark: string): boolean },
  experimentId: string,
  rows: readonly LatestRow[],
): void {
  s.insertMany('INSERT INTO latest_metrics (run_id, key, step, timestamp, value)', rows, LATEST_CONFLICT);
  const keys = rows.map(r => r[1]).filter(key => !s.seen(`metric_keys\u0000${experimentId}\u0000${key}`));
  s.insertMany(
    'INSERT OR IGNORE INTO metric_keys (experiment_id, key)',
    keys.map(key => [experimentId, key]),
  );
}

export function deleteSeries(s: Runner, runId: string, key?: string): void {
  if (key === undefined) {
    s.run('DELETE FROM metric_series WHERE run_id = ?', [runId]);
    s.run('DELETE FROM latest_metrics WHERE run_id = ?', [runId]);
  } else {
    s.run('DELETE FROM metric_series WHERE run_id = ? AND key = ?', [runId, key]);
    s.run('DELETE FROM latest_metrics WHERE run_id = ? AND key = ?', [runId, key]);
  }
}

/** The stored (decimated) series, sorted by step; undefined if the store has none. */
export function storedSeries(db: Db, runId: string, key: string): StoredSeries | undefined {
  const row = db.get<{ count: number; stride: number; data: Uint8Array }>(
    'SELECT count, stride, data FROM metric_series WHERE run_id = ? AND key = ?',
    [runId, key],
  );
  if (!row) {
    return undefined;
  }
  const { steps, values } = decodeSeries(row.data);
  const order = steps.map((_, i) => i).sort((a, b) => steps[a] - steps[b] || a - b);
  return {
    count: Number(row.count),
    stride: Number(row.stride),
    steps: order.map(i => steps[i]),
    values: order.map(i => values[i]),
  };
}
