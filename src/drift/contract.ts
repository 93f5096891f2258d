// The Drift webview's message contract, imported by the host (src/drift/driftPanel.ts) and by the webview
// (webview-ui/drift/main.ts). No `vscode` import: the webview bundle includes this file. Reports travel with
// non-finite numbers encoded as {$nf: …} (JSON has no ±∞/NaN); the webview decodes them.

export type { DriftReport } from '../core/drift/types';

export const DRIFT_VIEW_TYPE = 'mlsight.drift';

/** What a report is made from (also what the panel restores after a reload). */
export interface DriftConfig {
  /** file-system paths */
  reference: string;
  current: string;
  target: string | null;
  prediction: string | null;
  time: string | null;
}

export type SortKey = 'name' | 'role' | 'type' | 'method' | 'statistic' | 'pValue' | 'score' | 'threshold' | 'drifted' | 'missing';

/** What the webview remembers (its state and the serializer's restore data). */
export interface DriftViewState {
  config: DriftConfig;
  sort: { key: SortKey; descending: boolean };
  /** column whose distribution is shown large */
  selected: string | null;
  chart: 'histogram' | 'ecdf';
  metric: string | null;
}

export function defaultDriftViewState(config: DriftConfig): DriftViewState {
  return { config, sort: { key: 'drifted', descending: true }, selected: null, chart: 'histogram', metric: null };
}

export type HostToWebview =
  | { type: 'loading'; config: DriftConfig; message: string; fraction?: number }
  | { type: 'report'; config: DriftConfig; report: unknown /* encodeNonFinite(DriftReport) */; state: DriftViewState }
  | { type: 'error'; config: DriftConfig; message: string };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'state'; state: DriftViewState }
  | { type: 'export'; format: 'json' | 'csv' | 'html' }
  | { type: 'rerun' }
  | { type: 'configure' }
  | { type: 'openFile'; which: 'reference' | 'current' }
  | { type: 'openSettings' }
  /** save this configuration as a drift watch (re-run when its files change; status bar when drifted) */
  | { type: 'saveWatch' }
  | { type: 'rendered'; rows: number; charts: number };

export function isWebviewToHost(m: unknown): m is WebviewToHost {
  if (!m || typeof m !== 'object') { return false; }
  const t = (m as { type?: unknown }).type;
  return typeof t === 'string' && ['ready', 'state', 'export', 'rerun', 'configure', 'openFile', 'openSettings', 'saveWatch', 'rendered'].includes(t);
}

