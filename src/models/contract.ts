// The models feature's webview contracts: the promotion review (host: src/models/promotePanel.ts, webview:
// webview-ui/promote/main.ts) and the model page (host: src/models/modelPage.ts, webview: webview-ui/model/main.ts).
// No `vscode` import and no import from the core (the webview bundle and its type-check include this file alone):
// the shapes below are filled by the host from the registry's core types. Every message a page sends is checked
// field by field on arrival (PROMOTE_MESSAGES, MODEL_PAGE_MESSAGES, validated by the panel host).
import {
  MessageValidators,
  fields,
  isBoolean,
  isStringShorterThan,
  noFields,
  oneOf,
  optional,
  type Check,
} from '../platform/messages';

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

export interface MetricRowView {
  key: string;
  champion: number | null;
  challenger: number | null;
  delta: number | null;
  better: boolean | null;
  direction: Direction;
}

export interface GateCheckView {
  id: string;
  code: string;
  label: string;
  ok: boolean;
  detail: string;
  skipped?: boolean;
}

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
  srm: {
    counts: [number, number];
    expectedShare: number;
    observedShare: number;
    statistic: number;
    pValue: number;
    mismatch: boolean;
  };
  metrics: AbMetricView[];
}

export interface HistoryView {
  at: number;
  actor: string;
  action: string;
  version: number | null;
  alias: string | null;
  from: string | null;
  to: string | null;
  reason: string | null;
  override: boolean;
  /** at or after the first line of .mlsight/audit.jsonl whose hash chain does not verify */
  unverified?: boolean;
}

export interface PromoteReview {
  model: string;
  backend: 'mlsight' | 'mlflow-filestore' | 'mlflow-sqlite' | 'mlflow-team';
  targetLabel: string;
  challenger: VersionCard;
  champion: VersionCard | null;
  comparison: {
    metric: string | null;
    direction: Direction;
    minImprovement: number;
    relative: boolean;
    championValue: number | null;
    challengerValue: number | null;
    delta: number | null;
    relativeDelta: number | null;
    passes: boolean;
    reason: string;
    rows: MetricRowView[];
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

/** a run id as a page sends it back (ids come from the registry: MLflow hex ids, ML Sight run directory names) */
const isRunId = isStringShorterThan(1000);
/** a commit as the model page shows it (the host checks it again against the model's versions and git's rules) */
const isHexCommit: Check = v => typeof v === 'string' && /^[0-9a-f]{4,64}$/i.test(v);
const isVersionNumber: Check = v => Number.isSafeInteger(v) && (v as number) >= 1;

/** One validator per message the promotion review sends (a malformed one is dropped by the host). */
export const PROMOTE_MESSAGES: MessageValidators<PromoteToHost> = {
  ready: noFields,
  promote: fields({ reason: isStringShorterThan(10_000), override: isBoolean }),
  cancel: noFields,
  openRun: fields({ runId: isRunId }),
};

// ---- the model page ----

export const MODEL_PAGE_VIEW_TYPE = 'mlsight.model';

/** A version on the model page: the promotion review's card plus its metrics. */
export interface ModelPageVersion extends VersionCard {
  /** metrics at registration (else the run's latest); non-finite values left out */
  metrics: Record<string, number>;
}

export interface ModelPageData {
  model: string;
  backend: 'mlsight' | 'mlflow-filestore' | 'mlflow-sqlite' | 'mlflow-team';
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
  auditChain: {
    state: 'verified' | 'unchained' | 'partial' | 'broken' | 'empty';
    message: string | null;
    firstBadLine: number | null;
  };
  /** the latest analysis of `.mlsight/ab/<model>.jsonl`, or why there is none */
  ab: { file: string; rows: number; analysis: AbView } | { file: string; rows: 0; analysis: null; message: string };
  /** git commands may run (trusted workspace) */
  gitActions: boolean;
  /**
   * A team model (the team tracking backend, mlsight.tracking.uri) rather than the workspace's: where it lives and
   * what the page cannot do for it (the canary and the A/B tab need the workspace's outcome logs).
   */
  team: { uri: string; raceFree: boolean; unsupported: string } | null;
}

export interface ModelPageState {
  /** the workspace folder's URI; '' for a team model */
  folder: string;
  model: string;
  /** a model of the team tracking backend */
  team?: boolean;
  tab?: ModelPageTab;
}

export type ModelPageTab = 'overview' | 'metrics' | 'audit' | 'ab';

export const MODEL_PAGE_TABS: readonly ModelPageTab[] = ['overview', 'metrics', 'audit', 'ab'];

export type HostToModelPage =
  { type: 'data'; data: ModelPageData; state: ModelPageState } | { type: 'error'; message: string };

export type ModelPageToHost =
  | { type: 'ready' }
  | { type: 'openRun'; runId: string }
  | { type: 'showCommit'; commit: string }
  | { type: 'configureCanary' }
  | { type: 'promote'; version?: number }
  | { type: 'setAlias'; version?: number }
  | { type: 'undoPromotion' }
  | { type: 'refresh' };

/** One validator per message the model page sends (a malformed one is dropped by the host). */
export const MODEL_PAGE_MESSAGES: MessageValidators<ModelPageToHost> = {
  ready: noFields,
  openRun: fields({ runId: isRunId }),
  showCommit: fields({ commit: isHexCommit }),
  configureCanary: noFields,
  promote: fields({ version: optional(isVersionNumber) }),
  setAlias: fields({ version: optional(isVersionNumber) }),
  undoPromotion: noFields,
  refresh: noFields,
};

/** The state VS Code restores for a model page after a reload, checked (undefined: the restored page closes). */
export function modelPageStateFrom(raw: unknown): ModelPageState | undefined {
  const s = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : undefined;
  if (!s || typeof s.folder !== 'string' || typeof s.model !== 'string') {
    return undefined;
  }
  return {
    folder: s.team === true ? '' : s.folder,
    model: s.model,
    ...(s.team === true ? { team: true } : {}),
    ...(oneOf(...MODEL_PAGE_TABS)(s.tab) ? { tab: s.tab as ModelPageTab } : {}),
  };
}
