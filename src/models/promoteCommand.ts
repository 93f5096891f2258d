/**
 * Promote Model…: choose the challenger and the target, configure the gate when needed, collect A/B data, show the
 * review page and promote (or override a failed gate with a reason).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { analyzeAb } from '../core/registry/abAnalysis';
import { parseCounts, parseMeanSummary, parseOutcomes } from '../core/registry/abData';
import { analyseAttributedOutcomes } from '../core/registry/abAttribution';
import { AuditEvent, storedEvents } from '../core/registry/auditLog';
import { GateResult, PromotionTarget, guessDirection, targetLabel } from '../core/registry/gate';
import { GateFailedError, PromotionPreview } from '../core/registry/promotion';
import { Registry } from '../core/registry/registry';
import { RegistryError } from '../core/registry/registryCore';
import { CanaryConfig, Direction, ModelSettings } from '../core/registry/state';
import { ModelDetail, VersionDetail, plannedShare, registryHistory } from '../core/registry/views';
import { StatsInputError } from '../core/stats';
import { PromoteReview } from './contract';
import { AbBuilt, describeSettings, promoteReview } from './registryViews';
import { fmtMetric, isModelNode, isTeamModelNode, isVersionNode } from './modelsTree';
import { TeamPromoteDeps, TeamPromoteOptions, TeamPromoteOutcome, promoteTeamModel } from './teamPromote';
import { Cancelled, Item, RegistryCommandsBase, TITLE, ask, askText, guide } from './registryCommandsBase';

/** A/B data given to Promote Model without asking (tests, other commands). */
export type AbSpec =
  | { champion: string; challenger: string; metric?: string; share?: number }
  | { championMean: string; challengerMean: string; metric?: string; share?: number }
  | { file: string; metric?: string; guardrails?: string[]; share?: number };

/** Answers to Promote Model's questions; anything missing is asked. */
export interface PromoteOptions {
  /** workspace folder URI */
  folder?: string;
  model?: string;
  version?: number;
  target?: PromotionTarget;
  /** A/B data; null: none (offline metrics only) */
  ab?: AbSpec | null;
  /** gate settings to record first when the model has no primary metric */
  settings?: ModelSettings;
  /** with review: false, the decision */
  reason?: string;
  override?: boolean;
  /** show the review page and wait for its decision (default true) */
  review?: boolean;
  /** ask "Are you sure?" in a modal dialog before writing (default true) */
  confirm?: boolean;
  /** promote a model of the team backend (mlsight.tracking.uri) instead: its answers (anything missing is asked) */
  team?: TeamPromoteOptions;
}

export interface PromoteOutcome {
  promoted: boolean;
  cancelled?: boolean;
  event?: AuditEvent;
  gate?: GateResult;
  review?: PromoteReview;
}

export abstract class PromoteCommands extends RegistryCommandsBase {
  private async configureInteractively(
    registry: Registry,
    m: ModelDetail,
    challenger: VersionDetail,
    champion: VersionDetail | null,
  ): Promise<ModelSettings> {
    const keys = [...new Set([...Object.keys(challenger.metrics), ...Object.keys(champion?.metrics ?? {})])].sort();
    if (!keys.length) {
      throw new RegistryError(
        `v${challenger.version} has no metrics to compare (its run logged none), so the gate cannot compare it with the champion.`,
      );
    }
    const metric = await ask(
      keys.map(k => ({
        label: k,
        value: k,
        description: champion
          ? `champion ${fmtMetric(champion.metrics[k])} → challenger ${fmtMetric(challenger.metrics[k])}`
          : `v${challenger.version}: ${fmtMetric(challenger.metrics[k])}`,
      })),
      {
        title: `${TITLE}: which metric decides?`,
        placeHolder: `${m.name} has no primary metric yet; it is recorded for future promotions`,
      },
    );
    const guess = guessDirection(metric);
    const direction = await ask<Direction>(
      [
        { label: guess === 'maximize' ? 'Higher is better' : 'Lower is better', value: guess },
        {
          label: guess === 'maximize' ? 'Lower is better' : 'Higher is better',
          value: guess === 'maximize' ? 'minimize' : 'maximize',
        },
      ],
      { title: `${TITLE}: ${metric}` },
    );
    const margin = await askText({
      title: `${TITLE}: ${metric}`,
      value: '0',
      prompt:
        'By how much must the challenger beat the champion? An absolute amount (0.01), a percentage (1%), or 0 for any improvement.',
      validateInput: v => (/^\s*\d*\.?\d+\s*%?\s*$/.test(v) ? undefined : 'A non-negative number, optionally with %'),
    });
    const relative = margin.trim().endsWith('%');
    const amount = Number(margin.replace('%', '').trim()) / (relative ? 100 : 1);
    const settings: ModelSettings = {
      ...m.settings,
      primaryMetric: metric,
      direction,
      minImprovement: amount,
      relativeImprovement: relative,
    };
    await registry.configure(m.name, settings);
    return settings;
  }

