/**
 * Writing ingested experiments, runs, metric points and registered models into the store's tables. Every
 * function here is an upsert or a delete-then-insert of one entity, so a mutation built from them can be
 * replayed on a newer copy of the store (see WorkspaceStore.write) and converges on the same rows.
 */
import { validBranch, validCommit } from '../git';
import { IngestCounts, SOURCE_MLFLOW, StateRow, Stmts, flag, getState, putState } from './common';

export interface ExperimentRecord {
  id: string;
  name: string;
  source: string;
  artifactLocation: string | null;
  lifecycleStage: 'active' | 'deleted';
  createdAt: number | null;
}

export interface DatasetRecord {
  name: string;
  role: string;
  path: string | null;
  digest: string | null;
  rows: number | null;
  schemaJson: string | null;
}
export interface ArtifactRecord {
  path: string;
  kind: string;
  size: number | null;
}

export interface RunRecord {
  id: string;
  experimentId: string;
  name: string | null;
  status: string;
  startTime: number | null;
  endTime: number | null;
  source: string;
  sourcePath: string;
  description: string | null;
  gitCommit: string | null;
  gitBranch: string | null;
  gitDirty: number | null;
  lifecycleStage: 'active' | 'deleted';
  /** undefined: leave the run's params as they are (sources without params, e.g. TensorBoard). */
  params?: [string, string][];
  /** undefined: leave the run's tags as they are. */
  tags?: [string, string][];
  /** undefined: leave the run's artifacts as they are. */
  artifacts?: ArtifactRecord[];
  /** undefined: leave the run's datasets as they are. */
  datasets?: DatasetRecord[];
}

export interface ModelVersionRecord {
  version: number;
  runId: string | null;
  sourceUri: string | null;
  gitCommit: string | null;
  description: string | null;
  stage: string;
  status: string;
  createdAt: number | null;
  tags: [string, string][];
}

export interface ModelRecord {
  name: string;
  description: string | null;
  createdAt: number | null;
  updatedAt: number | null;
  tags: [string, string][];
  versions: ModelVersionRecord[];
  aliases: [string, number][];
}

export type { Points, PointSeq } from '../store/series';
export { emptyPoints, pointSeq } from '../store/series';

/** Inserts or updates an experiment; returns true if the row changed. */
export function upsertExperiment(s: Stmts, e: ExperimentRecord): boolean {
  const cur = s.get<ExperimentRow>(
    'SELECT name, source, artifact_location, lifecycle_stage, created_at FROM experiments WHERE id = ?',
    [e.id],
  );
  if (!experimentDiffers(cur, e)) {
    return false;
  }
  s.run(
    `INSERT INTO experiments (id, name, source, artifact_location, lifecycle_stage, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, source = excluded.source, artifact_location = excluded.artifact_location,
           lifecycle_stage = excluded.lifecycle_stage, created_at = excluded.created_at`,
    [e.id, e.name, e.source, e.artifactLocation, e.lifecycleStage, e.createdAt],
  );
  return true;
}

/** An experiments row as the store has it (the columns ingestion writes). */
export interface ExperimentRow {
  name: string;
  source: string;
  artifact_location: string | null;
  lifecycle_stage: string;
  created_at: number | null;
}

/** True if the stored row (undefined: none) differs from the record, i.e. the record must be written. */
export function experimentDiffers(cur: ExperimentRow | undefined, e: ExperimentRecord): boolean {
  return !(
    cur &&
    cur.name === e.name &&
    cur.source === e.source &&
    cur.artifact_location === e.artifactLocation &&
    cur.lifecycle_stage === e.lifecycleStage &&
    cur.created_at === e.createdAt
  );
}

/**
 * Upserts the run row and replaces its params and tags (and artifacts/datasets when given). `isNew`: the caller
 * knows the store has no row for this run, so there is nothing to delete first.
 */
