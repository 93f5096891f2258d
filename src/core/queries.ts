import { Db, metricFromSql } from './store/db';
import { storedSeries } from './store/series';

export interface ExperimentSummary {
  id: string;
  name: string;
  source: string;
  runCount: number;
  lastStart: number | null;
}
export interface RunSummary {
  id: string;
  experimentId: string;
  name: string | null;
  status: string;
  startTime: number | null;
  endTime: number | null;
  source: string;
  gitCommit: string | null;
  gitDirty: boolean | null;
  /** user annotations (star, note, trash) */
  starred: boolean;
  note: string | null;
  trashedAt: number | null;
}
export interface MetricPoint {
  step: number;
  timestamp: number | null;
  value: number;
}
export interface RunDetail extends RunSummary {
  description: string | null;
  gitBranch: string | null;
  sourcePath: string | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  latestMetrics: Record<string, { step: number; value: number }>;
  artifacts: { path: string; kind: string; size: number | null }[];
  datasets: { name: string; role: string; digest: string | null; rows: number | null }[];
}
export interface ModelSummary {
  name: string;
  description: string | null;
  versionCount: number;
  latestVersion: number | null;
  aliases: Record<string, number>;
}
export interface ModelVersionSummary {
  model: string;
  version: number;
  stage: string;
  runId: string | null;
  createdAt: number | null;
  aliases: string[];
}

export function listExperiments(db: Db): ExperimentSummary[] {
  return db.all<{ id: string; name: string; source: string; runCount: number; lastStart: number | null }>(
    `SELECT e.id, e.name, e.source, count(r.id) AS runCount, max(r.start_time) AS lastStart
       FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.id AND r.lifecycle_stage = 'active'
      WHERE e.lifecycle_stage = 'active'
      GROUP BY e.id ORDER BY (lastStart IS NULL), lastStart DESC, e.name`,
  );
}

function toRunSummary(r: Record<string, unknown>): RunSummary {
  return {
    id: String(r.id),
    experimentId: String(r.experiment_id),
    name: (r.display_name as string | null) ?? (r.name as string | null) ?? null,
    status: String(r.status),
    startTime: (r.start_time as number | null) ?? null,
    endTime: (r.end_time as number | null) ?? null,
    source: String(r.source),
    gitCommit: (r.git_commit as string | null) ?? null,
    gitDirty: r.git_dirty === null || r.git_dirty === undefined ? null : r.git_dirty === 1,
    starred: r.starred === 1,
    note: (r.note as string | null) ?? null,
    trashedAt: (r.trashed_at as number | null) ?? null,
  };
}

/** what toRunSummary reads: runs joined with the user's annotations (display name, star, note, trash) */
const SUMMARY_COLUMNS = `r.id, r.experiment_id, r.name, r.status, r.start_time, r.end_time, r.source, r.git_commit, r.git_dirty,
    a.name AS display_name, coalesce(a.starred, 0) AS starred, a.note AS note, a.trashed_at AS trashed_at`;
const RUNS_FROM = 'runs r LEFT JOIN run_annotations a ON a.run_id = r.id';
const RUNS_SQL = `SELECT ${SUMMARY_COLUMNS}, r.source_path, r.description, r.git_branch FROM ${RUNS_FROM}`;
/** the runs an experiment shows (active, not in the trash), newest first; one parameter: the experiment id */
const SHOWN_IN_EXPERIMENT = `r.experiment_id = ? AND r.lifecycle_stage = 'active' AND a.trashed_at IS NULL ORDER BY r.start_time DESC, r.id`;

export function listRuns(db: Db, experimentId: string): RunSummary[] {
  return db.all(`${RUNS_SQL} WHERE ${SHOWN_IN_EXPERIMENT}`, [experimentId]).map(r => toRunSummary(r));
}

/**
 * listRuns with the latest values of up to two metrics joined in (`values[i]` for `keys[i]`; undefined when the
 * run has not logged it or the key is undefined). What the Runs view reads, in one query.
 */
