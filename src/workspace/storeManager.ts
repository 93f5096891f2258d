import * as path from 'path';
import * as vscode from 'vscode';
import { Logger } from '../core/log';
import { rebuildFromWorkspace } from '../core/rebuild';
import { ingestMlsightRuns } from '../core/ingest/mlsightRunLog';
import { IngestOptions, ingestWorkspace } from '../core/ingest/scan';
import { DB_FILE, LOCK_FILE, STORE_DIR, WorkspaceStore } from '../core/store/store';
import { TEMP_MARK } from '../core/store/atomicFile';
import { DisposableStore } from '../platform/disposables';
import { errorMessage } from '../core/errors';

export interface StoreSettings {
  persistDelayMs: number;
  exclude: readonly string[];
}

/** How often sources of other trackers are re-scanned in full (TensorBoard runs go from RUNNING to FINISHED). */
const FULL_SCAN_INTERVAL_MS = 60_000;

/**
 * One WorkspaceStore per (file-system) workspace folder, opened lazily on first use so that activating the
 * extension never loads sql.js. Watches `.mlsight/` for new run-log lines and for store writes by other
 * windows, and fires onDidChange (debounced) for the views.
 */
export class StoreManager implements vscode.Disposable {
  private readonly stores = new Map<string, Promise<WorkspaceStore>>();
  private readonly opened = new Map<string, WorkspaceStore>();
  private readonly disposables = new DisposableStore();
  private readonly changed = new vscode.EventEmitter<vscode.WorkspaceFolder>();
  private readonly pendingSync = new Map<string, NodeJS.Timeout>();
  readonly onDidChange = this.changed.event;

  /** A store manager configured from the `mlsight.store` and `mlsight.runs` settings of each folder. */
  static fromSettings(log: Logger, extensionUri: vscode.Uri): StoreManager {
    return new StoreManager(
      log,
      folder => ({
        persistDelayMs: vscode.workspace.getConfiguration('mlsight.store', folder).get<number>('persistDelayMs', 250),
        exclude: vscode.workspace.getConfiguration('mlsight.runs', folder).get<string[]>('exclude', []),
      }),
      vscode.Uri.joinPath(extensionUri, 'dist', 'worker.js').fsPath,
    );
  }

  /** `readerScript`: the worker bundle (dist/worker.js), which serves the threads that read big MLflow FileStores. */
  constructor(
    private readonly log: Logger,
    private readonly settings: (folder: vscode.WorkspaceFolder) => StoreSettings,
    private readonly readerScript?: string,
  ) {
    this.disposables.track(this.changed);
    this.disposables.track(
      vscode.workspace.onDidChangeWorkspaceFolders(e => {
        for (const f of e.removed) {
          void this.closeFolder(f);
        }
        for (const f of e.added) {
          this.changed.fire(f);
        }
      }),
    );
  }

  /** Folders that can hold a store (file system folders; virtual workspaces are not supported). */
  folders(): readonly vscode.WorkspaceFolder[] {
    return (vscode.workspace.workspaceFolders ?? []).filter(f => f.uri.scheme === 'file');
  }

