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
import type { VersionDetail } from './views';

/** Metric names that are better when lower (loss, error, latency…); anything else is better when higher. */
export function guessDirection(metric: string): Direction {
  return /(loss|error|err$|rmse|mse|mae|mape|smape|logloss|log_loss|perplexity|latency|duration|wer|cer|brier|deviance|fpr|fnr|cost)/i.test(metric) ? 'minimize' : 'maximize';
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
  reason: string;
  rows: MetricRow[];
}

function fmt(x: number): string { return Number.isInteger(x) ? String(x) : Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3 ? x.toExponential(3) : x.toPrecision(4).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, ''); }

/** Compares the challenger with the champion on the primary metric and lists every metric side by side. */
export function compareVersions(challenger: VersionDetail, champion: VersionDetail | null, settings: ModelSettings): OfflineComparison {
  const metric = settings.primaryMetric ?? null;
  const direction = settings.direction ?? (metric ? guessDirection(metric) : 'maximize');
  const minImprovement = Math.max(0, settings.minImprovement ?? 0);
  const relative = settings.relativeImprovement === true;
  const keys = [...new Set([...Object.keys(challenger.metrics), ...Object.keys(champion?.metrics ?? {})])].sort();
  const rows: MetricRow[] = keys.map(key => {
    const dir = key === metric ? direction : guessDirection(key);
    const a = champion?.metrics[key]; const b = challenger.metrics[key];
    const has = (x: number | undefined): x is number => typeof x === 'number' && !Number.isNaN(x);
    const delta = has(a) && has(b) ? b - a : null;
    return { key, champion: has(a) ? a : null, challenger: has(b) ? b : null, delta, better: delta === null || delta === 0 ? null : dir === 'maximize' ? delta > 0 : delta < 0, direction: dir };
  });
  const base = { metric, direction, minImprovement, relative, champion, challenger, rows };
  if (!metric) {
    return { ...base, championValue: null, challengerValue: null, delta: null, relativeDelta: null, passes: false, reason: 'No primary metric is configured for this model: choose the metric (and whether higher or lower is better) that decides promotions.' };
  }
  const b = challenger.metrics[metric];
  const a = champion?.metrics[metric];
  const challengerValue = typeof b === 'number' && !Number.isNaN(b) ? b : null;
  const championValue = typeof a === 'number' && !Number.isNaN(a) ? a : null;
  if (challengerValue === null) {
    return { ...base, championValue, challengerValue, delta: null, relativeDelta: null, passes: false, reason: `v${challenger.version} has no value for ${metric}${b !== undefined ? ' (NaN)' : ''}.` };
  }
  if (!champion) {
    return { ...base, championValue: null, challengerValue, delta: null, relativeDelta: null, passes: true, reason: `There is no champion yet: v${challenger.version} (${metric} = ${fmt(challengerValue)}) becomes the first.` };
  }
  if (championValue === null) {
    return { ...base, championValue, challengerValue, delta: null, relativeDelta: null, passes: false, reason: `The champion v${champion.version} has no value for ${metric}, so the two cannot be compared.` };
  }
  const delta = challengerValue - championValue;
  const relativeDelta = championValue !== 0 ? delta / Math.abs(championValue) : null;
  const gain = direction === 'maximize' ? delta : -delta;
  const needed = relative ? minImprovement * Math.abs(championValue) : minImprovement;
  const better = direction === 'maximize' ? 'higher' : 'lower';
  const margin = minImprovement > 0 ? ` by at least ${relative ? `${(minImprovement * 100).toPrecision(3)} %` : fmt(minImprovement)}` : '';
  // a margin met up to rounding (0.2 − 0.18 is 0.01999999999999999 in floating point) is met
  const passes = Number.isFinite(gain) && (minImprovement > 0 ? gain >= needed - 1e-9 * Math.max(Math.abs(needed), 1e-12) : gain > 0);
  const reason = passes
    ? `v${challenger.version} beats the champion v${champion.version} on ${metric}: ${fmt(challengerValue)} vs ${fmt(championValue)} (${better} is better${margin}).`
    : `v${challenger.version} does not beat the champion v${champion.version} on ${metric}${margin}: ${fmt(challengerValue)} vs ${fmt(championValue)} (${better} is better).`;
  return { ...base, championValue, challengerValue, delta, relativeDelta, passes, reason };
}

export type PromotionTarget = { alias: string } | { stage: 'Staging' | 'Production'; archiveExisting: boolean };

export function targetLabel(t: PromotionTarget): string { return 'alias' in t ? `@${t.alias}` : `stage ${t.stage}`; }

export interface GateCheck { id: 'distinct' | 'archived' | 'offline' | 'ab'; label: string; ok: boolean; detail: string; skipped?: boolean }

export interface GateResult {
  pass: boolean;
  checks: GateCheck[];
  /** the details of the failed checks */
  failures: string[];
}

export function evaluateGate(input: {
  comparison: OfflineComparison;
  target: PromotionTarget;
  /** the version the target points at now */
  currentVersion: number | null;
  ab: AbAnalysis | null;
  settings: ModelSettings;
}): GateResult {
  const { comparison: c, target, ab, settings } = input;
  const v = c.challenger;
  const checks: GateCheck[] = [];
  const where = targetLabel(target);
  checks.push(input.currentVersion === v.version
    ? { id: 'distinct', label: 'A different version', ok: false, detail: `v${v.version} already is ${where}.` }
    : { id: 'distinct', label: 'A different version', ok: true, detail: input.currentVersion === null ? `Nothing is ${where} yet.` : `${where} moves from v${input.currentVersion} to v${v.version}.` });
  checks.push(v.stage === 'Archived'
    ? { id: 'archived', label: 'Not archived', ok: false, detail: `v${v.version} is archived.` }
    : { id: 'archived', label: 'Not archived', ok: true, detail: `v${v.version} is in stage ${v.stage}.` });
  checks.push({ id: 'offline', label: c.metric ? `Beats the champion on ${c.metric}` : 'Beats the champion on the primary metric', ok: c.passes, detail: c.reason });
  if (ab) {
    checks.push({ id: 'ab', label: 'A/B test', ok: ab.verdict === 'promote', detail: ab.reasons.join(' ') });
  } else if (settings.requireAb) {
    checks.push({ id: 'ab', label: 'A/B test', ok: false, detail: 'This model requires A/B evidence before a promotion, and none was given.' });
  } else {
    checks.push({ id: 'ab', label: 'A/B test', ok: true, skipped: true, detail: 'No A/B data was given: the decision rests on the offline metrics only.' });
  }
  const failures = checks.filter(x => !x.ok).map(x => x.detail);
  return { pass: failures.length === 0, checks, failures };
}
