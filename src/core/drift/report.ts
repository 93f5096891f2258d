/**
 * The drift report: per column (features, and the target and prediction as Evidently's DataDriftTable includes
 * them), Evidently's test or distance with its threshold, every other statistic that applies, the histograms
 * behind them; the dataset drift share; over time, NannyML-style chunks with performance and drift per chunk
 * (./overTime); and the retrain verdict (./verdict). All statistics come from src/core/stats.
 */
import * as path from 'path';
import {
  CategoricalSample,
  categoricalFromCounts,
  columnDrift,
  DroppedCounts,
  evidentlyChiSquare,
  evidentlyKs,
  evidentlyZTest,
  jensenShannonDistance,
  NumericSample,
  psi,
  StatsInputError,
  wassersteinNormed,
  datasetDrift,
  BinnedDistributions,
  chiSquareHomogeneity,
  numericAsCategorical,
  quantilePsi,
} from '../stats';
import { Table } from './dataset';
import { ChunkPlan, driftSeries, performanceOverTime, planChunks } from './overTime';
import { Column } from './columns';
import { alignKeys, PreparedColumn, Side } from './sides';
import {
  ColumnReport,
  ColumnRole,
  ColumnStats,
  DEFAULT_RETRAIN_POLICY,
  DEFAULT_VERDICT_POLICY,
  DEFAULT_THRESHOLDS,
  DRIFT_METHODS,
  DriftColumnType,
  DriftMethod,
  DriftSeries,
  InvalidExample,
  OverTime,
  DataQualityFinding,
  DriftOptions,
  DriftReport,
  ECDF_PROBABILITIES,
  EffectiveSettings,
  Histogram,
  MissingCounts,
  SkippedColumn,
  TableInfo,
  Task,
} from './types';
import { evidentlyColumnType, taskOf } from './typing';
import { decideVerdict } from './verdict';
import { applyMapping, assertComparable, findDataQuality } from './inputs';

/** Fills in the defaults of every option (Evidently's and NannyML's). */
export function effectiveSettings(options: DriftOptions): EffectiveSettings {
  const thresholds = { ...DEFAULT_THRESHOLDS };
  for (const m of DRIFT_METHODS) {
    const t = options.thresholds?.[m];
    if (t !== undefined && t !== null && Number.isFinite(t)) {
      thresholds[m] = t;
    }
  }
  const retrain = { ...DEFAULT_RETRAIN_POLICY };
  for (const [k, v] of Object.entries(options.retrain ?? {})) {
    if (v !== undefined) {
      (retrain as Record<string, unknown>)[k] = v;
    }
  }
  retrain.minAlertChunks = Math.max(1, Math.floor(retrain.minAlertChunks));
  const verdict = { ...DEFAULT_VERDICT_POLICY };
  const a = options.verdict?.alpha;
  if (a !== undefined && Number.isFinite(a) && a > 0 && a < 1) {
    verdict.alpha = a;
  }
  if (options.verdict?.correction === 'bh' || options.verdict?.correction === 'holm') {
    verdict.correction = options.verdict.correction;
  }
  return {
    thresholds,
    driftShare: options.driftShare ?? 0.5,
    numericalMethod: options.numericalMethod ?? 'auto',
    categoricalMethod: options.categoricalMethod ?? 'auto',
    methods: { ...(options.methods ?? {}) },
    chunks: Math.max(1, Math.floor(options.chunks ?? 10)),
    period: options.period ?? 'count',
    retrain,
    verdict,
    psiBinning: options.psiBinning === 'deciles' ? 'deciles' : 'evidently',
    map: { ...(options.map ?? {}) },
  };
}

// ---------------------------------------------------------------------------------------------------------------

function dropped(m: MissingCounts): DroppedCounts {
  return { nan: 0, posInf: m.posInf, negInf: m.negInf, missing: m.missing + m.invalid };
}

function quantiles(sorted: Float64Array): number[] {
  const n = sorted.length;
  return ECDF_PROBABILITIES.map(p => sorted[Math.min(n - 1, Math.max(0, Math.round(p * (n - 1))))]);
}

