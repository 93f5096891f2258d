/**
 * Between the workspace and a team backend: ML Sight runs of a workspace as MLflow would have logged them
 * (SyncRun), and team runs in the JSON shape `mlsight runs --format json` prints for a folder (CliRun).
 *
 * As MLflow logs a run: the run name also as tag mlflow.runName, the git commit as mlflow.source.git.commit
 * (branch, dirty as mlflow.source.git.branch/.dirty), the user as mlflow.user, every metric point with its step,
 * timestamp and NaN flag, datasets as inputs (digest, source {"uri": path}, schema, profile {"num_rows": n}) with
 * their role as mlflow.data.context. The ML Sight run id is MLflow's run_uuid (both are 32 hex digits), also kept
 * as tag mlsight.run_id, so a second sync of the same run updates it instead of adding a copy.
 */
import * as os from 'os';
import { flag } from '../ingest/common';
import {
  TAG_GIT_BRANCH,
  TAG_GIT_COMMIT,
  TAG_GIT_DIRTY,
  TAG_RUN_NAME,
  datasetRecord,
  mlflowStatus,
} from '../ingest/rows';
import { CliRun, jsonNumber } from '../runs/cliRuns';
import { getRun } from '../queries';
import { loadHistories, planHistories } from '../runs/history';
import { Db } from '../store/db';
import { WorkspaceStore } from '../store/store';
import { RUN_UUID, SyncRun, TeamDataset, TeamExperiment, TeamMetric, TeamRun } from './types';

export const TAG_MLSIGHT_RUN_ID = 'mlsight.run_id';
export const TAG_USER = 'mlflow.user';
const STATUSES = new Set(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);

export interface LocalRunRef {
  id: string;
  experiment: string;
}

/** ML Sight's own runs in the store (source 'mlsight', active), oldest first; `only` restricts to these ids. */
export function listSyncableRuns(db: Db, only?: readonly string[]): LocalRunRef[] {
  const rows = db.all<{ id: string; experiment: string }>(
    `SELECT r.id, e.name AS experiment FROM runs r JOIN experiments e ON e.id = r.experiment_id
      WHERE r.source = 'mlsight' AND r.lifecycle_stage = 'active' ORDER BY r.start_time, r.id`,
  );
  if (!only) {
    return rows;
  }
  const want = new Set(only);
  return rows.filter(r => want.has(r.id));
}

export interface BuiltRun {
  run: SyncRun;
  incomplete: string[];
}

/** One store run as a SyncRun, with full metric histories from its run log (incomplete: keys only the store's copy had). */
export async function buildSyncRun(store: WorkspaceStore, ref: LocalRunRef): Promise<BuiltRun> {
  if (!RUN_UUID.test(ref.id)) {
    throw new Error(`run ${ref.id}: not a 32-hex-digit run id, so MLflow cannot hold it`);
  }
  const { detail, datasets, keys, plan } = store.read(db => {
    const detail = getRun(db, ref.id);
    const datasets = db.all<{
      name: string;
      role: string;
      path: string | null;
      digest: string | null;
      rows: number | null;
      schema_json: string | null;
    }>('SELECT name, role, path, digest, rows, schema_json FROM datasets WHERE run_id = ? ORDER BY role, name', [
      ref.id,
    ]);
    const keys = db
      .all<{ key: string }>('SELECT key FROM latest_metrics WHERE run_id = ? ORDER BY key', [ref.id])
      .map(r => r.key);
    return {
      detail,
      datasets,
      keys,
      plan: planHistories(
        db,
        store.folder,
        keys.map(key => ({ runId: ref.id, key })),
      ),
    };
  });
  if (!detail) {
    throw new Error(`run ${ref.id} is not in the store`);
  }
  const hist = await loadHistories(
    plan,
    keys.map(key => ({ runId: ref.id, key })),
  );
  const metrics = new Map<string, TeamMetric[]>();
  const incomplete: string[] = [];
  for (const key of keys) {
    const h = hist.get(ref.id)?.get(key);
    if (!h) {
      continue;
    }
    if (!h.complete) {
      incomplete.push(key);
    }
    metrics.set(
      key,
      h.points.map(p => ({ value: p.value, step: p.step, timestamp: p.timestamp ?? detail.startTime ?? 0 })),
    );
  }
  const tags = new Map<string, string>(Object.entries(detail.tags));
  if (detail.name) {
    tags.set(TAG_RUN_NAME, detail.name);
  }
  if (detail.gitCommit) {
    tags.set(TAG_GIT_COMMIT, detail.gitCommit);
  }
  if (detail.gitBranch) {
    tags.set(TAG_GIT_BRANCH, detail.gitBranch);
  }
  if (detail.gitDirty !== null) {
    tags.set(TAG_GIT_DIRTY, String(detail.gitDirty));
  }
  if (detail.description) {
    tags.set('mlflow.note.content', detail.description);
  }
  const user = tags.get(TAG_USER) ?? safeUser();
  tags.set(TAG_USER, user);
  tags.set('mlflow.source.type', tags.get('mlflow.source.type') ?? 'LOCAL');
  tags.set(TAG_MLSIGHT_RUN_ID, ref.id);
  const ds: TeamDataset[] = datasets.map(d => ({
    name: d.name,
    // MLflow's digest column holds 36 characters; ML Sight's content hashes are longer: their prefix is kept.
    digest: (d.digest ?? '').slice(0, 36) || 'unknown',
    sourceType: 'local',
    source: JSON.stringify({ uri: d.path ?? d.name }),
    schema: d.schema_json,
    profile: d.rows !== null ? JSON.stringify({ num_rows: d.rows }) : null,
    context: d.role,
  }));
  const status = STATUSES.has(detail.status) ? (detail.status as SyncRun['status']) : 'FINISHED';
  return {
    run: {
      runUuid: ref.id,
      experimentName: ref.experiment,
      name: detail.name,
      status,
      startTime: detail.startTime,
      endTime: detail.endTime,
      userId: user,
      params: Object.entries(detail.params),
      tags: [...tags],
      metrics,
      datasets: ds,
    },
    incomplete,
  };
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** A team run in the shape `mlsight runs --format json` prints (source "mlflow", ids as MLflow has them). */
export function teamRunToCli(r: TeamRun, experiments: ReadonlyMap<string, TeamExperiment>): CliRun {
  const iso = (t: number | null) => (t ? new Date(t).toISOString() : null);
  const dirty = flag(r.tags[TAG_GIT_DIRTY]);
  return {
    id: r.runUuid,
    experiment: experiments.get(r.experimentId)?.name ?? r.experimentId,
    experimentId: r.experimentId,
    name: r.name,
    status: mlflowStatus(r.status),
    source: 'mlflow',
    startTime: iso(r.startTime),
    endTime: iso(r.endTime),
    params: r.params,
    metrics: Object.fromEntries(Object.entries(r.metrics).map(([k, m]) => [k, jsonNumber(m.value)])),
    tags: r.tags,
    git: {
      commit: r.tags[TAG_GIT_COMMIT] ?? null,
      branch: r.tags[TAG_GIT_BRANCH] ?? null,
      dirty: dirty === null ? null : dirty === 1,
    },
    datasets: r.datasets.map(d => {
      const rec = datasetRecord(
        {
          name: d.name,
          digest: d.digest,
          source: d.source,
          schema: d.schema ?? undefined,
          profile: d.profile ?? undefined,
        },
        d.context || 'input',
      );
      return { name: d.name, role: rec?.role ?? 'input', digest: d.digest, rows: rec?.rows ?? null };
    }),
  };
}
