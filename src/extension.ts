import { bundleLoadStart } from './platform/loadTimer';
import * as vscode from 'vscode';
import { AnnotationBody, annotate } from './core/annotations';
import { RunSort } from './core/runs/view';
import { isSqlJsLoaded } from './core/store/sqljs';
import { CompareController } from './compare/comparePanel';
import { ModelsTreeProvider } from './models/modelsTree';
import { ModelPages } from './models/modelPage';
import { PromotePanel } from './models/promotePanel';
import { RegistryCommands } from './models/registryCommands';
import { RegistryService } from './models/registryService';
import { CommandHandlers, registerCommands } from './platform/commands';
import { ContextKeyService } from './platform/contextKeys';
import { DisposableStore } from './platform/disposables';
import { channelLogger } from './platform/logger';
import { RunPages } from './runs/runPage';
import { DatasetsTreeProvider } from './datasets/datasetsTree';
import { DriftUi } from './drift/driftCommands';
import { LeakageDiagnostics } from './leakage/leakageDiagnostics';
import { RunsNode, RunsTreeProvider } from './runs/runsTree';
import { TeamRuns } from './team/teamRuns';
import { teamCommandHandlers } from './team/teamCommands';
import { listExperiments, listRuns } from './core/queries';
import { StoreManager } from './workspace/storeManager';
import { copyLoggerIntoWorkspace, exposeLoggerInTerminals } from './python/loggerSetup';

/** What the extension exports (used by the extension-host tests and the activation benchmark). */
export interface MlSightApi {
  readonly activationMs: number;
  /** whether sql.js's WebAssembly was loaded when activate() returned (it must not be) */
  readonly storeLoadedAtActivation: boolean;
  isStoreLoaded(): boolean;
  readonly stores: StoreManager;
  readonly runsTree: RunsTreeProvider;
  readonly compare: CompareController;
  readonly runPages: RunPages;
  readonly leakage: LeakageDiagnostics;
  readonly registry: RegistryUi;
  readonly drift: DriftUi;
}

/** The model registry's editor side (the extension-host tests drive the promotion page through `panel`). */
export interface RegistryUi { readonly service: RegistryService; readonly panel: PromotePanel; readonly tree: ModelsTreeProvider; readonly pages: ModelPages }

/** Options passed to a registry command by code (tests, other commands); anything else counts as none. */
function asOptions(x: unknown): Record<string, never> { return (x && typeof x === 'object' && !Array.isArray(x) ? x : {}) as Record<string, never>; }

function isRunNode(x: unknown): x is Extract<RunsNode, { kind: 'run' }> {
  return !!x && typeof x === 'object' && (x as RunsNode).kind === 'run';
}

/** The composition root: builds every service once, by hand, and owns all disposables. */
class Extension implements vscode.Disposable {
  private readonly disposables = new DisposableStore();
  readonly stores: StoreManager;
  readonly runsTree: RunsTreeProvider;
  readonly compare: CompareController;
  readonly runPages: RunPages;
  readonly leakage: LeakageDiagnostics;
  readonly registry: RegistryUi;
  readonly drift: DriftUi;

