/**
 * The model registry's operations (see registryCore.ts for how every change is committed through the audit log):
 * register a version from a run's logged model, describe, tag, move aliases, set stages, configure the promotion
 * gate and the canary. Promotion and its undo come from promotion.ts, which Registry extends.
 */
import * as path from 'path';
import { getRun } from '../queries';
import { AuditEvent } from './auditLog';
import { aliasNameProblem } from './mlflowWriteback';
import { ACTIVE_STAGES, CanaryConfig, ModelSettings, STAGES, protectedAliases } from './state';
import { DatasetLineage, encodeMetric } from './views';
import { ModelArtifact, RegistryError, keyProblem, modelNameProblem } from './registryCore';
import { RegistryPromotion } from './promotion';

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

export class Registry extends RegistryPromotion {
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
}
