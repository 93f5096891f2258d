/**
 * The drift report: per column (features, and the target and prediction as Evidently's DataDriftTable includes
 * them), Evidently's test or distance with its threshold, every other statistic that applies, the histograms
 * behind them; the dataset drift share; over time, NannyML-style chunks with performance and drift per chunk
 * (./overTime); and the retrain verdict (./verdict). All statistics come from src/core/stats.
 */
import * as path from 'path';
import {
  CategoricalSample, categoricalFromCounts, columnDrift, DroppedCounts, evidentlyChiSquare, evidentlyKs, evidentlyZTest, jensenShannonDistance,
  NumericSample, psi, StatsInputError, wassersteinNormed, datasetDrift, BinnedDistributions,
} from '../stats';
import { loadTable, LoadOptions, Table } from './dataset';
import { computeOverTime } from './overTime';
import { alignKeys, PreparedColumn, Side } from './sides';
import {
  ColumnReport, ColumnRole, ColumnStats, DEFAULT_RETRAIN_POLICY, DEFAULT_THRESHOLDS, DRIFT_METHODS, DriftColumnType, DriftMethod, InvalidExample,
  DriftOptions, DriftReport, ECDF_PROBABILITIES, EffectiveSettings, Histogram, MissingCounts, SkippedColumn, TableInfo, Task,
} from './types';
import { evidentlyColumnType, taskOf } from './typing';
import { decideVerdict } from './verdict';

/** Fills in the defaults of every option (Evidently's and NannyML's). */
export function effectiveSettings(options: DriftOptions): EffectiveSettings {
  const thresholds = { ...DEFAULT_THRESHOLDS };
  for (const m of DRIFT_METHODS) {
    const t = options.thresholds?.[m];
    if (t !== undefined && t !== null && Number.isFinite(t)) { thresholds[m] = t; }
  }
  const retrain = { ...DEFAULT_RETRAIN_POLICY };
  for (const [k, v] of Object.entries(options.retrain ?? {})) {
    if (v !== undefined) { (retrain as Record<string, unknown>)[k] = v; }
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
  };
}

export interface ReportHooks {
  onProgress?: (message: string, fraction?: number) => void;
  signal?: AbortSignal;
}