  constructor(context: vscode.ExtensionContext) {
    const channel = this.disposables.track(vscode.window.createOutputChannel('ML Sight', { log: true }));
    const log = channelLogger(channel);
    const contextKeys = new ContextKeyService();
    this.stores = this.disposables.track(new StoreManager(log, folder => ({
      persistDelayMs: vscode.workspace.getConfiguration('mlsight.store', folder).get<number>('persistDelayMs', 250),
      exclude: vscode.workspace.getConfiguration('mlsight.runs', folder).get<string[]>('exclude', []),
    }), vscode.Uri.joinPath(context.extensionUri, 'dist', 'cli.js').fsPath));
    const runsTree = this.runsTree = this.disposables.track(new RunsTreeProvider(this.stores, contextKeys, context.workspaceState,
      () => vscode.workspace.getConfiguration('mlsight.runs').get<string>('keyMetric', '')));
    const registries = this.disposables.track(new RegistryService(this.stores, log));
    const modelsTree = this.disposables.track(new ModelsTreeProvider(this.stores, contextKeys, folder => registries.get(folder)));
    const promotePanel = this.disposables.track(new PromotePanel(context.extensionUri, log));
    const modelPages = this.disposables.track(new ModelPages(context.extensionUri, this.stores, registries, log));
    this.registry = { service: registries, panel: promotePanel, tree: modelsTree, pages: modelPages };
    this.disposables.track(vscode.window.createTreeView('mlsight.models', { treeDataProvider: modelsTree, showCollapseAll: true }));
    const datasetsTree = this.disposables.track(new DatasetsTreeProvider(this.stores));
    this.disposables.track(vscode.window.createTreeView('mlsight.datasets', { treeDataProvider: datasetsTree, showCollapseAll: true }));

    this.compare = this.disposables.track(new CompareController(context.extensionUri, this.stores, log, {
      openRun: async (folder, runId) => this.runPages.open(folder, runId),
    }));
    this.runPages = this.disposables.track(new RunPages(context.extensionUri, this.stores, log, {
      compare: async (folder, runIds) => vscode.commands.executeCommand('mlsight.compareRuns', { kind: 'run', folder, run: { id: runIds[0] } }),
    }));
    const runsView = this.disposables.track(vscode.window.createTreeView('mlsight.runs', { treeDataProvider: runsTree, showCollapseAll: true, canSelectMany: true }));
    runsTree.attach(runsView);
    const team = this.disposables.track(new TeamRuns(context.secrets, log));
    runsTree.setTeam(team);
    this.disposables.track(vscode.workspace.onDidChangeConfiguration(e => { if (e.affectsConfiguration('mlsight.runs.keyMetric')) { runsTree.refresh(); } }));
    /** Writes an annotation for a run (star, rename, …) to the append-only log and the store. */
    const annotateRun = async (node: Extract<RunsNode, { kind: 'run' }>, body: AnnotationBody) => {
      await annotate(await this.stores.get(node.folder), body);
    };

    const pickFolder = async (): Promise<vscode.WorkspaceFolder | undefined> => {
      const folders = this.stores.folders();
      if (folders.length <= 1) { return folders[0]; }
      return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Which workspace folder?' });
    };

    const drift = this.drift = this.disposables.track(new DriftUi(context.extensionUri, this.stores, log));

    const registryCommands = new RegistryCommands({
      stores: this.stores, registries, panel: promotePanel, log, pickFolder, openRun: (folder, runId) => this.runPages.open(folder, runId),
    });

    const handlers: CommandHandlers = {
      ...teamCommandHandlers(team, this.stores, log, () => runsView.selection),
      'mlsight.registerModel': (item?: unknown, options?: unknown) => registryCommands.register(item, asOptions(options)),
      'mlsight.setModelAlias': (item?: unknown, options?: unknown) => registryCommands.setAlias(item, asOptions(options)),
      'mlsight.setModelStage': (item?: unknown, options?: unknown) => registryCommands.setStage(item, asOptions(options)),
      'mlsight.promoteModel': (item?: unknown, options?: unknown) => registryCommands.promote(item, asOptions(options)),
      'mlsight.undoPromotion': (item?: unknown, options?: unknown) => registryCommands.undo(item, asOptions(options)),
      'mlsight.configureCanary': (item?: unknown, options?: unknown) => registryCommands.configureCanary(item, asOptions(options)),
      'mlsight.openModelPage': async (item?: unknown, options?: unknown) => {
        const o = asOptions(options) as { folder?: string; model?: string };
        const node = item as { kind?: string; folder?: vscode.WorkspaceFolder; model?: { name?: string } } | undefined;
        let folder = o.folder ? this.stores.folders().find(f => f.uri.toString() === o.folder) : (node?.kind === 'model' || node?.kind === 'version') ? node.folder : undefined;
        let model = o.model ?? ((node?.kind === 'model' || node?.kind === 'version') ? node.model?.name : undefined);
        folder ??= await pickFolder();
        if (!folder) { return; }
        if (!model) {
          const names = (await this.stores.get(folder)).read(db => db.all<{ name: string }>('SELECT name FROM models ORDER BY name')).map(r => r.name);
          if (!names.length) { void vscode.window.showInformationMessage('ML Sight: there is no registered model here yet.'); return; }
          model = names.length === 1 ? names[0] : await vscode.window.showQuickPick(names, { title: 'ML Sight: Open Model Page', placeHolder: 'Which model?' });
        }
        if (model) { modelPages.open(folder, model); }
      },
      'mlsight.openDriftReport': (config?: unknown) => drift.open(config),
      'mlsight.setDriftReference': (uri?: unknown) => drift.setReference(uri),
      'mlsight.setDriftCurrent': (uri?: unknown) => drift.setCurrent(uri),
      'mlsight.saveDriftWatch': (config?: unknown) => drift.saveWatch(config),
      'mlsight.removeDriftWatch': (name?: unknown) => drift.removeWatch(name),
      'mlsight.refreshRuns': async () => {
        for (const f of this.stores.folders()) { await this.stores.sync(await this.stores.get(f), true); }
        runsTree.refresh();
      },
      'mlsight.sortRuns': async () => {
        const metricKeys = new Set<string>();
        for (const f of this.stores.folders()) {
          (await this.stores.get(f)).read(db => db.all<{ key: string }>(`SELECT DISTINCT key FROM latest_metrics WHERE key NOT LIKE 'feature_importance/%' ORDER BY key LIMIT 500`)).forEach(r => metricKeys.add(r.key));
        }
        type SortPick = vscode.QuickPickItem & { sort: RunSort };
        const cur = runsTree.sort;
        const items: SortPick[] = [
          { label: 'Start time, newest first', sort: { by: 'start', descending: true } },
          { label: 'Start time, oldest first', sort: { by: 'start', descending: false } },
          { label: 'Name', sort: { by: 'name', descending: false } },
          { label: 'Status', sort: { by: 'status', descending: false } },
          ...[...metricKeys].flatMap(k => [
            { label: `${k}, highest first`, description: 'metric', sort: { by: 'metric', metric: k, descending: true } as RunSort },
            { label: `${k}, lowest first`, description: 'metric', sort: { by: 'metric', metric: k, descending: false } as RunSort },
          ]),
        ];
        for (const i of items) { if (i.sort.by === cur.by && i.sort.metric === cur.metric && i.sort.descending === cur.descending) { i.picked = true; i.detail = 'current'; } }
        const pick = await vscode.window.showQuickPick(items, { title: 'Sort Runs (starred runs stay on top)', matchOnDescription: true });
        if (pick) { await runsTree.setSort(pick.sort); }
        return pick?.sort;
      },
      'mlsight.filterRuns': async () => {
        const text = await vscode.window.showInputBox({
          title: 'Filter Runs', value: runsTree.filterText,
          prompt: 'Words match name, id, params and tags; also status:failed, tag:key or tag:key=value. Empty clears the filter.',
          placeHolder: 'e.g. resnet status:finished tag:team=vision',
        });
        if (text !== undefined) { await runsTree.setFilter(text); }
        return text;
      },
      'mlsight.clearRunsFilter': () => runsTree.setFilter(''),
      'mlsight.starRun': async (arg?: unknown) => { if (isRunNode(arg)) { await annotateRun(arg, { action: 'run.star', runId: arg.run.id, starred: true }); } },
      'mlsight.unstarRun': async (arg?: unknown) => { if (isRunNode(arg)) { await annotateRun(arg, { action: 'run.star', runId: arg.run.id, starred: false }); } },
      'mlsight.renameRun': async (arg?: unknown) => {
        if (!isRunNode(arg)) { return; }
        const name = await vscode.window.showInputBox({ title: 'Rename Run', value: arg.run.name ?? '', prompt: 'Shown in ML Sight only; the run\'s own files are not changed. Empty restores the original name.' });
        if (name !== undefined) { await annotateRun(arg, { action: 'run.rename', runId: arg.run.id, name: name.trim() || null }); }
      },
      'mlsight.tagRun': async (arg?: unknown) => {
        if (!isRunNode(arg)) { return; }
        const text = await vscode.window.showInputBox({
          title: 'Tag Run', prompt: 'key=value (a key alone sets "true"; key= removes the tag)', placeHolder: 'e.g. candidate=yes',
          validateInput: v => (/^\s*[^=\s][^=]*(=.*)?$/.test(v) ? undefined : 'Write key=value'),
        });
        if (!text) { return; }
        const i = text.indexOf('=');
        const key = (i < 0 ? text : text.slice(0, i)).trim();
        const value = i < 0 ? 'true' : text.slice(i + 1).trim();
        await annotateRun(arg, { action: 'run.tag', runId: arg.run.id, key, value: i >= 0 && value === '' ? null : value });
      },
      'mlsight.noteRun': async (arg?: unknown) => {
        if (!isRunNode(arg)) { return; }
        const note = await vscode.window.showInputBox({ title: 'Note on Run', value: arg.run.note ?? '', prompt: 'A description of this run (empty removes the note).' });
        if (note !== undefined) { await annotateRun(arg, { action: 'run.note', runId: arg.run.id, note: note.trim() || null }); }
      },
      'mlsight.trashRun': async (item?: unknown, selected?: unknown[]) => {
        const nodes = (Array.isArray(selected) && selected.length ? selected : [item]).filter(isRunNode).filter(n => !n.trashed);
        if (!nodes.length) { return; }
        for (const n of nodes) { await annotateRun(n, { action: 'run.trash', runId: n.run.id, trashed: true }); }
        const label = nodes.length === 1 ? `"${nodes[0].run.name ?? nodes[0].run.id}"` : `${nodes.length} runs`;
        void vscode.window.showInformationMessage(`ML Sight: moved ${label} to the trash. Its files are untouched.`, 'Undo').then(async c => {
          if (c) { for (const n of nodes) { await annotateRun(n, { action: 'run.trash', runId: n.run.id, trashed: false }); } }
        });
      },
      'mlsight.restoreRun': async (arg?: unknown) => { if (isRunNode(arg)) { await annotateRun(arg, { action: 'run.trash', runId: arg.run.id, trashed: false }); } },
      'mlsight.showStoreInfo': async () => {
        const folder = await pickFolder();
        if (!folder) { void vscode.window.showInformationMessage('ML Sight: open a folder to create a store.'); return undefined; }
        const info = (await this.stores.get(folder)).info();
        channel.info(`Store info: ${JSON.stringify(info)}`);
        const rows = Object.entries(info.counts).filter(([, n]) => n > 0).map(([t, n]) => `${t}: ${n}`).join(', ') || 'empty';
        void vscode.window.showInformationMessage(`ML Sight store: ${vscode.workspace.asRelativePath(info.path)} — schema v${info.schemaVersion}, ${info.sizeBytes} bytes (${rows}).`, 'Show Log')
          .then(c => { if (c) { channel.show(true); } });
        return info;
      },
      'mlsight.rebuildStore': async () => {
        const folder = await pickFolder();
        if (!folder) { return undefined; }
        const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'ML Sight: rebuilding the store…' }, () => this.stores.rebuild(folder));
        void vscode.window.showInformationMessage(`ML Sight: store rebuilt from ${r.runs} run logs and ${r.registryEvents} registry events.`);
        return r;
      },
      'mlsight.showLog': () => channel.show(),
      'mlsight.copyPythonLogger': async () => {
        const folder = await pickFolder();
        if (!folder) { void vscode.window.showInformationMessage('ML Sight: open a folder first.'); return undefined; }
        return (await copyLoggerIntoWorkspace(context.extensionUri, folder))?.toString();
      },
      'mlsight.openRun': async (arg?: unknown) => {
        if (!isRunNode(arg)) { return; }
        this.runPages.open(arg.folder, arg.run.id);
        return arg.run.id;
      },
      'mlsight.openRunById': async (folderUri?: unknown, runId?: unknown) => {
        const folder = this.stores.folders().find(f => f.uri.toString() === folderUri);
        if (!folder || typeof runId !== 'string') { return; }
        this.runPages.open(folder, runId);
        return runId;
      },
      'mlsight.compareRuns': async (item?: unknown, selected?: unknown[]) => {
        // From the Runs view: the clicked item and the multi-selection; from the title bar: the selection.
        let nodes = (Array.isArray(selected) && selected.length ? selected : item ? [item] : [...runsView.selection]).filter(isRunNode);
        if (nodes.length < 2) {
          const folder = nodes[0]?.folder ?? await pickFolder();
          if (!folder) { void vscode.window.showInformationMessage('ML Sight: open a folder with runs to compare them.'); return; }
          const runs = (await this.stores.get(folder)).read(db => listExperiments(db).flatMap(e => listRuns(db, e.id).map(r => ({ r, e }))));
          const picked = await vscode.window.showQuickPick(
            runs.map(({ r, e }) => ({ label: r.name ?? r.id.slice(0, 8), description: `${e.name} · ${r.status.toLowerCase()}`, detail: r.id, picked: nodes.some(n => n.run.id === r.id), id: r.id })),
            { canPickMany: true, title: 'Compare Runs', placeHolder: 'Select two or more runs', matchOnDescription: true, matchOnDetail: true });
          if (!picked || picked.length === 0) { return; }
          await this.compare.open(folder, picked.map(p => p.id));
          return picked.map(p => p.id);
        }
        const folder = nodes[0].folder;
        nodes = nodes.filter(n => n.folder.uri.toString() === folder.uri.toString());
        await this.compare.open(folder, nodes.map(n => n.run.id));
        return nodes.map(n => n.run.id);
      },
      'mlsight.setBaseline': async (arg?: unknown) => {
        if (!isRunNode(arg)) { return; }
        await annotateRun(arg, { action: 'experiment.baseline', experimentId: arg.run.experimentId, runId: arg.run.id });
        vscode.window.setStatusBarMessage(`ML Sight: ${arg.run.name ?? arg.run.id} is now the baseline of its experiment`, 3000);
      },
      'mlsight.copyRunId': async (arg?: unknown) => {
        if (!isRunNode(arg)) { return; }
        await vscode.env.clipboard.writeText(arg.run.id);
        vscode.window.setStatusBarMessage(`ML Sight: copied run id ${arg.run.id}`, 3000);
      },
    };
    for (const d of registerCommands(handlers, channel)) { this.disposables.track(d); }
    exposeLoggerInTerminals(context);
    this.leakage = this.disposables.track(new LeakageDiagnostics(log));
  }

  async shutdown(): Promise<void> { await this.stores.closeAll(); }

  dispose(): void { this.disposables.dispose(); }
}

let extension: Extension | undefined;

export function activate(context: vscode.ExtensionContext): MlSightApi {
  extension = new Extension(context);
  context.subscriptions.push(extension);
  // From the first line of the bundle to the end of activate(): what ML Sight adds to VS Code's startup.
  const activationMs = performance.now() - bundleLoadStart;
  return { activationMs, storeLoadedAtActivation: isSqlJsLoaded(), isStoreLoaded: () => isSqlJsLoaded(), stores: extension.stores, runsTree: extension.runsTree, compare: extension.compare, runPages: extension.runPages, leakage: extension.leakage, registry: extension.registry, drift: extension.drift };
}

export async function deactivate(): Promise<void> {
  // Flush every store before VS Code disposes the subscriptions (which would only start the flush).
  await extension?.shutdown();
  extension = undefined;
}
