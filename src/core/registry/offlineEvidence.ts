/**
 * Comparable offline evidence for the promotion gate.
 *
 * 1. Same evaluation data: the champion and the challenger must have been evaluated on the same evaluation dataset
 *    — a dataset with an evaluation role (test, eval, validation, holdout…) and the same content hash — or the two
 *    metric values are "not comparable".
 * 2. Uncertainty: when both runs logged per-example predictions for that dataset (`run.log_predictions` /
 *    `run.log_evaluation` in the Python logger), a paired test decides: McNemar's exact test for accuracy-type
 *    metrics (the examples one model gets right and the other wrong), a paired bootstrap otherwise (RMSE, MAE, F1…),
 *    each with a confidence interval; the challenger must be significantly better at the model's alpha.
 *    Without predictions, a difference smaller than the binomial standard error √(p(1−p)/n) of the test set's size
 *    is "within noise".
 */
import * as fs from 'fs';
import * as path from 'path';
import { normalIsf } from '../stats/distributions';
import { lgamma } from '../stats/special';
import { seededRandom } from '../stats/multiple';
import type { Db } from '../store/db';
import type { DatasetLineage } from './views';

export const EVALUATION_ROLES = [
  'test',
  'testing',
  'eval',
  'evaluation',
  'validation',
  'val',
  'valid',
  'holdout',
  'heldout',
];

export function isEvaluationRole(role: string): boolean {
  return EVALUATION_ROLES.includes(role.trim().toLowerCase());
}

export function evaluationDatasets(ds: readonly DatasetLineage[]): DatasetLineage[] {
  return ds.filter(d => isEvaluationRole(d.role));
}

/** The evaluation dataset both versions were evaluated on (same role and content hash), or null. */
export function sharedEvaluationDataset(
  a: readonly DatasetLineage[],
  b: readonly DatasetLineage[],
): DatasetLineage | null {
  for (const x of evaluationDatasets(a)) {
    if (!x.digest) {
      continue;
    }
    const y = evaluationDatasets(b).find(d => d.digest === x.digest && d.role.toLowerCase() === x.role.toLowerCase());
    if (y) {
      return { ...x, rows: x.rows ?? y.rows };
    }
  }
  return null;
}

export function describeDatasets(ds: readonly DatasetLineage[]): string {
  const e = evaluationDatasets(ds);
  return e.length
    ? e
        .map(
          d =>
            `${d.name} (${d.role}, ${d.digest ? d.digest.slice(0, 19) : 'no hash'}${d.rows !== null ? `, ${d.rows} rows` : ''})`,
        )
        .join(', ')
    : 'no evaluation dataset';
}

/** Per-example labels and predictions of one run on one dataset (`predictions/<name>-<role>.json`). */
export interface Predictions {
  dataset: string;
  role: string;
  digest: string | null;
  yTrue: (number | string)[];
  yPred: (number | string)[];
}

const MAX_PREDICTIONS_BYTES = 64 * 1024 * 1024;

/** Reads a predictions artifact; null when missing, too big or malformed (it is workspace input). */
export function readPredictions(file: string): Predictions | null {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > MAX_PREDICTIONS_BYTES) {
      return null;
    }
    const o = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const ok = (v: unknown): v is (number | string)[] =>
      Array.isArray(v) && v.every(x => typeof x === 'number' || typeof x === 'string');
    if (!ok(o.y_true) || !ok(o.y_pred) || o.y_true.length !== o.y_pred.length || o.y_true.length === 0) {
      return null;
    }
    return {
      dataset: String(o.dataset ?? ''),
      role: String(o.role ?? ''),
      digest: typeof o.digest === 'string' ? o.digest : null,
      yTrue: o.y_true,
      yPred: o.y_pred,
    };
  } catch {
    return null;
  }
}

/** The predictions file of a run for a dataset, under its run folder (`<run dir>/artifacts/predictions/…`). */
export function predictionsFile(runDir: string, d: Pick<DatasetLineage, 'name' | 'role'>): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_');
  return path.join(runDir, 'artifacts', 'predictions', `${safe(d.name)}-${safe(d.role)}.json`);
}

