/**
 * Team mode: MLflow's tracking backends behind one interface. A backend is a PostgreSQL database holding MLflow's
 * schema (postgres.ts, read and written with SQL the way MLflow's SQLAlchemy store does), an MLflow SQLite file
 * (sqlite.ts, the same schema through sql.js) or an MLflow tracking server (rest.ts, its REST API 2.0). The workspace store stays the default, local backend; these add the team's
 * experiments, runs and registered models next to it.
 *
 * Values as MLflow keeps them: times in ms since the epoch, metric NaN as value 0 + is_nan (REST: "NaN"),
 * ±inf as ±1.7976931348623157e308 (REST: "Infinity"/"-Infinity").
 */

export interface TeamExperiment {
  id: string;
  name: string;
  artifactLocation: string | null;
  lifecycleStage: 'active' | 'deleted';
  createdAt: number | null;
  tags: Record<string, string>;
}

export interface TeamMetric {
  value: number;
  step: number;
  timestamp: number | null;
}

export interface TeamDataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema: string | null;
  profile: string | null;
  /** the input tag mlflow.data.context (training, eval…) */
  context: string | null;
}

export interface TeamRun {
  runUuid: string;
  experimentId: string;
  name: string | null;
  status: string;
  startTime: number | null;
  endTime: number | null;
  userId: string | null;
  artifactUri: string | null;
  lifecycleStage: 'active' | 'deleted';
  params: Record<string, string>;
  tags: Record<string, string>;
  /** latest value per key (MLflow's latest_metrics) */
  metrics: Record<string, TeamMetric>;
  datasets: TeamDataset[];
}

export interface RunPage {
  runs: TeamRun[];
  nextPageToken: string | null;
}

export interface SearchRunsOptions {
  experimentIds?: readonly string[];
  /** runs per page (1…1000; default 100) */
  pageSize?: number;
  /** from the previous page; null/undefined = the first page */
  pageToken?: string | null;
  /** include runs whose lifecycle_stage is deleted */
  includeDeleted?: boolean;
}

/** A run to write into the team backend as MLflow would have logged it. */
export interface SyncRun {
  /** 32 lowercase hex digits: MLflow's run_uuid (ML Sight's run ids already are) */
  runUuid: string;
  experimentName: string;
  name: string | null;
  status: 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
  startTime: number | null;
  endTime: number | null;
  userId: string | null;
  params: [string, string][];
  tags: [string, string][];
  /** full history per key, any order */
  metrics: Map<string, TeamMetric[]>;
  datasets: TeamDataset[];
}

export interface SyncResult {
  runUuid: string;
  created: boolean;
  metricsWritten: number;
  experimentId: string;
}

export interface TeamModelVersion {
  version: number;
  runId: string | null;
  source: string | null;
  stage: string;
  status: string;
  description: string | null;
  createdAt: number | null;
  tags: Record<string, string>;
  aliases: string[];
}

export interface TeamModel {
  name: string;
  description: string | null;
  createdAt: number | null;
  updatedAt: number | null;
  tags: Record<string, string>;
  versions: TeamModelVersion[];
  aliases: Record<string, number>;
}

export interface PromoteRequest {
  model: string;
  version: number;
  alias: string;
  /**
   * The version the alias pointed to when the caller decided (its gate compared against it); null = no version.
   * The promotion fails with a CONFLICT when the alias moved meanwhile, so nobody overwrites a decision unseen.
   */
  expectedVersion: number | null;
  /** written as model-version tags on the promoted version (gate evidence, audit event) */
  versionTags: [string, string][];
}

export interface PromoteResult {
  model: string;
  alias: string;
  from: number | null;
  to: number;
}

/**
 * Any move of an alias (set, move, remove, undo): PromoteRequest with `version: null` to remove it. The version tags
 * go on the version the alias points to afterwards, or, for a removal, on the version it pointed to.
 */
export interface AliasMoveRequest extends Omit<PromoteRequest, 'version'> {
  version: number | null;
}

export interface AliasMoveResult {
  model: string;
  alias: string;
  from: number | null;
  to: number | null;
}

export interface SchemaStatus {
  /** alembic_version.version_num, null when the table is missing or empty */
  revision: string | null;
  /** the MLflow versions this revision is known as, when known */
  mlflowVersions: string | null;
  writable: boolean;
  /** why not writable (shown to the user); null when writable */
  readOnlyReason: string | null;
}

export type TrackingErrorCode =
  | 'CONFLICT'
  | 'READ_ONLY'
  | 'NOT_FOUND'
  | 'INVALID'
  | 'UNAUTHORIZED'
  | 'PERMISSION_DENIED'
  | 'UNAVAILABLE'
  | 'NOT_MLFLOW'
  | 'ALREADY_EXISTS'
  | 'INTERNAL';

/** An error a user can act on: code + a message that says what happened and what to do. */
export class TrackingError extends Error {
  constructor(
    readonly code: TrackingErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface TrackingBackend {
  readonly kind: 'postgresql' | 'rest' | 'sqlite';
  /** the URI without its password */
  readonly displayUri: string;
  schema(): Promise<SchemaStatus>;
  listExperiments(): Promise<TeamExperiment[]>;
  searchRuns(options?: SearchRunsOptions): Promise<RunPage>;
  getRun(runUuid: string): Promise<TeamRun | undefined>;
  /** every point of one metric, sorted by step, then timestamp */
  metricHistory(runUuid: string, key: string): Promise<TeamMetric[]>;
  /** writes (or completes) one run; idempotent by runUuid */
  syncRun(run: SyncRun): Promise<SyncResult>;
  listModels(): Promise<TeamModel[]>;
  getModel(name: string): Promise<TeamModel | undefined>;
  /** moves an alias, checking expectedVersion under a lock (see PromoteRequest) */
  promote(request: PromoteRequest): Promise<PromoteResult>;
  /**
   * Sets, moves or removes an alias the same way: CONFLICT unless it still points to expectedVersion; the alias row
   * and the version tags in one transaction under the row lock on registered_models (PostgreSQL), under the lock
   * file on a fresh copy (SQLite); REST checks first and then writes, which cannot be race-free.
   */
  moveAlias(request: AliasMoveRequest): Promise<AliasMoveResult>;
  close(): Promise<void>;
}

/** How MLflow's SQL store writes ±inf. */
export const SQL_INF = 1.7976931348623157e308;

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export function pageSizeOf(n: number | undefined): number {
  if (n === undefined) {
    return DEFAULT_PAGE_SIZE;
  }
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw new TrackingError('INVALID', `page size must be an integer from 1 to ${MAX_PAGE_SIZE}, not ${n}`);
  }
  return n;
}

export const RUN_UUID = /^[0-9a-f]{32}$/;
