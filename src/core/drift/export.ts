/**
 * The drift report's outside forms: JSON (the CLI's `--format json` and the webview's export, documented in
 * docs/drift.md), CSV (one row per column), plain text (the CLI) and a standalone HTML page (no scripts, every
 * value escaped). Non-finite numbers are written as the strings "Infinity", "-Infinity", "NaN" in JSON.
 */
import { toCsv } from '../compare/table';
import { verdictReasoning } from './explain';
import {
  CalibratedBand,
  ColumnReport,
  DriftReport,
  MissingCounts,
  METHOD_LABELS,
  METRIC_LABELS,
  Verdict,
} from './types';

const nf = (v: number | null | undefined): number | string | null =>
  v === null || v === undefined
    ? null
    : Number.isFinite(v)
      ? v
      : Number.isNaN(v)
        ? 'NaN'
        : v > 0
          ? 'Infinity'
          : '-Infinity';

const missingJson = (m: MissingCounts) => ({
  missing: m.missing,
  pos_inf: m.posInf,
  neg_inf: m.negInf,
  invalid: m.invalid,
});

export function columnToJson(c: ColumnReport): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: c.name,
    role: c.role,
    type: c.type,
    dtype: c.dtype,
    n_ref: c.nRef,
    n_cur: c.nCur,
    n_unique: c.nUnique,
    missing: { reference: missingJson(c.missingRef), current: missingJson(c.missingCur) },
    method: c.method,
    statistic: nf(c.statistic),
  };
  if (c.pValue !== null) {
    out.pvalue = nf(c.pValue);
  }
  Object.assign(out, {
    score: nf(c.score),
    threshold: c.threshold,
    drifted: c.drifted,
    test: { name: c.test.name, pvalue: nf(c.test.pValue) },
  });
  const s = c.stats;
  if (s.ks) {
    out.ks = { statistic: nf(s.ks.statistic), pvalue: nf(s.ks.pValue), method: s.ks.method };
  }
  if (s.psi !== undefined) {
    out.psi = nf(s.psi);
  }
  if (s.psiDeciles !== undefined) {
    out.psi_deciles = nf(s.psiDeciles);
  }
  if (s.wassersteinNorm !== undefined) {
    out.wasserstein_norm = nf(s.wassersteinNorm);
  }
  if (s.jensenShannon !== undefined) {
    out.jensenshannon = nf(s.jensenShannon);
  }
  if (s.chiSquare) {
    out.chisquare = { statistic: nf(s.chiSquare.statistic), pvalue: nf(s.chiSquare.pValue), dof: s.chiSquare.dof };
  }
  if (s.z) {
    out.ztest = { statistic: nf(s.z.statistic), pvalue: nf(s.z.pValue) };
  }
  return out;
}

