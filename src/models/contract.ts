// The promotion review webview's message contract, imported by the host (src/models/promotePanel.ts) and by the
// webview (webview-ui/promote/main.ts). No `vscode` import and no import from the core (the webview bundle and its
// type-check include this file alone): the shapes below are filled by the host from the registry's core types.

export const PROMOTE_VIEW_TYPE = 'mlsight.promote';

export type Direction = 'maximize' | 'minimize';

export interface VersionCard {
  version: number;
  stage: string;
  aliases: string[];
  description: string | null;
  createdAt: number | null;
  createdBy: string | null;
  runId: string | null;
  runName: string | null;
  runExists: boolean;
  /** the run's status as shown (a RUNNING run whose process is gone is KILLED); null: the run is not here */
  runStatus: string | null;
  runStatusNote: string | null;
  experiment: string | null;
  gitCommit: string | null;
  gitBranch: string | null;
  gitDirty: boolean | null;
  sourceUri: string | null;
  datasets: { name: string; role: string; digest: string | null; rows: number | null }[];
  metricsFrom: 'registration' | 'run' | 'none';
}

export interface MetricRowView { key: string; champion: number | null; challenger: number | null; delta: number | null; better: boolean | null; direction: Direction }

export interface GateCheckView { id: string; code: string; label: string; ok: boolean; detail: string; skipped?: boolean }

export interface AbMetricView {
  name: string;
  role: 'primary' | 'guardrail';
  direction: Direction;
  test: string;
  arms: { name: string; n: number; mean: number; sd: number | null; successes?: number }[];
  statistic: number;
  df: number | null;
  pValue: number;
  difference: number;
  ci: [number, number];
  lift: { value: number; ci: [number, number]; pValue: number } | null;
  sequential: { method: string; pValue: number; ci: [number, number] | null } | null;
  outcome: 'better' | 'worse' | 'inconclusive';
  power: number | null;
  mde: number;
  requiredTotal: number | null;
  moreNeeded: number | null;
}

export interface AbView {
  verdict: 'promote' | 'keep-champion' | 'not-enough-data' | 'invalid';
  headline: string;
  reasons: string[];
  source: string;
  alpha: number;
  /** the relative lift the power and sample size are planned for */
  targetLift: number;
  srm: { counts: [number, number]; expectedShare: number; observedShare: number; statistic: number; pValue: number; mismatch: boolean };
  metrics: AbMetricView[];
}

export interface HistoryView {
  at: number; actor: string; action: string; version: number | null; alias: string | null; from: string | null; to: string | null;
  reason: string | null; override: boolean;
  /** at or after the first line of .mlsight/audit.jsonl whose hash chain does not verify */
  unverified?: boolean;
}

export interface PromoteReview {
  model: string;
  backend: 'mlsight' | 'mlflow-filestore' | 'mlflow-sqlite';
  targetLabel: string;
  challenger: VersionCard;
  champion: VersionCard | null;
  comparison: {
    metric: string | null; direction: Direction; minImprovement: number; relative: boolean;
    championValue: number | null; challengerValue: number | null; delta: number | null; relativeDelta: number | null;
    passes: boolean; reason: string; rows: MetricRowView[];
  };
  gate: { pass: boolean; checks: GateCheckView[]; failures: string[] };
  ab: AbView | null;
  /** outcomes left out of the A/B analysis (other versions, outside the canary window), in words */
  abExcluded: string | null;
  /** the gate's measured error rates (bench/gate.bench.ts), in words */
  errorRates: string;
  history: HistoryView[];
}

export type HostToPromote =
  | { type: 'review'; review: PromoteReview }
  | { type: 'busy'; message: string }
  | { type: 'done'; message: string }
  | { type: 'error'; message: string };

export type PromoteToHost =
  | { type: 'ready' }
  | { type: 'promote'; reason: string; override: boolean }
  | { type: 'cancel' }
  | { type: 'openRun'; runId: string };

export function isPromoteToHost(m: unknown): m is PromoteToHost {
  if (!m || typeof m !== 'object') { return false; }
  const x = m as Record<string, unknown>;
  switch (x.type) {
    case 'ready': case 'cancel': return true;
    case 'promote': return typeof x.reason === 'string' && typeof x.override === 'boolean';
    case 'openRun': return typeof x.runId === 'string';
    default: return false;
  }
}
