// Messages of the run page webview (host: src/runs/runPage.ts, webview: webview-ui/run/main.ts). No vscode import.
import type { RunDetail } from '../core/queries';
import type { ReproReport } from '../core/runs/reproTypes';

export const RUN_PAGE_VIEW_TYPE = 'mlsight.run';

export interface RunPageData {
  run: RunDetail;
  experiment: string;
  /** per metric key: a short decimated history for a sparkline (finite values only) */
  sparklines: Record<string, { steps: number[]; values: number[]; total: number }>;
  repro: ReproReport;
  /** artifacts with a path the host can open (workspace-relative when inside the workspace) */
  artifacts: { path: string; kind: string; size: number | null; openable: boolean }[];
  /** git actions need a trusted workspace and a git repository */
  gitActions: boolean;
}

export interface RunPageState { folder: string; runId: string }

export type HostToRunPage = { type: 'data'; data: RunPageData; state: RunPageState } | { type: 'error'; message: string };

export type RunPageToHost =
  | { type: 'ready' }
  | { type: 'openArtifact'; path: string }
  | { type: 'showDiff' }
  | { type: 'checkoutWorktree' }
  | { type: 'compareWith' }
  | { type: 'copy'; text: string };

export function isRunPageToHost(m: unknown): m is RunPageToHost {
  const t = (m as { type?: unknown } | undefined)?.type;
  return typeof t === 'string' && ['ready', 'openArtifact', 'showDiff', 'checkoutWorktree', 'compareWith', 'copy'].includes(t);
}
