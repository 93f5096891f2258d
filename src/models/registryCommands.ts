import * as path from 'path';
import * as vscode from 'vscode';
import { AuditEvent } from '../core/registry/auditLog';
import { RegistryError, modelNameProblem } from '../core/registry/registryCore';
import { aliasNameProblem } from '../core/registry/mlflowWriteback';
import { STAGES, protectedAliases } from '../core/registry/state';
import { ModelDetail, listRegistryModels, runsWithModels } from '../core/registry/views';
import { fmtMetric, isModelNode, isTeamModelNode, isVersionNode } from './modelsTree';
import { TeamAliasDeps, TeamAliasOutcome, setTeamAlias, undoTeamPromotionCommand } from './teamAlias';
import { Cancelled, ask, askText, guide, pickAlias } from './registryCommandsBase';
import { PromoteCommands } from './promoteCommand';

export interface RegisterOptions {
  folder?: string;
  runId?: string;
  model?: string;
  artifactPath?: string;
  description?: string;
  aliases?: string[];
}

/** The registry's commands: Register Model…, Set Alias…, Set Stage…, Promote Model…, Undo Last Promotion. */
export class RegistryCommands extends PromoteCommands {
  // -------------------------------------------------------------------------------------------------------
  // Register Model…

  async register(item?: unknown, opts: RegisterOptions = {}): Promise<{ model: string; version: number } | undefined> {
    try {
      const folder = await this.folderFor(item, opts.folder);
      if (!folder) {
        void vscode.window.showInformationMessage('ML Sight: open a folder with runs first.');
        return undefined;
      }
      const registry = await this.deps.registries.get(folder);
      const store = await this.deps.stores.get(folder);
      let runId =
        opts.runId ??
        ((item as { kind?: string; run?: { id?: string } } | undefined)?.kind === 'run'
          ? (item as { run: { id: string } }).run.id
          : undefined);
      if (!runId) {
        const runs = store.read(db => runsWithModels(db));
        if (!runs.length) {
          guide(
            'no run here has logged a model yet. Log one in your training script with run.log_model(model, name="…") (ML Sight logger) or mlflow.<flavor>.log_model(…), then register it.',
            { title: 'Copy Python Logger into Workspace', command: 'mlsight.copyPythonLogger' },
          );
        }
        runId = await ask(
          runs.map(r => ({
            label: r.name ?? r.id,
            description: [r.experiment, `${r.models} model${r.models === 1 ? '' : 's'}`].filter(Boolean).join(' · '),
            detail: r.id,
            value: r.id,
          })),
          { title: 'ML Sight: Register Model', placeHolder: 'Register the model of which run?' },
        );
      }
      const artifacts = registry.runModels(runId);
      let artifactPath = opts.artifactPath;
      if (!artifactPath) {
        if (artifacts.length === 0) {
          throw new RegistryError(
            'This run logged no model (run.log_model(...) in the ML Sight logger, or mlflow.<flavor>.log_model(...)), so there is nothing to register.',
          );
        }
        artifactPath =
          artifacts.length === 1
            ? artifacts[0].path
            : await ask(
                artifacts.map(a => ({
                  label: path.posix.basename(path.posix.dirname(a.path)) || a.path,
                  description: a.path,
                  value: a.path,
                })),
                { title: 'ML Sight: Register Model', placeHolder: "Which of the run's models?" },
              );
      }
      let model = opts.model;
      if (!model) {
        const existing = store
          .read(db => listRegistryModels(db))
          .filter(m => m.source === 'mlsight')
          .map(m => m.name);
        const suggestion = path.posix.basename(path.posix.dirname(artifactPath)) || 'model';
        const NEW = '\u0000new';
        const picked = existing.length
          ? await ask<string>(
              [
                ...existing.map(n => ({ label: n, description: 'new version', value: n })),
                { label: '$(add) New model…', value: NEW },
              ],
              { title: 'ML Sight: Register Model', placeHolder: 'Register as a new version of which model?' },
            )
          : NEW;
        model =
          picked !== NEW
            ? picked
            : (
                await askText({
                  title: 'ML Sight: Register Model',
                  prompt: 'Name of the new registered model',
                  value: suggestion,
                  validateInput: v => modelNameProblem(v.trim()),
                })
              ).trim();
      }
      const description =
        opts.description ??
        (opts.model
          ? undefined
          : await askText({
              title: `ML Sight: Register ${model}`,
              prompt: 'Description of this version (optional)',
              placeHolder: 'e.g. gradient boosting, new features',
            }));
      let aliases = opts.aliases;
      if (!aliases && !opts.model) {
        aliases = await ask<string[]>(
          [
            { label: 'No alias', value: [] },
            { label: '@challenger', description: 'the candidate to promote later', value: ['challenger'] },
          ],
          { title: `ML Sight: Register ${model}`, placeHolder: 'Point an alias at the new version?' },
        );
      }
      const r = await registry.registerVersion({
        model,
        runId,
        artifactPath,
        description: description || undefined,
        aliases,
      });
      void vscode.window
        .showInformationMessage(
          `ML Sight: registered ${model} v${r.version}${aliases?.length ? ` (${aliases.map(a => `@${a}`).join(' ')})` : ''}.`,
          'Promote…',
        )
        .then(c => {
          if (c) {
            void vscode.commands.executeCommand('mlsight.promoteModel', undefined, {
              folder: folder.uri.toString(),
              model,
              version: r.version,
            });
          }
        });
      return { model, version: r.version };
    } catch (e) {
      if (e instanceof Cancelled) {
        return undefined;
      }
      throw e;
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Set Alias… / Set Stage…

  private async pickVersion(m: ModelDetail, title: string, placeHolder: string, preferred?: number): Promise<number> {
    const metric = m.settings.primaryMetric;
    const items = m.versions.map(v => ({
      label: `v${v.version}`,
      value: v.version,
      description: [...v.aliases.map(a => `@${a}`), v.stage !== 'None' ? v.stage : '', v.runName ?? '']
        .filter(Boolean)
        .join(' · '),
      detail: metric
        ? `${metric} ${fmtMetric(v.metrics[metric])}`
        : Object.entries(v.metrics)
            .slice(0, 3)
            .map(([k, x]) => `${k} ${fmtMetric(x)}`)
            .join(' · ') || undefined,
    }));
    if (preferred !== undefined) {
      items.sort((a, b) => (a.value === preferred ? -1 : b.value === preferred ? 1 : 0));
    }
    return ask(items, { title, placeHolder });
  }

  private teamAliasDeps(): TeamAliasDeps {
    return { team: this.deps.team ?? (async () => undefined), changed: () => this.deps.teamChanged?.() };
  }

  /** A team model's node: its model and (for a version) version, as options. */
  private teamNodeOptions(item: unknown): { model?: string; version?: number } {
    return isTeamModelNode(item)
      ? { model: item.model.name, ...(item.kind === 'teamVersion' ? { version: item.version.version } : {}) }
      : {};
  }

  async setAlias(
    item?: unknown,
    opts: {
      folder?: string;
      model?: string;
      version?: number;
      alias?: string;
      reason?: string;
      remove?: boolean;
      /** a model of the team tracking backend */
      team?: boolean;
    } = {},
  ): Promise<AuditEvent | TeamAliasOutcome | undefined> {
    try {
      if (await this.isTeamTarget(item, opts, 'ML Sight: Set Alias')) {
        const { team: _team, folder: _folder, ...rest } = opts;
        return await setTeamAlias(this.teamAliasDeps(), { ...this.teamNodeOptions(item), ...rest });
      }
      const folder = await this.folderFor(item, opts.folder);
      if (!folder) {
        return undefined;
      }
      const registry = await this.deps.registries.get(folder);
      const m = opts.model
        ? registry.model(opts.model)
        : isModelNode(item) || isVersionNode(item)
          ? registry.model(item.model.name)
          : await this.pickModel(registry, folder, 'ML Sight: Set Alias', x => x.backend !== 'mlflow-sqlite');
      if (!m) {
        throw new RegistryError(`There is no registered model named ${JSON.stringify(opts.model)}.`);
      }
      const version =
        opts.version ??
        (isVersionNode(item)
          ? item.version.version
          : await this.pickVersion(m, `ML Sight: Set Alias of ${m.name}`, 'Which version?'));
      let alias = opts.alias;
      let remove = opts.remove === true;
      if (!alias) {
        ({ alias, remove } = await pickAlias(m, version, {
          title: `ML Sight: Set Alias of ${m.name} v${version}`,
          placeHolder: 'Which alias should point at this version?',
          validate: aliasNameProblem,
        }));
      }
      let reason = opts.reason;
      const protect = protectedAliases(m.settings).includes(alias);
      if (!remove && alias === 'champion' && opts.reason === undefined) {
        const c = await vscode.window.showWarningMessage(
          `Moving @champion with Set Alias skips the promotion gate (the comparison with the current champion and the A/B test). Promote Model checks them.`,
          { modal: true },
          'Promote Model…',
          'Set Without the Gate',
        );
        if (!c) {
          return undefined;
        }
        if (c === 'Promote Model…') {
          await vscode.commands.executeCommand('mlsight.promoteModel', undefined, {
            folder: folder.uri.toString(),
            model: m.name,
            version,
          });
          return undefined;
        }
      }
      if (protect && !reason) {
        reason = await askText({
          title: `ML Sight: ${remove ? 'Remove' : 'Move'} @${alias}`,
          prompt: `@${alias} is protected: why? (recorded in the audit log)`,
          validateInput: v => (v.trim() ? undefined : 'A reason is required'),
        });
      }
      const e = remove
        ? await registry.deleteAlias(m.name, alias, reason)
        : await registry.setAlias(m.name, alias, version, reason);
      vscode.window.setStatusBarMessage(
        `ML Sight: ${remove ? `removed @${alias}` : `@${alias} → ${m.name} v${version}`}`,
        4000,
      );
      return e;
    } catch (e) {
      if (e instanceof Cancelled) {
        return undefined;
      }
      throw e;
    }
  }

  async setStage(
    item?: unknown,
    opts: {
      folder?: string;
      model?: string;
      version?: number;
      stage?: string;
      archiveExisting?: boolean;
      reason?: string;
    } = {},
  ): Promise<AuditEvent | undefined> {
    try {
      const folder = await this.folderFor(item, opts.folder);
      if (!folder) {
        return undefined;
      }
      const registry = await this.deps.registries.get(folder);
      const m = opts.model
        ? registry.model(opts.model)
        : isModelNode(item) || isVersionNode(item)
          ? registry.model(item.model.name)
          : await this.pickModel(registry, folder, 'ML Sight: Set Stage', x => x.backend !== 'mlflow-sqlite');
      if (!m) {
        throw new RegistryError(`There is no registered model named ${JSON.stringify(opts.model)}.`);
      }
      const version =
        opts.version ??
        (isVersionNode(item)
          ? item.version.version
          : await this.pickVersion(m, `ML Sight: Set Stage of ${m.name}`, 'Which version?'));
      const cur = m.versions.find(v => v.version === version)?.stage;
      const stage =
        opts.stage ??
        (await ask(
          STAGES.map(s => ({ label: s, description: s === cur ? 'current' : '', value: s })),
          {
            title: `ML Sight: Set Stage of ${m.name} v${version}`,
            placeHolder: "MLflow's legacy stages (aliases are the newer way)",
          },
        ));
      let archive = opts.archiveExisting;
      if (archive === undefined && (stage === 'Staging' || stage === 'Production')) {
        const others = m.versions.filter(v => v.version !== version && v.stage === stage).map(v => `v${v.version}`);
        archive = others.length
          ? await ask(
              [
                {
                  label: `Archive ${others.join(', ')}`,
                  description: `only v${version} stays in ${stage}`,
                  value: true,
                },
                { label: `Keep ${others.join(', ')} in ${stage}`, value: false },
              ],
              { title: `ML Sight: ${stage}` },
            )
          : false;
      }
      return await registry.setStage(m.name, version, stage, { archiveExisting: archive, reason: opts.reason });
    } catch (e) {
      if (e instanceof Cancelled) {
        return undefined;
      }
      throw e;
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Configure Canary…

  /** Sets (or ends) the model's canary: the challenger version and its share of the traffic (mlsight.route). */
  async configureCanary(
    item?: unknown,
    opts: { folder?: string; model?: string; version?: number; share?: number; off?: boolean; reason?: string } = {},
  ): Promise<AuditEvent | undefined> {
    try {
      const folder = await this.folderFor(item, opts.folder);
      if (!folder) {
        return undefined;
      }
      const registry = await this.deps.registries.get(folder);
      const m = opts.model
        ? registry.model(opts.model)
        : isModelNode(item) || isVersionNode(item)
          ? registry.model(item.model.name)
          : await this.pickModel(registry, folder, 'ML Sight: Configure Canary');
      if (!m) {
        throw new RegistryError(`There is no registered model named ${JSON.stringify(opts.model)}.`);
      }
      const title = `ML Sight: Configure Canary of ${m.name}`;
      let off = opts.off === true;
      let version = opts.version ?? (isVersionNode(item) ? item.version.version : undefined);
      if (!off && version === undefined) {
        const OFF = -1;
        const champion = m.aliases.champion;
        const picked = await ask<number>(
          [
            ...m.versions
              .filter(v => v.version !== champion)
              .map(v => ({
                label: `v${v.version}`,
                value: v.version,
                description: [
                  ...v.aliases.map(a => `@${a}`),
                  m.canary?.challenger === v.version ? `canary now, ${(m.canary.share * 100).toFixed(1)} %` : '',
                  v.runName ?? '',
                ]
                  .filter(Boolean)
                  .join(' · '),
              }))
              .sort((a, b) =>
                a.value === m.aliases.challenger ? -1 : b.value === m.aliases.challenger ? 1 : b.value - a.value,
              ),
            ...(m.canary
              ? [{ label: '$(circle-slash) End the canary', description: 'all traffic to the champion', value: OFF }]
              : []),
          ],
          {
            title,
            placeHolder: `Which version gets a share of the traffic (the champion${champion !== undefined ? ` v${champion}` : ''} gets the rest)?`,
          },
        );
        if (picked === OFF) {
          off = true;
        } else {
          version = picked;
        }
      }
      let share = opts.share;
      if (!off && share === undefined) {
        const text = await askText({
          title,
          value: String(m.canary?.share ?? m.settings.challengerShare ?? 0.05),
          prompt:
            "The challenger's share of the traffic, between 0 and 1 (0.05 = 5 %). mlsight.route(model, key) reads it from .mlsight/registry.json; the A/B analysis checks the arms against it.",
          validateInput: v => (Number(v) > 0 && Number(v) < 1 ? undefined : 'A number between 0 and 1, e.g. 0.05'),
        });
        share = Number(text);
      }
      const e = await registry.setCanary(m.name, off ? null : { challenger: version!, share: share! }, opts.reason);
      vscode.window.setStatusBarMessage(
        off
          ? `ML Sight: ${m.name}: canary ended`
          : `ML Sight: ${m.name}: v${version} gets ${(share! * 100).toFixed(1)} % of the traffic`,
        4000,
      );
      return e;
    } catch (e) {
      if (e instanceof Cancelled) {
        return undefined;
      }
      throw e;
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Undo Last Promotion

  async undo(
    item?: unknown,
    opts: { folder?: string; model?: string; reason?: string; team?: boolean } = {},
  ): Promise<AuditEvent | TeamAliasOutcome | undefined> {
    try {
      if (await this.isTeamTarget(item, opts, 'ML Sight: Undo Last Promotion')) {
        const model = opts.model ?? this.teamNodeOptions(item).model;
        return await undoTeamPromotionCommand(this.teamAliasDeps(), { model, reason: opts.reason });
      }
      const folder = await this.folderFor(item, opts.folder);
      if (!folder) {
        return undefined;
      }
      const registry = await this.deps.registries.get(folder);
      const m = opts.model
        ? registry.model(opts.model)
        : isModelNode(item) || isVersionNode(item)
          ? registry.model(item.model.name)
          : await this.pickModel(
              registry,
              folder,
              'ML Sight: Undo Last Promotion',
              x => !!registry.lastPromotion(x.name),
            );
      if (!m) {
        throw new RegistryError(`There is no registered model named ${JSON.stringify(opts.model)}.`);
      }
      const p = registry.lastPromotion(m.name);
      if (!p) {
        guide(`${m.name} has no promotion to undo.`);
      }
      const what = p.alias
        ? `@${p.alias} back to ${p.fromVersion !== null ? `v${p.fromVersion}` : 'unset'} (from v${p.toVersion})`
        : `v${p.toVersion} out of ${p.stage}`;
      const reason =
        opts.reason ??
        (await askText({
          title: `ML Sight: Undo Last Promotion of ${m.name}`,
          prompt: `Move ${what}, promoted by ${p.actor} on ${new Date(p.at).toLocaleString()}. Why? (recorded in the audit log)`,
          validateInput: v => (v.trim() ? undefined : 'A reason is required'),
        }));
      const e = await registry.undoLastPromotion(m.name, reason);
      void vscode.window.showInformationMessage(`ML Sight: ${m.name}: ${what}.`);
      return e;
    } catch (e) {
      if (e instanceof Cancelled) {
        return undefined;
      }
      throw e;
    }
  }
}
