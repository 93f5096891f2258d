/**
 * The PostgreSQL tracking backend: MLflow's own tables, read and written with plain SQL the way MLflow's
 * SQLAlchemy store does (mlflow/store/tracking/sqlalchemy_store.py, mlflow/store/model_registry/
 * sqlalchemy_store.py), so that MLflow's UI and clients see exactly what ML Sight wrote and vice versa.
 *
 * Reading is paginated by keyset (start_time DESC, run_uuid DESC; the page token carries the last key), and a page
 * loads params, tags, latest metrics and inputs of its own runs only: memory does not grow with the run count.
 * Writing happens only when alembic_version holds a revision listed in schemaSupport.ts.
 * Credentials: the URI, an explicit password (VS Code's SecretStorage), else pg's own PGPASSWORD / ~/.pgpass.
 */
import { randomUUID } from 'crypto';
import { Pool, PoolClient } from 'pg';
import { metricValue } from '../ingest/mlflowSqlite';
import { MLFLOW_217_DDL, MLFLOW_217_REVISION } from './mlflowSchema';
import { schemaStatus } from './schemaSupport';
import { checkAliasMove, latestPoint, toSqlMetric, validateSyncRun } from './writeRules';

export { toSqlMetric } from './writeRules';
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
import { parseTrackingUri } from './uri';

export interface PgOptions {
  password?: string;
  applicationName?: string;
  max?: number;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

interface PageKey {
  s: number;
  u: string;
}

function encodeToken(k: PageKey): string {
  return Buffer.from(JSON.stringify({ v: 1, ...k })).toString('base64url');
}

function decodeToken(t: string): PageKey {
  try {
    const o = JSON.parse(Buffer.from(t, 'base64url').toString('utf8')) as { v?: unknown; s?: unknown; u?: unknown };
    if (
      o.v === 1 &&
      typeof o.s === 'number' &&
      Number.isSafeInteger(o.s) &&
      typeof o.u === 'string' &&
      o.u.length <= 32
    ) {
      return { s: o.s, u: o.u };
    }
  } catch {
    /* fall through */
  }
  throw new TrackingError('INVALID', 'invalid page token (it comes from another listing or was changed)');
}

const RUN_COLUMNS = `run_uuid, name, status, start_time, end_time, user_id, artifact_uri, lifecycle_stage,
  experiment_id::text AS experiment_id, coalesce(start_time, -1) AS sort_key`;

type Row = Record<string, unknown>;

export class PgBackend implements TrackingBackend {
  readonly kind = 'postgresql' as const;
  readonly displayUri: string;
  private readonly pool: Pool;
  private status: SchemaStatus | undefined;

  constructor(uri: string, options: PgOptions = {}) {
    const p = parseTrackingUri(uri);
    if (p.kind !== 'postgresql') {
      throw new TrackingError('INVALID', `${p.display} is not a postgresql:// URI`);
    }
    this.displayUri = p.display;
    this.pool = new Pool({
      connectionString: p.connectionString,
      password: options.password,
      max: options.max ?? 4,
      application_name: options.applicationName ?? 'mlsight',
      connectionTimeoutMillis: 15_000,
    });
    this.pool.on('error', () => {
      /* an idle client lost its connection: the next query reconnects */
    });
  }

  private async q<T = Row>(sql: string, params: unknown[] = [], c?: PoolClient): Promise<T[]> {
    try {
      return (await (c ?? this.pool).query(sql, params)).rows as T[];
    } catch (e) {
      throw pgError(e, this.displayUri);
    }
  }

  async schema(): Promise<SchemaStatus> {
    if (this.status) {
      return this.status;
    }
    const has = await this.q<{ t: string | null }>(`SELECT to_regclass('alembic_version')::text AS t`);
    const runs = await this.q<{ t: string | null }>(`SELECT to_regclass('runs')::text AS t`);
    if (!runs[0]?.t) {
      throw new TrackingError(
        'NOT_MLFLOW',
        `${this.displayUri} has no MLflow tables; create them with: mlsight db init --tracking-uri URI`,
      );
    }
    const rev = has[0]?.t
      ? ((await this.q<{ v: string }>('SELECT version_num AS v FROM alembic_version LIMIT 1'))[0]?.v ?? null)
      : null;
    this.status = schemaStatus(rev);
    return this.status;
  }

