import * as vscode from 'vscode';
import { DatasetVersion, listDatasetVersions } from '../core/queries';
import { DisposableStore } from '../platform/disposables';
import { StoreManager } from '../workspace/storeManager';

export type DatasetsNode =
  | { kind: 'dataset'; folder: vscode.WorkspaceFolder; name: string; versions: DatasetVersion[] }
  | { kind: 'version'; folder: vscode.WorkspaceFolder; version: DatasetVersion }
  | { kind: 'use'; folder: vscode.WorkspaceFolder; version: DatasetVersion; use: DatasetVersion['runs'][number] };

/** Datasets → versions (content hashes, rows, columns) → the runs that used each version. */
export class DatasetsTreeProvider implements vscode.TreeDataProvider<DatasetsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<DatasetsNode | undefined>();
  private readonly disposables = new DisposableStore();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly stores: StoreManager) {
    this.disposables.track(this.emitter);
    this.disposables.track(stores.onDidChange(() => this.emitter.fire(undefined)));
  }

  async getChildren(node?: DatasetsNode): Promise<DatasetsNode[]> {
    if (!node) {
      const out: DatasetsNode[] = [];
      for (const folder of this.stores.folders()) {
        try {
          const versions = (await this.stores.get(folder)).read(db => listDatasetVersions(db));
          const names = [...new Set(versions.map(v => v.name))];
          out.push(
            ...names.map(name => ({
              kind: 'dataset' as const,
              folder,
              name,
              versions: versions.filter(v => v.name === name),
            })),
          );
        } catch {
          /* the Runs view reports store errors */
        }
      }
      return out;
    }
    if (node.kind === 'dataset') {
      return node.versions.map(version => ({ kind: 'version', folder: node.folder, version }));
    }
    if (node.kind === 'version') {
      return node.version.runs.map(use => ({ kind: 'use', folder: node.folder, version: node.version, use }));
    }
    return [];
  }

  getTreeItem(node: DatasetsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'dataset': {
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `ds:${node.folder.uri}:${node.name}`;
        item.iconPath = new vscode.ThemeIcon('database');
        item.description = `${node.versions.length} version${node.versions.length === 1 ? '' : 's'}`;
        item.contextValue = 'mlsight.dataset';
        return item;
      }
      case 'version': {
        const v = node.version;
        const item = new vscode.TreeItem(
          v.digest ? v.digest.replace(/^sha256:/, '').slice(0, 12) : '(no hash)',
          vscode.TreeItemCollapsibleState.Collapsed,
        );
        item.id = `dsv:${node.folder.uri}:${v.name}:${v.digest ?? ''}`;
        item.iconPath = new vscode.ThemeIcon(v.digest ? 'versions' : 'warning');
        item.description = [
          v.rows != null ? `${v.rows.toLocaleString()} rows` : '',
          v.columns != null ? `${v.columns} columns` : '',
          `${v.runs.length} run${v.runs.length === 1 ? '' : 's'}`,
        ]
          .filter(Boolean)
          .join(' · ');
        item.tooltip = [
          `${v.name}`,
          `digest: ${v.digest ?? 'not hashed'}`,
          v.path ? `path: ${v.path}` : '',
          v.schema ? `schema: ${v.schema.length > 400 ? v.schema.slice(0, 399) + '…' : v.schema}` : '',
        ]
          .filter(Boolean)
          .join('\n');
        item.contextValue = 'mlsight.datasetVersion';
        if (v.path) {
          const uri = vscode.Uri.joinPath(node.folder.uri, v.path);
          item.resourceUri = uri;
        }
        return item;
      }
      case 'use': {
        const u = node.use;
        const item = new vscode.TreeItem(u.runName ?? u.runId.slice(0, 8), vscode.TreeItemCollapsibleState.None);
        item.id = `dsu:${node.folder.uri}:${node.version.name}:${node.version.digest ?? ''}:${u.runId}:${u.role}`;
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.description = `${u.role} · ${u.experiment}`;
        item.tooltip = `run ${u.runId}${u.startTime ? `\nstarted ${new Date(u.startTime).toLocaleString()}` : ''}`;
        item.command = {
          command: 'mlsight.openRunById',
          title: 'Open Run',
          arguments: [node.folder.uri.toString(), u.runId],
        };
        return item;
      }
    }
  }

  dispose(): void {
    this.disposables.dispose();
  }
}
