// The comparison webview's message contract, imported by the host (src/compare/comparePanel.ts) and by the
// webview (webview-ui/compare/main.ts). No `vscode` import: the webview bundle includes this file.
import type { CompareData } from '../core/compare/types';
import {
  Check,
  MessageValidators,
  fields,
  isArrayOf,
  isFiniteNumber,
  isString,
  isStringShorterThan,
  noFields,
  nullable,
  oneOf,
} from '../platform/messages';

export type { CompareData } from '../core/compare/types';

export const COMPARE_VIEW_TYPE = 'mlsight.compare';

export type XAxis = 'step' | 'wall' | 'relative';

/**
 * What the host owns and shows: the folder, the compared runs and the reference run. The webview never changes it;
 * it asks (`setReference`) and renders what the host sends.
 */
export interface CompareSelection {
  folder: string;
  runIds: string[];
  referenceRunId: string | null;
}

/** What the webview owns: how it shows the data. The host never sees it. */
export interface CompareViewSettings {
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

/**
 * What the webview persists (`setState`) and VS Code hands the serializer after a reload: its view settings, and a
 * copy of the last selection the host sent, so that the host can show the same runs again.
 */
export interface CompareWebviewState {
  selection: CompareSelection | null;
  view: CompareViewSettings;
}

export function defaultViewSettings(): CompareViewSettings {
  return {
    diffOnly: true,
    smoothing: 0,
    xAxis: 'step',
    logY: false,
    pcParams: [],
    pcMetric: null,
    scatterParam: null,
    scatterMetric: null,
    sort: null,
    deltaMode: 'absolute',
  };
}

const isSort: Check = v => {
  const o = v as { key?: unknown; section?: unknown; descending?: unknown } | null;
  return !!o && typeof o === 'object' && isString(o.key) && isString(o.section) && typeof o.descending === 'boolean';
};
const VIEW_CHECKS: { [K in keyof CompareViewSettings]: Check } = {
  diffOnly: v => typeof v === 'boolean',
  smoothing: v => isFiniteNumber(v) && (v as number) >= 0 && (v as number) < 1,
  xAxis: oneOf('step', 'wall', 'relative'),
  logY: v => typeof v === 'boolean',
  pcParams: isArrayOf(isString, 1000),
  pcMetric: nullable(isString),
  scatterParam: nullable(isString),
  scatterMetric: nullable(isString),
  sort: nullable(isSort),
  deltaMode: oneOf('absolute', 'relative'),
};

/**
 * View settings from persisted webview state: each valid setting is kept, anything else is the default. Reads the
 * current shape (`{ view }`) and the flat one earlier versions persisted.
 */
export function viewSettingsFrom(raw: unknown): CompareViewSettings {
  const r = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const src = r.view && typeof r.view === 'object' ? (r.view as Record<string, unknown>) : r;
  const out = defaultViewSettings() as unknown as Record<string, unknown>;
  for (const [k, check] of Object.entries(VIEW_CHECKS)) {
    if (check(src[k])) {
      out[k] = src[k];
    }
  }
  return out as unknown as CompareViewSettings;
}

/** The selection to restore after a reload (current or earlier persisted shape); undefined: nothing to restore. */
export function selectionFrom(raw: unknown): CompareSelection | undefined {
  const r = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : undefined;
  const s = (r?.selection && typeof r.selection === 'object' ? r.selection : r) as Record<string, unknown> | undefined;
  if (!s || !isString(s.folder) || !isArrayOf(isString, 1000)(s.runIds)) {
    return undefined;
  }
  const runIds = s.runIds as string[];
  const ref = s.referenceRunId;
  return {
    folder: s.folder as string,
    runIds,
    referenceRunId: typeof ref === 'string' && runIds.includes(ref) ? ref : null,
  };
}

export type HostToWebview =
  { type: 'data'; data: CompareData; selection: CompareSelection; live: boolean } | { type: 'error'; message: string };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'setReference'; runId: string | null }
  | { type: 'setBaseline'; runId: string }
  | { type: 'openRun'; runId: string }
  | { type: 'addBaselineSnippet' }
  | { type: 'save'; kind: 'csv' | 'png'; suggestedName: string; /** CSV text, or a PNG as base64 */ content: string }
  | { type: 'firstPaint'; ms: number; points: number };

const runId = isStringShorterThan(1000);

/** One validator per message the comparison sends; the panel host drops any message that fails its check. */
export const COMPARE_MESSAGES: MessageValidators<WebviewToHost> = {
  ready: noFields,
  setReference: fields({ runId: nullable(runId) }),
  setBaseline: fields({ runId }),
  openRun: fields({ runId }),
  addBaselineSnippet: noFields,
  save: fields({
    kind: oneOf('csv', 'png'),
    suggestedName: isStringShorterThan(1000),
    // a chart PNG or a table's CSV; far below what a webview message can carry
    content: isStringShorterThan(64 * 1024 * 1024),
  }),
  firstPaint: fields({
    ms: v => isFiniteNumber(v) && (v as number) >= 0,
    points: v => isFiniteNumber(v) && (v as number) >= 0,
  }),
};
