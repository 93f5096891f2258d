import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { getRun, storedHistory } from '../core/queries';
import { loadHistories, planHistories } from '../core/runs/history';
import { lttbSparkline } from '../core/compare/series';
import { Logger } from '../core/log';
import { experimentName, runDisplayName } from '../core/runs/lookups';
import { gitArgs, isCommitId } from '../core/git';
import { Confined, confinePath } from '../core/paths';
import { checkReproducibility } from '../core/runs/reproducibility';
import { Panel, PanelHost, PanelKind, PanelPage } from '../platform/webviewPanel';
import { StoreManager } from '../workspace/storeManager';
import type { TrackingBackend } from '../core/tracking/types';
import { isTeamRef, loadTeamRunPage } from '../core/tracking/teamView';
import {
  HostToRunPage,
  RUN_PAGE_MESSAGES,
  RUN_PAGE_VIEW_TYPE,
  RunPageData,
  RunPageState,
  RunPageToHost,
  runPageStateFrom,
} from './contract';

export interface RunPageHooks {
  /** compare this run with others; folder undefined for a team run */
  compare(folder: vscode.WorkspaceFolder | undefined, runIds: string[]): Promise<unknown>;
  /** the team tracking backend, for team runs (`team:<run_uuid>`, core/tracking/teamView.ts) */
  team(): Promise<TrackingBackend | undefined>;
}

const keyOf = (s: RunPageState): string => `${s.folder}#${s.runId}`;

/**
 * Run pages: one webview panel per run (reused when the run is opened again), restored after a reload. A run
 * clicked in the Runs view opens in a *preview* page, like VS Code's preview editors: the next click shows its run
 * in the same tab, and comparing the selected runs closes it, so selecting runs leaves no stray tab behind. A
 * preview page is kept (pinned) once the user works in it or opens its run from anywhere else. The panels live in
 * the one panel host (src/platform/webviewPanel.ts), which keeps the preview.
 */
export class RunPages implements vscode.Disposable {
  readonly host: PanelHost<RunPageState, HostToRunPage, RunPageToHost>;

  constructor(
    extensionUri: vscode.Uri,
    private readonly stores: StoreManager,
    log: Logger,
    hooks: RunPageHooks,
  ) {
    const kind: PanelKind<RunPageState, RunPageToHost> = {
      viewType: RUN_PAGE_VIEW_TYPE,
      bundle: 'run',
      name: 'Run page',
      title: s => `Run ${s.runId.slice(0, 8)}`,
      resolveTitle: s => this.titleOf(s),
      key: keyOf,
      restore: runPageStateFrom,
      folderOf: s => s.folder,
      messages: RUN_PAGE_MESSAGES,
    };
    this.host = new PanelHost(
      { extensionUri, log, onStoreChange: stores.onDidChange },
      kind,
      panel => new RunPage(panel, stores, log, hooks),
    );
  }

  /** messages posted to run pages (extension-host tests read them) */
  get recorded(): HostToRunPage[] | undefined {
    return this.host.recorded;
  }
  set recorded(r: HostToRunPage[] | undefined) {
    this.host.recorded = r;
  }

  /** The open pages by key, each taking a message as its webview would (validated by the host; tests use it). */
  get panels(): Map<string, { onMessage(m: unknown): Promise<void> }> {
    return new Map(
      this.host.panels().map(p => [keyOf(p.state), { onMessage: (m: unknown) => this.host.receive(p, m) }] as const),
    );
  }

  /** "Run <name>": the tab has its real title from the moment it opens, before its webview has loaded. */
  private async titleOf(s: RunPageState): Promise<string> {
    const folder = isTeamRef(s.runId) ? undefined : this.stores.folders().find(f => f.uri.toString() === s.folder);
    let name: string | undefined;
    try {
      name = folder ? (await this.stores.get(folder)).read(db => runDisplayName(db, s.runId)) : undefined;
    } catch {
      /* shown by the page */
    }
    return `Run ${name ?? s.runId.slice(0, 8)}`;
  }

  /** Opens a run's page: a local run of a folder, or a team run (`team:<run_uuid>`, no folder). */
  async open(
    folder: vscode.WorkspaceFolder | undefined,
    runId: string,
    options: { preview?: boolean } = {},
  ): Promise<void> {
    const state = { folder: isTeamRef(runId) ? '' : (folder?.uri.toString() ?? ''), runId };
    const existing = this.host.find(keyOf(state));
    if (existing) {
      if (!options.preview) {
        this.host.pin(existing);
      }
      existing.reveal();
      return;
    }
    const title = await this.titleOf(state);
    this.host.open(state, { title, preview: options.preview });
  }