/** The report as the documented JSON document (snake_case). */
export function reportToJson(r: DriftReport): Record<string, unknown> {
  const target = r.columns.find(c => c.role === 'target');
  const prediction = r.columns.find(c => c.role === 'prediction');
  const brief = (c: ColumnReport | undefined) =>
    c
      ? {
          column: c.name,
          type: c.type,
          method: c.method,
          score: nf(c.score),
          threshold: c.threshold,
          drifted: c.drifted,
        }
      : null;
  const ot = r.overTime;
  return {
    schema: r.schema,
    created_at: r.createdAt,
    reference: {
      path: r.reference.path,
      format: r.reference.format,
      rows: r.reference.rows,
      columns: r.reference.columns,
      truncated: r.reference.truncated,
    },
    current: {
      path: r.current.path,
      format: r.current.format,
      rows: r.current.rows,
      columns: r.current.columns,
      truncated: r.current.truncated,
    },
    target: r.target,
    prediction: r.prediction,
    time: r.time,
    task: r.task,
    prediction_kind: r.predictionKind,
    settings: {
      thresholds: r.settings.thresholds,
      drift_share: r.settings.driftShare,
      numerical_method: r.settings.numericalMethod,
      categorical_method: r.settings.categoricalMethod,
      column_methods: r.settings.methods,
      chunks: r.settings.chunks,
      period: r.settings.period,
      retrain: {
        on_dataset_drift: r.settings.retrain.onDatasetDrift,
        on_label_drift: r.settings.retrain.onLabelDrift,
        on_performance_alert: r.settings.retrain.onPerformanceAlert,
        min_alert_chunks: r.settings.retrain.minAlertChunks,
        performance_metric: r.settings.retrain.performanceMetric,
        performance_threshold: r.settings.retrain.performanceThreshold,
      },
      verdict: { alpha: r.settings.verdict.alpha, correction: r.settings.verdict.correction },
      psi_binning: r.settings.psiBinning,
      map: r.settings.map,
    },
    columns: r.columns.map(columnToJson),
    skipped: r.skipped,
    dataset_drift: {
      n_columns: r.dataset.nColumns,
      n_drifted: r.dataset.nDrifted,
      share: r.dataset.share,
      drift_share: r.dataset.driftShare,
      drifted: r.dataset.drifted,
    },
    label_drift: brief(target),
    prediction_drift: brief(prediction),
    over_time: ot
      ? {
          period: ot.period,
          time_column: ot.timeColumn,
          reference_chunks: ot.referenceChunks,
          chunks: ot.chunks.map(c => ({
            label: c.label,
            start: c.start === null ? null : new Date(c.start).toISOString(),
            end: c.end === null ? null : new Date(c.end).toISOString(),
            rows: c.rows,
          })),
          performance: ot.performance
            ? {
                task: ot.performance.task,
                primary: ot.performance.primary,
                threshold: ot.performance.threshold,
                unlabelled_rows: ot.performance.unlabelledRows,
                metrics: ot.performance.series.map(s => ({
                  metric: s.metric,
                  values: s.values.map(nf),
                  reference_values: s.referenceValues.map(nf),
                  lower: nf(s.lower),
                  upper: nf(s.upper),
                  alerts: s.alerts,
                  degraded: s.degraded,
                  reference: nf(s.reference),
                  current: nf(s.current),
                  band: bandToJson(s.band),
                })),
              }
            : null,
          drift: ot.drift.map(d => ({
            column: d.name,
            role: d.role,
            method: 'jensenshannon_base2',
            values: d.values.map(nf),
            reference_values: d.referenceValues.map(nf),
            upper: nf(d.upper),
            alerts: d.alerts,
            p_values: d.pValues.map(nf),
            psi_deciles: d.psi.map(nf),
          })),
        }
      : null,
    data_quality: r.dataQuality,
    verdict: verdictToJson(r.verdict),
    warnings: r.warnings,
  };
}

function bandToJson(b: CalibratedBand | null): Record<string, unknown> | null {
  if (!b) {
    return null;
  }
  return {
    center: nf(b.center),
    multiplier: b.multiplier,
    sigma: b.sigma.map(nf),
    lower: b.lower.map(nf),
    upper: b.upper.map(nf),
    z: b.z.map(nf),
    bootstrap: b.bootstrap,
    excess: nf(b.excess),
    center_error: nf(b.centerError),
  };
}

function verdictToJson(v: Verdict): Record<string, unknown> {
  const c = v.calibration;
  return {
    level: v.level,
    retrain: v.retrain,
    headline: v.headline,
    reasons: v.reasons,
    calibration: {
      alpha: c.alpha,
      statement: c.statement,
      columns: {
        correction: c.columns.correction,
        alpha: c.columns.alpha,
        tests: c.columns.tests,
        rows: c.columns.rows.map(x => ({
          name: x.name,
          role: x.role,
          test: x.test,
          pvalue: nf(x.pValue),
          adjusted: nf(x.adjusted),
          evidently_drifted: x.evidentlyDrifted,
          alarm: x.alarm,
        })),
      },
      over_time: c.overTime
        ? {
            chunks: c.overTime.chunks,
            persistence: c.overTime.persistence,
            alpha: c.overTime.alpha,
            per_chunk_alpha: c.overTime.perChunkAlpha,
            alarms: c.overTime.alarms,
          }
        : null,
      performance: c.performance
        ? {
            metric: c.performance.metric,
            center: nf(c.performance.center),
            multiplier: c.performance.multiplier,
            persistence: c.performance.persistence,
            alpha: c.performance.alpha,
            typical: c.performance.typical,
            degraded_run: c.performance.degradedRun,
            improved_run: c.performance.improvedRun,
          }
        : null,
      notes: c.notes,
    },
  };
}

