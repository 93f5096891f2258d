/**
 * A/B statistics for a challenger (treatment, B) against the champion (control, A). Every effect is B − A.
 * Definitions (research notes §5; GrowthBook gbstats for the delta method, power and sequential tests):
 *
 *  - Two-proportion z: z = (p̂B − p̂A)/√(P(1−P)(1/nA + 1/nB)) with P pooled; two-sided p = 2Φ(−|z|). The
 *    confidence interval for p̂B − p̂A uses the unpooled SE √(p̂A(1−p̂A)/nA + p̂B(1−p̂B)/nB).
 *  - Welch's t: t = (x̄B − x̄A)/√(sB²/nB + sA²/nA) (s² with ddof 1), Welch–Satterthwaite
 *    df = (sB²/nB + sA²/nA)² / (sB⁴/(nB²(nB−1)) + sA⁴/(nA²(nA−1))), p from Student's t — scipy
 *    ttest_ind(b, a, equal_var=False). CI: difference ± t_{1−α/2, df}·SE.
 *  - Relative lift (delta method): Δ = (μB − μA)/μA, Var(Δ) = σB²/(μA² nB) + σA² μB²/(μA⁴ nA), CI and p-value
 *    from Student's t with the Welch df (GrowthBook's TwoSidedTTest with relative difference).
 *  - Sample size per arm for two proportions (two-sided):
 *    n = (z_{1−α/2}√(2p̄(1−p̄)) + z_{1−β}√(p0(1−p0) + p1(1−p1)))² / (p1 − p0)², p̄ = (p0 + p1)/2.
 *  - Power for an effect Δ with standard error σΔ: 1 − Φ(z_{1−α/2} − Δ/σΔ) + Φ(z_{α/2} − Δ/σΔ);
 *    MDE = (z_{1−α/2} + z_{power})·σΔ (GrowthBook power-technical).
 *  - Sample-ratio mismatch: chi-square goodness of fit of the arm counts against the configured traffic shares.
 *  - Sequential, GrowthBook's GAVI confidence sequences (Howard et al. 2021): ρ = √((−2 ln α + ln(−2 ln α + 1))/S),
 *    S = 5000; with N = nA + nB and s² = SE²·N, halfwidth = s·√(2(Nρ²+1) ln(√(Nρ²+1)/α)/(Nρ)²);
 *    always-valid p = min(1, √(Nρ²+1)·exp(−ρ²(Δ̂²N/SE²)/(2(Nρ²+1)))).
 *  - Sequential, mSPRT with a normal mixture (Johari, Koomen, Pekelis & Walsh 2017): with n paired observations
 *    per arm, θ̂ = ȲB − ȲA and V = 2σ² (Bernoulli: p̄A(1−p̄A) + p̄B(1−p̄B)),
 *    Λn = √(V/(V+nτ²))·exp(n²τ²(θ̂−θ0)²/(2V(V+nτ²))); p_n = min(p_{n−1}, 1/Λn); reject when Λn ≥ 1/α.
 *    τ² tuned to a horizon M: τ² = σ²Φ(−b)/(φ(b)/b − Φ(−b)), b = 2 ln(1/α)/√(Mσ²).
 */
import { normalCdf, normalPdf, normalPpf, normalSf, studentTPpf, studentTSf } from './distributions';
import { StatsInputError } from './errors';
import { chiSquareGoodnessOfFit, ChiSquareResult } from './drift';
import { asNumeric, DroppedCounts, NumericInput, sum, variance } from './sample';
import type { Alternative } from './ks';

/** One arm's summary: size, mean and variance (sample variance, ddof 1, unless stated otherwise). */
export interface ArmSummary {
  n: number;
  mean: number;
  variance: number;
}

/** n, mean and sample variance (ddof 1) of the finite values; NaN/±∞ are dropped and counted. */
export function summarize(values: NumericInput, what = 'sample'): ArmSummary & { dropped: DroppedCounts } {
  const s = asNumeric(values, what);
  return { n: s.n, mean: sum(s.sorted) / s.n, variance: s.n > 1 ? variance(s.sorted, 1) : NaN, dropped: s.dropped };
}