export function listRunsWithMetrics(
  db: Db,
  experimentId: string,
  keys: readonly [string | undefined, string | undefined],
): (RunSummary & { values: (number | undefined)[] })[] {
  return db
    .all(
      `SELECT ${SUMMARY_COLUMNS}, l0.key IS NOT NULL AS has0, l0.value AS v0, l1.key IS NOT NULL AS has1, l1.value AS v1
       FROM ${RUNS_FROM}
       LEFT JOIN latest_metrics l0 ON l0.run_id = r.id AND l0.key = ?
       LEFT JOIN latest_metrics l1 ON l1.run_id = r.id AND l1.key = ?
      WHERE ${SHOWN_IN_EXPERIMENT}`,
      [keys[0] ?? null, keys[1] ?? null, experimentId],
    )
    .map(r => ({
      ...toRunSummary(r),
      values: [r.has0 === 1 ? metricFromSql(r.v0) : undefined, r.has1 === 1 ? metricFromSql(r.v1) : undefined],
    }));
}

/** Runs the user moved to the trash (soft-deleted; restorable). */
export function listTrashedRuns(db: Db): RunSummary[] {
  return db.all(`${RUNS_SQL} WHERE a.trashed_at IS NOT NULL ORDER BY a.trashed_at DESC`).map(r => toRunSummary(r));
}

export function countRuns(db: Db): number {
  return Number(
    db.scalar(`SELECT count(*) FROM ${RUNS_FROM} WHERE r.lifecycle_stage = 'active' AND a.trashed_at IS NULL`) ?? 0,
  );
}

/**
 * Latest value of every metric of every run (MLflow's rule: max step, then timestamp, then value), from
 * latest_metrics, which the ingesters keep current.
 */
export function latestMetricsByRun(db: Db): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const r of db.all<{ run_id: string; key: string; value: number | null }>(
    'SELECT run_id, key, value FROM latest_metrics',
  )) {
    let m = out.get(r.run_id);
    if (!m) {
      m = {};
      out.set(r.run_id, m);
    }
    m[r.key] = metricFromSql(r.value);
  }
  return out;
}

/**
 * The metric keys the runs of an experiment have logged, from the metric_keys index (cheap; may still list a key
 * whose runs were all removed). `exact`: computed from the latest values themselves.
 */
export function metricKeysOf(db: Db, experimentId: string, exact = false): string[] {
  return exact
    ? db
        .all<{ key: string }>(
          'SELECT DISTINCT l.key FROM latest_metrics l JOIN runs r ON r.id = l.run_id WHERE r.experiment_id = ? ORDER BY l.key',
          [experimentId],
        )
        .map(r => r.key)
    : db
        .all<{ key: string }>('SELECT key FROM metric_keys WHERE experiment_id = ? ORDER BY key', [experimentId])
        .map(r => r.key);
}

export function getRun(db: Db, runId: string): RunDetail | undefined {
  const r = db.get(`${RUNS_SQL} WHERE r.id = ?`, [runId]);
  if (!r) {
    return undefined;
  }
  const kv = (table: string) =>
    Object.fromEntries(
      db
        .all<{ key: string; value: string }>(`SELECT key, value FROM ${table} WHERE run_id = ? ORDER BY key`, [runId])
        .map(x => [x.key, x.value]),
    );
  const latest: RunDetail['latestMetrics'] = {};
  for (const m of db.all<{ key: string; step: number; value: number | null }>(
    'SELECT key, step, value FROM latest_metrics WHERE run_id = ? ORDER BY key',
    [runId],
  )) {
    latest[m.key] = { step: m.step, value: metricFromSql(m.value) };
  }
  return {
    ...toRunSummary(r),
    description: (r.description as string | null) ?? null,
    gitBranch: (r.git_branch as string | null) ?? null,
    sourcePath: (r.source_path as string | null) ?? null,
    params: kv('params'),
    tags: { ...kv('tags'), ...kv('user_tags') },
    latestMetrics: latest,
    artifacts: db.all<{ path: string; kind: string; size: number | null }>(
      'SELECT path, kind, size FROM artifacts WHERE run_id = ? ORDER BY path',
      [runId],
    ),
    datasets: db.all<{ name: string; role: string; digest: string | null; rows: number | null }>(
      'SELECT name, role, digest, rows FROM datasets WHERE run_id = ? ORDER BY role, name',
      [runId],
    ),
  };
}