  private async requireWritable(): Promise<void> {
    const s = await this.schema();
    if (!s.writable) {
      throw new TrackingError('READ_ONLY', `${this.displayUri}: ${s.readOnlyReason}`);
    }
  }

  async listExperiments(): Promise<TeamExperiment[]> {
    await this.schema();
    const exps = await this.q(`SELECT experiment_id::text AS id, name, artifact_location, lifecycle_stage, creation_time
      FROM experiments WHERE lifecycle_stage = 'active' ORDER BY experiment_id`);
    const tags = await this.q<{ id: string; key: string; value: string | null }>(
      'SELECT experiment_id::text AS id, key, value FROM experiment_tags ORDER BY key',
    );
    return exps.map(e => ({
      id: String(e.id),
      name: String(e.name),
      artifactLocation: (e.artifact_location as string | null) ?? null,
      lifecycleStage: 'active',
      createdAt: num(e.creation_time),
      tags: Object.fromEntries(tags.filter(t => t.id === e.id).map(t => [t.key, t.value ?? ''])),
    }));
  }

  async searchRuns(o: SearchRunsOptions = {}): Promise<RunPage> {
    await this.schema();
    const size = pageSizeOf(o.pageSize);
    const params: unknown[] = [];
    const where: string[] = [];
    if (!o.includeDeleted) {
      where.push(`lifecycle_stage = 'active'`);
    }
    if (o.experimentIds) {
      const ids = o.experimentIds.map(Number);
      if (ids.some(i => !Number.isSafeInteger(i))) {
        throw new TrackingError('INVALID', 'experiment ids are integers in a PostgreSQL tracking database');
      }
      params.push(ids);
      where.push(`experiment_id = ANY($${params.length}::int[])`);
    }
    if (o.pageToken) {
      const k = decodeToken(o.pageToken);
      params.push(k.s, k.u);
      where.push(`(coalesce(start_time, -1), run_uuid) < ($${params.length - 1}::bigint, $${params.length}::text)`);
    }
    params.push(size + 1);
    const rows = await this.q(
      `SELECT ${RUN_COLUMNS} FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY coalesce(start_time, -1) DESC, run_uuid DESC LIMIT $${params.length}`,
      params,
    );
    const more = rows.length > size;
    const page = rows.slice(0, size);
    const runs = await this.complete(page);
    const last = page[page.length - 1];
    return {
      runs,
      nextPageToken: more && last ? encodeToken({ s: Number(last.sort_key), u: String(last.run_uuid) }) : null,
    };
  }

