/**
 * The store's schema as an ordered list of migrations. Migration i (0-based) takes the database from
 * `PRAGMA user_version = i` to `i + 1`. Never edit a released migration: append a new one.
 *
 * Conventions:
 * - Run, experiment and dataset ids are strings chosen by the source (ML Sight uuid, MLflow id, TensorBoard
 *   path hash), so two processes writing the same run converge on the same row (upserts, no autoincrement ids).
 * - metrics.value is NULL for NaN (SQLite has no NaN); +/-Infinity are stored as REAL infinities.
 * - audit_log is append-only: triggers reject UPDATE and DELETE.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);

  CREATE TABLE experiments (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    artifact_location TEXT,
    lifecycle_stage TEXT NOT NULL DEFAULT 'active',
    created_at INTEGER,
    baseline_run_id TEXT
  );
  CREATE INDEX experiments_name ON experiments(name);

  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    experiment_id TEXT NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    name TEXT,
    status TEXT NOT NULL DEFAULT 'RUNNING',
    start_time INTEGER,
    end_time INTEGER,
    source TEXT NOT NULL,
    source_path TEXT,
    description TEXT,
    git_commit TEXT,
    git_branch TEXT,
    git_dirty INTEGER,
    lifecycle_stage TEXT NOT NULL DEFAULT 'active',
    updated_at INTEGER
  );
  CREATE INDEX runs_experiment ON runs(experiment_id, start_time);

  CREATE TABLE params (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT,
    PRIMARY KEY (run_id, key)
  );

  CREATE TABLE metrics (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    step INTEGER NOT NULL DEFAULT 0,
    timestamp INTEGER,
    value REAL
  );
  CREATE INDEX metrics_run_key_step ON metrics(run_id, key, step);

  CREATE TABLE tags (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT,
    PRIMARY KEY (run_id, key)
  );

  CREATE TABLE artifacts (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'file',
    size INTEGER,
    sha256 TEXT,
    PRIMARY KEY (run_id, path)
  );

  CREATE TABLE datasets (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'train',
    path TEXT,
    digest TEXT,
    rows INTEGER,
    schema_json TEXT,
    PRIMARY KEY (run_id, name, role)
  );

  CREATE TABLE models (
    name TEXT PRIMARY KEY,
    description TEXT,
    source TEXT NOT NULL DEFAULT 'mlsight',
    created_at INTEGER,
    updated_at INTEGER
  );

  CREATE TABLE model_versions (
    model_name TEXT NOT NULL REFERENCES models(name) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    run_id TEXT,
    source_uri TEXT,
    git_commit TEXT,
    description TEXT,
    stage TEXT NOT NULL DEFAULT 'None',
    status TEXT NOT NULL DEFAULT 'READY',
    metrics_json TEXT,
    datasets_json TEXT,
    created_at INTEGER,
    PRIMARY KEY (model_name, version)
  );

  CREATE TABLE model_aliases (
    model_name TEXT NOT NULL REFERENCES models(name) ON DELETE CASCADE,
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (model_name, alias)
  );

  CREATE TABLE model_tags (
    model_name TEXT NOT NULL REFERENCES models(name) ON DELETE CASCADE,
    version INTEGER NOT NULL DEFAULT 0,
    key TEXT NOT NULL,
    value TEXT,
    PRIMARY KEY (model_name, version, key)
  );

  CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    from_value TEXT,
    to_value TEXT,
    reason TEXT,
    evidence_json TEXT
  );
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

  CREATE TABLE ingest_state (
    path TEXT PRIMARY KEY,
    offset INTEGER NOT NULL DEFAULT 0,
    size INTEGER,
    mtime_ms INTEGER,
    line INTEGER NOT NULL DEFAULT 0,
    run_id TEXT
  );
  `,
  // 1: registry projection (issue 6). audit_log rows carry the whole event, its model and its position in
  // .mlsight/audit.jsonl (log_seq), so the registry tables of a model can be re-derived from its events in log
  // order however writes of two processes interleave. Gate settings live apart from `models` (no cascade):
  // MLflow-owned models are replaced wholesale by the ingester, their settings must survive that.
  `
  ALTER TABLE audit_log ADD COLUMN model TEXT;
  ALTER TABLE audit_log ADD COLUMN log_seq INTEGER;
  ALTER TABLE audit_log ADD COLUMN event_json TEXT;
  CREATE INDEX audit_log_model ON audit_log(model, log_seq);
  ALTER TABLE model_versions ADD COLUMN lineage_json TEXT;
  ALTER TABLE model_versions ADD COLUMN created_by TEXT;
  ALTER TABLE model_versions ADD COLUMN updated_at INTEGER;
  CREATE TABLE model_settings (
    model_name TEXT PRIMARY KEY,
    settings_json TEXT NOT NULL,
    updated_at INTEGER
  );
  `,
  // 2: what users say about runs (star, rename, note, trash, own tags), kept apart from what ingestion writes so a
  // re-read of a run log, MLflow tree or TensorBoard file never overwrites it. No foreign key: a run that is
  // re-ingested (or rebuilt) keeps its annotations. The append-only .mlsight/annotations.jsonl is the source.
  `
  CREATE TABLE run_annotations (
    run_id TEXT PRIMARY KEY,
    starred INTEGER NOT NULL DEFAULT 0,
    name TEXT,
    note TEXT,
    trashed_at INTEGER
  );
  CREATE TABLE user_tags (
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
  );
  `,
  // 3: the latest value of every (run, metric) kept up to date by triggers, so the Runs view and the CLI read
  // O(runs × keys) rows instead of scanning every metric point. MLflow's rule: highest step, then timestamp,
  // then value. NaN (NULL) never replaces a number at the same step and timestamp.
  `
  CREATE TABLE latest_metrics (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    step INTEGER NOT NULL,
    timestamp INTEGER,
    value REAL,
    PRIMARY KEY (run_id, key)
  );
  INSERT INTO latest_metrics (run_id, key, step, timestamp, value)
    SELECT run_id, key, step, timestamp, value FROM (
      SELECT run_id, key, step, timestamp, value,
             row_number() OVER (PARTITION BY run_id, key ORDER BY step DESC, timestamp DESC, value DESC) AS rn
        FROM metrics) WHERE rn = 1;
  CREATE TRIGGER metrics_latest_insert AFTER INSERT ON metrics BEGIN
    INSERT INTO latest_metrics (run_id, key, step, timestamp, value) VALUES (new.run_id, new.key, new.step, new.timestamp, new.value)
    ON CONFLICT (run_id, key) DO UPDATE SET step = excluded.step, timestamp = excluded.timestamp, value = excluded.value
      WHERE excluded.step > latest_metrics.step
         OR (excluded.step = latest_metrics.step AND coalesce(excluded.timestamp, 0) > coalesce(latest_metrics.timestamp, 0))
         OR (excluded.step = latest_metrics.step AND coalesce(excluded.timestamp, 0) = coalesce(latest_metrics.timestamp, 0)
             AND excluded.value IS NOT NULL AND (latest_metrics.value IS NULL OR excluded.value > latest_metrics.value));
  END;
  CREATE TRIGGER metrics_latest_delete AFTER DELETE ON metrics
    WHEN EXISTS (SELECT 1 FROM runs WHERE id = old.run_id)
  BEGIN
    DELETE FROM latest_metrics WHERE run_id = old.run_id AND key = old.key;
    INSERT INTO latest_metrics (run_id, key, step, timestamp, value)
      SELECT run_id, key, step, timestamp, value FROM metrics WHERE run_id = old.run_id AND key = old.key
       ORDER BY step DESC, timestamp DESC, value DESC LIMIT 1;
  END;
  `,
  // 4: metric histories leave the store (issue 3, scale): the full series stay in their source files and the
  // store keeps the latest value (latest_metrics, now written by the ingesters) and a decimated copy of each
  // series (metric_series, see store/series.ts). Offsets are forgotten so every source is read once more and
  // fills metric_series. Params, tags, latest values and offsets move to WITHOUT ROWID tables.
  `
  DROP TRIGGER IF EXISTS metrics_latest_insert;
  DROP TRIGGER IF EXISTS metrics_latest_delete;
  DROP TABLE metrics;
  CREATE TABLE metric_series (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    count INTEGER NOT NULL,
    stride INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (run_id, key)
  ) WITHOUT ROWID;

  -- Tables with many small rows keyed by text lose their rowid: the key is stored once, not in the table and
  -- again in its index (a third of the store at 10,000 runs).
  CREATE TABLE latest_metrics_v5 (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    step INTEGER NOT NULL,
    timestamp INTEGER,
    value REAL,
    PRIMARY KEY (run_id, key)
  ) WITHOUT ROWID;
  INSERT INTO latest_metrics_v5 SELECT run_id, key, step, timestamp, value FROM latest_metrics;
  DROP TABLE latest_metrics;
  ALTER TABLE latest_metrics_v5 RENAME TO latest_metrics;

  CREATE TABLE params_v5 (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT,
    PRIMARY KEY (run_id, key)
  ) WITHOUT ROWID;
  INSERT INTO params_v5 SELECT run_id, key, value FROM params;
  DROP TABLE params;
  ALTER TABLE params_v5 RENAME TO params;

  CREATE TABLE tags_v5 (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT,
    PRIMARY KEY (run_id, key)
  ) WITHOUT ROWID;
  INSERT INTO tags_v5 SELECT run_id, key, value FROM tags;
  DROP TABLE tags;
  ALTER TABLE tags_v5 RENAME TO tags;

  -- The metric keys each experiment's runs have logged, so the Runs view picks its key metric without scanning
  -- every latest value (rows are added by triggers; a key whose runs are all gone may linger, readers check).
  CREATE TABLE metric_keys (
    experiment_id TEXT NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    PRIMARY KEY (experiment_id, key)
  ) WITHOUT ROWID;
  INSERT OR IGNORE INTO metric_keys (experiment_id, key)
    SELECT DISTINCT r.experiment_id, l.key FROM latest_metrics l JOIN runs r ON r.id = l.run_id;
  CREATE TRIGGER latest_metrics_key AFTER INSERT ON latest_metrics BEGIN
    INSERT OR IGNORE INTO metric_keys (experiment_id, key) SELECT experiment_id, new.key FROM runs WHERE id = new.run_id;
  END;
  CREATE TRIGGER runs_moved_keys AFTER UPDATE OF experiment_id ON runs WHEN new.experiment_id IS NOT old.experiment_id BEGIN
    INSERT OR IGNORE INTO metric_keys (experiment_id, key) SELECT new.experiment_id, key FROM latest_metrics WHERE run_id = new.id;
  END;

  DROP TABLE ingest_state;
  CREATE TABLE ingest_state (
    path TEXT PRIMARY KEY,
    offset INTEGER NOT NULL DEFAULT 0,
    size INTEGER,
    mtime_ms INTEGER,
    line INTEGER NOT NULL DEFAULT 0,
    run_id TEXT
  ) WITHOUT ROWID;
  `,
  // 5: the many child rows of a run (params, tags, latest values, series) lose their foreign key: checking every
  // insert against runs was a fifth of a cold ingest. A trigger deletes them with their run, as ON DELETE
  // CASCADE did (it fires for runs deleted by their experiment's cascade too). MLflow FileStore metrics keep
  // only their latest value: the series stay in the metric files (issue 3, scale).
  `
  DROP TRIGGER IF EXISTS latest_metrics_key;
  DROP TRIGGER IF EXISTS runs_moved_keys;

  CREATE TABLE params_v6 (run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT, PRIMARY KEY (run_id, key)) WITHOUT ROWID;
  INSERT INTO params_v6 SELECT run_id, key, value FROM params WHERE run_id IN (SELECT id FROM runs);
  DROP TABLE params;
  ALTER TABLE params_v6 RENAME TO params;

  CREATE TABLE tags_v6 (run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT, PRIMARY KEY (run_id, key)) WITHOUT ROWID;
  INSERT INTO tags_v6 SELECT run_id, key, value FROM tags WHERE run_id IN (SELECT id FROM runs);
  DROP TABLE tags;
  ALTER TABLE tags_v6 RENAME TO tags;

  CREATE TABLE latest_metrics_v6 (
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    step INTEGER NOT NULL,
    timestamp INTEGER,
    value REAL,
    PRIMARY KEY (run_id, key)
  ) WITHOUT ROWID;
  INSERT INTO latest_metrics_v6 SELECT run_id, key, step, timestamp, value FROM latest_metrics WHERE run_id IN (SELECT id FROM runs);
  DROP TABLE latest_metrics;
  ALTER TABLE latest_metrics_v6 RENAME TO latest_metrics;

  CREATE TABLE metric_series_v6 (
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    count INTEGER NOT NULL,
    stride INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (run_id, key)
  ) WITHOUT ROWID;
  -- not the series of MLflow FileStore runs (the runs with a '<run folder>/meta.yaml' offset row)
  INSERT INTO metric_series_v6 SELECT run_id, key, count, stride, data FROM metric_series
    WHERE run_id IN (SELECT id FROM runs)
      AND run_id NOT IN (SELECT run_id FROM ingest_state WHERE run_id IS NOT NULL AND substr(path, -10) = '/meta.yaml' AND substr(run_id, 1, 7) = 'mlflow:');
  DROP TABLE metric_series;
  ALTER TABLE metric_series_v6 RENAME TO metric_series;

  CREATE TRIGGER runs_delete_children AFTER DELETE ON runs BEGIN
    DELETE FROM params WHERE run_id = old.id;
    DELETE FROM tags WHERE run_id = old.id;
    DELETE FROM latest_metrics WHERE run_id = old.id;
    DELETE FROM metric_series WHERE run_id = old.id;
  END;
  -- and a run that is new never inherits rows written for an earlier run of that id after it was deleted
  -- (another process replaying its writes, say); an upsert that updates the run does not fire this
  CREATE TRIGGER runs_new_children AFTER INSERT ON runs BEGIN
    DELETE FROM params WHERE run_id = new.id;
    DELETE FROM tags WHERE run_id = new.id;
    DELETE FROM latest_metrics WHERE run_id = new.id;
    DELETE FROM metric_series WHERE run_id = new.id;
  END;
  -- metric_keys is kept by the code that writes latest values (store/series.ts), once per experiment and key
  -- in a write rather than by a trigger on every row
  CREATE TRIGGER runs_moved_keys AFTER UPDATE OF experiment_id ON runs WHEN new.experiment_id IS NOT old.experiment_id BEGIN
    INSERT OR IGNORE INTO metric_keys (experiment_id, key) SELECT new.experiment_id, key FROM latest_metrics WHERE run_id = new.id;
  END;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Tables every store has (checked by tests and by `mlsight store info`). */
export const TABLES = [
  'experiments',
  'runs',
  'params',
  'metric_series',
  'tags',
  'artifacts',
  'datasets',
  'models',
  'model_versions',
  'model_aliases',
  'model_tags',
  'audit_log',
  'ingest_state',
  'meta',
  'model_settings',
  'run_annotations',
  'user_tags',
  'latest_metrics',
  'metric_keys',
] as const;
