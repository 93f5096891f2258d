/**
 * Champion vs challenger: the offline comparison (metrics at registration) and the promotion gate.
 *
 * The gate passes only when every check passes:
 *  - the challenger is a different version from the one the target (alias or stage) holds now;
 *  - it is not archived;
 *  - a primary metric is configured (or given) and the challenger has it;
 *  - the challenger beats the champion on it, in the configured direction, by at least the configured margin
 *    (absolute or relative); with no champion yet this check passes (a first promotion);
 *  - A/B: when data was given, the analysis verdict is "promote" (a significant win, no guardrail significantly
 *    worse, no sample-ratio mismatch); when none was given and the model requires A/B evidence, it fails.
 * A failed gate can be overridden only with a typed reason, which is recorded in the promotion's audit event.
 */
import type { AbAnalysis } from './abAnalysis';
import type { Direction, ModelSettings } from './state';
import type { DatasetLineage, VersionDetail } from './views';
import {
  PairedTest,
  Predictions,
  binomialSe,
  describeDatasets,
  pairedTest,
  sharedEvaluationDataset,
} from './offlineEvidence';

/** Metric names that are better when lower (loss, error, latency…); anything else is better when higher. */
export function guessDirection(metric: string): Direction {
  return /(loss|error|err$|rmse|mse|mae|mape|smape|logloss|log_loss|perplexity|latency|duration|wer|cer|brier|deviance|fpr|fnr|cost)/i.test(
    metric,
  )
    ? 'minimize'
    : 'maximize';
}

export interface MetricRow {
  key: string;
  champion: number | null;
  challenger: number | null;
  /** challenger − champion */
  delta: number | null;
  /** true when the challenger is better in the metric's (guessed or configured) direction */
  better: boolean | null;
  direction: Direction;
}

export interface OfflineComparison {
  metric: string | null;
  direction: Direction;
  minImprovement: number;
  relative: boolean;
  champion: VersionDetail | null;
  challenger: VersionDetail;
  championValue: number | null;
  challengerValue: number | null;
  delta: number | null;
  relativeDelta: number | null;
  passes: boolean;
  /** why it fails (stable code), 'ok' when it passes */
  code: GateCode;
  /** the shared evaluation dataset, the paired test or the noise level behind the verdict (when the values were compared) */
  evidence?: { shared: DatasetLineage | null; paired: PairedTest | null; noiseSe: number | null };
  reason: string;
  rows: MetricRow[];
}

function fmt(x: number): string {
  return Number.isInteger(x)
    ? String(x)
    : Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3
      ? x.toExponential(3)
      : x
          .toPrecision(4)
          .replace(/(\.\d*?)0+$/, '$1')
          .replace(/\.$/, '');
}