/**
 * The series the store keeps for (run, key), sorted by step: every point of a short series, a decimated copy
 * (at most SERIES_POINTS + 1 points, the newest included) of a long one, without timestamps. Full histories:
 * core/runs/history.ts.
 */
export function metricHistory(db: Db, runId: string, key: string): MetricPoint[] {
  return storedHistory(db, runId, key).points;
}

/** metricHistory, and how many points the source holds for (run, key) (the store keeps fewer of a long series). */
export function storedHistory(db: Db, runId: string, key: string): { points: MetricPoint[]; count: number } {
  const s = storedSeries(db, runId, key);
  return s
    ? { points: s.steps.map((step, i) => ({ step, timestamp: null, value: s.values[i] })), count: s.count }
    : { points: [], count: 0 };
}

export function listModels(db: Db): ModelSummary[] {
  return db
    .all<{ name: string; description: string | null; versionCount: number; latestVersion: number | null }>(
      `SELECT m.name, m.description, count(v.version) AS versionCount, max(v.version) AS latestVersion
       FROM models m LEFT JOIN model_versions v ON v.model_name = m.name GROUP BY m.name ORDER BY m.name`,
    )
    .map(m => ({
      ...m,
      aliases: Object.fromEntries(
        db
          .all<{ alias: string; version: number }>(
            'SELECT alias, version FROM model_aliases WHERE model_name = ? ORDER BY alias',
            [m.name],
          )
          .map(a => [a.alias, a.version]),
      ),
    }));
}

export function listModelVersions(db: Db, model: string): ModelVersionSummary[] {
  const aliases = db.all<{ alias: string; version: number }>(
    'SELECT alias, version FROM model_aliases WHERE model_name = ?',
    [model],
  );
  return db
    .all<{ version: number; stage: string; run_id: string | null; created_at: number | null }>(
      'SELECT version, stage, run_id, created_at FROM model_versions WHERE model_name = ? ORDER BY version DESC',
      [model],
    )
    .map(v => ({
      model,
      version: v.version,
      stage: v.stage,
      runId: v.run_id,
      createdAt: v.created_at,
      aliases: aliases
        .filter(a => a.version === v.version)
        .map(a => a.alias)
        .sort(),
    }));
}

export interface DatasetVersion {
  name: string;
  digest: string | null;
  rows: number | null;
  columns: number | null;
  schema: string | null;
  path: string | null;
  runs: { runId: string; runName: string | null; role: string; experiment: string; startTime: number | null }[];
}

/** Every dataset version (name + content hash) with the runs that used it, newest use first. */
export function listDatasetVersions(db: Db): DatasetVersion[] {
  const rows = db.all<{
    name: string;
    digest: string | null;
    rows: number | null;
    schema_json: string | null;
    path: string | null;
    role: string;
    run_id: string;
    run_name: string | null;
    exp: string;
    start_time: number | null;
  }>(
    `SELECT d.name, d.digest, d.rows, d.schema_json, d.path, d.role, d.run_id, coalesce(a.name, r.name) AS run_name, e.name AS exp, r.start_time
       FROM datasets d JOIN runs r ON r.id = d.run_id JOIN experiments e ON e.id = r.experiment_id
       LEFT JOIN run_annotations a ON a.run_id = r.id
      WHERE a.trashed_at IS NULL
      ORDER BY d.name, r.start_time DESC`,
  );
  const byKey = new Map<string, DatasetVersion>();
  for (const r of rows) {
    const key = `${r.name}\u0000${r.digest ?? ''}`;
    let v = byKey.get(key);
    if (!v) {
      let columns: number | null = null;
      try {
        const s = r.schema_json ? JSON.parse(r.schema_json) : undefined;
        const cols = s?.columns ?? s;
        columns = Array.isArray(cols)
          ? cols.length
          : cols && typeof cols === 'object'
            ? Object.keys(cols).length
            : null;
      } catch {
        /* schema is informative only */
      }
      v = { name: r.name, digest: r.digest, rows: r.rows, columns, schema: r.schema_json, path: r.path, runs: [] };
      byKey.set(key, v);
    }
    v.runs.push({ runId: r.run_id, runName: r.run_name, role: r.role, experiment: r.exp, startTime: r.start_time });
  }
  return [...byKey.values()];
}
