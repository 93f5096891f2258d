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
import { Logger, silentLogger } from '../log';
import { WorkspaceStore } from '../store/store';
import {
  AuditEvent,
  AuditRead,
  appendAuditEvents,
  applyAuditEvents,
  knownEventIds,
  modelStateFromLog,
  newAuditEvent,
} from './auditLog';
import {
  FileStoreModel,
  FileStoreState,
  deleteAlias as fsDeleteAlias,
  locateMlflowModel,
  readFileStoreModel,
  writeAlias as fsWriteAlias,
  writeStage as fsWriteStage,
} from './mlflowWriteback';
import { buildServingView, writeServingView } from './servingView';
import { ModelSettings, ModelState } from './state';
import { ModelDetail, getModelDetail } from './views';

export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryError';
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

export function keyProblem(key: string, what: string): string | undefined {
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

export type Backend =
  | { kind: 'mlsight' }
  | { kind: 'mlflow-filestore'; fs: FileStoreModel; sourceRel: string }
  | { kind: 'mlflow-sqlite'; sourceRel: string };

export interface CommitContext {
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

export class RegistryCore {
  readonly folder: string;
  protected readonly store: WorkspaceStore;
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

  protected async commit<T>(
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

  protected versionsOf(ctx: CommitContext): Set<number> {
    if (ctx.backend.kind === 'mlflow-filestore') {
      return new Set(ctx.files!.versions.keys());
    }
    return new Set(ctx.state?.versions.keys() ?? []);
  }

  protected aliasesOf(ctx: CommitContext): Map<string, number> {
    if (ctx.backend.kind === 'mlflow-filestore') {
      return ctx.files!.aliases;
    }
    return ctx.state?.aliases ?? new Map();
  }

  protected stageOf(ctx: CommitContext, version: number): string {
    if (ctx.backend.kind === 'mlflow-filestore') {
      return ctx.files!.versions.get(version)?.stage ?? 'None';
    }
    return String(ctx.state?.versions.get(version)?.stage ?? 'None');
  }

  protected requireModel(ctx: CommitContext, model: string): void {
    if (ctx.backend.kind === 'mlsight' && !ctx.state) {
      throw new RegistryError(`There is no registered model named ${JSON.stringify(model)}.`);
    }
  }

  protected requireVersion(ctx: CommitContext, model: string, version: number): void {
    this.requireModel(ctx, model);
    if (!Number.isInteger(version) || !this.versionsOf(ctx).has(version)) {
      throw new RegistryError(`${JSON.stringify(model)} has no version ${version}.`);
    }
  }

  protected requireNative(ctx: CommitContext, model: string, what: string): void {
    if (ctx.backend.kind !== 'mlsight') {
      throw new RegistryError(
        `${JSON.stringify(model)} is an MLflow registered model; ML Sight writes back only aliases and stages. ${what} it with MLflow (MlflowClient).`,
      );
    }
  }
}
