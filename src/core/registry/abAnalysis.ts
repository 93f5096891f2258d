/**
 * A/B analysis of a challenger against the champion: the statistics core (src/core/stats) put together into one
 * report with a verdict. Effects are challenger − champion throughout.
 *
 *  1. Sample-ratio mismatch: χ² goodness of fit of the arm sizes against the planned traffic split (the canary
 *     share); p < 0.001 means the assignment is broken and no result is trusted (verdict "invalid").
 *  2. Per metric: a binary (0/1) metric gets the pooled two-proportion z-test, any other Welch's t-test; the
 *     absolute difference with its interval, and the relative lift with a delta-method interval (normal for
 *     proportions, Welch df for means).
 *  3. Optionally a sequential, always-valid p-value (GrowthBook's GAVI confidence sequence, or mSPRT), so that
 *     looking at the test every day does not inflate false positives; the decision then uses it.
 *  4. Power and sample size for the smallest lift worth detecting (targetLift, relative): the minimum detectable
 *     effect now, the power now, and the total number of observations the planned split needs.
 *
 * Verdict: "invalid" on a sample-ratio mismatch; "keep-champion" when the primary metric is significantly worse,
 * when any guardrail is significantly worse, or when there is enough data to see the target lift and none is
 * significant; "promote" when the primary metric is significantly better and no guardrail is significantly worse;
 * otherwise "not-enough-data", with about how many more observations are needed.
 */
import {
  ArmSummary,
  StatsInputError,
  gaviSequentialTest,
  minimumDetectableEffect,
  msprt,
  msprtBernoulliVariance,
  msprtTau2,
  normalPpf,
  powerFromStandardError,
  proportionArm,
  relativeLift,
  sampleRatioMismatch,
  twoProportionZTest,
  welchTTest,
} from '../stats';
import type { Direction } from './state';

export type ArmName = 'champion' | 'challenger';

export interface ProportionArm {
  successes: number;
  n: number;
}

export type AbMetricData =
  | { kind: 'proportion'; champion: ProportionArm; challenger: ProportionArm }
  | { kind: 'mean'; champion: ArmSummary; challenger: ArmSummary };

export interface AbMetricInput {
  name: string;
  role: 'primary' | 'guardrail';
  /** which way is better for this metric */
  direction: Direction;
  data: AbMetricData;
}

export interface AbOptions {
  /** significance level (default 0.05) */
  alpha?: number;
  /** power the sample size is planned for (default 0.8) */
  power?: number;
  /** smallest relative lift worth detecting (default 0.05 = 5 %) */
  targetLift?: number;
  /** the challenger's planned traffic share (default 0.5) */
  challengerShare?: number;
  /** the sample-ratio check's significance level (default 0.001) */
  srmAlpha?: number;
  sequential?: 'none' | 'gavi' | 'msprt';
}

export type AbVerdict = 'promote' | 'keep-champion' | 'not-enough-data' | 'invalid';

export interface AbArmResult {
  name: ArmName;
  n: number;
  mean: number;
  sd: number | null;
  successes?: number;
}

export interface AbMetricResult {
  name: string;
  role: 'primary' | 'guardrail';
  direction: Direction;
  kind: 'proportion' | 'mean';
  test: 'two-proportion z-test' | "Welch's t-test";
  arms: [AbArmResult, AbArmResult];
  statistic: number;
  df: number | null;
  /** fixed-horizon two-sided p-value */
  pValue: number;
  /** challenger − champion */
  difference: number;
  standardError: number;
  ci: [number, number];
  lift: { value: number; ci: [number, number]; pValue: number } | null;
  sequential: { method: 'gavi' | 'msprt'; pValue: number; ci: [number, number] | null } | null;
  /** the p-value the decision uses (sequential when enabled) */
  decisionPValue: number;
  significant: boolean;
  outcome: 'better' | 'worse' | 'inconclusive';
  /** power to detect the target lift with the data so far (null when the champion's mean or variance is 0) */
  power: number | null;
  /** smallest absolute effect detectable now at the planned power */
  mde: number;
  /** mde relative to the champion's mean */
  mdeRelative: number | null;
  /** observations (both arms) the planned split needs to detect the target lift */
  requiredTotal: number | null;
  /** how many more observations that is (0 when there are enough) */
  moreNeeded: number | null;
}