/** Compares the challenger with the champion on the primary metric and lists every metric side by side. */
export function compareVersions(
  challenger: VersionDetail,
  champion: VersionDetail | null,
  settings: ModelSettings,
  /** per-example predictions of a version on a dataset (for the paired test), when it logged them */
  predictions?: (v: VersionDetail, d: DatasetLineage) => Predictions | null,
): OfflineComparison {
  const metric = settings.primaryMetric ?? null;
  const direction = settings.direction ?? (metric ? guessDirection(metric) : 'maximize');
  const minImprovement = Math.max(0, settings.minImprovement ?? 0);
  const relative = settings.relativeImprovement === true;
  const keys = [...new Set([...Object.keys(challenger.metrics), ...Object.keys(champion?.metrics ?? {})])].sort();
  const rows: MetricRow[] = keys.map(key => {
    const dir = key === metric ? direction : guessDirection(key);
    const a = champion?.metrics[key];
    const b = challenger.metrics[key];
    const has = (x: number | undefined): x is number => typeof x === 'number' && !Number.isNaN(x);
    const delta = has(a) && has(b) ? b - a : null;
    return {
      key,
      champion: has(a) ? a : null,
      challenger: has(b) ? b : null,
      delta,
      better: delta === null || delta === 0 ? null : dir === 'maximize' ? delta > 0 : delta < 0,
      direction: dir,
    };
  });
  const base = { metric, direction, minImprovement, relative, champion, challenger, rows };
  if (!metric) {
    return {
      ...base,
      championValue: null,
      challengerValue: null,
      delta: null,
      relativeDelta: null,
      passes: false,
      code: 'no-primary-metric',
      reason:
        'No primary metric is configured for this model: choose the metric (and whether higher or lower is better) that decides promotions.',
    };
  }
  const b = challenger.metrics[metric];
  const a = champion?.metrics[metric];
  const challengerValue = typeof b === 'number' && !Number.isNaN(b) ? b : null;
  const championValue = typeof a === 'number' && !Number.isNaN(a) ? a : null;
  if (challengerValue === null) {
    return {
      ...base,
      championValue,
      challengerValue,
      delta: null,
      relativeDelta: null,
      passes: false,
      code: 'no-value',
      reason: `v${challenger.version} has no value for ${metric}${b !== undefined ? ' (NaN)' : ''}.`,
    };
  }
  if (!champion) {
    return {
      ...base,
      championValue: null,
      challengerValue,
      delta: null,
      relativeDelta: null,
      passes: true,
      code: 'ok',
      reason: `There is no champion yet: v${challenger.version} (${metric} = ${fmt(challengerValue)}) becomes the first.`,
    };
  }
  if (championValue === null) {
    return {
      ...base,
      championValue,
      challengerValue,
      delta: null,
      relativeDelta: null,
      passes: false,
      code: 'champion-no-value',
      reason: `The champion v${champion.version} has no value for ${metric}, so the two cannot be compared.`,
    };
  }
  const delta = challengerValue - championValue;
  const relativeDelta = championValue !== 0 ? delta / Math.abs(championValue) : null;
  const gain = direction === 'maximize' ? delta : -delta;
  const needed = relative ? minImprovement * Math.abs(championValue) : minImprovement;
  const better = direction === 'maximize' ? 'higher' : 'lower';
  const margin =
    minImprovement > 0
      ? ` by at least ${relative ? `${(minImprovement * 100).toPrecision(3)} %` : fmt(minImprovement)}`
      : '';
  // a margin met up to rounding (0.2 − 0.18 is 0.01999999999999999 in floating point) is met
  const passes =
    Number.isFinite(gain) &&
    (minImprovement > 0 ? gain >= needed - 1e-9 * Math.max(Math.abs(needed), 1e-12) : gain > 0);
  const values = `${fmt(challengerValue)} vs ${fmt(championValue)}`;
  const vals = { ...base, championValue, challengerValue, delta, relativeDelta };
  if (!passes) {
    return {
      ...vals,
      passes,
      code: 'not-better',
      reason: `v${challenger.version} does not beat the champion v${champion.version} on ${metric}${margin}: ${values} (${better} is better).`,
    };
  }
  // comparable: evaluated on the same evaluation dataset (role and content hash)
  const shared = sharedEvaluationDataset(challenger.datasets, champion.datasets);
  if (!shared) {
    return {
      ...vals,
      passes: false,
      code: 'not-comparable',
      evidence: { shared: null, paired: null, noiseSe: null },
      reason:
        `Not comparable: v${challenger.version} (${values}) and v${champion.version} were not evaluated on the same evaluation dataset — ` +
        `v${challenger.version}: ${describeDatasets(challenger.datasets)}; v${champion.version}: ${describeDatasets(champion.datasets)}. ` +
        `Evaluate both on one test set (run.log_dataset(..., role="test") with the same data).`,
    };
  }
  const on = `on ${shared.name} (${shared.role}${shared.rows !== null ? `, ${shared.rows} rows` : ''})`;
  const alpha = settings.alpha ?? 0.05;
  const pa = predictions?.(champion, shared) ?? null;
  const pb = predictions?.(challenger, shared) ?? null;
  const paired = pa && pb ? pairedTest(metric, pa, pb, alpha) : null;
  if (paired) {
    const signed = direction === 'maximize' ? paired.difference : -paired.difference;
    const significant = paired.pValue < alpha && signed > 0;
    const test =
      paired.test === 'mcnemar-exact'
        ? `McNemar exact test (${paired.discordant!.challengerOnly} examples only v${challenger.version} gets right, ${paired.discordant!.championOnly} only v${champion.version})`
        : `paired bootstrap (${paired.resamples} resamples)`;
    const stats = `difference ${fmt(paired.difference)}, ${Math.round((1 - alpha) * 100)} % CI [${fmt(paired.ci[0])}, ${fmt(paired.ci[1])}], p = ${fmt(paired.pValue)}`;
    return significant
      ? {
          ...vals,
          passes: true,
          code: 'ok',
          evidence: { shared, paired, noiseSe: null },
          reason: `v${challenger.version} beats the champion v${champion.version} on ${metric} ${on}: ${values}; ${test}: ${stats} < α = ${alpha}.`,
        }
      : {
          ...vals,
          passes: false,
          code: 'not-significant',
          evidence: { shared, paired, noiseSe: null },
          reason: `v${challenger.version} is not significantly better than v${champion.version} on ${metric} ${on}: ${values}; ${test}: ${stats} (needs p < α = ${alpha}).`,
        };
  }
  const unit = championValue >= 0 && championValue <= 1 && challengerValue >= 0 && challengerValue <= 1;
  if (shared.rows !== null && shared.rows > 0 && unit) {
    const se = binomialSe(championValue, shared.rows);
    if (Math.abs(delta) < se) {
      return {
        ...vals,
        passes: false,
        code: 'within-noise',
        evidence: { shared, paired: null, noiseSe: se },
        reason: `Within noise: v${challenger.version} vs v${champion.version} on ${metric} ${on} is ${values}, a difference of ${fmt(delta)} — smaller than the binomial standard error ${fmt(se)} of ${shared.rows} rows (about ${Math.round(Math.abs(delta) * shared.rows)} examples). Log per-example predictions (run.log_predictions) for a paired test.`,
      };
    }
    return {
      ...vals,
      passes: true,
      code: 'ok',
      evidence: { shared, paired: null, noiseSe: se },
      reason: `v${challenger.version} beats the champion v${champion.version} on ${metric} ${on}: ${values} (${better} is better${margin}); the difference exceeds the binomial standard error ${fmt(se)} (no per-example predictions for a paired test).`,
    };
  }
  return {
    ...vals,
    passes: true,
    code: 'ok',
    evidence: { shared, paired: null, noiseSe: null },
    reason: `v${challenger.version} beats the champion v${champion.version} on ${metric} ${on}: ${values} (${better} is better${margin}); its uncertainty is unknown without per-example predictions (run.log_predictions).`,
  };
}