  private buildAb(
    folder: vscode.WorkspaceFolder,
    spec: AbSpec,
    settings: ModelSettings,
    canary: CanaryConfig | null,
    pv: PromotionPreview,
    events: readonly AuditEvent[],
  ): AbBuilt {
    // the canary's share when one is configured (that is what mlsight.route sends to the challenger)
    const share = spec.share ?? plannedShare(settings, canary);
    const options = {
      alpha: settings.alpha,
      power: settings.power,
      targetLift: settings.targetLift,
      challengerShare: share,
      sequential: settings.sequential,
    };
    if ('file' in spec) {
      // only the outcomes of the two versions compared, inside their canary window (abAttribution.ts)
      const file = path.resolve(folder.uri.fsPath, spec.file);
      const rel = vscode.workspace.asRelativePath(file);
      const res = analyseAttributedOutcomes({
        folder: folder.uri.fsPath,
        model: pv.model.name,
        file,
        events,
        settings,
        champion: pv.currentVersion,
        challenger: pv.challenger.version,
        share,
        metric: spec.metric,
        guardrails: spec.guardrails,
      });
      if (!res || (!res.analysis && res.excluded.count === 0)) {
        throw new StatsInputError(res?.message ?? `${rel} has no usable outcomes`);
      }
      const label = `${rel} (${res.table.rows} rows of v${pv.currentVersion ?? '?'} and v${pv.challenger.version}${res.excluded.count ? `, ${res.excluded.count} excluded` : ''})`;
      return {
        analysis: res.analysis,
        source: { ...res.source, attributed: res.table.units !== null },
        label,
        excluded: res.excluded,
      };
    }
    if ('champion' in spec) {
      const name = spec.metric ?? 'conversion';
      const data = {
        kind: 'proportion' as const,
        champion: parseCounts(spec.champion, 'champion arm'),
        challenger: parseCounts(spec.challenger, 'challenger arm'),
      };
      return {
        analysis: analyzeAb([{ name, role: 'primary', direction: 'maximize', data }], options),
        source: { kind: 'counts', champion: spec.champion, challenger: spec.challenger },
        label: `counts: champion ${spec.champion}, challenger ${spec.challenger}`,
      };
    }
    const name = spec.metric ?? 'value';
    const data = {
      kind: 'mean' as const,
      champion: parseMeanSummary(spec.championMean, 'champion arm'),
      challenger: parseMeanSummary(spec.challengerMean, 'challenger arm'),
    };
    return {
      analysis: analyzeAb([{ name, role: 'primary', direction: guessDirection(name), data }], options),
      source: { kind: 'summaries', champion: spec.championMean, challenger: spec.challengerMean },
      label: `means: champion ${spec.championMean}, challenger ${spec.challengerMean}`,
    };
  }

