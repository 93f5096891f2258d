// The Drift webview's message contract, imported by the host (src/drift/driftPanel.ts) and by the webview
// (webview-ui/drift/main.ts). No `vscode` import: the webview bundle includes this file. Reports travel with
// non-finite numbers encoded as {$nf: …} (JSON has no ±∞/NaN); the webview decodes them.
// The host owns the data and the configuration (which files, which columns); the webview owns only its view
// settings (sort, selected column, chart kind, metric), which it reports with `state` messages.

import {
  Check,
  MessageValidators,
  fields,
  isBoolean,
  isPlainObject,
  isStringShorterThan,
  noFields,
  nullable,
  oneOf,
} from '../platform/messages';

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

export const SORT_KEYS = [
  'name',
  'role',
  'type',
  'method',
  'statistic',
  'pValue',
  'score',
  'threshold',
  'drifted',
  'missing',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** The webview's own view settings (the only state it owns). */
export interface DriftViewSettings {
  sort: { key: SortKey; descending: boolean };
  /** column whose distribution is shown large */
  selected: string | null;
  chart: 'histogram' | 'ecdf';
  metric: string | null;
}

/** What the webview remembers: the host's configuration plus its view settings (also the serializer's restore data). */
export interface DriftViewState extends DriftViewSettings {
  config: DriftConfig;
}

export function defaultDriftViewState(config: DriftConfig): DriftViewState {
  return { config, sort: { key: 'drifted', descending: true }, selected: null, chart: 'histogram', metric: null };
}

/** The view settings of a state (what a `state` message carries). */
export function viewSettingsOf(s: DriftViewState): DriftViewSettings {
  return { sort: s.sort, selected: s.selected, chart: s.chart, metric: s.metric };
}

export type HostToWebview =
  | { type: 'loading'; config: DriftConfig; message: string; fraction?: number }
  | { type: 'report'; config: DriftConfig; report: unknown /* encodeNonFinite(DriftReport) */; state: DriftViewState }
  | { type: 'error'; config: DriftConfig; message: string };

export type WebviewToHost =
  | { type: 'ready' }
  /** the webview's view settings changed (the host keeps them for the report it sends next) */
  | { type: 'state'; view: DriftViewSettings }
  | { type: 'export'; format: 'json' | 'csv' | 'html' }
  | { type: 'rerun' }
  | { type: 'configure' }
  | { type: 'openFile'; which: 'reference' | 'current' }
  | { type: 'openSettings' }
  /** save this configuration as a drift watch (re-run when its files change; status bar when drifted) */
  | { type: 'saveWatch' }
  | { type: 'rendered'; rows: number; charts: number };

/** Column and metric names: anything a data file may hold, bounded. */
const isName = isStringShorterThan(10_000);
const isCount: Check = v => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isObjectWith =
  (shape: Record<string, Check>): Check =>
  v =>
    isPlainObject(v) && fields(shape)(v as Record<string, unknown>);

const VIEW_SETTINGS: Record<keyof DriftViewSettings, Check> = {
  sort: isObjectWith({ key: oneOf(...SORT_KEYS), descending: isBoolean }),
  selected: nullable(isName),
  chart: oneOf('histogram', 'ecdf'),
  metric: nullable(isName),
};

/** A check of the webview's view settings, field by field. */
export const isDriftViewSettings: Check = isObjectWith(VIEW_SETTINGS);

/** A check of a configuration (two file paths, three optional column names). */
export const isDriftConfig: Check = isObjectWith({
  reference: isStringShorterThan(4096),
  current: isStringShorterThan(4096),
  target: nullable(isName),
  prediction: nullable(isName),
  time: nullable(isName),
});

/** One validator per message the webview sends; the panel host drops (and logs) a message that fails its check. */
export const DRIFT_MESSAGES: MessageValidators<WebviewToHost> = {
  ready: noFields,
  state: fields({ view: isDriftViewSettings }),
  export: fields({ format: oneOf('json', 'csv', 'html') }),
  rerun: noFields,
  configure: noFields,
  openFile: fields({ which: oneOf('reference', 'current') }),
  openSettings: noFields,
  saveWatch: noFields,
  rendered: fields({ rows: isCount, charts: isCount }),
};

/**
 * The state VS Code restores after a reload (what the webview saved with setState): its configuration must be
 * valid, else nothing is restored; view settings that fail their checks fall back to the defaults.
 */
export function restoreDriftViewState(raw: unknown): DriftViewState | undefined {
  if (!isPlainObject(raw)) {
    return undefined;
  }
  const s = raw as Record<string, unknown>;
  const c = s.config;
  if (!isPlainObject(c)) {
    return undefined;
  }
  const cfg = c as Record<string, unknown>;
  // states saved before the target/prediction/time columns existed have none
  const column = (v: unknown) => (v === undefined ? null : v);
  const config = {
    reference: cfg.reference,
    current: cfg.current,
    target: column(cfg.target),
    prediction: column(cfg.prediction),
    time: column(cfg.time),
  };
  if (!isDriftConfig(config)) {
    return undefined;
  }
  const state = defaultDriftViewState(config as DriftConfig);
  const restored: Record<string, unknown> = { ...state };
  for (const [k, check] of Object.entries(VIEW_SETTINGS)) {
    if (check(s[k])) {
      restored[k] = s[k];
    }
  }
  return restored as unknown as DriftViewState;
}
