import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { getRun, storedHistory } from '../core/queries';
import { loadHistories, planHistories } from '../core/runs/history';
import { lttb } from '../core/compare/series';
import { Logger } from '../core/log';
import { experimentName, runDisplayName } from '../core/runs/lookups';
import { gitArgs, isCommitId } from '../core/git';
import { Confined, confinePath } from '../core/paths';
import { checkReproducibility } from '../core/runs/reproducibility';
import { DisposableStore } from '../platform/disposables';
import { webviewHtml, webviewOptions } from '../platform/webviewHtml';
import { StoreManager } from '../workspace/storeManager';
import { HostToRunPage, RUN_PAGE_VIEW_TYPE, RunPageData, RunPageState, isRunPageToHost } from './runPageContract';

export interface RunPageHooks { compare(folder: vscode.WorkspaceFolder, runIds: string[]): Promise<unknown> }

/**
 * Run pages: one webview panel per run (reused when the run is opened again), restored after a reload. A run
 * clicked in the Runs view opens in a *preview* page, like VS Code's preview editors: the next click shows its run
 * in the same tab, and comparing the selected runs closes it, so selecting runs leaves no stray tab behind. A
 * preview page is kept (pinned) once the user works in it or opens its run from anywhere else.
 */
export class RunPages implements vscode.Disposable {
  private readonly panels = new Map<string, RunPage>();
  private preview: RunPage | undefined;
  private readonly disposables = new DisposableStore();
  /** messages posted to run pages (extension-host tests read them) */
  recorded: HostToRunPage[] | undefined;

  constructor(private readonly extensionUri: vscode.Uri, private readonly stores: StoreManager, private readonly log: Logger, private readonly hooks: RunPageHooks) {
    this.disposables.track(vscode.window.registerWebviewPanelSerializer(RUN_PAGE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        const s = state as Partial<RunPageState> | undefined;
        if (!s || typeof s.folder !== 'string' || typeof s.runId !== 'string') { panel.dispose(); return; }
        this.adopt(panel, { folder: s.folder, runId: s.runId }, await this.titleOf(s.folder, s.runId));
      },
    }));
  }

  /** "Run <name>": the tab has its real title from the moment it opens, before its webview has loaded. */
  private async titleOf(folderUri: string, runId: string): Promise<string> {
    const folder = this.stores.folders().find(f => f.uri.toString() === folderUri);
    let name: string | undefined;
    try { name = folder ? (await this.stores.get(folder)).read(db => runDisplayName(db, runId)) : undefined; } catch { /* shown by the page */ }
    return `Run ${name ?? runId.slice(0, 8)}`;
  }

  async open(folder: vscode.WorkspaceFolder, runId: string, options: { preview?: boolean } = {}): Promise<void> {
    const state = { folder: folder.uri.toString(), runId };
    const key = `${state.folder}#${runId}`;
    const existing = this.panels.get(key);
    if (existing) {
      if (!options.preview && existing === this.preview) { this.preview = undefined; }
      existing.reveal();
      return;
    }
    const title = await this.titleOf(state.folder, runId);
    const preview = this.preview;
    if (options.preview && preview && !preview.disposed) {
      this.panels.delete(preview.key);
      preview.show(state, title);
      this.panels.set(preview.key, preview);
      preview.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(RUN_PAGE_VIEW_TYPE, title, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, webviewOptions(this.extensionUri));
    const page = this.adopt(panel, state, title);
    if (options.preview) { this.preview = page; }
  }

  /** Closes the preview page when it shows one of these runs (they are being compared). */
  closePreview(folder: vscode.WorkspaceFolder, runIds: readonly string[]): void {
    const p = this.preview;
    if (p && p.state.folder === folder.uri.toString() && runIds.includes(p.state.runId)) { p.dispose(); }
  }

  private adopt(panel: vscode.WebviewPanel, state: RunPageState, title: string): RunPage {
    const page = new RunPage(panel, state, title, this.extensionUri, this.stores, this.log, this.hooks, m => this.recorded?.push(m),
      () => { if (this.preview === page) { this.preview = undefined; } });
    this.panels.set(page.key, page);
    page.onDispose(() => {
      if (this.panels.get(page.key) === page) { this.panels.delete(page.key); }
      if (this.preview === page) { this.preview = undefined; }
    });
    return page;
  }

  dispose(): void { for (const p of [...this.panels.values()]) { p.dispose(); } this.disposables.dispose(); }
}

