/**
 * The SQLite tracking backend: an MLflow database file (`sqlite:///mlflow.db`, as MLflow's SQLAlchemy store keeps
 * it) behind the same TrackingBackend interface as PostgreSQL, read and written with sql.js (the reader of
 * core/ingest/mlflowSqlite.ts: its in-memory copy, column probes and value rules).
 *
 * sql.js works on a copy of the file in memory, so a write is: under an ML Sight lock file (`<db>.mlsight-lock`,
 * proper-lockfile; other ML Sight processes wait their turn) read the file's bytes afresh, apply the change in one
 * transaction, then check right before an atomic rename that the file still has the bytes it was read from (size,
 * mtime and SHA-256) and that no rollback journal or WAL says another writer is mid-transaction. Otherwise the
 * write is refused as a CONFLICT (nothing lost; try again) instead of overwriting rows another process (an MLflow
 * run logging, say) wrote meanwhile. Limit, documented in docs/team.md: a process that does not take this lock and
 * writes in the instant between that last check and the rename can still lose its write.
 *
 * Paths (untrusted): `sqlite:///<relative>` resolves against the base folder (the workspace; the CLI: its working
 * directory) and must stay inside it, symlinks included; `sqlite:////<absolute>` names the file explicitly. The file
 * must be a regular file of at most MAX_SQLITE_BYTES starting with SQLite's header.
 */
import { createHash, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as lockfile from 'proper-lockfile';
import type { Database, SqlValue } from 'sql.js';
import { metricValue, sqlColumns, sqlRows } from '../ingest/mlflowSqlite';
import { fileMtime } from '../ingest/common';
import { atomicWrite } from '../store/atomicFile';
import { loadSqlJs } from '../store/sqljs';
import { confinePath } from '../paths';
import { MLFLOW_217_REVISION } from './mlflowSchema';
import { MLFLOW_217_SQLITE_DDL } from './mlflowSqliteSchema';
import { checkAliasMove, latestPoint, toSqlMetric, validateSyncRun } from './writeRules';
import { schemaStatus } from './schemaSupport';
import {
  AliasMoveRequest,
  AliasMoveResult,
  PromoteRequest,
  PromoteResult,
  RunPage,
  SchemaStatus,
  SearchRunsOptions,
  SyncResult,
  SyncRun,
  TeamDataset,
  TeamExperiment,
  TeamMetric,
  TeamModel,
  TeamRun,
  TrackingBackend,
  TrackingError,
  pageSizeOf,
} from './types';

/** sql.js holds the whole file in memory: larger files are refused (use PostgreSQL or a tracking server). */
export const MAX_SQLITE_BYTES = 2 * 1024 ** 3;
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

export interface SqliteBackendOptions {
  /** the folder a relative sqlite:/// path resolves in (and must stay inside) */
  baseDir: string;
  /** ms to wait for another ML Sight writer's lock before reporting a conflict (default 15 s) */
  lockWaitMs?: number;
  /** tests: runs between applying a write in memory and the unchanged-file check (a concurrent writer's moment) */
  beforeWriteBack?: () => Promise<void>;
}

/** The file a sqlite:/// URI names, resolved and checked (see the header); throws TrackingError INVALID. */
export function sqlitePathOf(rawPath: string, baseDir: string): string {
  if (!rawPath || rawPath === ':memory:') {
    throw new TrackingError('INVALID', 'sqlite:// names no file (use sqlite:///mlflow.db or sqlite:////abs/mlflow.db)');
  }
  if (rawPath.includes('\0') || rawPath.length > 4096) {
    throw new TrackingError('INVALID', 'the sqlite:/// path is not a valid file name');
  }
  if (path.isAbsolute(rawPath)) {
    return path.normalize(rawPath);
  }
  const c = confinePath(rawPath, [baseDir], baseDir);
  if (!c.ok) {
    throw new TrackingError('INVALID', `sqlite:///${rawPath}: ${c.message}`);
  }
  return c.file;
}

interface Loaded {
  db: Database;
  size: number;
  mtime: number;
  sha: string;
}

type Row = Record<string, SqlValue>;
const str = (v: SqlValue): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: SqlValue): number | null => (v === null || v === undefined ? null : Number(v));

