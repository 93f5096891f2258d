/**
 * Read models of the registry for the CLI, the Models view and the promotion page: a model with its versions,
 * their lineage and metrics, aliases, stages, tags, gate settings, and the audit history.
 */
import { Db, metricFromSql } from '../store/db';
import { validBranch, validCommit } from '../git';
import { RegistryAction } from './auditLog';
import { locateMlflowModel } from './mlflowWriteback';
import { CanaryConfig, ModelSettings, canaryOf } from './state';

/** mlflow-team: a registered model of the team's tracking backend (core/tracking/teamView.ts) */
export type ModelBackend = 'mlsight' | 'mlflow-filestore' | 'mlflow-sqlite' | 'mlflow-team';

export interface DatasetLineage {
  name: string;
  role: string;
  digest: string | null;
  rows: number | null;
  path: string | null;
}

export interface VersionDetail {
  model: string;
  version: number;
  stage: string;
  status: string;
  aliases: string[];
  description: string | null;
  createdAt: number | null;
  createdBy: string | null;
  runId: string | null;
  runName: string | null;
  /** the run is in the store (it can be opened) */
  runExists: boolean;
  /** the run's status as its log says (RUNNING, FINISHED, FAILED, KILLED…); null when the run is not in the store */
  runStatus: string | null;
  /** why the status shown differs from the log's (a RUNNING run whose process is gone shows as KILLED) */
  runStatusNote?: string;
  experiment: string | null;
  sourceUri: string | null;
  gitCommit: string | null;
  gitBranch: string | null;
  gitDirty: boolean | null;
  datasets: DatasetLineage[];
  /** metrics at registration, else the run's latest metrics */
  metrics: Record<string, number>;
  metricsFrom: 'registration' | 'run' | 'none';
  tags: Record<string, string>;
  artifact: {
    path: string;
    sha256: string | null;
    size: number | null;
    format: string | null;
    class: string | null;
  } | null;
}

export interface ModelDetail {
  name: string;
  source: string;
  backend: ModelBackend;
  /** the MLflow store it was read from (workspace-relative), for MLflow models */
  mlflowSource: string | null;
  description: string | null;
  createdAt: number | null;
  updatedAt: number | null;
  tags: Record<string, string>;
  aliases: Record<string, number>;
  settings: ModelSettings;
  versions: VersionDetail[];
  /** the canary (challenger version and traffic share) configured with canary.set, if any */
  canary: CanaryConfig | null;
}

export interface RegistryModelSummary {
  name: string;
  source: string;
  description: string | null;
  versionCount: number;
  latestVersion: number | null;
  aliases: Record<string, number>;
}

export interface HistoryEntry {
  id: string;
  seq: number | null;
  at: number;
  actor: string;
  action: RegistryAction;
  model: string;
  version: number | null;
  alias: string | null;
  from: string | null;
  to: string | null;
  reason: string | null;
  evidence: Record<string, unknown> | null;
}

