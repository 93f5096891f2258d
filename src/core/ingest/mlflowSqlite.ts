/**
 * MLflow SQLite tracking store (`mlflow.db`, the default backend since MLflow 3.7) → store.
 *
 * The user's file is never opened for writing: its bytes are read and sql.js opens an in-memory copy. The file
 * is re-read only when its size or mtime changed (ingest_state row `<db path>`), not while a rollback journal
 * (`mlflow.db-journal`) says a transaction is in progress, and a copy that changed while being read is thrown
 * away and read again on the next pass.
 *
 * Ids: experiment `mlflow:<db path>:<experiment id>`, run `mlflow:<run uuid>` (see mlflowFileStore/ids.ts);
 * runs.source_path = the database's workspace-relative path. Experiment ids are read with
 * `CAST(experiment_id AS TEXT)` because 18-digit ids exceed Number.MAX_SAFE_INTEGER.
 *
 * Only what changed is rewritten: each run has a fingerprint (`<db>#run:<uuid>`: a hash of its row, params,
 * tags and datasets, and its metric row count), and a run whose fingerprint changed has its rows replaced.
 * Values: is_nan = 1 → NaN; ±1.7976931348623157e308 (how MLflow's SQL store writes ±inf) → ±Infinity.
 * The team backend for sqlite:/// URIs (core/tracking/sqlite.ts) reads through the same helpers (sqlColumns,
 * sqlRows, metricValue).
 */
import * as fs from 'fs';
import type { Database, SqlValue } from 'sql.js';
import { Logger } from '../log';
import { loadSqlJs } from '../store/sqljs';
import { WorkspaceStore } from '../store/store';
import {
  Batcher,
  IngestCounts,
  SOURCE_MLFLOW,
  StateRow,
  Stmts,
  fnv1a,
  getState,
  fileMtime,
  problem,
  putState,
  relPath,
  stateRowsWithPrefix,
  toInt,
} from './common';
import { mlflowExperimentId, mlflowRunId, parseMlflowExperimentId } from './mlflowFileStore/ids';
import { appendSeries, deleteSeries } from '../store/series';
import {
  DatasetRecord,
  ExperimentRecord,
  ModelRecord,
  ModelVersionRecord,
  Points,
  RunRecord,
  TAG_DATASET_CONTEXT,
  TAG_GIT_COMMIT,
  TAG_RUN_NAME,
  datasetRecord,
  emptyPoints,
  pointSeq,
  mlflowStatus,
  upsertExperiment,
  writeRun,
  runFieldsFromTags,
} from './rows';
import { CommonWork, workBatcher } from './work';
import { errorMessage } from '../errors';

/** How MLflow's SQL store writes +/-inf (SQL cannot hold infinities portably). */
const SQL_INF = 1.7976931348623157e308;

export interface SqliteOptions {
  /** Re-read even if the file did not change (e.g. after the owner of a duplicate run went away). */
  force?: boolean;
}

/**
 * A changed run: the first item replaces the run (replace = true); a large run continues in further items,
 * each applied only if the state row still holds the intermediate marker the previous item left (`expect`).
 */
type RunWork = {
  kind: 'run';
  record: RunRecord;
  exp: ExperimentRecord;
  state: StateRow;
  replace: boolean;
  expect?: { size: number; offset: number };
  series: [string, Points][];
};
type Work = CommonWork | RunWork;

function weigh(w: RunWork): number {
  return 1 + w.series.reduce((a, [, p]) => a + p.values.length, 0);
}

function applyRun(s: Stmts, w: RunWork, counts: IngestCounts | undefined): void {
  const owner = s.get<{ source_path: string | null }>('SELECT source_path FROM runs WHERE id = ?', [w.record.id]);
  if (owner && owner.source_path !== w.record.sourcePath) {
    return;
  } // another source shows this run
  if (upsertExperiment(s, w.exp) && counts) {
    counts.experiments++;
  }
  if (w.replace) {
    const cur = getState(s, w.state.path);
    // Replayed after another process applied the same fingerprint: nothing to do.
    if (cur && owner && cur.size === w.state.size && cur.offset === w.state.offset) {
      return;
    }
    deleteSeries(s, w.record.id);
    writeRun(s, w.record);
    if (counts) {
      counts.runs++;
      counts.params += w.record.params?.length ?? 0;
      counts.tags += w.record.tags?.length ?? 0;
      counts.changedRuns.push(w.record.id);
    }
  } else {
    const cur = getState(s, w.state.path);
    if (!owner || !w.expect || !cur || cur.size !== w.expect.size || cur.offset !== w.expect.offset) {
      return;
    }
  }
  for (const [key, p] of w.series) {
    appendSeries(s, w.record.id, key, pointSeq(p));
    if (counts) {
      counts.metricPoints += p.values.length;
    }
  }
  putState(s, w.state);
}