function encodeToken(s: number, u: string): string {
  return Buffer.from(JSON.stringify({ v: 1, s, u })).toString('base64url');
}
function decodeToken(t: string): { s: number; u: string } {
  try {
    const o = JSON.parse(Buffer.from(t, 'base64url').toString('utf8')) as { v?: unknown; s?: unknown; u?: unknown };
    if (o.v === 1 && Number.isSafeInteger(o.s) && typeof o.u === 'string' && o.u.length <= 32) {
      return { s: o.s as number, u: o.u };
    }
  } catch {
    /* fall through */
  }
  throw new TrackingError('INVALID', 'invalid page token (it comes from another listing or was changed)');
}

export class SqliteBackend implements TrackingBackend {
  readonly kind = 'sqlite' as const;
  readonly displayUri: string;
  readonly file: string;
  private cache: Loaded | undefined;
  private readonly lockWaitMs: number;
  private readonly beforeWriteBack: (() => Promise<void>) | undefined;

  constructor(rawPath: string, o: SqliteBackendOptions) {
    this.file = sqlitePathOf(rawPath, o.baseDir);
    this.displayUri = `sqlite:///${rawPath}`;
    this.lockWaitMs = o.lockWaitMs ?? 15_000;
    this.beforeWriteBack = o.beforeWriteBack;
  }

  /** A fresh in-memory copy of the file, checked (regular file, size, header) and with its stamp. */
  private async load(): Promise<Loaded> {
    const st = await fs.promises.stat(this.file).catch(() => undefined);
    if (!st) {
      throw new TrackingError(
        'NOT_FOUND',
        `${this.displayUri}: no such file; create it with: mlsight db init --tracking-uri ${this.displayUri}`,
      );
    }
    if (!st.isFile()) {
      throw new TrackingError('INVALID', `${this.displayUri} is not a regular file`);
    }
    if (st.size > MAX_SQLITE_BYTES) {
      throw new TrackingError(
        'INVALID',
        `${this.displayUri} is ${(st.size / 1024 ** 3).toFixed(1)} GiB; ML Sight reads SQLite tracking files up to 2 GiB (use PostgreSQL or an MLflow server)`,
      );
    }
    const bytes = await fs.promises.readFile(this.file);
    if (bytes.length && !bytes.subarray(0, 16).equals(SQLITE_HEADER)) {
      throw new TrackingError('NOT_MLFLOW', `${this.displayUri} is not a SQLite database`);
    }
    const SQL = await loadSqlJs();
    const db = new SQL.Database(bytes);
    return { db, size: bytes.length, mtime: fileMtime(st), sha: createHash('sha256').update(bytes).digest('hex') };
  }

  /** The cached copy for reading, re-read when the file's size or mtime changed. */
  private async reader(): Promise<Database> {
    const st = await fs.promises.stat(this.file).catch(() => undefined);
    if (this.cache && st && st.size === this.cache.size && fileMtime(st) === this.cache.mtime) {
      return this.cache.db;
    }
    this.cache?.db.close();
    this.cache = undefined;
    this.cache = await this.load();
    return this.cache.db;
  }

  private async busy(): Promise<string | undefined> {
    for (const suffix of ['-journal', '-wal']) {
      const s = await fs.promises.stat(this.file + suffix).catch(() => undefined);
      if (s && s.size > 0) {
        return suffix;
      }
    }
    return undefined;
  }

