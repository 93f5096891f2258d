/**
 * The calibrated layer of the drift verdict. Evidently's per-column flags and NannyML's chunk alerts stay as they
 * are (shown in the report); the verdict raises an alarm only where the error across all comparisons is
 * controlled, so that on data from an unchanged process at most `alpha` (default 5 %) of reports say anything
 * but "No drift detected". The budget is split:
 *
 *  - columns (60 % of alpha): every analysed column (features, target, prediction) gets a two-sample test —
 *    K-S for numerical columns, chi-square homogeneity for categorical ones (both samples are samples, unlike
 *    Evidently's goodness-of-fit chi-square) — and the p-values are corrected together (Holm: family-wise error;
 *    or Benjamini–Hochberg: false discoveries). A column alarms when Evidently flags it (its test, or its
 *    distance at the threshold: the effect is large enough to matter) *and* its corrected test is significant
 *    (the effect is not noise). Distances have no p-value of their own; the paired test supplies one.
 *  - drift over time (20 %): a feature alarms when NannyML's alert threshold is crossed in k consecutive chunks
 *    (k = retrain.minAlertChunks, default 2) and each of those chunks' test against the reference has
 *    p < α_c = (α_time / (features × windows))^(1/k) — the persistence rule, with windows = chunks − k + 1.
 *  - performance (20 %, half per side): the band is the metric on the whole reference ± m·σᵢ, where σᵢ is the
 *    sampling error of a chunk of the current chunk's size (bootstrap of the reference at the typical chunk size,
 *    scaled by √(n_b/nᵢ)), plus the reference chunks' spread beyond sampling, plus the error of the reference value.
 *    Retraining is recommended when k consecutive chunks are below the band; m solves
 *    windows·Φ(−m)^k = α_perf/2.
 */
import { adjustPValues, normalIsf, seededRandom, variance } from '../stats';
import { metricLimits } from './metrics';
import {
  CalibratedBand,
  CalibratedColumn,
  DriftReport,
  EffectiveSettings,
  HIGHER_IS_BETTER,
  PerformanceMetric,
  VerdictCalibration,
} from './types';

export const ALPHA_SPLIT = { columns: 0.6, overTime: 0.2, performance: 0.2 } as const;
/** bootstrap resamples for the performance band, and the largest resample (σ is scaled from it) */
export const BAND_RESAMPLES = 200;
export const BAND_MAX_ROWS = 2000;
const BAND_SEED = 0x5eed;

type ReportBody = Omit<DriftReport, 'verdict' | 'timings'>;

function windows(chunks: number, k: number): number {
  return Math.max(1, chunks - k + 1);
}

/** The band multiplier m with windows·Φ(−m)^k = alphaSide. */
export function bandMultiplier(chunks: number, k: number, alphaSide: number): number {
  return normalIsf(Math.pow(alphaSide / windows(chunks, k), 1 / k));
}

