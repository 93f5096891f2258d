import * as path from 'path';
import * as vscode from 'vscode';
import { annotate } from '../core/annotations';
import { loadCompareData } from '../core/compare/build';
import { Logger } from '../core/log';
import { experimentIdOfRun } from '../core/runs/lookups';
import { errorMessage } from '../core/errors';
import { Panel, PanelHost, PanelKind, PanelPage } from '../platform/webviewPanel';
import { StoreManager } from '../workspace/storeManager';
import type { TrackingBackend } from '../core/tracking/types';
import { isTeamRef, loadTeamCompareSource } from '../core/tracking/teamView';
import {
  COMPARE_MESSAGES,
  COMPARE_VIEW_TYPE,
  CompareSelection,
  HostToWebview,
  WebviewToHost,
  selectionFrom,
} from './contract';

export interface CompareHooks {
  /** folder undefined for a team run */
  openRun(folder: vscode.WorkspaceFolder | undefined, runId: string): Promise<unknown>;
  /** the team tracking backend, for team runs (`team:<run_uuid>`, core/tracking/teamView.ts) */
  team(): Promise<TrackingBackend | undefined>;
}

/**
 * Opens, restores and feeds the run-comparison panel (one panel, reused), in the one panel host. The host side owns
 * the selection (folder, runs, reference run); the webview owns only its view settings and never sends them.
 */
export class CompareController implements vscode.Disposable {
  readonly host: PanelHost<CompareSelection, HostToWebview, WebviewToHost>;
  /** last first-paint measure reported by the webview (tests and the benchmark read it) */
  lastFirstPaint: { ms: number; points: number } | undefined;
  /** points per series after decimation (LTTB); the benchmark sets Infinity to measure the undecimated baseline */
  maxPoints = 2000;

  constructor(extensionUri: vscode.Uri, stores: StoreManager, log: Logger, hooks: CompareHooks) {
    const kind: PanelKind<CompareSelection, WebviewToHost> = {
      viewType: COMPARE_VIEW_TYPE,
      bundle: 'compare',
      name: 'Compare Runs',
      title: s => `Compare ${s.runIds.length} Run${s.runIds.length === 1 ? '' : 's'}`,
      key: () => 'compare', // one comparison panel
      restore: selectionFrom,
      folderOf: s => s.folder,
      messages: COMPARE_MESSAGES,
    };
    this.host = new PanelHost(
      { extensionUri, log, onStoreChange: stores.onDidChange },
      kind,
      panel =>
        new ComparePage(panel, stores, log, hooks, {
          maxPoints: () => this.maxPoints,
          onFirstPaint: m => {
            this.lastFirstPaint = m;
          },
        }),
    );
  }

  /** every message sent to the webview, when recording is on (extension-host tests) */
  get recorded(): HostToWebview[] | undefined {
    return this.host.recorded;
  }
  set recorded(r: HostToWebview[] | undefined) {
    this.host.recorded = r;
  }

  get isOpen(): boolean {
    return this.host.panels().length > 0;
  }

  /**
   * Shows these runs in the comparison panel (opened, or revealed and updated); a reference among them is kept.
   * Team runs (`team:<run_uuid>`) may be among them, next to the folder's runs; folder undefined: team runs only.
   */
  open(folder: vscode.WorkspaceFolder | undefined, runIds: string[]): Promise<void> {
    const f = folder?.uri.toString() ?? '';
    this.host.open(prev => ({
      folder: f,
      runIds,
      referenceRunId: prev?.referenceRunId && runIds.includes(prev.referenceRunId) ? prev.referenceRunId : null,
    }));
    return Promise.resolve();
  }

  dispose(): void {
    this.host.dispose();
  }
}

class ComparePage implements PanelPage<WebviewToHost> {
  constructor(
    private readonly panel: Panel<CompareSelection, HostToWebview>,
    private readonly stores: StoreManager,
    private readonly log: Logger,
    private readonly hooks: CompareHooks,
    private readonly events: { maxPoints(): number; onFirstPaint(m: { ms: number; points: number }): void },
  ) {}

  private folder(): vscode.WorkspaceFolder | undefined {
    return this.stores.folders().find(f => f.uri.toString() === this.panel.state.folder);
  }

