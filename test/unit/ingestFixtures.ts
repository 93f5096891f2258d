/**
 * Fixture builders for the MLflow and TensorBoard ingest tests, written from the format facts (nothing is read
 * from outside the test's temp folder at run time):
 * - MLflow FileStore trees laid out as MLflow's FileStore writes them (meta.yaml as yaml.safe_dump prints it);
 * - MLflow SQLite databases created with MLflow's schema (tests/resources/db/latest_schema.sql), via sql.js;
 * - TensorBoard event files: Event/Summary/TensorProto encoded with protobufjs's Writer (field numbers from
 *   tensorflow's .proto files) and framed as TFRecords by an encoder independent of the code under test.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import * as protobuf from 'protobufjs/light';
import { Logger, silentLogger } from '../../src/core/log';
import { Db } from '../../src/core/store/db';
import { WorkspaceStore } from '../../src/core/store/store';

export function recordingLogger(): Logger & { lines: string[]; infos: string[] } {
  const lines: string[] = [];
  const infos: string[] = [];
  return {
    ...silentLogger,
    lines,
    infos,
    info: m => infos.push(m),
    warn: m => lines.push(m),
    error: m => lines.push(m),
  };
}

/** Every row of the tables ingestion writes, without volatile columns, for idempotency checks. */
export function dumpTables(store: WorkspaceStore): Record<string, unknown[]> {
  return store.read(db => {
    const q = (sql: string) => db.all(sql);
    return {
      experiments: q('SELECT * FROM experiments ORDER BY id'),
      runs: q(
        'SELECT id, experiment_id, name, status, start_time, end_time, source, source_path, description, git_commit, git_branch, git_dirty, lifecycle_stage FROM runs ORDER BY id',
      ),
      params: q('SELECT * FROM params ORDER BY run_id, key'),
      tags: q('SELECT * FROM tags ORDER BY run_id, key'),
      metric_series: q('SELECT run_id, key, count, stride, hex(data) AS data FROM metric_series ORDER BY run_id, key'),
      latest_metrics: q('SELECT * FROM latest_metrics ORDER BY run_id, key'),
      artifacts: q('SELECT * FROM artifacts ORDER BY run_id, path'),
      datasets: q('SELECT * FROM datasets ORDER BY run_id, name, role'),
      models: q('SELECT * FROM models ORDER BY name'),
      model_versions: q('SELECT * FROM model_versions ORDER BY model_name, version'),
      model_aliases: q('SELECT * FROM model_aliases ORDER BY model_name, alias'),
      model_tags: q('SELECT * FROM model_tags ORDER BY model_name, version, key'),
      audit_log: q('SELECT * FROM audit_log'),
    };
  });
}

export function countRows(db: Db, table: string, where = '1=1', params: (string | number)[] = []): number {
  return Number(db.scalar(`SELECT count(*) FROM ${table} WHERE ${where}`, params) ?? 0);
}

// ---------------------------------------------------------------------------------------------------------
// MLflow FileStore

