/**
 * `mlsight drift <reference> <current>`: the drift report on the command line (docs/drift.md). JSON or text on
 * stdout, messages on stderr. Exit codes: 0 = no drift (by --fail-on), 3 = drift detected, 1 = error, 2 = usage.
 *
 * The same entry point serves the extension as a worker thread (`drift --worker`, the job in workerData), so a
 * large report never blocks VS Code's extension host: dist/cli.js is the worker script.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isMainThread, parentPort, workerData } from 'worker_threads';
import {
  ChunkPeriod,
  DatasetError,
  parseColumnMap,
  defaultThreads,
  DRIFT_METHODS,
  DriftMethod,
  DriftOptions,
  DriftReport,
  driftReportFromFiles,
  PerformanceMetric,
  ReportHooks,
  reportToCsv,
  reportToHtml,
  reportToJson,
  reportToText,
  serveDriftWorker,
} from './core/drift';
import { StatsInputError } from './core/stats';
import { DATA_ENCODINGS, DataEncoding } from './core/drift/dataset';

export const DRIFT_EXIT = { ok: 0, error: 1, usage: 2, drift: 3 } as const;

export const DRIFT_USAGE = `usage: mlsight drift <reference> <current> [options]

Compares a current data file with a reference (training) data file: per-column drift with Evidently's tests
(K-S, chi-square, Z, Wasserstein, Jensen-Shannon, PSI), dataset drift, label drift, performance and drift over
time (NannyML's chunks and alert bands) and a calibrated retrain verdict (at most about 5 % false alarms on
unchanged data: Holm-corrected tests, persistence over chunks; docs/drift.md). Files: CSV, TSV, JSON Lines (optionally .gz),
Parquet.

options:
  --target COL                 the label column (label drift; with --prediction, performance)
  --prediction COL             the model's prediction (labels, class-1 probabilities or values)
  --time COL                   a time column: chunks over time follow it
  --task classification|regression
  --format text|json           output (default text)
  --threshold METHOD=VALUE     a drift threshold; METHOD is ks, chisquare, z, pvalue (all three), psi,
                               wasserstein or jensenshannon (repeatable)
  --drift-share X              dataset drift when this share of columns drifted (default 0.5)
  --method COL=METHOD          use METHOD for column COL (repeatable)
  --numerical-method METHOD    one method for every numerical column (default: Evidently's choice)
  --categorical-method METHOD  one method for every categorical column
  --columns A,B,…              analyse only these features
  --exclude A,B,…              never analyse these columns (ids…)
  --numerical A,B,… / --categorical A,B,…   force column types
  --chunks N                   chunks over time (default 10)
  --period count|hour|day|week|month        chunk by calendar period of --time instead
  --performance-metric accuracy|f1|auc|rmse|mae
  --performance-threshold X    retrain when the metric is worse than X (a floor, or a ceiling for errors)
  --min-alert-chunks N         consecutive chunks outside the band before the verdict alarms (default 2)
  --alpha X                    the verdict's designed false-alarm rate on unchanged data (default 0.05)
  --correction holm|bh         correction across the column tests (default holm: family-wise error)
  --psi-bins evidently|deciles PSI bins of the per-column PSI (default evidently; over time: deciles)
  --map REF=CUR                the reference's column REF is the current data's CUR (repeatable)
  --max-rows N                 read at most N rows per file (default 5000000)
  --encoding utf8|latin1|cp1252
                               text encoding of CSV/TSV/JSON Lines files (default utf8, a UTF-8/UTF-16 BOM wins;
                               a warning says when UTF-8 decoding had to replace bytes)
  --html FILE / --csv FILE     also write the report as HTML / CSV
  --fail-on retrain|dataset|any|never
                               what exit code 3 means (default retrain: the verdict recommends retraining;
                               dataset: dataset drift; any: any column drifted; never: always 0)

exit codes: 0 no drift, 3 drift detected, 1 error, 2 usage error
`;

export class DriftUsageError extends Error {}

export type FailOn = 'retrain' | 'dataset' | 'any' | 'never';

export interface DriftCliArgs {
  reference: string;
  current: string;
  format: 'json' | 'text';
  options: DriftOptions & { maxRows?: number; encoding?: DataEncoding };
  html?: string;
  csv?: string;
  failOn: FailOn;
}

const PERIODS: readonly ChunkPeriod[] = ['count', 'hour', 'day', 'week', 'month'];
const METRICS: readonly PerformanceMetric[] = ['accuracy', 'f1', 'auc', 'rmse', 'mae'];

function method(v: string, what: string): DriftMethod {
  const m = v.toLowerCase().replace(/[-_ ]/g, '');
  const alias: Record<string, DriftMethod> = {
    ks: 'ks',
    kolmogorovsmirnov: 'ks',
    chisquare: 'chisquare',
    chi2: 'chisquare',
    z: 'z',
    ztest: 'z',
    jensenshannon: 'jensenshannon',
    js: 'jensenshannon',
    wasserstein: 'wasserstein',
    psi: 'psi',
  };
  const r = alias[m];
  if (!r) {
    throw new DriftUsageError(`${what}: unknown method ${JSON.stringify(v)} (one of ${DRIFT_METHODS.join(', ')})`);
  }
  return r;
}

function num(
  v: string | undefined,
  what: string,
  opts: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const n = Number(v);
  if (
    v === undefined ||
    v.trim() === '' ||
    !Number.isFinite(n) ||
    (opts.integer && !Number.isInteger(n)) ||
    (opts.min !== undefined && n < opts.min) ||
    (opts.max !== undefined && n > opts.max)
  ) {
    throw new DriftUsageError(
      `${what} needs ${opts.integer ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}${opts.max !== undefined ? ` ≤ ${opts.max}` : ''}, not ${JSON.stringify(v ?? '')}`,
    );
  }
  return n;
}

const list = (v: string) =>
  v
    .split(',')
    .map(s => s.trim())
    .filter(Boolean);

export function parseDriftArgs(args: readonly string[]): DriftCliArgs {
  const positional: string[] = [];
  const o: DriftOptions & { maxRows?: number; encoding?: DataEncoding } = {};
  const thresholds: Partial<Record<DriftMethod, number>> = {};
  const methods: Record<string, DriftMethod> = {};
  const types: Record<string, 'numerical' | 'categorical'> = {};
  const retrain: NonNullable<DriftOptions['retrain']> = {};
  const verdict: NonNullable<DriftOptions['verdict']> = {};
  const mapPairs: string[] = [];
  let format: 'json' | 'text' = 'text';
  let html: string | undefined;
  let csv: string | undefined;
  let failOn: FailOn = 'retrain';
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    let value: string | undefined;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    if (eq > 0) {
      value = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const next = (): string => {
      if (value !== undefined) {
        return value;
      }
      const v = args[++i];
      if (v === undefined) {
        throw new DriftUsageError(`${a} needs a value`);
      }
      return v;
    };
    switch (a) {
      case '--target':
        o.target = next();
        break;
      case '--prediction':
        o.prediction = next();
        break;
      case '--time':
        o.time = next();
        break;
      case '--task': {
        const t = next();
        if (t !== 'classification' && t !== 'regression') {
          throw new DriftUsageError(`--task must be classification or regression, not ${JSON.stringify(t)}`);
        }
        o.task = t;
        break;
      }
      case '--format': {
        const f = next();
        if (f !== 'json' && f !== 'text') {
          throw new DriftUsageError(`--format must be json or text, not ${JSON.stringify(f)}`);
        }
        format = f;
        break;
      }
      case '--threshold': {
        const v = next();
        const k = v.indexOf('=');
        if (k <= 0) {
          throw new DriftUsageError(`--threshold needs METHOD=VALUE (e.g. psi=0.2), not ${JSON.stringify(v)}`);
        }
        const name = v.slice(0, k).trim().toLowerCase();
        const t = num(v.slice(k + 1), `--threshold ${name}`, { min: 0 });
        if (name === 'pvalue' || name === 'p') {
          thresholds.ks = t;
          thresholds.chisquare = t;
          thresholds.z = t;
        } else {
          thresholds[method(name, '--threshold')] = t;
        }
        break;
      }
      case '--drift-share':
        o.driftShare = num(next(), '--drift-share', { min: 0, max: 1 });
        break;
      case '--method': {
        const v = next();
        const k = v.lastIndexOf('=');
        if (k <= 0) {
          throw new DriftUsageError(`--method needs COLUMN=METHOD, not ${JSON.stringify(v)}`);
        }
        methods[v.slice(0, k)] = method(v.slice(k + 1), '--method');
        break;
      }
      case '--numerical-method':
        o.numericalMethod = method(next(), a);
        break;
      case '--categorical-method':
        o.categoricalMethod = method(next(), a);
        break;
      case '--columns':
        o.columns = list(next());
        break;
      case '--exclude':
        o.exclude = list(next());
        break;
      case '--numerical':
        for (const c of list(next())) {
          types[c] = 'numerical';
        }
        break;
      case '--categorical':
        for (const c of list(next())) {
          types[c] = 'categorical';
        }
        break;
      case '--chunks':
        o.chunks = num(next(), '--chunks', { min: 1, max: 1000, integer: true });
        break;
      case '--period': {
        const p = next() as ChunkPeriod;
        if (!PERIODS.includes(p)) {
          throw new DriftUsageError(`--period must be one of ${PERIODS.join(', ')}`);
        }
        o.period = p;
        break;
      }
      case '--performance-metric': {
        const m = next() as PerformanceMetric;
        if (!METRICS.includes(m)) {
          throw new DriftUsageError(`--performance-metric must be one of ${METRICS.join(', ')}`);
        }
        retrain.performanceMetric = m;
        break;
      }
      case '--performance-threshold':
        retrain.performanceThreshold = num(next(), a);
        break;
      case '--min-alert-chunks':
        retrain.minAlertChunks = num(next(), a, { min: 1, integer: true });
        break;
      case '--alpha':
        verdict.alpha = num(next(), a, { min: 1e-6, max: 0.5 });
        break;
      case '--correction': {
        const c = next();
        if (c !== 'holm' && c !== 'bh') {
          throw new DriftUsageError(`--correction must be holm or bh, not ${JSON.stringify(c)}`);
        }
        verdict.correction = c;
        break;
      }
      case '--psi-bins': {
        const b = next();
        if (b !== 'evidently' && b !== 'deciles') {
          throw new DriftUsageError(`--psi-bins must be evidently or deciles, not ${JSON.stringify(b)}`);
        }
        o.psiBinning = b;
        break;
      }
      case '--map':
        mapPairs.push(next());
        break;
      case '--max-rows':
        o.maxRows = num(next(), a, { min: 1, integer: true });
        break;
      case '--encoding': {
        const e = next() as DataEncoding;
        if (!DATA_ENCODINGS.includes(e)) {
          throw new DriftUsageError(`--encoding must be one of ${DATA_ENCODINGS.join(', ')}`);
        }
        o.encoding = e;
        break;
      }
      case '--html':
        html = next();
        break;
      case '--csv':
        csv = next();
        break;
      case '--fail-on': {
        const f = next() as FailOn;
        if (!['retrain', 'dataset', 'any', 'never'].includes(f)) {
          throw new DriftUsageError('--fail-on must be retrain, dataset, any or never');
        }
        failOn = f;
        break;
      }
      default:
        if (a.startsWith('-') && a !== '-') {
          throw new DriftUsageError(`unknown option ${a}`);
        }
        positional.push(args[i]);
    }
  }
  if (positional.length !== 2) {
    throw new DriftUsageError(`drift needs two files, a reference and a current one (${positional.length} given)`);
  }
  if (Object.keys(thresholds).length) {
    o.thresholds = thresholds;
  }
  if (Object.keys(methods).length) {
    o.methods = methods;
  }
  if (Object.keys(types).length) {
    o.columnTypes = types;
  }
  if (Object.keys(retrain).length) {
    o.retrain = retrain;
  }
  if (Object.keys(verdict).length) {
    o.verdict = verdict;
  }
  if (mapPairs.length) {
    try {
      o.map = parseColumnMap(mapPairs);
    } catch (e) {
      throw new DriftUsageError(`--map: ${(e as Error).message}`);
    }
  }
  return { reference: positional[0], current: positional[1], format, options: o, html, csv, failOn };
}

/** Whether the report counts as "drift detected" for the exit code. */
export function driftDetected(r: DriftReport, failOn: FailOn): boolean {
  switch (failOn) {
    case 'never':
      return false;
    case 'any':
      return r.columns.some(c => c.drifted) || r.verdict.level !== 'ok';
    case 'dataset':
      return r.dataset.drifted;
    default:
      return r.verdict.retrain;
  }
}