/** Loads both files and builds the report. */
export async function driftReportFromFiles(reference: string, current: string, options: DriftOptions & { maxRows?: number } = {}, hooks: ReportHooks = {}): Promise<DriftReport> {
  const t0 = performance.now();
  const load = (file: string, which: string, from: number): Promise<Table> => {
    const o: LoadOptions = { maxRows: options.maxRows, signal: hooks.signal, onProgress: f => hooks.onProgress?.(`Reading the ${which} data…`, from + f * 0.4) };
    hooks.onProgress?.(`Reading the ${which} data…`, from);
    return loadTable(file, o);
  };
  const ref = await load(reference, 'reference', 0);
  const cur = await load(current, 'current', 0.4);
  hooks.onProgress?.('Computing drift statistics…', 0.8);
  return buildDriftReport(ref, cur, options, { loadMs: performance.now() - t0 });
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
  const cats = (d.categories ?? []).map((c, i) => ({ label: typeof c === 'boolean' ? (c ? 'True' : 'False') : String(c), r: d.reference[i], c: d.current[i] }));
  if (cats.length <= MAX_CATEGORIES_SHOWN) {
    return { kind: 'categories', categories: cats.map(x => x.label), reference: cats.map(x => x.r), current: cats.map(x => x.c), otherCount: 0 };
  }
  const top = [...cats].sort((x, y) => (y.r + y.c) - (x.r + x.c)).slice(0, MAX_CATEGORIES_SHOWN - 1);
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
export function analyseColumn(name: string, role: ColumnRole, ref: Side, cur: Side, settings: EffectiveSettings, options: DriftOptions, task: Task | undefined, warnings: string[]):
  { report: ColumnReport; prepared: PreparedColumn } | { skipped: SkippedColumn } {
  const refNumeric = ref.col.dtype === 'integer' || ref.col.dtype === 'float';
  const curNumeric = cur.col.dtype === 'integer' || cur.col.dtype === 'float';
  const curSorted = curNumeric ? cur.numeric('current sample').sample?.sorted : undefined;
  const typing = evidentlyColumnType({
    name, role, ref: ref.col, cur: cur.col,
    refUnique: ref.distinct('reference sample'), curUnique: cur.distinct('current sample'),
    curMin: curSorted?.[0], curMax: curSorted?.[curSorted.length - 1],
    task, forced: options.columnTypes?.[name],
  });
  if (typing.type === null) { return { skipped: { name, role, reason: typing.reason } }; }
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
      return { skipped: { name, role, reason: `no finite ${type === 'numerical' ? 'numbers' : 'values'} in the ${!r.sample ? 'reference' : 'current'} data` } };
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
    if (!rc.size || !cc.size) { return { skipped: { name, role, reason: `no values in the ${!rc.size ? 'reference' : 'current'} data` } }; }
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
    if (methodFits(perColumn, type)) { method = perColumn; methodSource = 'column'; }
    else { warnings.push(`"${name}" is ${type}: ${perColumn} needs a numerical column, so Evidently's default test is used.`); }
  } else if (perType !== 'auto') {
    if (methodFits(perType, type)) { method = perType; methodSource = 'setting'; }
  }
  const kind = type;
  const drift = columnDrift(refSample, curSample, { kind, method, threshold: method ? settings.thresholds[method] : undefined, integerData: typing.integerData });
  // apply the configured threshold of the default method too
  const threshold = settings.thresholds[drift.method];
  const drifted = threshold === drift.threshold ? drift.drifted
    : (drift.method === 'ks' ? drift.score <= threshold : drift.method === 'chisquare' || drift.method === 'z' ? drift.score < threshold : drift.score >= threshold);

  const stats: ColumnStats = {};
  let histogramSource: BinnedDistributions | undefined;
  const binOpts = { kind, integerData: typing.integerData };
  const p = psi(refSample, curSample, binOpts);
  stats.psi = p.value;
  histogramSource = p.distributions;
  // the same binning as psi: Evidently's jensenshannon on those proportions (= jensenShannon(ref, cur, binOpts))
  stats.jensenShannon = drift.method === 'jensenshannon' ? drift.statistic : jensenShannonDistance(p.distributions.reference, p.distributions.current);
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
  const report: ColumnReport = {
    name, role, type,
    dtype: { reference: ref.col.dtype, current: cur.col.dtype },
    nRef: drift.nRef, nCur: drift.nCur,
    missingRef, missingCur,
    nUnique: drift.nUnique,
    method: drift.method, methodSource,
    statistic: drift.statistic,
    pValue: drift.pValue ?? null,
    score: drift.score,
    threshold,
    drifted,
    stats,
    histogram: histogramOf(histogramSource),
    ecdf, summary,
    invalidExamples: { reference: examplesRef, current: examplesCur },
  };
  return { report, prepared: { name, role, type, integerData: typing.integerData, ref, cur, refSample, curSample } };
}

/** A mean for display (the statistics use the compensated sums of src/core/stats). */
function plainMean(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) { s += a[i]; }
  return s / a.length;
}

function tableInfo(t: Table): TableInfo {
  return { path: t.path, name: path.basename(t.path), format: t.format + (t.gzip ? '.gz' : ''), rows: t.rows, columns: t.columns.length, truncated: t.truncated, sizeBytes: t.sizeBytes };
}