/** Column names of a table in the MLflow database (empty if the table does not exist). */
export function sqlColumns(db: Database, table: string): Set<string> {
  const out = new Set<string>();
  const st = db.prepare(`SELECT name FROM pragma_table_info(?)`);
  try {
    st.bind([table]);
    while (st.step()) {
      out.add(String(st.get()[0]));
    }
  } finally {
    st.free();
  }
  return out;
}

/** The rows of a query on an MLflow database, as objects. */
export function sqlRows<T>(db: Database, sql: string, params: SqlValue[] = []): T[] {
  const st = db.prepare(sql);
  const out: T[] = [];
  try {
    st.bind(params);
    while (st.step()) {
      out.push(st.getAsObject() as unknown as T);
    }
  } finally {
    st.free();
  }
  return out;
}

/** `col` if the table has it, else `NULL AS col` (older MLflow schemas lack some columns). */
function col(cols: Set<string>, name: string, expr = name): string {
  return cols.has(name) ? `${expr} AS ${name}` : `NULL AS ${name}`;
}

export function metricValue(value: SqlValue, isNan: SqlValue): number {
  if (Number(isNan) === 1) {
    return NaN;
  }
  const v = Number(value);
  if (v >= SQL_INF) {
    return Infinity;
  }
  if (v <= -SQL_INF) {
    return -Infinity;
  }
  return v;
}

interface DbRun {
  run_uuid: string;
  name: string | null;
  status: string | null;
  start_time: number | null;
  end_time: number | null;
  lifecycle_stage: string | null;
  artifact_uri: string | null;
  experiment_id: string | null;
}

/** Ingests one mlflow.db. Never throws for a bad file: it is reported once (until it changes) and skipped. */
export async function ingestMlflowSqlite(
  store: WorkspaceStore,
  log: Logger,
  dbAbs: string,
  counts: IngestCounts,
  options: SqliteOptions = {},
): Promise<void> {
  const dbRel = relPath(store.folder, dbAbs);
  counts.mlflowDatabases++;
  const st = await fs.promises.stat(dbAbs).catch(() => undefined);
  if (!st || !st.isFile()) {
    return;
  }
  const prev = store.read(db => getState(db, dbRel));
  const stamp = { size: st.size, mtime_ms: fileMtime(st) };
  if (!options.force && prev && prev.size === stamp.size && prev.mtime_ms === stamp.mtime_ms) {
    return;
  }
  const journal = await fs.promises.stat(`${dbAbs}-journal`).catch(() => undefined);
  if (journal && journal.size > 0) {
    return;
  } // a write transaction is in progress: read it on the next pass
  const marker = (reason: string) => {
    if (prev && prev.line === -1 && prev.size === stamp.size && prev.mtime_ms === stamp.mtime_ms) {
      return;
    }
    problem(log, counts, 'warn', `MLflow: ${dbRel}: ${reason}; this database is skipped until it changes.`);
    store.write(db =>
      db.run(
        `INSERT INTO ingest_state (path, offset, size, mtime_ms, line, run_id) VALUES (?, 0, ?, ?, -1, NULL)
       ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, line = -1`,
        [dbRel, stamp.size, stamp.mtime_ms],
      ),
    );
  };
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(dbAbs);
  } catch (e) {
    marker(`cannot be read (${errorMessage(e)})`);
    return;
  }
  counts.filesRead++;
  counts.bytesRead += bytes.length;
  const after = await fs.promises.stat(dbAbs).catch(() => undefined);
  if (!after || after.size !== st.size || fileMtime(after) !== stamp.mtime_ms) {
    return;
  } // changed while read
  if (bytes.length === 0) {
    return;
  }
  const SQL = await loadSqlJs();
  let db: Database;
  try {
    db = new SQL.Database(bytes);
  } catch (e) {
    marker(`not a SQLite database (${errorMessage(e)})`);
    return;
  }
  try {
    const runCols = sqlColumns(db, 'runs');
    const expCols = sqlColumns(db, 'experiments');
    if (!runCols.has('run_uuid') || !expCols.has('experiment_id')) {
      marker('not an MLflow tracking database (no experiments/runs tables)');
      return;
    }
    readDatabase(store, log, db, dbRel, counts, stamp, runCols, expCols);
  } catch (e) {
    marker(`could not be read as an MLflow database (${errorMessage(e)})`);
  } finally {
    db.close();
  }
}