export interface SrmResult {
  counts: [number, number];
  expectedShare: number;
  observedShare: number;
  statistic: number;
  pValue: number;
  mismatch: boolean;
}

export interface AbAnalysis {
  options: Required<AbOptions>;
  srm: SrmResult;
  metrics: AbMetricResult[];
  verdict: AbVerdict;
  /** one sentence: the verdict and why */
  headline: string;
  reasons: string[];
}

export const DEFAULT_AB_OPTIONS: Required<AbOptions> = {
  alpha: 0.05,
  power: 0.8,
  targetLift: 0.05,
  challengerShare: 0.5,
  srmAlpha: 0.001,
  sequential: 'none',
};

export function resolveAbOptions(o: AbOptions = {}): Required<AbOptions> {
  const r = { ...DEFAULT_AB_OPTIONS };
  for (const [k, v] of Object.entries(o)) {
    if (v !== undefined && v !== null) {
      (r as Record<string, unknown>)[k] = v;
    }
  }
  if (!(r.alpha > 0 && r.alpha < 1)) {
    throw new StatsInputError(`alpha must be between 0 and 1 (got ${r.alpha})`);
  }
  if (!(r.power > 0 && r.power < 1)) {
    throw new StatsInputError(`power must be between 0 and 1 (got ${r.power})`);
  }
  if (!(r.targetLift > 0)) {
    throw new StatsInputError(`the target lift must be positive (got ${r.targetLift})`);
  }
  if (!(r.challengerShare > 0 && r.challengerShare < 1)) {
    throw new StatsInputError(`the challenger's traffic share must be between 0 and 1 (got ${r.challengerShare})`);
  }
  if (!(r.srmAlpha > 0 && r.srmAlpha < 1)) {
    throw new StatsInputError(`the sample-ratio check's alpha must be between 0 and 1 (got ${r.srmAlpha})`);
  }
  if (!['none', 'gavi', 'msprt'].includes(r.sequential)) {
    throw new StatsInputError(`sequential must be none, gavi or msprt (got ${String(r.sequential)})`);
  }
  return r;
}

function armSummaries(d: AbMetricData): [ArmSummary, ArmSummary] {
  if (d.kind === 'proportion') {
    return [proportionArm(d.champion.successes, d.champion.n), proportionArm(d.challenger.successes, d.challenger.n)];
  }
  return [d.champion, d.challenger];
}

/** The arm sizes of a metric (champion, challenger). */
export function armCounts(d: AbMetricData): [number, number] {
  return [d.champion.n, d.challenger.n];
}

function checkMeanArm(a: ArmSummary, what: string): void {
  if (!(Number.isInteger(a.n) && a.n >= 2)) {
    throw new StatsInputError(`the ${what} arm needs at least 2 observations (got ${a.n})`);
  }
  if (!Number.isFinite(a.mean)) {
    throw new StatsInputError(`the ${what} arm's mean must be a finite number`);
  }
  if (!(a.variance >= 0) || !Number.isFinite(a.variance)) {
    throw new StatsInputError(`the ${what} arm's variance must be a non-negative number`);
  }
}

