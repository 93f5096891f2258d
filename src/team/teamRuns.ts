/**
 * The team's MLflow experiments and runs under their own root in the Runs view ("Team · <uri>"): experiments →
 * runs, newest first, 50 a page with a "Load more…" node (keyset pages from the backend; nothing loads every
 * run). Refreshed by polling: every `mlsight.tracking.pollSeconds` while the backend answers, backing off ×2
 * per failure (at most 10 min) while it does not. The backend comes from `mlsight.tracking.uri` (else
 * MLFLOW_TRACKING_URI); its password from VS Code's SecretStorage, PGPASSWORD/~/.pgpass or MLFLOW_TRACKING_*.
 */
import * as vscode from 'vscode';
import { Logger } from '../core/log';
import { nextPollDelay, pageSignature } from '../core/tracking/poll';
import { TeamExperiment, TeamRun, TrackingBackend } from '../core/tracking/types';
import { parseTrackingUri, redactUri } from '../core/tracking/uri';
import { teamRunRef } from '../core/tracking/teamView';
import type { TeamRunPick } from '../runs/runsCommands';
import type { TeamRegistrySource } from '../models/modelsTree';

export type TeamNode =
  | { t: 'root'; uri: string }
  | { t: 'experiment'; experiment: TeamExperiment }
  | { t: 'run'; run: TeamRun; experiment: TeamExperiment }
  | { t: 'more'; experiment: TeamExperiment }
  | { t: 'message'; text: string; error: boolean };

const PAGE = 50;
export const SECRET_PREFIX = 'mlsight.tracking.password:';

interface Loaded {
  runs: TeamRun[];
  next: string | null;
  signature: string;
}

/** Where the tracking URI comes from: the setting (user settings only in untrusted workspaces), else the env var. */
export function configuredUri(): { uri: string; from: string } | undefined {
  const cfg = vscode.workspace.getConfiguration('mlsight.tracking');
  const inspected = cfg.inspect<string>('uri');
  const setting = vscode.workspace.isTrusted ? cfg.get<string>('uri', '') : (inspected?.globalValue ?? '');
  if (setting && setting.trim()) {
    return { uri: setting.trim(), from: 'setting mlsight.tracking.uri' };
  }
  const env = process.env.MLFLOW_TRACKING_URI;
  if (env && /^(postgres(ql)?(\+\w+)?|https?|sqlite):\/\//i.test(env.trim())) {
    return { uri: env.trim(), from: 'MLFLOW_TRACKING_URI' };
  }
  return undefined;
}