const MAX_CATEGORIES_SHOWN = 30;

function histogramOf(d: BinnedDistributions): Histogram {
  if (d.binning === 'histogram' && d.edges) {
    return { kind: 'bins', edges: [...d.edges], reference: [...d.reference], current: [...d.current] };
  }
  const cats = (d.categories ?? []).map((c, i) => ({
    label: typeof c === 'boolean' ? (c ? 'True' : 'False') : String(c),
    r: d.reference[i],
    c: d.current[i],
  }));
  if (cats.length <= MAX_CATEGORIES_SHOWN) {
    return {
      kind: 'categories',
      categories: cats.map(x => x.label),
      reference: cats.map(x => x.r),
      current: cats.map(x => x.c),
      otherCount: 0,
    };
  }
  const top = [...cats].sort((x, y) => y.r + y.c - (x.r + x.c)).slice(0, MAX_CATEGORIES_SHOWN - 1);
  const keep = new Set(top);
  const rest = cats.filter(x => !keep.has(x));
  const shown = cats.filter(x => keep.has(x));
  return {
    kind: 'categories',
    categories: [...shown.map(x => x.label), `(${rest.length} others)`],
    reference: [...shown.map(x => x.r), rest.reduce((a, x) => a + x.r, 0)],
    current: [...shown.map(x => x.c), rest.reduce((a, x) => a + x.c, 0)],
    otherCount: rest.length,
  };
}

function methodFits(method: DriftMethod, type: DriftColumnType): boolean {
  return type === 'numerical' || (method !== 'ks' && method !== 'wasserstein');
}

