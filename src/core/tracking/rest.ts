/**
 * The MLflow tracking server backend: MLflow's REST API 2.0 (checked against the exchanges recorded from MLflow
 * 2.17.3.dev0's server, test/fixtures/mlflow-2.17/rest/). Auth: MLFLOW_TRACKING_TOKEN as a bearer token, or
 * username/password as HTTP basic auth (as MLflow's own client sends them). 429 and 5xx answers and network
 * errors are retried with exponential backoff (Retry-After honoured); MLflow's error codes become TrackingErrors
 * with the server's message.
 *
 * Differences from the PostgreSQL backend, because the API allows no more: runs/create picks the run id, so a
 * synced run is found again by its tag mlsight.run_id; an alias move checks the alias before setting it, which
 * narrows but cannot close the race two simultaneous promotions have (use a postgresql:// URI for a locked one).
 */
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
  TeamExperiment,
  TeamMetric,
  TeamModel,
  TeamModelVersion,
  TeamRun,
  TrackingBackend,
  TrackingError,
  TrackingErrorCode,
  pageSizeOf,
} from './types';
import { parseTrackingUri } from './uri';
import { checkAliasMove } from './writeRules';
import { TAG_MLSIGHT_RUN_ID } from './workspaceSync';

export type RestAuth = { token: string } | { username: string; password: string };

export interface RestOptions {
  auth?: RestAuth;
  /** attempts per request on 429/5xx/network errors (default 5) */
  attempts?: number;
  /** first backoff in ms (doubles each retry, ±25 % jitter; default 250) */
  backoffMs?: number;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

const CODE_MAP: Record<string, TrackingErrorCode> = {
  RESOURCE_DOES_NOT_EXIST: 'NOT_FOUND',
  NOT_FOUND: 'NOT_FOUND',
  INVALID_PARAMETER_VALUE: 'INVALID',
  BAD_REQUEST: 'INVALID',
  RESOURCE_ALREADY_EXISTS: 'ALREADY_EXISTS',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  UNAUTHENTICATED: 'UNAUTHORIZED',
  INVALID_STATE: 'CONFLICT',
  RESOURCE_CONFLICT: 'CONFLICT',
  TEMPORARILY_UNAVAILABLE: 'UNAVAILABLE',
  REQUEST_LIMIT_EXCEEDED: 'UNAVAILABLE',
};

type J = Record<string, unknown>;

/** A REST metric value: numbers, or "NaN" / "Infinity" / "-Infinity". */
export function restValue(v: unknown): number {
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
  return Number(v);
}
export function toRestValue(v: number): number | string {
  return Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v;
}

const n = (v: unknown): number | null => (v === undefined || v === null || v === '' ? null : Number(v));
const kv = (l: unknown): Record<string, string> =>
  Object.fromEntries(((l as { key: string; value?: string }[] | undefined) ?? []).map(t => [t.key, t.value ?? '']));
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

export class RestBackend implements TrackingBackend {
  readonly kind = 'rest' as const;
  readonly displayUri: string;
  private readonly base: string;
  private readonly f: typeof fetch;

  constructor(
    uri: string,
    private readonly o: RestOptions = {},
  ) {
    const p = parseTrackingUri(uri);
    if (p.kind !== 'rest') {
      throw new TrackingError('INVALID', `${p.display} is not an http(s):// tracking server URI`);
    }
    this.displayUri = p.display;
    this.base = p.baseUrl;
    this.f = o.fetch ?? fetch;
  }