/** A binary metric as an arm summary with GrowthBook's variance p(1 − p) (ddof 0). */
export function proportionArm(successes: number, n: number): ArmSummary {
  checkCounts(successes, n, 'arm');
  const p = successes / n;
  return { n, mean: p, variance: p * (1 - p) };
}

function checkCounts(x: number, n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new StatsInputError(`the ${what} needs a positive whole number of observations (got ${n})`);
  }
  if (!Number.isInteger(x) || x < 0 || x > n) {
    throw new StatsInputError(
      `the ${what} has ${x} successes out of ${n}; successes must be a whole number between 0 and n`,
    );
  }
}

function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) {
    throw new StatsInputError(`alpha must be between 0 and 1 (got ${alpha})`);
  }
}

function checkAlternative(a: Alternative): void {
  if (a !== 'two-sided' && a !== 'less' && a !== 'greater') {
    throw new StatsInputError(`unknown alternative "${String(a)}" (use two-sided, less or greater)`);
  }
}

export interface TestOptions {
  /** 'greater': the challenger is better (B > A); 'less': B < A. Default two-sided. */
  alternative?: Alternative;
  /** 1 − confidence level of the interval (default 0.05). */
  alpha?: number;
}

/** p-value of a statistic with survival function sf and symmetric distribution. */
function pFromStat(stat: number, alternative: Alternative, sf: (x: number) => number): number {
  if (Number.isNaN(stat)) {
    return NaN;
  }
  if (alternative === 'greater') {
    return sf(stat);
  }
  if (alternative === 'less') {
    return sf(-stat);
  }
  return Math.min(1, 2 * sf(Math.abs(stat)));
}

function interval(
  center: number,
  se: number,
  alternative: Alternative,
  alpha: number,
  quantile: (p: number) => number,
): [number, number] {
  if (alternative === 'two-sided') {
    const h = quantile(1 - alpha / 2) * se;
    return [center - h, center + h];
  }
  const h = quantile(1 - alpha) * se;
  return alternative === 'greater' ? [center - h, Infinity] : [-Infinity, center + h];
}

export interface ProportionTestResult {
  /** Pooled z statistic. */
  statistic: number;
  pValue: number;
  pControl: number;
  pTreatment: number;
  /** p̂B − p̂A */
  difference: number;
  /** Unpooled standard error of the difference (used for the interval). */
  standardError: number;
  pooledStandardError: number;
  ci: [number, number];
  alternative: Alternative;
  alpha: number;
}

/**
 * Pooled two-proportion z-test of treatment against control. When both arms are all successes or all failures
 * the statistic is 0 and p = 1 (no evidence either way).
 */
export function twoProportionZTest(
  control: { successes: number; n: number },
  treatment: { successes: number; n: number },
  options: TestOptions = {},
): ProportionTestResult {
  const alternative = options.alternative ?? 'two-sided';
  const alpha = options.alpha ?? 0.05;
  checkAlternative(alternative);
  checkAlpha(alpha);
  checkCounts(control.successes, control.n, 'control arm');
  checkCounts(treatment.successes, treatment.n, 'treatment arm');
  const nA = control.n;
  const nB = treatment.n;
  const pA = control.successes / nA;
  const pB = treatment.successes / nB;
  const P = (control.successes + treatment.successes) / (nA + nB);
  const pooledSe = Math.sqrt(P * (1 - P) * (1 / nA + 1 / nB));
  const difference = pB - pA;
  const z = pooledSe === 0 ? 0 : difference / pooledSe;
  const se = Math.sqrt((pA * (1 - pA)) / nA + (pB * (1 - pB)) / nB);
  return {
    statistic: z,
    pValue: pFromStat(z, alternative, normalSf),
    pControl: pA,
    pTreatment: pB,
    difference,
    standardError: se,
    pooledStandardError: pooledSe,
    ci: interval(difference, se, alternative, alpha, normalPpf),
    alternative,
    alpha,
  };
}