  /**
   * One write: lock, fresh copy, `fn` in a transaction, then the unchanged-file check and the atomic rename
   * (see the header). `fn` may throw a TrackingError (e.g. CONFLICT): nothing is written then.
   */
  private async write<T>(fn: (db: Database) => T): Promise<T> {
    if (!fs.existsSync(this.file)) {
      await this.load(); // throws the clear NOT_FOUND
    }
    let release: (() => Promise<void>) | undefined;
    try {
      release = await lockfile.lock(this.file, {
        lockfilePath: `${this.file}.mlsight-lock`,
        stale: 10_000,
        update: 5_000,
        retries: { retries: Math.ceil(this.lockWaitMs / 100), minTimeout: 50, maxTimeout: 200 },
      });
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw new TrackingError(
        code === 'ELOCKED' ? 'CONFLICT' : 'UNAVAILABLE',
        `${this.displayUri}: ${code === 'ELOCKED' ? 'another ML Sight process is writing it; try again' : (e as Error).message}`,
      );
    }
    try {
      const l = await this.load();
      try {
        this.requireWritableDb(l.db);
        l.db.exec('PRAGMA foreign_keys = ON');
        l.db.exec('BEGIN');
        let out: T;
        try {
          out = fn(l.db);
          l.db.exec('COMMIT');
        } catch (e) {
          l.db.exec('ROLLBACK');
          throw e;
        }
        const bytes = l.db.export();
        await this.beforeWriteBack?.();
        const journal = await this.busy();
        const now = await fs.promises.readFile(this.file).catch(() => undefined);
        const sha = now ? createHash('sha256').update(now).digest('hex') : '';
        if (journal || sha !== l.sha) {
          throw new TrackingError(
            'CONFLICT',
            `${this.displayUri} was changed by another process while ML Sight was writing to it` +
              `${journal ? ` (its ${journal} file says a transaction is in progress)` : ''}; nothing was written. Try again.`,
          );
        }
        await atomicWrite(this.file, bytes);
        return out;
      } finally {
        l.db.close();
      }
    } finally {
      this.cache?.db.close();
      this.cache = undefined;
      await release().catch(() => undefined);
    }
  }

  private statusOf(db: Database): SchemaStatus {
    if (!sqlColumns(db, 'runs').has('run_uuid') || !sqlColumns(db, 'experiments').has('experiment_id')) {
      throw new TrackingError(
        'NOT_MLFLOW',
        `${this.displayUri} has no MLflow tables; create them with: mlsight db init --tracking-uri URI`,
      );
    }
    const rev = sqlColumns(db, 'alembic_version').has('version_num')
      ? str(sqlRows<Row>(db, 'SELECT version_num AS v FROM alembic_version LIMIT 1')[0]?.v ?? null)
      : null;
    return schemaStatus(rev);
  }

  private requireWritableDb(db: Database): void {
    const s = this.statusOf(db);
    if (!s.writable) {
      throw new TrackingError('READ_ONLY', `${this.displayUri}: ${s.readOnlyReason}`);
    }
  }

  async schema(): Promise<SchemaStatus> {
    return this.statusOf(await this.reader());
  }

  async listExperiments(): Promise<TeamExperiment[]> {
    const db = await this.reader();
    this.statusOf(db);
    const tags = sqlRows<Row>(
      db,
      'SELECT CAST(experiment_id AS TEXT) AS id, key, value FROM experiment_tags ORDER BY key',
    );
    return sqlRows<Row>(
      db,
      `SELECT CAST(experiment_id AS TEXT) AS id, name, artifact_location, creation_time FROM experiments
        WHERE lifecycle_stage = 'active' ORDER BY experiment_id`,
    ).map(e => ({
      id: String(e.id),
      name: String(e.name),
      artifactLocation: str(e.artifact_location),
      lifecycleStage: 'active',
      createdAt: num(e.creation_time),
      tags: Object.fromEntries(tags.filter(t => t.id === e.id).map(t => [String(t.key), str(t.value) ?? ''])),
    }));
  }

  async searchRuns(o: SearchRunsOptions = {}): Promise<RunPage> {
    const db = await this.reader();
    this.statusOf(db);
    const size = pageSizeOf(o.pageSize);
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (!o.includeDeleted) {
      where.push(`lifecycle_stage = 'active'`);
    }
    if (o.experimentIds) {
      if (o.experimentIds.some(i => !/^-?\d{1,19}$/.test(i))) {
        throw new TrackingError('INVALID', 'experiment ids are integers in an MLflow database');
      }
      where.push(`CAST(experiment_id AS TEXT) IN (${o.experimentIds.map(() => '?').join(', ') || 'NULL'})`);
      params.push(...o.experimentIds);
    }
    if (o.pageToken) {
      const k = decodeToken(o.pageToken);
      where.push('(coalesce(start_time, -1), run_uuid) < (?, ?)');
      params.push(k.s, k.u);
    }
    params.push(size + 1);
    const rows = sqlRows<Row>(
      db,
      `SELECT run_uuid, name, status, start_time, end_time, user_id, artifact_uri, lifecycle_stage,
              CAST(experiment_id AS TEXT) AS experiment_id, coalesce(start_time, -1) AS sort_key
         FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
        ORDER BY coalesce(start_time, -1) DESC, run_uuid DESC LIMIT ?`,
      params,
    );
    const page = rows.slice(0, size);
    const last = page[page.length - 1];
    return {
      runs: this.complete(db, page),
      nextPageToken: rows.length > size && last ? encodeToken(Number(last.sort_key), String(last.run_uuid)) : null,
    };
  }