  async getRun(runUuid: string): Promise<TeamRun | undefined> {
    await this.schema();
    const rows = await this.q(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_uuid = $1`, [runUuid]);
    return rows.length ? (await this.complete(rows))[0] : undefined;
  }

  /** Params, tags, latest metrics and dataset inputs of these runs (one query each, for these runs only). */
  private async complete(rows: Row[]): Promise<TeamRun[]> {
    if (!rows.length) {
      return [];
    }
    const ids = rows.map(r => String(r.run_uuid));
    const [params, tags, latest, inputs] = await Promise.all([
      this.q<{ run_uuid: string; key: string; value: string }>(
        'SELECT run_uuid, key, value FROM params WHERE run_uuid = ANY($1) ORDER BY key',
        [ids],
      ),
      this.q<{ run_uuid: string; key: string; value: string | null }>(
        'SELECT run_uuid, key, value FROM tags WHERE run_uuid = ANY($1) ORDER BY key',
        [ids],
      ),
      this.q<{ run_uuid: string; key: string; value: number; timestamp: string | null; step: string; is_nan: boolean }>(
        'SELECT run_uuid, key, value, timestamp, step, is_nan FROM latest_metrics WHERE run_uuid = ANY($1) ORDER BY key',
        [ids],
      ),
      this.q<{
        run_uuid: string;
        name: string;
        digest: string;
        source_type: string;
        source: string;
        schema: string | null;
        profile: string | null;
        context: string | null;
      }>(
        `SELECT i.destination_id AS run_uuid, d.name, d.digest, d.dataset_source_type AS source_type, d.dataset_source AS source,
                d.dataset_schema AS schema, d.dataset_profile AS profile,
                (SELECT t.value FROM input_tags t WHERE t.input_uuid = i.input_uuid AND t.name = 'mlflow.data.context') AS context
           FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id
          WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN' AND i.destination_id = ANY($1)
          ORDER BY d.name, d.digest`,
        [ids],
      ),
    ]);
    const by = <T extends { run_uuid: string }>(l: T[]) => {
      const m = new Map<string, T[]>();
      for (const x of l) {
        const a = m.get(x.run_uuid);
        if (a) {
          a.push(x);
        } else {
          m.set(x.run_uuid, [x]);
        }
      }
      return m;
    };
    const P = by(params),
      T = by(tags),
      L = by(latest),
      I = by(inputs);
    return rows.map(r => {
      const id = String(r.run_uuid);
      const tagMap = Object.fromEntries((T.get(id) ?? []).map(t => [t.key, t.value ?? '']));
      return {
        runUuid: id,
        experimentId: String(r.experiment_id),
        name: (r.name as string | null) || tagMap['mlflow.runName'] || null,
        status: String(r.status ?? 'FINISHED'),
        startTime: num(r.start_time),
        endTime: num(r.end_time),
        userId: (r.user_id as string | null) ?? null,
        artifactUri: (r.artifact_uri as string | null) ?? null,
        lifecycleStage: r.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
        params: Object.fromEntries((P.get(id) ?? []).map(p => [p.key, p.value])),
        tags: tagMap,
        metrics: Object.fromEntries(
          (L.get(id) ?? []).map(m => [
            m.key,
            {
              value: metricValue(m.value, m.is_nan ? 1 : 0),
              step: Number(m.step),
              timestamp: num(m.timestamp),
            },
          ]),
        ),
        datasets: (I.get(id) ?? []).map(d => ({
          name: d.name,
          digest: d.digest,
          sourceType: d.source_type,
          source: d.source,
          schema: d.schema,
          profile: d.profile,
          context: d.context,
        })),
      };
    });
  }

  async metricHistory(runUuid: string, key: string): Promise<TeamMetric[]> {
    await this.schema();
    const rows = await this.q<{ value: number; timestamp: string; step: string; is_nan: boolean }>(
      'SELECT value, timestamp, step, is_nan FROM metrics WHERE run_uuid = $1 AND key = $2 ORDER BY step, timestamp, value',
      [runUuid, key],
    );
    return rows.map(r => ({
      value: metricValue(r.value, r.is_nan ? 1 : 0),
      step: Number(r.step),
      timestamp: Number(r.timestamp),
    }));
  }

  private async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    let c: PoolClient;
    try {
      c = await this.pool.connect();
    } catch (e) {
      throw pgError(e, this.displayUri);
    }
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e instanceof TrackingError ? e : pgError(e, this.displayUri);
    } finally {
      c.release();
    }
  }

  async syncRun(run: SyncRun): Promise<SyncResult> {
    await this.requireWritable();
    validateSyncRun(run);
    return this.tx(async c => {
      const expId = await this.experimentFor(c, run.experimentName);
      const art = (
        await this.q<{ a: string | null }>(
          'SELECT artifact_location AS a FROM experiments WHERE experiment_id = $1',
          [expId],
          c,
        )
      )[0]?.a;
      const artifactUri = art ? `${art.replace(/\/+$/, '')}/${run.runUuid}/artifacts`.slice(0, 200) : null;
      const up = await this.q<{ inserted: boolean; experiment_id: string }>(
        `INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time,
                           source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time)
         VALUES ($1, $2, 'UNKNOWN', '', '', $3, $4, $5, $6, '', 'active', $7, $8, NULL)
         ON CONFLICT (run_uuid) DO UPDATE SET name = excluded.name, status = excluded.status, end_time = excluded.end_time,
           start_time = coalesce(excluded.start_time, runs.start_time)
         RETURNING (xmax = 0) AS inserted, experiment_id::text AS experiment_id`,
        [run.runUuid, run.name, run.userId ?? '', run.status, run.startTime, run.endTime, artifactUri, expId],
        c,
      );
      if (up[0].experiment_id !== expId) {
        throw new TrackingError(
          'CONFLICT',
          `run ${run.runUuid} is already in experiment ${up[0].experiment_id} of ${this.displayUri}, not in ${JSON.stringify(run.experimentName)}`,
        );
      }
      const kv = async (table: string, pairs: [string, string][]) => {
        if (!pairs.length) {
          return;
        }
        await this.q(
          `INSERT INTO ${table} (key, value, run_uuid) SELECT k, v, $3 FROM unnest($1::text[], $2::text[]) AS x(k, v)
          ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value`,
          [pairs.map(p => p[0]), pairs.map(p => p[1]), run.runUuid],
          c,
        );
      };
      await kv('params', run.params);
      await kv('tags', run.tags);
      let written = 0;
      for (const [key, points] of run.metrics) {
        written += await this.writeMetric(c, run.runUuid, key, points);
      }
      for (const d of run.datasets) {
        await this.writeInput(c, expId, run.runUuid, d);
      }
      return { runUuid: run.runUuid, created: up[0].inserted, metricsWritten: written, experimentId: expId };
    });
  }

  /** The experiment with this name, created (as MLflow's create_experiment does) when missing. */
  private async experimentFor(c: PoolClient, name: string): Promise<string> {
    const now = Date.now();
    const found = await this.q<{ id: string; stage: string }>(
      'SELECT experiment_id::text AS id, lifecycle_stage AS stage FROM experiments WHERE name = $1',
      [name],
      c,
    );
    if (found.length) {
      if (found[0].stage !== 'active') {
        throw new TrackingError(
          'INVALID',
          `experiment ${JSON.stringify(name)} is deleted in ${this.displayUri}; restore it in MLflow or rename the local experiment`,
        );
      }
      return found[0].id;
    }
    const ins = await this.q<{ id: string }>(
      `INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
      VALUES ($1, NULL, 'active', $2, $2) ON CONFLICT (name) DO NOTHING RETURNING experiment_id::text AS id`,
      [name, now],
      c,
    );
    if (!ins.length) {
      return this.experimentFor(c, name);
    } // created by someone else meanwhile
    // MLflow: <default artifact root>/<experiment id>; the root is the one experiment 0 ("Default") was given.
    await this.q(
      `UPDATE experiments e SET artifact_location = regexp_replace(d.artifact_location, '/0$', '') || '/' || e.experiment_id
      FROM experiments d WHERE d.experiment_id = 0 AND d.artifact_location LIKE '%/0' AND e.experiment_id = $1`,
      [Number(ins[0].id)],
      c,
    );
    return ins[0].id;
  }

  /** Inserts a metric's points (duplicates are no-ops: the primary key covers every column) and keeps latest_metrics. */
  private async writeMetric(c: PoolClient, runUuid: string, key: string, points: TeamMetric[]): Promise<number> {
    if (!points.length) {
      return 0;
    }
    let written = 0;
    const CHUNK = 20_000;
    for (let off = 0; off < points.length; off += CHUNK) {
      const part = points.slice(off, off + CHUNK);
      const vals = part.map(p => toSqlMetric(p.value));
      const r = await c.query(
        `INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)
        SELECT $1, v, t, $2, s, n FROM unnest($3::float8[], $4::bigint[], $5::bigint[], $6::bool[]) AS x(v, t, s, n)
        ON CONFLICT DO NOTHING`,
        [
          key,
          runUuid,
          vals.map(v => v.value),
          part.map(p => p.timestamp ?? 0),
          part.map(p => p.step),
          vals.map(v => v.isNan),
        ],
      );
      written += r.rowCount ?? 0;
    }
    const b = latestPoint(points);
    const v = toSqlMetric(b.value);
    // MLflow's _update_latest_metrics_if_necessary: replace when (step, timestamp, value) is greater.
    await c.query(
      `INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan
      WHERE (excluded.step, coalesce(excluded.timestamp, 0), excluded.value) > (latest_metrics.step, coalesce(latest_metrics.timestamp, 0), latest_metrics.value)`,
      [key, v.value, b.timestamp ?? 0, b.step, v.isNan, runUuid],
    );
    return written;
  }

  /** A dataset as MLflow's log_inputs writes it: datasets row (per experiment, name, digest), inputs edge, context tag. */
  private async writeInput(c: PoolClient, expId: string, runUuid: string, d: TeamDataset): Promise<void> {
    await c.query(
      `INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source, dataset_schema, dataset_profile)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
      [randomUUID().replace(/-/g, ''), Number(expId), d.name, d.digest, d.sourceType, d.source, d.schema, d.profile],
    );
    const ds = await this.q<{ id: string }>(
      'SELECT dataset_uuid AS id FROM datasets WHERE experiment_id = $1 AND name = $2 AND digest = $3',
      [Number(expId), d.name, d.digest],
      c,
    );
    const ins = await this.q<{ id: string }>(
      `INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id)
      VALUES ($1, 'DATASET', $2, 'RUN', $3) ON CONFLICT DO NOTHING RETURNING input_uuid AS id`,
      [randomUUID().replace(/-/g, ''), ds[0].id, runUuid],
      c,
    );
    if (ins.length && d.context) {
      await c.query(
        `INSERT INTO input_tags (input_uuid, name, value) VALUES ($1, 'mlflow.data.context', $2) ON CONFLICT DO NOTHING`,
        [ins[0].id, d.context],
      );
    }
  }

  async listModels(): Promise<TeamModel[]> {
    await this.schema();
    const names = await this.q<{ name: string }>('SELECT name FROM registered_models ORDER BY name');
    return this.models(names.map(n => n.name));
  }

  async getModel(name: string): Promise<TeamModel | undefined> {
    await this.schema();
    return (await this.models([name]))[0];
  }

  private async models(names: string[], c?: PoolClient): Promise<TeamModel[]> {
    if (!names.length) {
      return [];
    }
    const [models, versions, mtags, vtags, aliases] = await Promise.all([
      this.q(
        'SELECT name, description, creation_time, last_updated_time FROM registered_models WHERE name = ANY($1) ORDER BY name',
        [names],
        c,
      ),
      this.q(
        `SELECT name, version, run_id, source, current_stage, status, description, creation_time FROM model_versions
        WHERE name = ANY($1) AND current_stage IS DISTINCT FROM 'Deleted_Internal' ORDER BY name, version`,
        [names],
        c,
      ),
      this.q<{ name: string; key: string; value: string | null }>(
        'SELECT name, key, value FROM registered_model_tags WHERE name = ANY($1) ORDER BY key',
        [names],
        c,
      ),
      this.q<{ name: string; version: number; key: string; value: string | null }>(
        'SELECT name, version, key, value FROM model_version_tags WHERE name = ANY($1) ORDER BY key',
        [names],
        c,
      ),
      this.q<{ name: string; alias: string; version: number }>(
        'SELECT name, alias, version FROM registered_model_aliases WHERE name = ANY($1) ORDER BY alias',
        [names],
        c,
      ),
    ]);
    return models.map(m => {
      const name = String(m.name);
      const al = aliases.filter(a => a.name === name);
      return {
        name,
        description: (m.description as string | null) || null,
        createdAt: num(m.creation_time),
        updatedAt: num(m.last_updated_time),
        tags: Object.fromEntries(mtags.filter(t => t.name === name).map(t => [t.key, t.value ?? ''])),
        aliases: Object.fromEntries(al.map(a => [a.alias, Number(a.version)])),
        versions: versions
          .filter(v => v.name === name)
          .map(v => {
            const n = Number(v.version);
            return {
              version: n,
              runId: (v.run_id as string | null) ?? null,
              source: (v.source as string | null) ?? null,
              stage: String(v.current_stage ?? 'None'),
              status: String(v.status ?? 'READY'),
              description: (v.description as string | null) || null,
              createdAt: num(v.creation_time),
              tags: Object.fromEntries(
                vtags.filter(t => t.name === name && Number(t.version) === n).map(t => [t.key, t.value ?? '']),
              ),
              aliases: al.filter(a => Number(a.version) === n).map(a => a.alias),
            };
          }),
      };
    });
  }

  async promote(req: PromoteRequest): Promise<PromoteResult> {
    return (await this.moveAlias(req)) as PromoteResult;
  }

  async moveAlias(req: AliasMoveRequest): Promise<AliasMoveResult> {
    await this.requireWritable();
    return this.tx(async c => {
      await c.query(`SET LOCAL lock_timeout = '15s'`);
      // The row lock on the registered model serialises every alias move of this model.
      const locked = await this.q('SELECT name FROM registered_models WHERE name = $1 FOR UPDATE', [req.model], c);
      if (!locked.length) {
        throw new TrackingError(
          'NOT_FOUND',
          `registered model ${JSON.stringify(req.model)} does not exist in ${this.displayUri}`,
        );
      }
      if (req.version !== null) {
        const v = await this.q(
          "SELECT version FROM model_versions WHERE name = $1 AND version = $2 AND current_stage IS DISTINCT FROM 'Deleted_Internal'",
          [req.model, req.version],
          c,
        );
        if (!v.length) {
          throw new TrackingError('NOT_FOUND', `${req.model} has no version ${req.version} in ${this.displayUri}`);
        }
      }
      const cur = await this.q<{ version: number }>(
        'SELECT version FROM registered_model_aliases WHERE name = $1 AND alias = $2',
        [req.model, req.alias],
        c,
      );
      const from = cur.length ? Number(cur[0].version) : null;
      const tagged = checkAliasMove(req, from);
      if (req.version === null) {
        await c.query('DELETE FROM registered_model_aliases WHERE name = $1 AND alias = $2', [req.model, req.alias]);
      } else {
        await c.query(
          `INSERT INTO registered_model_aliases (alias, version, name) VALUES ($1, $2, $3)
          ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version`,
          [req.alias, req.version, req.model],
        );
      }
      for (const [key, value] of req.versionTags) {
        await c.query(
          `INSERT INTO model_version_tags (key, value, name, version) VALUES ($1, $2, $3, $4)
          ON CONFLICT (key, name, version) DO UPDATE SET value = excluded.value`,
          [key.slice(0, 250), value.slice(0, 5000), req.model, tagged],
        );
      }
      await c.query('UPDATE registered_models SET last_updated_time = $2 WHERE name = $1', [req.model, Date.now()]);
      return { model: req.model, alias: req.alias, from, to: req.version };
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * Creates MLflow 2.17's schema in an empty database, as `mlflow db upgrade` followed by MLflow's first use
   * would (tables, alembic_version, the Default experiment 0 with `<artifactRoot>/0`). Returns false when the
   * schema was already there at that revision; throws when the database holds something else.
   */
  async initSchema(artifactRoot: string): Promise<boolean> {
    return this.tx(async c => {
      const t = await this.q<{ n: string }>(
        `SELECT count(*) AS n FROM pg_tables WHERE schemaname = current_schema()`,
        [],
        c,
      );
      if (Number(t[0].n) > 0) {
        const rev = await this.q<{ t: string | null }>(`SELECT to_regclass('alembic_version')::text AS t`, [], c);
        const v = rev[0].t
          ? (await this.q<{ v: string }>('SELECT version_num AS v FROM alembic_version', [], c))[0]?.v
          : undefined;
        if (v === MLFLOW_217_REVISION) {
          return false;
        }
        throw new TrackingError(
          v ? 'ALREADY_EXISTS' : 'NOT_MLFLOW',
          v
            ? `${this.displayUri} already holds an MLflow schema at revision ${v}; use MLflow's own "mlflow db upgrade" to migrate it`
            : `${this.displayUri} is not empty and holds no MLflow schema; use an empty database`,
        );
      }
      await c.query(MLFLOW_217_DDL);
      await c.query('INSERT INTO alembic_version (version_num) VALUES ($1)', [MLFLOW_217_REVISION]);
      const now = Date.now();
      await c.query(
        `INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
        VALUES (0, 'Default', $1, 'active', $2, $2)`,
        [`${artifactRoot.replace(/\/+$/, '')}/0`, now],
      );
      return true;
    });
  }
}

/** pg's errors as messages a user can act on. */
export function pgError(e: unknown, where: string): Error {
  if (e instanceof TrackingError) {
    return e;
  }
  const err = e as { code?: string; message?: string };
  const msg = err.message ?? String(e);
  switch (err.code) {
    case '28P01':
    case '28000':
      return new TrackingError(
        'UNAUTHORIZED',
        `${where}: authentication failed (${msg}); set the password in PGPASSWORD or ~/.pgpass, or with "ML Sight: Set Team Tracking Password"`,
      );
    case '42501':
      return new TrackingError('PERMISSION_DENIED', `${where}: permission denied (${msg})`);
    case '3D000':
      return new TrackingError('NOT_FOUND', `${where}: ${msg}`);
    case '55P03':
    case '40P01':
    case '40001':
      return new TrackingError('CONFLICT', `${where}: another client holds this model (${msg}); try again`);
    case '42P01':
    case '42703':
      return new TrackingError('NOT_MLFLOW', `${where}: not the MLflow schema ML Sight expects (${msg})`);
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'ETIMEDOUT':
    case 'ECONNRESET':
      return new TrackingError('UNAVAILABLE', `${where}: cannot connect (${msg})`);
    default:
      return new TrackingError('INTERNAL', `${where}: ${msg}`);
  }
}