/** Analyses one column pair; returns the report row or why it was skipped. */
export function analyseColumn(
  name: string,
  role: ColumnRole,
  ref: Side,
  cur: Side,
  settings: EffectiveSettings,
  options: DriftOptions,
  task: Task | undefined,
  warnings: string[],
): { report: ColumnReport; prepared: PreparedColumn } | { skipped: SkippedColumn } {
  const refNumeric = ref.col.dtype === 'integer' || ref.col.dtype === 'float';
  const curNumeric = cur.col.dtype === 'integer' || cur.col.dtype === 'float';
  const curSorted = curNumeric ? cur.numeric('current sample').sample?.sorted : undefined;
  const needUnique = role !== 'feature' || ref.col.dtype === 'integer' || cur.col.dtype === 'integer';
  const typing = evidentlyColumnType({
    name,
    role,
    ref: ref.col,
    cur: cur.col,
    // distinct counts decide only integer features and the target/prediction (a float feature is numerical)
    refUnique: needUnique ? ref.distinct('reference sample') : 0,
    curUnique: needUnique ? cur.distinct('current sample') : 0,
    curMin: curSorted?.[0],
    curMax: curSorted?.[curSorted.length - 1],
    task,
    forced: options.columnTypes?.[name],
  });
  if (typing.type === null) {
    return { skipped: { name, role, reason: typing.reason } };
  }
  const type = typing.type;
  let refSample: NumericSample | CategoricalSample;
  let curSample: NumericSample | CategoricalSample;
  let missingRef: MissingCounts;
  let missingCur: MissingCounts;
  let examplesRef: InvalidExample[] = [];
  let examplesCur: InvalidExample[] = [];
  const useNumbers = type === 'numerical' || (refNumeric && curNumeric);
  if (useNumbers) {
    const r = ref.numeric('reference sample');
    const c = cur.numeric('current sample');
    if (!r.sample || !c.sample) {
      return {
        skipped: {
          name,
          role,
          reason: `no finite ${type === 'numerical' ? 'numbers' : 'values'} in the ${!r.sample ? 'reference' : 'current'} data`,
        },
      };
    }
    refSample = r.sample;
    curSample = c.sample;
    missingRef = r.missing;
    missingCur = c.missing;
    examplesRef = r.examples;
    examplesCur = c.examples;
  } else {
    const r = ref.categoryCounts('reference sample');
    const c = cur.categoryCounts('current sample');
    const [rc, cc] = alignKeys(r.counts, c.counts);
    if (!rc.size || !cc.size) {
      return { skipped: { name, role, reason: `no values in the ${!rc.size ? 'reference' : 'current'} data` } };
    }
    missingRef = r.missing;
    missingCur = c.missing;
    refSample = categoricalFromCounts(rc, 'reference sample', dropped(missingRef));
    curSample = categoricalFromCounts(cc, 'current sample', dropped(missingCur));
  }

  let method: DriftMethod | undefined;
  let methodSource: ColumnReport['methodSource'] = 'evidently-default';
  const perColumn = settings.methods[name];
  const perType = type === 'numerical' ? settings.numericalMethod : settings.categoricalMethod;
  if (perColumn) {
    if (methodFits(perColumn, type)) {
      method = perColumn;
      methodSource = 'column';
    } else {
      warnings.push(
        `"${name}" is ${type}: ${perColumn} needs a numerical column, so Evidently's default test is used.`,
      );
    }
  } else if (perType !== 'auto') {
    if (methodFits(perType, type)) {
      method = perType;
      methodSource = 'setting';
    }
  }
  const kind = type;
  const drift = columnDrift(refSample, curSample, {
    kind,
    method,
    threshold: method ? settings.thresholds[method] : undefined,
    integerData: typing.integerData,
  });
  // apply the configured threshold of the default method too
  const threshold = settings.thresholds[drift.method];
  let drifted =
    threshold === drift.threshold
      ? drift.drifted
      : drift.method === 'ks'
        ? drift.score <= threshold
        : drift.method === 'chisquare' || drift.method === 'z'
          ? drift.score < threshold
          : drift.score >= threshold;
  const deciles =
    type === 'numerical' ? quantilePsi((refSample as NumericSample).sorted, (curSample as NumericSample).sorted) : null;
  if (drift.method === 'psi' && deciles && settings.psiBinning === 'deciles') {
    drift.statistic = deciles.value;
    drift.score = deciles.value;
    drifted = deciles.value >= threshold;
  }

  const stats: ColumnStats = {};
  const binOpts = { kind, integerData: typing.integerData };
  const p = psi(refSample, curSample, binOpts);
  stats.psi = p.value;
  if (deciles) {
    stats.psiDeciles = deciles.value;
  }
  const histogramSource: BinnedDistributions | undefined = p.distributions;
  // the same binning as psi: Evidently's jensenshannon on those proportions (= jensenShannon(ref, cur, binOpts))
  stats.jensenShannon =
    drift.method === 'jensenshannon'
      ? drift.statistic
      : jensenShannonDistance(p.distributions.reference, p.distributions.current);
  let ecdf: ColumnReport['ecdf'] = null;
  let summary: ColumnReport['summary'] = null;
  if (type === 'numerical') {
    const r = refSample as NumericSample;
    const c = curSample as NumericSample;
    const ks = evidentlyKs(r, c);
    stats.ks = { statistic: ks.statistic, pValue: ks.pValue, method: ks.method };
    stats.wassersteinNorm = drift.method === 'wasserstein' ? drift.statistic : wassersteinNormed(r, c).value;
    ecdf = { reference: quantiles(r.sorted), current: quantiles(c.sorted) };
    summary = {
      reference: { min: r.sorted[0], max: r.sorted[r.n - 1], mean: plainMean(r.sorted) },
      current: { min: c.sorted[0], max: c.sorted[c.n - 1], mean: plainMean(c.sorted) },
    };
  } else {
    const chi = evidentlyChiSquare(refSample, curSample);
    stats.chiSquare = { statistic: chi.statistic, pValue: chi.pValue, dof: chi.dof };
    if (drift.nUnique <= 2) {
      const z = evidentlyZTest(refSample, curSample);
      stats.z = { statistic: z.statistic, pValue: z.pValue };
    }
  }
  if (drift.method === 'chisquare' && !stats.chiSquare) {
    const chi = evidentlyChiSquare(refSample, curSample);
    stats.chiSquare = { statistic: chi.statistic, pValue: chi.pValue, dof: chi.dof };
  }
  if (drift.method === 'z' && !stats.z) {
    const z = evidentlyZTest(refSample, curSample);
    stats.z = { statistic: z.statistic, pValue: z.pValue };
  }
  const counts = (x: NumericSample | CategoricalSample) =>
    (x.kind === 'numeric-sample' ? numericAsCategorical(x) : x).counts;
  const test: ColumnReport['test'] =
    type === 'numerical'
      ? { name: 'ks', pValue: stats.ks!.pValue }
      : { name: 'chi2-homogeneity', pValue: chiSquareHomogeneity(counts(refSample), counts(curSample)).pValue };
  const report: ColumnReport = {
    name,
    role,
    type,
    dtype: { reference: ref.col.dtype, current: cur.col.dtype },
    nRef: drift.nRef,
    nCur: drift.nCur,
    missingRef,
    missingCur,
    nUnique: drift.nUnique,
    method: drift.method,
    methodSource,
    statistic: drift.statistic,
    pValue: drift.pValue ?? null,
    score: drift.score,
    threshold,
    drifted,
    test,
    stats,
    histogram: histogramOf(histogramSource),
    ecdf,
    summary,
    invalidExamples: { reference: examplesRef, current: examplesCur },
  };
  return { report, prepared: { name, role, type, integerData: typing.integerData, ref, cur, refSample, curSample } };
}