function parseJson<T>(text: unknown): T | null {
  if (typeof text !== 'string') {
    return null;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

/** JSON has no NaN/∞: metrics are stored with those as strings ("NaN", "Infinity", "-Infinity"). */
export function encodeMetric(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}
export function decodeMetric(v: unknown): number | undefined {
  if (typeof v === 'number') {
    return v;
  }
  if (v === 'NaN') {
    return NaN;
  }
  if (v === 'Infinity') {
    return Infinity;
  }
  if (v === '-Infinity') {
    return -Infinity;
  }
  return undefined;
}

export function latestRunMetrics(db: Db, runId: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of db.all<{ key: string; value: number | null }>(
    'SELECT key, value FROM latest_metrics WHERE run_id = ? ORDER BY key',
    [runId],
  )) {
    if (m.key.startsWith('feature_importance/')) {
      continue;
    }
    out[m.key] = metricFromSql(m.value);
  }
  return out;
}

export function readSettings(db: Db, model: string): ModelSettings {
  return (
    parseJson<ModelSettings>(db.scalar('SELECT settings_json FROM model_settings WHERE model_name = ?', [model])) ?? {}
  );
}

/** The model's canary: the latest canary.set event recorded for it (null when none, or cleared). */
export function readCanary(db: Db, model: string): CanaryConfig | null {
  const row = db.get<{ evidence_json: string | null }>(
    `SELECT evidence_json FROM audit_log WHERE model = ? AND action = 'canary.set' ORDER BY log_seq DESC, seq DESC LIMIT 1`,
    [model],
  );
  return row ? canaryOf(parseJson<Record<string, unknown>>(row.evidence_json)?.canary) : null;
}

/**
 * The challenger's planned traffic share for the sample-ratio check: the canary's share when a canary is
 * configured, else the model's `challengerShare` setting, else 0.5.
 */
export function plannedShare(settings: ModelSettings, canary: CanaryConfig | null | undefined): number {
  return canary?.share ?? settings.challengerShare ?? 0.5;
}

export function listRegistryModels(db: Db): RegistryModelSummary[] {
  return db
    .all<{
      name: string;
      source: string;
      description: string | null;
      versionCount: number;
      latestVersion: number | null;
    }>(
      `SELECT m.name, m.source, m.description, count(v.version) AS versionCount, max(v.version) AS latestVersion
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

export function getModelDetail(db: Db, folder: string, name: string): ModelDetail | undefined {
  const m = db.get<{
    name: string;
    source: string;
    description: string | null;
    created_at: number | null;
    updated_at: number | null;
  }>('SELECT name, source, description, created_at, updated_at FROM models WHERE name = ?', [name]);
  if (!m) {
    return undefined;
  }
  let backend: ModelBackend = 'mlsight';
  let mlflowSource: string | null = null;
  if (m.source !== 'mlsight') {
    const loc = locateMlflowModel(db, folder, name);
    backend = loc?.kind === 'filestore' ? 'mlflow-filestore' : 'mlflow-sqlite';
    mlflowSource = loc?.sourceRel ?? null;
  }
  const aliasRows = db.all<{ alias: string; version: number }>(
    'SELECT alias, version FROM model_aliases WHERE model_name = ? ORDER BY alias',
    [name],
  );
  const tagRows = db.all<{ version: number; key: string; value: string | null }>(
    'SELECT version, key, value FROM model_tags WHERE model_name = ? ORDER BY key',
    [name],
  );
  const versions = db
    .all<Record<string, unknown>>('SELECT * FROM model_versions WHERE model_name = ? ORDER BY version DESC', [name])
    .map(v => {
      const version = Number(v.version);
      const runId = (v.run_id as string | null) ?? null;
      const run = runId
        ? db.get<{
            name: string | null;
            status: string | null;
            git_commit: string | null;
            git_branch: string | null;
            git_dirty: number | null;
            experiment: string | null;
          }>(
            `SELECT r.name, r.status, r.git_commit, r.git_branch, r.git_dirty, e.name AS experiment FROM runs r LEFT JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ?`,
            [runId],
          )
        : undefined;
      const lineage = parseJson<Record<string, unknown>>(v.lineage_json) ?? {};
      const registered = parseJson<Record<string, unknown>>(v.metrics_json);
      let metrics: Record<string, number> = {};
      let metricsFrom: VersionDetail['metricsFrom'] = 'none';
      if (registered && Object.keys(registered).length) {
        for (const [k, x] of Object.entries(registered)) {
          const n = decodeMetric(x);
          if (n !== undefined) {
            metrics[k] = n;
          }
        }
        metricsFrom = 'registration';
      } else if (runId && run) {
        metrics = latestRunMetrics(db, runId);
        metricsFrom = Object.keys(metrics).length ? 'run' : 'none';
      }
      let datasets = (parseJson<DatasetLineage[]>(v.datasets_json) ?? []).filter(d => d && typeof d === 'object');
      if (datasets.length === 0 && runId && run) {
        datasets = db.all<DatasetLineage>(
          'SELECT name, role, digest, rows, path FROM datasets WHERE run_id = ? ORDER BY role, name',
          [runId],
        );
      }
      const art =
        lineage.artifact && typeof lineage.artifact === 'object' ? (lineage.artifact as Record<string, unknown>) : null;
      const s = (x: unknown) => (typeof x === 'string' ? x : null);
      return {
        model: name,
        version,
        stage: String(v.stage ?? 'None'),
        status: String(v.status ?? 'READY'),
        aliases: aliasRows.filter(a => a.version === version).map(a => a.alias),
        description: (v.description as string | null) ?? null,
        createdAt: (v.created_at as number | null) ?? null,
        createdBy: (v.created_by as string | null) ?? null,
        runId,
        runName: run?.name ?? s(lineage.run_name),
        runExists: !!run,
        runStatus: run ? String(run.status ?? 'RUNNING') : null,
        experiment: run?.experiment ?? s(lineage.experiment),
        sourceUri: (v.source_uri as string | null) ?? null,
        gitCommit: validCommit(v.git_commit ?? run?.git_commit ?? null),
        gitBranch: validBranch(s(lineage.git_branch) ?? run?.git_branch ?? null),
        gitDirty:
          typeof lineage.git_dirty === 'boolean'
            ? lineage.git_dirty
            : run?.git_dirty === null || run?.git_dirty === undefined
              ? null
              : run.git_dirty === 1,
        datasets,
        metrics,
        metricsFrom,
        tags: Object.fromEntries(tagRows.filter(t => t.version === version).map(t => [t.key, t.value ?? ''])),
        artifact: art
          ? {
              path: s(art.path) ?? '',
              sha256: s(art.sha256),
              size: typeof art.size === 'number' ? art.size : null,
              format: s(art.format),
              class: s(art.class),
            }
          : null,
      } satisfies VersionDetail;
    });
  return {
    name: m.name,
    source: m.source,
    backend,
    mlflowSource,
    description: m.description,
    createdAt: m.created_at,
    updatedAt: m.updated_at,
    tags: Object.fromEntries(tagRows.filter(t => t.version === 0).map(t => [t.key, t.value ?? ''])),
    aliases: Object.fromEntries(aliasRows.map(a => [a.alias, a.version])),
    settings: readSettings(db, name),
    versions,
    canary: readCanary(db, name),
  };
}

export function registryHistory(db: Db, model?: string, limit = 1000): HistoryEntry[] {
  const rows = db
    .all<Record<string, unknown>>(
      `SELECT * FROM audit_log ${model !== undefined ? 'WHERE model = ?' : ''} ORDER BY log_seq DESC, seq DESC LIMIT ?`,
      model !== undefined ? [model, limit] : [limit],
    )
    .reverse();
  return rows.map(r => {
    const e = parseJson<Record<string, unknown>>(r.event_json) ?? {};
    return {
      id: String(r.event_id),
      seq: (r.log_seq as number | null) ?? null,
      at: Number(r.at),
      actor: String(r.actor),
      action: r.action as RegistryAction,
      model: (r.model as string | null) ?? String(e.model ?? r.subject),
      version: typeof e.version === 'number' ? e.version : null,
      alias: typeof e.alias === 'string' ? e.alias : null,
      from: (r.from_value as string | null) ?? null,
      to: (r.to_value as string | null) ?? null,
      reason: (r.reason as string | null) ?? null,
      evidence: parseJson<Record<string, unknown>>(r.evidence_json),
    };
  });
}

/** Runs that logged a model (newest first, at most 500): what "Register Model…" offers. */
export function runsWithModels(
  db: Db,
): { id: string; name: string | null; experiment: string | null; models: number; start_time: number | null }[] {
  return db.all(
    `SELECT r.id, r.name, e.name AS experiment, count(a.path) AS models, r.start_time FROM runs r JOIN artifacts a ON a.run_id = r.id AND a.kind = 'model'
       LEFT JOIN experiments e ON e.id = r.experiment_id WHERE r.lifecycle_stage = 'active' GROUP BY r.id ORDER BY r.start_time DESC LIMIT 500`,
  );
}