function readDatabase(
  store: WorkspaceStore,
  log: Logger,
  db: Database,
  dbRel: string,
  counts: IngestCounts,
  stamp: { size: number; mtime_ms: number },
  runCols: Set<string>,
  expCols: Set<string>,
): void {
  const batch = workBatcher<RunWork>(store, counts, applyRun, weigh);
  const runPrefix = `${dbRel}#run:`;
  const modelPrefix = `${dbRel}#model:`;
  const { runStates, modelStates, owners, storeExps } = store.read(sdb => ({
    runStates: stateRowsWithPrefix(sdb, runPrefix),
    modelStates: stateRowsWithPrefix(sdb, modelPrefix),
    owners: new Map(
      sdb
        .all<{ id: string; source_path: string | null }>('SELECT id, source_path FROM runs WHERE source = ?', [
          SOURCE_MLFLOW,
        ])
        .map(r => [r.id, r.source_path]),
    ),
    storeExps: new Map(
      sdb
        .all<{
          id: string;
          name: string;
          artifact_location: string | null;
          lifecycle_stage: string;
          created_at: number | null;
          source: string;
        }>(
          'SELECT id, name, artifact_location, lifecycle_stage, created_at, source FROM experiments WHERE substr(id, 1, length(?1)) = ?1',
          [mlflowExperimentId(dbRel, '')],
        )
        .map(e => [e.id, e]),
    ),
  }));

  // Experiments
  const exps = new Map<string, ExperimentRecord>();
  for (const e of sqlRows<{
    id: string;
    name: string | null;
    artifact_location: string | null;
    lifecycle_stage: string | null;
    creation_time: SqlValue;
  }>(
    db,
    `SELECT CAST(experiment_id AS TEXT) AS id, ${col(expCols, 'name')}, ${col(expCols, 'artifact_location')}, ${col(expCols, 'lifecycle_stage')},
            ${col(expCols, 'creation_time')} FROM experiments`,
  )) {
    const rec: ExperimentRecord = {
      id: mlflowExperimentId(dbRel, e.id),
      name: e.name ?? e.id,
      source: SOURCE_MLFLOW,
      artifactLocation: e.artifact_location ?? null,
      lifecycleStage: e.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
      createdAt: toInt(e.creation_time) ?? null,
    };
    exps.set(e.id, rec);
    const cur = storeExps.get(rec.id);
    if (
      !cur ||
      cur.name !== rec.name ||
      cur.artifact_location !== rec.artifactLocation ||
      cur.lifecycle_stage !== rec.lifecycleStage ||
      cur.created_at !== rec.createdAt ||
      cur.source !== rec.source
    ) {
      batch.add({ kind: 'experiment', exp: rec });
    }
  }

  // Runs with their params, tags, inputs and metric counts
  const byRun = <T extends { run_uuid: string }>(list: T[]) => {
    const m = new Map<string, T[]>();
    for (const r of list) {
      const l = m.get(r.run_uuid);
      if (l) {
        l.push(r);
      } else {
        m.set(r.run_uuid, [r]);
      }
    }
    return m;
  };
  const has = (t: string) => sqlColumns(db, t).size > 0;
  type Kv = { run_uuid: string; key: string; value: string | null };
  const params = has('params')
    ? byRun(sqlRows<Kv>(db, 'SELECT run_uuid, key, value FROM params'))
    : new Map<string, Kv[]>();
  const tags = has('tags') ? byRun(sqlRows<Kv>(db, 'SELECT run_uuid, key, value FROM tags')) : new Map<string, Kv[]>();
  const metricStats = has('metrics')
    ? new Map(
        sqlRows<{ run_uuid: string; n: number; mt: number | null; ss: number | null }>(
          db,
          'SELECT run_uuid, count(*) AS n, max(timestamp) AS mt, total(step) AS ss FROM metrics GROUP BY run_uuid',
        ).map(r => [r.run_uuid, r]),
      )
    : new Map<string, { n: number; mt: number | null; ss: number | null }>();
  const datasets = readSqlDatasets(db);
  const runs = sqlRows<DbRun>(
    db,
    `SELECT run_uuid, ${col(runCols, 'name')}, ${col(runCols, 'status')}, ${col(runCols, 'start_time')}, ${col(runCols, 'end_time')},
            ${col(runCols, 'lifecycle_stage')}, ${col(runCols, 'artifact_uri')}, ${col(runCols, 'experiment_id', 'CAST(experiment_id AS TEXT)')}
       FROM runs ORDER BY start_time, run_uuid`,
  );
  const metricSt = has('metrics')
    ? db.prepare(
        'SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? ORDER BY key, step, timestamp',
      )
    : undefined;
  const seenRuns = new Set<string>();
  const gitByRun = new Map<string, string>();
  let duplicates = 0;
  try {
    for (const r of runs) {
      const exp = r.experiment_id !== null ? exps.get(r.experiment_id) : undefined;
      if (!exp) {
        continue;
      } // a run of an unknown experiment (MLflow's foreign key prevents it)
      const runId = mlflowRunId(r.run_uuid);
      const statePath = runPrefix + r.run_uuid;
      seenRuns.add(statePath);
      const owner = owners.get(runId);
      if (owner && owner !== dbRel) {
        duplicates++;
        continue;
      }
      const p = (params.get(r.run_uuid) ?? []).map(x => [x.key, x.value ?? ''] as [string, string]).sort(cmpKv);
      const t = (tags.get(r.run_uuid) ?? []).map(x => [x.key, x.value ?? ''] as [string, string]).sort(cmpKv);
      const tagMap = new Map(t);
      if (tagMap.has(TAG_GIT_COMMIT)) {
        gitByRun.set(r.run_uuid, tagMap.get(TAG_GIT_COMMIT)!);
      }
      const ds = datasets.get(r.run_uuid) ?? [];
      const ms = metricStats.get(r.run_uuid);
      const record: RunRecord = {
        id: runId,
        experimentId: exp.id,
        name: r.name || tagMap.get(TAG_RUN_NAME) || null,
        status: mlflowStatus(r.status),
        startTime: toInt(r.start_time) ?? null,
        endTime: toInt(r.end_time) ?? null,
        source: SOURCE_MLFLOW,
        sourcePath: dbRel,
        ...runFieldsFromTags(tagMap),
        lifecycleStage: r.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
        params: p,
        tags: t,
        datasets: ds,
        artifacts: undefined,
      };
      const hash = fnv1a(JSON.stringify([r, p, t, ds, exp.id, ms?.mt ?? null, ms?.ss ?? null]));
      const count = ms?.n ?? 0;
      const prevState = runStates.get(statePath);
      if (prevState && owner === dbRel && prevState.size === hash && prevState.offset === count) {
        continue;
      }
      const state: StateRow = { path: statePath, offset: count, size: hash, mtime_ms: null, line: 0, run_id: runId };
      // Metrics of a changed run are replaced as a whole (series are split over several writes when large).
      const series: [string, Points][] = [];
      let pending = 0;
      let part = 0;
      const emit = (last: boolean) => {
        part++;
        // An unfinished run keeps a negative offset, so an interrupted pass reads it again from the start.
        const next = last ? state : { ...state, offset: -part, line: -3 };
        batch.add({
          kind: 'run',
          record,
          exp,
          state: next,
          replace: part === 1,
          expect: part === 1 ? undefined : { size: hash, offset: -(part - 1) },
          series: series.splice(0),
        });
        pending = 0;
      };
      if (metricSt && count > 0) {
        metricSt.bind([r.run_uuid]);
        let key: string | undefined;
        let pts: Points = emptyPoints();
        while (metricSt.step()) {
          const m = metricSt.getAsObject() as {
            key: string;
            value: SqlValue;
            timestamp: SqlValue;
            step: SqlValue;
            is_nan: SqlValue;
          };
          if (m.key !== key) {
            if (key !== undefined && pts.values.length) {
              series.push([key, pts]);
            }
            key = m.key;
            pts = emptyPoints();
          }
          pts.values.push(metricValue(m.value, m.is_nan));
          pts.ts.push(toInt(m.timestamp) ?? null);
          pts.steps.push(toInt(m.step) ?? 0);
          if (++pending >= 100_000) {
            series.push([key, pts]);
            pts = emptyPoints();
            emit(false);
          }
        }
        metricSt.reset();
        if (key !== undefined && pts.values.length) {
          series.push([key, pts]);
        }
      }
      emit(true);
    }
  } finally {
    metricSt?.free();
  }
  if (duplicates > 0) {
    log.info(
      `MLflow: ${dbRel}: ${duplicates} run(s) are also in another MLflow source that was read first; those copies are skipped here.`,
    );
    counts.duplicateRuns += duplicates;
  }
  for (const [p, row] of runStates) {
    if (!seenRuns.has(p) && row.run_id) {
      batch.add({ kind: 'deleteRun', runId: row.run_id, ownedBy: dbRel, forget: { path: p } });
    }
  }
  for (const id of storeExps.keys()) {
    const parsed = parseMlflowExperimentId(id);
    if (parsed && !exps.has(parsed.experimentId)) {
      batch.add({ kind: 'deleteExperiment', expId: id });
    }
  }
  readSqlRegistry(store, db, dbRel, modelPrefix, modelStates, gitByRun, batch, log, counts);
  batch.add({
    kind: 'state',
    state: { path: dbRel, offset: 0, size: stamp.size, mtime_ms: stamp.mtime_ms, line: duplicates, run_id: null },
  });
  batch.flush();
}