export type PromotionTarget = { alias: string } | { stage: 'Staging' | 'Production'; archiveExisting: boolean };

export function targetLabel(t: PromotionTarget): string {
  return 'alias' in t ? `@${t.alias}` : `stage ${t.stage}`;
}

/** The gate's checks, in the order they are made. */
export type GateCheckId = 'distinct' | 'archived' | 'run-status' | 'offline' | 'ab';

/**
 * Stable codes of the gate's outcomes (`registry promote --format json` names each failed check with one; CI may
 * match on them). A passing check has code `ok` (or `skipped`).
 */
export type GateCode =
  | 'ok'
  | 'skipped'
  | 'same-version'
  | 'archived'
  | 'run-not-finished'
  | 'run-unknown'
  | 'no-primary-metric'
  | 'no-value'
  | 'champion-no-value'
  | 'not-better'
  | 'not-comparable'
  | 'within-noise'
  | 'not-significant'
  | 'ab-not-promote'
  | 'ab-required'
  | 'ab-no-attributed-outcomes';

export interface GateCheck {
  id: GateCheckId;
  code: GateCode;
  label: string;
  ok: boolean;
  detail: string;
  skipped?: boolean;
}

export interface GateResult {
  pass: boolean;
  checks: GateCheck[];
  /** the details of the failed checks */
  failures: string[];
}

/**
 * The gate's measured error rates, as the Promote review page states them: a simulation of equal and truly
 * better challengers (bench/gate.bench.ts; guarded by test/unit/registry-gate-rates.test.ts with a fixed seed).
 */
export const GATE_ERROR_RATES =
  'Measured by simulation (npm run bench, 2000 trials, 1000 test rows at accuracy 0.85, α = 0.05): ' +
  'with per-example predictions (paired McNemar test) the gate promotes an equal challenger 1.9 % of the time and detects ' +
  'a challenger truly 3 points better (0.88) 56 % of the time; from aggregate accuracies alone (noise rule) it promotes ' +
  'an equal challenger 20 % of the time and detects the better one 91 % of the time — "higher accuracy wins" promoted equal ' +
  'challengers 50 % of the time.';

/** Run statuses that may be promoted: only a run that ended normally. */
export const PROMOTABLE_RUN_STATUS = 'FINISHED';