/**
 * Worker threads for large files: this bundle's own file serves them (`drift --pool-worker`), when it runs as the
 * CLI or as the extension's drift worker (not when imported by tests). MLSIGHT_DRIFT_THREADS=1 keeps one thread.
 */
function parallelHooks(): Pick<ReportHooks, 'workerScript' | 'threads'> {
  const own = typeof require !== 'undefined' && require.main === module ? __filename : undefined;
  const env = Number(process.env.MLSIGHT_DRIFT_THREADS);
  return own ? { workerScript: own, threads: Number.isInteger(env) && env > 0 ? env : defaultThreads() } : {};
}

export async function driftCli(
  args: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  if (args[0] === '--worker' && !isMainThread && parentPort) {
    await driftWorker();
    return DRIFT_EXIT.ok;
  }
  if (args[0] === '--pool-worker' && !isMainThread && parentPort) {
    serveDriftWorker(parentPort);
    return DRIFT_EXIT.ok;
  }
  if (args.includes('--help') || args.includes('-h')) {
    out(DRIFT_USAGE);
    return DRIFT_EXIT.ok;
  }
  let parsed: DriftCliArgs;
  try {
    parsed = parseDriftArgs(args);
  } catch (e) {
    if (e instanceof DriftUsageError) {
      err(`mlsight drift: ${e.message}\n\n${DRIFT_USAGE}`);
      return DRIFT_EXIT.usage;
    }
    throw e;
  }
  try {
    const report = await driftReportFromFiles(
      path.resolve(parsed.reference),
      path.resolve(parsed.current),
      parsed.options,
      parallelHooks(),
    );
    out(parsed.format === 'json' ? JSON.stringify(reportToJson(report), null, 2) + '\n' : reportToText(report));
    if (parsed.html) {
      fs.writeFileSync(parsed.html, reportToHtml(report));
    }
    if (parsed.csv) {
      fs.writeFileSync(parsed.csv, reportToCsv(report));
    }
    for (const w of report.warnings) {
      err(`mlsight drift: warning: ${w.replace(/[\r\n]+/g, ' ')}\n`);
    }
    return driftDetected(report, parsed.failOn) ? DRIFT_EXIT.drift : DRIFT_EXIT.ok;
  } catch (e) {
    if (e instanceof DatasetError || e instanceof StatsInputError) {
      err(`mlsight drift: ${e.message}\n`);
      return DRIFT_EXIT.error;
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Worker thread (the extension runs reports here)

export interface DriftWorkerJob {
  kind: 'mlsight-drift';
  reference: string;
  current: string;
  options: DriftOptions & { maxRows?: number; encoding?: DataEncoding };
}
export type DriftWorkerMessage =
  | { type: 'progress'; message: string; fraction?: number }
  | { type: 'report'; report: DriftReport }
  | { type: 'error'; message: string; dataset: boolean };

async function driftWorker(): Promise<void> {
  const job = workerData as DriftWorkerJob;
  const post = (m: DriftWorkerMessage) => parentPort!.postMessage(m);
  try {
    const report = await driftReportFromFiles(job.reference, job.current, job.options, {
      ...parallelHooks(),
      onProgress: (message, fraction) => post({ type: 'progress', message, fraction }),
    });
    post({ type: 'report', report });
  } catch (e) {
    post({
      type: 'error',
      message: e instanceof Error ? e.message : String(e),
      dataset: e instanceof DatasetError || e instanceof StatsInputError,
    });
  }
}
