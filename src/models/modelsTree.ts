import * as vscode from 'vscode';
import { ModelSummary, ModelVersionSummary, listModelVersions, listModels } from '../core/queries';
import { ContextKeyService, ContextKeys } from '../platform/contextKeys';
import { DisposableStore } from '../platform/disposables';
import { StoreManager } from '../workspace/storeManager';

export type ModelsNode =
  | { kind: 'model'; folder: vscode.WorkspaceFolder; model: ModelSummary }
  | { kind: 'version'; folder: vscode.WorkspaceFolder; version: ModelVersionSummary };

/** Registered models → versions, with aliases and stages, from the store. */
export class ModelsTreeProvider implements vscode.TreeDataProvider<ModelsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ModelsNode | undefined>();
  private readonly disposables = new DisposableStore();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly stores: StoreManager, private readonly contextKeys: ContextKeyService) {
    this.disposables.track(this.emitter);
    this.disposables.track(stores.onDidChange(() => this.emitter.fire(undefined)));
  }

  async getChildren(node?: ModelsNode): Promise<ModelsNode[]> {
    if (!node) {
      const out: ModelsNode[] = [];
      for (const folder of this.stores.folders()) {
        try {
          const store = await this.stores.get(folder);
          out.push(...store.read(db => listModels(db)).map(model => ({ kind: 'model' as const, folder, model })));
        } catch { /* the Runs view reports store errors */ }
      }
      await this.contextKeys.set(ContextKeys.hasModels, out.length > 0);
      return out;
    }
    if (node.kind === 'model') {
      const store = await this.stores.get(node.folder);
      return store.read(db => listModelVersions(db, node.model.name)).map(version => ({ kind: 'version', folder: node.folder, version }));
    }
    return [];
  }

  getTreeItem(node: ModelsNode): vscode.TreeItem {
    if (node.kind === 'model') {
      const m = node.model;
      const item = new vscode.TreeItem(m.name, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `model:${node.folder.uri}:${m.name}`;
      item.iconPath = new vscode.ThemeIcon('package');
      item.description = [`${m.versionCount} version${m.versionCount === 1 ? '' : 's'}`, ...Object.entries(m.aliases).map(([a, v]) => `@${a}→v${v}`)].join(' · ');
      item.tooltip = m.description ?? m.name;
      item.contextValue = 'mlsight.model';
      return item;
    }
    const v = node.version;
    const item = new vscode.TreeItem(`v${v.version}`, vscode.TreeItemCollapsibleState.None);
    item.id = `modelversion:${node.folder.uri}:${v.model}:${v.version}`;
    item.iconPath = new vscode.ThemeIcon(v.aliases.includes('champion') ? 'star-full' : 'versions');
    item.description = [...v.aliases.map(a => `@${a}`), v.stage !== 'None' ? v.stage : ''].filter(Boolean).join(' · ');
    item.tooltip = `${v.model} version ${v.version}${v.runId ? `\nrun: ${v.runId}` : ''}\nstage: ${v.stage}`;
    item.contextValue = 'mlsight.modelVersion';
    return item;
  }

  dispose(): void { this.disposables.dispose(); }
}