  async refresh(): Promise<void> {
    const selection = this.panel.state;
    const folder = this.folder();
    const teamIds = selection.runIds.filter(isTeamRef);
    if (!folder && teamIds.length < selection.runIds.length) {
      this.panel.post({ type: 'error', message: 'The folder of these runs is no longer open.' });
      return;
    }
    try {
      const store = folder ? await this.stores.get(folder) : undefined;
      const backend = teamIds.length ? await this.hooks.team() : undefined;
      if (teamIds.length && !backend) {
        this.panel.post({ type: 'error', message: 'No team tracking backend is configured (mlsight.tracking.uri).' });
        return;
      }
      // one comparison: the store's runs and the team's, each from its own source
      const team = backend ? { source: await loadTeamCompareSource(backend, teamIds), owns: isTeamRef } : undefined;
      // Full histories come from the runs' own files (the store keeps decimated series only).
      const data = await loadCompareData(
        store,
        selection.runIds,
        { referenceRunId: selection.referenceRunId, maxPoints: this.events.maxPoints() },
        team,
      );
      if (this.panel.state !== selection) {
        return; // the selection changed meanwhile; its own refresh follows
      }
      const live = data.runs.some(r => r.status === 'RUNNING');
      this.panel.post({ type: 'data', data, selection, live });
    } catch (e) {
      const message = errorMessage(e);
      this.log.error(`Compare Runs: ${message}`);
      this.panel.post({ type: 'error', message });
    }
  }

  async onMessage(msg: Exclude<WebviewToHost, { type: 'ready' }>): Promise<void> {
    const folder = this.folder();
    switch (msg.type) {
      case 'setReference': {
        const s = this.panel.state;
        // the reference is one of the compared runs, or none
        const referenceRunId = msg.runId !== null && s.runIds.includes(msg.runId) ? msg.runId : null;
        this.panel.state = { ...s, referenceRunId };
        await this.refresh();
        break;
      }
      case 'setBaseline': {
        if (isTeamRef(msg.runId)) {
          void vscode.window.showInformationMessage(
            "ML Sight: a team experiment's baseline is the run tagged mlsight.baseline=true in MLflow.",
          );
          return;
        }
        if (!folder) {
          return;
        }
        const store = await this.stores.get(folder);
        const expId = store.read(db => experimentIdOfRun(db, msg.runId));
        if (!expId) {
          return;
        }
        await annotate(store, { action: 'experiment.baseline', experimentId: expId, runId: msg.runId });
        await this.refresh();
        break;
      }
      case 'openRun':
        if (folder || isTeamRef(msg.runId)) {
          await this.hooks.openRun(folder, msg.runId);
        }
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
      filters: kind === 'csv' ? { CSV: ['csv'] } : { 'PNG image': ['png'] },
    });
    if (!target) {
      return;
    }
    const bytes = kind === 'csv' ? Buffer.from(content, 'utf8') : Buffer.from(content, 'base64');
    await vscode.workspace.fs.writeFile(target, bytes);
    void vscode.window.showInformationMessage(`ML Sight: saved ${path.basename(target.fsPath)}.`);
  }
}

/** Inserts a DummyClassifier/DummyRegressor baseline run into the active Python editor (or a new one). */
export async function insertBaselineSnippet(): Promise<void> {
  const snippet = new vscode.SnippetString(
    [
      '# A baseline to compare every model against (ML Sight recognises Dummy* models as baselines).',
      'from sklearn.dummy import ${1|DummyClassifier,DummyRegressor|}',
      'import mlsight',
      '',
      'with mlsight.start_run(experiment="${2:my-experiment}", name="dummy-baseline") as run:',
      '    baseline = $1(strategy="${3|most_frequent,prior,stratified,mean,median|}").fit(X_train, y_train)',
      '    run.log_param("model", "$1")',
      '    run.log_metric("${4:accuracy}", baseline.score(X_test, y_test))',
      '$0',
    ].join('\n'),
  );
  const editor = vscode.window.visibleTextEditors.find(e => e.document.languageId === 'python');
  if (editor) {
    await editor.insertSnippet(snippet, editor.selection.active);
    return;
  }
  const doc = await vscode.workspace.openTextDocument({ language: 'python', content: '' });
  const e = await vscode.window.showTextDocument(doc);
  await e.insertSnippet(snippet);
}
