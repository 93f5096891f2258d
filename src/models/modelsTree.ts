import * as vscode from 'vscode';
import { guessDirection } from '../core/registry/gate';
import { ModelDetail, VersionDetail, getModelDetail, listRegistryModels } from '../core/registry/views';
import { ContextKeyService, ContextKeys } from '../platform/contextKeys';
import { DisposableStore } from '../platform/disposables';
import { StoreManager } from '../workspace/storeManager';
import type { TrackingBackend } from '../core/tracking/types';
import { loadTeamModelDetail, teamModelDetail, teamRunRef } from '../core/tracking/teamView';

export type ModelsNode =
  | { kind: 'model'; folder: vscode.WorkspaceFolder; model: ModelDetail }
  | { kind: 'version'; folder: vscode.WorkspaceFolder; model: ModelDetail; version: VersionDetail }
  /** the team's registry (mlsight.tracking.uri): its registered models, versions and aliases */
  | { kind: 'teamRoot'; uri: string; message?: string }
  | { kind: 'teamModel'; model: ModelDetail }
  | { kind: 'teamVersion'; model: ModelDetail; version: VersionDetail }
  | {
      kind: 'lineage';
      /** undefined: a team model version's lineage (its run is a team run) */
      folder: vscode.WorkspaceFolder | undefined;
      version: VersionDetail;
      key: string;
      label: string;
      description?: string;
      tooltip?: string;
      icon: string;
      runId?: string;
    };

export function isModelNode(x: unknown): x is Extract<ModelsNode, { kind: 'model' }> {
  return !!x && typeof x === 'object' && (x as ModelsNode).kind === 'model';
}
export function isVersionNode(x: unknown): x is Extract<ModelsNode, { kind: 'version' }> {
  return !!x && typeof x === 'object' && (x as ModelsNode).kind === 'version';
}
/** A team model or one of its versions (the Models view's Team root). */
export function isTeamModelNode(x: unknown): x is Extract<ModelsNode, { kind: 'teamModel' | 'teamVersion' }> {
  const k = !!x && typeof x === 'object' ? (x as ModelsNode).kind : undefined;
  return k === 'teamModel' || k === 'teamVersion';
}

/** What the Models view needs of the team backend (src/team/teamRuns.ts). */
export interface TeamRegistrySource {
  roots(): { uri: string }[];
  open(): Promise<TrackingBackend | undefined>;
  readonly onDidChange: vscode.Event<void>;
}

export function fmtMetric(x: number | null | undefined): string {
  if (x === null || x === undefined) {
    return '—';
  }
  if (!Number.isFinite(x)) {
    return String(x);
  }
  return Number.isInteger(x)
    ? String(x)
    : Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3
      ? x.toExponential(3)
      : x
          .toPrecision(4)
          .replace(/(\.\d*?)0+$/, '$1')
          .replace(/\.$/, '');
}

const BACKEND_LABEL = {
  mlsight: 'ML Sight registry',
  'mlflow-filestore': 'MLflow FileStore (changes are written back)',
  'mlflow-sqlite': 'MLflow database (read-only)',
  'mlflow-team': 'Team tracking backend (promotions are written to it)',
} as const;

/**
 * Registered models → versions (aliases and stage as badges, the primary metric) → lineage (run, commit, datasets
 * with their hashes, metrics at registration, artifact). Tooltips are plain text: names are user data.
 */
