// The drift report's data model, shared by the core, the CLI and the Drift webview (type-only for the webview:
// no imports with side effects here).

/** A column's type as read from the file (./columns explains the rules). */
export type ColumnDtype = 'integer' | 'float' | 'boolean' | 'string' | 'datetime' | 'text' | 'empty';

/** A value that does not fit its column's type, with its line (row for Parquet; 0 when unknown). */
export interface InvalidExample {
  line: number;
  value: string;
}

/** Evidently's tests and distances (see src/core/stats/drift.ts for their definitions). */
export type DriftMethod = 'ks' | 'chisquare' | 'z' | 'jensenshannon' | 'wasserstein' | 'psi';
export const DRIFT_METHODS: readonly DriftMethod[] = ['ks', 'chisquare', 'z', 'jensenshannon', 'wasserstein', 'psi'];
export const P_VALUE_METHODS: readonly DriftMethod[] = ['ks', 'chisquare', 'z'];
/** Evidently's default threshold per method: p-value tests drift below 0.05, distances at or above 0.1. */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftMethod, number>> = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  jensenshannon: 0.1,
  wasserstein: 0.1,
  psi: 0.1,
};
export const METHOD_LABELS: Readonly<Record<DriftMethod, string>> = {
  ks: 'K-S p-value',
  chisquare: 'chi-square p-value',
  z: 'Z-test p-value',
  jensenshannon: 'Jensen-Shannon distance',
  wasserstein: 'Wasserstein distance (normed)',
  psi: 'PSI',
};

export type DriftColumnType = 'numerical' | 'categorical';
export type ColumnRole = 'feature' | 'target' | 'prediction';
export type Task = 'classification' | 'regression';
export type ChunkPeriod = 'count' | 'hour' | 'day' | 'week' | 'month';
export type PerformanceMetric = 'accuracy' | 'f1' | 'auc' | 'rmse' | 'mae';
/** Metrics where lower is worse (the others are errors: higher is worse). */
export const HIGHER_IS_BETTER: Readonly<Record<PerformanceMetric, boolean>> = {
  accuracy: true,
  f1: true,
  auc: true,
  rmse: false,
  mae: false,
};
export const METRIC_LABELS: Readonly<Record<PerformanceMetric, string>> = {
  accuracy: 'accuracy',
  f1: 'F1',
  auc: 'ROC AUC',
  rmse: 'RMSE',
  mae: 'MAE',
};

/** When to recommend retraining (settings mlsight.drift.retrain.*). */
export interface RetrainPolicy {
  /** dataset drift (share of drifted columns ≥ driftShare) */
  onDatasetDrift: boolean;
  /** drift of the target (label drift) */
  onLabelDrift: boolean;
  /** performance outside NannyML's reference band (mean ± 3σ of the reference chunks), on the worse side */
  onPerformanceAlert: boolean;
  /** how many consecutive current chunks must be outside the band (the persistence rule; also for drift over time) */
  minAlertChunks: number;
  /** 'auto': ROC AUC for probabilities, F1 for labels, RMSE for regression */
  performanceMetric: PerformanceMetric | 'auto';
  /** an absolute floor (accuracy, F1, AUC) or ceiling (RMSE, MAE) for the whole current data and its latest chunk */
  performanceThreshold: number | null;
}

export const DEFAULT_RETRAIN_POLICY: Readonly<RetrainPolicy> = {
  onDatasetDrift: true,
  onLabelDrift: true,
  onPerformanceAlert: true,
  minAlertChunks: 2,
  performanceMetric: 'auto',
  performanceThreshold: null,
};

/** How the calibrated verdict controls its false alarms (./calibrate). */
export interface VerdictPolicy {
  /** the designed false-alarm rate of the whole verdict on data from an unchanged process */
  alpha: number;
  /** the correction across the columns' two-sample tests: Holm (family-wise) or Benjamini–Hochberg (false discoveries) */
  correction: 'holm' | 'bh';
}

export const DEFAULT_VERDICT_POLICY: Readonly<VerdictPolicy> = { alpha: 0.05, correction: 'holm' };

/** PSI bins: Evidently's (Sturges over both samples) or fixed reference deciles. */
export type PsiBinning = 'evidently' | 'deciles';