export interface WelchResult {
  statistic: number;
  df: number;
  pValue: number;
  /** x̄B − x̄A */
  difference: number;
  standardError: number;
  ci: [number, number];
  alternative: Alternative;
  alpha: number;
  control: ArmSummary;
  treatment: ArmSummary;
}

function toArm(x: ArmSummary | NumericInput, what: string): ArmSummary {
  const a = x as Partial<ArmSummary>;
  if (typeof a.n === 'number' && typeof a.mean === 'number' && typeof a.variance === 'number') {
    return { n: a.n, mean: a.mean, variance: a.variance };
  }
  const s = summarize(x as NumericInput, what);
  return { n: s.n, mean: s.mean, variance: s.variance };
}

/** Welch–Satterthwaite degrees of freedom of two arms (NaN when both variances are 0). */
export function welchDf(a: ArmSummary, b: ArmSummary): number {
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  return ((va + vb) * (va + vb)) / ((vb * vb) / (b.n - 1) + (va * va) / (a.n - 1));
}

/**
 * Welch's unequal-variance t-test of treatment against control, from raw values or summaries (variance ddof 1).
 * Needs at least two observations per arm. With both variances 0, df is taken as 1 (as scipy does) so a non-zero
 * difference gives t = ±∞, p = 0, and no difference gives t = NaN, p = NaN.
 */
export function welchTTest(
  control: ArmSummary | NumericInput,
  treatment: ArmSummary | NumericInput,
  options: TestOptions = {},
): WelchResult {
  const alternative = options.alternative ?? 'two-sided';
  const alpha = options.alpha ?? 0.05;
  checkAlternative(alternative);
  checkAlpha(alpha);
  const a = toArm(control, 'control arm');
  const b = toArm(treatment, 'treatment arm');
  for (const [arm, what] of [
    [a, 'control'],
    [b, 'treatment'],
  ] as const) {
    if (!(arm.n >= 2)) {
      throw new StatsInputError(`Welch's t-test needs at least 2 values in the ${what} arm (got ${arm.n})`);
    }
    if (!(arm.variance >= 0)) {
      throw new StatsInputError(`the ${what} arm's variance must be a non-negative number`);
    }
  }
  const se = Math.sqrt(a.variance / a.n + b.variance / b.n);
  const difference = b.mean - a.mean;
  let df = welchDf(a, b);
  if (Number.isNaN(df)) {
    df = 1;
  }
  const t = difference / se;
  return {
    statistic: t,
    df,
    pValue: pFromStat(t, alternative, x => studentTSf(x, df)),
    difference,
    standardError: se,
    ci: interval(difference, se, alternative, alpha, p => studentTPpf(p, df)),
    alternative,
    alpha,
    control: a,
    treatment: b,
  };
}

export interface LiftResult {
  /** (μB − μA)/μA */
  lift: number;
  standardError: number;
  df: number;
  statistic: number;
  pValue: number;
  ci: [number, number];
  alternative: Alternative;
  alpha: number;
}

/**
 * Relative lift of treatment over control with a delta-method interval (GrowthBook). `df`: 'welch' (default)
 * uses the Welch–Satterthwaite df of the arms, 'normal' uses z, a number fixes it. For proportions pass
 * proportionArm(...) summaries. Throws when the control mean is 0 (the lift is undefined).
 */
