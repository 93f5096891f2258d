/**
 * The retrain verdict, on the calibrated decisions of ./calibrate (Evidently's per-column flags and NannyML's chunk
 * alerts are shown as they are, but alone they raise no alarm): "retrain" when a condition of the retrain policy
 * holds (settings mlsight.drift.retrain.*), "monitor" when something drifted but no retrain condition holds, "ok"
 * otherwise. Each reason names its columns and says which test crossed what, so the verdict can be checked by hand.
 *
 * Retrain conditions (each can be switched off):
 *  - dataset drift: the share of columns with a calibrated alarm ≥ driftShare;
 *  - label drift: the target has a calibrated alarm;
 *  - performance: the primary metric is below the calibrated band in minAlertChunks consecutive chunks;
 *  - performance threshold: the metric on the whole current data, or on its latest chunk, is worse than the
 *    absolute threshold you set (a floor for accuracy/F1/AUC, a ceiling for RMSE/MAE).
 * Monitor conditions: some (too few) columns alarm; the prediction alarms; a feature's drift persists over chunks;
 * performance is above the band persistently (check the labels); a data-quality finding (a column missing from
 * the current data, a changed type, a column with no values).
 */
import { calibrate, fmtP } from './calibrate';
import {
  CalibratedColumn,
  DriftReport,
  EffectiveSettings,
  HIGHER_IS_BETTER,
  METHOD_LABELS,
  METRIC_LABELS,
  RetrainPolicy,
  RetrainReason,
  Verdict,
} from './types';

type ReportBody = Omit<DriftReport, 'verdict' | 'timings'>;

function fmt(v: number): string {
  if (!Number.isFinite(v)) {
    return String(v);
  }
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) {
    return v.toExponential(2);
  }
  return String(Number(v.toPrecision(3)));
}

function pct(v: number): string {
  return `${Number((v * 100).toPrecision(3))}%`;
}

/** The verdict on a report body; `policy` overrides the body's retrain policy (the settings it was built with). */
export function decideVerdict(r: ReportBody, policy: RetrainPolicy = r.settings.retrain): Verdict {
  const settings: EffectiveSettings = { ...r.settings, retrain: policy };
  const d = calibrate(r, settings);
  const reasons: RetrainReason[] = [];
  const add = (code: string, level: 'retrain' | 'monitor', message: string, column?: string) =>
    reasons.push({ code, level, message, ...(column !== undefined ? { column } : {}) });
  const byName = new Map(r.columns.map(c => [c.name, c]));
  const evidence = (a: CalibratedColumn) => {
    const c = byName.get(a.name)!;
    const how =
      c.pValue !== null
        ? `${METHOD_LABELS[c.method]} ${fmt(c.score)}`
        : `${METHOD_LABELS[c.method]} ${fmt(c.score)} ≥ ${fmt(c.threshold)}`;
    return `"${a.name}" (${how}; ${a.test === 'ks' ? 'K-S' : 'chi-square'} p = ${fmtP(a.pValue)}, adjusted ${fmtP(a.adjusted)})`;
  };
  const alarms = d.columnAlarms;
  const features = alarms.filter(a => a.role === 'feature');
  if (d.datasetAlarm) {
    add(
      'dataset-drift',
      policy.onDatasetDrift ? 'retrain' : 'monitor',
      `Dataset drift: ${d.datasetAlarm.nAlarms} of ${d.datasetAlarm.nColumns} columns drifted (${pct(d.datasetAlarm.share)} ≥ the drift share ${pct(r.dataset.driftShare)}): ${alarms
        .slice(0, 8)
        .map(a => `"${a.name}"`)
        .join(', ')}${alarms.length > 8 ? ', …' : ''} (tests and corrected p-values below).`,
    );
  } else if (features.length) {
    for (const a of features.slice(0, 10)) {
      add('feature-drift', 'monitor', `Feature drift: ${evidence(a)}.`, a.name);
    }
    if (features.length > 10) {
      add('feature-drift', 'monitor', `… and ${features.length - 10} more drifted features.`);
    }
  }
  const target = alarms.find(a => a.role === 'target');
  if (target) {
    add(
      'label-drift',
      policy.onLabelDrift ? 'retrain' : 'monitor',
      `Label drift: the target ${evidence(target)}.`,
      target.name,
    );
  }
  const pred = alarms.find(a => a.role === 'prediction');
  if (pred) {
    add('prediction-drift', 'monitor', `Prediction drift: ${evidence(pred)}.`, pred.name);
  }

  const chunks = r.overTime?.chunks ?? [];
  const span = (x: { from: number; to: number }) =>
    x.from === x.to ? chunks[x.from].label : `${chunks[x.from].label} to ${chunks[x.to].label}`;
  const perf = r.overTime?.performance;
  const cp = d.calibration.performance;
  if (perf && cp) {
    const label = METRIC_LABELS[cp.metric];
    const s = perf.series.find(x => x.metric === cp.metric)!;
    if (cp.degradedRun) {
      const run = cp.degradedRun;
      const n = run.to - run.from + 1;
      add(
        'performance-alert',
        policy.onPerformanceAlert ? 'retrain' : 'monitor',
        `Performance: ${label} was below the band in ${n} consecutive chunks (${span(run)}; latest ${fmt(s.values[run.to]!)} < ${fmt(s.band!.lower[run.to]!)}, reference ${fmt(cp.center)}).`,
      );
    }
    if (cp.improvedRun) {
      add(
        'performance-shift',
        'monitor',
        `Performance: ${label} was above the band in ${cp.improvedRun.to - cp.improvedRun.from + 1} consecutive chunks (${span(cp.improvedRun)}) — check that the labels are right.`,
      );
    }
  }
  if (perf) {
    const s = perf.series.find(x => x.metric === perf.primary)!;
    const better = HIGHER_IS_BETTER[s.metric];
    const t = policy.performanceThreshold;
    if (t !== null && t !== undefined) {
      const lastValue = [...s.values].reverse().find(v => v !== null) ?? null;
      const worse = (v: number | null) => v !== null && (better ? v < t : v > t);
      if (worse(s.current) || worse(lastValue)) {
        const which = worse(s.current)
          ? `${fmt(s.current!)} on the current data`
          : `${fmt(lastValue!)} in the latest chunk`;
        add(
          'performance-threshold',
          'retrain',
          `Performance: ${METRIC_LABELS[s.metric]} ${which} is ${better ? 'below' : 'above'} your threshold ${fmt(t)}.`,
        );
      }
    }
  }
  for (const a of d.overTimeAlarms) {
    add(
      'chunk-drift',
      'monitor',
      `Drift over time: "${a.name}" drifted in ${a.to - a.from + 1} consecutive chunks (${span(a)}).`,
      a.name,
    );
  }
  for (const f of r.dataQuality) {
    if (f.severity === 'warning') {
      add(`data-quality:${f.code}`, 'monitor', `Data quality: ${f.message}`, f.column);
    }
  }
  const retrain = reasons.some(x => x.level === 'retrain');
  const level = retrain ? 'retrain' : reasons.length ? 'monitor' : 'ok';
  const headline = retrain
    ? 'Retraining recommended'
    : level === 'monitor'
      ? 'Some drift: keep monitoring'
      : 'No drift detected';
  return { level, retrain, headline, reasons, calibration: d.calibration };
}
