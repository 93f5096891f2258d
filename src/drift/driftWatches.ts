import * as path from 'path';
import * as vscode from 'vscode';
import { DriftReport, DriftWatch, readWatchFile, removeWatch, saveWatch, WATCHES_FILE } from '../core/drift';
import { Logger } from '../core/log';
import { DisposableStore } from '../platform/disposables';
import { DriftConfig } from './contract';
import { driftSettings, runDriftReport } from './driftPanel';

const DEBOUNCE_MS = 800;

/** Where a watch stands after its latest run. */
export type WatchState = 'pending' | 'ok' | 'drifted' | 'error';

interface Entry {
  folder: vscode.WorkspaceFolder;
  watch: DriftWatch;
  key: string;
  watchers: DisposableStore;
  timer?: NodeJS.Timeout;
  job?: { cancel(): void };
  running?: Promise<void>;
  state: WatchState;
  /** whether the latest successful run drifted (undefined before the first) */
  drifted?: boolean;
  report?: DriftReport;
  error?: string;
  item?: vscode.StatusBarItem;
}

/** A watch alerts on the calibrated verdict (retraining, or dataset drift that survived the correction), not on raw flags. */
export function reportDrifted(r: DriftReport): boolean {
  return r.verdict.retrain || r.verdict.reasons.some(x => x.code === 'dataset-drift');
}

export function watchConfig(w: DriftWatch): DriftConfig {
  return { reference: w.reference, current: w.current, target: w.target, prediction: w.prediction, time: w.time };
}

/**
 * Saved drift watches (.mlsight/drift-watches.json of each workspace folder): re-runs each watch off the UI
 * thread (the panel's worker) when its reference or current file changes (debounced), shows "$(warning) Drift:
 * <name>" in the status bar while its latest report drifts, and notifies once per transition from OK to drifted.
 * The first run after loading (VS Code start, a new watch) sets the status bar without a notification.
 */