  async getRun(runUuid: string): Promise<TeamRun | undefined> {
    const db = await this.reader();
    this.statusOf(db);
    const rows = sqlRows<Row>(
      db,
      `SELECT run_uuid, name, status, start_time, end_time, user_id, artifact_uri, lifecycle_stage,
              CAST(experiment_id AS TEXT) AS experiment_id FROM runs WHERE run_uuid = ?`,
      [runUuid],
    );
    return this.complete(db, rows)[0];
  }

  /** Params, tags, latest metrics and dataset inputs of these runs only. */
  private complete(db: Database, rows: Row[]): TeamRun[] {
    if (!rows.length) {
      return [];
    }
    const ids = rows.map(r => String(r.run_uuid));
    const inList = ids.map(() => '?').join(', ');
    const group = (sql: string) => {
      const m = new Map<string, Row[]>();
      for (const r of sqlRows<Row>(db, sql, ids)) {
        const k = String(r.run_uuid);
        m.set(k, [...(m.get(k) ?? []), r]);
      }
      return m;
    };
    const P = group(`SELECT run_uuid, key, value FROM params WHERE run_uuid IN (${inList}) ORDER BY key`);
    const T = group(`SELECT run_uuid, key, value FROM tags WHERE run_uuid IN (${inList}) ORDER BY key`);
    const L = group(
      `SELECT run_uuid, key, value, timestamp, step, is_nan FROM latest_metrics WHERE run_uuid IN (${inList}) ORDER BY key`,
    );
    const hasInputs = sqlColumns(db, 'inputs').has('destination_id') && sqlColumns(db, 'datasets').has('digest');
    const I = hasInputs
      ? group(
          `SELECT i.destination_id AS run_uuid, d.name, d.digest, d.dataset_source_type AS source_type,
                  d.dataset_source AS source, d.dataset_schema AS schema, d.dataset_profile AS profile,
                  (SELECT t.value FROM input_tags t WHERE t.input_uuid = i.input_uuid AND t.name = 'mlflow.data.context') AS context
             FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id
            WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN' AND i.destination_id IN (${inList})
            ORDER BY d.name, d.digest`,
        )
      : new Map<string, Row[]>();
    return rows.map(r => {
      const id = String(r.run_uuid);
      const tags = Object.fromEntries((T.get(id) ?? []).map(t => [String(t.key), str(t.value) ?? '']));
      return {
        runUuid: id,
        experimentId: String(r.experiment_id),
        name: str(r.name) || tags['mlflow.runName'] || null,
        status: str(r.status) ?? 'FINISHED',
        startTime: num(r.start_time),
        endTime: num(r.end_time),
        userId: str(r.user_id),
        artifactUri: str(r.artifact_uri),
        lifecycleStage: r.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
        params: Object.fromEntries((P.get(id) ?? []).map(p => [String(p.key), String(p.value)])),
        tags,
        metrics: Object.fromEntries(
          (L.get(id) ?? []).map(m => [
            String(m.key),
            { value: metricValue(m.value, m.is_nan), step: Number(m.step), timestamp: num(m.timestamp) },
          ]),
        ),
        datasets: (I.get(id) ?? []).map(d => ({
          name: String(d.name),
          digest: String(d.digest),
          sourceType: String(d.source_type),
          source: String(d.source),
          schema: str(d.schema),
          profile: str(d.profile),
          context: str(d.context),
        })),
      };
    });
  }