export const CSV_HEADER = [
  'column',
  'role',
  'type',
  'method',
  'statistic',
  'p_value',
  'score',
  'threshold',
  'drifted',
  'n_ref',
  'n_cur',
  'missing_ref',
  'missing_cur',
  'ks_statistic',
  'ks_pvalue',
  'psi',
  'wasserstein_norm',
  'jensenshannon',
  'chisquare_statistic',
  'chisquare_pvalue',
  'ztest_statistic',
  'ztest_pvalue',
] as const;

const totalMissing = (m: MissingCounts) => m.missing + m.posInf + m.negInf + m.invalid;

export function reportToCsv(r: DriftReport): string {
  return toCsv(
    [...CSV_HEADER],
    r.columns.map(c => [
      c.name,
      c.role,
      c.type,
      c.method,
      c.statistic,
      c.pValue,
      c.score,
      c.threshold,
      c.drifted ? 'true' : 'false',
      c.nRef,
      c.nCur,
      totalMissing(c.missingRef),
      totalMissing(c.missingCur),
      c.stats.ks?.statistic ?? null,
      c.stats.ks?.pValue ?? null,
      c.stats.psi ?? null,
      c.stats.wassersteinNorm ?? null,
      c.stats.jensenShannon ?? null,
      c.stats.chiSquare?.statistic ?? null,
      c.stats.chiSquare?.pValue ?? null,
      c.stats.z?.statistic ?? null,
      c.stats.z?.pValue ?? null,
    ]),
  );
}

/** A number for people: 4 significant digits, exponent for tiny/huge values. */
export function fmtNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) {
    return '—';
  }
  if (Number.isNaN(v)) {
    return 'nan';
  }
  if (!Number.isFinite(v)) {
    return v > 0 ? 'inf' : '-inf';
  }
  if (Number.isInteger(v) && Math.abs(v) < 1e9) {
    return String(v);
  }
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) {
    return v.toExponential(3);
  }
  return String(Number(v.toPrecision(4)));
}