// ---------------------------------------------------------------------------------------------------------------
// Paired tests

function logBinomPmf(k: number, n: number): number {
  return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) - n * Math.LN2;
}

/** Two-sided exact McNemar p-value: min(1, 2·P(X ≤ min(b, c))), X ~ Binomial(b + c, ½) (scipy binomtest). */
export function mcnemarExactP(b: number, c: number): number {
  const n = b + c;
  if (n === 0) {
    return 1;
  }
  const k = Math.min(b, c);
  if (b === c) {
    return 1;
  }
  let s = 0;
  for (let i = 0; i <= k; i++) {
    s += Math.exp(logBinomPmf(i, n));
  }
  return Math.min(1, 2 * s);
}

export interface PairedTest {
  test: 'mcnemar-exact' | 'paired-bootstrap';
  n: number;
  /** challenger − champion on this data */
  difference: number;
  ci: [number, number];
  pValue: number;
  alpha: number;
  /** McNemar: champion right & challenger wrong (b), the reverse (c) */
  discordant?: { championOnly: number; challengerOnly: number };
  resamples?: number;
}

/** McNemar on correctness: difference in accuracy (challenger − champion) with a Wald interval for paired data. */
export function mcnemar(
  yTrue: readonly unknown[],
  champion: readonly unknown[],
  challenger: readonly unknown[],
  alpha: number,
): PairedTest {
  const n = yTrue.length;
  let b = 0,
    c = 0;
  for (let i = 0; i < n; i++) {
    const a = champion[i] === yTrue[i],
      x = challenger[i] === yTrue[i];
    if (a && !x) {
      b++;
    } else if (!a && x) {
      c++;
    }
  }
  const d = (c - b) / n;
  const se = Math.sqrt(Math.max(0, (b + c) / n - d * d) / n);
  const z = normalIsf(alpha / 2);
  return {
    test: 'mcnemar-exact',
    n,
    difference: d,
    ci: [d - z * se, d + z * se],
    pValue: mcnemarExactP(b, c),
    alpha,
    discordant: { championOnly: b, challengerOnly: c },
  };
}

type MetricFn = (yTrue: readonly number[], yPred: readonly number[], idx: Int32Array) => number;

const METRICS: { re: RegExp; fn: MetricFn }[] = [
  {
    re: /(^|[/_.])rmse($|[/_.])/i,
    fn: (t, p, ix) => {
      let s = 0;
      for (const i of ix) {
        s += (p[i] - t[i]) ** 2;
      }
      return Math.sqrt(s / ix.length);
    },
  },
  {
    re: /(^|[/_.])mse($|[/_.])/i,
    fn: (t, p, ix) => {
      let s = 0;
      for (const i of ix) {
        s += (p[i] - t[i]) ** 2;
      }
      return s / ix.length;
    },
  },
  {
    re: /(^|[/_.])mae($|[/_.])/i,
    fn: (t, p, ix) => {
      let s = 0;
      for (const i of ix) {
        s += Math.abs(p[i] - t[i]);
      }
      return s / ix.length;
    },
  },
  {
    re: /(^|[/_.])r2($|[/_.])/i,
    fn: (t, p, ix) => {
      let m = 0;
      for (const i of ix) {
        m += t[i];
      }
      m /= ix.length;
      let ss = 0,
        st = 0;
      for (const i of ix) {
        ss += (t[i] - p[i]) ** 2;
        st += (t[i] - m) ** 2;
      }
      return st > 0 ? 1 - ss / st : 0;
    },
  },
  {
    re: /(^|[/_.])f1($|[/_.])/i,
    fn: (t, p, ix) => {
      let tp = 0,
        fp = 0,
        fn = 0;
      for (const i of ix) {
        if (p[i] === 1 && t[i] === 1) {
          tp++;
        } else if (p[i] === 1) {
          fp++;
        } else if (t[i] === 1) {
          fn++;
        }
      }
      return tp ? (2 * tp) / (2 * tp + fp + fn) : 0;
    },
  },
];