  /** One API call with retries; `query` for GET, `body` for POST. */
  async call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', endpoint: string, payload?: J): Promise<J> {
    let url = `${this.base}/api/2.0/mlflow/${endpoint}`;
    if (method === 'GET' && payload) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(payload)) {
        if (v !== undefined && v !== null) {
          qs.append(k, String(v));
        }
      }
      url += `?${qs}`;
    }
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'mlsight' };
    if (method !== 'GET') {
      headers['content-type'] = 'application/json';
    }
    const a = this.o.auth;
    if (a && 'token' in a) {
      headers.authorization = `Bearer ${a.token}`;
    } else if (a) {
      headers.authorization = `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
    }
    const attempts = this.o.attempts ?? 5;
    let last: Error | undefined;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) {
        await sleep(this.delay(i, last));
      }
      let res: Response;
      try {
        res = await this.f(url, {
          method,
          headers,
          body: method === 'GET' ? undefined : JSON.stringify(payload ?? {}),
          signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
        });
      } catch (e) {
        last = new TrackingError(
          'UNAVAILABLE',
          `${this.displayUri}: cannot reach the tracking server (${(e as Error).message})`,
        );
        continue;
      }
      const text = await res.text();
      let json: J = {};
      try {
        json = text ? (JSON.parse(text) as J) : {};
      } catch {
        /* not JSON: the status decides */
      }
      if (res.ok) {
        return json;
      }
      const err = this.error(res.status, json, text, endpoint);
      if (res.status === 429 || res.status >= 500) {
        last = Object.assign(err, { retryAfter: Number(res.headers.get('retry-after')) });
        continue;
      }
      throw err;
    }
    throw last ?? new TrackingError('UNAVAILABLE', `${this.displayUri}: no answer`);
  }

  private delay(attempt: number, last: Error | undefined): number {
    const ra = (last as { retryAfter?: number } | undefined)?.retryAfter;
    if (ra && Number.isFinite(ra) && ra > 0) {
      return Math.min(ra * 1000, 30_000);
    }
    const base = (this.o.backoffMs ?? 250) * 2 ** (attempt - 1);
    return Math.min(base * (0.75 + Math.random() * 0.5), 30_000);
  }

  private error(status: number, json: J, text: string, endpoint: string): TrackingError {
    const ec = typeof json.error_code === 'string' ? json.error_code : undefined;
    const msg = typeof json.message === 'string' ? json.message : text.slice(0, 300) || `HTTP ${status}`;
    const code: TrackingErrorCode =
      (ec && CODE_MAP[ec]) ||
      (status === 401
        ? 'UNAUTHORIZED'
        : status === 403
          ? 'PERMISSION_DENIED'
          : status === 404
            ? 'NOT_FOUND'
            : status === 429 || status >= 500
              ? 'UNAVAILABLE'
              : 'INVALID');
    const hint =
      code === 'UNAUTHORIZED'
        ? ' (set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME/PASSWORD, or the password in VS Code)'
        : '';
    return new TrackingError(
      code,
      `MLflow server ${this.displayUri} (${endpoint}): ${ec ?? `HTTP ${status}`}: ${msg}${hint}`,
    );
  }

  async schema(): Promise<SchemaStatus> {
    return { revision: null, mlflowVersions: 'tracking server', writable: true, readOnlyReason: null };
  }

  async listExperiments(): Promise<TeamExperiment[]> {
    const out: TeamExperiment[] = [];
    let token: string | undefined;
    do {
      const r = await this.call('POST', 'experiments/search', { max_results: 1000, page_token: token });
      for (const e of (r.experiments as J[] | undefined) ?? []) {
        if (e.lifecycle_stage === 'deleted') {
          continue;
        }
        out.push({
          id: String(e.experiment_id),
          name: String(e.name),
          artifactLocation: (e.artifact_location as string | undefined) ?? null,
          lifecycleStage: 'active',
          createdAt: n(e.creation_time),
          tags: kv(e.tags),
        });
      }
      token = (r.next_page_token as string | undefined) || undefined;
    } while (token);
    return out.sort((a, b) => Number(a.id) - Number(b.id) || a.id.localeCompare(b.id));
  }

  async searchRuns(o: SearchRunsOptions = {}): Promise<RunPage> {
    const size = pageSizeOf(o.pageSize);
    const ids = o.experimentIds ?? (await this.listExperiments()).map(e => e.id);
    if (!ids.length) {
      return { runs: [], nextPageToken: null };
    }
    const r = await this.call('POST', 'runs/search', {
      experiment_ids: ids,
      max_results: size,
      order_by: ['attributes.start_time DESC'],
      run_view_type: o.includeDeleted ? 'ALL' : 'ACTIVE_ONLY',
      ...(o.pageToken ? { page_token: o.pageToken } : {}),
    });
    return {
      runs: ((r.runs as J[] | undefined) ?? []).map(x => toRun(x)),
      nextPageToken: (r.next_page_token as string | undefined) || null,
    };
  }

  async getRun(runUuid: string): Promise<TeamRun | undefined> {
    try {
      return toRun((await this.call('GET', 'runs/get', { run_id: runUuid })).run as J);
    } catch (e) {
      if (e instanceof TrackingError && e.code === 'NOT_FOUND') {
        return undefined;
      }
      throw e;
    }
  }

  async metricHistory(runUuid: string, key: string): Promise<TeamMetric[]> {
    const out: TeamMetric[] = [];
    let token: string | undefined;
    do {
      const r = await this.call('GET', 'metrics/get-history', {
        run_id: runUuid,
        metric_key: key,
        max_results: 25000,
        page_token: token,
      });
      for (const m of (r.metrics as J[] | undefined) ?? []) {
        out.push({ value: restValue(m.value), step: Number(m.step ?? 0), timestamp: n(m.timestamp) });
      }
      token = (r.next_page_token as string | undefined) || undefined;
    } while (token);
    return out.sort((a, b) => a.step - b.step || (a.timestamp ?? 0) - (b.timestamp ?? 0) || a.value - b.value);
  }

  private async experimentId(name: string): Promise<string> {
    try {
      const r = await this.call('GET', 'experiments/get-by-name', { experiment_name: name });
      const e = r.experiment as J;
      if (e.lifecycle_stage === 'deleted') {
        throw new TrackingError('INVALID', `experiment ${JSON.stringify(name)} is deleted on ${this.displayUri}`);
      }
      return String(e.experiment_id);
    } catch (e) {
      if (!(e instanceof TrackingError) || e.code !== 'NOT_FOUND') {
        throw e;
      }
      try {
        return String((await this.call('POST', 'experiments/create', { name })).experiment_id);
      } catch (e2) {
        if (e2 instanceof TrackingError && e2.code === 'ALREADY_EXISTS') {
          return this.experimentId(name);
        }
        throw e2;
      }
    }
  }

  async syncRun(run: SyncRun): Promise<SyncResult> {
    const expId = await this.experimentId(run.experimentName);
    const found = await this.call('POST', 'runs/search', {
      experiment_ids: [expId],
      max_results: 1,
      run_view_type: 'ALL',
      filter: `tags.\`${TAG_MLSIGHT_RUN_ID}\` = '${run.runUuid}'`,
    });
    const existing = ((found.runs as J[] | undefined) ?? [])[0];
    let runId: string;
    const have = new Map<string, Set<string>>();
    if (existing) {
      runId = String((existing.info as J).run_id ?? (existing.info as J).run_uuid);
      for (const key of run.metrics.keys()) {
        have.set(key, new Set((await this.metricHistory(runId, key)).map(p => `${p.step}|${p.timestamp}|${p.value}`)));
      }
    } else {
      const c = await this.call('POST', 'runs/create', {
        experiment_id: expId,
        run_name: run.name ?? undefined,
        start_time: run.startTime ?? Date.now(),
        user_id: run.userId ?? undefined,
        tags: [{ key: TAG_MLSIGHT_RUN_ID, value: run.runUuid }],
      });
      runId = String(((c.run as J).info as J).run_id);
    }
    const metrics: J[] = [];
    for (const [key, pts] of run.metrics) {
      const seen = have.get(key);
      for (const p of pts) {
        if (seen?.has(`${p.step}|${p.timestamp}|${p.value}`)) {
          continue;
        }
        metrics.push({ key, value: toRestValue(p.value), timestamp: p.timestamp ?? 0, step: p.step });
      }
    }
    // MLflow's log-batch limits: 1000 entities per request, of which at most 100 params and 100 tags.
    const params = run.params.map(([key, value]) => ({ key, value }));
    const tags = run.tags.map(([key, value]) => ({ key, value }));
    while (params.length || tags.length || metrics.length) {
      const p = params.splice(0, 100),
        t = tags.splice(0, 100);
      const m = metrics.splice(0, 1000 - p.length - t.length);
      await this.call('POST', 'runs/log-batch', { run_id: runId, params: p, tags: t, metrics: m });
      if (!m.length && !params.length && !tags.length) {
        break;
      }
    }
    const written = [...run.metrics.values()].reduce((a, l) => a + l.length, 0);
    if (run.datasets.length) {
      await this.call('POST', 'runs/log-inputs', {
        run_id: runId,
        datasets: run.datasets.map(d => ({
          tags: d.context ? [{ key: 'mlflow.data.context', value: d.context }] : [],
          dataset: {
            name: d.name,
            digest: d.digest,
            source_type: d.sourceType,
            source: d.source,
            schema: d.schema ?? undefined,
            profile: d.profile ?? undefined,
          },
        })),
      });
    }
    await this.call('POST', 'runs/update', {
      run_id: runId,
      status: run.status,
      end_time: run.endTime ?? undefined,
      run_name: run.name ?? undefined,
    });
    return {
      runUuid: runId,
      created: !existing,
      metricsWritten: existing ? written - [...have.values()].reduce((a, s) => a + s.size, 0) : written,
      experimentId: expId,
    };
  }

  async listModels(): Promise<TeamModel[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.call('GET', 'registered-models/search', { max_results: 1000, page_token: token });
      for (const m of (r.registered_models as J[] | undefined) ?? []) {
        names.push(String(m.name));
      }
      token = (r.next_page_token as string | undefined) || undefined;
    } while (token);
    const out: TeamModel[] = [];
    for (const name of names.sort()) {
      const m = await this.getModel(name);
      if (m) {
        out.push(m);
      }
    }
    return out;
  }

  async getModel(name: string): Promise<TeamModel | undefined> {
    let rm: J;
    try {
      rm = (await this.call('GET', 'registered-models/get', { name })).registered_model as J;
    } catch (e) {
      if (e instanceof TrackingError && e.code === 'NOT_FOUND') {
        return undefined;
      }
      throw e;
    }
    const mv = await this.call('GET', 'model-versions/search', { filter: `name='${name.replace(/'/g, "\\'")}'` });
    const aliases = Object.fromEntries(
      ((rm.aliases as J[] | undefined) ?? []).map(a => [String(a.alias), Number(a.version)]),
    );
    const versions: TeamModelVersion[] = ((mv.model_versions as J[] | undefined) ?? [])
      .map(v => {
        const ver = Number(v.version);
        return {
          version: ver,
          runId: (v.run_id as string | undefined) ?? null,
          source: (v.source as string | undefined) ?? null,
          stage: String(v.current_stage ?? 'None'),
          status: String(v.status ?? 'READY'),
          description: (v.description as string | undefined) || null,
          createdAt: n(v.creation_timestamp),
          tags: kv(v.tags),
          aliases: Object.entries(aliases)
            .filter(([, x]) => x === ver)
            .map(([a]) => a)
            .sort(),
        };
      })
      .sort((a, b) => a.version - b.version);
    return {
      name: String(rm.name),
      description: (rm.description as string | undefined) || null,
      createdAt: n(rm.creation_timestamp),
      updatedAt: n(rm.last_updated_timestamp),
      tags: kv(rm.tags),
      versions,
      aliases,
    };
  }

  async promote(req: PromoteRequest): Promise<PromoteResult> {
    return (await this.moveAlias(req)) as PromoteResult;
  }

  /** Reads the alias, then writes (set-tag, then the alias): a check before the write, not a lock (see above). */
  async moveAlias(req: AliasMoveRequest): Promise<AliasMoveResult> {
    let from: number | null = null;
    try {
      from = Number(
        ((await this.call('GET', 'registered-models/alias', { name: req.model, alias: req.alias })).model_version as J)
          .version,
      );
    } catch (e) {
      if (!(e instanceof TrackingError) || e.code !== 'NOT_FOUND') {
        throw e;
      }
      if (!(await this.getModel(req.model))) {
        throw e;
      }
    }
    const tagged = checkAliasMove(req, from);
    for (const [key, value] of req.versionTags) {
      await this.call('POST', 'model-versions/set-tag', { name: req.model, version: String(tagged), key, value });
    }
    if (req.version === null) {
      await this.call('DELETE', 'registered-models/alias', { name: req.model, alias: req.alias });
    } else {
      await this.call('POST', 'registered-models/alias', {
        name: req.model,
        alias: req.alias,
        version: String(req.version),
      });
    }
    return { model: req.model, alias: req.alias, from, to: req.version };
  }

  async close(): Promise<void> {
    /* stateless */
  }
}

