import * as path from 'path';
import * as vscode from 'vscode';
import { annotate } from '../core/annotations';
import { loadCompareData } from '../core/compare/build';
import { Logger } from '../core/log';
import { experimentIdOfRun } from '../core/runs/lookups';
import { DisposableStore } from '../platform/disposables';
import { webviewHtml, webviewOptions } from '../platform/webviewHtml';
import { StoreManager } from '../workspace/storeManager';
import { COMPARE_VIEW_TYPE, CompareViewState, HostToWebview, WebviewToHost, defaultViewState, isWebviewToHost } from './contract';

export interface CompareHooks {
  openRun(folder: vscode.WorkspaceFolder, runId: string): Promise<unknown>;
}

/** Opens, restores and feeds the run-comparison panel (one panel, reused). */
export class CompareController implements vscode.Disposable {
  private panel: ComparePanel | undefined;
  private readonly disposables = new DisposableStore();
  /** last first-paint measure reported by the webview (tests and the benchmark read it) */
  lastFirstPaint: { ms: number; points: number } | undefined;
  /** every message sent to the webview, when recording is on (extension-host tests) */
  recorded: HostToWebview[] | undefined;
  /** points per series after decimation (LTTB); the benchmark sets Infinity to measure the undecimated baseline */
  maxPoints = 2000;

  constructor(private readonly extensionUri: vscode.Uri, private readonly stores: StoreManager, private readonly log: Logger, private readonly hooks: CompareHooks) {
    this.disposables.track(vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        const s = state as Partial<CompareViewState> | undefined;
        if (!s || typeof s.folder !== 'string' || !Array.isArray(s.runIds)) { panel.dispose(); return; }
        this.adopt(panel, { ...defaultViewState(s.folder, s.runIds), ...s } as CompareViewState);
      },
    }));
  }

  get isOpen(): boolean { return !!this.panel; }

  async open(folder: vscode.WorkspaceFolder, runIds: string[]): Promise<void> {
    if (this.panel) {
      this.panel.setRuns(folder, runIds);
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, 'Compare Runs', vscode.ViewColumn.Active, webviewOptions(this.extensionUri));
    this.adopt(panel, defaultViewState(folder.uri.toString(), runIds));
  }

  private adopt(panel: vscode.WebviewPanel, state: CompareViewState): void {
    this.panel?.dispose();
    const p = new ComparePanel(panel, state, this.extensionUri, this.stores, this.log, this.hooks, () => this.maxPoints, {
      onFirstPaint: m => { this.lastFirstPaint = m; },
      onPost: m => { this.recorded?.push(m); },
    });
    this.panel = p;
    p.onDispose(() => { if (this.panel === p) { this.panel = undefined; } });
  }

  dispose(): void { this.panel?.dispose(); this.disposables.dispose(); }
}

class ComparePanel {
  private readonly disposables = new DisposableStore();
  private ready = false;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly disposeListeners: (() => void)[] = [];