function cmpKv(a: [string, string], b: [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** Run inputs: datasets ⋈ inputs (source DATASET → destination RUN) ⋈ input_tags (mlflow.data.context). */
function readSqlDatasets(db: Database): Map<string, DatasetRecord[]> {
  const out = new Map<string, DatasetRecord[]>();
  const dsCols = sqlColumns(db, 'datasets');
  if (!dsCols.has('dataset_uuid') || sqlColumns(db, 'inputs').size === 0) {
    return out;
  }
  const hasTags = sqlColumns(db, 'input_tags').size > 0;
  const list = sqlRows<{
    run_uuid: string;
    name: string;
    digest: string | null;
    dataset_source: string | null;
    dataset_schema: string | null;
    dataset_profile: string | null;
    context: string | null;
  }>(
    db,
    `SELECT i.destination_id AS run_uuid, d.name, d.digest, ${col(dsCols, 'dataset_source', 'd.dataset_source')},
            ${col(dsCols, 'dataset_schema', 'd.dataset_schema')}, ${col(dsCols, 'dataset_profile', 'd.dataset_profile')},
            ${hasTags ? `(SELECT value FROM input_tags t WHERE t.input_uuid = i.input_uuid AND t.name = '${TAG_DATASET_CONTEXT}')` : 'NULL'} AS context
       FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id
      WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN'
      ORDER BY i.destination_id, d.name`,
  );
  for (const r of list) {
    const rec = datasetRecord(
      {
        name: r.name,
        digest: r.digest,
        source: r.dataset_source,
        schema: r.dataset_schema,
        profile: r.dataset_profile,
      },
      r.context || 'input',
    );
    if (!rec) {
      continue;
    }
    const l = out.get(r.run_uuid);
    if (l) {
      l.push(rec);
    } else {
      out.set(r.run_uuid, [rec]);
    }
  }
  return out;
}

function readSqlRegistry(
  store: WorkspaceStore,
  db: Database,
  dbRel: string,
  modelPrefix: string,
  modelStates: Map<string, StateRow>,
  gitByRun: Map<string, string>,
  batch: Batcher<Work>,
  log: Logger,
  counts: IngestCounts,
): void {
  const rmCols = sqlColumns(db, 'registered_models');
  const seen = new Set<string>();
  if (rmCols.has('name')) {
    const mvCols = sqlColumns(db, 'model_versions');
    const models = sqlRows<{
      name: string;
      description: string | null;
      creation_time: SqlValue;
      last_updated_time: SqlValue;
    }>(
      db,
      `SELECT name, ${col(rmCols, 'description')}, ${col(rmCols, 'creation_time')}, ${col(rmCols, 'last_updated_time')} FROM registered_models ORDER BY name`,
    );
    const versions = mvCols.has('version')
      ? sqlRows<{
          name: string;
          version: SqlValue;
          run_id: string | null;
          source: string | null;
          description: string | null;
          current_stage: string | null;
          status: string | null;
          creation_time: SqlValue;
        }>(
          db,
          `SELECT name, version, ${col(mvCols, 'run_id')}, ${col(mvCols, 'source')}, ${col(mvCols, 'description')}, ${col(mvCols, 'current_stage')},
              ${col(mvCols, 'status')}, ${col(mvCols, 'creation_time')} FROM model_versions ORDER BY name, version`,
        )
      : [];
    const kv = (table: string, extra: string) =>
      sqlColumns(db, table).has('key')
        ? sqlRows<{ name: string; version?: SqlValue; key: string; value: string | null }>(
            db,
            `SELECT name, ${extra} key, value FROM ${table} ORDER BY name, key`,
          )
        : [];
    const modelTags = kv('registered_model_tags', '');
    const versionTags = kv('model_version_tags', 'version,');
    const aliases = sqlColumns(db, 'registered_model_aliases').has('alias')
      ? sqlRows<{ name: string; alias: string; version: SqlValue }>(
          db,
          'SELECT name, alias, version FROM registered_model_aliases ORDER BY name, alias',
        )
      : [];
    for (const m of models) {
      const vs: ModelVersionRecord[] = versions
        .filter(v => v.name === m.name && v.current_stage !== 'Deleted_Internal')
        .map(v => {
          const n = toInt(v.version) ?? 0;
          return {
            version: n,
            runId: v.run_id ? mlflowRunId(v.run_id) : null,
            sourceUri: v.source,
            gitCommit: v.run_id ? (gitByRun.get(v.run_id) ?? null) : null,
            description: v.description || null,
            stage: v.current_stage ?? 'None',
            status: v.status ?? 'READY',
            createdAt: toInt(v.creation_time) ?? null,
            tags: versionTags
              .filter(t => t.name === m.name && toInt(t.version) === n)
              .map(t => [t.key, t.value ?? ''] as [string, string]),
          };
        });
      const model: ModelRecord = {
        name: m.name,
        description: m.description || null,
        createdAt: toInt(m.creation_time) ?? null,
        updatedAt: toInt(m.last_updated_time) ?? null,
        tags: modelTags.filter(t => t.name === m.name).map(t => [t.key, t.value ?? ''] as [string, string]),
        versions: vs,
        aliases: aliases.filter(a => a.name === m.name).map(a => [a.alias, toInt(a.version) ?? 0] as [string, number]),
      };
      const ownerPath = modelPrefix + m.name;
      seen.add(ownerPath);
      const hash = fnv1a(JSON.stringify(model));
      const prev = modelStates.get(ownerPath);
      if (prev && prev.size === hash && prev.line === 0) {
        continue;
      }
      const conflict = store.read(sdb => {
        const cur = sdb.get<{ source: string }>('SELECT source FROM models WHERE name = ?', [m.name]);
        if (cur && cur.source !== SOURCE_MLFLOW) {
          return "a model with this name is already in ML Sight's own registry";
        }
        const other = sdb.get<{ path: string }>(
          `SELECT path FROM ingest_state WHERE run_id = ? AND instr(path, '#model:') > 0 AND path <> ? AND line >= 0`,
          [m.name, ownerPath],
        );
        return other
          ? `a model with this name is already read from ${other.path.slice(0, other.path.indexOf('#model:'))}`
          : undefined;
      });
      if (conflict) {
        if (!(prev && prev.size === hash && prev.line === -2)) {
          problem(
            log,
            counts,
            'warn',
            `MLflow: ${dbRel}: registered model ${JSON.stringify(m.name)}: ${conflict}; it is not shown.`,
          );
          batch.add({
            kind: 'state',
            state: { path: ownerPath, offset: 0, size: hash, mtime_ms: null, line: -2, run_id: m.name },
          });
        }
        continue;
      }
      const state: StateRow = { path: ownerPath, offset: 0, size: hash, mtime_ms: null, line: 0, run_id: m.name };
      batch.add({ kind: 'model', model, ownerPath, state });
    }
  }
  for (const p of modelStates.keys()) {
    if (!seen.has(p)) {
      batch.add({ kind: 'deleteModel', ownerPath: p });
    }
  }
}
