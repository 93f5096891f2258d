import { bundleLoadStart } from './platform/loadTimer';
import * as vscode from 'vscode';
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
import { RunsTreeProvider } from './runs/runsTree';
import { TeamRuns } from './team/teamRuns';
import { teamCommandHandlers } from './team/teamCommands';
import { compareArg, runsCommands } from './runs/runsCommands';
import { storeCommands } from './workspace/storeCommands';
import { modelCommands } from './models/modelCommands';
import { driftCommands } from './drift/commandHandlers';
import { exposeLoggerInTerminals } from './python/loggerSetup';
import { StoreManager } from './workspace/storeManager';
import type { MlSightApi, RegistryUi } from './api';

export type { MlSightApi, RegistryUi } from './api';

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
    const treeView = <T>(id: string, treeDataProvider: vscode.TreeDataProvider<T>, canSelectMany = false) =>
      this.disposables.track(
        vscode.window.createTreeView(id, { treeDataProvider, showCollapseAll: true, canSelectMany }),
      );
    this.stores = this.disposables.track(StoreManager.fromSettings(log, context.extensionUri));
    const runsTree = (this.runsTree = this.disposables.track(
      new RunsTreeProvider(this.stores, contextKeys, context.workspaceState, () =>
        vscode.workspace.getConfiguration('mlsight.runs').get<string>('keyMetric', ''),
      ),
    ));
    const registries = this.disposables.track(new RegistryService(this.stores, log));
    const modelsTree = this.disposables.track(
      new ModelsTreeProvider(this.stores, contextKeys, folder => registries.get(folder)),
    );
    const promotePanel = this.disposables.track(new PromotePanel(context.extensionUri, log));
    const modelPages = this.disposables.track(new ModelPages(context.extensionUri, this.stores, registries, log));
    this.registry = { service: registries, panel: promotePanel, tree: modelsTree, pages: modelPages };
    treeView('mlsight.models', modelsTree);
    treeView('mlsight.datasets', this.disposables.track(new DatasetsTreeProvider(this.stores)));

    const team = this.disposables.track(new TeamRuns(context.secrets, log));
    this.compare = this.disposables.track(
      new CompareController(context.extensionUri, this.stores, log, {
        openRun: async (folder, runId) => this.runPages.open(folder, runId),
        team: () => team.open(),
      }),
    );
    this.runPages = this.disposables.track(
      new RunPages(context.extensionUri, this.stores, log, {
        compare: async (folder, ids) =>
          vscode.commands.executeCommand('mlsight.compareRuns', compareArg(folder, ids[0])),
        team: () => team.open(),
      }),
    );
    const runsView = treeView('mlsight.runs', runsTree, true);
    runsTree.attach(runsView);
    runsTree.setTeam(team);
    [modelsTree, modelPages].forEach(t => t.setTeam(team.registry)); // team models: Models view and model pages
    const pickFolder = () => this.stores.pickFolder();

    const drift = (this.drift = this.disposables.track(new DriftUi(context.extensionUri, this.stores, log)));

    const registryCommands = new RegistryCommands({
      stores: this.stores,
      registries,
      panel: promotePanel,
      log,
      pickFolder,
      openRun: (folder, runId) => void this.runPages.open(folder, runId),
      team: () => team.open(),
      teamChanged: () => team.registry.changed(),
    });

    const handlers: CommandHandlers = {
      ...runsCommands({
        stores: this.stores,
        tree: runsTree,
        view: runsView,
        pickFolder,
        openRun: (folder, runId, opts) => this.runPages.open(folder, runId, opts),
        compare: async (folder, runIds) => {
          this.runPages.closePreview(folder, runIds); // selecting the runs opened a preview page
          await this.compare.open(folder, runIds);
        },
        teamRuns: () => team.loadedRuns(),
      }),
      ...storeCommands({ stores: this.stores, channel, log, extensionUri: context.extensionUri, pickFolder }),
      ...modelCommands({ stores: this.stores, registry: registryCommands, pages: modelPages, pickFolder }),
      ...driftCommands(drift),
      ...teamCommandHandlers(team, this.stores, log, runsView, this.runPages),
    };
    for (const d of registerCommands(handlers, channel)) {
      this.disposables.track(d);
    }
    exposeLoggerInTerminals(context);
    this.leakage = this.disposables.track(new LeakageDiagnostics(log));
  }

  async shutdown(): Promise<void> {
    await this.stores.closeAll();
  }

  dispose(): void {
    this.disposables.dispose();
  }
}

let extension: Extension | undefined;

export function activate(context: vscode.ExtensionContext): MlSightApi {
  extension = new Extension(context);
  context.subscriptions.push(extension);
  // From the first line of the bundle to the end of activate(): what ML Sight adds to VS Code's startup.
  const activationMs = performance.now() - bundleLoadStart;
  const { stores, runsTree, compare, runPages, leakage, registry, drift } = extension;
  const services = { stores, runsTree, compare, runPages, leakage, registry, drift };
  return { activationMs, storeLoadedAtActivation: isSqlJsLoaded(), isStoreLoaded: isSqlJsLoaded, ...services };
}

export async function deactivate(): Promise<void> {
  // Flush every store before VS Code disposes the subscriptions (which would only start the flush).
  await extension?.shutdown();
  extension = undefined;
}
