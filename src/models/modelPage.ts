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
import { DisposableStore } from '../platform/disposables';
import { webviewHtml, webviewOptions } from '../platform/webviewHtml';
import { StoreManager } from '../workspace/storeManager';
import { HistoryView } from './contract';
import { HostToModelPage, MODEL_PAGE_VIEW_TYPE, ModelPageData, ModelPageState, isModelPageToHost } from './modelPageContract';
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
  if (!fs.existsSync(file)) { return { file: rel, rows: 0, analysis: null, message: `No outcomes yet: log them with mlsight.log_outcome(${JSON.stringify(m.name)}, request_key, converted=1, …) in the serving code.` }; }
  try {
    const table = parseOutcomes(fs.readFileSync(file, 'utf8'));
    if (!table.metrics.length) { return { file: rel, rows: 0, analysis: null, message: `${rel} has no metric columns yet.` }; }
    const s: ModelSettings = m.settings;
    const primary = s.primaryMetric && table.metrics.includes(s.primaryMetric) ? s.primaryMetric : table.metrics[0];
    const guards = (s.guardrails ?? []).filter(g => table.metrics.includes(g.metric) && g.metric !== primary);
    const others = table.metrics.filter(x => x !== primary && !guards.some(g => g.metric === x)).map(x => ({ metric: x, direction: guessDirection(x) }));
    const inputs: AbMetricInput[] = [
      { name: primary, role: 'primary', direction: primary === s.primaryMetric && s.direction ? s.direction : guessDirection(primary), data: metricData(table, primary) },
      ...[...guards, ...others].map(g => ({ name: g.metric, role: 'guardrail' as const, direction: g.direction, data: metricData(table, g.metric) })),
    ];
    const analysis = analyzeAb(inputs, { alpha: s.alpha, power: s.power, targetLift: s.targetLift, challengerShare: plannedShare(s, m.canary), sequential: s.sequential });
    return { file: rel, rows: table.rows, analysis: abView(analysis, `${rel} (${table.rows} rows)`) };
  } catch (e) {
    return { file: rel, rows: 0, analysis: null, message: `${rel} could not be analysed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** Model pages: one webview panel per registered model (reused when opened again), restored after a reload. */
export class ModelPages implements vscode.Disposable {
  private readonly panels = new Map<string, ModelPage>();
  private readonly disposables = new DisposableStore();
  /** messages posted to model pages (extension-host tests read them) */
  recorded: HostToModelPage[] | undefined;

  constructor(private readonly extensionUri: vscode.Uri, private readonly stores: StoreManager, private readonly registries: RegistryService, private readonly log: Logger) {
    this.disposables.track(vscode.window.registerWebviewPanelSerializer(MODEL_PAGE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        const s = state as Partial<ModelPageState> | undefined;
        if (!s || typeof s.folder !== 'string' || typeof s.model !== 'string') { panel.dispose(); return; }
        this.adopt(panel, { folder: s.folder, model: s.model, tab: s.tab });
      },
    }));
  }

  open(folder: vscode.WorkspaceFolder, model: string): void {
    const key = `${folder.uri}#${model}`;
    const existing = this.panels.get(key);
    if (existing) { existing.reveal(); return; }
    const panel = vscode.window.createWebviewPanel(MODEL_PAGE_VIEW_TYPE, `Model ${model}`, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, webviewOptions(this.extensionUri));
    this.adopt(panel, { folder: folder.uri.toString(), model });
  }

  private adopt(panel: vscode.WebviewPanel, state: ModelPageState): void {
    const key = `${state.folder}#${state.model}`;
    const page = new ModelPage(panel, state, this.extensionUri, this.stores, this.registries, this.log, m => this.recorded?.push(m));
    this.panels.set(key, page);
    page.onDispose(() => { if (this.panels.get(key) === page) { this.panels.delete(key); } });
  }

  dispose(): void { for (const p of [...this.panels.values()]) { p.dispose(); } this.disposables.dispose(); }
}

class ModelPage {
  private readonly disposables = new DisposableStore();
  private ready = false;
  private disposed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: (() => void)[] = [];
  private abWatcher: vscode.FileSystemWatcher | undefined;