/** Accuracy-type metrics (correct / total): McNemar applies. */
export function isAccuracyMetric(metric: string): boolean {
  return /(acc|accuracy|error_rate|err_rate|misclassification)/i.test(metric);
}

/** The metric computed from per-example data, when ML Sight knows how; else undefined. */
export function pairedMetricFn(metric: string): MetricFn | undefined {
  return METRICS.find(m => m.re.test(metric))?.fn;
}

/** Paired bootstrap of (challenger − champion) on the same resampled examples: percentile CI and p-value. */
export function pairedBootstrap(
  fn: MetricFn,
  yTrue: readonly number[],
  champion: readonly number[],
  challenger: readonly number[],
  alpha: number,
  resamples = 2000,
  seed = 14,
): PairedTest {
  const n = yTrue.length;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const observed = fn(yTrue, challenger, all) - fn(yTrue, champion, all);
  const rnd = seededRandom(seed);
  const diffs = new Float64Array(resamples);
  const ix = new Int32Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) {
      ix[i] = Math.floor(rnd() * n);
    }
    diffs[r] = fn(yTrue, challenger, ix) - fn(yTrue, champion, ix);
  }
  const sorted = Float64Array.from(diffs).sort();
  const q = (p: number) => sorted[Math.min(resamples - 1, Math.max(0, Math.floor(p * resamples)))];
  let le = 0,
    ge = 0;
  for (const d of diffs) {
    if (d <= 0) {
      le++;
    }
    if (d >= 0) {
      ge++;
    }
  }
  const pValue = Math.min(1, (2 * Math.min(le, ge)) / resamples);
  return {
    test: 'paired-bootstrap',
    n,
    difference: observed,
    ci: [q(alpha / 2), q(1 - alpha / 2)],
    pValue,
    alpha,
    resamples,
  };
}

/** The paired test for a metric, or null when the predictions cannot be paired or the metric is not computable. */
export function pairedTest(
  metric: string,
  champion: Predictions,
  challenger: Predictions,
  alpha: number,
): PairedTest | null {
  const n = champion.yTrue.length;
  if (challenger.yTrue.length !== n) {
    return null;
  }
  for (let i = 0; i < n; i++) {
    if (champion.yTrue[i] !== challenger.yTrue[i]) {
      return null;
    }
  } // not the same rows in the same order
  if (isAccuracyMetric(metric)) {
    return mcnemar(champion.yTrue, champion.yPred, challenger.yPred, alpha);
  }
  const fn = pairedMetricFn(metric);
  const nums = (xs: readonly (number | string)[]) => (xs.every(x => typeof x === 'number') ? (xs as number[]) : null);
  const t = nums(champion.yTrue),
    a = nums(champion.yPred),
    b = nums(challenger.yPred);
  if (!fn || !t || !a || !b) {
    return null;
  }
  return pairedBootstrap(fn, t, a, b, alpha);
}

/** The binomial standard error of an accuracy-type metric p on n examples: √(p(1−p)/n). */
export function binomialSe(p: number, n: number): number {
  return Math.sqrt(Math.max(0, p * (1 - p)) / n);
}

/** Loads a version's predictions for a dataset from its run's folder (ML Sight runs; confined to the workspace). */
export function predictionsLoader(
  db: Db,
  folder: string,
): (v: { runId: string | null }, d: DatasetLineage) => Predictions | null {
  const root = path.resolve(folder);
  return (v, d) => {
    if (!v.runId) {
      return null;
    }
    const rel = db.scalar<string>(`SELECT source_path FROM runs WHERE id = ? AND source = 'mlsight'`, [v.runId]);
    if (!rel) {
      return null;
    }
    const runDir = path.dirname(path.resolve(root, rel));
    if (!runDir.startsWith(root + path.sep)) {
      return null;
    }
    const p = readPredictions(predictionsFile(runDir, d));
    return p && (p.digest === null || p.digest === d.digest) ? p : null;
  };
}