/** YAML scalar as PyYAML's safe_dump writes it: strings that look like numbers/bools/null are quoted. */
function yamlScalar(v: unknown): string {
  if (v === null || v === undefined) {
    return 'null';
  }
  if (typeof v === 'number' || typeof v === 'bigint') {
    return String(v);
  }
  if (typeof v === 'boolean') {
    return v ? 'true' : 'false';
  }
  const s = String(v);
  if (
    s === '' ||
    /^[\d.+-]/.test(s) ||
    /^(true|false|null|yes|no|on|off|~)$/i.test(s) ||
    /[:#'"\n{}[\],&*!|>%@`]/.test(s)
  ) {
    return `'${s.replace(/'/g, "''")}'`;
  }
  return s;
}

/** A flat YAML mapping with keys sorted, as yaml.safe_dump(default_flow_style=False) prints MLflow's dicts. */
export function toYaml(obj: Record<string, unknown>): string {
  return (
    Object.keys(obj)
      .sort()
      .map(k => {
        const v = obj[k];
        if (Array.isArray(v)) {
          return v.length === 0 ? `${k}: []` : `${k}:\n${v.map(x => `- ${yamlScalar(x)}`).join('\n')}`;
        }
        if (v && typeof v === 'object') {
          const inner = Object.entries(v as Record<string, unknown>);
          return inner.length === 0
            ? `${k}: {}`
            : `${k}:\n${inner.map(([ik, iv]) => `  ${ik}: ${yamlScalar(iv)}`).join('\n')}`;
        }
        return `${k}: ${yamlScalar(v)}`;
      })
      .join('\n') + '\n'
  );
}

export interface FsRunSpec {
  runId: string;
  /** meta.yaml fields overriding the defaults; a field set to `undefined` is left out. */
  meta?: Record<string, unknown>;
  /** Raw meta.yaml text (for malformed files). */
  rawMeta?: string;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  /** Metric key → raw file content (lines as MLflow appends them). */
  metrics?: Record<string, string>;
  /** Files under artifacts/ (path → content). */
  artifacts?: Record<string, string>;
}

export class MlrunsBuilder {
  constructor(readonly root: string) {
    fs.mkdirSync(root, { recursive: true });
    fs.mkdirSync(path.join(root, '.trash'), { recursive: true });
  }

  uri(p: string): string {
    return pathToFileURL(p).href;
  }

  experiment(
    id: string,
    name: string,
    extra: Record<string, unknown> = {},
    opts: { unquotedId?: boolean; parent?: string } = {},
  ): string {
    const parent = opts.parent ?? this.root;
    const dir = path.join(parent, id);
    fs.mkdirSync(dir, { recursive: true });
    const meta: Record<string, unknown> = {
      artifact_location: this.uri(dir),
      creation_time: 1672364273000,
      experiment_id: id,
      last_update_time: 1672364273000,
      lifecycle_stage: 'active',
      name,
      ...extra,
    };
    for (const k of Object.keys(meta)) {
      if (meta[k] === undefined) {
        delete meta[k];
      }
    }
    let text = toYaml(meta);
    // Legacy files store experiment_id unquoted (an int); newer ones quote it.
    if (opts.unquotedId) {
      text = text.replace(/^experiment_id: .*$/m, `experiment_id: ${id}`);
    }
    fs.writeFileSync(path.join(dir, 'meta.yaml'), text);
    return dir;
  }

  run(expId: string, spec: FsRunSpec, parent = this.root): string {
    const dir = path.join(parent, expId, spec.runId);
    fs.mkdirSync(path.join(dir, 'metrics'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'params'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'artifacts'), { recursive: true });
    if (spec.rawMeta !== undefined) {
      fs.writeFileSync(path.join(dir, 'meta.yaml'), spec.rawMeta);
    } else {
      const meta: Record<string, unknown> = {
        artifact_uri: this.uri(path.join(dir, 'artifacts')),
        end_time: null,
        entry_point_name: '',
        experiment_id: expId,
        lifecycle_stage: 'active',
        run_id: spec.runId,
        run_name: 'run-' + spec.runId.slice(0, 6),
        run_uuid: spec.runId,
        source_name: '',
        source_type: 4,
        source_version: '',
        start_time: 1672364273319,
        status: 1,
        tags: [],
        user_id: 'tester',
        deleted_time: null,
        ...spec.meta,
      };
      for (const k of Object.keys(meta)) {
        if (meta[k] === undefined) {
          delete meta[k];
        }
      }
      fs.writeFileSync(path.join(dir, 'meta.yaml'), toYaml(meta));
    }
    const writeKeyed = (sub: string, kv: Record<string, string> | undefined) => {
      for (const [k, v] of Object.entries(kv ?? {})) {
        const f = path.join(dir, sub, ...k.split('/'));
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, v);
      }
    };
    writeKeyed('params', spec.params);
    writeKeyed('tags', spec.tags);
    writeKeyed('metrics', spec.metrics);
    writeKeyed('artifacts', spec.artifacts);
    return dir;
  }

  metricFile(expId: string, runId: string, key: string): string {
    return path.join(this.root, expId, runId, 'metrics', ...key.split('/'));
  }

  /** mlruns/models/<name>/… as MLflow's model registry FileStore writes it. */
  model(
    name: string,
    spec: {
      description?: string;
      tags?: Record<string, string>;
      aliases?: Record<string, string>;
      versions: {
        version: number;
        stage?: string;
        runId?: string;
        source?: string;
        status?: string;
        tags?: Record<string, string>;
        description?: string;
      }[];
    },
  ): void {
    const dir = path.join(this.root, 'models', name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'meta.yaml'),
      toYaml({
        name,
        creation_timestamp: 1700000000000,
        last_updated_timestamp: 1700000001000,
        description: spec.description ?? '',
        aliases: Object.keys(spec.aliases ?? {}),
      }),
    );
    for (const [k, v] of Object.entries(spec.tags ?? {})) {
      fs.mkdirSync(path.join(dir, 'tags'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'tags', k), v);
    }
    for (const [a, v] of Object.entries(spec.aliases ?? {})) {
      fs.mkdirSync(path.join(dir, 'aliases'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'aliases', a), v);
    }
    for (const v of spec.versions) {
      const vdir = path.join(dir, `version-${v.version}`);
      fs.mkdirSync(vdir, { recursive: true });
      fs.writeFileSync(
        path.join(vdir, 'meta.yaml'),
        toYaml({
          name,
          version: v.version,
          creation_timestamp: 1700000000000 + v.version,
          last_updated_timestamp: 1700000000000 + v.version,
          description: v.description ?? '',
          user_id: 'tester',
          current_stage: v.stage ?? 'None',
          source: v.source ?? `runs:/${v.runId ?? 'x'}/model`,
          run_id: v.runId ?? '',
          run_link: '',
          status: v.status ?? 'READY',
          status_message: '',
          storage_location: '',
          aliases: [],
        }),
      );
      for (const [k, val] of Object.entries(v.tags ?? {})) {
        fs.mkdirSync(path.join(vdir, 'tags'), { recursive: true });
        fs.writeFileSync(path.join(vdir, 'tags', k), val);
      }
    }
  }
}

