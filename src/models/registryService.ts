import * as vscode from 'vscode';
import { Logger } from '../core/log';
import { AUDIT_FILE, describeChain, readAuditLog } from '../core/registry/auditLog';
import { Registry } from '../core/registry/registry';
import { STORE_DIR } from '../core/store/store';
import { DisposableStore } from '../platform/disposables';
import { StoreManager } from '../workspace/storeManager';

/**
 * One Registry per workspace folder, over that folder's store. Watches `.mlsight/audit.jsonl` so that registry
 * decisions made in another window or by the CLI (or left unapplied by a process that was killed) reach this
 * window's store and views. The actor is git's user.name, except in untrusted workspaces, where ML Sight runs no
 * program and the OS user is recorded.
 */
export class RegistryService implements vscode.Disposable {
  private readonly registries = new Map<string, Promise<Registry>>();
  private readonly disposables = new DisposableStore();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** audit-log chain breaks already shown (folder, first bad line, head) */
  private readonly warnedChains = new Set<string>();

  constructor(
    private readonly stores: StoreManager,
    private readonly log: Logger,
  ) {
    this.disposables.track({
      dispose: () => {
        for (const t of this.timers.values()) {
          clearTimeout(t);
        }
      },
    });
  }

  get(folder: vscode.WorkspaceFolder): Promise<Registry> {
    const key = folder.uri.toString();
    let r = this.registries.get(key);
    if (!r) {
      r = this.create(folder);
      this.registries.set(key, r);
      r.catch(() => this.registries.delete(key));
    }
    return r;
  }

  private async create(folder: vscode.WorkspaceFolder): Promise<Registry> {
    const store = await this.stores.get(folder);
    const registry = new Registry({ store, log: this.log, allowGit: vscode.workspace.isTrusted });
    const watcher = this.disposables.track(
      vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, `${STORE_DIR}/${AUDIT_FILE}`)),
    );
    const onChange = () => this.scheduleSync(folder, registry);
    watcher.onDidChange(onChange);
    watcher.onDidCreate(onChange);
    // runs that asked for a registry version (log_model(..., registered_name=...)) are registered once ingested
    this.disposables.track(store.onDidChange(() => this.scheduleRegister(folder, registry)));
    await this.syncNow(folder, registry);
    await this.registerNow(folder, registry);
    return registry;
  }

  private scheduleRegister(folder: vscode.WorkspaceFolder, registry: Registry): void {
    const key = `register:${folder.uri.toString()}`;
    if (this.timers.has(key)) {
      return;
    }
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.registerNow(folder, registry);
      }, 300),
    );
  }

  private readonly failedRequests = new Set<string>();
  private registering: Promise<void> = Promise.resolve();

  /** Registers the versions runs asked for and the audit log does not have (each exactly once: keyed by register_id). */
  registerNow(folder: vscode.WorkspaceFolder, registry: Registry): Promise<void> {
    this.registering = this.registering.then(async () => {
      try {
        if (!registry.pendingRegistrations().some(r => !this.failedRequests.has(r.registerId))) {
          return;
        }
        const r = await registry.registerRequested();
        for (const v of r.registered) {
          this.log.info(
            `Registry: registered ${JSON.stringify(v.model)} v${v.version} from run ${v.runId} (log_model registered_name).`,
          );
        }
        for (const f of r.failed) {
          if (this.failedRequests.has(f.request.registerId)) {
            continue;
          }
          this.failedRequests.add(f.request.registerId);
          this.log.warn(
            `Registry: could not register ${JSON.stringify(f.request.model)} from run ${f.request.runId}: ${f.message}`,
          );
        }
      } catch (e) {
        this.log.warn(
          `Registry: registering logged models of ${folder.name} failed: ${e instanceof Error ? e.message : e}`,
        );
      }
    });
    return this.registering;
  }

  private scheduleSync(folder: vscode.WorkspaceFolder, registry: Registry): void {
    const key = folder.uri.toString();
    if (this.timers.has(key)) {
      return;
    }
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.syncNow(folder, registry);
      }, 150),
    );
  }

  private async syncNow(folder: vscode.WorkspaceFolder, registry: Registry): Promise<void> {
    try {
      const n = await registry.sync();
      if (n) {
        this.log.info(`Registry: applied ${n} audit event(s) of ${folder.name} written elsewhere.`);
      }
      // tamper evidence: warn once per break (the first bad line and the log's head name it)
      const chain = (await readAuditLog(folder.uri.fsPath)).chain;
      const key = chain?.state === 'broken' ? `${folder.uri}#${chain.firstBad?.line}#${chain.head}` : undefined;
      if (key && !this.warnedChains.has(key)) {
        this.warnedChains.add(key);
        const msg = describeChain(chain)!;
        this.log.warn(`Registry: ${msg}`);
        void vscode.window.showWarningMessage(`ML Sight: ${msg}`, 'Show Log').then(c => {
          if (c) {
            void vscode.commands.executeCommand('mlsight.showLog');
          }
        });
      }
    } catch (e) {
      this.log.warn(
        `Registry: could not read ${STORE_DIR}/${AUDIT_FILE} of ${folder.name}: ${e instanceof Error ? e.message : e}`,
      );
    }
  }

  dispose(): void {
    this.disposables.dispose();
  }
}