export interface DriftOptions {
  target?: string | null;
  prediction?: string | null;
  /** the time column of the current data (and of the reference, when it has one) */
  time?: string | null;
  task?: Task | 'auto';
  /** analyse only these features (default: every column both files share) */
  columns?: readonly string[];
  /** never analyse these columns (ids, …) */
  exclude?: readonly string[];
  /** force a column's type, as Evidently's column mapping does */
  columnTypes?: Readonly<Record<string, DriftColumnType>>;
  /** per-column method, overriding Evidently's default choice */
  methods?: Readonly<Record<string, DriftMethod>>;
  /** one method for every numerical / categorical column ('auto' = Evidently's choice by size and cardinality) */
  numericalMethod?: DriftMethod | 'auto';
  categoricalMethod?: DriftMethod | 'auto';
  thresholds?: Partial<Record<DriftMethod, number>>;
  /** dataset drift when the share of drifted columns reaches this (Evidently: 0.5) */
  driftShare?: number;
  /** number of count-based chunks over time (NannyML's default chunker: 10) */
  chunks?: number;
  period?: ChunkPeriod;
  retrain?: Partial<RetrainPolicy>;
  verdict?: Partial<VerdictPolicy>;
  /** bins of the per-column PSI (Evidently's by default; PSI over time always uses reference deciles) */
  psiBinning?: PsiBinning;
  /** reference column name → current column name, for columns named differently in the two files */
  map?: Readonly<Record<string, string>>;
}

export interface MissingCounts {
  /** NA/empty/null values */
  missing: number;
  posInf: number;
  negInf: number;
  /** values that are not of the column's type (text in a numeric column), treated as missing */
  invalid: number;
}

export interface ColumnStats {
  ks?: { statistic: number; pValue: number; method: 'exact' | 'asymp' };
  psi?: number;
  /** PSI on fixed reference-decile bins (numerical columns) */
  psiDeciles?: number;
  wassersteinNorm?: number;
  jensenShannon?: number;
  chiSquare?: { statistic: number; pValue: number; dof: number };
  z?: { statistic: number; pValue: number };
}

export type Histogram =
  | { kind: 'bins'; edges: number[]; reference: number[]; current: number[] }
  | {
      kind: 'categories';
      categories: string[];
      reference: number[];
      current: number[];
      /** categories beyond the shown ones, summed into the last entry */ otherCount: number;
    };

export interface NumericSummary {
  min: number;
  max: number;
  mean: number;
}

export interface ColumnReport {
  name: string;
  role: ColumnRole;
  type: DriftColumnType;
  dtype: { reference: ColumnDtype; current: ColumnDtype };
  nRef: number;
  nCur: number;
  missingRef: MissingCounts;
  missingCur: MissingCounts;
  /** distinct values of reference ∪ current */
  nUnique: number;
  method: DriftMethod;
  /** where the method came from */
  methodSource: 'evidently-default' | 'setting' | 'column';
  /** the method's statistic (D, χ², z) or distance */
  statistic: number;
  pValue: number | null;
  /** Evidently's drift score: the p-value for tests, the distance otherwise */
  score: number;
  threshold: number;
  drifted: boolean;
  /** the two-sample test the calibrated verdict uses (K-S for numerical columns, chi-square homogeneity otherwise) */
  test: { name: 'ks' | 'chi2-homogeneity'; pValue: number };
  /** every statistic that applies to the column's type */
  stats: ColumnStats;
  histogram: Histogram;
  /** numerical columns: values at the probabilities in ECDF_PROBABILITIES, for ECDF plots */
  ecdf: { reference: number[]; current: number[] } | null;
  summary: { reference: NumericSummary; current: NumericSummary } | null;
  invalidExamples: { reference: InvalidExample[]; current: InvalidExample[] };
}

export interface SkippedColumn {
  name: string;
  role: ColumnRole;
  reason: string;
}

export interface DatasetDriftSummary {
  nColumns: number;
  nDrifted: number;
  share: number;
  driftShare: number;
  drifted: boolean;
}

export interface TableInfo {
  path: string;
  name: string;
  format: string;
  rows: number;
  columns: number;
  truncated: boolean;
  sizeBytes: number;
}

export interface ChunkInfo {
  index: number;
  label: string;
  /** time range (ms since epoch), when chunked over a time column */
  start: number | null;
  end: number | null;
  rows: number;
}

export interface MetricSeries {
  metric: PerformanceMetric;
  /** per current chunk (null when the chunk has no labelled rows) */
  values: (number | null)[];
  /** per reference chunk */
  referenceValues: (number | null)[];
  /** NannyML band: mean ± 3σ of the reference chunks, clipped to the metric's range */
  lower: number | null;
  upper: number | null;
  alerts: boolean[];
  /** outside the band on the worse side */
  degraded: boolean[];
  /** the verdict's calibrated band (./calibrate): the primary metric's, when the reference has predictions; else null */
  band: CalibratedBand | null;
  /** on the whole reference / current data */
  reference: number | null;
  current: number | null;
}

/**
 * The verdict's performance band: the metric on the whole reference ± multiplier·σᵢ per current chunk, with σᵢ
 * from the chunk's size (a bootstrap of the reference at the typical chunk size, scaled by √(n_b/nᵢ)), the
 * reference chunks' spread beyond that, and the uncertainty of the reference value itself.
 */