  /** The folder a command works on: the only one, or the one the user picks (undefined: none or cancelled). */
  async pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
    const folders = this.folders();
    if (folders.length <= 1) {
      return folders[0];
    }
    return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Which workspace folder?' });
  }

  /** True once at least one store has been opened (and so sql.js loaded). */
  isLoaded(): boolean {
    return this.opened.size > 0;
  }

  loadedStore(folder: vscode.WorkspaceFolder): WorkspaceStore | undefined {
    return this.opened.get(folder.uri.toString());
  }

  get(folder: vscode.WorkspaceFolder): Promise<WorkspaceStore> {
    const key = folder.uri.toString();
    let p = this.stores.get(key);
    if (!p) {
      p = this.open(folder);
      this.stores.set(key, p);
      p.catch(() => this.stores.delete(key));
    }
    return p;
  }

  private async open(folder: vscode.WorkspaceFolder): Promise<WorkspaceStore> {
    const t0 = Date.now();
    const store = await WorkspaceStore.open({
      folder: folder.uri.fsPath,
      log: this.log,
      persistDelayMs: this.settings(folder).persistDelayMs,
      rebuild: async s => {
        const r = await rebuildFromWorkspace(s, this.log, this.ingestOptions(folder));
        this.log.info(
          `Built the store of ${folder.name} from its files: ${r.runs} runs, ${r.registryEvents} registry events.`,
        );
      },
    });
    this.opened.set(folder.uri.toString(), store);
    this.log.info(`Opened ${store.dbPath} in ${Date.now() - t0} ms${store.created ? ' (new)' : ''}.`);
    if (store.recovery) {
      const msg = `ML Sight: the store of "${folder.name}" could not be read (${store.recovery.reason}). It was moved to ${path.basename(store.recovery.movedTo)} and rebuilt from the workspace's run logs and registry audit log.`;
      void vscode.window.showWarningMessage(msg, 'Show Log').then(choice => {
        if (choice) {
          void vscode.commands.executeCommand('mlsight.showLog');
        }
      });
    }
    if (store.readOnly) {
      void vscode.window.showWarningMessage(
        `ML Sight: the store of "${folder.name}" was written by a newer ML Sight and is read-only here.`,
      );
    }
    this.disposables.track(store.onDidChange(() => this.fireChanged(folder)));
    this.watch(folder, store);
    if (!store.created && !store.recovery && !store.readOnly) {
      await ingestMlsightRuns(store, this.log);
      await this.scanOtherTrackers(store, folder);
    }
    const timer = setInterval(() => {
      if (!store.readOnly) {
        void this.scanOtherTrackers(store, folder);
      }
    }, FULL_SCAN_INTERVAL_MS);
    this.disposables.track({ dispose: () => clearInterval(timer) });
    return store;
  }

  private ingestOptions(folder: vscode.WorkspaceFolder, paths?: string[]): IngestOptions {
    return { exclude: this.settings(folder).exclude, paths, readerScript: this.readerScript };
  }

  /** MLflow (mlruns/, mlflow.db) and TensorBoard (*tfevents*): a full pass, or only the sources of `paths`. */
  private async scanOtherTrackers(
    store: WorkspaceStore,
    folder: vscode.WorkspaceFolder,
    paths?: string[],
  ): Promise<void> {
    try {
      const r = await ingestWorkspace(store, this.log, this.ingestOptions(folder, paths));
      if (r.changedRuns.length) {
        this.log.debug(
          `Read ${r.changedRuns.length} changed MLflow/TensorBoard runs in ${r.durationMs.toFixed(0)} ms.`,
        );
      }
    } catch (e) {
      this.log.error(`Could not read MLflow/TensorBoard runs in ${folder.name}: ${errorMessage(e)}`);
    }
  }

  private watch(folder: vscode.WorkspaceFolder, store: WorkspaceStore): void {
    const watcher = this.disposables.track(
      vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, `${STORE_DIR}/**`)),
    );
    const onEvent = (uri: vscode.Uri) => {
      const name = path.basename(uri.fsPath);
      if (name.includes(TEMP_MARK) || name === LOCK_FILE || name.startsWith(`${DB_FILE}.corrupt`)) {
        return;
      }
      this.scheduleSync(folder, store);
    };
    watcher.onDidChange(onEvent);
    watcher.onDidCreate(onEvent);
    watcher.onDidDelete(onEvent);
    // other trackers' files: only the sources that changed are read again
    const pending = new Set<string>();
    let timer: NodeJS.Timeout | undefined;
    const onOther = (uri: vscode.Uri) => {
      pending.add(uri.fsPath);
      if (timer) {
        return;
      }
      timer = setTimeout(() => {
        timer = undefined;
        const paths = [...pending];
        pending.clear();
        if (!store.readOnly) {
          void this.scanOtherTrackers(store, folder, paths);
        }
      }, 200);
    };
    for (const glob of ['**/mlruns/**', '**/mlflow.db', '**/*tfevents*']) {
      const w = this.disposables.track(
        vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, glob)),
      );
      w.onDidChange(onOther);
      w.onDidCreate(onOther);
      w.onDidDelete(onOther);
    }
    this.disposables.track({
      dispose: () => {
        if (timer) {
          clearTimeout(timer);
        }
      },
    });
  }

  /** Coalesces file events: re-reads the store if another process wrote it, then reads new run-log lines. */
  private scheduleSync(folder: vscode.WorkspaceFolder, store: WorkspaceStore): void {
    const key = folder.uri.toString();
    if (this.pendingSync.has(key)) {
      return;
    }
    this.pendingSync.set(
      key,
      setTimeout(() => {
        this.pendingSync.delete(key);
        void this.sync(store).catch(e =>
          this.log.error(`Could not read new runs in ${folder.name}: ${errorMessage(e)}`),
        );
      }, 100),
    );
  }

  async sync(store: WorkspaceStore, full = false): Promise<void> {
    await store.reloadIfChanged();
    if (!store.readOnly) {
      await ingestMlsightRuns(store, this.log);
      const folder = this.folders().find(f => f.uri.fsPath === store.folder);
      if (full && folder) {
        await this.scanOtherTrackers(store, folder);
      }
    }
  }

  private readonly fireTimers = new Map<string, NodeJS.Timeout>();
  private fireChanged(folder: vscode.WorkspaceFolder): void {
    const key = folder.uri.toString();
    if (this.fireTimers.has(key)) {
      return;
    }
    this.fireTimers.set(
      key,
      setTimeout(() => {
        this.fireTimers.delete(key);
        this.changed.fire(folder);
      }, 50),
    );
  }

  async rebuild(folder: vscode.WorkspaceFolder): Promise<{ runs: number; registryEvents: number }> {
    const store = await this.get(folder);
    const r = await rebuildFromWorkspace(store, this.log, this.ingestOptions(folder));
    await store.flush();
    return r;
  }

  private async closeFolder(folder: vscode.WorkspaceFolder): Promise<void> {
    const key = folder.uri.toString();
    const p = this.stores.get(key);
    this.stores.delete(key);
    this.opened.delete(key);
    await (await p?.catch(() => undefined))?.close();
  }

  /** Writes every store's queued changes to disk (deactivate awaits this). */
  async flushAll(): Promise<void> {
    await Promise.all(
      [...this.opened.values()].map(s =>
        s.flush().catch(e => this.log.error(`Could not save ${s.dbPath}: ${errorMessage(e)}`)),
      ),
    );
  }

  async closeAll(): Promise<void> {
    const all = [...this.opened.values()];
    this.opened.clear();
    this.stores.clear();
    await Promise.all(
      all.map(s => s.close().catch(e => this.log.error(`Could not save ${s.dbPath}: ${errorMessage(e)}`))),
    );
  }

  dispose(): void {
    for (const t of [...this.pendingSync.values(), ...this.fireTimers.values()]) {
      clearTimeout(t);
    }
    this.disposables.dispose();
    void this.closeAll();
  }
}