  /** Closes the preview page when it shows one of these runs (they are being compared). */
  closePreview(folder: vscode.WorkspaceFolder | undefined, runIds: readonly string[]): void {
    const p = this.host.previewPanel;
    const f = isTeamRef(p?.state.runId ?? '') ? '' : (folder?.uri.toString() ?? '');
    if (p && p.state.folder === f && runIds.includes(p.state.runId)) {
      p.dispose();
    }
  }

  dispose(): void {
    this.host.dispose();
  }
}

class RunPage implements PanelPage<RunPageToHost> {
  constructor(
    private readonly panel: Panel<RunPageState, HostToRunPage>,
    private readonly stores: StoreManager,
    private readonly log: Logger,
    private readonly hooks: RunPageHooks,
  ) {}

  private get state(): RunPageState {
    return this.panel.state;
  }

  private folder(): vscode.WorkspaceFolder | undefined {
    return this.stores.folders().find(f => f.uri.toString() === this.state.folder);
  }

  private post(m: HostToRunPage): void {
    this.panel.post(m);
  }

  /** The artifact's file, resolved (symlinks too) and confined to the workspace folder; refused otherwise. */
  private artifactFile(run: { source: string; sourcePath: string | null }, p: string): Confined | undefined {
    const folder = this.folder();
    if (!folder) {
      return undefined;
    }
    const base =
      run.source === 'mlsight' && run.sourcePath
        ? path.join(folder.uri.fsPath, path.dirname(run.sourcePath))
        : folder.uri.fsPath;
    return confinePath(p, [folder.uri.fsPath], base);
  }

  /** A team run's page: the same page, fed from the team backend (no artifacts or git actions: not here). */
  private async refreshTeam(state: RunPageState): Promise<void> {
    const b = await this.hooks.team();
    if (!b) {
      this.post({ type: 'error', message: 'No team tracking backend is configured (mlsight.tracking.uri).' });
      return;
    }
    const page = await loadTeamRunPage(b, state.runId);
    if (this.panel.state !== state) {
      return;
    }
    if (!page) {
      this.post({ type: 'error', message: `Run ${state.runId} is not in ${b.displayUri}.` });
      return;
    }
    this.panel.title = `Run ${page.run.name ?? page.run.id.slice(5, 13)}`;
    this.post({ type: 'data', data: { ...page, artifacts: [], gitActions: false }, state });
  }

  async refresh(): Promise<void> {
    const state = this.state;
    if (isTeamRef(state.runId)) {
      try {
        await this.refreshTeam(state);
      } catch (e) {
        this.post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
      }
      return;
    }
    const folder = this.folder();
    if (!folder) {
      this.post({ type: 'error', message: 'The folder of this run is no longer open.' });
      return;
    }
    const store = await this.stores.get(folder);
    const run = store.read(db => getRun(db, state.runId));
    if (!run) {
      this.post({ type: 'error', message: `Run ${state.runId} is no longer in the store.` });
      return;
    }
    const experiment = store.read(db => experimentName(db, run.experimentId)) ?? run.experimentId;
    const sparklines: RunPageData['sparklines'] = {};
    const keys = Object.keys(run.latestMetrics).filter(k => !k.startsWith('feature_importance/'));
    // the store's decimated copy (≤ 33 points, newest included) is enough for a sparkline; total counts the
    // source's. Series the store keeps no copy of (MLflow FileStore metrics) are read from their files.
    const stored = new Map(keys.map(key => [key, store.read(db => storedHistory(db, run.id, key))]));
    const missing = keys.filter(key => stored.get(key)!.points.length === 0).map(key => ({ runId: run.id, key }));
    const read = missing.length
      ? (
          await loadHistories(
            store.read(db => planHistories(db, store.folder, missing)),
            missing,
          )
        ).get(run.id)
      : undefined;
    for (const key of keys) {
      const h = read?.get(key);
      const hist = h ? { points: h.points, count: h.total } : stored.get(key)!;
      sparklines[key] = lttbSparkline(hist.points, hist.count);
    }
    const repro = await store.read(db => checkReproducibility(db, run.id, folder.uri.fsPath));
    const artifacts = run.artifacts.map(a => {
      const file = this.artifactFile(run, a.path);
      return { ...a, openable: !!file?.ok && fs.existsSync(file.file) };
    });
    const gitActions =
      vscode.workspace.isTrusted && !!run.gitCommit && fs.existsSync(path.join(folder.uri.fsPath, '.git'));
    if (this.panel.state !== state) {
      return; // the (preview) page shows another run now; that run's refresh follows
    }
    this.panel.title = `Run ${run.name ?? run.id.slice(0, 8)}`;
    this.post({ type: 'data', data: { run, experiment, sparklines, repro, artifacts, gitActions }, state });
  }

