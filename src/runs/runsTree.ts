import * as vscode from 'vscode';
import { ExperimentSummary, countRuns, listExperiments, listTrashedRuns } from '../core/queries';
import { KILLED_NOTE, effectiveRunStatus } from '../core/runs/liveness';
import { checkReproducibility } from '../core/runs/reproducibility';
import {
  DEFAULT_SORT,
  RunFilter,
  RunRow,
  RunSort,
  formatMetric,
  isEmptyFilter,
  parseRunFilter,
  runRows,
} from '../core/runs/view';
import { getRun } from '../core/queries';
import { formatDuration, runDescription } from '../core/runs/format';
import { ContextKeyService, ContextKeys } from '../platform/contextKeys';
import { DisposableStore } from '../platform/disposables';
import { StoreManager } from '../workspace/storeManager';
import type { TeamNode, TeamRuns } from '../team/teamRuns';

export type RunsNode =
  | { kind: 'folder'; folder: vscode.WorkspaceFolder }
  | { kind: 'experiment'; folder: vscode.WorkspaceFolder; experiment: ExperimentSummary }
  | { kind: 'trash'; folder: vscode.WorkspaceFolder; count: number }
  | { kind: 'run'; folder: vscode.WorkspaceFolder; run: RunRow; trashed?: boolean }
  | { kind: 'error'; folder: vscode.WorkspaceFolder; message: string }
  | { kind: 'team'; team: TeamNode };

const STATUS_ICON: Record<string, vscode.ThemeIcon> = {
  RUNNING: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  FINISHED: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  FAILED: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  KILLED: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('testing.iconSkipped')),
  SCHEDULED: new vscode.ThemeIcon('clock'),
};

/** One duration format everywhere (core/runs/format.ts); re-exported for the feature folders. */
export { formatDuration };

const SORT_KEY = 'mlsight.runs.sort';
const FILTER_KEY = 'mlsight.runs.filter';