/** Builds the report from two loaded tables. */
export function buildDriftReport(reference: Table, current: Table, options: DriftOptions = {}, extra: { loadMs?: number } = {}): DriftReport {
  const t0 = performance.now();
  const settings = effectiveSettings(options);
  const warnings: string[] = [];
  for (const t of [reference, current]) {
    if (t.truncated) { warnings.push(`Only the first ${t.rows.toLocaleString('en-US')} rows of ${path.basename(t.path)} were read (the row limit, setting mlsight.drift.maxRows).`); }
    for (const c of t.columns) {
      if (c.invalid) {
        const ex = c.invalidExamples.map(e => `${JSON.stringify(e.value)}${e.line ? ` (line ${e.line})` : ''}`).join(', ');
        warnings.push(`${path.basename(t.path)}: column "${c.name}" has ${c.invalid.toLocaleString('en-US')} value${c.invalid === 1 ? '' : 's'} that ${c.invalid === 1 ? 'is' : 'are'} not ${c.dtype === 'datetime' ? 'dates' : 'numbers'}, counted as invalid: ${ex}.`);
      }
    }
  }
  const refCols = new Map(reference.columns.map(c => [c.name, c]));
  const curCols = new Map(current.columns.map(c => [c.name, c]));
  const skipped: SkippedColumn[] = [];
  const pick = (name: string | null | undefined, what: string): string | null => {
    if (!name) { return null; }
    if (!curCols.has(name)) { warnings.push(`The current data has no ${what} column "${name}".`); return null; }
    return name;
  };
  const target = pick(options.target, 'target');
  const prediction = pick(options.prediction, 'prediction');
  const time = pick(options.time, 'time');
  const utility = new Set([target, prediction, time].filter((x): x is string => !!x));
  const exclude = new Set(options.exclude ?? []);
  const only = options.columns ? new Set(options.columns) : null;

  const reports: ColumnReport[] = [];
  const prepared: PreparedColumn[] = [];
  let task: Task | undefined = options.task && options.task !== 'auto' ? options.task : undefined;
  const sides = new Map<string, { ref: Side; cur: Side }>();
  const sideOf = (name: string) => {
    let s = sides.get(name);
    if (!s) { s = { ref: new Side(refCols.get(name)!), cur: new Side(curCols.get(name)!) }; sides.set(name, s); }
    return s;
  };
  const run = (name: string, role: ColumnRole) => {
    if (!refCols.has(name)) { skipped.push({ name, role, reason: 'only in the current data' }); return undefined; }
    const { ref, cur } = sideOf(name);
    try {
      const r = analyseColumn(name, role, ref, cur, settings, options, task, warnings);
      if ('skipped' in r) { skipped.push(r.skipped); return undefined; }
      reports.push(r.report);
      prepared.push(r.prepared);
      return r.report;
    } catch (e) {
      if (e instanceof StatsInputError) { skipped.push({ name, role, reason: e.message }); return undefined; }
      throw e;
    }
  };
  if (target) {
    const t = run(target, 'target');
    if (t && !task) { task = taskOf(t.type) ?? undefined; }
    if (!t && !refCols.has(target)) { warnings.push(`The reference data has no target column "${target}": no label drift.`); }
  }
  if (prediction) { run(prediction, 'prediction'); }
  for (const c of reference.columns) {
    if (utility.has(c.name) || exclude.has(c.name) || (only && !only.has(c.name))) { continue; }
    if (!curCols.has(c.name)) { skipped.push({ name: c.name, role: 'feature', reason: 'only in the reference data' }); continue; }
    run(c.name, 'feature');
  }
  for (const c of current.columns) {
    if (!refCols.has(c.name) && !utility.has(c.name) && !exclude.has(c.name) && (!only || only.has(c.name))) {
      skipped.push({ name: c.name, role: 'feature', reason: 'only in the current data' });
    }
  }
  const dataset = datasetDrift(reports, settings.driftShare);
  const predReport = prediction ? reports.find(r => r.role === 'prediction') : undefined;
  const predictionKind: DriftReport['predictionKind'] = !predReport ? null
    : task === 'regression' ? 'values' : task === 'classification' && predReport.type === 'numerical' ? 'probabilities' : 'labels';
  const overTime = computeOverTime({
    reference, current, settings, target, prediction, time, task: task ?? null, predictionKind, prepared, warnings,
  });
  const base = {
    schema: 'mlsight.drift/1' as const,
    createdAt: new Date().toISOString(),
    reference: tableInfo(reference),
    current: tableInfo(current),
    target,
    prediction, time,
    task: task ?? null,
    predictionKind,
    settings,
    columns: reports,
    skipped,
    dataset,
    overTime,
    warnings,
  };
  const verdict = decideVerdict(base, settings.retrain);
  return { ...base, verdict, timings: { loadMs: extra.loadMs ?? 0, analyseMs: performance.now() - t0 } };
}