export class ModelsTreeProvider implements vscode.TreeDataProvider<ModelsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ModelsNode | undefined>();
  private readonly disposables = new DisposableStore();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(
    private readonly stores: StoreManager,
    private readonly contextKeys: ContextKeyService,
    private readonly onFirstShow: (folder: vscode.WorkspaceFolder) => Promise<unknown> = async () => undefined,
  ) {
    this.disposables.track(this.emitter);
    this.disposables.track(stores.onDidChange(() => this.emitter.fire(undefined)));
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  private team: TeamRegistrySource | undefined;

  /** Adds the team's registry as its own root (when a tracking URI is configured). */
  setTeam(team: TeamRegistrySource): void {
    this.team = team;
    this.disposables.track(team.onDidChange(() => this.emitter.fire(undefined)));
    this.emitter.fire(undefined);
  }

  private async teamChildren(node: ModelsNode): Promise<ModelsNode[]> {
    const b = await this.team?.open();
    if (!b) {
      return [];
    }
    if (node.kind === 'teamRoot') {
      // the list without the versions' runs (one query); a model's runs are read when it is expanded
      const models = await b.listModels();
      return models.length
        ? models.map(m => ({ kind: 'teamModel', model: teamModelDetail(m, new Map(), b.displayUri) }))
        : [{ kind: 'teamRoot', uri: '', message: 'no registered models yet' }];
    }
    if (node.kind === 'teamModel') {
      const model = (await loadTeamModelDetail(b, node.model.name)) ?? node.model;
      return model.versions.map(version => ({ kind: 'teamVersion', model, version }));
    }
    if (node.kind === 'teamVersion') {
      return lineageOf(undefined, node.version);
    }
    return [];
  }

  async getChildren(node?: ModelsNode): Promise<ModelsNode[]> {
    if (!node) {
      const out: ModelsNode[] = [];
      for (const folder of this.stores.folders()) {
        try {
          const store = await this.stores.get(folder);
          await this.onFirstShow(folder).catch(() => undefined);
          out.push(
            ...store
              .read(db =>
                listRegistryModels(db)
                  .map(m => getModelDetail(db, folder.uri.fsPath, m.name)!)
                  .filter(Boolean),
              )
              .map(model => ({ kind: 'model' as const, folder, model })),
          );
        } catch {
          /* the Runs view reports store errors */
        }
      }
      const team = this.team?.roots() ?? [];
      await this.contextKeys.set(ContextKeys.hasModels, out.length + team.length > 0);
      return [...out, ...team.map(t => ({ kind: 'teamRoot' as const, uri: t.uri }))];
    }
    if (node.kind === 'teamRoot' || node.kind === 'teamModel' || node.kind === 'teamVersion') {
      try {
        return await this.teamChildren(node);
      } catch (e) {
        return [{ kind: 'teamRoot', uri: '', message: e instanceof Error ? e.message : String(e) }];
      }
    }
    if (node.kind === 'model') {
      return node.model.versions.map(version => ({ kind: 'version', folder: node.folder, model: node.model, version }));
    }
    if (node.kind === 'version') {
      return lineageOf(node.folder, node.version);
    }
    return [];
  }

  getTreeItem(node: ModelsNode): vscode.TreeItem {
    if (node.kind === 'teamRoot') {
      if (node.message !== undefined) {
        const msg = new vscode.TreeItem(node.message, vscode.TreeItemCollapsibleState.None);
        msg.iconPath = new vscode.ThemeIcon('info');
        msg.tooltip = node.message;
        return msg;
      }
      const item = new vscode.TreeItem('Team', vscode.TreeItemCollapsibleState.Collapsed);
      item.id = 'team:models';
      item.description = node.uri;
      item.iconPath = new vscode.ThemeIcon('organization');
      item.tooltip = `The team's registered models in ${node.uri}`;
      item.contextValue = 'mlsight.teamModels';
      return item;
    }
    // a team model and version look like a local one; their ids, context values and run links are the team's
    const team = node.kind === 'teamModel' || node.kind === 'teamVersion';
    const scope = node.kind === 'model' || node.kind === 'version' ? String(node.folder.uri) : 'team';
    if (node.kind === 'model' || node.kind === 'teamModel') {
      const m = node.model;
      const item = new vscode.TreeItem(m.name, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `model:${scope}:${m.name}`;
      item.iconPath = new vscode.ThemeIcon(m.backend === 'mlsight' ? 'package' : 'database');
      const n = m.versions.length;
      item.description = [
        `${n} version${n === 1 ? '' : 's'}`,
        ...Object.entries(m.aliases).map(([a, v]) => `@${a} v${v}`),
        m.backend !== 'mlsight' ? 'MLflow' : '',
      ]
        .filter(Boolean)
        .join(' · ');
      const s = m.settings;
      item.tooltip = [
        m.name,
        m.description ?? '',
        `Source: ${BACKEND_LABEL[m.backend]}${m.mlflowSource ? ` (${m.mlflowSource})` : ''}`,
        s.primaryMetric
          ? `Promotion gate: ${s.primaryMetric}, ${(s.direction ?? guessDirection(s.primaryMetric)) === 'maximize' ? 'higher' : 'lower'} is better${s.minImprovement ? `, by at least ${s.minImprovement}${s.relativeImprovement ? ' (relative)' : ''}` : ''}${s.requireAb ? '; A/B evidence required' : ''}`
          : 'Promotion gate: no primary metric configured yet',
        Object.keys(m.tags).length
          ? `Tags: ${Object.entries(m.tags)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ')}`
          : '',
      ]
        .filter(Boolean)
        .join('\n');
      if (team) {
        // a click opens the model page (versions, aliases, runs, audit history), as for a workspace model
        item.command = { command: 'mlsight.openModelPage', title: 'Open Model Page', arguments: [node] };
      }
      item.contextValue = team
        ? 'mlsight.teamModel'
        : m.backend === 'mlflow-sqlite'
          ? 'mlsight.model.readonly'
          : 'mlsight.model';
      return item;
    }
    if (node.kind === 'version' || node.kind === 'teamVersion') {
      const v = node.version;
      const item = new vscode.TreeItem(`v${v.version}`, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `modelversion:${scope}:${v.model}:${v.version}`;
      item.iconPath = new vscode.ThemeIcon(
        v.aliases.includes('champion')
          ? 'star-full'
          : v.aliases.includes('challenger')
            ? 'beaker'
            : v.stage === 'Archived'
              ? 'archive'
              : 'versions',
      );
      const metric = node.model.settings.primaryMetric;
      const mv = metric ? v.metrics[metric] : undefined;
      item.description = [
        ...v.aliases.map(a => `@${a}`),
        v.stage !== 'None' ? v.stage : '',
        metric && mv !== undefined ? `${metric} ${fmtMetric(mv)}` : '',
      ]
        .filter(Boolean)
        .join(' · ');
      item.tooltip = [
        `${v.model} version ${v.version}${v.description ? ` — ${v.description}` : ''}`,
        `Stage: ${v.stage}${v.aliases.length ? `   Aliases: ${v.aliases.map(a => `@${a}`).join(' ')}` : ''}`,
        v.runId
          ? `Run: ${v.runName ?? v.runId}${v.experiment ? ` (${v.experiment})` : ''}${v.runExists ? '' : ' — not in this workspace'}`
          : 'Run: —',
        v.gitCommit
          ? `Commit: ${v.gitCommit}${v.gitBranch ? ` on ${v.gitBranch}` : ''}${v.gitDirty ? ' (uncommitted changes)' : ''}`
          : '',
        v.datasets.length
          ? `Data: ${v.datasets.map(d => `${d.name} (${d.role}${d.digest ? `, ${d.digest.slice(0, 19)}` : ''})`).join(', ')}`
          : '',
        Object.keys(v.metrics).length
          ? `Metrics${v.metricsFrom === 'registration' ? ' at registration' : ''}: ${Object.entries(v.metrics)
              .slice(0, 8)
              .map(([k, x]) => `${k}=${fmtMetric(x)}`)
              .join(', ')}`
          : '',
        v.sourceUri ? `Source: ${v.sourceUri}` : '',
        v.createdAt
          ? `Registered ${new Date(v.createdAt).toLocaleString()}${v.createdBy ? ` by ${v.createdBy}` : ''}`
          : '',
      ]
        .filter(Boolean)
        .join('\n');
      item.contextValue = team
        ? 'mlsight.teamModelVersion'
        : node.model.backend === 'mlflow-sqlite'
          ? 'mlsight.modelVersion.readonly'
          : 'mlsight.modelVersion';
      if (v.runId && v.runExists) {
        item.command = {
          command: 'mlsight.openRunById',
          title: 'Open Run',
          // a team version's run opens in the run page as a team run
          arguments: team ? ['', teamRunRef(v.runId)] : [scope, v.runId],
        };
      }
      return item;
    }
    const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
    item.id = `lineage:${node.folder?.uri ?? 'team'}:${node.version.model}:${node.version.version}:${node.key}`;
    item.iconPath = new vscode.ThemeIcon(node.icon);
    item.description = node.description;
    item.tooltip = node.tooltip ?? [node.label, node.description].filter(Boolean).join(' ');
    item.contextValue = 'mlsight.modelLineage';
    if (node.runId) {
      item.command = {
        command: 'mlsight.openRunById',
        title: 'Open Run',
        arguments: node.folder ? [node.folder.uri.toString(), node.runId] : ['', teamRunRef(node.runId)],
      };
    }
    return item;
  }

  dispose(): void {
    this.disposables.dispose();
  }
}

function lineageOf(folder: vscode.WorkspaceFolder | undefined, v: VersionDetail): ModelsNode[] {
  const out: ModelsNode[] = [];
  const add = (
    key: string,
    icon: string,
    label: string,
    description?: string,
    extra: { tooltip?: string; runId?: string } = {},
  ) => out.push({ kind: 'lineage', folder, version: v, key, icon, label, description, ...extra });
  if (v.runId) {
    add(
      'run',
      'play-circle',
      `Run ${v.runName ?? v.runId}`,
      [v.experiment, v.runExists ? 'click to open' : folder ? 'not in this workspace' : 'not in the team backend']
        .filter(Boolean)
        .join(' · '),
      { runId: v.runExists ? v.runId : undefined, tooltip: `Run id: ${v.runId}` },
    );
  }
  if (v.gitCommit) {
    add(
      'commit',
      'git-commit',
      `Commit ${v.gitCommit.slice(0, 10)}`,
      [v.gitBranch, v.gitDirty ? 'uncommitted changes' : ''].filter(Boolean).join(' · '),
      { tooltip: v.gitCommit },
    );
  }
  v.datasets.forEach((d, i) =>
    add(
      `dataset:${i}`,
      'database',
      `Data ${d.name}`,
      [d.role, d.digest, d.rows !== null ? `${d.rows} rows` : ''].filter(Boolean).join(' · '),
      { tooltip: [`${d.name} (${d.role})`, d.path ?? '', d.digest ?? 'no hash recorded'].filter(Boolean).join('\n') },
    ),
  );
  const metrics = Object.entries(v.metrics);
  if (metrics.length) {
    add(
      'metrics',
      'graph-line',
      `Metrics${v.metricsFrom === 'registration' ? ' at registration' : ''}`,
      metrics
        .slice(0, 4)
        .map(([k, x]) => `${k} ${fmtMetric(x)}`)
        .join(' · '),
      { tooltip: metrics.map(([k, x]) => `${k} = ${fmtMetric(x)}`).join('\n') },
    );
  }
  if (v.sourceUri) {
    add('source', 'file-binary', 'Model', [v.sourceUri, v.artifact?.class].filter(Boolean).join(' · '), {
      tooltip: [v.sourceUri, v.artifact?.sha256 ? `sha256 ${v.artifact.sha256}` : ''].filter(Boolean).join('\n'),
    });
  }
  if (v.createdAt) {
    add(
      'registered',
      'history',
      'Registered',
      `${new Date(v.createdAt).toLocaleString()}${v.createdBy ? ` by ${v.createdBy}` : ''}`,
    );
  }
  return out;
}
