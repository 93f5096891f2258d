/**
 * The verdict's reasoning in words — tests, correction, chunks, the band's interval, notes and data-quality
 * findings — shared by the text and HTML reports and the Drift webview (no Node imports: the webview bundles it).
 */
import { DriftReport, METRIC_LABELS } from './types';

/**
 * The verdict's false-alarm rate measured by the simulation of bench/drift-calibration.bench.ts at the default
 * settings (stationary data, 500–100,000 rows per side, mixed column types, with and without time, label, score).
 */
export const MEASURED_FALSE_ALARMS = { rate: 8 / 600, reports: 600, low: 0.007, high: 0.026 } as const;

export interface ReasoningSection {
  title: string;
  lines: string[];
}

function num(v: number): string {
  if (!Number.isFinite(v)) {
    return String(v);
  }
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) {
    return v.toExponential(1);
  }
  return String(Number(v.toPrecision(3)));
}

function pct(v: number): string {
  return `${Number((v * 100).toPrecision(2))} %`;
}

/** The sections of the verdict's reasoning. */
export function verdictReasoning(r: Pick<DriftReport, 'verdict' | 'overTime' | 'dataQuality'>): ReasoningSection[] {
  const c = r.verdict.calibration;
  const out: ReasoningSection[] = [];
  const m = MEASURED_FALSE_ALARMS;
  const defaults = c.alpha === 0.05 && c.columns.correction === 'holm';
  out.push({
    title: 'Alarm rate',
    lines: [
      c.statement,
      ...(defaults
        ? [
            `Measured at these defaults: ${pct(m.rate)} of ${m.reports} simulated reports on unchanged data raised an alarm (95 % interval ${pct(m.low)}–${pct(m.high)}; npm run bench).`,
          ]
        : []),
    ],
  });
  const cols = c.columns;
  const alarms = cols.rows.filter(x => x.alarm);
  out.push({
    title: 'Column tests',
    lines: [
      `${cols.tests} two-sample test${cols.tests === 1 ? '' : 's'} (K-S for numerical columns, chi-square homogeneity for categorical ones), ${cols.correction === 'holm' ? 'Holm' : 'Benjamini–Hochberg'}-corrected at ${pct(cols.alpha)}. A column alarms when Evidently flags it and its corrected p-value is at most ${num(cols.alpha)}.`,
      alarms.length
        ? `Alarms: ${alarms.map(x => `"${x.name}" (adjusted p ${num(x.adjusted)})`).join(', ')}.`
        : 'No column alarms.',
    ],
  });
  if (c.overTime) {
    const o = c.overTime;
    out.push({
      title: 'Drift over time',
      lines: [
        `${o.chunks} chunks. A feature alarms when NannyML's threshold is crossed in ${o.persistence} consecutive chunk${o.persistence === 1 ? '' : 's'} and each of those chunks' test against the reference has p < ${num(o.perChunkAlpha)} (${pct(o.alpha)} spread over the features and chunk windows).`,
        o.alarms.length
          ? `Alarms: ${o.alarms.map(a => `"${a.name}" (chunks ${a.from + 1}–${a.to + 1})`).join(', ')}.`
          : 'No feature drifts persistently.',
      ],
    });
  }
  if (c.performance) {
    const p = c.performance;
    const s = r.overTime?.performance?.series.find(x => x.metric === p.metric);
    const b = s?.band;
    out.push({
      title: 'Performance band',
      lines: [
        `${METRIC_LABELS[p.metric]} band for a chunk of ${p.typical.rows.toLocaleString('en-US')} rows: ${num(p.typical.lower)} – ${num(p.typical.upper)} (reference ${num(p.center)} ± ${p.multiplier.toFixed(2)} σ, σ = ${num(p.typical.sigma)}).`,
        ...(b
          ? [
              `σ combines the chunk's sampling error (bootstrap: ${b.bootstrap.resamples} resamples of ${b.bootstrap.rows.toLocaleString('en-US')} reference rows, scaled to each chunk's size), the reference chunks' spread beyond that (${num(b.excess)}) and the reference value's own error (${num(b.centerError)}).`,
            ]
          : []),
        `Retraining is recommended after ${p.persistence} consecutive chunk${p.persistence === 1 ? '' : 's'} below the band (${pct(p.alpha)} of the alarm rate, half per side).`,
        p.degradedRun
          ? `Below the band: chunks ${p.degradedRun.from + 1}–${p.degradedRun.to + 1}.`
          : 'No persistent degradation.',
      ],
    });
  }
  if (c.notes.length) {
    out.push({ title: 'Notes', lines: [...c.notes] });
  }
  if (r.dataQuality.length) {
    out.push({ title: 'Data quality', lines: r.dataQuality.map(f => `[${f.severity}] ${f.message}`) });
  }
  return out;
}
