import { Db } from '../store/db';
import { getRun, RunDetail, storedHistory } from '../queries';
import { History, loadHistories, planHistories } from '../runs/history';
import { FEATURE_IMPORTANCE_PREFIX, formatDuration } from '../runs/format';
import { lttb } from './series';
import { CellValue, buildRows, formatNumber, higherIsBetter, improvement } from './table';
import { BaselineInfo, CompareData, CompareRunInfo, FeatureImportance, SeriesData } from './types';

export interface CompareOptions {
  referenceRunId?: string | null;
  /** points per series after decimation */
  maxPoints?: number;
  /** metric used for baseline improvement; default: the first metric all runs share that looks like a score */
  baselineMetric?: string;
  /** full histories read from the runs' sources (core/runs/history.ts); else the store's decimated series */
  histories?: Map<string, Map<string, History>>;
}

/** The (run, key) series a comparison of these runs charts. */
export function compareSeriesWanted(db: Db, runIds: readonly string[]): { runId: string; key: string }[] {
  return runIds.flatMap(runId =>
    db
      .all<{ key: string }>('SELECT key FROM latest_metrics WHERE run_id = ? AND substr(key, 1, ?) <> ? ORDER BY key', [
        runId,
        FEATURE_IMPORTANCE_PREFIX.length,
        FEATURE_IMPORTANCE_PREFIX,
      ])
      .map(r => ({ runId, key: r.key })),
  );
}

export { FEATURE_IMPORTANCE_PREFIX };

/** A run that trained a scikit-learn dummy model is a baseline (DummyClassifier / DummyRegressor). */
export function looksLikeBaseline(r: Pick<RunDetail, 'params' | 'tags' | 'name'>): boolean {
  const dummy = /\bDummy(Classifier|Regressor)\b/;
  return (
    Object.values(r.params).some(v => dummy.test(v)) ||
    Object.values(r.tags).some(v => dummy.test(v)) ||
    r.tags['mlsight.baseline'] === 'true'
  );
}

function nonFiniteLabel(v: number): 'nan' | 'inf' | '-inf' {
  return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
}

/** One run's history of one metric, decimated for drawing (the same for every run source). */
export function seriesFromHistory(runId: string, key: string, h: History, maxPoints: number): SeriesData {
  const times = new Map<number, number | null>();
  const pts = h.points.map(r => {
    times.set(r.step, r.timestamp);
    return { x: r.step, y: r.value };
  });
  const { points, nonFinite } = lttb(pts, maxPoints);
  return {
    runId,
    key,
    total: h.total,
    complete: h.complete,
    steps: points.map(p => p.x),
    values: points.map(p => p.y),
    times: points.map(p => times.get(p.x) ?? null),
    nonFinite: nonFinite.map(p => ({ step: p.x, value: nonFiniteLabel(p.y) })),
  };
}

/**
 * Where compared runs come from: the workspace store (localCompareSource) or a team tracking backend
 * (core/tracking/teamView.ts). The comparison itself is built the same way from either, or from both at once
 * (routedCompareSource): one builder, whatever the source.
 */
export interface CompareSource {
  run(id: string): RunDetail | undefined;
  /** the experiment's name and its baseline run (chosen, else detected among `compared`) */
  experiment(
    experimentId: string,
    compared: readonly RunDetail[],
  ): { name: string; baselineRunId: string | null; auto: boolean };
  history(runId: string, key: string): History;
}

/** The workspace store as a compare source; `histories`: full histories read from the runs' sources. */
export function localCompareSource(db: Db, histories?: Map<string, Map<string, History>>): CompareSource {
  const exps = new Map(
    db
      .all<{ id: string; name: string; baseline_run_id: string | null }>(
        'SELECT id, name, baseline_run_id FROM experiments',
      )
      .map(e => [e.id, e]),
  );
  return {
    run: id => getRun(db, id),
    experiment: (expId, compared) => {
      const exp = exps.get(expId);
      if (exp?.baseline_run_id) {
        return { name: exp.name, baselineRunId: exp.baseline_run_id, auto: false };
      }
      const candidates = db.all<{ id: string }>(
        `SELECT id FROM runs WHERE experiment_id = ? AND lifecycle_stage = 'active' ORDER BY start_time`,
        [expId],
      );
      for (const c of candidates) {
        const d = compared.find(x => x.id === c.id) ?? getRun(db, c.id);
        if (d && looksLikeBaseline(d)) {
          return { name: exp?.name ?? expId, baselineRunId: d.id, auto: true };
        }
      }
      return { name: exp?.name ?? expId, baselineRunId: null, auto: false };
    },
    history: (runId, key) => {
      const h = histories?.get(runId)?.get(key);
      if (h) {
        return h;
      }
      const stored = storedHistory(db, runId, key);
      return { points: stored.points, complete: false, total: Math.max(stored.points.length, stored.count) };
    },
  };
}

