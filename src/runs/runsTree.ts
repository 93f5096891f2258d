import * as vscode from 'vscode';
import { ExperimentSummary, RunSummary, countRuns, listExperiments, listRuns } from '../core/queries';
import { ContextKeyService, ContextKeys } from '../platform/contextKeys';
import { DisposableStore } from '../platform/disposables';
import { StoreManager } from '../workspace/storeManager';

export type RunsNode =
  | { kind: 'folder'; folder: vscode.WorkspaceFolder }
  | { kind: 'experiment'; folder: vscode.WorkspaceFolder; experiment: ExperimentSummary }
  | { kind: 'run'; folder: vscode.WorkspaceFolder; run: RunSummary }
  | { kind: 'error'; folder: vscode.WorkspaceFolder; message: string };

const STATUS_ICON: Record<string, vscode.ThemeIcon> = {
  RUNNING: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  FINISHED: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  FAILED: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  KILLED: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('testing.iconSkipped')),
  SCHEDULED: new vscode.ThemeIcon('clock'),
};

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) { return ''; }
  const s = Math.round(ms / 1000);
  if (s < 60) { return `${s}s`; }
  const m = Math.floor(s / 60);
  if (m < 60) { return `${m}m ${s % 60}s`; }
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** Experiments → runs (with a folder level in multi-root workspaces), read from the store and refreshed on change. */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<RunsNode | undefined>();
  private readonly disposables = new DisposableStore();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly stores: StoreManager, private readonly contextKeys: ContextKeyService) {
    this.disposables.track(this.emitter);
    this.disposables.track(stores.onDidChange(() => this.refresh()));
  }

  refresh(): void { this.emitter.fire(undefined); }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    const folders = this.stores.folders();
    if (!node) {
      if (folders.length === 0) { return []; }
      if (folders.length > 1) {
        await this.updateContext(folders);
        return folders.map(folder => ({ kind: 'folder', folder }));
      }
      const kids = await this.experimentsOf(folders[0]);
      await this.updateContext(folders);
      return kids;
    }
    if (node.kind === 'folder') { return this.experimentsOf(node.folder); }
    if (node.kind === 'experiment') {
      const store = await this.stores.get(node.folder);
      return store.read(db => listRuns(db, node.experiment.id)).map(run => ({ kind: 'run', folder: node.folder, run }));
    }
    return [];
  }

  private async experimentsOf(folder: vscode.WorkspaceFolder): Promise<RunsNode[]> {
    try {
      const store = await this.stores.get(folder);
      return store.read(db => listExperiments(db)).filter(e => e.runCount > 0).map(experiment => ({ kind: 'experiment', folder, experiment }));
    } catch (e) {
      return [{ kind: 'error', folder, message: e instanceof Error ? e.message : String(e) }];
    }
  }

  private async updateContext(folders: readonly vscode.WorkspaceFolder[]): Promise<void> {
    let runs = 0;
    for (const f of folders) {
      try { runs += (await this.stores.get(f)).read(db => countRuns(db)); } catch { /* reported in the tree */ }
    }
    await this.contextKeys.set(ContextKeys.storeReady, true);
    await this.contextKeys.set(ContextKeys.hasRuns, runs > 0);
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'folder': {
        const item = new vscode.TreeItem(node.folder.name, vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = vscode.ThemeIcon.Folder;
        item.id = `folder:${node.folder.uri}`;
        item.contextValue = 'mlsight.folder';
        return item;
      }
      case 'experiment': {
        const e = node.experiment;
        const item = new vscode.TreeItem(e.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `exp:${node.folder.uri}:${e.id}`;
        item.description = `${e.runCount} run${e.runCount === 1 ? '' : 's'}`;
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.contextValue = 'mlsight.experiment';
        item.tooltip = `${e.name} — ${e.source} experiment, ${e.runCount} runs`;
        return item;
      }
      case 'run': {
        const r = node.run;
        const item = new vscode.TreeItem(r.name || r.id.slice(0, 8), vscode.TreeItemCollapsibleState.None);
        item.id = `run:${node.folder.uri}:${r.id}`;
        item.iconPath = STATUS_ICON[r.status] ?? new vscode.ThemeIcon('circle-outline');
        const parts = [r.status.toLowerCase()];
        if (r.startTime) {
          const end = r.endTime ?? (r.status === 'RUNNING' ? Date.now() : undefined);
          if (end) { parts.push(formatDuration(end - r.startTime)); }
        }
        if (r.gitCommit) { parts.push(r.gitCommit.slice(0, 7) + (r.gitDirty ? '*' : '')); }
        item.description = parts.filter(Boolean).join(' · ');
        // Plain-text tooltip: run names come from files and are never rendered as HTML or markdown.
        item.tooltip = `${r.name ?? '(unnamed run)'}\nid: ${r.id}\nstatus: ${r.status}${r.startTime ? `\nstarted: ${new Date(r.startTime).toLocaleString()}` : ''}${r.gitCommit ? `\ncommit: ${r.gitCommit}${r.gitDirty ? ' (uncommitted changes)' : ''}` : ''}`;
        item.contextValue = 'mlsight.run';
        item.command = { command: 'mlsight.openRun', title: 'Open Run', arguments: [node] };
        item.accessibilityInformation = { label: `Run ${r.name ?? r.id}, ${r.status.toLowerCase()}` };
        return item;
      }
      case 'error': {
        const item = new vscode.TreeItem(`Cannot open the store: ${node.message}`);
        item.iconPath = new vscode.ThemeIcon('warning');
        item.command = { command: 'mlsight.showLog', title: 'Show Log' };
        return item;
      }
    }
  }

  dispose(): void { this.disposables.dispose(); }
}