  constructor(private readonly panel: vscode.WebviewPanel, private readonly state: ModelPageState, extensionUri: vscode.Uri,
    private readonly stores: StoreManager, private readonly registries: RegistryService, private readonly log: Logger, private readonly record: (m: HostToModelPage) => void) {
    panel.webview.options = webviewOptions(extensionUri);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'activity.svg');
    panel.title = `Model ${state.model}`;
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'model', `Model ${state.model}`);
    this.disposables.track(panel.webview.onDidReceiveMessage(m => { void this.onMessage(m).catch(e => this.log.error(`Model page: ${e instanceof Error ? e.message : e}`)); }));
    this.disposables.track(panel.onDidDispose(() => this.dispose()));
    this.disposables.track(stores.onDidChange(f => { if (f.uri.toString() === state.folder) { this.schedule(); } }));
    const folder = this.folder();
    if (folder) {
      // outcomes logged by the serving code: the A/B tab follows them
      this.abWatcher = this.disposables.track(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '.mlsight/{ab/*.jsonl,registry.json}')));
      this.abWatcher.onDidChange(() => this.schedule());
      this.abWatcher.onDidCreate(() => this.schedule());
    }
  }

  onDispose(l: () => void): void { this.listeners.push(l); }
  reveal(): void { this.panel.reveal(); }

  private schedule(): void {
    if (!this.ready || this.timer || this.disposed) { return; }
    this.timer = setTimeout(() => { this.timer = undefined; void this.send(); }, 400);
  }

  private folder(): vscode.WorkspaceFolder | undefined { return this.stores.folders().find(f => f.uri.toString() === this.state.folder); }

  private post(m: HostToModelPage): void { this.record(m); void this.panel.webview.postMessage(m); }

  private async send(): Promise<void> {
    if (this.disposed) { return; }
    const folder = this.folder();
    if (!folder) { this.post({ type: 'error', message: 'The folder of this model is no longer open.' }); return; }
    const registry = await this.registries.get(folder);
    const m = registry.model(this.state.model);
    if (!m) { this.post({ type: 'error', message: `There is no registered model named ${JSON.stringify(this.state.model)} here (any more).` }); return; }
    const store = await this.stores.get(folder);
    const chain = (await readAuditLog(folder.uri.fsPath)).chain;
    const unverified = new Set(chain?.unverified ?? []);
    const history: HistoryView[] = store.read(db => registryHistory(db, m.name, 2000)).map(h => {
      const settings = h.action === 'model.configure' ? h.evidence?.settings as ModelSettings | undefined : undefined;
      return {
        at: h.at, actor: h.actor, action: h.action, version: h.version, alias: h.alias, reason: h.reason, override: !!h.evidence?.override,
        from: settings ? null : h.from, to: settings ? describeSettings(settings) : h.to, ...(unverified.has(h.id) ? { unverified: true } : {}),
      };
    });
    const keys = new Set<string>();
    for (const v of m.versions) { for (const k of Object.keys(v.metrics)) { keys.add(k); } }
    const primary = m.settings.primaryMetric ?? null;
    const metricKeys = [...keys].sort((a, b) => (a === primary ? -1 : b === primary ? 1 : a.localeCompare(b)));
    const data: ModelPageData = {
      model: m.name, backend: m.backend, description: m.description, aliases: m.aliases, canary: m.canary,
      primaryMetric: primary, direction: primary ? m.settings.direction ?? guessDirection(primary) : null,
      versions: m.versions.map(v => ({ ...versionCard(v), metrics: Object.fromEntries(Object.entries(v.metrics).filter(([, x]) => Number.isFinite(x))) })),
      metricKeys, history,
      auditChain: { state: chain?.state ?? 'empty', message: describeChain(chain) ?? null, firstBadLine: chain?.firstBad?.line ?? null },
      ab: analyseLoggedOutcomes(folder.uri.fsPath, m),
      gitActions: vscode.workspace.isTrusted && fs.existsSync(path.join(folder.uri.fsPath, '.git')),
    };
    this.panel.title = `Model ${m.name}`;
    this.post({ type: 'data', data, state: this.state });
  }

  private async onMessage(msg: unknown): Promise<void> {
    if (!isModelPageToHost(msg)) { this.log.warn('Model page: ignored an unknown message from the page.'); return; }
    const folder = this.folder();
    switch (msg.type) {
      case 'ready': this.ready = true; await this.send(); break;
      case 'refresh': await this.send(); break;
      case 'openRun':
        if (folder) { await vscode.commands.executeCommand('mlsight.openRunById', folder.uri.toString(), msg.runId); }
        break;
      case 'showCommit': {
        if (!folder) { return; }
        // only commits of this model's versions
        const registry = await this.registries.get(folder);
        const known = registry.model(this.state.model)?.versions.some(v => v.gitCommit === msg.commit);
        if (!known) { return; }
        if (!vscode.workspace.isTrusted) {
          await vscode.env.clipboard.writeText(msg.commit);
          void vscode.window.showInformationMessage(`ML Sight: copied commit ${msg.commit.slice(0, 10)} (git is not run in an untrusted workspace).`);
          return;
        }
        if (!isCommitId(msg.commit)) { void vscode.window.showErrorMessage(`ML Sight: ${gitRefProblem(msg.commit, null)}; git was not run.`); return; }
        const text = await new Promise<string>(resolve => execFile('git', gitArgs(['show'], ['--stat', '--format=fuller', '--no-color'], [msg.commit], { paths: [] }),
          { cwd: folder.uri.fsPath, timeout: 10000, maxBuffer: 8 * 1024 * 1024, windowsHide: true },
          (err, stdout, stderr) => resolve(err ? `git show ${msg.commit} failed: ${stderr || err.message}` : stdout)));
        const doc = await vscode.workspace.openTextDocument({ content: text, language: 'git-commit' });
        await vscode.window.showTextDocument(doc, { preview: true });
        break;
      }
      case 'configureCanary':
        if (folder) { await vscode.commands.executeCommand('mlsight.configureCanary', undefined, { folder: folder.uri.toString(), model: this.state.model }); }
        break;
      case 'promote':
        if (folder) { await vscode.commands.executeCommand('mlsight.promoteModel', undefined, { folder: folder.uri.toString(), model: this.state.model, ...(msg.version !== undefined ? { version: msg.version } : {}) }); }
        break;
    }
  }

  dispose(): void {
    if (this.disposed) { return; }
    this.disposed = true;
    if (this.timer) { clearTimeout(this.timer); }
    this.disposables.dispose();
    this.panel.dispose();
    for (const l of this.listeners) { l(); }
  }
}