/** A mean for display (the statistics use the compensated sums of src/core/stats). */
function plainMean(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    s += a[i];
  }
  return s / a.length;
}

function tableInfo(t: Table): TableInfo {
  return {
    path: t.path,
    name: path.basename(t.path),
    format: t.format + (t.gzip ? '.gz' : ''),
    rows: t.rows,
    columns: t.columns.length,
    truncated: t.truncated,
    sizeBytes: t.sizeBytes,
  };
}

/** One column pair to analyse: independent of the others, so it can run in a worker thread. */
export interface ColumnTask {
  name: string;
  role: ColumnRole;
  ref: Column;
  cur: Column;
}

/** What a column's analysis needs besides its data (plain data: sent to worker threads as is). */
export interface ColumnContext {
  settings: EffectiveSettings;
  columnTypes?: Readonly<Record<string, DriftColumnType>>;
  task: Task | undefined;
  plan: ChunkPlan | null;
}

export interface ColumnResult {
  name: string;
  role: ColumnRole;
  report?: ColumnReport;
  skipped?: SkippedColumn;
  series?: DriftSeries;
  warnings: string[];
}

/** Analyses one column: Evidently's typing and tests, every statistic, histograms, and its drift per chunk. */
export function runColumnTask(t: ColumnTask, ctx: ColumnContext): ColumnResult {
  const warnings: string[] = [];
  const base = { name: t.name, role: t.role, warnings };
  try {
    const r = analyseColumn(
      t.name,
      t.role,
      new Side(t.ref),
      new Side(t.cur),
      ctx.settings,
      { columnTypes: ctx.columnTypes },
      ctx.task,
      warnings,
    );
    if ('skipped' in r) {
      return { ...base, skipped: r.skipped };
    }
    return { ...base, report: r.report, series: ctx.plan ? driftSeries(r.prepared, ctx.plan) : undefined };
  } catch (e) {
    if (e instanceof StatsInputError) {
      return { ...base, skipped: { name: t.name, role: t.role, reason: e.message } };
    }
    throw e;
  }
}

/** Runs column tasks (in order); the default runs them here, a worker pool runs them in parallel. */
export type ColumnRunner = (tasks: ColumnTask[], ctx: ColumnContext) => Promise<ColumnResult[]>;

