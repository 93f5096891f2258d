/**
 * The model registry's operations: register a version from a run's logged model, describe, tag, move aliases,
 * set stages, configure the promotion gate, promote (and undo a promotion) — for ML Sight's own models and, with
 * write-back, for MLflow FileStore models.
 *
 * Every change is first appended to `.mlsight/audit.jsonl` (who, when, from → to, reason, evidence), under an
 * inter-process lock that serialises registry decisions: inside it the state is read from the log itself (and,
 * for MLflow models, from their files), checks are made, the next version number is allocated, the event is
 * appended durably and MLflow's files are written. Only then is the store updated, by an idempotent mutation that
 * re-derives the model's rows from its events in log order (see auditLog.ts). So two windows registering or
 * promoting at once lose nothing and agree on the result, and a process killed at any point leaves the log as the
 * truth: `sync()` (run on every operation, and by the extension when the log changes) applies what a crashed or
 * other process appended but did not write to the store.
 */
import { execFile } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { Logger, silentLogger } from '../log';
import { getRun } from '../queries';
import { WorkspaceStore } from '../store/store';
import type { AbAnalysis } from './abAnalysis';
import {
  AuditEvent,
  AuditRead,
  appendAuditEvents,
  applyAuditEvents,
  knownEventIds,
  modelStateFromLog,
  newAuditEvent,
} from './auditLog';
import { GateResult, OfflineComparison, PromotionTarget, compareVersions, evaluateGate, targetLabel } from './gate';
import {
  FileStoreModel,
  FileStoreState,
  aliasNameProblem,
  deleteAlias as fsDeleteAlias,
  locateMlflowModel,
  readFileStoreModel,
  writeAlias as fsWriteAlias,
  writeStage as fsWriteStage,
} from './mlflowWriteback';
import { buildServingView, writeServingView } from './servingView';
import {
  ACTIVE_STAGES,
  CanaryConfig,
  ModelSettings,
  ModelState,
  STAGES,
  lastActivePromotion,
  protectedAliases,
} from './state';
import { effectiveRunStatus } from '../runs/liveness';
import type { AbExclusion } from './abAttribution';
import { predictionsLoader } from './offlineEvidence';
import { DatasetLineage, ModelDetail, VersionDetail, encodeMetric, getModelDetail } from './views';

export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** A promotion the gate refused (and no override was asked for). */
export class GateFailedError extends RegistryError {
  constructor(
    readonly gate: GateResult,
    readonly comparison: OfflineComparison,
  ) {
    super(`The promotion gate failed: ${gate.failures.join(' ')}`);
    this.name = 'GateFailedError';
  }
}

export function modelNameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.trim() === '') {
    return 'a model name cannot be empty';
  }
  if (name !== name.trim()) {
    return 'a model name cannot start or end with spaces';
  }
  if (name.length > 256) {
    return 'a model name has at most 256 characters';
  }
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    return 'a model name cannot contain control characters';
  }
  return undefined;
}

function keyProblem(key: string, what: string): string | undefined {
  if (!key || key.trim() === '') {
    return `a ${what} cannot be empty`;
  }
  if (key.length > 250) {
    return `a ${what} has at most 250 characters`;
  }
  if (/[\u0000-\u001f\u007f]/.test(key)) {
    return `a ${what} cannot contain control characters`;
  }
  return undefined;
}

/** Who is making a change: git's user.name for the folder (unless running programs is not allowed), else the OS user. */
export function resolveActor(folder: string, options: { allowGit?: boolean } = {}): Promise<string> {
  const osUser = () => {
    try {
      return os.userInfo().username || 'unknown';
    } catch {
      return process.env.USER || process.env.USERNAME || 'unknown';
    }
  };
  if (options.allowGit === false) {
    return Promise.resolve(osUser());
  }
  return new Promise(resolve => {
    try {
      execFile('git', ['config', 'user.name'], { cwd: folder, timeout: 3000, windowsHide: true }, (err, stdout) => {
        const name = !err && typeof stdout === 'string' ? stdout.trim() : '';
        resolve(name || osUser());
      });
    } catch {
      resolve(osUser());
    }
  });
}

export interface RegistryOptions {
  store: WorkspaceStore;
  /** fixed actor, or how to find it (default: resolveActor) */
  actor?: string | (() => Promise<string>);
  /** may `git config` be run to find the user (false in untrusted workspaces) */
  allowGit?: boolean;
  log?: Logger;
  now?: () => number;
}

type Backend =
  | { kind: 'mlsight' }
  | { kind: 'mlflow-filestore'; fs: FileStoreModel; sourceRel: string }
  | { kind: 'mlflow-sqlite'; sourceRel: string };

interface CommitContext {
  log: AuditRead;
  backend: Backend;
  /** the model according to the audit log (ML Sight models; for MLflow models only settings and promotions) */
  state: ModelState | undefined;
  /** an MLflow FileStore model's versions and aliases, read from its files */
  files: FileStoreState | undefined;
  settings: ModelSettings;
  actor: string;
  now: number;
}

export interface ModelArtifact {
  path: string;
  kind: string;
  size: number | null;
  sha256: string | null;
}

export interface RegisterInput {
  model: string;
  runId: string;
  /** the run's artifact to register (default: its only logged model) */
  artifactPath?: string;
  description?: string;
  /** version tags */
  tags?: Record<string, string>;
  /** aliases to point at the new version (e.g. challenger); protected ones need `reason` */
  aliases?: string[];
  reason?: string;
  /**
   * Identifies a registration request (the Python logger's `log_model(..., registered_name=...)` event carries
   * one): a request already honoured in the audit log returns its version instead of registering another.
   */
  registerId?: string;
}

/** A registration asked for by a run (`log_model(..., registered_name=...)`), from the run's tags. */
export interface RegistrationRequest {
  model: string;
  runId: string;
  artifactPath: string;
  registerId: string;
}

