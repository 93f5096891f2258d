/**
 * MLflow 2.17's tracking + model-registry schema on PostgreSQL, as `mlflow db upgrade` leaves it at Alembic head
 * revision f5a4f2784254 (MLflow 2.17.x). Provenance: test/fixtures/mlflow-2.17/postgresql-schema.sql, a
 * `pg_dump --schema-only` of a database a real MLflow 2.17 created on PostgreSQL 15.18 (see the fixture's
 * PROVENANCE.md); the statements below are that dump without psql meta-commands, session SETs and the `public.`
 * prefix (so the connection's search_path decides the schema). test/unit/teamSchema.test.ts checks that creating
 * this schema gives the same catalog (columns, types, defaults, constraints, indexes) as loading the recorded dump.
 */

/** The Alembic revision this DDL is: head of MLflow 2.17 (recorded from MLflow 2.17.3.dev0, the version tested). */
export const MLFLOW_217_REVISION = 'f5a4f2784254';

export const MLFLOW_217_DDL = `
CREATE TABLE alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE datasets (
    dataset_uuid character varying(36) NOT NULL,
    experiment_id integer NOT NULL,
    name character varying(500) NOT NULL,
    digest character varying(36) NOT NULL,
    dataset_source_type character varying(36) NOT NULL,
    dataset_source text NOT NULL,
    dataset_schema text,
    dataset_profile text
);
CREATE TABLE experiment_tags (
    key character varying(250) NOT NULL,
    value character varying(5000),
    experiment_id integer NOT NULL
);
CREATE TABLE experiments (
    experiment_id integer NOT NULL,
    name character varying(256) NOT NULL,
    artifact_location character varying(256),
    lifecycle_stage character varying(32),
    creation_time bigint,
    last_update_time bigint,
    CONSTRAINT experiments_lifecycle_stage
      CHECK (((lifecycle_stage)::text = ANY ((ARRAY['active'::character varying,
      'deleted'::character varying])::text[])))
);
CREATE SEQUENCE experiments_experiment_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE experiments_experiment_id_seq OWNED BY experiments.experiment_id;
CREATE TABLE input_tags (
    input_uuid character varying(36) NOT NULL,
    name character varying(255) NOT NULL,
    value character varying(500) NOT NULL
);
CREATE TABLE inputs (
    input_uuid character varying(36) NOT NULL,
    source_type character varying(36) NOT NULL,
    source_id character varying(36) NOT NULL,
    destination_type character varying(36) NOT NULL,
    destination_id character varying(36) NOT NULL
);
CREATE TABLE latest_metrics (
    key character varying(250) NOT NULL,
    value double precision NOT NULL,
    "timestamp" bigint,
    step bigint NOT NULL,
    is_nan boolean NOT NULL,
    run_uuid character varying(32) NOT NULL
);
CREATE TABLE metrics (
    key character varying(250) NOT NULL,
    value double precision NOT NULL,
    "timestamp" bigint NOT NULL,
    run_uuid character varying(32) NOT NULL,
    step bigint DEFAULT '0'::bigint NOT NULL,
    is_nan boolean DEFAULT false NOT NULL
);
CREATE TABLE model_version_tags (
    key character varying(250) NOT NULL,
    value character varying(5000),
    name character varying(256) NOT NULL,
    version integer NOT NULL
);
CREATE TABLE model_versions (
    name character varying(256) NOT NULL,
    version integer NOT NULL,
    creation_time bigint,
    last_updated_time bigint,
    description character varying(5000),
    user_id character varying(256),
    current_stage character varying(20),
    source character varying(500),
    run_id character varying(32),
    status character varying(20),
    status_message character varying(500),
    run_link character varying(500),
    storage_location character varying(500)
);
CREATE TABLE params (
    key character varying(250) NOT NULL,
    value character varying(8000) NOT NULL,
    run_uuid character varying(32) NOT NULL
);
CREATE TABLE registered_model_aliases (
    alias character varying(256) NOT NULL,
    version integer NOT NULL,
    name character varying(256) NOT NULL
);
CREATE TABLE registered_model_tags (
    key character varying(250) NOT NULL,
    value character varying(5000),
    name character varying(256) NOT NULL
);
CREATE TABLE registered_models (
    name character varying(256) NOT NULL,
    creation_time bigint,
    last_updated_time bigint,
    description character varying(5000)
);
CREATE TABLE runs (
    run_uuid character varying(32) NOT NULL,
    name character varying(250),
    source_type character varying(20),
    source_name character varying(500),
    entry_point_name character varying(50),
    user_id character varying(256),
    status character varying(9),
    start_time bigint,
    end_time bigint,
    source_version character varying(50),
    lifecycle_stage character varying(20),
    artifact_uri character varying(200),
    experiment_id integer,
    deleted_time bigint,
    CONSTRAINT runs_lifecycle_stage
      CHECK (((lifecycle_stage)::text = ANY ((ARRAY['active'::character varying,
      'deleted'::character varying])::text[]))),
    CONSTRAINT runs_status_check
      CHECK (((status)::text = ANY ((ARRAY['SCHEDULED'::character varying, 'FAILED'::character varying,
      'FINISHED'::character varying, 'RUNNING'::character varying,
      'KILLED'::character varying])::text[]))),
    CONSTRAINT source_type
      CHECK (((source_type)::text = ANY ((ARRAY['NOTEBOOK'::character varying, 'JOB'::character varying,
      'LOCAL'::character varying, 'UNKNOWN'::character varying,
      'PROJECT'::character varying])::text[])))
);
CREATE TABLE tags (
    key character varying(250) NOT NULL,
    value character varying(8000),
    run_uuid character varying(32) NOT NULL
);
CREATE TABLE trace_info (
    request_id character varying(50) NOT NULL,
    experiment_id integer NOT NULL,
    timestamp_ms bigint NOT NULL,
    execution_time_ms bigint,
    status character varying(50) NOT NULL
);
CREATE TABLE trace_request_metadata (
    key character varying(250) NOT NULL,
    value character varying(8000),
    request_id character varying(50) NOT NULL
);
CREATE TABLE trace_tags (
    key character varying(250) NOT NULL,
    value character varying(8000),
    request_id character varying(50) NOT NULL
);
ALTER TABLE ONLY experiments
  ALTER COLUMN experiment_id SET DEFAULT nextval('experiments_experiment_id_seq'::regclass);
ALTER TABLE ONLY alembic_version ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY datasets ADD CONSTRAINT dataset_pk PRIMARY KEY (experiment_id, name, digest);
ALTER TABLE ONLY experiments ADD CONSTRAINT experiment_pk PRIMARY KEY (experiment_id);
ALTER TABLE ONLY experiment_tags ADD CONSTRAINT experiment_tag_pk PRIMARY KEY (key, experiment_id);
ALTER TABLE ONLY experiments ADD CONSTRAINT experiments_name_key UNIQUE (name);
ALTER TABLE ONLY input_tags ADD CONSTRAINT input_tags_pk PRIMARY KEY (input_uuid, name);
ALTER TABLE ONLY inputs ADD CONSTRAINT inputs_pk
  PRIMARY KEY (source_type, source_id, destination_type, destination_id);
ALTER TABLE ONLY latest_metrics ADD CONSTRAINT latest_metric_pk PRIMARY KEY (key, run_uuid);
ALTER TABLE ONLY metrics ADD CONSTRAINT metric_pk
  PRIMARY KEY (key, "timestamp", step, run_uuid, value, is_nan);
ALTER TABLE ONLY model_versions ADD CONSTRAINT model_version_pk PRIMARY KEY (name, version);
ALTER TABLE ONLY model_version_tags ADD CONSTRAINT model_version_tag_pk PRIMARY KEY (key, name, version);
ALTER TABLE ONLY params ADD CONSTRAINT param_pk PRIMARY KEY (key, run_uuid);
ALTER TABLE ONLY registered_model_aliases ADD CONSTRAINT registered_model_alias_pk PRIMARY KEY (name, alias);
ALTER TABLE ONLY registered_models ADD CONSTRAINT registered_model_pk PRIMARY KEY (name);
ALTER TABLE ONLY registered_model_tags ADD CONSTRAINT registered_model_tag_pk PRIMARY KEY (key, name);
ALTER TABLE ONLY runs ADD CONSTRAINT run_pk PRIMARY KEY (run_uuid);
ALTER TABLE ONLY tags ADD CONSTRAINT tag_pk PRIMARY KEY (key, run_uuid);
ALTER TABLE ONLY trace_info ADD CONSTRAINT trace_info_pk PRIMARY KEY (request_id);
ALTER TABLE ONLY trace_request_metadata ADD CONSTRAINT trace_request_metadata_pk
  PRIMARY KEY (key, request_id);
ALTER TABLE ONLY trace_tags ADD CONSTRAINT trace_tag_pk PRIMARY KEY (key, request_id);
CREATE INDEX index_datasets_dataset_uuid ON datasets USING btree (dataset_uuid);
CREATE INDEX index_datasets_experiment_id_dataset_source_type
  ON datasets USING btree (experiment_id, dataset_source_type);
CREATE INDEX index_inputs_destination_type_destination_id_source_type
  ON inputs USING btree (destination_type, destination_id, source_type);
CREATE INDEX index_inputs_input_uuid ON inputs USING btree (input_uuid);
CREATE INDEX index_latest_metrics_run_uuid ON latest_metrics USING btree (run_uuid);
CREATE INDEX index_metrics_run_uuid ON metrics USING btree (run_uuid);
CREATE INDEX index_params_run_uuid ON params USING btree (run_uuid);
CREATE INDEX index_tags_run_uuid ON tags USING btree (run_uuid);
CREATE INDEX index_trace_info_experiment_id_timestamp_ms
  ON trace_info USING btree (experiment_id, timestamp_ms);
CREATE INDEX index_trace_request_metadata_request_id ON trace_request_metadata USING btree (request_id);
CREATE INDEX index_trace_tags_request_id ON trace_tags USING btree (request_id);
ALTER TABLE ONLY datasets ADD CONSTRAINT datasets_experiment_id_fkey
  FOREIGN KEY (experiment_id) REFERENCES experiments(experiment_id);
ALTER TABLE ONLY experiment_tags ADD CONSTRAINT experiment_tags_experiment_id_fkey
  FOREIGN KEY (experiment_id) REFERENCES experiments(experiment_id);
ALTER TABLE ONLY trace_info ADD CONSTRAINT fk_trace_info_experiment_id
  FOREIGN KEY (experiment_id) REFERENCES experiments(experiment_id);
ALTER TABLE ONLY trace_request_metadata ADD CONSTRAINT fk_trace_request_metadata_request_id
  FOREIGN KEY (request_id) REFERENCES trace_info(request_id) ON DELETE CASCADE;
ALTER TABLE ONLY trace_tags ADD CONSTRAINT fk_trace_tags_request_id
  FOREIGN KEY (request_id) REFERENCES trace_info(request_id) ON DELETE CASCADE;
ALTER TABLE ONLY latest_metrics ADD CONSTRAINT latest_metrics_run_uuid_fkey
  FOREIGN KEY (run_uuid) REFERENCES runs(run_uuid);
ALTER TABLE ONLY metrics ADD CONSTRAINT metrics_run_uuid_fkey
  FOREIGN KEY (run_uuid) REFERENCES runs(run_uuid);
ALTER TABLE ONLY model_version_tags ADD CONSTRAINT model_version_tags_name_version_fkey
  FOREIGN KEY (name, version) REFERENCES model_versions(name, version) ON UPDATE CASCADE;
ALTER TABLE ONLY model_versions ADD CONSTRAINT model_versions_name_fkey
  FOREIGN KEY (name) REFERENCES registered_models(name) ON UPDATE CASCADE;
ALTER TABLE ONLY params ADD CONSTRAINT params_run_uuid_fkey FOREIGN KEY (run_uuid) REFERENCES runs(run_uuid);
ALTER TABLE ONLY registered_model_aliases ADD CONSTRAINT registered_model_alias_name_fkey
  FOREIGN KEY (name) REFERENCES registered_models(name) ON UPDATE CASCADE ON DELETE CASCADE;
ALTER TABLE ONLY registered_model_tags ADD CONSTRAINT registered_model_tags_name_fkey
  FOREIGN KEY (name) REFERENCES registered_models(name) ON UPDATE CASCADE;
ALTER TABLE ONLY runs ADD CONSTRAINT runs_experiment_id_fkey
  FOREIGN KEY (experiment_id) REFERENCES experiments(experiment_id);
ALTER TABLE ONLY tags ADD CONSTRAINT tags_run_uuid_fkey FOREIGN KEY (run_uuid) REFERENCES runs(run_uuid);
`;