interface Planned {
  t0: number;
  reference: Table;
  current: Table;
  settings: EffectiveSettings;
  options: DriftOptions;
  warnings: string[];
  target: string | null;
  prediction: string | null;
  time: string | null;
  plan: ChunkPlan | null;
  ctx: ColumnContext;
  dataQuality: DataQualityFinding[];
  /** in report order: the target's result, then tasks and skips */
  items: (ColumnResult | ColumnTask)[];
}

function planReport(reference: Table, currentAsRead: Table, options: DriftOptions): Planned {
  const t0 = performance.now();
  const settings = effectiveSettings(options);
  const warnings: string[] = [];
  const mapped = applyMapping(currentAsRead, settings.map, warnings);
  const current = mapped.current;
  for (const t of [reference, current]) {
    if (t.truncated) {
      warnings.push(
        `Only the first ${t.rows.toLocaleString('en-US')} rows of ${path.basename(t.path)} were read (the row limit, setting mlsight.drift.maxRows).`,
      );
    }
    for (const c of t.columns) {
      if (c.invalid) {
        const ex = c.invalidExamples
          .map(e => `${JSON.stringify(e.value)}${e.line ? ` (line ${e.line})` : ''}`)
          .join(', ');
        warnings.push(
          `${path.basename(t.path)}: column "${c.name}" has ${c.invalid.toLocaleString('en-US')} value${c.invalid === 1 ? '' : 's'} that ${c.invalid === 1 ? 'is' : 'are'} not ${c.dtype === 'datetime' ? 'dates' : 'numbers'}, counted as invalid: ${ex}.`,
        );
      }
    }
  }
  const refCols = new Map(reference.columns.map(c => [c.name, c]));
  const curCols = new Map(current.columns.map(c => [c.name, c]));
  const pick = (name: string | null | undefined, what: string): string | null => {
    if (!name) {
      return null;
    }
    if (!curCols.has(name)) {
      warnings.push(`The current data has no ${what} column "${name}".`);
      return null;
    }
    return name;
  };
  const target = pick(mapped.rename(options.target), 'target');
  const prediction = pick(mapped.rename(options.prediction), 'prediction');
  const time = pick(mapped.rename(options.time), 'time');
  const utility = new Set([target, prediction, time].filter((x): x is string => !!x));
  const exclude = new Set((options.exclude ?? []).map(n => mapped.rename(n) ?? n));
  const only = options.columns ? new Set(options.columns.map(n => mapped.rename(n) ?? n)) : null;
  const ignore = new Set([
    ...exclude,
    ...(time ? [time] : []),
    ...(only
      ? [...reference.columns, ...current.columns].map(c => c.name).filter(n => !only.has(n) && !utility.has(n))
      : []),
  ]);
  const dataQuality = findDataQuality(reference, current, ignore);
  assertComparable(dataQuality, 1, current, []);
  const plan = planChunks(reference, current, settings, time, warnings);
  const ctx: ColumnContext = {
    settings,
    columnTypes: options.columnTypes,
    task: options.task && options.task !== 'auto' ? options.task : undefined,
    plan,
  };
  const skip = (name: string, role: ColumnRole, reason: string): ColumnResult => ({
    name,
    role,
    skipped: { name, role, reason },
    warnings: [],
  });
  const items: (ColumnResult | ColumnTask)[] = [];
  const task = (name: string, role: ColumnRole): ColumnResult | ColumnTask =>
    refCols.has(name)
      ? { name, role, ref: refCols.get(name)!, cur: curCols.get(name)! }
      : skip(name, role, 'only in the current data');
  if (target) {
    // the target goes first: its type decides the task, which the prediction's typing needs
    const t = task(target, 'target');
    const r = 'ref' in t ? runColumnTask(t, ctx) : t;
    items.push(r);
    if (r.report && !ctx.task) {
      ctx.task = taskOf(r.report.type) ?? undefined;
    }
    if (!r.report && !refCols.has(target)) {
      warnings.push(`The reference data has no target column "${target}": no label drift.`);
    }
  }
  if (prediction) {
    items.push(task(prediction, 'prediction'));
  }
  for (const c of reference.columns) {
    if (utility.has(c.name) || exclude.has(c.name) || (only && !only.has(c.name))) {
      continue;
    }
    items.push(curCols.has(c.name) ? task(c.name, 'feature') : skip(c.name, 'feature', 'only in the reference data'));
  }
  for (const c of current.columns) {
    if (!refCols.has(c.name) && !utility.has(c.name) && !exclude.has(c.name) && (!only || only.has(c.name))) {
      items.push(skip(c.name, 'feature', 'only in the current data'));
    }
  }
  return {
    t0,
    reference,
    current,
    settings,
    options,
    warnings,
    target,
    prediction,
    time,
    plan,
    ctx,
    items,
    dataQuality,
  };
}