export const hex32 = (n: number) => n.toString(16).padStart(32, '0');

// ---------------------------------------------------------------------------------------------------------
// MLflow SQLite schema: tests/resources/db/latest_schema.sql (mlflow/mlflow), as CREATE statements.

export const MLFLOW_SCHEMA_SQL = `
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
CREATE TABLE experiments (
  experiment_id INTEGER NOT NULL, name VARCHAR(256) NOT NULL, artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32),
  creation_time BIGINT, last_update_time BIGINT,
  CONSTRAINT experiment_pk PRIMARY KEY (experiment_id), UNIQUE (name),
  CONSTRAINT experiments_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')));
CREATE TABLE input_tags (input_uuid VARCHAR(36) NOT NULL, name VARCHAR(255) NOT NULL, value VARCHAR(500) NOT NULL,
  CONSTRAINT input_tags_pk PRIMARY KEY (input_uuid, name));
CREATE TABLE inputs (input_uuid VARCHAR(36) NOT NULL, source_type VARCHAR(36) NOT NULL, source_id VARCHAR(36) NOT NULL,
  destination_type VARCHAR(36) NOT NULL, destination_id VARCHAR(36) NOT NULL,
  CONSTRAINT inputs_pk PRIMARY KEY (source_type, source_id, destination_type, destination_id));
CREATE TABLE registered_models (name VARCHAR(256) NOT NULL, creation_time BIGINT, last_updated_time BIGINT, description VARCHAR(5000),
  CONSTRAINT registered_model_pk PRIMARY KEY (name), UNIQUE (name));
CREATE TABLE datasets (dataset_uuid VARCHAR(36) NOT NULL, experiment_id INTEGER NOT NULL, name VARCHAR(500) NOT NULL, digest VARCHAR(36) NOT NULL,
  dataset_source_type VARCHAR(36) NOT NULL, dataset_source TEXT NOT NULL, dataset_schema TEXT, dataset_profile TEXT,
  CONSTRAINT dataset_pk PRIMARY KEY (experiment_id, name, digest), FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id));
CREATE TABLE experiment_tags (key VARCHAR(250) NOT NULL, value VARCHAR(5000), experiment_id INTEGER NOT NULL,
  CONSTRAINT experiment_tag_pk PRIMARY KEY (key, experiment_id), FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id));
CREATE TABLE model_versions (name VARCHAR(256) NOT NULL, version INTEGER NOT NULL, creation_time BIGINT, last_updated_time BIGINT,
  description VARCHAR(5000), user_id VARCHAR(256), current_stage VARCHAR(20), source VARCHAR(500), run_id VARCHAR(32), status VARCHAR(20),
  status_message VARCHAR(500), run_link VARCHAR(500), storage_location VARCHAR(500),
  CONSTRAINT model_version_pk PRIMARY KEY (name, version), FOREIGN KEY(name) REFERENCES registered_models (name) ON UPDATE CASCADE);
CREATE TABLE registered_model_aliases (alias VARCHAR(256) NOT NULL, version INTEGER NOT NULL, name VARCHAR(256) NOT NULL,
  CONSTRAINT registered_model_alias_pk PRIMARY KEY (name, alias),
  CONSTRAINT registered_model_alias_name_fkey FOREIGN KEY(name) REFERENCES registered_models (name) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE registered_model_tags (key VARCHAR(250) NOT NULL, value VARCHAR(5000), name VARCHAR(256) NOT NULL,
  CONSTRAINT registered_model_tag_pk PRIMARY KEY (key, name), FOREIGN KEY(name) REFERENCES registered_models (name) ON UPDATE CASCADE);
CREATE TABLE runs (run_uuid VARCHAR(32) NOT NULL, name VARCHAR(250), source_type VARCHAR(20), source_name VARCHAR(500), entry_point_name VARCHAR(50),
  user_id VARCHAR(256), status VARCHAR(9), start_time BIGINT, end_time BIGINT, source_version VARCHAR(50), lifecycle_stage VARCHAR(20),
  artifact_uri VARCHAR(200), experiment_id INTEGER, deleted_time BIGINT,
  CONSTRAINT run_pk PRIMARY KEY (run_uuid), FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id),
  CONSTRAINT runs_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')),
  CONSTRAINT source_type CHECK (source_type IN ('NOTEBOOK', 'JOB', 'LOCAL', 'UNKNOWN', 'PROJECT')),
  CHECK (status IN ('SCHEDULED', 'FAILED', 'FINISHED', 'RUNNING', 'KILLED')));
CREATE TABLE trace_info (request_id VARCHAR(50) NOT NULL, experiment_id INTEGER NOT NULL, timestamp_ms BIGINT NOT NULL, execution_time_ms BIGINT,
  status VARCHAR(50) NOT NULL, CONSTRAINT trace_info_pk PRIMARY KEY (request_id),
  CONSTRAINT fk_trace_info_experiment_id FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id));
CREATE TABLE latest_metrics (key VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT, step BIGINT NOT NULL, is_nan BOOLEAN NOT NULL,
  run_uuid VARCHAR(32) NOT NULL, CONSTRAINT latest_metric_pk PRIMARY KEY (key, run_uuid), FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid),
  CHECK (is_nan IN (0, 1)));
CREATE TABLE metrics (key VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT NOT NULL, run_uuid VARCHAR(32) NOT NULL,
  step BIGINT DEFAULT '0' NOT NULL, is_nan BOOLEAN DEFAULT '0' NOT NULL,
  CONSTRAINT metric_pk PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan), FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid),
  CHECK (is_nan IN (0, 1)));
CREATE TABLE model_version_tags (key VARCHAR(250) NOT NULL, value VARCHAR(5000), name VARCHAR(256) NOT NULL, version INTEGER NOT NULL,
  CONSTRAINT model_version_tag_pk PRIMARY KEY (key, name, version),
  FOREIGN KEY(name, version) REFERENCES model_versions (name, version) ON UPDATE CASCADE);
CREATE TABLE params (key VARCHAR(250) NOT NULL, value VARCHAR(8000) NOT NULL, run_uuid VARCHAR(32) NOT NULL,
  CONSTRAINT param_pk PRIMARY KEY (key, run_uuid), FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid));
CREATE TABLE tags (key VARCHAR(250) NOT NULL, value VARCHAR(5000), run_uuid VARCHAR(32) NOT NULL,
  CONSTRAINT tag_pk PRIMARY KEY (key, run_uuid), FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid));
CREATE TABLE trace_request_metadata (key VARCHAR(250) NOT NULL, value VARCHAR(8000), request_id VARCHAR(50) NOT NULL,
  CONSTRAINT trace_request_metadata_pk PRIMARY KEY (key, request_id),
  CONSTRAINT fk_trace_request_metadata_request_id FOREIGN KEY(request_id) REFERENCES trace_info (request_id));
CREATE TABLE trace_tags (key VARCHAR(250) NOT NULL, value VARCHAR(8000), request_id VARCHAR(50) NOT NULL,
  CONSTRAINT trace_tag_pk PRIMARY KEY (key, request_id),
  CONSTRAINT fk_trace_tags_request_id FOREIGN KEY(request_id) REFERENCES trace_info (request_id));
`;

