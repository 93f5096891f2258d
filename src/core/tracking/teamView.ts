/**
 * Team runs and models in the shapes the run page, the comparison and the registry already render: a TeamRun is a
 * RunDetail (core/queries.ts), its metric history a History (core/runs/history.ts), a team model a ModelDetail
 * (core/registry/views.ts). One run page, one comparison, one gate: they take a team run as they take a local one.
 *
 * Ids: a team run is `team:<run_uuid>` and its experiment `team:<experiment_id>` wherever it meets local runs (a run
 * shared from this workspace keeps its id in the team backend, so the bare id could be either copy).
 */
import type { RunDetail } from '../queries';
import type { History } from '../runs/history';
import type { ReproCheck, ReproReport } from '../runs/reproTypes';
import { lttbSparkline } from '../compare/series';
import { FEATURE_IMPORTANCE_PREFIX } from '../runs/format';
import { CompareSource, looksLikeBaseline } from '../compare/build';
import { flag } from '../ingest/common';
import { TAG_GIT_BRANCH, TAG_GIT_COMMIT, TAG_GIT_DIRTY, datasetRecord } from '../ingest/rows';
import type { ModelDetail, VersionDetail } from '../registry/views';
import { RUN_UUID, TeamExperiment, TeamModel, TeamRun, TrackingBackend } from './types';

export const TEAM_PREFIX = 'team:';

/** The id of a team run next to local ones. */
export function teamRunRef(runUuid: string): string {
  return TEAM_PREFIX + runUuid;
}

export function isTeamRef(id: string): boolean {
  return id.startsWith(TEAM_PREFIX);
}

/** The MLflow run_uuid of a team run id; undefined when the id is not one (validated: 32 lowercase hex digits). */
export function teamRunUuid(id: string): string | undefined {
  const u = isTeamRef(id) ? id.slice(TEAM_PREFIX.length) : undefined;
  return u && RUN_UUID.test(u) ? u : undefined;
}

/** A team run as the run page and the comparison show a run. */
export function teamRunDetail(r: TeamRun): RunDetail {
  const dirty = flag(r.tags[TAG_GIT_DIRTY]);
  const latest: RunDetail['latestMetrics'] = {};
  for (const k of Object.keys(r.metrics).sort()) {
    latest[k] = { step: r.metrics[k].step, value: r.metrics[k].value };
  }
  return {
    id: teamRunRef(r.runUuid),
    experimentId: TEAM_PREFIX + r.experimentId,
    name: r.name,
    status: r.status,
    startTime: r.startTime,
    endTime: r.endTime,
    source: 'team',
    gitCommit: r.tags[TAG_GIT_COMMIT] ?? null,
    gitDirty: dirty === null ? null : dirty === 1,
    starred: false,
    note: null,
    trashedAt: null,
    description: r.tags['mlflow.note.content'] || null,
    gitBranch: r.tags[TAG_GIT_BRANCH] ?? null,
    sourcePath: null,
    params: { ...r.params },
    tags: { ...r.tags },
    latestMetrics: latest,
    artifacts: [],
    datasets: r.datasets
      .map(d => {
        const rec = datasetRecord(
          { name: d.name, digest: d.digest, source: d.source, schema: d.schema, profile: d.profile },
          d.context || 'input',
        );
        return { name: d.name, role: rec?.role ?? d.context ?? 'input', digest: d.digest, rows: rec?.rows ?? null };
      })
      .sort((a, b) => a.role.localeCompare(b.role) || a.name.localeCompare(b.name)),
  };
}

/** Keys the charts draw (feature importances are bars, not curves). */
export function chartedKeys(r: TeamRun): string[] {
  return Object.keys(r.metrics)
    .filter(k => !k.startsWith(FEATURE_IMPORTANCE_PREFIX))
    .sort();
}