  async metricHistory(runUuid: string, key: string): Promise<TeamMetric[]> {
    const db = await this.reader();
    return sqlRows<Row>(
      db,
      'SELECT value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY step, timestamp, value',
      [runUuid, key],
    ).map(r => ({ value: metricValue(r.value, r.is_nan), step: Number(r.step), timestamp: Number(r.timestamp) }));
  }

  async syncRun(run: SyncRun): Promise<SyncResult> {
    validateSyncRun(run);
    return this.write(db => {
      const expId = this.experimentFor(db, run.experimentName);
      const art = str(
        sqlRows<Row>(db, 'SELECT artifact_location AS a FROM experiments WHERE experiment_id = ?', [expId])[0]?.a,
      );
      const artifactUri = art ? `${art.replace(/\/+$/, '')}/${run.runUuid}/artifacts`.slice(0, 200) : null;
      const existing = sqlRows<Row>(db, 'SELECT CAST(experiment_id AS TEXT) AS e FROM runs WHERE run_uuid = ?', [
        run.runUuid,
      ]);
      if (existing.length && String(existing[0].e) !== expId) {
        throw new TrackingError(
          'CONFLICT',
          `run ${run.runUuid} is already in experiment ${existing[0].e} of ${this.displayUri}, not in ${JSON.stringify(run.experimentName)}`,
        );
      }
      db.run(
        `INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time,
                           source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time)
         VALUES (?, ?, 'UNKNOWN', '', '', ?, ?, ?, ?, '', 'active', ?, ?, NULL)
         ON CONFLICT (run_uuid) DO UPDATE SET name = excluded.name, status = excluded.status, end_time = excluded.end_time,
           start_time = coalesce(excluded.start_time, runs.start_time)`,
        [run.runUuid, run.name, run.userId ?? '', run.status, run.startTime, run.endTime, artifactUri, expId],
      );
      for (const [table, pairs] of [
        ['params', run.params],
        ['tags', run.tags],
      ] as const) {
        for (const [k, v] of pairs) {
          db.run(
            `INSERT INTO ${table} (key, value, run_uuid) VALUES (?, ?, ?)
             ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value`,
            [k, v, run.runUuid],
          );
        }
      }
      let written = 0;
      for (const [key, points] of run.metrics) {
        written += this.writeMetric(db, run.runUuid, key, points);
      }
      for (const d of run.datasets) {
        this.writeInput(db, expId, run.runUuid, d);
      }
      return { runUuid: run.runUuid, created: !existing.length, metricsWritten: written, experimentId: expId };
    });
  }

  /** The experiment with this name, created (as MLflow's create_experiment does) when missing. */
  private experimentFor(db: Database, name: string): string {
    const found = sqlRows<Row>(
      db,
      'SELECT CAST(experiment_id AS TEXT) AS id, lifecycle_stage AS stage FROM experiments WHERE name = ?',
      [name],
    );
    if (found.length) {
      if (found[0].stage !== 'active') {
        throw new TrackingError(
          'INVALID',
          `experiment ${JSON.stringify(name)} is deleted in ${this.displayUri}; restore it in MLflow or rename the local experiment`,
        );
      }
      return String(found[0].id);
    }
    const now = Date.now();
    db.run(
      `INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
       VALUES (?, NULL, 'active', ?, ?)`,
      [name, now, now],
    );
    const id = String(sqlRows<Row>(db, 'SELECT CAST(last_insert_rowid() AS TEXT) AS id')[0].id);
    // MLflow: <default artifact root>/<experiment id>; the root is the one experiment 0 ("Default") was given.
    const root = str(sqlRows<Row>(db, 'SELECT artifact_location AS a FROM experiments WHERE experiment_id = 0')[0]?.a);
    if (root && root.endsWith('/0')) {
      db.run('UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?', [
        `${root.slice(0, -2)}/${id}`,
        id,
      ]);
    }
    return id;
  }