export interface CalibratedBand {
  center: number;
  multiplier: number;
  sigma: (number | null)[];
  lower: (number | null)[];
  upper: (number | null)[];
  /** (value − center)/σ, signed so that negative is worse */
  z: (number | null)[];
  bootstrap: { rows: number; resamples: number; sigma: number };
  /** standard deviation between reference chunks beyond sampling (0 when none) */
  excess: number;
  /** standard error of the reference value */
  centerError: number;
}

export interface DriftSeries {
  name: string;
  role: ColumnRole;
  type: DriftColumnType;
  /** NannyML's Jensen–Shannon distance (base 2) of each current chunk against the whole reference */
  values: (number | null)[];
  referenceValues: (number | null)[];
  /** NannyML's alert threshold: mean + 3σ of the reference chunks' values */
  upper: number | null;
  alerts: boolean[];
  /** each chunk's two-sample test against the whole reference (K-S asymptotic / chi-square homogeneity) */
  pValues: (number | null)[];
  /** each chunk's PSI against the reference on fixed reference-decile bins (categories for categorical columns) */
  psi: (number | null)[];
}

export interface OverTime {
  period: ChunkPeriod;
  timeColumn: string | null;
  chunks: ChunkInfo[];
  referenceChunks: number;
  performance: {
    task: Task;
    primary: PerformanceMetric;
    series: MetricSeries[];
    threshold: number | null;
    /** current rows without a label or prediction (not in the performance figures) */
    unlabelledRows: number;
  } | null;
  drift: DriftSeries[];
}

export interface RetrainReason {
  code: string;
  level: 'retrain' | 'monitor';
  message: string;
  column?: string;
}

/** A problem with the inputs themselves (empty file, columns missing or retyped). */
export interface DataQualityFinding {
  code: 'no-rows' | 'no-shared-columns' | 'missing-column' | 'new-column' | 'type-changed' | 'all-missing';
  severity: 'error' | 'warning' | 'info';
  column?: string;
  message: string;
}

/** One column's line in the verdict's reasoning. */
export interface CalibratedColumn {
  name: string;
  role: ColumnRole;
  test: 'ks' | 'chi2-homogeneity';
  pValue: number;
  /** after the correction across all columns */
  adjusted: number;
  /** Evidently's flag (its own test or distance at its threshold) */
  evidentlyDrifted: boolean;
  /** both: Evidently's flag and the corrected test */
  alarm: boolean;
}

/** How the verdict was reached: tests, correction, chunks and bands (shown in the report). */
export interface VerdictCalibration {
  alpha: number;
  /** the plain-words statement of the designed alarm rate */
  statement: string;
  columns: { correction: 'holm' | 'bh'; alpha: number; tests: number; rows: CalibratedColumn[] };
  overTime: {
    chunks: number;
    persistence: number;
    alpha: number;
    perChunkAlpha: number;
    alarms: { name: string; from: number; to: number }[];
  } | null;
  performance: {
    metric: PerformanceMetric;
    center: number;
    multiplier: number;
    persistence: number;
    alpha: number;
    /** the band of a chunk of the typical size */
    typical: { rows: number; lower: number; upper: number; sigma: number };
    degradedRun: { from: number; to: number } | null;
    improvedRun: { from: number; to: number } | null;
  } | null;
  /** observations that raised no alarm (Evidently flags the correction removed, single chunks out of band) */
  notes: string[];
}

export interface Verdict {
  level: 'retrain' | 'monitor' | 'ok';
  retrain: boolean;
  headline: string;
  reasons: RetrainReason[];
  calibration: VerdictCalibration;
}

export interface EffectiveSettings {
  thresholds: Record<DriftMethod, number>;
  driftShare: number;
  numericalMethod: DriftMethod | 'auto';
  categoricalMethod: DriftMethod | 'auto';
  methods: Record<string, DriftMethod>;
  chunks: number;
  period: ChunkPeriod;
  retrain: RetrainPolicy;
  verdict: VerdictPolicy;
  psiBinning: PsiBinning;
  map: Record<string, string>;
}

export interface DriftReport {
  schema: 'mlsight.drift/1';
  createdAt: string;
  reference: TableInfo;
  current: TableInfo;
  target: string | null;
  prediction: string | null;
  time: string | null;
  task: Task | null;
  /** how the prediction column is read: class labels, class-1 probabilities (binary), or regression values */
  predictionKind: 'labels' | 'probabilities' | 'values' | null;
  settings: EffectiveSettings;
  columns: ColumnReport[];
  skipped: SkippedColumn[];
  dataset: DatasetDriftSummary;
  overTime: OverTime | null;
  dataQuality: DataQualityFinding[];
  verdict: Verdict;
  warnings: string[];
  timings: { loadMs: number; analyseMs: number };
}

/** Probabilities at which ColumnReport.ecdf gives quantiles (0, 0.01, …, 1). */
export const ECDF_PROBABILITIES: readonly number[] = Array.from({ length: 101 }, (_, i) => i / 100);