class RunPage {
  private readonly disposables = new DisposableStore();
  private ready = false;
  private isDisposed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly panel: vscode.WebviewPanel, public state: RunPageState, title: string, extensionUri: vscode.Uri,
    private readonly stores: StoreManager, private readonly log: Logger, private readonly hooks: RunPageHooks, private readonly record: (m: HostToRunPage) => void,
    private readonly pin: () => void) {
    panel.webview.options = webviewOptions(extensionUri);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'activity.svg');
    panel.title = title;
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'run', title);
    this.disposables.track(panel.webview.onDidReceiveMessage(m => { void this.onMessage(m).catch(e => this.log.error(`Run page: ${e instanceof Error ? e.message : e}`)); }));
    this.disposables.track(panel.onDidDispose(() => this.dispose()));
    this.disposables.track(stores.onDidChange(f => {
      if (f.uri.toString() !== state.folder || !this.ready || this.timer) { return; }
      this.timer = setTimeout(() => { this.timer = undefined; void this.send(); }, 300);
    }));
  }

  onDispose(l: () => void): void { this.listeners.push(l); }
  reveal(): void { this.panel.reveal(); }
  get key(): string { return `${this.state.folder}#${this.state.runId}`; }
  get disposed(): boolean { return this.isDisposed; }

  /** Shows another run in this (preview) page. */
  show(state: RunPageState, title: string): void {
    this.state = state;
    this.panel.title = title;
    if (this.ready) { void this.send(); }
  }

  private folder(): vscode.WorkspaceFolder | undefined { return this.stores.folders().find(f => f.uri.toString() === this.state.folder); }

  private post(m: HostToRunPage): void { this.record(m); void this.panel.webview.postMessage(m); }

  /** The artifact's file, resolved (symlinks too) and confined to the workspace folder; refused otherwise. */
  private artifactFile(run: { source: string; sourcePath: string | null }, p: string): Confined | undefined {
    const folder = this.folder();
    if (!folder) { return undefined; }
    const base = run.source === 'mlsight' && run.sourcePath ? path.join(folder.uri.fsPath, path.dirname(run.sourcePath)) : folder.uri.fsPath;
    return confinePath(p, [folder.uri.fsPath], base);
  }

  private async send(): Promise<void> {
    if (this.isDisposed) { return; }
    const folder = this.folder();
    if (!folder) { this.post({ type: 'error', message: 'The folder of this run is no longer open.' }); return; }
    const store = await this.stores.get(folder);
    const run = store.read(db => getRun(db, this.state.runId));
    if (!run) { this.post({ type: 'error', message: `Run ${this.state.runId} is no longer in the store.` }); return; }
    const experiment = store.read(db => experimentName(db, run.experimentId)) ?? run.experimentId;
    const sparklines: RunPageData['sparklines'] = {};
    const keys = Object.keys(run.latestMetrics).filter(k => !k.startsWith('feature_importance/'));
    // the store's decimated copy (≤ 33 points, newest included) is enough for a sparkline; total counts the
    // source's. Series the store keeps no copy of (MLflow FileStore metrics) are read from their files.
    const stored = new Map(keys.map(key => [key, store.read(db => storedHistory(db, run.id, key))]));
    const missing = keys.filter(key => stored.get(key)!.points.length === 0).map(key => ({ runId: run.id, key }));
    const read = missing.length ? (await loadHistories(store.read(db => planHistories(db, store.folder, missing)), missing)).get(run.id) : undefined;
    for (const key of keys) {
      const h = read?.get(key);
      const hist = h ? { points: h.points, count: h.total } : stored.get(key)!;
      const { points } = lttb(hist.points.map(p => ({ x: p.step, y: p.value })), 80);
      sparklines[key] = { steps: points.map(p => p.x), values: points.map(p => p.y), total: hist.count };
    }
    const repro = await store.read(db => checkReproducibility(db, run.id, folder.uri.fsPath));
    const artifacts = run.artifacts.map(a => {
      const file = this.artifactFile(run, a.path);
      return { ...a, openable: !!file?.ok && fs.existsSync(file.file) };
    });
    const gitActions = vscode.workspace.isTrusted && !!run.gitCommit && fs.existsSync(path.join(folder.uri.fsPath, '.git'));
    this.panel.title = `Run ${run.name ?? run.id.slice(0, 8)}`;
    this.post({ type: 'data', data: { run, experiment, sparklines, repro, artifacts, gitActions }, state: this.state });
  }

  private async onMessage(m: unknown): Promise<void> {
    if (!isRunPageToHost(m)) { return; }
    if (m.type !== 'ready') { this.pin(); } // working in a preview page keeps it
    const folder = this.folder();
    switch (m.type) {
      case 'ready': this.ready = true; await this.send(); break;
      case 'copy': await vscode.env.clipboard.writeText(m.text); vscode.window.setStatusBarMessage('ML Sight: copied', 2000); break;
      case 'compareWith': if (folder) { await this.hooks.compare(folder, [this.state.runId]); } break;
      case 'openArtifact': {
        if (!folder) { return; }
        const store = await this.stores.get(folder);
        const run = store.read(db => getRun(db, this.state.runId));
        // only artifacts the run actually logged can be opened from the page
        if (!run || !run.artifacts.some(a => a.path === m.path)) { return; }
        const file = this.artifactFile(run, m.path);
        if (file && !file.ok) {
          this.log.warn(`Run ${run.id}: artifact ${file.message}.`);
          void vscode.window.showWarningMessage(`ML Sight: not opened — the artifact ${file.message}.`);
          return;
        }
        if (file) { await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file.file)); }
        break;
      }
      case 'showDiff': case 'checkoutWorktree': {
        if (!folder || !vscode.workspace.isTrusted) {
          void vscode.window.showWarningMessage('ML Sight runs git only in a trusted workspace.');
          return;
        }
        const run = (await this.stores.get(folder)).read(db => getRun(db, this.state.runId));
        if (!run?.gitCommit) { return; }
        if (m.type === 'showDiff') { await showDiffSinceCommit(folder, run.gitCommit); } else { await checkoutWorktree(folder, run.gitCommit, run.name ?? run.id); }
        break;
      }
    }
  }

  dispose(): void {
    if (this.isDisposed) { return; }
    this.isDisposed = true;
    if (this.timer) { clearTimeout(this.timer); }
    this.disposables.dispose();
    this.panel.dispose();
    for (const l of this.listeners) { l(); }
  }
}