export function writeRun(s: Stmts, r: RunRecord, isNew = false): void {
  s.run(
    `INSERT INTO runs (id, experiment_id, name, status, start_time, end_time, source, source_path, description, git_commit,
           git_branch, git_dirty, lifecycle_stage, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET experiment_id = excluded.experiment_id, name = excluded.name, status = excluded.status,
           start_time = excluded.start_time, end_time = excluded.end_time, source = excluded.source, source_path = excluded.source_path,
           description = excluded.description, git_commit = excluded.git_commit, git_branch = excluded.git_branch,
           git_dirty = excluded.git_dirty, lifecycle_stage = excluded.lifecycle_stage, updated_at = excluded.updated_at`,
    [
      r.id,
      r.experimentId,
      r.name,
      r.status,
      r.startTime,
      r.endTime,
      r.source,
      r.sourcePath,
      r.description,
      validCommit(r.gitCommit),
      validBranch(r.gitBranch),
      r.gitDirty,
      r.lifecycleStage,
      Date.now(),
    ],
  );
  if (r.params) {
    if (!isNew) {
      s.run('DELETE FROM params WHERE run_id = ?', [r.id]);
    }
    s.insertMany(
      'INSERT OR REPLACE INTO params (run_id, key, value)',
      r.params.map(([k, v]) => [r.id, k, v]),
    );
  }
  if (r.tags) {
    if (!isNew) {
      s.run('DELETE FROM tags WHERE run_id = ?', [r.id]);
    }
    s.insertMany(
      'INSERT OR REPLACE INTO tags (run_id, key, value)',
      r.tags.map(([k, v]) => [r.id, k, v]),
    );
  }
  if (r.artifacts) {
    if (!isNew) {
      s.run('DELETE FROM artifacts WHERE run_id = ?', [r.id]);
    }
    for (const a of r.artifacts) {
      s.run('INSERT OR REPLACE INTO artifacts (run_id, path, kind, size) VALUES (?, ?, ?, ?)', [
        r.id,
        a.path,
        a.kind,
        a.size,
      ]);
    }
  }
  if (r.datasets) {
    if (!isNew) {
      s.run('DELETE FROM datasets WHERE run_id = ?', [r.id]);
    }
    for (const d of r.datasets) {
      s.run(
        'INSERT OR REPLACE INTO datasets (run_id, name, role, path, digest, rows, schema_json) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [r.id, d.name, d.role, d.path, d.digest, d.rows, d.schemaJson],
      );
    }
  }
}

export function deleteRun(s: Stmts, runId: string): void {
  // params, tags, latest values and series go with it (trigger runs_delete_children), artifacts and datasets too (ON DELETE CASCADE)
  s.run('DELETE FROM runs WHERE id = ?', [runId]);
}

