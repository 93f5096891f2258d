/**
 * Full metric histories, read from where the run keeps them. The store only holds the latest value and, for
 * every source but the MLflow FileStore, a decimated copy of each series (store/series.ts); charts that need
 * every point (the comparison view, the run page's sparklines of FileStore runs) ask here:
 * - ML Sight runs: the run log `.mlsight/runs/<id>/events.jsonl` (metric and feature_importance events);
 * - MLflow FileStore: `<run folder>/metrics/<key>` (keys with '/' are nested folders);
 * - mlflow.db: its metrics table, opened read-only (a copy in memory) with sql.js;
 * - TensorBoard: the run's event files (the ones ingest_state records for the run), scalar tag = key.
 * When the source cannot be read (moved, deleted, corrupt) the stored decimated series is returned instead,
 * marked `complete: false`.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Database } from 'sql.js';
import { Db } from '../store/db';
import { loadSqlJs } from '../store/sqljs';
import { parseMetricLines } from '../ingest/metricLines';
import { metricValue } from '../ingest/mlflowSqlite';
import { eventScalars, readTfRecords, MetadataMsg } from '../ingest/tensorboard';
import { toInt } from '../ingest/common';
import { MetricPoint, storedHistory } from '../queries';
import { FEATURE_IMPORTANCE_PREFIX, parseMetricValue } from './format';
import { readRunLog } from '../ingest/mlsightRunLog';

export interface History {
  points: MetricPoint[];
  /** false: the decimated copy from the store */
  complete: boolean;
  /** points the source holds (more than `points` when they are the decimated copy) */
  total: number;
}

interface RunSource {
  id: string;
  source: string;
  source_path: string | null;
}

/** What a batch of reads needs from the store, read once (the store is not touched while files are read). */
export interface HistoryPlan {
  folder: string;
  runs: Map<string, RunSource & { tbFiles: { path: string; offset: number }[] }>;
  stored: Map<string, { points: MetricPoint[]; count: number }>;
}

const k = (runId: string, key: string) => `${runId}\u0000${key}`;

/** Reads, from the store, what loadHistories needs for these (run, key) pairs. */
export function planHistories(db: Db, folder: string, wanted: readonly { runId: string; key: string }[]): HistoryPlan {
  const plan: HistoryPlan = { folder, runs: new Map(), stored: new Map() };
  for (const { runId, key } of wanted) {
    if (!plan.runs.has(runId)) {
      const r = db.get<RunSource>('SELECT id, source, source_path FROM runs WHERE id = ?', [runId]);
      if (!r) {
        continue;
      }
      const tbFiles =
        r.source === 'tensorboard'
          ? db.all<{ path: string; offset: number }>(
              'SELECT path, offset FROM ingest_state WHERE run_id = ? AND offset > 0 ORDER BY path',
              [runId],
            )
          : [];
      plan.runs.set(runId, { ...r, tbFiles });
    }
    plan.stored.set(k(runId, key), storedHistory(db, runId, key));
  }
  return plan;
}

/** Full histories of the planned (run, key) pairs, keyed by run id then key. Sorted by step, then timestamp. */
export async function loadHistories(
  plan: HistoryPlan,
  wanted: readonly { runId: string; key: string }[],
): Promise<Map<string, Map<string, History>>> {
  const out = new Map<string, Map<string, History>>();
  const byRun = new Map<string, string[]>();
  for (const w of wanted) {
    if (plan.runs.has(w.runId)) {
      byRun.set(w.runId, [...(byRun.get(w.runId) ?? []), w.key]);
    }
  }
  const dbs = new Map<string, Promise<Database | undefined>>();
  try {
    for (const [runId, keys] of byRun) {
      const run = plan.runs.get(runId)!;
      let read: Map<string, MetricPoint[]> | undefined;
      try {
        read = await readRun(plan.folder, run, keys, dbs);
      } catch {
        read = undefined;
      }
      const m = new Map<string, History>();
      for (const key of keys) {
        const full = read?.get(key);
        const stored = plan.stored.get(k(runId, key)) ?? { points: [], count: 0 };
        m.set(
          key,
          full && full.length
            ? { points: sortPoints(full), complete: true, total: full.length }
            : { points: stored.points, complete: false, total: Math.max(stored.points.length, stored.count) },
        );
      }
      out.set(runId, m);
    }
  } finally {
    for (const p of dbs.values()) {
      void p.then(d => d?.close()).catch(() => undefined);
    }
  }
  return out;
}

/**
 * Parsed run logs by file, valid while the file's size and mtime are unchanged: a comparison of live runs is
 * refreshed on every store change, and most refreshes see most logs unchanged. At most CACHE_FILES logs and
 * CACHE_POINTS points (about 100 MB), least recently used first out.
 */
const CACHE_FILES = 32;
const CACHE_POINTS = 1_000_000;
const cache = new Map<
  string,
  { size: number; mtimeMs: number; runId: string; series: Map<string, MetricPoint[]>; points: number }
>();

function cacheGet(file: string, st: fs.Stats, runId: string): Map<string, MetricPoint[]> | undefined {
  const c = cache.get(file);
  if (!c || c.size !== st.size || c.mtimeMs !== st.mtimeMs || c.runId !== runId) {
    return undefined;
  }
  cache.delete(file);
  cache.set(file, c); // most recently used last
  return c.series;
}