/** How MLflow's SQL store writes a metric value: NaN → (0, is_nan 1), ±inf → ±max double. */
export function sqlMetric(v: number): [number, number] {
  if (Number.isNaN(v)) {
    return [0, 1];
  }
  if (v === Infinity) {
    return [1.7976931348623157e308, 0];
  }
  if (v === -Infinity) {
    return [-1.7976931348623157e308, 0];
  }
  return [v, 0];
}

// ---------------------------------------------------------------------------------------------------------
// TensorBoard: an encoder written against the wire format (independent of src/core/ingest/tensorboard.ts)

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    t[i] = c >>> 0;
  }
  return t;
})();

/** Bitwise-table CRC-32C (reflected 0x82F63B78, init/xorout 0xFFFFFFFF). */
export function testCrc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

export function testMaskedCrc(data: Uint8Array): number {
  const c = testCrc32c(data);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

export function frame(payload: Uint8Array): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(payload.length));
  const c1 = Buffer.alloc(4);
  c1.writeUInt32LE(testMaskedCrc(len));
  const c2 = Buffer.alloc(4);
  c2.writeUInt32LE(testMaskedCrc(payload));
  return Buffer.concat([len, c1, Buffer.from(payload), c2]);
}

export interface TensorSpec {
  dtype: number;
  shape?: number[];
  floatVal?: number[];
  doubleVal?: number[];
  intVal?: number[];
  int64Val?: number[];
  halfVal?: number[];
  content?: Buffer;
  /** Write repeated numeric fields unpacked (one tag per element) instead of packed. */
  unpacked?: boolean;
}