/** Text safe for a terminal: control characters (a hostile column name's newlines, escapes) shown as \uXXXX. */
export function safeText(s: string): string {
  return s.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function reportToText(r: DriftReport): string {
  const lines: string[] = [];
  lines.push(
    `Drift report: reference ${safeText(r.reference.name)} (${r.reference.rows.toLocaleString('en-US')} rows) → current ${safeText(r.current.name)} (${r.current.rows.toLocaleString('en-US')} rows)`,
  );
  lines.push('');
  const rows = r.columns.map(c => [
    safeText(c.name),
    c.role,
    c.type,
    c.method,
    fmtNumber(c.statistic),
    c.pValue === null ? '' : fmtNumber(c.pValue),
    fmtNumber(c.threshold),
    c.drifted ? 'DRIFT' : 'no',
  ]);
  const head = ['column', 'role', 'type', 'method', 'statistic', 'p-value', 'threshold', 'drifted'];
  const widths = head.map((h, i) => Math.min(40, Math.max(h.length, ...rows.map(x => x[i].length))));
  lines.push(
    head
      .map((h, i) => pad(h, widths[i]))
      .join('  ')
      .trimEnd(),
  );
  for (const x of rows) {
    lines.push(
      x
        .map((v, i) => pad(v, widths[i]))
        .join('  ')
        .trimEnd(),
    );
  }
  for (const s of r.skipped) {
    lines.push(`(not analysed: ${safeText(s.name)} — ${s.reason})`);
  }
  lines.push('');
  const d = r.dataset;
  lines.push(
    `Dataset drift: ${d.nDrifted} of ${d.nColumns} columns drifted (share ${fmtNumber(d.share)}, threshold ${fmtNumber(d.driftShare)}): ${d.drifted ? 'DRIFT' : 'no'}`,
  );
  const t = r.columns.find(c => c.role === 'target');
  if (t) {
    lines.push(
      `Label drift (${safeText(t.name)}): ${METHOD_LABELS[t.method]} ${fmtNumber(t.score)}, threshold ${fmtNumber(t.threshold)}: ${t.drifted ? 'DRIFT' : 'no'}`,
    );
  }
  const perf = r.overTime?.performance;
  if (perf) {
    const s = perf.series.find(x => x.metric === perf.primary)!;
    lines.push(
      `Performance (${METRIC_LABELS[s.metric]}): reference ${fmtNumber(s.reference)}, current ${fmtNumber(s.current)}; band ${fmtNumber(s.lower)} – ${fmtNumber(s.upper)}`,
    );
    r.overTime!.chunks.forEach((c, i) =>
      lines.push(`  ${pad(safeText(c.label), 28)} ${pad(fmtNumber(s.values[i]), 8)}${s.alerts[i] ? ' ALERT' : ''}`),
    );
  }
  lines.push('');
  lines.push(`Verdict: ${r.verdict.level.toUpperCase()} — ${r.verdict.headline}`);
  for (const x of r.verdict.reasons) {
    lines.push(`  - [${x.level}] ${safeText(x.message)}`);
  }
  for (const sec of verdictReasoning(r)) {
    lines.push(`${sec.title}:`);
    for (const l of sec.lines) {
      lines.push(`  ${safeText(l)}`);
    }
  }
  if (r.warnings.length) {
    lines.push('');
    lines.push('Warnings:');
    for (const w of r.warnings) {
      lines.push(`  - ${safeText(w)}`);
    }
  }
  return lines.join('\n') + '\n';
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);
}

