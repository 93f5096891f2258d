// The model page's message contract (host: src/models/modelPage.ts, webview: webview-ui/model/main.ts). No `vscode`
// import and no import from the core: the webview bundle type-checks this file (and ./contract) alone.
import type { AbView, HistoryView, VersionCard } from './contract';

export const MODEL_PAGE_VIEW_TYPE = 'mlsight.model';

/** A version on the model page: the promotion review's card plus its metrics. */
export interface ModelPageVersion extends VersionCard {
  /** metrics at registration (else the run's latest); non-finite values left out */
  metrics: Record<string, number>;
}

export interface ModelPageData {
  model: string;
  backend: 'mlsight' | 'mlflow-filestore' | 'mlflow-sqlite';
  description: string | null;
  aliases: Record<string, number>;
  canary: { challenger: number; share: number } | null;
  primaryMetric: string | null;
  direction: 'maximize' | 'minimize' | null;
  /** newest first */
  versions: ModelPageVersion[];
  /** metric keys present in any version (primary first) */
  metricKeys: string[];
  /** the model's audit log, oldest first */
  history: HistoryView[];
  /** the audit log's hash chain: a warning when it does not verify (or predates the chain) */
  auditChain: { state: 'verified' | 'unchained' | 'partial' | 'broken' | 'empty'; message: string | null; firstBadLine: number | null };
  /** the latest analysis of `.mlsight/ab/<model>.jsonl`, or why there is none */
  ab: { file: string; rows: number; analysis: AbView } | { file: string; rows: 0; analysis: null; message: string };
  /** git commands may run (trusted workspace) */
  gitActions: boolean;
}

export interface ModelPageState { folder: string; model: string; tab?: ModelPageTab }

export type ModelPageTab = 'overview' | 'metrics' | 'audit' | 'ab';

export type HostToModelPage =
  | { type: 'data'; data: ModelPageData; state: ModelPageState }
  | { type: 'error'; message: string };

export type ModelPageToHost =
  | { type: 'ready' }
  | { type: 'openRun'; runId: string }
  | { type: 'showCommit'; commit: string }
  | { type: 'configureCanary' }
  | { type: 'promote'; version?: number }
  | { type: 'refresh' };

export function isModelPageToHost(m: unknown): m is ModelPageToHost {
  if (!m || typeof m !== 'object') { return false; }
  const x = m as Record<string, unknown>;
  switch (x.type) {
    case 'ready': case 'configureCanary': case 'refresh': return true;
    case 'openRun': return typeof x.runId === 'string';
    case 'showCommit': return typeof x.commit === 'string' && /^[0-9a-f]{4,64}$/i.test(x.commit);
    case 'promote': return x.version === undefined || Number.isInteger(x.version);
    default: return false;
  }
}