/** Replaces a registered model and everything under it (versions, aliases, tags). */
export function writeModel(s: Stmts, m: ModelRecord, source: string): void {
  s.run('DELETE FROM models WHERE name = ?', [m.name]); // cascades to model_versions, model_aliases, model_tags
  s.run('INSERT INTO models (name, description, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [
    m.name,
    m.description,
    source,
    m.createdAt,
    m.updatedAt,
  ]);
  for (const [k, v] of m.tags) {
    s.run('INSERT OR REPLACE INTO model_tags (model_name, version, key, value) VALUES (?, 0, ?, ?)', [m.name, k, v]);
  }
  const versions = new Set<number>();
  for (const v of m.versions) {
    versions.add(v.version);
    s.run(
      `INSERT OR REPLACE INTO model_versions (model_name, version, run_id, source_uri, git_commit, description, stage, status, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        m.name,
        v.version,
        v.runId,
        v.sourceUri,
        validCommit(v.gitCommit),
        v.description,
        v.stage,
        v.status,
        v.createdAt,
      ],
    );
    for (const [k, val] of v.tags) {
      s.run('INSERT OR REPLACE INTO model_tags (model_name, version, key, value) VALUES (?, ?, ?, ?)', [
        m.name,
        v.version,
        k,
        val,
      ]);
    }
  }
  for (const [alias, version] of m.aliases) {
    // An alias pointing at a deleted or unknown version is dropped, as MLflow does when a version is deleted.
    if (versions.has(version)) {
      s.run('INSERT OR REPLACE INTO model_aliases (model_name, alias, version) VALUES (?, ?, ?)', [
        m.name,
        alias,
        version,
      ]);
    }
  }
}

/** MLflow run status names by the integer stored in FileStore meta.yaml. */
export const MLFLOW_STATUS_BY_INT: Record<number, string> = {
  1: 'RUNNING',
  2: 'SCHEDULED',
  3: 'FINISHED',
  4: 'FAILED',
  5: 'KILLED',
};
const STATUS_NAMES = new Set(Object.values(MLFLOW_STATUS_BY_INT));

/** A status as stored by MLflow (int in meta.yaml, string in SQL) → its name; missing → RUNNING. */
export function mlflowStatus(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint') {
    return MLFLOW_STATUS_BY_INT[Number(v)] ?? 'RUNNING';
  }
  if (typeof v === 'string') {
    const s = v.trim().toUpperCase();
    if (STATUS_NAMES.has(s)) {
      return s;
    }
    if (/^\d+$/.test(s)) {
      return MLFLOW_STATUS_BY_INT[Number(s)] ?? 'RUNNING';
    }
  }
  return 'RUNNING';
}

/** Well-known MLflow system tags that feed run columns. */
export const TAG_RUN_NAME = 'mlflow.runName';
export const TAG_NOTE = 'mlflow.note.content';
export const TAG_GIT_COMMIT = 'mlflow.source.git.commit';
export const TAG_GIT_BRANCH = 'mlflow.source.git.branch';
export const TAG_GIT_DIRTY = 'mlflow.source.git.dirty';
export const TAG_DATASET_CONTEXT = 'mlflow.data.context';

/** The run columns MLflow keeps in system tags (the same for a FileStore run and an `mlflow.db` run). */
export function runFieldsFromTags(
  tags: ReadonlyMap<string, string>,
): Pick<RunRecord, 'description' | 'gitCommit' | 'gitBranch' | 'gitDirty'> {
  return {
    description: tags.get(TAG_NOTE) ?? null,
    gitCommit: tags.get(TAG_GIT_COMMIT) ?? null,
    gitBranch: tags.get(TAG_GIT_BRANCH) ?? null,
    gitDirty: flag(tags.get(TAG_GIT_DIRTY)),
  };
}

/** Dataset fields from MLflow's dataset entity (source is a JSON string such as {"uri": "…"}; profile has num_rows). */
export function datasetRecord(
  fields: { name?: unknown; digest?: unknown; source?: unknown; schema?: unknown; profile?: unknown },
  role: string,
): DatasetRecord | undefined {
  const name = typeof fields.name === 'string' ? fields.name : undefined;
  if (!name) {
    return undefined;
  }
  const source = typeof fields.source === 'string' ? fields.source : null;
  let p: string | null = source;
  if (source) {
    try {
      const j = JSON.parse(source) as Record<string, unknown>;
      const u = j && typeof j === 'object' ? (j.uri ?? j.path ?? j.url ?? j.file_path) : undefined;
      if (typeof u === 'string') {
        p = u;
      }
    } catch {
      /* not JSON: keep the raw text */
    }
  }
  let rows: number | null = null;
  if (typeof fields.profile === 'string') {
    try {
      const j = JSON.parse(fields.profile) as Record<string, unknown>;
      const n = j?.num_rows ?? j?.rows;
      if (typeof n === 'number' && Number.isFinite(n)) {
        rows = Math.trunc(n);
      }
    } catch {
      /* ignore */
    }
  }
  return {
    name,
    role,
    path: p,
    digest: typeof fields.digest === 'string' ? fields.digest : null,
    rows,
    schemaJson: typeof fields.schema === 'string' && fields.schema !== '' ? fields.schema : null,
  };
}

/**
 * Writes an MLflow registered model that the source at `ownerPath` (`<source>#model:<key>`, run_id = model
 * name) provides, unless the name belongs to ML Sight's own registry or to another MLflow source; then only
 * the ownership row is kept, marked line = -2 (not shown). Registry audit events are never written here:
 * these rows mirror MLflow's files and are replaced whenever they change.
 */
export function applyOwnedModel(
  s: Stmts,
  model: ModelRecord,
  ownerPath: string,
  state: StateRow,
  counts: IngestCounts | undefined,
): void {
  const cur = s.get<{ source: string }>('SELECT source FROM models WHERE name = ?', [model.name]);
  const otherOwner = s.get<{ path: string }>(
    `SELECT path FROM ingest_state WHERE run_id = ? AND instr(path, '#model:') > 0 AND path <> ? AND line >= 0`,
    [model.name, ownerPath],
  );
  if ((cur && cur.source !== SOURCE_MLFLOW) || otherOwner) {
    putState(s, { ...state, run_id: model.name, line: -2 });
    return;
  }
  writeModel(s, model, SOURCE_MLFLOW);
  putState(s, { ...state, run_id: model.name, line: 0 });
  if (counts) {
    counts.models++;
  }
}

/** Removes a model the source at `ownerPath` provided (if it still owns it) and the ownership row. */
export function removeOwnedModel(s: Stmts, ownerPath: string): void {
  const own = getState(s, ownerPath);
  if (own && own.line >= 0 && own.run_id) {
    s.run('DELETE FROM models WHERE name = ? AND source = ?', [own.run_id, SOURCE_MLFLOW]);
  }
  s.run('DELETE FROM ingest_state WHERE path = ?', [ownerPath]);
}