/** Tags the run ingester writes for a model event with `registered_name`. */
export const REGISTER_TAG_SUFFIX = '.registered_name';
export const REGISTER_ID_TAG_SUFFIX = '.register_id';

export interface PromoteInput {
  model: string;
  version: number;
  /** default: alias champion */
  target?: PromotionTarget;
  /** why (always required; with override, why the failed gate is overridden) */
  reason: string;
  /** the A/B analysis, and what it was computed from (recorded as evidence); `analysis` null when nothing was left */
  ab?: { analysis: AbAnalysis | null; source: Record<string, unknown>; excluded?: AbExclusion | null } | null;
  /** promote although the gate failed (the reason is recorded as an override) */
  override?: boolean;
}

export interface PromotionPreview {
  model: ModelDetail;
  challenger: VersionDetail;
  champion: VersionDetail | null;
  target: PromotionTarget;
  currentVersion: number | null;
  comparison: OfflineComparison;
  gate: GateResult;
}

export interface PromoteResult {
  event: AuditEvent;
  gate: GateResult;
  comparison: OfflineComparison;
  overridden: boolean;
}

function compactAb(ab: NonNullable<PromoteInput['ab']>): Record<string, unknown> {
  const a = ab.analysis;
  if (!a) {
    return { source: ab.source, excluded: ab.excluded ?? null, verdict: null };
  }
  return {
    source: ab.source,
    excluded: ab.excluded ?? null,
    verdict: a.verdict,
    reasons: a.reasons,
    options: a.options,
    srm: a.srm,
    metrics: a.metrics.map(m => ({
      name: m.name,
      role: m.role,
      direction: m.direction,
      test: m.test,
      arms: m.arms,
      statistic: m.statistic,
      df: m.df,
      pValue: m.pValue,
      difference: m.difference,
      ci: m.ci,
      lift: m.lift,
      sequential: m.sequential,
      outcome: m.outcome,
      power: m.power,
      mde: m.mde,
      requiredTotal: m.requiredTotal,
    })),
  };
}

export class Registry {
  readonly folder: string;
  private readonly store: WorkspaceStore;
  private readonly log: Logger;
  private readonly now: () => number;
  private actorName: Promise<string> | undefined;

  constructor(private readonly options: RegistryOptions) {
    this.store = options.store;
    this.folder = options.store.folder;
    this.log = options.log ?? silentLogger;
    this.now = options.now ?? Date.now;
  }

