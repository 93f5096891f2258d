import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { AbMetricInput, analyzeAb } from '../core/registry/abAnalysis';
import { metricData, parseOutcomes } from '../core/registry/abData';
import { guessDirection } from '../core/registry/gate';
import { ModelSettings } from '../core/registry/state';
import { describeChain, readAuditLog } from '../core/registry/auditLog';
import { ModelDetail, plannedShare, registryHistory } from '../core/registry/views';
import { Logger } from '../core/log';
import { gitArgs, gitRefProblem, isCommitId } from '../core/git';
import { Panel, PanelHost, PanelPage } from '../platform/webviewPanel';
import { StoreManager } from '../workspace/storeManager';
import { teamAuditHistory } from '../core/tracking/teamRegistry';
import { loadTeamModelDetail, teamRunRef } from '../core/tracking/teamView';
import type { TeamRegistrySource } from './modelsTree';
import { teamHistoryView } from './teamPromote';
import {
  HistoryView,
  HostToModelPage,
  MODEL_PAGE_MESSAGES,
  MODEL_PAGE_VIEW_TYPE,
  ModelPageData,
  ModelPageState,
  ModelPageToHost,
  modelPageStateFrom,
} from './contract';
import { abView, describeSettings, versionCard } from './registryViews';
import { RegistryService } from './registryService';

/** `.mlsight/ab/<model>.jsonl`, named as mlsight.log_outcome names it. */
export function abOutcomesFile(folder: string, model: string): string {
  return path.join(folder, '.mlsight', 'ab', `${model.replace(/[^\w.-]+/g, '_')}.jsonl`);
}

