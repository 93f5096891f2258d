import * as path from 'path';
import * as vscode from 'vscode';
import { isDataFile } from '../core/drift';
import { Logger } from '../core/log';
import { DisposableStore } from '../platform/disposables';
import { StoreManager } from '../workspace/storeManager';
import { DriftConfig } from './contract';
import { DriftController } from './driftPanel';
import { configArg, pickDriftConfig } from './pickers';

/** The Drift commands and their panel ("ML Sight: Open Drift Report…", Explorer "Set as Drift Reference/Current"). */
export class DriftUi implements vscode.Disposable {
  readonly controller: DriftController;
  private readonly disposables = new DisposableStore();
  /** a file chosen with "Set as Drift Reference", waiting for its current data */
  reference: string | undefined;

  constructor(extensionUri: vscode.Uri, private readonly stores: StoreManager, private readonly log: Logger) {
    this.controller = this.disposables.track(new DriftController(extensionUri, log, {
      configure: () => pickDriftConfig(stores, log, {}),
    }));
  }

  /**
   * Opens a report. `arg` may give any part of the configuration ({reference, current, target, prediction, time};
   * a column given as null means none); the rest is asked for. Returns the configuration used.
   */
  async open(arg?: unknown): Promise<DriftConfig | undefined> {
    const given = configArg(arg);
    const config = await pickDriftConfig(this.stores, this.log, given);
    if (!config) { return undefined; }
    await this.controller.open(config);
    return config;
  }

  async setReference(arg?: unknown): Promise<string | undefined> {
    const file = arg instanceof vscode.Uri ? arg.fsPath : vscode.window.activeTextEditor?.document.uri.fsPath;
    if (!file || !isDataFile(file)) { void vscode.window.showWarningMessage('ML Sight: choose a CSV, TSV, JSON Lines or Parquet file as the drift reference.'); return undefined; }
    this.reference = file;
    void vscode.window.showInformationMessage(`ML Sight: drift reference is ${path.basename(file)}. Now choose "Set as Drift Current Data" on the data to compare with it.`);
    return file;
  }

  async setCurrent(arg?: unknown): Promise<DriftConfig | undefined> {
    const file = arg instanceof vscode.Uri ? arg.fsPath : vscode.window.activeTextEditor?.document.uri.fsPath;
    if (!file || !isDataFile(file)) { void vscode.window.showWarningMessage('ML Sight: choose a CSV, TSV, JSON Lines or Parquet file as the current data.'); return undefined; }
    return this.open({ reference: this.reference, current: file });
  }

  dispose(): void { this.disposables.dispose(); }
}
