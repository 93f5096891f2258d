// The comparison webview's message contract, imported by the host (src/compare/comparePanel.ts) and by the
// webview (webview-ui/compare/main.ts). No `vscode` import: the webview bundle includes this file.
import type { CompareData } from '../core/compare/types';

export type { CompareData } from '../core/compare/types';

export const COMPARE_VIEW_TYPE = 'mlsight.compare';

export type XAxis = 'step' | 'wall' | 'relative';

/** What the panel remembers (webview state and the serializer's restore data). */
export interface CompareViewState {
  folder: string;
  runIds: string[];
  referenceRunId: string | null;
  diffOnly: boolean;
  smoothing: number;
  xAxis: XAxis;
  logY: boolean;
  /** parallel coordinates: chosen params and metric */
  pcParams: string[];
  pcMetric: string | null;
  scatterParam: string | null;
  scatterMetric: string | null;
  sort: { key: string; section: string; descending: boolean } | null;
  /** deltas to the reference and the baseline: absolute differences (default) or relative ones */
  deltaMode: 'absolute' | 'relative';
}

export function defaultViewState(folder: string, runIds: string[]): CompareViewState {
  return { folder, runIds, referenceRunId: null, diffOnly: true, smoothing: 0, xAxis: 'step', logY: false, pcParams: [], pcMetric: null, scatterParam: null, scatterMetric: null, sort: null, deltaMode: 'absolute' };
}

export type HostToWebview =
  | { type: 'data'; data: CompareData; state: CompareViewState; live: boolean }
  | { type: 'error'; message: string };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'state'; state: CompareViewState }
  | { type: 'setReference'; runId: string | null }
  | { type: 'setBaseline'; runId: string }
  | { type: 'openRun'; runId: string }
  | { type: 'addBaselineSnippet' }
  | { type: 'save'; kind: 'csv' | 'png'; suggestedName: string; /** CSV text, or a PNG as base64 */ content: string }
  | { type: 'firstPaint'; ms: number; points: number };

export function isWebviewToHost(m: unknown): m is WebviewToHost {
  if (!m || typeof m !== 'object') { return false; }
  const t = (m as { type?: unknown }).type;
  return typeof t === 'string' && ['ready', 'state', 'setReference', 'setBaseline', 'openRun', 'addBaselineSnippet', 'save', 'firstPaint'].includes(t);
}