function toRun(x: J): TeamRun {
  const info = (x.info as J) ?? {};
  const data = (x.data as J) ?? {};
  const tags = kv(data.tags);
  const inputs = ((x.inputs as J | undefined)?.dataset_inputs as J[] | undefined) ?? [];
  return {
    runUuid: String(info.run_id ?? info.run_uuid),
    experimentId: String(info.experiment_id),
    name: (info.run_name as string | undefined) || tags['mlflow.runName'] || null,
    status: String(info.status ?? 'FINISHED'),
    startTime: n(info.start_time),
    endTime: n(info.end_time),
    userId: (info.user_id as string | undefined) ?? null,
    artifactUri: (info.artifact_uri as string | undefined) ?? null,
    lifecycleStage: info.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    params: kv(data.params),
    tags,
    metrics: Object.fromEntries(
      ((data.metrics as J[] | undefined) ?? []).map(m => [
        String(m.key),
        {
          value: restValue(m.value),
          step: Number(m.step ?? 0),
          timestamp: n(m.timestamp),
        },
      ]),
    ),
    datasets: inputs.map(i => {
      const d = (i.dataset as J) ?? {};
      return {
        name: String(d.name),
        digest: String(d.digest ?? ''),
        sourceType: String(d.source_type ?? ''),
        source: String(d.source ?? ''),
        schema: (d.schema as string | undefined) ?? null,
        profile: (d.profile as string | undefined) ?? null,
        context: kv(i.tags)['mlflow.data.context'] ?? null,
      };
    }),
  };
}
