import * as vscode from 'vscode';
import { RunDetail, getRun } from '../core/queries';
import { StoreManager } from '../workspace/storeManager';

export const RUN_SCHEME = 'mlsight-run';

export function runUri(folder: vscode.WorkspaceFolder, runId: string, name: string | null): vscode.Uri {
  const label = (name || runId).replace(/[^\w.-]+/g, '_').slice(0, 60) || 'run';
  return vscode.Uri.from({ scheme: RUN_SCHEME, path: `/${label}.md`, query: new URLSearchParams({ folder: folder.uri.toString(), run: runId }).toString() });
}

function fmtValue(v: number): string {
  if (Number.isNaN(v)) { return 'NaN'; }
  if (!Number.isFinite(v)) { return v > 0 ? '+inf' : '-inf'; }
  return Number.isInteger(v) ? String(v) : v.toPrecision(6);
}

/** Escapes a value for a markdown table cell (the document is shown as text, but keep the table intact). */
function cell(s: string): string { return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' '); }

export function renderRun(r: RunDetail): string {
  const lines: string[] = [];
  lines.push(`# Run ${cell(r.name ?? r.id)}`, '');
  lines.push(`- id: ${r.id}`, `- status: ${r.status}`);
  if (r.startTime) { lines.push(`- started: ${new Date(r.startTime).toISOString()}`); }
  if (r.endTime) { lines.push(`- ended: ${new Date(r.endTime).toISOString()}`); }
  if (r.gitCommit) { lines.push(`- git: ${r.gitCommit}${r.gitBranch ? ` (${cell(r.gitBranch)})` : ''}${r.gitDirty ? ', uncommitted changes' : ''}`); }
  if (r.sourcePath) { lines.push(`- log: ${r.sourcePath}`); }
  if (r.description) { lines.push('', cell(r.description)); }
  const table = (title: string, header: string, rows: string[][]) => {
    if (!rows.length) { return; }
    lines.push('', `## ${title}`, '', header, header.replace(/[^|]+/g, ' --- '), ...rows.map(r => `| ${r.map(cell).join(' | ')} |`));
  };
  table('Parameters', '| name | value |', Object.entries(r.params));
  table('Metrics (latest)', '| name | step | value |', Object.entries(r.latestMetrics).map(([k, m]) => [k, String(m.step), fmtValue(m.value)]));
  table('Tags', '| name | value |', Object.entries(r.tags));
  table('Datasets', '| name | role | rows | digest |', r.datasets.map(d => [d.name, d.role, d.rows == null ? '' : String(d.rows), d.digest ?? '']));
  table('Artifacts', '| path | kind | bytes |', r.artifacts.map(a => [a.path, a.kind, a.size == null ? '' : String(a.size)]));
  return lines.join('\n') + '\n';
}

/** Read-only documents showing a run's details (`mlsight-run:` URIs). */
export class RunDocumentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly stores: StoreManager) {
    this.sub = stores.onDidChange(() => {
      for (const doc of vscode.workspace.textDocuments) { if (doc.uri.scheme === RUN_SCHEME) { this.emitter.fire(doc.uri); } }
    });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const q = new URLSearchParams(uri.query);
    const folder = this.stores.folders().find(f => f.uri.toString() === q.get('folder'));
    if (!folder) { return 'This run belongs to a folder that is no longer open.\n'; }
    const store = await this.stores.get(folder);
    const run = store.read(db => getRun(db, q.get('run') ?? ''));
    return run ? renderRun(run) : `Run ${q.get('run')} is not in the store any more.\n`;
  }

  dispose(): void { this.sub.dispose(); this.emitter.dispose(); }
}