export class TeamRuns implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private backend: TrackingBackend | undefined;
  private backendUri: string | undefined;
  private experiments: TeamExperiment[] | undefined;
  private readonly pages = new Map<string, Loaded>();
  private error: string | undefined;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private readonly subs: vscode.Disposable[] = [];

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: Logger,
  ) {
    this.subs.push(
      vscode.workspace.onDidChangeConfiguration(e => {
        if (e.affectsConfiguration('mlsight.tracking')) {
          void this.reset();
        }
      }),
    );
    this.subs.push(vscode.workspace.onDidGrantWorkspaceTrust(() => void this.reset()));
    this.subs.push(
      secrets.onDidChange(e => {
        if (e.key.startsWith(SECRET_PREFIX)) {
          void this.reset();
        }
      }),
    );
    this.schedule();
  }

  /** The backend for the configured URI (opened once; reopened when the setting or the password changes). */
  async open(): Promise<TrackingBackend | undefined> {
    const c = configuredUri();
    if (!c) {
      return undefined;
    }
    if (this.backend && this.backendUri === c.uri) {
      return this.backend;
    }
    await this.closeBackend();
    const parsed = parseTrackingUri(c.uri);
    if (parsed.hasPassword && c.from.startsWith('setting')) {
      throw new Error(
        'mlsight.tracking.uri holds a password in plain text: remove it from the setting and use ' +
          '"ML Sight: Set Team Tracking Password…" (VS Code\'s SecretStorage), PGPASSWORD or ~/.pgpass instead',
      );
    }
    const password = await this.secrets.get(SECRET_PREFIX + parsed.display);
    // loaded on first use: activation does not load node-postgres
    const { openTrackingBackend } = await import('../core/tracking/open');
    // sqlite:///<relative path> resolves in (and stays inside) the first workspace folder
    const baseDir = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (parsed.kind === 'sqlite' && !baseDir && !parsed.path.startsWith('/')) {
      throw new Error(
        `${parsed.display}: a relative sqlite:/// path needs an open folder (or use sqlite:////abs/path)`,
      );
    }
    this.backend = openTrackingBackend(c.uri, { password: password || undefined, baseDir });
    this.backendUri = c.uri;
    return this.backend;
  }

  async setSecret(key: string, value: string | undefined): Promise<void> {
    if (value) {
      await this.secrets.store(key, value);
    } else {
      await this.secrets.delete(key);
    }
  }

  /** The team's registry for the Models view (its own root there), and a refresh after a promotion. */
  get registry(): TeamRegistrySource & { changed(): void } {
    return {
      roots: () => this.roots().flatMap(r => (r.t === 'root' ? [{ uri: r.uri }] : [])),
      open: () => this.open(),
      onDidChange: this.onDidChange,
      changed: () => this.emitter.fire(),
    };
  }

  roots(): TeamNode[] {
    const c = configuredUri();
    return c ? [{ t: 'root', uri: redactUri(c.uri) }] : [];
  }

  async children(node: TeamNode): Promise<TeamNode[]> {
    try {
      const b = await this.open();
      if (!b) {
        return [];
      }
      if (node.t === 'root') {
        const s = await b.schema();
        this.experiments = await b.listExperiments();
        this.error = undefined;
        const out: TeamNode[] = this.experiments.map(experiment => ({ t: 'experiment', experiment }));
        if (!s.writable && s.readOnlyReason) {
          out.unshift({ t: 'message', text: `read-only: ${s.readOnlyReason}`, error: false });
        }
        return out.length ? out : [{ t: 'message', text: 'no experiments yet', error: false }];
      }
      if (node.t === 'experiment') {
        let l = this.pages.get(node.experiment.id);
        if (!l) {
          const p = await b.searchRuns({ experimentIds: [node.experiment.id], pageSize: PAGE });
          l = { runs: p.runs, next: p.nextPageToken, signature: pageSignature(p.runs.slice(0, PAGE)) };
          this.pages.set(node.experiment.id, l);
        }
        const out: TeamNode[] = l.runs.map(run => ({ t: 'run', run, experiment: node.experiment }));
        if (l.next) {
          out.push({ t: 'more', experiment: node.experiment });
        }
        return out;
      }
      return [];
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      return [{ t: 'message', text: this.error, error: true }];
    }
  }

  /** The team runs loaded so far (the pages of the experiments opened in the Runs view), as Compare offers them. */
  loadedRuns(): TeamRunPick[] {
    const names = new Map((this.experiments ?? []).map(e => [e.id, e.name]));
    return [...this.pages.values()].flatMap(l =>
      l.runs.map(r => ({
        id: teamRunRef(r.runUuid),
        name: r.name || r.runUuid.slice(0, 8),
        experiment: names.get(r.experimentId) ?? r.experimentId,
        status: r.status,
      })),
    );
  }

  async loadMore(experiment: TeamExperiment): Promise<void> {
    const b = await this.open();
    const l = this.pages.get(experiment.id);
    if (!b || !l?.next) {
      return;
    }
    const p = await b.searchRuns({ experimentIds: [experiment.id], pageSize: PAGE, pageToken: l.next });
    l.runs.push(...p.runs);
    l.next = p.nextPageToken;
    this.emitter.fire();
  }

  treeItem(node: TeamNode): vscode.TreeItem {
    switch (node.t) {
      case 'root': {
        const item = new vscode.TreeItem('Team', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = 'team:root';
        item.description = node.uri;
        item.iconPath = new vscode.ThemeIcon('organization');
        item.tooltip = `The team's MLflow tracking backend ${node.uri}${this.error ? `\n\nlast error: ${this.error}` : ''}`;
        item.contextValue = 'mlsight.teamRoot';
        return item;
      }
      case 'experiment': {
        const item = new vscode.TreeItem(node.experiment.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `team:exp:${node.experiment.id}`;
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.description = 'team';
        item.contextValue = 'mlsight.teamExperiment';
        return item;
      }
      case 'run': {
        const r = node.run;
        const item = new vscode.TreeItem(r.name || r.runUuid.slice(0, 8), vscode.TreeItemCollapsibleState.None);
        item.id = `team:run:${r.runUuid}`;
        item.iconPath = new vscode.ThemeIcon(
          r.status === 'FINISHED'
            ? 'pass'
            : r.status === 'FAILED'
              ? 'error'
              : r.status === 'RUNNING'
                ? 'sync~spin'
                : 'circle-outline',
        );
        const owner = r.tags['mlflow.user'] ?? r.userId;
        item.description = [
          r.status.toLowerCase(),
          owner && owner !== 'unknown' ? owner : '',
          r.tags['mlflow.source.git.commit']?.slice(0, 7) ?? '',
        ]
          .filter(Boolean)
          .join(' · ');
        item.tooltip = [
          `${r.name ?? r.runUuid}`,
          `id: ${r.runUuid}`,
          `status: ${r.status}`,
          ...Object.entries(r.params)
            .slice(0, 20)
            .map(([k, v]) => `  ${k} = ${v}`),
          ...Object.entries(r.metrics)
            .slice(0, 20)
            .map(([k, m]) => `  ${k}: ${m.value} (step ${m.step})`),
        ].join('\n');
        item.contextValue = 'mlsight.teamRun';
        item.command = {
          command: 'mlsight.openTeamRun',
          title: 'Open Team Run',
          arguments: [{ kind: 'team', team: node }],
        };
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem('Load more…', vscode.TreeItemCollapsibleState.None);
        item.id = `team:more:${node.experiment.id}:${this.pages.get(node.experiment.id)?.runs.length ?? 0}`;
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.command = {
          command: 'mlsight.loadMoreTeamRuns',
          title: 'Load More Team Runs',
          arguments: [{ kind: 'team', team: node }],
        };
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(node.error ? 'warning' : 'info');
        item.tooltip = node.text;
        return item;
      }
    }
  }

  /** Drops everything loaded and reopens the backend (setting, trust or password changed). */
  async reset(): Promise<void> {
    await this.closeBackend();
    this.experiments = undefined;
    this.pages.clear();
    this.failures = 0;
    this.emitter.fire();
    this.schedule();
  }

  /** One poll: re-reads the experiment list and the first page of every experiment that was opened. */
  async poll(): Promise<boolean> {
    if (!this.experiments && !this.pages.size) {
      return true;
    }
    const b = await this.open();
    if (!b) {
      return true;
    }
    let changed = false;
    const exps = await b.listExperiments();
    if (
      JSON.stringify(exps.map(e => [e.id, e.name])) !==
      JSON.stringify((this.experiments ?? []).map(e => [e.id, e.name]))
    ) {
      changed = true;
    }
    this.experiments = exps;
    for (const [id, l] of this.pages) {
      const p = await b.searchRuns({ experimentIds: [id], pageSize: PAGE });
      const sig = pageSignature(p.runs);
      if (sig !== l.signature) {
        this.pages.set(id, { runs: p.runs, next: p.nextPageToken, signature: sig });
        changed = true;
      }
    }
    if (changed) {
      this.emitter.fire();
    }
    return changed;
  }

  private schedule(): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    if (this.disposed) {
      return;
    }
    const base =
      Math.max(5, vscode.workspace.getConfiguration('mlsight.tracking').get<number>('pollSeconds', 30)) * 1000;
    this.timer = setTimeout(() => void this.tick(), nextPollDelay(base, this.failures, Math.random()));
  }

  /** One poll: refresh, count failures for the backoff, and schedule the next. Never rejects. */
  private async tick(): Promise<void> {
    try {
      await this.poll();
      if (this.failures) {
        this.log.info(`Team: ${this.backend?.displayUri ?? ''} answers again`);
      }
      this.failures = 0;
      this.error = undefined;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      if (this.failures === 0) {
        this.log.warn(`Team: polling failed (${this.error}); retrying with backoff`);
      }
      this.failures++;
    }
    this.schedule();
  }

  private async closeBackend(): Promise<void> {
    const b = this.backend;
    this.backend = undefined;
    this.backendUri = undefined;
    await b?.close().catch(() => undefined);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) {
      clearTimeout(this.timer);
    }
    for (const s of this.subs) {
      s.dispose();
    }
    this.emitter.dispose();
    void this.closeBackend();
  }
}