export interface ValueSpec {
  tag: string;
  simpleValue?: number;
  tensor?: TensorSpec;
  pluginName?: string;
  dataClass?: number;
  /** bytes of a field this reader does not decode (e.g. an image or histo), to check it is skipped */
  image?: Buffer;
}

function writeTensor(w: protobuf.Writer, t: TensorSpec): void {
  if (t.dtype) {
    w.uint32((1 << 3) | 0).int32(t.dtype);
  }
  if (t.shape && t.shape.length) {
    w.uint32((2 << 3) | 2).fork();
    for (const d of t.shape) {
      w.uint32((2 << 3) | 2)
        .fork()
        .uint32((1 << 3) | 0)
        .int64(d)
        .ldelim();
    }
    w.ldelim();
  }
  if (t.content) {
    w.uint32((4 << 3) | 2).bytes(t.content);
  }
  const rep = (
    field: number,
    wire: 0 | 1 | 5,
    vals: number[] | undefined,
    put: (w: protobuf.Writer, v: number) => void,
  ) => {
    if (!vals || vals.length === 0) {
      return;
    }
    if (t.unpacked) {
      for (const v of vals) {
        w.uint32((field << 3) | wire);
        put(w, v);
      }
    } else {
      w.uint32((field << 3) | 2).fork();
      for (const v of vals) {
        put(w, v);
      }
      w.ldelim();
    }
  };
  rep(5, 5, t.floatVal, (ww, v) => ww.float(v));
  rep(6, 1, t.doubleVal, (ww, v) => ww.double(v));
  rep(7, 0, t.intVal, (ww, v) => ww.int32(v));
  rep(10, 0, t.int64Val, (ww, v) => ww.int64(v));
  rep(13, 0, t.halfVal, (ww, v) => ww.int32(v));
}