function cachePut(file: string, st: fs.Stats, runId: string, series: Map<string, MetricPoint[]>): void {
  cache.delete(file);
  let points = 0;
  for (const p of series.values()) {
    points += p.length;
  }
  if (points > CACHE_POINTS) {
    return;
  }
  cache.set(file, { size: st.size, mtimeMs: st.mtimeMs, runId, series, points });
  let total = 0;
  for (const c of cache.values()) {
    total += c.points;
  }
  while (cache.size > CACHE_FILES || total > CACHE_POINTS) {
    const [oldest, c] = cache.entries().next().value!;
    cache.delete(oldest);
    total -= c.points;
  }
}

function sortPoints(p: MetricPoint[]): MetricPoint[] {
  return p
    .map((x, i) => ({ x, i }))
    .sort((a, b) => a.x.step - b.x.step || (a.x.timestamp ?? 0) - (b.x.timestamp ?? 0) || a.i - b.i)
    .map(e => e.x);
}

function abs(folder: string, rel: string): string {
  return path.isAbsolute(rel) ? rel : path.join(folder, ...rel.split('/'));
}

async function readRun(
  folder: string,
  run: RunSource & { tbFiles: { path: string; offset: number }[] },
  keys: string[],
  dbs: Map<string, Promise<Database | undefined>>,
): Promise<Map<string, MetricPoint[]> | undefined> {
  const want = new Set(keys);
  const out = new Map<string, MetricPoint[]>();
  const add = (key: string, p: MetricPoint) => {
    if (want.has(key)) {
      let a = out.get(key);
      if (!a) {
        a = [];
        out.set(key, a);
      }
      a.push(p);
    }
  };
  if (!run.source_path) {
    return undefined;
  }
  if (run.source === 'mlsight') {
    const file = abs(folder, run.source_path);
    const st = await fs.promises.stat(file);
    const cached = cacheGet(file, st, run.id);
    if (cached) {
      for (const k of keys) {
        const p = cached.get(k);
        if (p) {
          out.set(k, p);
        }
      }
      return out;
    }
    const text = await fs.promises.readFile(file, 'utf8');
    // every key of the log is kept (cached), so the next refresh of a comparison does not parse it again
    const every = new Map<string, MetricPoint[]>();
    const all = (key: string, p: MetricPoint) => {
      let a = every.get(key);
      if (!a) {
        a = [];
        every.set(key, a);
      }
      a.push(p);
    };
    let current: string | undefined;
    readRunLog(text, 1, e => {
      if (e.type === 'run') {
        current = e.run_id;
        return;
      }
      if (current !== undefined && current !== run.id) {
        return;
      }
      if (e.type === 'metric') {
        const v = parseMetricValue(e.value);
        if (v !== undefined) {
          all(e.key, { step: e.step ?? 0, timestamp: e.timestamp ?? e.ts ?? null, value: v });
        }
      } else if (e.type === 'feature_importance') {
        e.names.forEach((name, i) => {
          const v = parseMetricValue(e.values[i]);
          if (v !== undefined) {
            all(`${FEATURE_IMPORTANCE_PREFIX}${name}`, { step: e.step ?? 0, timestamp: e.ts ?? null, value: v });
          }
        });
      }
    });
    cachePut(file, st, run.id, every);
    for (const k of keys) {
      const p = every.get(k);
      if (p) {
        out.set(k, p);
      }
    }
    return out;
  }
  if (run.source === 'mlflow' && run.id.startsWith('mlflow:')) {
    const file = abs(folder, run.source_path);
    const uuid = run.id.slice('mlflow:'.length);
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(file);
    } catch {
      return undefined;
    }
    if (st.isDirectory()) {
      for (const key of keys) {
        let text: string;
        try {
          text = await fs.promises.readFile(path.join(file, 'metrics', ...key.split('/')), 'utf8');
        } catch {
          continue;
        }
        const p = parseMetricLines(text, 1).points;
        out.set(
          key,
          p.values.map((value, i) => ({ step: p.steps[i], timestamp: p.ts[i], value })),
        );
      }
      return out;
    }
    let dbp = dbs.get(file);
    if (!dbp) {
      dbp = (async () => {
        const SQL = await loadSqlJs();
        return new SQL.Database(await fs.promises.readFile(file));
      })().catch(() => undefined);
      dbs.set(file, dbp);
    }
    const mdb = await dbp;
    if (!mdb) {
      return undefined;
    }
    const st2 = mdb.prepare(
      'SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? ORDER BY key, step, timestamp',
    );
    try {
      st2.bind([uuid]);
      while (st2.step()) {
        const [key, value, ts, step, isNan] = st2.get();
        add(String(key), { step: toInt(step) ?? 0, timestamp: toInt(ts) ?? null, value: metricValue(value, isNan) });
      }
    } finally {
      st2.free();
    }
    return out;
  }
  if (run.source === 'tensorboard') {
    if (run.tbFiles.length === 0) {
      return undefined;
    }
    const firstMeta = new Map<string, MetadataMsg | null>();
    const known = new Set<string>();
    for (const f of run.tbFiles) {
      const fh = await fs.promises.open(abs(folder, f.path), 'r');
      try {
        await readTfRecords(fh, 0, f.offset, payload => {
          let r: ReturnType<typeof eventScalars>;
          try {
            r = eventScalars(payload, firstMeta, known);
          } catch {
            return;
          }
          for (const p of r.points) {
            known.add(p.tag);
            add(p.tag, { step: p.step, timestamp: p.wallTimeMs, value: p.value });
          }
        });
      } finally {
        await fh.close();
      }
    }
    return out;
  }
  return undefined;
}