  actor(): Promise<string> {
    const a = this.options.actor;
    if (typeof a === 'string') {
      return Promise.resolve(a);
    }
    this.actorName ??= a ? a() : resolveActor(this.folder, { allowGit: this.options.allowGit });
    return this.actorName;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Reading

  model(name: string): ModelDetail | undefined {
    return this.store.read(db => getModelDetail(db, this.folder, name));
  }

  /** The model artifacts a run logged (ML Sight `log_model`, MLflow `log_model` folders with an MLmodel file). */
  runModels(runId: string): ModelArtifact[] {
    return this.store.read(db =>
      db.all<ModelArtifact>(
        `SELECT path, kind, size, sha256 FROM artifacts WHERE run_id = ? AND kind = 'model' ORDER BY path`,
        [runId],
      ),
    );
  }

  private backendOf(model: string): Backend {
    return this.store.read(db => {
      const src = db.scalar<string>('SELECT source FROM models WHERE name = ?', [model]);
      if (!src || src === 'mlsight') {
        return { kind: 'mlsight' } as const;
      }
      const loc = locateMlflowModel(db, this.folder, model);
      if (loc?.kind === 'filestore') {
        return { kind: 'mlflow-filestore', fs: loc.model, sourceRel: loc.sourceRel } as const;
      }
      return { kind: 'mlflow-sqlite', sourceRel: loc?.sourceRel ?? 'mlflow.db' } as const;
    });
  }

  /**
   * Applies to the store what the audit log holds and the store does not (appended by another process, or by one
   * killed before it wrote the store). Returns how many events were applied.
   */
  async sync(): Promise<number> {
    if (this.store.readOnly) {
      return 0;
    }
    await this.store.reloadIfChanged();
    const r = await appendAuditEvents(this.folder, async log => {
      const n = await this.catchUp(log);
      await this.writeServingViewNow();
      return { events: [], result: n };
    });
    return r.result;
  }

  /** Rewrites `.mlsight/registry.json` when it differs from the registry (call with the audit lock held). */
  private async writeServingViewNow(): Promise<void> {
    try {
      const view = this.store.read(db => buildServingView(db, this.folder));
      if (await writeServingView(view, this.folder)) {
        this.log.info(`Registry: wrote .mlsight/registry.json of ${this.folder}.`);
      }
    } catch (e) {
      this.log.warn(`Registry: could not write .mlsight/registry.json: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Brings the store and `.mlsight/registry.json` up to date with the audit log, under the audit lock. */
  async refreshServingView(): Promise<void> {
    if (this.store.readOnly) {
      return;
    }
    await appendAuditEvents(this.folder, async log => {
      await this.catchUp(log);
      await this.writeServingViewNow();
      return { events: [], result: undefined };
    });
  }

  private async catchUp(log: AuditRead): Promise<number> {
    const known = this.store.read(db => knownEventIds(db));
    const missing = log.events.filter(e => !known.has(e.id));
    if (missing.length === 0) {
      return 0;
    }
    this.store.write(db => {
      applyAuditEvents(db, missing);
    });
    // An MLflow write-back that a killed process may not have finished: redo the latest change per model
    // (idempotent), when that change is the model's latest event in the log.
    const latest = new Map<string, AuditEvent>();
    for (const e of missing) {
      if (e.backend === 'mlflow-filestore') {
        latest.set(e.model, e);
      }
    }
    for (const e of latest.values()) {
      const last = [...log.events].reverse().find(x => x.model === e.model);
      if (last?.id !== e.id) {
        continue;
      }
      const backend = this.backendOf(e.model);
      if (backend.kind !== 'mlflow-filestore') {
        continue;
      }
      try {
        await this.writeBack(backend.fs, [e], log);
      } catch (err) {
        this.log.warn(
          `Registry: could not redo the MLflow write-back of ${e.action} on ${e.model}: ${err instanceof Error ? err.message : err}`,
        );
      }
    }
    return missing.length;
  }

  private async commit<T>(
    model: string,
    build: (
      ctx: CommitContext,
    ) =>
      | Promise<{ events: Omit<AuditEvent, 'id' | 'at' | 'actor' | 'model' | 'backend'>[]; result: T }>
      | { events: Omit<AuditEvent, 'id' | 'at' | 'actor' | 'model' | 'backend'>[]; result: T },
    options: { allowForeign?: boolean } = {},
  ): Promise<{ events: AuditEvent[]; result: T }> {
    if (this.store.readOnly) {
      throw new RegistryError(
        'The ML Sight store is read-only (written by a newer ML Sight); the registry cannot be changed.',
      );
    }
    const actor = await this.actor();
    await this.store.reloadIfChanged();
    let backend: Backend = { kind: 'mlsight' };
    let writeBackError: unknown;
    let logAtCommit: AuditRead | undefined;
    const r = await appendAuditEvents(
      this.folder,
      async log => {
        logAtCommit = log;
        await this.catchUp(log);
        backend = this.backendOf(model);
        if (backend.kind === 'mlflow-sqlite' && !options.allowForeign) {
          throw new RegistryError(
            `${JSON.stringify(model)} is read from the MLflow database ${backend.sourceRel}, which ML Sight never writes. Change it with MLflow (e.g. MlflowClient().set_registered_model_alias(...)), or move the model to a FileStore (mlruns/).`,
          );
        }
        const files = backend.kind === 'mlflow-filestore' ? await readFileStoreModel(backend.fs) : undefined;
        const state = modelStateFromLog(log, model);
        const now = Math.max(this.now(), log.events[log.events.length - 1]?.at ?? 0);
        const built = await build({ log, backend, state, files, settings: state?.settings ?? {}, actor, now });
        const b = backend;
        const events = built.events.map(e =>
          newAuditEvent({
            ...e,
            actor,
            model,
            at: now,
            ...(b.kind === 'mlflow-filestore' ? { backend: 'mlflow-filestore' } : {}),
          }),
        );
        return { events, result: built.result };
      },
      async events => {
        const b = backend;
        if (b.kind !== 'mlflow-filestore') {
          return;
        }
        try {
          await this.writeBack(b.fs, events, logAtCommit!);
        } catch (e) {
          writeBackError = e;
        }
      },
    );
    if (r.events.length) {
      this.store.write(db => {
        applyAuditEvents(db, r.events);
      });
      await this.refreshServingView();
    }
    if (writeBackError) {
      throw new RegistryError(
        `The change is recorded in .mlsight/audit.jsonl, but MLflow's files could not be updated: ${writeBackError instanceof Error ? writeBackError.message : String(writeBackError)}`,
      );
    }
    return r;
  }

  /** Writes events' changes to an MLflow FileStore model. */
  private async writeBack(model: FileStoreModel, events: readonly AuditEvent[], log: AuditRead): Promise<void> {
    for (const e of events) {
      const ev = e.evidence ?? {};
      switch (e.action) {
        case 'alias.set':
          await fsWriteAlias(model, e.alias!, e.version!, e.at);
          break;
        case 'alias.delete':
          await fsDeleteAlias(model, e.alias!, e.at);
          break;
        case 'stage.set':
          await fsWriteStage(model, e.version!, e.to ?? 'None', ev.archiveExisting === true, e.at);
          break;
        case 'promote':
          if (e.alias) {
            await fsWriteAlias(model, e.alias, e.version!, e.at);
          } else {
            await fsWriteStage(model, e.version!, e.to!, ev.archiveExisting === true, e.at);
          }
          for (const a of Array.isArray(ev.clearedAliases) ? (ev.clearedAliases as string[]) : []) {
            await fsDeleteAlias(model, a, e.at);
          }
          break;
        case 'promotion.undo': {
          if (e.alias) {
            if (e.to) {
              await fsWriteAlias(model, e.alias, Number(e.to), e.at);
            } else {
              await fsDeleteAlias(model, e.alias, e.at);
            }
          } else if (typeof ev.restoreStage === 'string') {
            await fsWriteStage(model, e.version!, ev.restoreStage, false, e.at);
          }
          for (const [a, v] of Object.entries((ev.restoreAliases ?? {}) as Record<string, number>)) {
            await fsWriteAlias(model, a, v, e.at);
          }
          for (const [v, s] of Object.entries((ev.restoreStages ?? {}) as Record<string, string>)) {
            await fsWriteStage(model, Number(v), s, false, e.at);
          }
          break;
        }
        default:
          break; // settings and history only
      }
    }
    void log;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Changing

  private versionsOf(ctx: CommitContext): Set<number> {
    if (ctx.backend.kind === 'mlflow-filestore') {
      return new Set(ctx.files!.versions.keys());
    }
    return new Set(ctx.state?.versions.keys() ?? []);
  }

  private aliasesOf(ctx: CommitContext): Map<string, number> {
    if (ctx.backend.kind === 'mlflow-filestore') {
      return ctx.files!.aliases;
    }
    return ctx.state?.aliases ?? new Map();
  }

  private stageOf(ctx: CommitContext, version: number): string {
    if (ctx.backend.kind === 'mlflow-filestore') {
      return ctx.files!.versions.get(version)?.stage ?? 'None';
    }
    return String(ctx.state?.versions.get(version)?.stage ?? 'None');
  }

  private requireModel(ctx: CommitContext, model: string): void {
    if (ctx.backend.kind === 'mlsight' && !ctx.state) {
      throw new RegistryError(`There is no registered model named ${JSON.stringify(model)}.`);
    }
  }

  private requireVersion(ctx: CommitContext, model: string, version: number): void {
    this.requireModel(ctx, model);
    if (!Number.isInteger(version) || !this.versionsOf(ctx).has(version)) {
      throw new RegistryError(`${JSON.stringify(model)} has no version ${version}.`);
    }
  }

  private requireNative(ctx: CommitContext, model: string, what: string): void {
    if (ctx.backend.kind !== 'mlsight') {
      throw new RegistryError(
        `${JSON.stringify(model)} is an MLflow registered model; ML Sight writes back only aliases and stages. ${what} it with MLflow (MlflowClient).`,
      );
    }
  }

  /** Registers a new version of a model (created if needed) from a run's logged model. Returns the version number. */
  async registerVersion(input: RegisterInput): Promise<{ version: number; event: AuditEvent; existing?: boolean }> {
    const problem = modelNameProblem(input.model);
    if (problem) {
      throw new RegistryError(problem);
    }
    for (const a of input.aliases ?? []) {
      const p = aliasNameProblem(a);
      if (p) {
        throw new RegistryError(p);
      }
    }
    for (const k of Object.keys(input.tags ?? {})) {
      const p = keyProblem(k, 'tag key');
      if (p) {
        throw new RegistryError(p);
      }
    }
    const lineage = this.store.read(db => {
      const run = getRun(db, input.runId);
      if (!run) {
        return undefined;
      }
      const sourcePath = db.scalar<string>('SELECT source_path FROM runs WHERE id = ?', [input.runId]) ?? null;
      const experiment =
        db.scalar<string>('SELECT e.name FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ?', [
          input.runId,
        ]) ?? null;
      const artifacts = db.all<ModelArtifact>(
        'SELECT path, kind, size, sha256 FROM artifacts WHERE run_id = ? ORDER BY path',
        [input.runId],
      );
      const datasets = db.all<DatasetLineage>(
        'SELECT name, role, digest, rows, path FROM datasets WHERE run_id = ? ORDER BY role, name',
        [input.runId],
      );
      return { run, sourcePath, experiment, artifacts, datasets };
    });
    if (!lineage) {
      throw new RegistryError(`There is no run ${JSON.stringify(input.runId)} in the ML Sight store.`);
    }
    const models = lineage.artifacts.filter(a => a.kind === 'model');
    let artifact: ModelArtifact | undefined;
    if (input.artifactPath !== undefined) {
      artifact = lineage.artifacts.find(a => a.path === input.artifactPath);
      if (!artifact) {
        throw new RegistryError(
          `Run ${lineage.run.name ?? input.runId} has no artifact ${JSON.stringify(input.artifactPath)}.`,
        );
      }
    } else if (models.length === 1) {
      artifact = models[0];
    } else if (models.length === 0) {
      throw new RegistryError(
        `Run ${lineage.run.name ?? input.runId} logged no model (log one with run.log_model(...) in the ML Sight logger, or mlflow.<flavor>.log_model(...)).`,
      );
    } else {
      throw new RegistryError(
        `Run ${lineage.run.name ?? input.runId} logged ${models.length} models (${models.map(m => m.path).join(', ')}): say which one to register.`,
      );
    }
    const run = lineage.run;
    const modelName = Object.entries(run.tags)
      .find(
        ([k, v]) =>
          k.startsWith('mlsight.model.') &&
          !k.endsWith('.class') &&
          !k.endsWith(REGISTER_TAG_SUFFIX) &&
          !k.endsWith(REGISTER_ID_TAG_SUFFIX) &&
          v === artifact.path,
      )?.[0]
      .slice('mlsight.model.'.length);
    const cls = modelName ? (run.tags[`mlsight.model.${modelName}.class`] ?? null) : null;
    let sourceUri: string;
    if (run.source === 'mlflow') {
      const i = artifact.path.indexOf('/artifacts/');
      sourceUri =
        i >= 0
          ? `runs:/${input.runId.replace(/^mlflow:/, '')}/${artifact.path.slice(i + '/artifacts/'.length)}`
          : artifact.path;
    } else if (run.source === 'mlsight' && lineage.sourcePath) {
      sourceUri = path.posix.join(path.posix.dirname(lineage.sourcePath), artifact.path);
    } else {
      sourceUri = artifact.path;
    }
    const metrics: Record<string, number | string> = {};
    for (const [k, m] of Object.entries(run.latestMetrics)) {
      if (!k.startsWith('feature_importance/')) {
        metrics[k] = encodeMetric(m.value);
      }
    }
    const params = Object.fromEntries(Object.entries(run.params).slice(0, 200));
    const evidence: Record<string, unknown> = {
      run_id: input.runId,
      run_name: run.name,
      experiment: lineage.experiment,
      source_uri: sourceUri,
      git_commit: run.gitCommit,
      git_branch: run.gitBranch,
      git_dirty: run.gitDirty,
      datasets: lineage.datasets,
      metrics,
      params,
      artifact: {
        path: artifact.path,
        kind: artifact.kind,
        sha256: artifact.sha256,
        size: artifact.size,
        class: cls,
        name: modelName ?? null,
      },
      ...(input.tags && Object.keys(input.tags).length ? { tags: input.tags } : {}),
      ...(input.registerId ? { register_id: input.registerId } : {}),
    };
    const r = await this.commit(input.model, ctx => {
      if (ctx.backend.kind !== 'mlsight') {
        throw new RegistryError(
          `${JSON.stringify(input.model)} is an MLflow registered model: register new versions of it with MLflow (mlflow.register_model("${sourceUri}", ${JSON.stringify(input.model)})), or choose another name for ML Sight's registry.`,
        );
      }
      if (input.registerId) {
        const done = ctx.log.events.find(
          e => e.model === input.model && e.action === 'version.create' && e.evidence?.register_id === input.registerId,
        );
        if (done) {
          return { events: [], result: done.version! };
        }
      }
      const version = Math.max(0, ...(ctx.state?.versions.keys() ?? [])) + 1;
      const events: Omit<AuditEvent, 'id' | 'at' | 'actor' | 'model' | 'backend'>[] = [];
      if (!ctx.state) {
        events.push({ action: 'model.create', to: null });
      }
      events.push({
        action: 'version.create',
        version,
        from: null,
        to: String(version),
        reason: input.description?.trim() || undefined,
        evidence,
      });
      const prot = protectedAliases(ctx.settings);
      for (const alias of input.aliases ?? []) {
        if (prot.includes(alias) && !input.reason?.trim()) {
          throw new RegistryError(`@${alias} is a protected alias: give a reason to point it at the new version.`);
        }
        const cur = ctx.state?.aliases.get(alias);
        events.push({
          action: 'alias.set',
          version,
          alias,
          from: cur !== undefined ? String(cur) : null,
          to: String(version),
          reason: input.reason?.trim() || undefined,
        });
      }
      return { events, result: version };
    });
    const event =
      r.events.find(e => e.action === 'version.create') ??
      this.store
        .read(db =>
          db.all<{ event_json: string }>(
            `SELECT event_json FROM audit_log WHERE model = ? AND action = 'version.create' AND event_json IS NOT NULL`,
            [input.model],
          ),
        )
        .map(x => JSON.parse(x.event_json) as AuditEvent)
        .find(e => e.version === r.result)!;
    return { version: r.result, event, ...(r.events.length ? {} : { existing: true }) };
  }

  /** Registration requests of runs (`log_model(..., registered_name=...)`) that the audit log has not honoured yet. */
  pendingRegistrations(): RegistrationRequest[] {
    return this.store.read(db => {
      const done = new Set<string>();
      for (const row of db.all<{ evidence_json: string | null }>(
        `SELECT evidence_json FROM audit_log WHERE action = 'version.create'`,
      )) {
        try {
          const id = (JSON.parse(row.evidence_json ?? 'null') as Record<string, unknown> | null)?.register_id;
          if (typeof id === 'string') {
            done.add(id);
          }
        } catch {
          /* skipped */
        }
      }
      const out: RegistrationRequest[] = [];
      const rows = db.all<{ run_id: string; key: string; value: string }>(
        `SELECT run_id, key, value FROM tags WHERE key LIKE 'mlsight.model.%' ESCAPE '\\' ORDER BY run_id, key`,
      );
      const byRun = new Map<string, Map<string, string>>();
      for (const r of rows) {
        let m = byRun.get(r.run_id);
        if (!m) {
          byRun.set(r.run_id, (m = new Map()));
        }
        m.set(r.key, r.value);
      }
      for (const [runId, tags] of byRun) {
        for (const [key, registered] of tags) {
          if (!key.endsWith(REGISTER_TAG_SUFFIX)) {
            continue;
          }
          const base = key.slice(0, -REGISTER_TAG_SUFFIX.length);
          const artifactPath = tags.get(base);
          if (!artifactPath || !registered) {
            continue;
          }
          const registerId = tags.get(base + REGISTER_ID_TAG_SUFFIX) || `${runId}:${artifactPath}`;
          if (!done.has(registerId)) {
            out.push({ model: registered, runId, artifactPath, registerId });
          }
        }
      }
      return out;
    });
  }

  /**
   * Registers what runs asked for with `log_model(..., registered_name=...)` and the audit log has not recorded
   * yet. Each request is honoured exactly once (its register_id is checked under the audit lock), however often
   * the run log is re-read. Requests that fail (e.g. the name belongs to an MLflow model) are reported, not retried
   * by this call.
   */
  async registerRequested(): Promise<{
    registered: { model: string; version: number; runId: string }[];
    failed: { request: RegistrationRequest; message: string }[];
  }> {
    const registered: { model: string; version: number; runId: string }[] = [];
    const failed: { request: RegistrationRequest; message: string }[] = [];
    if (this.store.readOnly) {
      return { registered, failed };
    }
    for (const req of this.pendingRegistrations()) {
      try {
        const r = await this.registerVersion({
          model: req.model,
          runId: req.runId,
          artifactPath: req.artifactPath,
          registerId: req.registerId,
        });
        if (!r.existing) {
          registered.push({ model: req.model, version: r.version, runId: req.runId });
        }
      } catch (e) {
        failed.push({ request: req, message: e instanceof Error ? e.message : String(e) });
      }
    }
    return { registered, failed };
  }

  async describeModel(model: string, description: string): Promise<AuditEvent | undefined> {
    const r = await this.commit(model, ctx => {
      this.requireModel(ctx, model);
      this.requireNative(ctx, model, 'Describe');
      const cur = ctx.state!.description;
      const to = description.trim() || null;
      return { events: cur === to ? [] : [{ action: 'model.describe' as const, from: cur, to }], result: undefined };
    });
    return r.events[0];
  }

  async describeVersion(model: string, version: number, description: string): Promise<AuditEvent | undefined> {
    const r = await this.commit(model, ctx => {
      this.requireVersion(ctx, model, version);
      this.requireNative(ctx, model, 'Describe');
      const cur = ctx.state!.versions.get(version)!.description;
      const to = description.trim() || null;
      return {
        events: cur === to ? [] : [{ action: 'version.describe' as const, version, from: cur, to }],
        result: undefined,
      };
    });
    return r.events[0];
  }

  /** Sets (value given) or deletes (value undefined) a tag of the model (version omitted) or of a version. */
  async setTag(
    model: string,
    key: string,
    value: string | undefined,
    version?: number,
  ): Promise<AuditEvent | undefined> {
    const p = keyProblem(key, 'tag key');
    if (p) {
      throw new RegistryError(p);
    }
    const r = await this.commit(model, ctx => {
      if (version !== undefined) {
        this.requireVersion(ctx, model, version);
      } else {
        this.requireModel(ctx, model);
      }
      this.requireNative(ctx, model, 'Tag');
      const tags = version !== undefined ? ctx.state!.versions.get(version)!.tags : ctx.state!.tags;
      const cur = tags.get(key);
      if (value === undefined && cur === undefined) {
        return { events: [], result: undefined };
      }
      if (value !== undefined && cur === value) {
        return { events: [], result: undefined };
      }
      return {
        events: [
          {
            action: value === undefined ? ('tag.delete' as const) : ('tag.set' as const),
            version,
            from: cur ?? null,
            to: value ?? null,
            evidence: { key },
          },
        ],
        result: undefined,
      };
    });
    return r.events[0];
  }

  /** Points an alias at a version. Protected aliases (default: champion) need a reason; champion skips the gate and says so. */
  async setAlias(model: string, alias: string, version: number, reason?: string): Promise<AuditEvent | undefined> {
    const p = aliasNameProblem(alias);
    if (p) {
      throw new RegistryError(p);
    }
    const r = await this.commit(model, ctx => {
      this.requireVersion(ctx, model, version);
      const cur = this.aliasesOf(ctx).get(alias);
      if (cur === version) {
        return { events: [], result: undefined };
      }
      if (protectedAliases(ctx.settings).includes(alias) && !reason?.trim()) {
        throw new RegistryError(
          `@${alias} is a protected alias: give a reason to move it${alias === 'champion' ? ' (or use Promote Model, which checks the gate)' : ''}.`,
        );
      }
      return {
        events: [
          {
            action: 'alias.set' as const,
            version,
            alias,
            from: cur !== undefined ? String(cur) : null,
            to: String(version),
            reason: reason?.trim() || undefined,
            ...(alias === 'champion'
              ? { evidence: { gate: 'not checked: set directly, not through Promote Model' } }
              : {}),
          },
        ],
        result: undefined,
      };
    });
    return r.events[0];
  }

  async deleteAlias(model: string, alias: string, reason?: string): Promise<AuditEvent | undefined> {
    const p = aliasNameProblem(alias);
    if (p) {
      throw new RegistryError(p);
    }
    const r = await this.commit(model, ctx => {
      this.requireModel(ctx, model);
      const cur = this.aliasesOf(ctx).get(alias);
      if (cur === undefined) {
        throw new RegistryError(`${JSON.stringify(model)} has no alias @${alias}.`);
      }
      if (protectedAliases(ctx.settings).includes(alias) && !reason?.trim()) {
        throw new RegistryError(`@${alias} is a protected alias: give a reason to remove it.`);
      }
      return {
        events: [
          {
            action: 'alias.delete' as const,
            version: cur,
            alias,
            from: String(cur),
            to: null,
            reason: reason?.trim() || undefined,
          },
        ],
        result: undefined,
      };
    });
    return r.events[0];
  }

  /** MLflow's legacy stage transition, with "archive existing versions" for Staging and Production. */
  async setStage(
    model: string,
    version: number,
    stage: string,
    options: { archiveExisting?: boolean; reason?: string } = {},
  ): Promise<AuditEvent | undefined> {
    const canonical = STAGES.find(s => s.toLowerCase() === stage.toLowerCase());
    if (!canonical) {
      throw new RegistryError(`"${stage}" is not a stage (${STAGES.join(', ')}).`);
    }
    const archive = options.archiveExisting === true;
    if (archive && !ACTIVE_STAGES.includes(canonical)) {
      throw new RegistryError(`"archive existing versions" only applies to Staging and Production, not ${canonical}.`);
    }
    const r = await this.commit(model, ctx => {
      this.requireVersion(ctx, model, version);
      const cur = this.stageOf(ctx, version);
      const others = [...this.versionsOf(ctx)].filter(v => v !== version && this.stageOf(ctx, v) === canonical);
      if (cur === canonical && !(archive && others.length)) {
        return { events: [], result: undefined };
      }
      return {
        events: [
          {
            action: 'stage.set' as const,
            version,
            from: cur,
            to: canonical,
            reason: options.reason?.trim() || undefined,
            evidence: { archiveExisting: archive, ...(archive ? { archived: others } : {}) },
          },
        ],
        result: undefined,
      };
    });
    return r.events[0];
  }

  /** Sets the model's gate settings (replacing them). */
  async configure(model: string, settings: ModelSettings): Promise<AuditEvent | undefined> {
    if (settings.protectedAliases) {
      for (const a of settings.protectedAliases) {
        const p = aliasNameProblem(a);
        if (p) {
          throw new RegistryError(p);
        }
      }
    }
    if (settings.direction && settings.direction !== 'maximize' && settings.direction !== 'minimize') {
      throw new RegistryError('direction must be maximize or minimize');
    }
    if (settings.minImprovement !== undefined && !(settings.minImprovement >= 0)) {
      throw new RegistryError('the minimum improvement must be a number ≥ 0');
    }
    const clean = JSON.parse(JSON.stringify(settings)) as ModelSettings;
    const r = await this.commit(
      model,
      ctx => {
        const exists = ctx.state || ctx.backend.kind !== 'mlsight';
        if (!exists) {
          throw new RegistryError(`There is no registered model named ${JSON.stringify(model)}.`);
        }
        if (JSON.stringify(ctx.settings) === JSON.stringify(clean)) {
          return { events: [], result: undefined };
        }
        return {
          events: [
            {
              action: 'model.configure' as const,
              from: JSON.stringify(ctx.settings),
              to: JSON.stringify(clean),
              evidence: { settings: clean },
            },
          ],
          result: undefined,
        };
      },
      { allowForeign: true },
    );
    return r.events[0];
  }

  /**
   * Configures the model's canary: `share` of the traffic (0 < share < 1) goes to version `challenger`
   * (`mlsight.route` in Python reads it from `.mlsight/registry.json`); `null` ends the canary. Recorded as a
   * canary.set event; the SRM check of the A/B analysis then expects this share.
   */
  async setCanary(model: string, canary: CanaryConfig | null, reason?: string): Promise<AuditEvent | undefined> {
    if (canary) {
      if (!Number.isInteger(canary.challenger) || canary.challenger < 1) {
        throw new RegistryError("the canary's challenger must be a version number");
      }
      if (!(typeof canary.share === 'number' && canary.share > 0 && canary.share < 1)) {
        throw new RegistryError(`the canary's traffic share must be between 0 and 1, exclusive (got ${canary.share})`);
      }
    }
    const clean = canary ? { challenger: canary.challenger, share: canary.share } : null;
    const r = await this.commit(
      model,
      ctx => {
        if (ctx.backend.kind === 'mlflow-sqlite') {
          if (!this.model(model)) {
            throw new RegistryError(`There is no registered model named ${JSON.stringify(model)}.`);
          }
          if (clean && !this.model(model)!.versions.some(v => v.version === clean.challenger)) {
            throw new RegistryError(`${JSON.stringify(model)} has no version ${clean.challenger}.`);
          }
        } else if (clean) {
          this.requireVersion(ctx, model, clean.challenger);
        } else {
          this.requireModel(ctx, model);
        }
        const cur = ctx.state?.canary ?? null;
        const same = (a: CanaryConfig | null, b: CanaryConfig | null) =>
          a?.challenger === b?.challenger && a?.share === b?.share;
        if (same(cur, clean)) {
          return { events: [], result: undefined };
        }
        // the window of this canary: the two versions it compares, from this event to the next canary.set
        const full = clean
          ? {
              ...clean,
              champion:
                ctx.backend.kind === 'mlflow-sqlite'
                  ? (this.model(model)?.aliases.champion ?? null)
                  : (this.aliasesOf(ctx).get('champion') ?? null),
            }
          : null;
        return {
          events: [
            {
              action: 'canary.set' as const,
              ...(clean ? { version: clean.challenger } : {}),
              from: cur ? JSON.stringify(cur) : null,
              to: clean ? JSON.stringify(clean) : null,
              reason: reason?.trim() || undefined,
              evidence: { canary: full, previous: cur },
            },
          ],
          result: undefined,
        };
      },
      { allowForeign: true },
    );
    return r.events[0];
  }

  // ---------------------------------------------------------------------------------------------------------
  // Promotion

  private holder(detail: ModelDetail, target: PromotionTarget): number | null {
    if ('alias' in target) {
      return detail.aliases[target.alias] ?? null;
    }
    const inStage = detail.versions.filter(v => v.stage === target.stage).map(v => v.version);
    return inStage.length ? Math.max(...inStage) : null;
  }

  /** The comparison and gate for promoting `version` to `target` now (nothing is written). */
  preview(
    model: string,
    version: number,
    target: PromotionTarget = { alias: 'champion' },
    ab: AbAnalysis | null = null,
    settingsOverride?: ModelSettings,
    abExcluded?: AbExclusion | null,
  ): PromotionPreview {
    const detail = this.model(model);
    if (!detail) {
      throw new RegistryError(`There is no registered model named ${JSON.stringify(model)}.`);
    }
    const challenger = detail.versions.find(v => v.version === version);
    if (!challenger) {
      throw new RegistryError(`${JSON.stringify(model)} has no version ${version}.`);
    }
    const currentVersion = this.holder(detail, target);
    const champion = currentVersion !== null ? (detail.versions.find(v => v.version === currentVersion) ?? null) : null;
    for (const v of [challenger, champion]) {
      if (v?.runId && v.runStatus === 'RUNNING') {
        // a run whose process is gone shows as KILLED (liveness.ts)
        const l = this.store.read(db => effectiveRunStatus(db, this.folder, v.runId!, 'RUNNING'));
        v.runStatus = l.status;
        v.runStatusNote = l.note;
      }
    }
    const settings = settingsOverride ?? detail.settings;
    const comparison = this.store.read(db =>
      compareVersions(challenger, champion, settings, predictionsLoader(db, this.folder)),
    );
    const gate = evaluateGate({ comparison, target, currentVersion, ab, settings, abExcluded });
    return { model: detail, challenger, champion, target, currentVersion, comparison, gate };
  }

  /**
   * Moves `champion` (or another alias, or a stage) to a version, if the gate passes — or, with `override`, although
   * it failed, recording the reason as an override. The comparison, the A/B analysis and the gate go into the
   * event. Aliases `challenger` pointing at the promoted version are cleared (they are restored by an undo).
   */
  async promote(input: PromoteInput): Promise<PromoteResult> {
    const target: PromotionTarget = input.target ?? { alias: 'champion' };
    if ('alias' in target) {
      const p = aliasNameProblem(target.alias);
      if (p) {
        throw new RegistryError(p);
      }
    } else if (!ACTIVE_STAGES.includes(target.stage)) {
      throw new RegistryError(`a promotion targets Staging or Production, not ${String(target.stage)}`);
    }
    const reason = input.reason?.trim();
    if (!reason) {
      throw new RegistryError('A promotion needs a reason (it is recorded in the audit log).');
    }
    const r = await this.commit(input.model, ctx => {
      this.requireVersion(ctx, input.model, input.version);
      const pv = this.preview(
        input.model,
        input.version,
        target,
        input.ab?.analysis ?? null,
        ctx.settings,
        input.ab?.excluded,
      );
      // the holder according to the log/files (the store may lag behind another window)
      const aliases = this.aliasesOf(ctx);
      const current =
        'alias' in target
          ? (aliases.get(target.alias) ?? null)
          : (() => {
              const s = [...this.versionsOf(ctx)].filter(v => this.stageOf(ctx, v) === target.stage);
              return s.length ? Math.max(...s) : null;
            })();
      if (current === input.version) {
        throw new RegistryError(
          `v${input.version} already is ${targetLabel(target)} of ${JSON.stringify(input.model)}.`,
        );
      }
      const gate =
        pv.currentVersion === current
          ? pv.gate
          : evaluateGate({
              comparison: pv.comparison,
              target,
              currentVersion: current,
              ab: input.ab?.analysis ?? null,
              settings: ctx.settings,
              abExcluded: input.ab?.excluded,
            });
      if (!gate.pass && !input.override) {
        throw new GateFailedError(gate, pv.comparison);
      }
      const cleared =
        'alias' in target && target.alias === 'champion' && aliases.get('challenger') === input.version
          ? ['challenger']
          : [];
      const c = pv.comparison;
      const evidence: Record<string, unknown> = {
        target,
        comparison: {
          metric: c.metric,
          direction: c.direction,
          minImprovement: c.minImprovement,
          relative: c.relative,
          champion: c.champion
            ? { version: c.champion.version, value: c.championValue, runId: c.champion.runId }
            : null,
          challenger: { version: c.challenger.version, value: c.challengerValue, runId: c.challenger.runId },
          delta: c.delta,
          relativeDelta: c.relativeDelta,
          passes: c.passes,
          code: c.code,
          reason: c.reason,
          evidence: c.evidence ?? null,
        },
        ab: input.ab ? compactAb(input.ab) : null,
        gate: { pass: gate.pass, checks: gate.checks },
        ...(input.override && !gate.pass
          ? {
              override: {
                reason,
                failedChecks: gate.failures,
                failedCodes: gate.checks.filter(x => !x.ok).map(x => x.code),
              },
            }
          : {}),
        ...(cleared.length ? { clearedAliases: cleared } : {}),
      };
      if (!('alias' in target)) {
        evidence.previousStage = this.stageOf(ctx, input.version);
        evidence.archiveExisting = target.archiveExisting;
        if (target.archiveExisting) {
          evidence.archived = Object.fromEntries(
            [...this.versionsOf(ctx)]
              .filter(v => v !== input.version && this.stageOf(ctx, v) === target.stage)
              .map(v => [v, target.stage]),
          );
        }
      }
      const event = {
        action: 'promote' as const,
        version: input.version,
        ...('alias' in target ? { alias: target.alias, to: String(input.version) } : { to: target.stage }),
        from: current !== null ? String(current) : null,
        reason,
        evidence,
      };
      return { events: [event], result: { gate, comparison: pv.comparison } };
    });
    return {
      event: r.events[0],
      gate: r.result.gate,
      comparison: r.result.comparison,
      overridden: !r.result.gate.pass,
    };
  }

  /** The last promotion of a model that can be undone (not undone yet, and its target not moved since). */
  lastPromotion(model: string):
    | {
        eventId: string;
        at: number;
        actor: string;
        alias?: string;
        stage?: string;
        fromVersion: number | null;
        toVersion: number;
      }
    | undefined {
    const events = this.store
      .read(db =>
        db.all<{ event_json: string }>(
          `SELECT event_json FROM audit_log WHERE model = ? AND event_json IS NOT NULL ORDER BY log_seq, seq`,
          [model],
        ),
      )
      .map(r => JSON.parse(r.event_json) as AuditEvent);
    const state = modelStateFromLog({ events, errors: [], tornTail: false }, model);
    return state ? lastActivePromotion(state) : undefined;
  }

  /** Reverts the last promotion: the alias (or stage) goes back to where it was, cleared aliases come back. */
  async undoLastPromotion(model: string, reason: string): Promise<AuditEvent> {
    const why = reason?.trim();
    if (!why) {
      throw new RegistryError('Undoing a promotion needs a reason (it is recorded in the audit log).');
    }
    const r = await this.commit(model, ctx => {
      this.requireModel(ctx, model);
      const p = ctx.state ? lastActivePromotion(ctx.state) : undefined;
      if (!p) {
        throw new RegistryError(`${JSON.stringify(model)} has no promotion to undo.`);
      }
      const promoted = ctx.log.events.find(e => e.id === p.eventId)!;
      const ev = promoted.evidence ?? {};
      const evidence: Record<string, unknown> = { undoes: p.eventId };
      if (p.alias) {
        const now = this.aliasesOf(ctx).get(p.alias);
        if (now !== p.toVersion) {
          throw new RegistryError(
            `@${p.alias} was moved after that promotion (it points at ${now === undefined ? 'nothing' : `v${now}`}, not v${p.toVersion}); move it with Set Alias instead.`,
          );
        }
        const cleared = Array.isArray(ev.clearedAliases) ? (ev.clearedAliases as string[]) : [];
        const restore = Object.fromEntries(cleared.filter(a => !this.aliasesOf(ctx).has(a)).map(a => [a, p.toVersion]));
        if (Object.keys(restore).length) {
          evidence.restoreAliases = restore;
        }
        return {
          events: [
            {
              action: 'promotion.undo' as const,
              version: p.toVersion,
              alias: p.alias,
              from: String(p.toVersion),
              to: p.fromVersion !== null ? String(p.fromVersion) : null,
              reason: why,
              evidence,
            },
          ],
          result: undefined,
        };
      }
      const stageNow = this.stageOf(ctx, p.toVersion);
      if (stageNow !== p.stage) {
        throw new RegistryError(
          `v${p.toVersion} left ${p.stage} after that promotion (it is ${stageNow} now); set its stage instead.`,
        );
      }
      evidence.restoreStage = typeof ev.previousStage === 'string' ? ev.previousStage : 'None';
      if (ev.archived && typeof ev.archived === 'object') {
        evidence.restoreStages = Object.fromEntries(
          Object.entries(ev.archived as Record<string, string>).filter(
            ([v]) => this.stageOf(ctx, Number(v)) === 'Archived',
          ),
        );
      }
      return {
        events: [
          {
            action: 'promotion.undo' as const,
            version: p.toVersion,
            from: p.stage ?? null,
            to: String(evidence.restoreStage),
            reason: why,
            evidence,
          },
        ],
        result: undefined,
      };
    });
    return r.events[0];
  }
}