/**
 * Experiments → runs (a folder level in multi-root workspaces, a Trash node for soft-deleted runs), read from
 * the store, filtered and sorted as the user chose (kept in workspace state), refreshed on every store change.
 */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<RunsNode | undefined>();
  private readonly disposables = new DisposableStore();
  readonly onDidChangeTreeData = this.emitter.event;
  private view: vscode.TreeView<RunsNode> | undefined;

  constructor(
    private readonly stores: StoreManager,
    private readonly contextKeys: ContextKeyService,
    private readonly memento: vscode.Memento,
    private readonly keyMetric: () => string,
  ) {
    this.disposables.track(this.emitter);
    this.disposables.track(stores.onDidChange(() => this.refresh()));
    void this.contextKeys.set(ContextKeys.runsFiltered, !isEmptyFilter(this.filter));
  }

  /** The TreeView shows the active filter and sort in its description. */
  attach(view: vscode.TreeView<RunsNode>): void {
    this.view = view;
    this.updateDescription();
    this.disposables.track(
      vscode.workspace.onDidChangeConfiguration(e => {
        if (e.affectsConfiguration('mlsight.runs.keyMetric')) {
          this.refresh();
        }
      }),
    );
  }

  get sort(): RunSort {
    return this.memento.get<RunSort>(SORT_KEY) ?? DEFAULT_SORT;
  }
  get filterText(): string {
    return this.memento.get<string>(FILTER_KEY) ?? '';
  }
  private get filter(): RunFilter | undefined {
    return this.filterText ? parseRunFilter(this.filterText) : undefined;
  }

  async setSort(sort: RunSort): Promise<void> {
    await this.memento.update(SORT_KEY, sort);
    this.updateDescription();
    this.refresh();
  }
  async setFilter(text: string): Promise<void> {
    await this.memento.update(FILTER_KEY, text.trim() || undefined);
    await this.contextKeys.set(ContextKeys.runsFiltered, !!text.trim());
    this.updateDescription();
    this.refresh();
  }

  private updateDescription(): void {
    if (!this.view) {
      return;
    }
    const s = this.sort;
    const sortText =
      s.by === 'start' && s.descending
        ? ''
        : `sorted by ${s.by === 'metric' ? s.metric : s.by} ${s.descending ? '↓' : '↑'}`;
    this.view.description =
      [this.filterText ? `filter: ${this.filterText}` : '', sortText].filter(Boolean).join(' · ') || undefined;
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  private team: TeamRuns | undefined;
  /** Adds the team's MLflow backend as its own root (src/team/teamRuns.ts). */
  setTeam(team: TeamRuns): void {
    this.team = team;
    this.disposables.track(team.onDidChange(() => this.refresh()));
  }
  private teamRoots(): RunsNode[] {
    return (this.team?.roots() ?? []).map(team => ({ kind: 'team', team }));
  }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    const folders = this.stores.folders();
    if (node?.kind === 'team') {
      return ((await this.team?.children(node.team)) ?? []).map(team => ({ kind: 'team', team }));
    }
    if (!node) {
      if (folders.length === 0) {
        return this.teamRoots();
      }
      if (folders.length > 1) {
        await this.updateContext(folders);
        return [...folders.map((folder): RunsNode => ({ kind: 'folder', folder })), ...this.teamRoots()];
      }
      const kids = await this.experimentsOf(folders[0]);
      await this.updateContext(folders);
      return [...kids, ...this.teamRoots()];
    }
    if (node.kind === 'folder') {
      return this.experimentsOf(node.folder);
    }
    if (node.kind === 'experiment') {
      const store = await this.stores.get(node.folder);
      return store
        .read(db =>
          runRows(db, node.experiment.id, this.sort, this.filter, this.keyMetric() || undefined, {
            folder: node.folder.uri.fsPath,
          }),
        )
        .map(run => ({ kind: 'run', folder: node.folder, run }));
    }
    if (node.kind === 'trash') {
      const store = await this.stores.get(node.folder);
      return store
        .read(db => listTrashedRuns(db))
        .map(run => ({ kind: 'run', folder: node.folder, run, trashed: true }));
    }
    return [];
  }

  private async experimentsOf(folder: vscode.WorkspaceFolder): Promise<RunsNode[]> {
    try {
      const store = await this.stores.get(folder);
      return store.read(db => {
        const filter = this.filter;
        const exps: RunsNode[] = listExperiments(db)
          .filter(e => e.runCount > 0 && (isEmptyFilter(filter) || runRows(db, e.id, this.sort, filter).length > 0))
          .map(experiment => ({ kind: 'experiment', folder, experiment }));
        const trashed = listTrashedRuns(db).length;
        if (trashed) {
          exps.push({ kind: 'trash', folder, count: trashed });
        }
        return exps;
      });
    } catch (e) {
      return [{ kind: 'error', folder, message: e instanceof Error ? e.message : String(e) }];
    }
  }

  private async updateContext(folders: readonly vscode.WorkspaceFolder[]): Promise<void> {
    let runs = 0;
    for (const f of folders) {
      try {
        runs += (await this.stores.get(f)).read(db => countRuns(db));
      } catch {
        /* reported in the tree */
      }
    }
    await this.contextKeys.set(ContextKeys.storeReady, true);
    await this.contextKeys.set(ContextKeys.hasRuns, runs > 0);
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'team':
        return this.team!.treeItem(node.team);
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
        item.description = `${e.runCount} run${e.runCount === 1 ? '' : 's'}${e.source !== 'mlsight' ? ` · ${e.source}` : ''}`;
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.contextValue = 'mlsight.experiment';
        item.tooltip = `${e.name} — ${e.source} experiment, ${e.runCount} runs`;
        return item;
      }
      case 'trash': {
        const item = new vscode.TreeItem('Trash', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `trash:${node.folder.uri}`;
        item.description = `${node.count} run${node.count === 1 ? '' : 's'}`;
        item.iconPath = new vscode.ThemeIcon('trash');
        item.tooltip = 'Runs moved to the trash. Restore them from their context menu; their files are untouched.';
        item.contextValue = 'mlsight.trash';
        return item;
      }
      case 'run': {
        const r = node.run;
        const item = new vscode.TreeItem(r.name || r.id.slice(0, 8), vscode.TreeItemCollapsibleState.None);
        item.id = `run:${node.folder.uri}:${r.id}${node.trashed ? ':trash' : ''}`;
        item.iconPath =
          r.starred && !node.trashed
            ? new vscode.ThemeIcon('star-full', new vscode.ThemeColor('charts.yellow'))
            : (STATUS_ICON[r.status] ?? new vscode.ThemeIcon('circle-outline'));
        // the key metric first: a narrow sidebar cuts the end of the description, not the number
        item.description = runDescription({ ...r, statusNote: r.statusNote ? KILLED_NOTE : null }, formatMetric);
        item.contextValue = node.trashed ? 'mlsight.trashedRun' : r.starred ? 'mlsight.run.starred' : 'mlsight.run';
        if (!node.trashed) {
          item.command = { command: 'mlsight.openRun', title: 'Open Run', arguments: [node] };
        }
        item.accessibilityInformation = {
          label: `Run ${r.name ?? r.id}, ${r.status.toLowerCase()}${r.starred ? ', starred' : ''}`,
        };
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

  /** Fills a run's tooltip on hover: params, git, note and the reproducibility check (plain text, never markdown). */
  async resolveTreeItem(item: vscode.TreeItem, node: RunsNode): Promise<vscode.TreeItem> {
    if (node.kind !== 'run') {
      return item;
    }
    const store = await this.stores.get(node.folder);
    const detail = store.read(db => getRun(db, node.run.id));
    if (!detail) {
      return item;
    }
    const repro = await store.read(db => checkReproducibility(db, node.run.id, node.folder.uri.fsPath));
    const live = store.read(db => effectiveRunStatus(db, node.folder.uri.fsPath, detail.id, detail.status));
    const lines = [
      detail.name ?? '(unnamed run)',
      `id: ${detail.id}`,
      `status: ${live.status}${live.note ? ` — ${live.note}` : ''}`,
    ];
    if (detail.startTime) {
      lines.push(`started: ${new Date(detail.startTime).toLocaleString()}`);
    }
    if (detail.gitCommit) {
      lines.push(
        `commit: ${detail.gitCommit}${detail.gitBranch ? ` (${detail.gitBranch})` : ''}${detail.gitDirty ? ', uncommitted changes' : ''}`,
      );
    }
    const params = Object.entries(detail.params);
    if (params.length) {
      lines.push(
        '',
        'params:',
        ...params.slice(0, 20).map(([k, v]) => `  ${k} = ${v.length > 80 ? v.slice(0, 79) + '…' : v}`),
      );
      if (params.length > 20) {
        lines.push(`  … ${params.length - 20} more`);
      }
    }
    if (detail.note) {
      lines.push('', `note: ${detail.note}`);
    }
    lines.push(
      '',
      `reproducibility ${repro.passed}/${repro.total}:`,
      ...repro.checks.map(c => `  ${c.ok ? '✓' : '✗'} ${c.detail}`),
    );
    item.tooltip = lines.join('\n');
    return item;
  }

  dispose(): void {
    this.disposables.dispose();
  }
}