/** Routes each run id to the source that owns it (`owns`), else to `fallback`. */
export function routedCompareSource(
  owned: CompareSource,
  owns: (id: string) => boolean,
  fallback: CompareSource,
): CompareSource {
  const pick = (id: string) => (owns(id) ? owned : fallback);
  return {
    run: id => pick(id).run(id),
    experiment: (expId, compared) => pick(expId).experiment(expId, compared),
    history: (runId, key) => pick(runId).history(runId, key),
  };
}

/** A source holding nothing (no folder open: local ids are reported missing). */
export const EMPTY_COMPARE_SOURCE: CompareSource = {
  run: () => undefined,
  experiment: id => ({ name: id, baselineRunId: null, auto: false }),
  history: () => ({ points: [], complete: false, total: 0 }),
};

/** Builds everything the comparison view needs for the given runs (in the given order). */
export function buildCompareData(db: Db, runIds: readonly string[], options: CompareOptions = {}): CompareData {
  return buildCompare(localCompareSource(db, options.histories), runIds, options);
}

/** buildCompareData from any compare source (the workspace store, a team backend, or both). */
export function buildCompare(src: CompareSource, runIds: readonly string[], options: CompareOptions = {}): CompareData {
  const maxPoints = options.maxPoints ?? 2000;
  const details: RunDetail[] = [];
  const missing: string[] = [];
  for (const id of runIds) {
    const r = src.run(id);
    if (r) {
      details.push(r);
    } else {
      missing.push(id);
    }
  }
  // Baselines: the experiment's chosen baseline run, else a run in it that trained a dummy model.
  const baseline: BaselineInfo = {
    byExperiment: {},
    metric: null,
    higherIsBetter: true,
    improvement: {},
    delta: {},
    baselineValue: {},
  };
  const expNames = new Map<string, { name: string }>();
  for (const expId of new Set(details.map(d => d.experimentId))) {
    const e = src.experiment(expId, details);
    expNames.set(expId, e);
    baseline.byExperiment[expId] = { runId: e.baselineRunId, auto: e.auto, experimentName: e.name };
  }

  const runs: CompareRunInfo[] = details.map(d => ({
    id: d.id,
    name: d.name ?? d.id.slice(0, 8),
    experiment: expNames.get(d.experimentId)?.name ?? d.experimentId,
    experimentId: d.experimentId,
    status: d.status,
    startTime: d.startTime,
    endTime: d.endTime,
    gitCommit: d.gitCommit,
    gitDirty: d.gitDirty,
    isBaseline: baseline.byExperiment[d.experimentId]?.runId === d.id,
  }));

  const refIndex = options.referenceRunId ? details.findIndex(d => d.id === options.referenceRunId) : -1;
  const ref = refIndex >= 0 ? refIndex : undefined;
  const isImportance = (k: string) => k.startsWith(FEATURE_IMPORTANCE_PREFIX);
  const metricKeys = [...new Set(details.flatMap(d => Object.keys(d.latestMetrics)))]
    .filter(k => !isImportance(k))
    .sort();
  const latest = details.map(d =>
    Object.fromEntries(
      Object.entries(d.latestMetrics)
        .filter(([k]) => !isImportance(k))
        .map(([k, m]) => [k, Number.isFinite(m.value) ? m.value : formatNumber(m.value)] as [string, CellValue]),
    ),
  );
  const info = details.map<Record<string, CellValue>>(d => ({
    status: d.status,
    experiment: expNames.get(d.experimentId)?.name ?? d.experimentId,
    started: d.startTime ? new Date(d.startTime).toISOString() : null,
    duration: d.startTime && d.endTime ? Math.round((d.endTime - d.startTime) / 1000) : null,
    'git commit': d.gitCommit ? d.gitCommit.slice(0, 12) + (d.gitDirty ? ' (dirty)' : '') : null,
  }));
  const datasets = details.map(d =>
    Object.fromEntries(
      d.datasets.map(s => [
        `${s.name} (${s.role})`,
        s.digest ? s.digest.slice(0, 16) : s.rows != null ? `${s.rows} rows` : '',
      ]),
    ),
  );
  const infoRows = buildRows('info', info, ref);
  for (const r of infoRows) {
    // one duration format everywhere (seconds in the row, so it sorts; "9m 0s" on screen)
    if (r.key === 'duration') {
      r.display = r.values.map(v => (typeof v === 'number' ? formatDuration(v * 1000) : null));
      delete r.deltas;
    }
  }
  const rows = [
    ...infoRows,
    ...buildRows(
      'param',
      details.map(d => d.params),
      ref,
    ),
    ...buildRows('metric', latest, ref),
    ...buildRows(
      'tag',
      details.map(d => Object.fromEntries(Object.entries(d.tags).filter(([k]) => !k.startsWith('mlflow.')))),
    ),
    ...buildRows('dataset', datasets),
  ];

  const series: SeriesData[] = [];
  for (const d of details) {
    for (const key of metricKeys) {
      if (key in d.latestMetrics) {
        series.push(seriesFromHistory(d.id, key, src.history(d.id, key), maxPoints));
      }
    }
  }

  // Improvement over the baseline on one metric (the requested one, else the first score-like shared metric).
  const shared = metricKeys.filter(k => details.every(d => k in d.latestMetrics));
  const metric =
    options.baselineMetric && metricKeys.includes(options.baselineMetric)
      ? options.baselineMetric
      : (shared.find(k => higherIsBetter(k)) ?? shared[0] ?? null);
  baseline.metric = metric;
  baseline.higherIsBetter = metric ? higherIsBetter(metric) : true;
  for (const d of details) {
    const b = baseline.byExperiment[d.experimentId]?.runId;
    baseline.delta[d.id] = null;
    baseline.baselineValue[d.id] = null;
    if (!metric || !b) {
      baseline.improvement[d.id] = null;
      continue;
    }
    const bd = details.find(x => x.id === b) ?? src.run(b);
    const bv = bd?.latestMetrics[metric]?.value;
    const v = d.latestMetrics[metric]?.value;
    baseline.improvement[d.id] =
      v === undefined || bv === undefined ? null : improvement(v, bv, baseline.higherIsBetter);
    baseline.baselineValue[d.id] = bv !== undefined && Number.isFinite(bv) ? bv : null;
    baseline.delta[d.id] =
      v !== undefined && bv !== undefined && Number.isFinite(v) && Number.isFinite(bv) ? v - bv : null;
  }

  const importances: FeatureImportance[] = [];
  for (const d of details) {
    const entries = Object.entries(d.latestMetrics)
      .filter(([k]) => isImportance(k))
      .map(([k, m]) => [k.slice(FEATURE_IMPORTANCE_PREFIX.length), m.value] as const)
      .filter(([, v]) => Number.isFinite(v))
      .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
    if (entries.length) {
      importances.push({ runId: d.id, names: entries.map(e => e[0]), values: entries.map(e => e[1]) });
    }
  }

  return {
    runs,
    referenceRunId: ref !== undefined ? details[ref].id : null,
    rows,
    metricKeys,
    series,
    baseline,
    importances,
    missing,
  };
}

/**
 * buildCompareData with full histories read from the runs' sources (their files are read outside the store's
 * read callbacks, so the store is not held while they load). `team`: the source of the ids it owns (team runs,
 * core/tracking/teamView.ts), compared side by side with the store's; without a store only those are found.
 */
export async function loadCompareData(
  store: { folder: string; read<T>(fn: (db: Db) => T): T } | undefined,
  runIds: readonly string[],
  options: Omit<CompareOptions, 'histories'> = {},
  team?: { source: CompareSource; owns(id: string): boolean },
): Promise<CompareData> {
  const localIds = team ? runIds.filter(id => !team.owns(id)) : runIds;
  const withTeam = (local: CompareSource) => (team ? routedCompareSource(team.source, team.owns, local) : local);
  if (!store) {
    return buildCompare(withTeam(EMPTY_COMPARE_SOURCE), runIds, options);
  }
  const wanted = store.read(db => compareSeriesWanted(db, localIds));
  const histories = await loadHistories(
    store.read(db => planHistories(db, store.folder, wanted)),
    wanted,
  );
  return store.read(db => buildCompare(withTeam(localCompareSource(db, histories)), runIds, options));
}
