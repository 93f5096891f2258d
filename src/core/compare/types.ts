import type { TableRow } from './table';

/** What the comparison view shows; built in the core, sent to the webview as is (plain JSON). */
export interface CompareRunInfo {
  id: string;
  name: string;
  experiment: string;
  experimentId: string;
  status: string;
  startTime: number | null;
  endTime: number | null;
  gitCommit: string | null;
  gitDirty: boolean | null;
  isBaseline: boolean;
}

/**
 * One run's history of one metric, decimated for drawing. Parallel arrays keep the JSON small. Values that
 * are NaN/±inf are carried in `nonFinite` (JSON has no NaN) and left out of the drawn line.
 */
export interface SeriesData {
  runId: string;
  key: string;
  steps: number[];
  times: (number | null)[];
  values: number[];
  nonFinite: { step: number; value: 'nan' | 'inf' | '-inf' }[];
  /** points before decimation */
  total: number;
  /** false: the run's source could not be read, these are the store's decimated points */
  complete: boolean;
}

export interface BaselineInfo {
  /** per experiment id: the baseline run id, or null when the experiment has none */
  byExperiment: Record<string, { runId: string | null; auto: boolean; experimentName: string }>;
  /** metric the improvement is computed on */
  metric: string | null;
  higherIsBetter: boolean;
  /** per run id: relative improvement over its experiment's baseline (positive = better), null if unknown */
  improvement: Record<string, number | null>;
  /** per run id: its value minus its baseline's value on `metric` (absolute; the sign is not direction-adjusted) */
  delta: Record<string, number | null>;
  /** per run id: the baseline's value on `metric` */
  baselineValue: Record<string, number | null>;
}

export interface FeatureImportance {
  runId: string;
  names: string[];
  values: number[];
}

export interface CompareData {
  runs: CompareRunInfo[];
  referenceRunId: string | null;
  /** params, latest metrics, tags, info (start, duration, commit) and datasets; deltas against the reference */
  rows: TableRow[];
  metricKeys: string[];
  series: SeriesData[];
  baseline: BaselineInfo;
  importances: FeatureImportance[];
  /** run ids asked for that are not in the store */
  missing: string[];
}