/** Every point of each charted metric of a run, from the backend (MLflow's get-history). */
export async function teamHistories(b: TrackingBackend, r: TeamRun): Promise<Map<string, History>> {
  const out = new Map<string, History>();
  for (const key of chartedKeys(r)) {
    const points = (await b.metricHistory(r.runUuid, key)).map(p => ({
      step: p.step,
      timestamp: p.timestamp,
      value: p.value,
    }));
    out.set(key, { points, complete: true, total: points.length });
  }
  return out;
}

/**
 * What the reproducibility check can say about a team run from what it logged (seed, commit, clean tree,
 * hashed datasets); the package and data-file checks need the workspace the run came from.
 */
export function teamRepro(r: TeamRun): ReproReport {
  const params = Object.keys(r.params).map(k => k.toLowerCase());
  const seed =
    r.tags['mlsight.seed'] ?? (params.some(k => /(^|[._])(seed|random_state)$/.test(k)) ? 'param' : undefined);
  const commit = r.tags[TAG_GIT_COMMIT];
  const dirty = flag(r.tags[TAG_GIT_DIRTY]);
  const hashed = r.datasets.filter(d => d.digest);
  const checks: ReproCheck[] = [
    {
      id: 'seed',
      ok: seed !== undefined,
      detail:
        seed !== undefined ? `seed recorded${seed === 'param' ? ' as a parameter' : `: ${seed}`}` : 'no seed recorded',
    },
    {
      id: 'commit',
      ok: !!commit,
      detail: commit ? `git commit ${commit.slice(0, 12)}` : 'no git commit recorded',
    },
    {
      id: 'clean-tree',
      ok: dirty === 0,
      detail:
        dirty === 1
          ? 'uncommitted changes when the run started'
          : dirty === 0
            ? 'working tree was clean'
            : 'working tree state unknown',
    },
    {
      id: 'datasets',
      ok: r.datasets.length > 0 && hashed.length === r.datasets.length,
      detail: r.datasets.length
        ? `${hashed.length} of ${r.datasets.length} datasets hashed`
        : 'no dataset logged (mlflow.log_input / run.log_dataset)',
    },
  ];
  return { runId: teamRunRef(r.runUuid), passed: checks.filter(c => c.ok).length, total: checks.length, checks };
}

/** What the run page shows of a team run (no artifacts or git actions: those live with the run's workspace). */
export interface TeamRunPage {
  run: RunDetail;
  experiment: string;
  sparklines: Record<string, { steps: number[]; values: number[]; total: number }>;
  repro: ReproReport;
}

export async function loadTeamRunPage(b: TrackingBackend, id: string): Promise<TeamRunPage | undefined> {
  const uuid = teamRunUuid(id);
  const r = uuid ? await b.getRun(uuid) : undefined;
  if (!r) {
    return undefined;
  }
  const exp = (await b.listExperiments()).find(e => e.id === r.experimentId);
  const sparklines: TeamRunPage['sparklines'] = {};
  for (const [key, h] of await teamHistories(b, r)) {
    sparklines[key] = lttbSparkline(h.points, h.total);
  }
  const experiment = `${exp?.name ?? r.experimentId} · team`;
  return { run: teamRunDetail(r), experiment, sparklines, repro: teamRepro(r) };
}

/**
 * The team runs among `ids` as a compare source: each run, its experiment and every point of its charted metrics,
 * read once from the backend (the comparison is then built without waiting on the network).
 */