  async onMessage(m: Exclude<RunPageToHost, { type: 'ready' }>): Promise<void> {
    const folder = this.folder();
    if (isTeamRef(this.state.runId) && m.type !== 'copy' && m.type !== 'compareWith') {
      return; // a team run's artifacts and commit are not in this workspace
    }
    switch (m.type) {
      case 'copy':
        await vscode.env.clipboard.writeText(m.text);
        vscode.window.setStatusBarMessage('ML Sight: copied', 2000);
        break;
      case 'compareWith':
        if (folder || isTeamRef(this.state.runId)) {
          await this.hooks.compare(folder, [this.state.runId]);
        }
        break;
      case 'openArtifact': {
        if (!folder) {
          return;
        }
        const store = await this.stores.get(folder);
        const run = store.read(db => getRun(db, this.state.runId));
        // only artifacts the run actually logged can be opened from the page
        if (!run || !run.artifacts.some(a => a.path === m.path)) {
          return;
        }
        const file = this.artifactFile(run, m.path);
        if (file && !file.ok) {
          this.log.warn(`Run ${run.id}: artifact ${file.message}.`);
          void vscode.window.showWarningMessage(`ML Sight: not opened — the artifact ${file.message}.`);
          return;
        }
        if (file) {
          await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file.file));
        }
        break;
      }
      case 'showDiff':
      case 'checkoutWorktree': {
        if (!folder || !vscode.workspace.isTrusted) {
          void vscode.window.showWarningMessage('ML Sight runs git only in a trusted workspace.');
          return;
        }
        const run = (await this.stores.get(folder)).read(db => getRun(db, this.state.runId));
        if (!run?.gitCommit) {
          return;
        }
        if (m.type === 'showDiff') {
          await showDiffSinceCommit(folder, run.gitCommit);
        } else {
          await checkoutWorktree(folder, run.gitCommit, run.name ?? run.id);
        }
        break;
      }
    }
  }
}

/** The changes between the run's commit and the working tree, as a diff document. */
export async function showDiffSinceCommit(folder: vscode.WorkspaceFolder, commit: string): Promise<string> {
  const { simpleGit } = await import('simple-git');
  const git = simpleGit({ baseDir: folder.uri.fsPath });
  const diff = await git.diff(gitArgs([], [], [commit], { paths: [] }));
  const doc = await vscode.workspace.openTextDocument({
    language: 'diff',
    content: diff || `No changes since ${commit}.\n`,
  });
  await vscode.window.showTextDocument(doc, { preview: true });
  return diff;
}

/** Checks the run's commit out in a new git worktree next to the workspace and offers to open it. */
export async function checkoutWorktree(
  folder: vscode.WorkspaceFolder,
  commit: string,
  runName: string,
): Promise<string | undefined> {
  if (!isCommitId(commit)) {
    throw new Error(`"${commit}" is not a commit id`);
  }
  const safe = runName.replace(/[^\w.-]+/g, '-').slice(0, 40) || 'run';
  const target = path.join(
    path.dirname(folder.uri.fsPath),
    `${path.basename(folder.uri.fsPath)}-${safe}-${commit.slice(0, 7)}`,
  );
  const ok = await vscode.window.showInformationMessage(
    `Check out commit ${commit.slice(0, 7)} of run "${runName}" into a new worktree at ${target}?`,
    { modal: true },
    'Check Out',
  );
  if (ok !== 'Check Out') {
    return undefined;
  }
  const { simpleGit } = await import('simple-git');
  await simpleGit({ baseDir: folder.uri.fsPath }).raw(
    gitArgs(['worktree', 'add'], ['--detach'], [commit], { operands: [target] }),
  );
  void vscode.window
    .showInformationMessage(`ML Sight: commit ${commit.slice(0, 7)} is checked out in ${target}.`, 'Open in New Window')
    .then(c => {
      if (c) {
        void vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(target), { forceNewWindow: true });
      }
    });
  return target;
}