  private writeMetric(db: Database, runUuid: string, key: string, points: TeamMetric[]): number {
    if (!points.length) {
      return 0;
    }
    let written = 0;
    const st = db.prepare(
      'INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)',
    );
    try {
      for (const p of points) {
        const v = toSqlMetric(p.value);
        st.run([key, v.value, p.timestamp ?? 0, runUuid, p.step, v.isNan ? 1 : 0]);
        written += db.getRowsModified();
      }
    } finally {
      st.free();
    }
    const b = latestPoint(points);
    const v = toSqlMetric(b.value);
    // MLflow's _update_latest_metrics_if_necessary: replace when (step, timestamp, value) is greater.
    db.run(
      `INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp,
         step = excluded.step, is_nan = excluded.is_nan
       WHERE (excluded.step, coalesce(excluded.timestamp, 0), excluded.value) >
             (latest_metrics.step, coalesce(latest_metrics.timestamp, 0), latest_metrics.value)`,
      [key, v.value, b.timestamp ?? 0, b.step, v.isNan ? 1 : 0, runUuid],
    );
    return written;
  }

  private writeInput(db: Database, expId: string, runUuid: string, d: TeamDataset): void {
    db.run(
      `INSERT OR IGNORE INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source,
         dataset_schema, dataset_profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [randomUUID().replace(/-/g, ''), expId, d.name, d.digest, d.sourceType, d.source, d.schema, d.profile],
    );
    const ds = String(
      sqlRows<Row>(db, 'SELECT dataset_uuid AS id FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?', [
        expId,
        d.name,
        d.digest,
      ])[0].id,
    );
    const input = randomUUID().replace(/-/g, '');
    db.run(
      `INSERT OR IGNORE INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id)
       VALUES (?, 'DATASET', ?, 'RUN', ?)`,
      [input, ds, runUuid],
    );
    if (db.getRowsModified() && d.context) {
      db.run(`INSERT OR IGNORE INTO input_tags (input_uuid, name, value) VALUES (?, 'mlflow.data.context', ?)`, [
        input,
        d.context,
      ]);
    }
  }

  async listModels(): Promise<TeamModel[]> {
    const db = await this.reader();
    this.statusOf(db);
    return this.models(
      db,
      sqlRows<Row>(db, 'SELECT name FROM registered_models ORDER BY name').map(r => String(r.name)),
    );
  }

  async getModel(name: string): Promise<TeamModel | undefined> {
    const db = await this.reader();
    this.statusOf(db);
    return this.models(db, [name])[0];
  }

  private models(db: Database, names: string[]): TeamModel[] {
    if (!names.length || !sqlColumns(db, 'registered_models').has('name')) {
      return [];
    }
    const inList = names.map(() => '?').join(', ');
    const hasAliases = sqlColumns(db, 'registered_model_aliases').has('alias');
    const models = sqlRows<Row>(
      db,
      `SELECT name, description, creation_time, last_updated_time FROM registered_models WHERE name IN (${inList}) ORDER BY name`,
      names,
    );
    const versions = sqlRows<Row>(
      db,
      `SELECT name, version, run_id, source, current_stage, status, description, creation_time FROM model_versions
        WHERE name IN (${inList}) AND coalesce(current_stage, '') <> 'Deleted_Internal' ORDER BY name, version`,
      names,
    );
    const mtags = sqlRows<Row>(
      db,
      `SELECT name, key, value FROM registered_model_tags WHERE name IN (${inList})`,
      names,
    );
    const vtags = sqlRows<Row>(
      db,
      `SELECT name, version, key, value FROM model_version_tags WHERE name IN (${inList}) ORDER BY key`,
      names,
    );
    const aliases = hasAliases
      ? sqlRows<Row>(
          db,
          `SELECT name, alias, version FROM registered_model_aliases WHERE name IN (${inList}) ORDER BY alias`,
          names,
        )
      : [];
    return models.map(m => {
      const name = String(m.name);
      const al = aliases.filter(a => a.name === name);
      return {
        name,
        description: str(m.description) || null,
        createdAt: num(m.creation_time),
        updatedAt: num(m.last_updated_time),
        tags: Object.fromEntries(mtags.filter(t => t.name === name).map(t => [String(t.key), str(t.value) ?? ''])),
        aliases: Object.fromEntries(al.map(a => [String(a.alias), Number(a.version)])),
        versions: versions
          .filter(v => v.name === name)
          .map(v => {
            const n = Number(v.version);
            return {
              version: n,
              runId: str(v.run_id),
              source: str(v.source),
              stage: str(v.current_stage) ?? 'None',
              status: str(v.status) ?? 'READY',
              description: str(v.description) || null,
              createdAt: num(v.creation_time),
              tags: Object.fromEntries(
                vtags
                  .filter(t => t.name === name && Number(t.version) === n)
                  .map(t => [String(t.key), str(t.value) ?? '']),
              ),
              aliases: al.filter(a => Number(a.version) === n).map(a => String(a.alias)),
            };
          }),
      };
    });
  }

  async promote(req: PromoteRequest): Promise<PromoteResult> {
    return (await this.moveAlias(req)) as PromoteResult;
  }

  async moveAlias(req: AliasMoveRequest): Promise<AliasMoveResult> {
    // the lock file serialises ML Sight's writers; the alias is checked on the fresh copy read under it
    return this.write(db => {
      if (!sqlRows<Row>(db, 'SELECT name FROM registered_models WHERE name = ?', [req.model]).length) {
        throw new TrackingError(
          'NOT_FOUND',
          `registered model ${JSON.stringify(req.model)} does not exist in ${this.displayUri}`,
        );
      }
      const v =
        req.version === null
          ? [{}]
          : sqlRows<Row>(
              db,
              `SELECT version FROM model_versions WHERE name = ? AND version = ? AND coalesce(current_stage, '') <> 'Deleted_Internal'`,
              [req.model, req.version],
            );
      if (!v.length) {
        throw new TrackingError('NOT_FOUND', `${req.model} has no version ${req.version} in ${this.displayUri}`);
      }
      const cur = sqlRows<Row>(db, 'SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?', [
        req.model,
        req.alias,
      ]);
      const from = cur.length ? Number(cur[0].version) : null;
      const tagged = checkAliasMove(req, from);
      if (req.version === null) {
        db.run('DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?', [req.model, req.alias]);
      } else {
        db.run(
          `INSERT INTO registered_model_aliases (alias, version, name) VALUES (?, ?, ?)
           ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version`,
          [req.alias, req.version, req.model],
        );
      }
      for (const [key, value] of req.versionTags) {
        db.run(
          `INSERT INTO model_version_tags (key, value, name, version) VALUES (?, ?, ?, ?)
           ON CONFLICT (key, name, version) DO UPDATE SET value = excluded.value`,
          [key.slice(0, 250), value.slice(0, 5000), req.model, tagged],
        );
      }
      db.run('UPDATE registered_models SET last_updated_time = ? WHERE name = ?', [Date.now(), req.model]);
      return { model: req.model, alias: req.alias, from, to: req.version };
    });
  }

  /**
   * Creates a new MLflow 2.17 database file (the schema, alembic_version, the Default experiment 0 with
   * `<artifactRoot>/0`). Returns false when the file already holds that revision; throws when it holds anything else.
   */
  async initSchema(artifactRoot: string): Promise<boolean> {
    const st = await fs.promises.stat(this.file).catch(() => undefined);
    if (st && st.size > 0) {
      const s = await this.schema().catch(e => {
        throw e instanceof TrackingError && e.code === 'NOT_MLFLOW'
          ? new TrackingError('NOT_MLFLOW', `${this.displayUri} is not empty and holds no MLflow schema`)
          : e;
      });
      if (s.revision === MLFLOW_217_REVISION) {
        return false;
      }
      throw new TrackingError(
        'ALREADY_EXISTS',
        `${this.displayUri} already holds an MLflow schema at revision ${s.revision}; use MLflow's own "mlflow db upgrade" to migrate it`,
      );
    }
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    try {
      db.exec(MLFLOW_217_SQLITE_DDL);
      db.run('INSERT INTO alembic_version (version_num) VALUES (?)', [MLFLOW_217_REVISION]);
      const now = Date.now();
      db.run(
        `INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
         VALUES (0, 'Default', ?, 'active', ?, ?)`,
        [`${artifactRoot.replace(/\/+$/, '')}/0`, now, now],
      );
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
      await atomicWrite(this.file, db.export());
    } finally {
      db.close();
    }
    return true;
  }

  async close(): Promise<void> {
    this.cache?.db.close();
    this.cache = undefined;
  }
}