export function relativeLift(
  control: ArmSummary | NumericInput,
  treatment: ArmSummary | NumericInput,
  options: TestOptions & { df?: 'welch' | 'normal' | number } = {},
): LiftResult {
  const alternative = options.alternative ?? 'two-sided';
  const alpha = options.alpha ?? 0.05;
  checkAlternative(alternative);
  checkAlpha(alpha);
  const a = toArm(control, 'control arm');
  const b = toArm(treatment, 'treatment arm');
  if (a.mean === 0) {
    throw new StatsInputError('the relative lift is undefined when the control mean is 0');
  }
  const muA = a.mean;
  const muB = b.mean;
  const lift = (muB - muA) / muA;
  const v = b.variance / (muA * muA * b.n) + (a.variance * muB * muB) / (muA ** 4 * a.n);
  const se = Math.sqrt(v);
  let df: number;
  if (options.df === 'normal') {
    df = Infinity;
  } else if (typeof options.df === 'number') {
    df = options.df;
  } else {
    df = a.n <= 1 || b.n <= 1 || a.variance === 0 || b.variance === 0 ? 1 : welchDf(a, b);
  }
  const statistic = se === 0 ? (lift === 0 ? 0 : Math.sign(lift) * Infinity) : lift / se;
  return {
    lift,
    standardError: se,
    df,
    statistic,
    pValue: pFromStat(statistic, alternative, x => studentTSf(x, df)),
    ci: interval(lift, se, alternative, alpha, p => studentTPpf(p, df)),
    alternative,
    alpha,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Power and sample size

export interface PowerOptions {
  alpha?: number;
  power?: number;
  alternative?: 'two-sided' | 'one-sided';
}

function zAlpha(alpha: number, alternative: 'two-sided' | 'one-sided'): number {
  return normalPpf(1 - (alternative === 'two-sided' ? alpha / 2 : alpha));
}

function checkProbability(p: number, what: string): void {
  if (!(p > 0 && p < 1)) {
    throw new StatsInputError(`${what} must be strictly between 0 and 1 (got ${p})`);
  }
}

/** Required observations per arm to detect p0 → p1 (formula above); `perArm` is exact, `perArmCeil` rounded up. */
export function sampleSizeTwoProportions(
  p0: number,
  p1: number,
  options: PowerOptions = {},
): { perArm: number; perArmCeil: number } {
  const alpha = options.alpha ?? 0.05;
  const power = options.power ?? 0.8;
  checkProbability(p0, 'the baseline rate');
  checkProbability(p1, 'the expected rate');
  checkAlpha(alpha);
  checkProbability(power, 'power');
  if (p0 === p1) {
    throw new StatsInputError('the two rates are equal, so no sample size can detect a difference');
  }
  const za = zAlpha(alpha, options.alternative ?? 'two-sided');
  const zb = normalPpf(power);
  const pbar = (p0 + p1) / 2;
  const num = za * Math.sqrt(2 * pbar * (1 - pbar)) + zb * Math.sqrt(p0 * (1 - p0) + p1 * (1 - p1));
  const perArm = (num * num) / ((p1 - p0) * (p1 - p0));
  return { perArm, perArmCeil: Math.ceil(perArm) };
}

/**
 * Power of the two-sided two-proportion test with nPerArm per arm, the inverse of sampleSizeTwoProportions
 * (pooled variance under H0, unpooled under H1), counting both rejection tails.
 */
export function powerTwoProportions(
  p0: number,
  p1: number,
  nPerArm: number,
  options: Omit<PowerOptions, 'power'> = {},
): number {
  const alpha = options.alpha ?? 0.05;
  checkProbability(p0, 'the baseline rate');
  checkProbability(p1, 'the expected rate');
  checkAlpha(alpha);
  if (!(nPerArm > 0)) {
    throw new StatsInputError('the sample size per arm must be positive');
  }
  const alt = options.alternative ?? 'two-sided';
  const za = zAlpha(alpha, alt);
  const pbar = (p0 + p1) / 2;
  const s0 = Math.sqrt(2 * pbar * (1 - pbar));
  const s1 = Math.sqrt(p0 * (1 - p0) + p1 * (1 - p1));
  const d = Math.abs(p1 - p0) * Math.sqrt(nPerArm);
  const main = normalCdf((d - za * s0) / s1);
  return alt === 'two-sided' ? main + normalCdf((-d - za * s0) / s1) : main;
}

/** Two-sided power to detect an effect with the given standard error: 1 − Φ(z_{1−α/2} − Δ/σ) + Φ(z_{α/2} − Δ/σ). */
export function powerFromStandardError(
  effect: number,
  standardError: number,
  options: { alpha?: number } = {},
): number {
  const alpha = options.alpha ?? 0.05;
  checkAlpha(alpha);
  if (!(standardError > 0)) {
    throw new StatsInputError('the standard error must be positive');
  }
  const z = normalPpf(1 - alpha / 2);
  const r = effect / standardError;
  return normalSf(z - r) + normalCdf(-z - r);
}

/** Minimum detectable effect (two-sided): (z_{1−α/2} + z_{power})·σΔ. */
export function minimumDetectableEffect(
  standardError: number,
  options: { alpha?: number; power?: number } = {},
): number {
  const alpha = options.alpha ?? 0.05;
  const power = options.power ?? 0.8;
  checkAlpha(alpha);
  checkProbability(power, 'power');
  return (normalPpf(1 - alpha / 2) + normalPpf(power)) * standardError;
}

/** Observations per arm to detect a mean difference δ with common standard deviation σ: 2σ²(z_α + z_β)²/δ². */
export function sampleSizeMeans(
  delta: number,
  sd: number,
  options: PowerOptions = {},
): { perArm: number; perArmCeil: number } {
  const alpha = options.alpha ?? 0.05;
  const power = options.power ?? 0.8;
  checkAlpha(alpha);
  checkProbability(power, 'power');
  if (!(sd > 0)) {
    throw new StatsInputError('the standard deviation must be positive');
  }
  if (delta === 0 || !Number.isFinite(delta)) {
    throw new StatsInputError('the difference to detect must be a non-zero number');
  }
  const z = zAlpha(alpha, options.alternative ?? 'two-sided') + normalPpf(power);
  const perArm = (2 * sd * sd * z * z) / (delta * delta);
  return { perArm, perArmCeil: Math.ceil(perArm) };
}

/**
 * Sample-ratio mismatch: chi-square goodness of fit of the observed arm counts against the expected traffic
 * shares (any positive weights; they are normalized, so [0.95, 0.05] and [95, 5] are the same).
 */
export function sampleRatioMismatch(counts: ArrayLike<number>, expectedShares: ArrayLike<number>): ChiSquareResult {
  if (counts.length !== expectedShares.length || counts.length < 2) {
    throw new StatsInputError('give one expected share per arm, for at least two arms');
  }
  const total = sum(counts);
  const shareSum = sum(expectedShares);
  for (let i = 0; i < counts.length; i++) {
    if (!Number.isInteger(counts[i]) || counts[i] < 0) {
      throw new StatsInputError('arm counts must be non-negative whole numbers');
    }
    if (!(expectedShares[i] > 0)) {
      throw new StatsInputError('expected traffic shares must be positive');
    }
  }
  if (total === 0) {
    throw new StatsInputError('there are no observations to check');
  }
  const expected = Array.from(expectedShares, s => (total * s) / shareSum);
  return chiSquareGoodnessOfFit(counts, expected);
}

// ---------------------------------------------------------------------------------------------------------------
// Sequential tests

/** GrowthBook's ρ for the GAVI confidence sequence; one-sided tests use 2α. */
export function gaviRho(alpha = 0.05, tuning = 5000, twoSided = true): number {
  checkAlpha(alpha);
  const a = twoSided ? alpha : 2 * alpha;
  return Math.sqrt((-2 * Math.log(a) + Math.log(-2 * Math.log(a) + 1)) / tuning);
}

export interface GaviResult {
  rho: number;
  halfwidth: number;
  ci: [number, number];
  /** Always-valid p-value: may be checked after every batch without inflating false positives. */
  pValue: number;
}

/**
 * Two-sided always-valid confidence sequence and p-value for an effect estimate (GrowthBook sequential testing).
 * `n` is the total number of observations in both arms; `standardError` the fixed-horizon SE of the estimate.
 */
export function gaviSequentialTest(input: {
  estimate: number;
  standardError: number;
  n: number;
  alpha?: number;
  tuning?: number;
}): GaviResult {
  const alpha = input.alpha ?? 0.05;
  const tuning = input.tuning ?? 5000;
  const { estimate, standardError: se, n } = input;
  if (!(n > 0)) {
    throw new StatsInputError('the number of observations must be positive');
  }
  if (!(se > 0)) {
    throw new StatsInputError('the standard error must be positive');
  }
  if (!(tuning > 0)) {
    throw new StatsInputError('the tuning parameter must be positive');
  }
  const rho = gaviRho(alpha, tuning, true);
  const s2 = se * se * n;
  const tr2p1 = n * rho * rho + 1;
  const halfwidth = Math.sqrt(s2) * Math.sqrt((2 * tr2p1 * Math.log(Math.sqrt(tr2p1) / alpha)) / (n * rho) ** 2);
  const st2 = (estimate * estimate * n) / (se * se);
  const pValue = Math.min(1, Math.sqrt(tr2p1) * Math.exp(-(rho * rho * st2) / (2 * tr2p1)));
  return { rho, halfwidth, ci: [estimate - halfwidth, estimate + halfwidth], pValue };
}

export interface MsprtResult {
  /** The mixture likelihood ratio Λn. */
  lambda: number;
  /** 1/Λn capped at 1 (for a running p-value take the minimum over looks; see msprtPath). */
  pValue: number;
  reject: boolean;
}

/**
 * mSPRT statistic for the difference of means with n observations per arm. V is the variance of a paired
 * difference (2σ² for a common σ², or msprtBernoulliVariance), τ² the mixing variance (msprtTau2).
 */
export function msprt(input: {
  estimate: number;
  n: number;
  V: number;
  tau2: number;
  theta0?: number;
  alpha?: number;
}): MsprtResult {
  const alpha = input.alpha ?? 0.05;
  checkAlpha(alpha);
  const { estimate, n, V, tau2 } = input;
  const theta0 = input.theta0 ?? 0;
  if (!(n > 0)) {
    throw new StatsInputError('the number of observations per arm must be positive');
  }
  if (!(V > 0)) {
    throw new StatsInputError('the variance V must be positive');
  }
  if (!(tau2 > 0)) {
    throw new StatsInputError('the mixing variance tau² must be positive');
  }
  const denom = V + n * tau2;
  const d = estimate - theta0;
  const logLambda = 0.5 * Math.log(V / denom) + (n * n * tau2 * d * d) / (2 * V * denom);
  const lambda = Math.exp(logLambda);
  return { lambda, pValue: Math.min(1, Math.exp(-logLambda)), reject: logLambda >= -Math.log(alpha) };
}

/** Running always-valid p-values over successive looks: p_n = min(p_{n−1}, 1/Λn). */
export function msprtPath(
  looks: ReadonlyArray<{ estimate: number; n: number; V: number }>,
  tau2: number,
  options: { theta0?: number; alpha?: number } = {},
): Array<MsprtResult & { runningPValue: number }> {
  let running = 1;
  return looks.map(l => {
    const r = msprt({ ...l, tau2, theta0: options.theta0, alpha: options.alpha });
    running = Math.min(running, r.pValue);
    return { ...r, runningPValue: running, reject: r.reject || running <= (options.alpha ?? 0.05) };
  });
}

/** V for Bernoulli arms: p̄A(1 − p̄A) + p̄B(1 − p̄B). */
export function msprtBernoulliVariance(pA: number, pB: number): number {
  return pA * (1 - pA) + pB * (1 - pB);
}

/** Mixing variance tuned to a horizon of M observations: σ²Φ(−b)/(φ(b)/b − Φ(−b)), b = 2 ln(1/α)/√(Mσ²). */
export function msprtTau2(input: { sigma2: number; horizon: number; alpha?: number }): number {
  const alpha = input.alpha ?? 0.05;
  checkAlpha(alpha);
  if (!(input.sigma2 > 0) || !(input.horizon > 0)) {
    throw new StatsInputError('sigma² and the horizon must be positive');
  }
  const b = (2 * Math.log(1 / alpha)) / Math.sqrt(input.horizon * input.sigma2);
  const tail = normalSf(b);
  return (input.sigma2 * tail) / (normalPdf(b) / b - tail);
}