/** Analyses one metric (no verdict): the test, the lift, the sequential p-value, power and sample size. */
export function analyzeMetric(input: AbMetricInput, opts: Required<AbOptions>): AbMetricResult {
  const d = input.data;
  const alpha = opts.alpha;
  let statistic: number;
  let df: number | null;
  let pValue: number;
  let difference: number;
  let se: number;
  let ci: [number, number];
  if (d.kind === 'proportion') {
    const z = twoProportionZTest(d.champion, d.challenger, { alpha });
    ({ statistic, pValue, difference, standardError: se, ci } = z);
    df = null;
  } else {
    checkMeanArm(d.champion, 'champion');
    checkMeanArm(d.challenger, 'challenger');
    const w = welchTTest(d.champion, d.challenger, { alpha });
    ({ statistic, pValue, difference, standardError: se, ci, df } = w);
  }
  const [a, b] = armSummaries(d);
  let lift: AbMetricResult['lift'] = null;
  if (a.mean !== 0) {
    const l = relativeLift(a, b, { alpha, df: d.kind === 'proportion' ? 'normal' : 'welch' });
    lift = { value: l.lift, ci: l.ci, pValue: l.pValue };
  }

  // Power and sample size for the target lift, planned with the champion's variance in both arms.
  const s = opts.challengerShare;
  const nTotal = a.n + b.n;
  const v0 = a.variance > 0 ? a.variance : b.variance;
  const seNow = Math.sqrt(v0 / a.n + v0 / b.n);
  const mde = seNow > 0 ? minimumDetectableEffect(seNow, { alpha, power: opts.power }) : 0;
  const target = Math.abs(a.mean) * opts.targetLift;
  let power: number | null = null;
  let requiredTotal: number | null = null;
  let moreNeeded: number | null = null;
  if (target > 0 && v0 > 0) {
    power = powerFromStandardError(target, seNow, { alpha });
    const z = normalPpf(1 - alpha / 2) + normalPpf(opts.power);
    requiredTotal = Math.ceil((v0 * (1 / (1 - s) + 1 / s) * z * z) / (target * target));
    moreNeeded = Math.max(0, requiredTotal - nTotal);
  }

  let sequential: AbMetricResult['sequential'] = null;
  if (opts.sequential === 'gavi' && se > 0) {
    const g = gaviSequentialTest({ estimate: difference, standardError: se, n: nTotal, alpha });
    sequential = { method: 'gavi', pValue: g.pValue, ci: g.ci };
  } else if (opts.sequential === 'msprt') {
    const V = d.kind === 'proportion' ? msprtBernoulliVariance(a.mean, b.mean) : a.variance + b.variance;
    if (V > 0) {
      const n = Math.min(a.n, b.n);
      const horizon = requiredTotal ? Math.max(n, Math.ceil(requiredTotal / 2)) : n;
      const tau2 = msprtTau2({ sigma2: V / 2, horizon, alpha });
      const m = msprt({ estimate: difference, n, V, tau2, alpha });
      sequential = { method: 'msprt', pValue: m.pValue, ci: null };
    }
  }
  const decisionPValue = sequential ? sequential.pValue : pValue;
  const significant = decisionPValue < alpha && difference !== 0;
  const good = input.direction === 'maximize' ? difference > 0 : difference < 0;
  const sd = (x: ArmSummary) => (Number.isFinite(x.variance) ? Math.sqrt(x.variance) : null);
  const arms: [AbArmResult, AbArmResult] =
    d.kind === 'proportion'
      ? [
          { name: 'champion', n: a.n, mean: a.mean, sd: sd(a), successes: d.champion.successes },
          { name: 'challenger', n: b.n, mean: b.mean, sd: sd(b), successes: d.challenger.successes },
        ]
      : [
          { name: 'champion', n: a.n, mean: a.mean, sd: sd(a) },
          { name: 'challenger', n: b.n, mean: b.mean, sd: sd(b) },
        ];
  return {
    name: input.name,
    role: input.role,
    direction: input.direction,
    kind: d.kind,
    test: d.kind === 'proportion' ? 'two-proportion z-test' : "Welch's t-test",
    arms,
    statistic,
    df,
    pValue,
    difference,
    standardError: se,
    ci,
    lift,
    sequential,
    decisionPValue,
    significant,
    outcome: significant ? (good ? 'better' : 'worse') : 'inconclusive',
    power,
    mde,
    mdeRelative: a.mean !== 0 ? mde / Math.abs(a.mean) : null,
    requiredTotal,
    moreNeeded,
  };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(Math.abs(x) < 0.1 ? 2 : 1)} %`;
}
function pfmt(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

/** The full analysis: SRM check, every metric, the verdict and its reasons. Exactly one metric must be primary. */
export function analyzeAb(metrics: readonly AbMetricInput[], options: AbOptions = {}): AbAnalysis {
  const opts = resolveAbOptions(options);
  const primaries = metrics.filter(m => m.role === 'primary');
  if (primaries.length !== 1) {
    throw new StatsInputError(`an A/B analysis needs exactly one primary metric (got ${primaries.length})`);
  }
  const primaryInput = primaries[0];
  const counts = armCounts(primaryInput.data);
  const chi = sampleRatioMismatch(counts, [1 - opts.challengerShare, opts.challengerShare]);
  const srm: SrmResult = {
    counts,
    expectedShare: opts.challengerShare,
    observedShare: counts[1] / (counts[0] + counts[1]),
    statistic: chi.statistic,
    pValue: chi.pValue,
    mismatch: chi.pValue < opts.srmAlpha,
  };
  const results = [primaryInput, ...metrics.filter(m => m.role === 'guardrail')].map(m => analyzeMetric(m, opts));
  const primary = results[0];
  const guardrails = results.slice(1);
  const reasons: string[] = [];
  let verdict: AbVerdict;
  const effect = primary.lift
    ? `${primary.lift.value >= 0 ? '+' : ''}${pct(primary.lift.value)}`
    : `${primary.difference >= 0 ? '+' : ''}${primary.difference.toPrecision(4)}`;
  const pText = `${primary.sequential ? `always-valid p = ${pfmt(primary.decisionPValue)}` : `p = ${pfmt(primary.pValue)}`}`;
  const worseGuardrails = guardrails.filter(g => g.outcome === 'worse');
  if (srm.mismatch) {
    verdict = 'invalid';
    reasons.push(
      `Sample-ratio mismatch: the challenger got ${pct(srm.observedShare)} of ${counts[0] + counts[1]} observations where ${pct(srm.expectedShare)} was planned (χ² p = ${pfmt(srm.pValue)} < ${opts.srmAlpha}). The assignment is broken, so no result can be trusted; fix the routing and restart the test.`,
    );
  } else if (primary.outcome === 'worse') {
    verdict = 'keep-champion';
    reasons.push(`The challenger is significantly worse on ${primary.name} (${effect}, ${pText}).`);
  } else if (worseGuardrails.length) {
    verdict = 'keep-champion';
    if (primary.outcome === 'better') {
      reasons.push(`The challenger is better on ${primary.name} (${effect}, ${pText}), but a guardrail got worse.`);
    }
    for (const g of worseGuardrails) {
      reasons.push(
        `Guardrail ${g.name} is significantly worse (difference ${g.difference >= 0 ? '+' : ''}${g.difference.toPrecision(4)}, p = ${pfmt(g.decisionPValue)}).`,
      );
    }
  } else if (primary.outcome === 'better') {
    verdict = 'promote';
    reasons.push(`The challenger is significantly better on ${primary.name}: ${effect} (${pText} < ${opts.alpha}).`);
    if (guardrails.length) {
      reasons.push(`No guardrail is significantly worse (${guardrails.map(g => g.name).join(', ')}).`);
    }
  } else if (primary.moreNeeded !== null && primary.moreNeeded === 0) {
    verdict = 'keep-champion';
    reasons.push(
      `No significant difference on ${primary.name} (${effect}, ${pText}) although the test has enough data to detect a ${pct(opts.targetLift)} lift (power ${pct(primary.power ?? 0)}): the challenger is not better by the lift that matters.`,
    );
  } else {
    verdict = 'not-enough-data';
    const more = primary.moreNeeded;
    reasons.push(`No significant difference on ${primary.name} yet (${effect}, ${pText}).`);
    if (more !== null) {
      reasons.push(
        `Keep collecting: about ${more.toLocaleString('en-US')} more observations (${primary.requiredTotal!.toLocaleString('en-US')} in all at a ${pct(opts.challengerShare)} challenger share) are needed to detect a ${pct(opts.targetLift)} lift with ${pct(opts.power)} power; power now is ${pct(primary.power ?? 0)}.`,
      );
    } else {
      reasons.push(
        'The champion arm has no variance (or a zero mean), so the sample size cannot be planned; collect more data.',
      );
    }
  }
  const headline = {
    promote: 'Challenger wins: promote.',
    'keep-champion': 'Keep the champion.',
    'not-enough-data': 'Not enough data yet: keep collecting.',
    invalid: 'Invalid experiment (sample-ratio mismatch).',
  }[verdict];
  return { options: opts, srm, metrics: results, verdict, headline: `${headline} ${reasons[0]}`, reasons };
}