/** Encodes tensorflow.Event{wall_time=1, step=2, file_version=3 | summary=5{value=1[...]}}. */
export function encodeEvent(e: {
  wallTime: number;
  step?: number;
  fileVersion?: string;
  values?: ValueSpec[];
}): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 1).double(e.wallTime);
  if (e.step) {
    w.uint32((2 << 3) | 0).int64(e.step);
  }
  if (e.fileVersion !== undefined) {
    w.uint32((3 << 3) | 2).string(e.fileVersion);
  }
  if (e.values) {
    w.uint32((5 << 3) | 2).fork();
    for (const v of e.values) {
      w.uint32((1 << 3) | 2).fork();
      w.uint32((1 << 3) | 2).string(v.tag);
      if (v.simpleValue !== undefined) {
        w.uint32((2 << 3) | 5).float(v.simpleValue);
      }
      if (v.image) {
        w.uint32((4 << 3) | 2).bytes(v.image);
      }
      if (v.tensor) {
        w.uint32((8 << 3) | 2).fork();
        writeTensor(w, v.tensor);
        w.ldelim();
      }
      if (v.pluginName !== undefined || v.dataClass !== undefined) {
        w.uint32((9 << 3) | 2).fork();
        if (v.pluginName !== undefined) {
          w.uint32((1 << 3) | 2)
            .fork()
            .uint32((1 << 3) | 2)
            .string(v.pluginName)
            .ldelim();
        }
        if (v.dataClass !== undefined) {
          w.uint32((4 << 3) | 0).int32(v.dataClass);
        }
        w.ldelim();
      }
      w.ldelim();
    }
    w.ldelim();
  }
  return w.finish();
}

/** An event file: the file_version record, then one record per event. */
export function eventFile(events: Parameters<typeof encodeEvent>[0][], withVersion = true): Buffer {
  const recs = events.map(e => frame(encodeEvent(e)));
  if (withVersion) {
    recs.unshift(frame(encodeEvent({ wallTime: events[0]?.wallTime ?? 1, fileVersion: 'brain.Event:2' })));
  }
  return Buffer.concat(recs);
}

// ---------------------------------------------------------------------------------------------------------
// Temp workspaces whose stores are closed before the folder is removed (closing after removal would make the
// store's lock retry for its full stale period).

const storesByDir = new Map<string, WorkspaceStore[]>();

export function ingestTempWorkspace(prefix = 'mlsight-ingest-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  after(async () => {
    for (const s of storesByDir.get(dir) ?? []) {
      await s.close().catch(() => undefined);
    }
    storesByDir.delete(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

export async function openTestStore(ws: string, persistDelayMs = 10_000): Promise<WorkspaceStore> {
  const store = await WorkspaceStore.open({ folder: ws, persistDelayMs });
  const list = storesByDir.get(ws) ?? [];
  list.push(store);
  storesByDir.set(ws, list);
  return store;
}