/** A standalone HTML page of the report (no scripts; all text escaped). */
export function reportToHtml(r: DriftReport): string {
  const row = (cells: string[], tag = 'td') => `<tr>${cells.map(c => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
  const cols = r.columns
    .map(c =>
      row([
        esc(c.name),
        esc(c.role),
        esc(c.type),
        esc(METHOD_LABELS[c.method]),
        esc(fmtNumber(c.statistic)),
        esc(c.pValue === null ? '' : fmtNumber(c.pValue)),
        esc(fmtNumber(c.threshold)),
        c.drifted ? '<b class="bad">drifted</b>' : 'no',
        esc(String(c.nRef)),
        esc(String(c.nCur)),
        esc(String(totalMissing(c.missingRef))),
        esc(String(totalMissing(c.missingCur))),
      ]),
    )
    .join('\n');
  const perf = r.overTime?.performance;
  let over = '';
  if (r.overTime) {
    const ot = r.overTime;
    const metric = perf?.series.find(s => s.metric === perf.primary);
    const head = [
      'chunk',
      'rows',
      ...(metric ? [esc(METRIC_LABELS[metric.metric])] : []),
      ...ot.drift.map(d => esc(d.name)),
    ];
    const body = ot.chunks
      .map((c, i) =>
        row([
          esc(c.label),
          String(c.rows),
          ...(metric
            ? [`${esc(fmtNumber(metric.values[i]))}${metric.alerts[i] ? ' <b class="bad">alert</b>' : ''}`]
            : []),
          ...ot.drift.map(d => `${esc(fmtNumber(d.values[i]))}${d.alerts[i] ? ' <b class="bad">!</b>' : ''}`),
        ]),
      )
      .join('\n');
    over = `<h2>Over time (${esc(ot.period === 'count' ? `${ot.chunks.length} chunks` : `by ${ot.period}`)})</h2>
${metric ? `<p>${esc(METRIC_LABELS[metric.metric])}: reference band ${esc(fmtNumber(metric.lower))} – ${esc(fmtNumber(metric.upper))}</p>` : ''}
<p>Drift per chunk: Jensen–Shannon distance (base 2) against the reference; "!" = above the alert threshold.</p>
<table><thead>${row(head, 'th')}</thead><tbody>${body}</tbody></table>`;
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Drift report: ${esc(r.reference.name)} → ${esc(r.current.name)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}.bad{color:#b00020}.verdict{padding:8px 12px;border-left:4px solid #888;background:#f7f7f7}.retrain{border-color:#b00020}.monitor{border-color:#c77c00}.ok{border-color:#2e7d32}</style>
</head><body>
<h1>Drift report</h1>
<p>Reference: ${esc(r.reference.path)} (${r.reference.rows} rows)<br>Current: ${esc(r.current.path)} (${r.current.rows} rows)<br>Created ${esc(r.createdAt)} by ML Sight</p>
<div class="verdict ${esc(r.verdict.level)}"><b>${esc(r.verdict.headline)}</b><ul>${r.verdict.reasons.map(x => `<li>[${esc(x.level)}] ${esc(x.message)}</li>`).join('')}</ul></div>
<h2>How the verdict was reached</h2>
${verdictReasoning(r)
  .map(sec => `<h3>${esc(sec.title)}</h3>${sec.lines.map(l => `<p>${esc(l)}</p>`).join('')}`)
  .join('\n')}
<h2>Columns</h2>
<p>Dataset drift: ${r.dataset.nDrifted} of ${r.dataset.nColumns} columns drifted (share ${esc(fmtNumber(r.dataset.share))}; threshold ${esc(fmtNumber(r.dataset.driftShare))}): ${r.dataset.drifted ? '<b class="bad">yes</b>' : 'no'}</p>
<table><thead>${row(['column', 'role', 'type', 'test', 'statistic', 'p-value', 'threshold', 'drifted', 'n ref', 'n cur', 'missing ref', 'missing cur'], 'th')}</thead>
<tbody>${cols}</tbody></table>
${r.skipped.length ? `<h2>Not analysed</h2><ul>${r.skipped.map(s => `<li>${esc(s.name)}: ${esc(s.reason)}</li>`).join('')}</ul>` : ''}
${over}
${r.warnings.length ? `<h2>Warnings</h2><ul>${r.warnings.map(w => `<li>${esc(w)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}

// ---------------------------------------------------------------------------------------------------------------
// Transport to the webview (JSON cannot carry ±∞ or NaN)

type Encoded = { $nf: 'Infinity' | '-Infinity' | 'NaN' };

/** Sets a property even when its name is "__proto__" (column names are data). */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Replaces non-finite numbers by {$nf: …} markers, deeply (typed arrays become plain arrays). */
export function encodeNonFinite<T>(v: T): unknown {
  if (typeof v === 'number') {
    return Number.isFinite(v)
      ? v
      : ({ $nf: Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity' } satisfies Encoded);
  }
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    return Array.from(v as unknown as ArrayLike<unknown>, encodeNonFinite);
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      setOwn(out, k, encodeNonFinite(x));
    }
    return out;
  }
  return v;
}

export function decodeNonFinite<T>(v: unknown): T {
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) {
      return x.map(walk);
    }
    if (x && typeof x === 'object') {
      const keys = Object.keys(x);
      if (keys.length === 1 && keys[0] === '$nf') {
        const s = (x as Encoded).$nf;
        return s === 'NaN' ? NaN : s === 'Infinity' ? Infinity : -Infinity;
      }
      const out: Record<string, unknown> = {};
      for (const k of keys) {
        setOwn(out, k, walk((x as Record<string, unknown>)[k]));
      }
      return out;
    }
    return x;
  };
  return walk(v) as T;
}