/** The changes between the run's commit and the working tree, as a diff document. */
export async function showDiffSinceCommit(folder: vscode.WorkspaceFolder, commit: string): Promise<string> {
  const { simpleGit } = await import('simple-git');
  const git = simpleGit({ baseDir: folder.uri.fsPath });
  const diff = await git.diff(gitArgs([], [], [commit], { paths: [] }));
  const doc = await vscode.workspace.openTextDocument({ language: 'diff', content: diff || `No changes since ${commit}.\n` });
  await vscode.window.showTextDocument(doc, { preview: true });
  return diff;
}

/** Checks the run's commit out in a new git worktree next to the workspace and offers to open it. */
export async function checkoutWorktree(folder: vscode.WorkspaceFolder, commit: string, runName: string): Promise<string | undefined> {
  if (!isCommitId(commit)) { throw new Error(`"${commit}" is not a commit id`); }
  const safe = runName.replace(/[^\w.-]+/g, '-').slice(0, 40) || 'run';
  const target = path.join(path.dirname(folder.uri.fsPath), `${path.basename(folder.uri.fsPath)}-${safe}-${commit.slice(0, 7)}`);
  const ok = await vscode.window.showInformationMessage(`Check out commit ${commit.slice(0, 7)} of run "${runName}" into a new worktree at ${target}?`, { modal: true }, 'Check Out');
  if (ok !== 'Check Out') { return undefined; }
  const { simpleGit } = await import('simple-git');
  await simpleGit({ baseDir: folder.uri.fsPath }).raw(gitArgs(['worktree', 'add'], ['--detach'], [commit], { operands: [target] }));
  void vscode.window.showInformationMessage(`ML Sight: commit ${commit.slice(0, 7)} is checked out in ${target}.`, 'Open in New Window').then(c => {
    if (c) { void vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(target), { forceNewWindow: true }); }
  });
  return target;
}
