import * as path from 'path';
import * as vscode from 'vscode';
import { DriftWatch, isDataFile } from '../core/drift';
import { Logger } from '../core/log';
import { DisposableStore } from '../platform/disposables';
import { StoreManager } from '../workspace/storeManager';
import { DriftConfig } from './contract';
import { DriftController } from './driftPanel';
import { DriftWatchService } from './driftWatches';
import { configArg, pickDriftConfig } from './pickers';

/** The Drift commands and their panel ("ML Sight: Open Drift Report…", Explorer "Set as Drift Reference/Current"). */
export class DriftUi implements vscode.Disposable {
  readonly controller: DriftController;
  /** saved drift watches (.mlsight/drift-watches.json), re-run on change */
  readonly watches: DriftWatchService;
  private readonly disposables = new DisposableStore();
  /** a file chosen with "Set as Drift Reference", waiting for its current data */
  reference: string | undefined;

  constructor(
    extensionUri: vscode.Uri,
    private readonly stores: StoreManager,
    private readonly log: Logger,
  ) {
    this.controller = this.disposables.track(
      new DriftController(extensionUri, log, {
        configure: () => pickDriftConfig(stores, log, {}),
        saveWatch: config => this.saveWatch(config),
      }),
    );
    this.watches = this.disposables.track(new DriftWatchService(extensionUri, log));
  }

  /**
   * Opens a report. `arg` may give any part of the configuration ({reference, current, target, prediction, time};
   * a column given as null means none); the rest is asked for. Returns the configuration used.
   */
  async open(arg?: unknown): Promise<DriftConfig | undefined> {
    const given = configArg(arg);
    const config = await pickDriftConfig(this.stores, this.log, given);
    if (!config) {
      return undefined;
    }
    await this.controller.open(config);
    return config;
  }

  async setReference(arg?: unknown): Promise<string | undefined> {
    const file = arg instanceof vscode.Uri ? arg.fsPath : vscode.window.activeTextEditor?.document.uri.fsPath;
    if (!file || !isDataFile(file)) {
      void vscode.window.showWarningMessage(
        'ML Sight: choose a CSV, TSV, JSON Lines or Parquet file as the drift reference.',
      );
      return undefined;
    }
    this.reference = file;
    void vscode.window.showInformationMessage(
      `ML Sight: drift reference is ${path.basename(file)}. Now choose "Set as Drift Current Data" on the data to compare with it.`,
    );
    return file;
  }

  async setCurrent(arg?: unknown): Promise<DriftConfig | undefined> {
    const file = arg instanceof vscode.Uri ? arg.fsPath : vscode.window.activeTextEditor?.document.uri.fsPath;
    if (!file || !isDataFile(file)) {
      void vscode.window.showWarningMessage(
        'ML Sight: choose a CSV, TSV, JSON Lines or Parquet file as the current data.',
      );
      return undefined;
    }
    return this.open({ reference: this.reference, current: file });
  }

  /**
   * "ML Sight: Save Drift Watch…" and the report's "Save as Watch": `arg` may give the configuration and a `name`
   * (and `driftShare`, `thresholds`); the configuration defaults to the open report's, else is asked for, and the
   * name is asked for. Returns the watch saved.
   */
  async saveWatch(arg?: unknown): Promise<DriftWatch | undefined> {
    const a = arg && typeof arg === 'object' && !(arg instanceof vscode.Uri) ? (arg as Record<string, unknown>) : {};
    const given = { ...(this.controller.config ?? {}), ...configArg(arg) };
    const config = await pickDriftConfig(this.stores, this.log, given);
    if (!config) {
      return undefined;
    }
    const taken = new Set(this.watches.list().map(w => w.watch.name));
    let name = typeof a.name === 'string' ? a.name.trim() : '';
    if (!name) {
      const suggested = path.basename(config.current).replace(/\.[^.]*$/, '') || 'drift';
      name =
        (
          await vscode.window.showInputBox({
            title: 'Save Drift Watch',
            prompt: `Re-run ${path.basename(config.reference)} → ${path.basename(config.current)} when either file changes`,
            value: suggested,
            ignoreFocusOut: true,
            validateInput: v =>
              !v.trim()
                ? 'Give the watch a name'
                : taken.has(v.trim())
                  ? 'A watch with this name exists; saving replaces it'
                  : undefined,
          })
        )?.trim() ?? '';
      if (!name) {
        return undefined;
      }
    }
    const watch: DriftWatch = { name, ...config };
    if (typeof a.driftShare === 'number') {
      watch.driftShare = a.driftShare;
    }
    if (a.thresholds && typeof a.thresholds === 'object') {
      watch.thresholds = a.thresholds;
    }
    const saved = await this.watches.save(watch);
    if (saved) {
      vscode.window.setStatusBarMessage(`ML Sight: saved the drift watch "${name}"`, 3000);
    }
    return saved;
  }

  /** "ML Sight: Remove Drift Watch…": `arg` is a watch name, or asked for. Returns the name removed. */
  async removeWatch(arg?: unknown): Promise<string | undefined> {
    const all = this.watches.list();
    let picked = typeof arg === 'string' ? all.find(w => w.watch.name === arg) : undefined;
    if (typeof arg === 'string' && !picked) {
      void vscode.window.showWarningMessage(`ML Sight: there is no drift watch "${arg}".`);
      return undefined;
    }
    if (!picked) {
      if (!all.length) {
        const save = 'Save Drift Watch…';
        const message =
          'ML Sight: there are no drift watches yet. A watch re-runs a drift report when its files change and ' +
          'warns in the status bar: open a report and choose "Save as Watch", or save one now.';
        void vscode.window.showInformationMessage(message, save).then(choice => {
          if (choice === save) {
            void vscode.commands.executeCommand('mlsight.saveDriftWatch');
          }
        });
        return undefined;
      }
      const choice = await vscode.window.showQuickPick(
        all.map(w => ({
          label: w.watch.name,
          description: `${path.basename(w.watch.reference)} → ${path.basename(w.watch.current)}`,
          detail: `${w.state}${(vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? ` · ${w.folder.name}` : ''}`,
          w,
        })),
        { title: 'Remove Drift Watch', placeHolder: 'The watch to remove' },
      );
      picked = choice?.w;
    }
    if (!picked) {
      return undefined;
    }
    return (await this.watches.remove(picked.folder, picked.watch.name)) ? picked.watch.name : undefined;
  }

  dispose(): void {
    this.disposables.dispose();
  }
}