export class DriftWatchService implements vscode.Disposable {
  private readonly disposables = new DisposableStore();
  private readonly entries = new Map<string, Entry>();
  private reloadTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  /** every notification shown (extension-host tests) */
  readonly notifications: { name: string; message: string }[] = [];
  /** errors of watch files that could not be read, by folder (tests) */
  readonly fileErrors = new Map<string, string>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: Logger,
  ) {
    this.disposables.track(vscode.workspace.onDidChangeWorkspaceFolders(() => this.scheduleReload()));
    const w = this.disposables.track(vscode.workspace.createFileSystemWatcher(`**/.mlsight/${WATCHES_FILE}`));
    this.disposables.track(w.onDidCreate(() => this.scheduleReload()));
    this.disposables.track(w.onDidChange(() => this.scheduleReload()));
    this.disposables.track(w.onDidDelete(() => this.scheduleReload()));
    void this.reload();
  }

  private id(folder: vscode.WorkspaceFolder, name: string): string {
    return `${folder.uri.toString()}\u0000${name}`;
  }

  /** The watches loaded, with their state (tests, the remove command). */
  list(): {
    folder: vscode.WorkspaceFolder;
    watch: DriftWatch;
    state: WatchState;
    report?: DriftReport;
    error?: string;
    statusText?: string;
  }[] {
    return [...this.entries.values()].map(e => ({
      folder: e.folder,
      watch: e.watch,
      state: e.state,
      report: e.report,
      error: e.error,
      statusText: e.item?.text,
    }));
  }

  /** Resolves when no watch is waiting or running (tests). */
  async whenIdle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const busy = [...this.entries.values()].filter(e => e.timer !== undefined || e.running !== undefined);
      if (!busy.length && !this.reloadTimer && !this.reloading) {
        return;
      }
      await Promise.all(busy.map(e => e.running ?? Promise.resolve())).catch(() => undefined);
      await new Promise(r => setTimeout(r, 50));
    }
  }

  private scheduleReload(): void {
    if (this.reloadTimer) {
      clearTimeout(this.reloadTimer);
    }
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      void this.reload();
    }, 300);
  }

  private reloading: Promise<void> | undefined;

  /** Re-reads every folder's watch file; new or changed watches run, unchanged ones keep their state. */
  reload(): Promise<void> {
    const run = (this.reloading ?? Promise.resolve()).then(() => this.doReload());
    const p = run.finally(() => {
      if (this.reloading === p) {
        this.reloading = undefined;
      }
    });
    this.reloading = p;
    return p;
  }

  private async doReload(): Promise<void> {
    if (this.disposed) {
      return;
    }
    const seen = new Set<string>();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const content = await readWatchFile(folder.uri.fsPath);
      if (content.error) {
        if (this.fileErrors.get(folder.uri.toString()) !== content.error) {
          this.log.error(`Drift watches: ${content.error}`);
        }
        this.fileErrors.set(folder.uri.toString(), content.error);
        // keep the watches already loaded from this folder: nothing is lost while the file is being fixed
        for (const [id, e] of this.entries) {
          if (e.folder.uri.toString() === folder.uri.toString()) {
            seen.add(id);
          }
        }
        continue;
      }
      this.fileErrors.delete(folder.uri.toString());
      if (content.skipped) {
        this.log.warn(
          `Drift watches: skipped ${content.skipped} invalid or duplicate entr${content.skipped === 1 ? 'y' : 'ies'} in ${folder.name}/.mlsight/${WATCHES_FILE}.`,
        );
      }
      for (const watch of content.watches) {
        const id = this.id(folder, watch.name);
        seen.add(id);
        const key = JSON.stringify(watch);
        const old = this.entries.get(id);
        if (old && old.key === key) {
          continue;
        }
        if (old) {
          this.drop(old);
        }
        const e: Entry = { folder, watch, key, watchers: new DisposableStore(), state: 'pending' };
        this.entries.set(id, e);
        this.watchFiles(e);
        this.schedule(e, 0);
      }
    }
    if (this.disposed) {
      return;
    }
    for (const [id, e] of [...this.entries]) {
      if (!seen.has(id)) {
        this.drop(e);
        this.entries.delete(id);
      }
    }
  }

  private watchFiles(e: Entry): void {
    for (const file of new Set([e.watch.reference, e.watch.current])) {
      const w = e.watchers.track(
        vscode.workspace.createFileSystemWatcher(
          new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)),
        ),
      );
      e.watchers.track(w.onDidChange(() => this.schedule(e, DEBOUNCE_MS)));
      e.watchers.track(w.onDidCreate(() => this.schedule(e, DEBOUNCE_MS)));
      e.watchers.track(w.onDidDelete(() => this.schedule(e, DEBOUNCE_MS)));
    }
  }

  private schedule(e: Entry, ms: number): void {
    if (this.disposed) {
      return;
    }
    if (e.timer) {
      clearTimeout(e.timer);
    }
    e.timer = setTimeout(() => {
      e.timer = undefined;
      this.run(e);
    }, ms);
  }

  private run(e: Entry): void {
    e.job?.cancel();
    const config = watchConfig(e.watch);
    const base = driftSettings(vscode.Uri.file(config.current));
    const options = {
      ...base,
      driftShare: e.watch.driftShare ?? base.driftShare,
      thresholds: { ...base.thresholds, ...(e.watch.thresholds ?? {}) },
    };
    const job = runDriftReport(this.extensionUri, config, options, () => undefined, this.log);
    e.job = job;
    const running = job.result
      .then(
        report => {
          if (e.job !== job || this.disposed) {
            return;
          }
          this.onReport(e, report);
        },
        (err: unknown) => {
          if (e.job !== job || this.disposed) {
            return;
          }
          e.state = 'error';
          e.error = err instanceof Error ? err.message : String(err);
          this.log.warn(`Drift watch "${e.watch.name}": ${e.error}`);
        },
      )
      .finally(() => {
        if (e.running === running) {
          e.running = undefined;
          e.job = undefined;
        }
      });
    e.running = running;
  }

  private onReport(e: Entry, report: DriftReport): void {
    const drifted = reportDrifted(report);
    const was = e.drifted;
    e.report = report;
    e.error = undefined;
    e.drifted = drifted;
    e.state = drifted ? 'drifted' : 'ok';
    this.log.info(
      `Drift watch "${e.watch.name}": ${report.verdict.level}, ${report.dataset.nDrifted}/${report.dataset.nColumns} columns flagged by Evidently.`,
    );
    if (drifted) {
      if (!e.item) {
        e.item = vscode.window.createStatusBarItem(
          `mlsight.driftWatch.${e.watch.name}`,
          vscode.StatusBarAlignment.Left,
          50,
        );
        e.item.name = `ML Sight Drift Watch: ${e.watch.name}`;
        e.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      }
      e.item.text = `$(warning) Drift: ${e.watch.name}`;
      e.item.tooltip = `${report.verdict.headline} — ${report.dataset.nDrifted} of ${report.dataset.nColumns} columns drifted (${path.basename(e.watch.current)} against ${path.basename(e.watch.reference)}). Click to open the report.`;
      e.item.command = {
        title: 'Open Drift Report',
        command: 'mlsight.openDriftReport',
        arguments: [watchConfig(e.watch)],
      };
      e.item.show();
      if (was === false) {
        this.notify(e, report);
      }
    } else {
      e.item?.dispose();
      e.item = undefined;
    }
  }

  private notify(e: Entry, report: DriftReport): void {
    const message = `ML Sight: drift watch "${e.watch.name}" drifted — ${report.verdict.headline} (${report.dataset.nDrifted} of ${report.dataset.nColumns} columns).`;
    this.notifications.push({ name: e.watch.name, message });
    void vscode.window.showWarningMessage(message, 'Open Report').then(choice => {
      if (choice === 'Open Report') {
        void vscode.commands.executeCommand('mlsight.openDriftReport', watchConfig(e.watch));
      }
    });
  }

  private drop(e: Entry): void {
    if (e.timer) {
      clearTimeout(e.timer);
      e.timer = undefined;
    }
    e.job?.cancel();
    e.job = undefined;
    e.running = undefined;
    e.watchers.dispose();
    e.item?.dispose();
    e.item = undefined;
  }

  /** The workspace folder a watch belongs in: the one holding its current file, else its reference, else the first. */
  folderFor(config: DriftConfig): vscode.WorkspaceFolder | undefined {
    return (
      vscode.workspace.getWorkspaceFolder(vscode.Uri.file(config.current)) ??
      vscode.workspace.getWorkspaceFolder(vscode.Uri.file(config.reference)) ??
      vscode.workspace.workspaceFolders?.[0]
    );
  }

  /** Saves (or replaces) a watch, then loads and runs it. Undefined (with a message) when it could not be saved. */
  async save(watch: DriftWatch): Promise<DriftWatch | undefined> {
    const folder = this.folderFor(watch);
    if (!folder) {
      // an expected empty state (no folder open), not an error: say what to do next
      const open = 'Open Folder…';
      const message =
        'ML Sight: drift watches are saved in the workspace (.mlsight/drift-watches.json). Open the folder ' +
        'that holds your data to save one.';
      void vscode.window.showInformationMessage(message, open).then(choice => {
        if (choice === open) {
          void vscode.commands.executeCommand('workbench.action.files.openFolder');
        }
      });
      return undefined;
    }
    try {
      await saveWatch(folder.uri.fsPath, watch);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error(`Drift watches: cannot save "${watch.name}": ${message}`);
      void vscode.window.showErrorMessage(`ML Sight: cannot save the drift watch: ${message}`);
      return undefined;
    }
    this.log.info(`Drift watches: saved "${watch.name}" in ${folder.name}/.mlsight/${WATCHES_FILE}.`);
    await this.reload();
    return watch;
  }

  async remove(folder: vscode.WorkspaceFolder, name: string): Promise<boolean> {
    try {
      await removeWatch(folder.uri.fsPath, name);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error(`Drift watches: cannot remove "${name}": ${message}`);
      void vscode.window.showErrorMessage(`ML Sight: cannot remove the drift watch: ${message}`);
      return false;
    }
    this.log.info(`Drift watches: removed "${name}" from ${folder.name}/.mlsight/${WATCHES_FILE}.`);
    await this.reload();
    return true;
  }

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    if (this.reloadTimer) {
      clearTimeout(this.reloadTimer);
    }
    for (const e of this.entries.values()) {
      this.drop(e);
    }
    this.entries.clear();
    this.disposables.dispose();
  }
}