/** The per-chunk level of the drift-over-time persistence rule. */
export function perChunkAlpha(alpha: number, series: number, chunks: number, k: number): number {
  return Math.pow(alpha / (Math.max(1, series) * windows(chunks, k)), 1 / k);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * The calibrated performance band (see the file comment). `score(rows)` scores reference rows; null when the
 * reference cannot be scored or resampled.
 */
export function calibratedBand(
  metric: PerformanceMetric,
  score: (rows: ArrayLike<number>) => number | null,
  referenceRows: number,
  values: (number | null)[],
  chunkRows: number[],
  referenceValues: (number | null)[],
  referenceChunkRows: number[],
  k: number,
  alpha: number,
): CalibratedBand | null {
  if (referenceRows < 10 || !chunkRows.length) {
    return null;
  }
  const all = new Uint32Array(referenceRows);
  for (let i = 0; i < referenceRows; i++) {
    all[i] = i;
  }
  const center = score(all);
  if (center === null || !Number.isFinite(center)) {
    return null;
  }
  const nb = Math.max(2, Math.min(Math.round(median(chunkRows)), BAND_MAX_ROWS, referenceRows));
  const rand = seededRandom(BAND_SEED);
  const boot: number[] = [];
  const rows = new Uint32Array(nb);
  for (let b = 0; b < BAND_RESAMPLES; b++) {
    for (let i = 0; i < nb; i++) {
      rows[i] = Math.floor(rand() * referenceRows);
    }
    const v = score(rows);
    if (v !== null && Number.isFinite(v)) {
      boot.push(v);
    }
  }
  if (boot.length < BAND_RESAMPLES / 2) {
    return null;
  }
  const sb = Math.sqrt(variance(boot, 1));
  const sampling = (n: number) => (sb * sb * nb) / Math.max(1, n);
  const refPairs = referenceValues
    .map((v, i) => [v, referenceChunkRows[i]] as const)
    .filter(([v]) => v !== null && Number.isFinite(v)) as [number, number][];
  let excess2 = 0;
  if (refPairs.length >= 3) {
    const spread = variance(
      refPairs.map(([v]) => v),
      1,
    );
    const expected = refPairs.reduce((a, [, n]) => a + sampling(n), 0) / refPairs.length;
    excess2 = Math.max(0, spread - expected);
  }
  const center2 = sampling(referenceRows);
  const multiplier = bandMultiplier(values.length, k, (alpha * ALPHA_SPLIT.performance) / 2);
  const lim = metricLimits(metric);
  const better = HIGHER_IS_BETTER[metric];
  const sigma = chunkRows.map(n => {
    const s = Math.sqrt(sampling(n) + excess2 + center2);
    const floor = better ? 0.5 / Math.max(1, n) : 1e-12 * Math.max(1, Math.abs(center));
    return Math.max(s, floor);
  });
  const clip = (x: number) => Math.min(lim.upper ?? Infinity, Math.max(lim.lower ?? -Infinity, x));
  return {
    center,
    multiplier,
    sigma,
    lower: sigma.map(s => clip(center - multiplier * s)),
    upper: sigma.map(s => clip(center + multiplier * s)),
    z: values.map((v, i) => (v === null || !Number.isFinite(v) ? null : ((v - center) / sigma[i]) * (better ? 1 : -1))),
    bootstrap: { rows: nb, resamples: boot.length, sigma: sb },
    excess: Math.sqrt(excess2),
    centerError: Math.sqrt(center2),
  };
}

/** The last run of at least k consecutive true entries (first and last chunk index), or null. */
export function lastRun(hits: boolean[], k: number): { from: number; to: number } | null {
  let found: { from: number; to: number } | null = null;
  let start = -1;
  for (let i = 0; i <= hits.length; i++) {
    if (i < hits.length && hits[i]) {
      if (start < 0) {
        start = i;
      }
      continue;
    }
    if (start >= 0 && i - start >= k) {
      found = { from: start, to: i - 1 };
    }
    start = -1;
  }
  return found;
}

export interface CalibratedDecisions {
  calibration: VerdictCalibration;
  columnAlarms: CalibratedColumn[];
  datasetAlarm: { nAlarms: number; nColumns: number; share: number } | null;
  overTimeAlarms: { name: string; from: number; to: number }[];
}

function pct(v: number): string {
  return `${Number((v * 100).toPrecision(2))} %`;
}

/** The calibrated decisions behind the verdict, and how they were reached. */
export function calibrate(r: ReportBody, settings: EffectiveSettings): CalibratedDecisions {
  const { alpha, correction } = settings.verdict;
  const k = settings.retrain.minAlertChunks;
  const aCols = alpha * ALPHA_SPLIT.columns;
  const adjusted = adjustPValues(
    r.columns.map(c => c.test.pValue),
    correction,
  );
  const rows: CalibratedColumn[] = r.columns.map((c, i) => ({
    name: c.name,
    role: c.role,
    test: c.test.name,
    pValue: c.test.pValue,
    adjusted: adjusted[i],
    evidentlyDrifted: c.drifted,
    alarm: c.drifted && adjusted[i] <= aCols,
  }));
  const alarms = rows.filter(x => x.alarm);
  const share = rows.length ? alarms.length / rows.length : 0;
  const datasetAlarm =
    rows.length && share >= r.dataset.driftShare ? { nAlarms: alarms.length, nColumns: rows.length, share } : null;

  const ot = r.overTime;
  let overTime: VerdictCalibration['overTime'] = null;
  const overTimeAlarms: { name: string; from: number; to: number }[] = [];
  if (ot && ot.chunks.length >= k) {
    const features = ot.drift.filter(s => s.role === 'feature');
    const aTime = alpha * ALPHA_SPLIT.overTime;
    const ac = perChunkAlpha(aTime, features.length, ot.chunks.length, k);
    for (const s of features) {
      const hits = s.values.map(
        (_, i) => (s.upper === null || s.alerts[i]) && s.pValues[i] !== null && s.pValues[i] < ac,
      );
      const run = lastRun(hits, k);
      if (run) {
        overTimeAlarms.push({ name: s.name, ...run });
      }
    }
    overTime = { chunks: ot.chunks.length, persistence: k, alpha: aTime, perChunkAlpha: ac, alarms: overTimeAlarms };
  }

  let performance: VerdictCalibration['performance'] = null;
  const notes: string[] = [];
  const perf = ot?.performance;
  if (perf && ot.chunks.length >= k) {
    const s = perf.series.find(x => x.metric === perf.primary);
    const b = s?.band;
    if (s && b) {
      const degraded = b.z.map(z => z !== null && z < -b.multiplier);
      const improved = b.z.map(z => z !== null && z > b.multiplier);
      const sizes = ot.chunks.map(c => c.rows);
      const typicalRows = Math.round(median(sizes));
      const typicalSigma = b.sigma[sizes.indexOf(sizes.find(n => n >= typicalRows) ?? sizes[0])] ?? b.sigma[0]!;
      const lim = metricLimits(s.metric);
      const clip = (x: number) => Math.min(lim.upper ?? Infinity, Math.max(lim.lower ?? -Infinity, x));
      performance = {
        metric: s.metric,
        center: b.center,
        multiplier: b.multiplier,
        persistence: k,
        alpha: alpha * ALPHA_SPLIT.performance,
        typical: {
          rows: typicalRows,
          sigma: typicalSigma,
          lower: clip(b.center - b.multiplier * typicalSigma),
          upper: clip(b.center + b.multiplier * typicalSigma),
        },
        degradedRun: lastRun(degraded, k),
        improvedRun: lastRun(improved, k),
      };
      const single = degraded.filter(Boolean).length;
      if (single && !performance.degradedRun) {
        notes.push(
          `Performance was below the band in ${single} chunk${single === 1 ? '' : 's'}, but not in ${k} consecutive chunks: no alarm.`,
        );
      }
    }
  }

  for (const c of rows) {
    if (c.evidentlyDrifted && !c.alarm) {
      const test = c.test === 'ks' ? 'K-S test' : 'chi-square homogeneity test';
      notes.push(
        `Evidently flags "${c.name}" as drifted, but its ${test} is not significant after the ${correction === 'holm' ? 'Holm' : 'Benjamini–Hochberg'} correction (p = ${fmtP(c.pValue)}, adjusted ${fmtP(c.adjusted)} > ${fmtP(aCols)}): no alarm.`,
      );
    }
  }
  const nannyml =
    ot?.drift.filter(
      x => x.role === 'feature' && x.alerts.some(Boolean) && !overTimeAlarms.some(a => a.name === x.name),
    ) ?? [];
  if (nannyml.length) {
    notes.push(
      `NannyML's threshold was crossed by ${nannyml.length} feature${nannyml.length === 1 ? '' : 's'} in some chunk (${nannyml
        .slice(0, 5)
        .map(x => `"${x.name}"`)
        .join(', ')}${nannyml.length > 5 ? ', …' : ''}), not persistently: no alarm.`,
    );
  }

  const family =
    correction === 'holm'
      ? `Holm-corrected (family-wise error ${pct(aCols)})`
      : `Benjamini–Hochberg-corrected (false-discovery rate ${pct(aCols)})`;
  const parts = [`${rows.length} column test${rows.length === 1 ? '' : 's'} ${family}`];
  if (overTime) {
    parts.push(`drift over time ${pct(overTime.alpha)} (${k} consecutive chunks of ${overTime.chunks})`);
  }
  if (performance) {
    parts.push(
      `performance ${pct(performance.alpha)} (${k} consecutive chunks outside a ±${performance.multiplier.toFixed(2)}σ band)`,
    );
  }
  const statement = `Designed false-alarm rate: on data from an unchanged process, at most about ${pct(alpha)} of reports say anything but "No drift detected" — ${parts.join('; ')}.`;
  return {
    calibration: {
      alpha,
      statement,
      columns: { correction, alpha: aCols, tests: rows.length, rows },
      overTime,
      performance,
      notes,
    },
    columnAlarms: alarms,
    datasetAlarm,
    overTimeAlarms,
  };
}

export function fmtP(p: number): string {
  if (p === 0) {
    return '0';
  }
  if (p < 1e-3) {
    return p.toExponential(1);
  }
  return String(Number(p.toPrecision(2)));
}