function finishReport(p: Planned, results: ColumnResult[], extra: { loadMs?: number }): DriftReport {
  const { reference, current, settings, warnings, target, prediction, time, plan, ctx } = p;
  const reports: ColumnReport[] = [];
  const skipped: SkippedColumn[] = [];
  const series: DriftSeries[] = [];
  for (const r of results) {
    warnings.push(...r.warnings);
    if (r.report) {
      reports.push(r.report);
      if (r.series) {
        series.push(r.series);
      }
    }
    if (r.skipped) {
      skipped.push(r.skipped);
    }
  }
  assertComparable(
    p.dataQuality,
    reports.length,
    current,
    skipped.map(x => `"${x.name}": ${x.reason}`),
  );
  const task = ctx.task;
  const dataset = datasetDrift(reports, settings.driftShare);
  const predReport = prediction ? reports.find(r => r.role === 'prediction') : undefined;
  const predictionKind: DriftReport['predictionKind'] = !predReport
    ? null
    : task === 'regression'
      ? 'values'
      : task === 'classification' && predReport.type === 'numerical'
        ? 'probabilities'
        : 'labels';
  const overTime: OverTime | null = plan
    ? {
        period: plan.period,
        timeColumn: plan.timeColumn,
        chunks: plan.cur.info,
        referenceChunks: plan.ref?.chunks.length ?? 0,
        performance: performanceOverTime(plan, {
          reference,
          current,
          settings,
          target,
          prediction,
          time,
          task: task ?? null,
          predictionKind,
          warnings,
        }),
        drift: series,
      }
    : null;
  const base = {
    schema: 'mlsight.drift/1' as const,
    createdAt: new Date().toISOString(),
    reference: tableInfo(reference),
    current: tableInfo(current),
    target,
    prediction,
    time,
    task: task ?? null,
    predictionKind,
    settings,
    columns: reports,
    skipped,
    dataset,
    overTime,
    dataQuality: p.dataQuality,
    warnings,
  };
  const verdict = decideVerdict(base);
  return { ...base, verdict, timings: { loadMs: extra.loadMs ?? 0, analyseMs: performance.now() - p.t0 } };
}

function collect(p: Planned, done: ColumnResult[]): ColumnResult[] {
  let k = 0;
  return p.items.map(it => ('ref' in it ? done[k++] : it));
}

/** Builds the report from two loaded tables, here. */
export function buildDriftReport(
  reference: Table,
  current: Table,
  options: DriftOptions = {},
  extra: { loadMs?: number } = {},
): DriftReport {
  const p = planReport(reference, current, options);
  const tasks = p.items.filter((x): x is ColumnTask => 'ref' in x);
  return finishReport(
    p,
    collect(
      p,
      tasks.map(t => runColumnTask(t, p.ctx)),
    ),
    extra,
  );
}

/** Builds the report with the column analyses run by `runner` (worker threads); the same result as buildDriftReport. */
export async function buildDriftReportWith(
  runner: ColumnRunner,
  reference: Table,
  current: Table,
  options: DriftOptions = {},
  extra: { loadMs?: number } = {},
): Promise<DriftReport> {
  const p = planReport(reference, current, options);
  const tasks = p.items.filter((x): x is ColumnTask => 'ref' in x);
  return finishReport(p, collect(p, await runner(tasks, p.ctx)), extra);
}
