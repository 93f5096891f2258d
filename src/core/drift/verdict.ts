/**
 * The retrain verdict: "retrain" when a condition of the retrain policy holds (settings mlsight.drift.retrain.*),
 * "monitor" when something drifted but no retrain condition holds, "ok" otherwise. Each reason says which
 * threshold was crossed and by how much, so the verdict can be checked by hand.
 *
 * Retrain conditions (each can be switched off):
 *  - dataset drift: the share of drifted columns ≥ driftShare (Evidently's dataset drift);
 *  - label drift: the target's distribution drifted;
 *  - performance alert: the primary metric left NannyML's reference band on the worse side in at least
 *    minAlertChunks current chunks;
 *  - performance threshold: the primary metric on the whole current data, or on its latest chunk, is worse than
 *    the absolute threshold (a floor for accuracy/F1/AUC, a ceiling for RMSE/MAE).
 * Monitor conditions: some (but too few) columns drifted; the prediction drifted; a column's drift over time
 * crossed NannyML's alert threshold; performance alerts on the better side or below minAlertChunks.
 */
import { DriftReport, HIGHER_IS_BETTER, METHOD_LABELS, METRIC_LABELS, RetrainPolicy, RetrainReason, Verdict } from './types';

type ReportBody = Omit<DriftReport, 'verdict' | 'timings'>;

function fmt(v: number): string {
  if (!Number.isFinite(v)) { return String(v); }
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) { return v.toExponential(2); }
  return String(Number(v.toPrecision(3)));
}

function pct(v: number): string { return `${Number((v * 100).toPrecision(3))}%`; }

export function decideVerdict(r: ReportBody, policy: RetrainPolicy): Verdict {
  const reasons: RetrainReason[] = [];
  const add = (code: string, level: 'retrain' | 'monitor', message: string) => reasons.push({ code, level, message });
  const d = r.dataset;
  if (d.drifted) {
    add('dataset-drift', policy.onDatasetDrift ? 'retrain' : 'monitor',
      `Dataset drift: ${d.nDrifted} of ${d.nColumns} columns drifted (${pct(d.share)} ≥ the drift share ${pct(d.driftShare)}).`);
  } else if (d.nDrifted > 0) {
    add('feature-drift', 'monitor', `${d.nDrifted} of ${d.nColumns} columns drifted (${pct(d.share)}, below the drift share ${pct(d.driftShare)}): ${r.columns.filter(c => c.drifted).slice(0, 5).map(c => `"${c.name}"`).join(', ')}${d.nDrifted > 5 ? ', …' : ''}.`);
  }
  const target = r.columns.find(c => c.role === 'target');
  if (target?.drifted) {
    const how = target.pValue !== null ? `${METHOD_LABELS[target.method]} ${fmt(target.score)} < ${fmt(target.threshold)}` : `${METHOD_LABELS[target.method]} ${fmt(target.score)} ≥ ${fmt(target.threshold)}`;
    add('label-drift', policy.onLabelDrift ? 'retrain' : 'monitor', `Label drift: the target "${target.name}" drifted (${how}).`);
  }
  const pred = r.columns.find(c => c.role === 'prediction');
  if (pred?.drifted) {
    add('prediction-drift', 'monitor', `Prediction drift: "${pred.name}" drifted (${METHOD_LABELS[pred.method]} ${fmt(pred.score)}).`);
  }
  const perf = r.overTime?.performance;
  if (perf) {
    const s = perf.series.find(x => x.metric === perf.primary)!;
    const label = METRIC_LABELS[s.metric];
    const better = HIGHER_IS_BETTER[s.metric];
    const chunks = r.overTime!.chunks;
    const degraded = s.degraded.map((b, i) => (b ? i : -1)).filter(i => i >= 0);
    if (degraded.length) {
      const last = degraded[degraded.length - 1];
      const bound = better ? s.lower! : s.upper!;
      const level = policy.onPerformanceAlert && degraded.length >= policy.minAlertChunks ? 'retrain' : 'monitor';
      add('performance-alert', level,
        `Performance: ${label} left the reference band in ${degraded.length} of ${chunks.length} chunks (latest: ${chunks[last].label}, ${fmt(s.values[last]!)} ${better ? '<' : '>'} ${fmt(bound)}).`);
    }
    const improved = s.alerts.filter((a, i) => a && !s.degraded[i]).length;
    if (improved) { add('performance-shift', 'monitor', `Performance: ${label} is better than the reference band in ${improved} chunk${improved === 1 ? '' : 's'} — check that the labels are right.`); }
    const t = policy.performanceThreshold;
    if (t !== null && t !== undefined) {
      const lastValue = [...s.values].reverse().find(v => v !== null) ?? null;
      const worse = (v: number | null) => v !== null && (better ? v < t : v > t);
      if (worse(s.current) || worse(lastValue)) {
        const which = worse(s.current) ? `${fmt(s.current!)} on the current data` : `${fmt(lastValue!)} in the latest chunk`;
        add('performance-threshold', 'retrain', `Performance: ${label} ${which} is ${better ? 'below' : 'above'} your threshold ${fmt(t)}.`);
      }
    }
  }
  const chunkAlerts = r.overTime?.drift.filter(x => x.role === 'feature' && x.alerts.some(Boolean)) ?? [];
  if (chunkAlerts.length) {
    add('chunk-drift', 'monitor', `Drift over time: ${chunkAlerts.length} feature${chunkAlerts.length === 1 ? '' : 's'} crossed the alert threshold in at least one chunk (${chunkAlerts.slice(0, 5).map(x => `"${x.name}"`).join(', ')}${chunkAlerts.length > 5 ? ', …' : ''}).`);
  }
  const retrain = reasons.some(x => x.level === 'retrain');
  const level = retrain ? 'retrain' : reasons.length ? 'monitor' : 'ok';
  const headline = retrain ? 'Retraining recommended' : level === 'monitor' ? 'Some drift: keep monitoring' : 'No drift detected';
  return { level, retrain, headline, reasons };
}