export async function loadTeamCompareSource(b: TrackingBackend, ids: readonly string[]): Promise<CompareSource> {
  const runs = new Map<string, TeamRun>();
  const histories = new Map<string, Map<string, History>>();
  for (const id of ids) {
    const uuid = teamRunUuid(id);
    const r = uuid && !runs.has(id) ? await b.getRun(uuid) : undefined;
    if (r) {
      runs.set(id, r);
      histories.set(id, await teamHistories(b, r));
    }
  }
  const experiments = new Map<string, TeamExperiment>(
    runs.size ? (await b.listExperiments()).map(e => [TEAM_PREFIX + e.id, e]) : [],
  );
  const details = new Map([...runs].map(([id, r]) => [id, teamRunDetail(r)]));
  return {
    run: id => details.get(id),
    experiment: (expId, compared) => {
      // marked, so that a shared run and its local original (same name, same experiment) are told apart
      const name = `${experiments.get(expId)?.name ?? expId.slice(TEAM_PREFIX.length)} · team`;
      // the team's baseline: a compared run of this experiment tagged or trained as one (the backend is not scanned)
      const b = compared.find(d => d.experimentId === expId && looksLikeBaseline(d));
      return { name, baselineRunId: b?.id ?? null, auto: !!b };
    },
    history: (runId, key) => histories.get(runId)?.get(key) ?? { points: [], complete: false, total: 0 },
  };
}

/**
 * A team model as the registry's read model: versions with their runs' status and latest metrics (what the gate
 * compares), aliases and tags. `runs`: the versions' runs, by run_uuid.
 */
export function teamModelDetail(
  m: TeamModel,
  runs: ReadonlyMap<string, TeamRun>,
  backend: string,
  experimentNames: ReadonlyMap<string, string> = new Map(),
): ModelDetail {
  const direction = m.tags['mlsight.direction'];
  const min = Number(m.tags['mlsight.min_improvement']);
  return {
    name: m.name,
    source: backend,
    backend: 'mlflow-team',
    mlflowSource: backend,
    description: m.description,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    tags: { ...m.tags },
    aliases: { ...m.aliases },
    settings: {
      primaryMetric: m.tags['mlsight.primary_metric'] || undefined,
      direction: direction === 'minimize' || direction === 'maximize' ? direction : undefined,
      minImprovement: Number.isFinite(min) && min > 0 ? min : undefined,
      relativeImprovement: m.tags['mlsight.relative_improvement'] === 'true' || undefined,
    },
    canary: null,
    versions: [...m.versions]
      .sort((a, b) => b.version - a.version)
      .map(v => {
        const r = v.runId ? runs.get(v.runId) : undefined;
        const d = r ? teamRunDetail(r) : undefined;
        const metrics = Object.fromEntries(Object.entries(r?.metrics ?? {}).map(([k, x]) => [k, x.value]));
        const out: VersionDetail = {
          model: m.name,
          version: v.version,
          stage: v.stage,
          status: v.status,
          aliases: [...v.aliases].sort(),
          description: v.description,
          createdAt: v.createdAt,
          createdBy: null,
          runId: v.runId,
          runName: r?.name ?? null,
          runExists: !!r,
          runStatus: r?.status ?? null,
          experiment: r ? `${experimentNames.get(r.experimentId) ?? r.experimentId} · team` : null,
          sourceUri: v.source,
          gitCommit: d?.gitCommit ?? null,
          gitBranch: d?.gitBranch ?? null,
          gitDirty: d?.gitDirty ?? null,
          datasets: (d?.datasets ?? []).map(x => ({ ...x, path: null })),
          metrics,
          metricsFrom: r ? 'run' : 'none',
          tags: { ...v.tags },
          artifact: null,
        };
        return out;
      }),
  };
}

/** teamModelDetail, reading the model and its versions' runs from the backend. */
export async function loadTeamModelDetail(b: TrackingBackend, name: string): Promise<ModelDetail | undefined> {
  const m = await b.getModel(name);
  if (!m) {
    return undefined;
  }
  const runs = new Map<string, TeamRun>();
  for (const v of m.versions) {
    if (v.runId && RUN_UUID.test(v.runId) && !runs.has(v.runId)) {
      const r = await b.getRun(v.runId);
      if (r) {
        runs.set(v.runId, r);
      }
    }
  }
  const names = runs.size ? new Map((await b.listExperiments()).map(e => [e.id, e.name])) : new Map<string, string>();
  return teamModelDetail(m, runs, b.displayUri, names);
}