  private async askAb(folder: vscode.WorkspaceFolder, m: ModelDetail): Promise<AbSpec | null> {
    const logged = path.join(folder.uri.fsPath, '.mlsight', 'ab', `${m.name.replace(/[^\w.-]+/g, '_')}.jsonl`);
    type Choice = 'logged' | 'counts' | 'means' | 'file' | 'none';
    const items: Item<Choice>[] = [
      ...(fs.existsSync(logged)
        ? [
            {
              label: '$(pulse) Outcomes logged by mlsight.log_outcome',
              description: vscode.workspace.asRelativePath(logged),
              value: 'logged' as Choice,
            },
          ]
        : []),
      {
        label: '$(symbol-numeric) Enter conversion counts…',
        description: 'successes/requests per arm, e.g. 120/1000',
        value: 'counts',
      },
      { label: '$(graph) Enter means…', description: 'n, mean and standard deviation per arm', value: 'means' },
      {
        label: '$(folder-opened) Choose an outcomes file…',
        description: 'CSV or JSON Lines: a variant column and metric columns',
        value: 'file',
      },
      { label: '$(circle-slash) No A/B data', description: 'decide on the offline metrics only', value: 'none' },
    ];
    const choice = await ask(items, {
      title: `${TITLE}: A/B test of the challenger against the champion`,
      placeHolder: 'Where are the A/B results?',
    });
    if (choice === 'none') {
      return null;
    }
    const share =
      m.canary?.share ??
      m.settings.challengerShare ??
      Number(
        await askText({
          title: `${TITLE}: traffic split`,
          value: '0.5',
          prompt:
            "The challenger's planned share of traffic (0.05 for a 5 % canary, 0.5 for an even split); checked against what the arms received. It is recorded for this model.",
          validateInput: v => (Number(v) > 0 && Number(v) < 1 ? undefined : 'A number between 0 and 1'),
        }),
      );
    if (m.settings.challengerShare === undefined && !m.canary) {
      const registry = await this.deps.registries.get(folder);
      await registry.configure(m.name, { ...registry.model(m.name)!.settings, challengerShare: share });
    }
    const validate = (parse: (s: string) => unknown) => (v: string) => {
      try {
        parse(v);
        return undefined;
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    };
    if (choice === 'counts') {
      const champion = await askText({
        title: `${TITLE}: champion arm`,
        prompt: 'Conversions / requests served by the champion',
        placeHolder: '120/1000',
        validateInput: validate(s => parseCounts(s)),
      });
      const challenger = await askText({
        title: `${TITLE}: challenger arm`,
        prompt: 'Conversions / requests served by the challenger',
        placeHolder: '150/1000',
        validateInput: validate(s => parseCounts(s)),
      });
      return { champion, challenger, share };
    }
    if (choice === 'means') {
      const championMean = await askText({
        title: `${TITLE}: champion arm`,
        prompt: "n:mean:sd of the champion's metric",
        placeHolder: '1000:10.2:3.1',
        validateInput: validate(s => parseMeanSummary(s)),
      });
      const challengerMean = await askText({
        title: `${TITLE}: challenger arm`,
        prompt: "n:mean:sd of the challenger's metric",
        placeHolder: '1000:10.6:3.0',
        validateInput: validate(s => parseMeanSummary(s)),
      });
      const metric = await askText({
        title: `${TITLE}: metric`,
        prompt: 'Name of this metric (its name tells whether higher or lower is better, e.g. revenue, latency_ms)',
        value: 'revenue',
      });
      return { championMean, challengerMean, metric: metric.trim() || 'value', share };
    }
    let file = logged;
    if (choice === 'file') {
      const picked = await vscode.window.showOpenDialog({
        title: 'A/B outcomes',
        canSelectMany: false,
        defaultUri: folder.uri,
        filters: { 'Outcomes (CSV, JSON Lines)': ['csv', 'jsonl', 'json'] },
      });
      if (!picked?.length) {
        throw new Cancelled();
      }
      file = picked[0].fsPath;
    }
    const table = parseOutcomes(fs.readFileSync(file, 'utf8'), {
      format: /\.csv$/i.test(file) ? 'csv' : undefined,
      model: choice === 'logged' ? m.name : undefined,
    });
    if (!table.metrics.length) {
      throw new StatsInputError(`${path.basename(file)} has no metric columns besides the variant`);
    }
    const metric =
      table.metrics.length === 1
        ? table.metrics[0]
        : await ask(
            table.metrics.map(k => ({
              label: k,
              value: k,
              description: k === m.settings.primaryMetric ? 'primary metric' : '',
            })),
            { title: `${TITLE}: A/B metric`, placeHolder: 'Which metric decides (the business metric)?' },
          );
    let guardrails: string[] = [];
    const rest = table.metrics.filter(k => k !== metric);
    if (rest.length) {
      const pre = new Set((m.settings.guardrails ?? []).map(g => g.metric));
      const picked = await vscode.window.showQuickPick(
        rest.map(k => ({
          label: k,
          picked: pre.has(k),
          description: guessDirection(k) === 'maximize' ? 'higher is better' : 'lower is better',
        })),
        {
          title: `${TITLE}: guardrails`,
          placeHolder: 'Metrics that must not get significantly worse (none is fine)',
          canPickMany: true,
          ignoreFocusOut: true,
        },
      );
      if (!picked) {
        throw new Cancelled();
      }
      guardrails = picked.map(p => p.label);
    }
    return { file, metric, guardrails, share };
  }

  async promote(item?: unknown, opts: PromoteOptions = {}): Promise<PromoteOutcome | TeamPromoteOutcome> {
    try {
      if (await this.isTeamTarget(item, opts, TITLE)) {
        const n = isTeamModelNode(item) ? item : undefined;
        const out = await promoteTeamModel(this.teamDeps(), {
          ...opts.team,
          model: opts.team?.model ?? n?.model.name,
          version: opts.team?.version ?? (n?.kind === 'teamVersion' ? n.version.version : undefined),
        });
        this.deps.teamChanged?.();
        return out;
      }
      const folder = await this.folderFor(item, opts.folder);
      if (!folder) {
        void vscode.window.showInformationMessage('ML Sight: open a folder with a registered model first.');
        return { promoted: false, cancelled: true };
      }
      const registry = await this.deps.registries.get(folder);
      let m = opts.model
        ? registry.model(opts.model)
        : isModelNode(item) || isVersionNode(item)
          ? registry.model(item.model.name)
          : await this.pickModel(registry, folder, TITLE);
      if (!m) {
        throw new RegistryError(`There is no registered model named ${JSON.stringify(opts.model)}.`);
      }
      if (m.backend === 'mlflow-sqlite') {
        throw new RegistryError(
          `${m.name} is read from an MLflow database, which ML Sight never writes: promote it with MLflow (MlflowClient().set_registered_model_alias).`,
        );
      }
      if (m.versions.length < 1) {
        throw new RegistryError(`${m.name} has no versions.`);
      }
      const challengerAlias = m.aliases.challenger;
      const version =
        opts.version ?? (isVersionNode(item) ? item.version.version : await this.pickChallenger(m, challengerAlias));
      const target =
        opts.target ??
        (opts.model || isModelNode(item) || isVersionNode(item)
          ? { alias: 'champion' }
          : await this.pickTarget(m, version));
      let pv = registry.preview(m.name, version, target);
      if (!pv.model.settings.primaryMetric) {
        if (opts.settings) {
          await registry.configure(m.name, { ...m.settings, ...opts.settings });
        } else {
          await this.configureInteractively(registry, m, pv.challenger, pv.champion);
        }
        m = registry.model(m.name)!;
      }
      const spec = opts.ab !== undefined ? opts.ab : await this.askAb(folder, m);
      m = registry.model(m.name)!;
      const store = await this.deps.stores.get(folder);
      const ab = spec
        ? this.buildAb(
            folder,
            spec,
            m.settings,
            m.canary,
            pv,
            store.read(db => storedEvents(db, m.name)),
          )
        : null;
      pv = registry.preview(m.name, version, target, ab?.analysis ?? null, undefined, ab?.excluded);
      const history = store
        .read(db => registryHistory(db, m.name, 12))
        .reverse()
        .map(h => {
          const settings =
            h.action === 'model.configure' ? (h.evidence?.settings as ModelSettings | undefined) : undefined;
          return {
            at: h.at,
            actor: h.actor,
            action: h.action,
            version: h.version,
            alias: h.alias,
            reason: h.reason,
            override: !!h.evidence?.override,
            from: settings ? null : h.from,
            to: settings ? describeSettings(settings) : h.to,
          };
        });
      const review = promoteReview(pv, history, ab);
      let decision: { reason: string; override: boolean } | undefined;
      if (opts.review === false) {
        decision = opts.reason ? { reason: opts.reason, override: opts.override === true } : undefined;
        if (!decision) {
          throw new RegistryError('A promotion needs a reason.');
        }
      } else {
        decision = await this.deps.panel.review(review, runId => this.deps.openRun(folder, runId));
      }
      if (!decision) {
        return { promoted: false, cancelled: true, review, gate: pv.gate };
      }
      const where = targetLabel(target);
      if (opts.confirm !== false) {
        const from = pv.currentVersion !== null ? ` (now v${pv.currentVersion})` : '';
        const msg = decision.override
          ? `Override the failed gate and make ${m.name} v${version} ${where}${from}? Your reason is recorded as an override in the audit log.`
          : `Make ${m.name} v${version} ${where}${from}?`;
        const ok = await vscode.window.showWarningMessage(
          msg,
          { modal: true, detail: decision.reason },
          decision.override ? 'Promote Anyway' : 'Promote',
        );
        if (!ok) {
          this.deps.panel.post({ type: 'error', message: 'Not promoted (cancelled).' });
          return { promoted: false, cancelled: true, review, gate: pv.gate };
        }
      }
      this.deps.panel.post({ type: 'busy', message: `Promoting ${m.name} v${version} to ${where}…` });
      let result;
      try {
        result = await vscode.window.withProgress(
          {
            location: vscode.ProgressLocation.Notification,
            title: `ML Sight: promoting ${m.name} v${version} to ${where}…`,
          },
          () =>
            registry.promote({
              model: m.name,
              version,
              target,
              reason: decision.reason,
              override: decision.override,
              ab: ab ? { analysis: ab.analysis, source: ab.source, excluded: ab.excluded } : null,
            }),
        );
      } catch (e) {
        const message =
          e instanceof GateFailedError
            ? `Not promoted: ${e.gate.failures.join(' ')}`
            : e instanceof Error
              ? e.message
              : String(e);
        this.deps.panel.post({ type: 'error', message });
        throw e;
      }
      const done = `${m.name} v${version} is now ${where}${result.overridden ? ' (gate overridden)' : ''}${m.backend === 'mlflow-filestore' ? "; MLflow's files were updated" : ''}.`;
      this.deps.panel.post({ type: 'done', message: done });
      void vscode.window.showInformationMessage(`ML Sight: ${done}`, 'Undo').then(c => {
        if (c) {
          void vscode.commands.executeCommand('mlsight.undoPromotion', undefined, {
            folder: folder.uri.toString(),
            model: m.name,
          });
        }
      });
      return { promoted: true, event: result.event, gate: result.gate, review };
    } catch (e) {
      if (e instanceof Cancelled) {
        return { promoted: false, cancelled: true };
      }
      throw e;
    }
  }

  private teamDeps(): TeamPromoteDeps {
    const team = this.deps.team ?? (async () => undefined);
    return { panel: this.deps.panel, log: this.deps.log, team, openRun: id => this.deps.openRun(undefined, id) };
  }

  private pickChallenger(m: ModelDetail, challengerAlias: number | undefined): Promise<number> {
    const metric = m.settings.primaryMetric;
    const champ = m.aliases.champion !== undefined ? m.versions.find(v => v.version === m.aliases.champion) : undefined;
    const items = m.versions
      .map(v => {
        let detail: string | undefined;
        if (metric) {
          const x = v.metrics[metric];
          const c = champ?.metrics[metric];
          const d =
            x !== undefined && c !== undefined && champ && champ.version !== v.version
              ? ` (${x - c >= 0 ? '+' : ''}${fmtMetric(x - c)} vs champion v${champ.version})`
              : '';
          detail = `${metric} ${fmtMetric(x)}${d}`;
        } else {
          detail =
            Object.entries(v.metrics)
              .slice(0, 3)
              .map(([k, x]) => `${k} ${fmtMetric(x)}`)
              .join(' · ') || undefined;
        }
        return {
          label: `v${v.version}`,
          value: v.version,
          description: [...v.aliases.map(a => `@${a}`), v.stage !== 'None' ? v.stage : '', v.runName ?? '']
            .filter(Boolean)
            .join(' · '),
          detail,
        };
      })
      .filter(i => i.value !== m.aliases.champion);
    if (!items.length) {
      guide(`${m.name} has only its champion: register a challenger version to promote.`, {
        title: 'Register Model…',
        command: 'mlsight.registerModel',
      });
    }
    if (challengerAlias !== undefined) {
      items.sort((a, b) => (a.value === challengerAlias ? -1 : b.value === challengerAlias ? 1 : 0));
    }
    return ask(items, { title: `${TITLE}: ${m.name}`, placeHolder: 'Which version is the challenger?' });
  }

  private pickTarget(m: ModelDetail, version: number): Promise<PromotionTarget> {
    const others = Object.keys(m.aliases).filter(a => a !== 'champion' && a !== 'challenger');
    return ask<PromotionTarget>(
      [
        {
          label: '@champion',
          description: m.aliases.champion !== undefined ? `now v${m.aliases.champion}` : 'not set yet',
          detail: 'models:/name@champion — the alias serving code loads',
          value: { alias: 'champion' },
        },
        ...others.map(a => ({
          label: `@${a}`,
          description: `now v${m.aliases[a]}`,
          value: { alias: a },
        })),
        {
          label: 'Stage: Production',
          description: "MLflow's legacy stage; archives the version now in Production",
          value: { stage: 'Production', archiveExisting: true },
        },
        {
          label: 'Stage: Staging',
          description: "MLflow's legacy stage; archives the version now in Staging",
          value: { stage: 'Staging', archiveExisting: true },
        },
      ],
      { title: `${TITLE}: ${m.name} v${version}`, placeHolder: 'Promote to…' },
    );
  }
}