export function runStatusCheck(v: VersionDetail): GateCheck {
  const label = 'The run finished';
  const run = v.runName ? `${JSON.stringify(v.runName)} (${v.runId})` : (v.runId ?? '');
  if (!v.runId) {
    return {
      id: 'run-status',
      code: 'run-unknown',
      label,
      ok: false,
      detail: `v${v.version} records no run, so whether its training finished cannot be checked.`,
    };
  }
  if (v.runStatus === null) {
    return {
      id: 'run-status',
      code: 'run-unknown',
      label,
      ok: false,
      detail: `The run ${run} of v${v.version} is not in the workspace, so whether it finished cannot be checked.`,
    };
  }
  if (v.runStatus !== PROMOTABLE_RUN_STATUS) {
    const why = v.runStatusNote ? ` (${v.runStatusNote})` : v.runStatus === 'RUNNING' ? ' (it has not ended yet)' : '';
    return {
      id: 'run-status',
      code: 'run-not-finished',
      label,
      ok: false,
      detail: `The run ${run} of v${v.version} is ${v.runStatus}${why}: only a FINISHED run's model can be promoted.`,
    };
  }
  return { id: 'run-status', code: 'ok', label, ok: true, detail: `The run ${run} of v${v.version} is FINISHED.` };
}

export function evaluateGate(input: {
  comparison: OfflineComparison;
  target: PromotionTarget;
  /** the version the target points at now */
  currentVersion: number | null;
  ab: AbAnalysis | null;
  settings: ModelSettings;
  /** outcomes left out of the A/B analysis (other versions, outside the canary window) */
  abExcluded?: { count: number; detail: string; fromDefaultLog?: boolean } | null;
}): GateResult {
  const { comparison: c, target, ab, settings } = input;
  const v = c.challenger;
  const checks: GateCheck[] = [];
  const where = targetLabel(target);
  checks.push(
    input.currentVersion === v.version
      ? {
          id: 'distinct',
          code: 'same-version',
          label: 'A different version',
          ok: false,
          detail: `v${v.version} already is ${where}.`,
        }
      : {
          id: 'distinct',
          code: 'ok',
          label: 'A different version',
          ok: true,
          detail:
            input.currentVersion === null
              ? `Nothing is ${where} yet.`
              : `${where} moves from v${input.currentVersion} to v${v.version}.`,
        },
  );
  checks.push(
    v.stage === 'Archived'
      ? { id: 'archived', code: 'archived', label: 'Not archived', ok: false, detail: `v${v.version} is archived.` }
      : {
          id: 'archived',
          code: 'ok',
          label: 'Not archived',
          ok: true,
          detail: `v${v.version} is in stage ${v.stage}.`,
        },
  );
  checks.push(runStatusCheck(v));
  checks.push({
    id: 'offline',
    code: c.passes ? 'ok' : c.code,
    label: c.metric ? `Beats the champion on ${c.metric}` : 'Beats the champion on the primary metric',
    ok: c.passes,
    detail: c.reason,
  });
  const excluded = input.abExcluded && input.abExcluded.count > 0 ? ` ${input.abExcluded.detail}` : '';
  if (ab) {
    const ok = ab.verdict === 'promote';
    checks.push({
      id: 'ab',
      code: ok ? 'ok' : 'ab-not-promote',
      label: 'A/B test',
      ok,
      detail: ab.reasons.join(' ') + excluded,
    });
  } else if (input.abExcluded && input.abExcluded.count > 0 && !input.abExcluded.fromDefaultLog) {
    checks.push({
      id: 'ab',
      code: 'ab-no-attributed-outcomes',
      label: 'A/B test',
      ok: false,
      detail: `No outcome in the A/B data belongs to the versions being compared.${excluded}`,
    });
  } else if (settings.requireAb) {
    checks.push({
      id: 'ab',
      code: 'ab-required',
      label: 'A/B test',
      ok: false,
      detail: `This model requires A/B evidence before a promotion, and none was given.${excluded}`,
    });
  } else {
    const none = excluded
      ? `No logged outcome belongs to the versions being compared:${excluded}`
      : 'No A/B data was given:';
    checks.push({
      id: 'ab',
      code: 'skipped',
      label: 'A/B test',
      ok: true,
      skipped: true,
      detail: `${none} the decision rests on the offline metrics only.`,
    });
  }
  const failures = checks.filter(x => !x.ok).map(x => x.detail);
  return { pass: failures.length === 0, checks, failures };
}