/** The latest A/B analysis of a model's logged outcomes (primary: the gate's metric when logged, else the first). */
export function analyseLoggedOutcomes(folder: string, m: ModelDetail): ModelPageData['ab'] {
  const file = abOutcomesFile(folder, m.name);
  const rel = path.relative(folder, file).split(path.sep).join('/');
  if (!fs.existsSync(file)) {
    return {
      file: rel,
      rows: 0,
      analysis: null,
      message: `No outcomes yet: log them with mlsight.log_outcome(${JSON.stringify(m.name)}, request_key, converted=1, …) in the serving code.`,
    };
  }
  try {
    const table = parseOutcomes(fs.readFileSync(file, 'utf8'));
    if (!table.metrics.length) {
      return { file: rel, rows: 0, analysis: null, message: `${rel} has no metric columns yet.` };
    }
    const s: ModelSettings = m.settings;
    const primary = s.primaryMetric && table.metrics.includes(s.primaryMetric) ? s.primaryMetric : table.metrics[0];
    const guards = (s.guardrails ?? []).filter(g => table.metrics.includes(g.metric) && g.metric !== primary);
    const others = table.metrics
      .filter(x => x !== primary && !guards.some(g => g.metric === x))
      .map(x => ({ metric: x, direction: guessDirection(x) }));
    const inputs: AbMetricInput[] = [
      {
        name: primary,
        role: 'primary',
        direction: primary === s.primaryMetric && s.direction ? s.direction : guessDirection(primary),
        data: metricData(table, primary),
      },
      ...[...guards, ...others].map(g => ({
        name: g.metric,
        role: 'guardrail' as const,
        direction: g.direction,
        data: metricData(table, g.metric),
      })),
    ];
    const analysis = analyzeAb(inputs, {
      alpha: s.alpha,
      power: s.power,
      targetLift: s.targetLift,
      challengerShare: plannedShare(s, m.canary),
      sequential: s.sequential,
    });
    return { file: rel, rows: table.rows, analysis: abView(analysis, `${rel} (${table.rows} rows)`) };
  } catch (e) {
    return {
      file: rel,
      rows: 0,
      analysis: null,
      message: `${rel} could not be analysed: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

/**
 * Model pages: one webview panel per registered model (reused when opened again), restored after a reload. The
 * panels live in the one panel host (src/platform/webviewPanel.ts), which validates every message field by field.
 */
export class ModelPages implements vscode.Disposable {
  readonly host: PanelHost<ModelPageState, HostToModelPage, ModelPageToHost>;

  constructor(
    extensionUri: vscode.Uri,
    private readonly stores: StoreManager,
    private readonly registries: RegistryService,
    log: Logger,
  ) {
    this.host = new PanelHost(
      { extensionUri, log, onStoreChange: stores.onDidChange },
      {
        viewType: MODEL_PAGE_VIEW_TYPE,
        bundle: 'model',
        name: 'Model page',
        title: s => `Model ${s.model}${s.team ? ' · team' : ''}`,
        key: keyOf,
        restore: modelPageStateFrom,
        folderOf: s => s.folder,
        messages: MODEL_PAGE_MESSAGES,
        refreshDelayMs: 400,
      },
      panel => new ModelPage(panel, this.host, this.stores, this.registries, () => this.team),
    );
  }

  private team: TeamRegistrySource | undefined;

  /** The team tracking backend (mlsight.tracking.uri): team models open in these pages too. */
  setTeam(team: TeamRegistrySource): void {
    this.team = team;
  }

  /** The team's registered models (none without a tracking URI, or while the backend does not answer). */
  async teamModelNames(): Promise<string[]> {
    if (!this.team?.roots().length) {
      return [];
    }
    const b = await this.team.open().catch(() => undefined);
    return b ? (await b.listModels().catch(() => [])).map(m => m.name) : [];
  }

  /** messages posted to model pages (extension-host tests read them) */
  get recorded(): HostToModelPage[] | undefined {
    return this.host.recorded;
  }
  set recorded(r: HostToModelPage[] | undefined) {
    this.host.recorded = r;
  }

  /** The open pages by key, each taking a message as its webview would (validated by the host; tests use it). */
  get panels(): Map<string, { onMessage(m: unknown): Promise<void> }> {
    return new Map(
      this.host.panels().map(p => [keyOf(p.state), { onMessage: (m: unknown) => this.host.receive(p, m) }] as const),
    );
  }

  /** folder undefined: a model of the team tracking backend */
  open(folder: vscode.WorkspaceFolder | undefined, model: string): void {
    const state: ModelPageState = folder ? { folder: folder.uri.toString(), model } : { folder: '', model, team: true };
    const existing = this.host.find(keyOf(state));
    if (existing) {
      existing.reveal();
      return;
    }
    this.host.open(state);
  }

  dispose(): void {
    this.host.dispose();
  }
}

/** The registry command behind each action of the model page. */
const MODEL_COMMAND = {
  configureCanary: 'mlsight.configureCanary',
  promote: 'mlsight.promoteModel',
  setAlias: 'mlsight.setModelAlias',
  undoPromotion: 'mlsight.undoPromotion',
} as const;

const keyOf = (s: ModelPageState): string => `${s.team ? 'team' : s.folder}#${s.model}`;

/** What one page shows that depends on where the model lives (the workspace's registry or the team backend). */
type Loaded = { m: ModelDetail; rest: Omit<ModelPageData, keyof ReturnType<typeof modelFacts>> } | { error: string };

/** The model page's data from the registry's read model (ModelDetail), the same for a workspace and a team model. */
function modelFacts(m: ModelDetail) {
  const keys = new Set<string>();
  for (const v of m.versions) {
    for (const k of Object.keys(v.metrics)) {
      keys.add(k);
    }
  }
  const primary = m.settings.primaryMetric ?? null;
  return {
    model: m.name,
    backend: m.backend,
    description: m.description,
    aliases: m.aliases,
    canary: m.canary,
    primaryMetric: primary,
    direction: primary ? (m.settings.direction ?? guessDirection(primary)) : null,
    versions: m.versions.map(v => ({
      ...versionCard(v),
      metrics: Object.fromEntries(Object.entries(v.metrics).filter(([, x]) => Number.isFinite(x))),
    })),
    metricKeys: [...keys].sort((a, b) => (a === primary ? -1 : b === primary ? 1 : a.localeCompare(b))),
  };
}

/** What a team model's page cannot offer, in words (shown where the workspace page has the canary and A/B). */
export const TEAM_UNSUPPORTED =
  'Canary and A/B test need the outcome logs a workspace keeps (.mlsight/ab/<model>.jsonl, written through ' +
  "mlsight.route/log_outcome); they are not in the team's MLflow backend. Promote… compares the versions' runs " +
  'through the same gate.';

class ModelPage implements PanelPage<ModelPageToHost> {
  private disposed = false;
  private readonly abWatcher: vscode.FileSystemWatcher | undefined;
  private readonly teamSub: vscode.Disposable | undefined;

  constructor(
    private readonly panel: Panel<ModelPageState, HostToModelPage>,
    host: PanelHost<ModelPageState, HostToModelPage, ModelPageToHost>,
    private readonly stores: StoreManager,
    private readonly registries: RegistryService,
    private readonly team: () => TeamRegistrySource | undefined,
  ) {
    const folder = this.folder();
    if (panel.state.team) {
      // the team's registry changed (a promotion or alias move from here, or the poll saw one from elsewhere)
      this.teamSub = team()?.onDidChange(() => host.refreshSoon(panel));
    } else if (folder) {
      // outcomes logged by the serving code: the A/B tab follows them
      const pattern = new vscode.RelativePattern(folder, '.mlsight/{ab/*.jsonl,registry.json}');
      this.abWatcher = vscode.workspace.createFileSystemWatcher(pattern);
      this.abWatcher.onDidChange(() => host.refreshSoon(panel));
      this.abWatcher.onDidCreate(() => host.refreshSoon(panel));
    }
  }

  private folder(): vscode.WorkspaceFolder | undefined {
    return this.stores.folders().find(f => f.uri.toString() === this.panel.state.folder);
  }

  private post(m: HostToModelPage): void {
    if (!this.disposed) {
      this.panel.post(m);
    }
  }

  async refresh(): Promise<void> {
    if (this.disposed) {
      return;
    }
    const loaded = this.panel.state.team ? await this.loadTeam() : await this.loadWorkspace();
    if (this.disposed) {
      return;
    }
    if ('error' in loaded) {
      this.post({ type: 'error', message: loaded.error });
      return;
    }
    const data: ModelPageData = { ...modelFacts(loaded.m), ...loaded.rest };
    this.panel.title = `Model ${loaded.m.name}${this.panel.state.team ? ' · team' : ''}`;
    this.post({ type: 'data', data, state: this.panel.state });
  }

  private async loadWorkspace(): Promise<Loaded> {
    const folder = this.folder();
    if (!folder) {
      return { error: 'The folder of this model is no longer open.' };
    }
    const registry = await this.registries.get(folder);
    const m = registry.model(this.panel.state.model);
    if (!m) {
      return {
        error: `There is no registered model named ${JSON.stringify(this.panel.state.model)} here (any more).`,
      };
    }
    const store = await this.stores.get(folder);
    const chain = (await readAuditLog(folder.uri.fsPath)).chain;
    const unverified = new Set(chain?.unverified ?? []);
    const history: HistoryView[] = store
      .read(db => registryHistory(db, m.name, 2000))
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
          ...(unverified.has(h.id) ? { unverified: true } : {}),
        };
      });
    return {
      m,
      rest: {
        history,
        auditChain: {
          state: chain?.state ?? 'empty',
          message: describeChain(chain) ?? null,
          firstBadLine: chain?.firstBad?.line ?? null,
        },
        ab: analyseLoggedOutcomes(folder.uri.fsPath, m),
        gitActions: vscode.workspace.isTrusted && fs.existsSync(path.join(folder.uri.fsPath, '.git')),
        team: null,
      },
    };
  }

  /** A team model: read from the team backend; its audit history from the versions' mlsight.audit.* tags. */
  private async loadTeam(): Promise<Loaded> {
    const name = this.panel.state.model;
    try {
      const b = await this.team()?.open();
      if (!b) {
        return { error: 'No team tracking backend: set mlsight.tracking.uri (or MLFLOW_TRACKING_URI).' };
      }
      const m = await loadTeamModelDetail(b, name);
      if (!m) {
        return { error: `${b.displayUri} has no registered model named ${JSON.stringify(name)} (any more).` };
      }
      return {
        m,
        rest: {
          history: teamAuditHistory(m).map(teamHistoryView),
          auditChain: { state: 'empty', message: null, firstBadLine: null },
          ab: { file: '', rows: 0, analysis: null, message: TEAM_UNSUPPORTED },
          gitActions: false,
          team: { uri: b.displayUri, raceFree: b.kind !== 'rest', unsupported: TEAM_UNSUPPORTED },
        },
      };
    } catch (e) {
      return { error: `Team model ${name}: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  async onMessage(msg: Exclude<ModelPageToHost, { type: 'ready' }>): Promise<void> {
    if (this.panel.state.team) {
      return this.onTeamMessage(msg);
    }
    const folder = this.folder();
    switch (msg.type) {
      case 'refresh':
        await this.refresh();
        break;
      case 'openRun':
        if (folder) {
          await vscode.commands.executeCommand('mlsight.openRunById', folder.uri.toString(), msg.runId);
        }
        break;
      case 'showCommit': {
        if (!folder) {
          return;
        }
        // only commits of this model's versions
        const registry = await this.registries.get(folder);
        const known = registry.model(this.panel.state.model)?.versions.some(v => v.gitCommit === msg.commit);
        if (!known) {
          return;
        }
        if (!vscode.workspace.isTrusted) {
          await vscode.env.clipboard.writeText(msg.commit);
          void vscode.window.showInformationMessage(
            `ML Sight: copied commit ${msg.commit.slice(0, 10)} (git is not run in an untrusted workspace).`,
          );
          return;
        }
        if (!isCommitId(msg.commit)) {
          void vscode.window.showErrorMessage(`ML Sight: ${gitRefProblem(msg.commit, null)}; git was not run.`);
          return;
        }
        const text = await new Promise<string>(resolve =>
          execFile(
            'git',
            gitArgs(['show'], ['--stat', '--format=fuller', '--no-color'], [msg.commit], { paths: [] }),
            { cwd: folder.uri.fsPath, timeout: 10000, maxBuffer: 8 * 1024 * 1024, windowsHide: true },
            (err, stdout, stderr) => resolve(err ? `git show ${msg.commit} failed: ${stderr || err.message}` : stdout),
          ),
        );
        const doc = await vscode.workspace.openTextDocument({ content: text, language: 'git-commit' });
        await vscode.window.showTextDocument(doc, { preview: true });
        break;
      }
      case 'configureCanary':
      case 'promote':
      case 'setAlias':
      case 'undoPromotion':
        // the registry's own commands, for this page's model (and the version the page names)
        if (folder) {
          const version = 'version' in msg && msg.version !== undefined ? { version: msg.version } : {};
          await vscode.commands.executeCommand(MODEL_COMMAND[msg.type], undefined, {
            folder: folder.uri.toString(),
            model: this.panel.state.model,
            ...version,
          });
        }
        break;
    }
  }

  /** A team model's page: runs open as team runs; promotions and alias moves go to the team backend. */
  private async onTeamMessage(msg: Exclude<ModelPageToHost, { type: 'ready' }>): Promise<void> {
    const model = this.panel.state.model;
    const version = 'version' in msg && msg.version !== undefined ? { version: msg.version } : {};
    switch (msg.type) {
      case 'refresh':
        return this.refresh();
      case 'openRun':
        await vscode.commands.executeCommand('mlsight.openRunById', '', teamRunRef(msg.runId));
        return;
      case 'showCommit':
        // the commit is in the workspace of whoever trained the version, not necessarily here
        await vscode.env.clipboard.writeText(msg.commit);
        vscode.window.setStatusBarMessage(`ML Sight: copied commit ${msg.commit.slice(0, 10)}`, 4000);
        return;
      case 'configureCanary':
        void vscode.window.showInformationMessage(`ML Sight: ${TEAM_UNSUPPORTED}`);
        return;
      case 'promote':
        await vscode.commands.executeCommand('mlsight.promoteModel', undefined, { team: { model, ...version } });
        return;
      case 'setAlias':
        await vscode.commands.executeCommand('mlsight.setModelAlias', undefined, { team: true, model, ...version });
        return;
      case 'undoPromotion':
        await vscode.commands.executeCommand('mlsight.undoPromotion', undefined, { team: true, model });
        return;
    }
  }

  dispose(): void {
    this.disposed = true;
    this.abWatcher?.dispose();
    this.teamSub?.dispose();
  }
}