  constructor(
    private readonly panel: vscode.WebviewPanel,
    private state: CompareViewState,
    extensionUri: vscode.Uri,
    private readonly stores: StoreManager,
    private readonly log: Logger,
    private readonly hooks: CompareHooks,
    private readonly maxPoints: () => number,
    private readonly events: { onFirstPaint(m: { ms: number; points: number }): void; onPost(m: HostToWebview): void },
  ) {
    panel.webview.options = webviewOptions(extensionUri);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'activity.svg');
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'compare', 'Compare Runs');
    this.updateTitle();
    this.disposables.track(panel.webview.onDidReceiveMessage(m => { void this.onMessage(m); }));
    this.disposables.track(panel.onDidDispose(() => this.dispose()));
    this.disposables.track(stores.onDidChange(f => { if (f.uri.toString() === this.state.folder) { this.schedule(); } }));
  }

  onDispose(l: () => void): void { this.disposeListeners.push(l); }

  reveal(): void { this.panel.reveal(); }

  setRuns(folder: vscode.WorkspaceFolder, runIds: string[]): void {
    this.state = { ...this.state, folder: folder.uri.toString(), runIds, referenceRunId: runIds.includes(this.state.referenceRunId ?? '') ? this.state.referenceRunId : null };
    this.updateTitle();
    if (this.ready) { void this.send(); }
  }

  private updateTitle(): void { this.panel.title = `Compare ${this.state.runIds.length} Run${this.state.runIds.length === 1 ? '' : 's'}`; }

  private folder(): vscode.WorkspaceFolder | undefined { return this.stores.folders().find(f => f.uri.toString() === this.state.folder); }

  private schedule(): void {
    if (!this.ready || this.timer) { return; }
    this.timer = setTimeout(() => { this.timer = undefined; void this.send(); }, 300);
  }

  private post(m: HostToWebview): void {
    this.events.onPost(m);
    void this.panel.webview.postMessage(m);
  }

  private async send(): Promise<void> {
    if (this.disposed) { return; }
    const folder = this.folder();
    if (!folder) { this.post({ type: 'error', message: 'The folder of these runs is no longer open.' }); return; }
    try {
      const store = await this.stores.get(folder);
      // Full histories come from the runs' own files (the store keeps decimated series only).
      const data = await loadCompareData(store, this.state.runIds, { referenceRunId: this.state.referenceRunId, maxPoints: this.maxPoints() });
      if (this.disposed) { return; }
      const live = data.runs.some(r => r.status === 'RUNNING');
      this.post({ type: 'data', data, state: this.state, live });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.log.error(`Compare Runs: ${message}`);
      this.post({ type: 'error', message });
    }
  }

  private async onMessage(m: unknown): Promise<void> {
    if (!isWebviewToHost(m)) { this.log.warn('Compare Runs: ignored an unknown message from the webview.'); return; }
    const msg: WebviewToHost = m;
    const folder = this.folder();
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        await this.send();
        break;
      case 'state':
        this.state = { ...msg.state, folder: this.state.folder, runIds: this.state.runIds };
        break;
      case 'setReference':
        this.state = { ...this.state, referenceRunId: msg.runId };
        await this.send();
        break;
      case 'setBaseline': {
        if (!folder) { return; }
        const store = await this.stores.get(folder);
        const expId = store.read(db => experimentIdOfRun(db, msg.runId));
        if (!expId) { return; }
        await annotate(store, { action: 'experiment.baseline', experimentId: expId, runId: msg.runId });
        await this.send();
        break;
      }
      case 'openRun':
        if (folder) { await this.hooks.openRun(folder, msg.runId); }
        break;
      case 'addBaselineSnippet':
        await insertBaselineSnippet();
        break;
      case 'save':
        await this.save(msg.kind, msg.suggestedName, msg.content);
        break;
      case 'firstPaint':
        this.events.onFirstPaint({ ms: msg.ms, points: msg.points });
        this.log.info(`Compare Runs: first paint ${msg.ms.toFixed(0)} ms for ${msg.points} points.`);
        break;
    }
  }

  private async save(kind: 'csv' | 'png', suggestedName: string, content: string): Promise<void> {
    const safe = suggestedName.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'export';
    const base = this.folder()?.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: base ? vscode.Uri.joinPath(base, `${safe}.${kind}`) : undefined,
      filters: kind === 'csv' ? { 'CSV': ['csv'] } : { 'PNG image': ['png'] },
    });
    if (!target) { return; }
    const bytes = kind === 'csv' ? Buffer.from(content, 'utf8') : Buffer.from(content, 'base64');
    await vscode.workspace.fs.writeFile(target, bytes);
    void vscode.window.showInformationMessage(`ML Sight: saved ${path.basename(target.fsPath)}.`);
  }

  dispose(): void {
    if (this.disposed) { return; }
    this.disposed = true;
    if (this.timer) { clearTimeout(this.timer); }
    this.disposables.dispose();
    this.panel.dispose();
    for (const l of this.disposeListeners) { l(); }
  }
}

/** Inserts a DummyClassifier/DummyRegressor baseline run into the active Python editor (or a new one). */
export async function insertBaselineSnippet(): Promise<void> {
  const snippet = new vscode.SnippetString([
    '# A baseline to compare every model against (ML Sight recognises Dummy* models as baselines).',
    'from sklearn.dummy import ${1|DummyClassifier,DummyRegressor|}',
    'import mlsight',
    '',
    'with mlsight.start_run(experiment="${2:my-experiment}", name="dummy-baseline") as run:',
    '    baseline = $1(strategy="${3|most_frequent,prior,stratified,mean,median|}").fit(X_train, y_train)',
    '    run.log_param("model", "$1")',
    '    run.log_metric("${4:accuracy}", baseline.score(X_test, y_test))',
    '$0',
  ].join('\n'));
  const editor = vscode.window.visibleTextEditors.find(e => e.document.languageId === 'python');
  if (editor) {
    await editor.insertSnippet(snippet, editor.selection.active);
    return;
  }
  const doc = await vscode.workspace.openTextDocument({ language: 'python', content: '' });
  const e = await vscode.window.showTextDocument(doc);
  await e.insertSnippet(snippet);
}
