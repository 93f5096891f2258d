// Messages of the run page webview (host: src/runs/runPage.ts, webview: webview-ui/run/main.ts). No vscode import.
import type { RunDetail } from '../core/queries';
import type { ReproReport } from '../core/runs/reproTypes';
import { MessageValidators, fields, isStringShorterThan, noFields } from '../platform/messages';

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

export interface RunPageState {
  folder: string;
  runId: string;
}

export type HostToRunPage =
  { type: 'data'; data: RunPageData; state: RunPageState } | { type: 'error'; message: string };

export type RunPageToHost =
  | { type: 'ready' }
  | { type: 'openArtifact'; path: string }
  | { type: 'showDiff' }
  | { type: 'checkoutWorktree' }
  | { type: 'compareWith' }
  | { type: 'copy'; text: string };

/** One validator per message the run page sends; the panel host drops any message that fails its check. */
export const RUN_PAGE_MESSAGES: MessageValidators<RunPageToHost> = {
  ready: noFields,
  openArtifact: fields({ path: isStringShorterThan(4096) }),
  showDiff: noFields,
  checkoutWorktree: noFields,
  compareWith: noFields,
  copy: fields({ text: isStringShorterThan(10_000) }),
};

/** A run page's state as VS Code restores it after a reload; undefined when it is not one. */
export function runPageStateFrom(raw: unknown): RunPageState | undefined {
  const s = raw as Partial<RunPageState> | null | undefined;
  return s && typeof s === 'object' && typeof s.folder === 'string' && typeof s.runId === 'string'
    ? { folder: s.folder, runId: s.runId }
    : undefined;
}
