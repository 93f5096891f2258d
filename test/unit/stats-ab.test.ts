import * as assert from 'assert';
import {
  gaviRho,
  gaviSequentialTest,
  minimumDetectableEffect,
  msprt,
  msprtBernoulliVariance,
  msprtPath,
  msprtTau2,
  powerFromStandardError,
  powerTwoProportions,
  proportionArm,
  relativeLift,
  sampleRatioMismatch,
  sampleSizeMeans,
  sampleSizeTwoProportions,
  StatsInputError,
  summarize,
  twoProportionZTest,
  welchTTest,
  Alternative,
  EmptySampleError,
} from '../../src/core/stats';
import { close, numbers, oracles } from './stats-helpers';

const AB = oracles.ab;
const TIGHT = { rel: 1e-12, abs: 1e-15 };
const P = { rel: 1e-11, abs: 1e-300 };

describe('stats: A/B tests against scipy (Welch, two-proportion z, delta-method lift)', () => {
  for (const c of AB.welch) {
    it(`Welch: ${c.name} (${c.alternative})`, () => {
      const arm = (x: unknown) =>
        Array.isArray(x) || (x as { seed?: number }).seed !== undefined ? numbers(x as never) : x;
      const r = welchTTest(arm(c.control) as never, arm(c.treatment) as never, {
        alternative: c.alternative as Alternative,
      });
      close(r.statistic, c.statistic, TIGHT, 'welch.t', c.name);
      close(r.df, c.df, TIGHT, 'welch.df', c.name);
      close(r.pValue, c.pvalue, P, 'welch.p', c.name);
      close(r.ci[0], c.ci[0], { rel: 1e-11, abs: 1e-14 }, 'welch.ci', c.name);
      close(r.ci[1], c.ci[1], { rel: 1e-11, abs: 1e-14 }, 'welch.ci', c.name);
    });
  }

  it('two-proportion z-test: statistic, two- and one-sided p-values, unpooled interval', () => {
    for (const c of AB.proportions) {
      const [xa, na] = c.control;
      const [xb, nb] = c.treatment;
      const label = `${xa}/${na} vs ${xb}/${nb}`;
      const r = twoProportionZTest({ successes: xa, n: na }, { successes: xb, n: nb });
      close(r.statistic, c.statistic, TIGHT, 'prop.z', label);
      close(r.pValue, c.pvalue, P, 'prop.p', label);
      close(r.standardError, c.se, TIGHT, 'prop.se', label);
      close(r.ci[0], c.ci[0], { rel: 1e-12, abs: 1e-16 }, 'prop.ci', label);
      close(r.ci[1], c.ci[1], { rel: 1e-12, abs: 1e-16 }, 'prop.ci', label);
      close(
        twoProportionZTest({ successes: xa, n: na }, { successes: xb, n: nb }, { alternative: 'greater' }).pValue,
        c.pvalue_greater,
        P,
        'prop.p',
        label,
      );
      close(
        twoProportionZTest({ successes: xa, n: na }, { successes: xb, n: nb }, { alternative: 'less' }).pValue,
        c.pvalue_less,
        P,
        'prop.p',
        label,
      );
    }
  });

  it('relative lift with the delta-method interval and Welch df', () => {
    for (const c of AB.lift) {
      const r = relativeLift(c.control, c.treatment);
      close(r.lift, c.lift, TIGHT, 'lift', '');
      close(r.standardError, c.se, TIGHT, 'lift.se', '');
      close(r.df, c.df, TIGHT, 'lift.df', '');
      close(r.pValue, c.pvalue, P, 'lift.p', '');
      close(r.ci[0], c.ci[0], { rel: 1e-11, abs: 1e-15 }, 'lift.ci', '');
      close(r.ci[1], c.ci[1], { rel: 1e-11, abs: 1e-15 }, 'lift.ci', '');
    }
  });

  it('shared oracle: Welch cos vectors, proportions 120/1000 vs 150/1000', () => {
    const B = Array.from({ length: 35 }, (_, i) => Math.cos(i + 1) * 3 + 11);
    const A = Array.from({ length: 40 }, (_, i) => Math.cos(i + 1) * 2 + 10);
    const w = welchTTest(A, B);
    close(w.statistic, 2.08969733378, { abs: 5e-11 }, 'shared-oracle', 'Welch t');
    close(w.df, 57.479985562, { abs: 5e-9 }, 'shared-oracle', 'Welch df');
    close(w.pValue, 0.0410807786565, { abs: 5e-13 }, 'shared-oracle', 'Welch p');
    const z = twoProportionZTest({ successes: 120, n: 1000 }, { successes: 150, n: 1000 });
    close(z.statistic, 1.96304980762, { abs: 5e-12 }, 'shared-oracle', 'z');
    close(z.pValue, 0.0496403868654, { abs: 5e-14 }, 'shared-oracle', 'z p');
    close(z.ci[0], 7.60288212978e-5, { abs: 5e-17 }, 'shared-oracle', 'ci low');
    close(z.ci[1], 0.0599239711787, { abs: 5e-14 }, 'shared-oracle', 'ci high');
  });
});

describe('stats: power, sample size and sample-ratio mismatch', () => {
  it('sample size per arm for two proportions, and the power it gives back', () => {
    for (const c of AB.sample_size) {
      const label = `${c.p0}→${c.p1}`;
      const n = sampleSizeTwoProportions(c.p0, c.p1, { alpha: c.alpha, power: c.power });
      close(n.perArm, c.n, TIGHT, 'sample_size', label);
      assert.strictEqual(n.perArmCeil, Math.ceil(c.n));
      close(powerTwoProportions(c.p0, c.p1, c.n, { alpha: c.alpha }), c.power_at_n, TIGHT, 'power_at_n', label);
      // the closed form ignores the far rejection tail, so power at n is the target plus that (tiny) tail
      assert.ok(c.power_at_n >= c.power && c.power_at_n - c.power < 1e-3);
    }
    const shared = sampleSizeTwoProportions(0.1, 0.12);
    close(shared.perArm, 3840.847482, { abs: 5e-7 }, 'shared-oracle', 'sample size');
    assert.strictEqual(shared.perArmCeil, 3841);
  });

  it('power from a standard error and the minimum detectable effect', () => {
    for (const c of AB.power) {
      close(powerFromStandardError(c.effect, c.se, { alpha: c.alpha }), c.power, TIGHT, 'power', `Δ=${c.effect}`);
      close(minimumDetectableEffect(c.se, { alpha: c.alpha, power: 0.8 }), c.mde_at_80, TIGHT, 'mde', `se=${c.se}`);
    }
    // the MDE at 80 % power has (almost exactly) 80 % power
    close(powerFromStandardError(minimumDetectableEffect(0.02), 0.02), 0.8, { abs: 1e-6 }, 'mde-roundtrip');
  });

  it('sample size for a difference in means', () => {
    for (const c of AB.sample_size_means) {
      close(
        sampleSizeMeans(c.delta, c.sd, { alpha: c.alpha, power: c.power }).perArm,
        c.n,
        TIGHT,
        'sample_size_means',
        '',
      );
    }
  });

  it('sample-ratio mismatch chi-square against traffic shares', () => {
    for (const c of AB.srm) {
      const r = sampleRatioMismatch(c.counts, c.shares);
      close(r.statistic, c.statistic, TIGHT, 'srm.stat', String(c.counts));
      close(r.pValue, c.pvalue, P, 'srm.p', String(c.counts));
      assert.strictEqual(r.dof, c.counts.length - 1);
    }
    assert.strictEqual(sampleRatioMismatch([95, 5], [95, 5]).pValue, sampleRatioMismatch([95, 5], [0.95, 0.05]).pValue);
  });
});

describe('stats: sequential tests (GrowthBook GAVI, mSPRT)', () => {
  it('GAVI ρ, half-width and always-valid p-value', () => {
    for (const c of AB.gavi) {
      const r = gaviSequentialTest({
        estimate: c.estimate,
        standardError: c.se,
        n: c.n,
        alpha: c.alpha,
        tuning: c.tuning,
      });
      close(r.rho, c.rho, TIGHT, 'gavi.rho', '');
      close(r.halfwidth, c.halfwidth, TIGHT, 'gavi.halfwidth', '');
      close(r.pValue, c.pvalue, TIGHT, 'gavi.p', '');
      close(r.ci[1] - r.ci[0], 2 * c.halfwidth, TIGHT, 'gavi.halfwidth', 'ci');
    }
    close(gaviRho(0.05, 5000), 0.0398400667714, { abs: 5e-14 }, 'shared-oracle', 'rho');
    const se = Math.sqrt((0.12 * 0.88) / 1000 + (0.15 * 0.85) / 1000); // the oracle's "0.0152676128", unrounded
    close(se, 0.0152676128, { abs: 5e-11 }, 'shared-oracle', 'se');
    const shared = gaviSequentialTest({ estimate: 0.03, standardError: se, n: 2000 });
    close(shared.halfwidth, 0.0476926495819, { abs: 5e-12 }, 'shared-oracle', 'halfwidth');
    close(shared.pValue, 0.470690777908, { abs: 5e-10 }, 'shared-oracle', 'GAVI p');
    // the sequential interval is wider than the fixed-horizon one (1.96·se)
    assert.ok(shared.halfwidth > 1.96 * se);
    assert.strictEqual(gaviSequentialTest({ estimate: 0, standardError: 1, n: 10 }).pValue, 1);
  });

  it('mSPRT likelihood ratio, p = 1/Λ, and the horizon-tuned mixing variance', () => {
    for (const c of AB.msprt) {
      const r = msprt({ estimate: c.estimate, n: c.n, V: c.V, tau2: c.tau2 });
      close(r.lambda, c.lambda, TIGHT, 'msprt.lambda', '');
      close(r.pValue, c.pvalue, TIGHT, 'msprt.p', '');
      assert.strictEqual(r.reject, c.lambda >= 20);
    }
    for (const c of AB.msprt_tau2) {
      close(msprtTau2({ sigma2: c.sigma2, horizon: c.horizon, alpha: c.alpha }), c.tau2, TIGHT, 'msprt.tau2', '');
    }
    const shared = msprt({ estimate: 0.1, n: 1000, V: 2, tau2: 0.01 });
    close(shared.lambda, 3.27872162753, { abs: 5e-11 }, 'shared-oracle', 'Lambda');
    close(shared.pValue, 0.30499692063, { abs: 5e-12 }, 'shared-oracle', 'p');
    assert.strictEqual(msprtBernoulliVariance(0.1, 0.2), 0.1 * 0.9 + 0.2 * 0.8);
  });

  it('running mSPRT p-values never increase and reject once Λ has crossed 1/α', () => {
    const looks = [0.3, 0.25, 0.2, 0.22, 0.05].map((estimate, i) => ({ estimate, n: 200 * (i + 1), V: 2 }));
    const path = msprtPath(looks, 0.05);
    for (let i = 1; i < path.length; i++) {
      assert.ok(path[i].runningPValue <= path[i - 1].runningPValue);
    }
    const firstReject = path.findIndex(p => p.reject);
    assert.ok(firstReject >= 0);
    assert.ok(
      path.slice(firstReject).every(p => p.reject),
      'stays rejected',
    );
    assert.ok(
      path[path.length - 1].pValue > path[path.length - 1].runningPValue,
      'the last look alone would not reject',
    );
  });
});

describe('stats: A/B edge cases', () => {
  it('summarize drops and counts non-finite values; Welch accepts raw arrays or summaries alike', () => {
    const s = summarize([1, 2, NaN, 3, Infinity]);
    assert.deepStrictEqual({ n: s.n, mean: s.mean, variance: s.variance }, { n: 3, mean: 2, variance: 1 });
    assert.strictEqual(s.dropped.nan, 1);
    assert.strictEqual(s.dropped.posInf, 1);
    const a = [1, 2, 3, 4];
    const b = [2, 4, 6, 9];
    assert.deepStrictEqual(welchTTest(a, b).pValue, welchTTest(summarize(a), summarize(b)).pValue);
  });

  it('degenerate arms: zero variance and all-success / all-failure proportions', () => {
    const same = welchTTest([1, 1, 1], [1, 1]);
    assert.ok(Number.isNaN(same.statistic) && Number.isNaN(same.pValue));
    const diff = welchTTest([1, 1, 1], [2, 2]);
    assert.strictEqual(diff.statistic, Infinity);
    assert.strictEqual(diff.pValue, 0);
    assert.strictEqual(diff.df, 1);
    const allZero = twoProportionZTest({ successes: 0, n: 10 }, { successes: 0, n: 20 });
    assert.strictEqual(allZero.statistic, 0);
    assert.strictEqual(allZero.pValue, 1);
    const huge = twoProportionZTest({ successes: 0, n: 100000 }, { successes: 100000, n: 100000 });
    assert.ok(huge.pValue === 0 || huge.pValue < 1e-300);
    const tiny = twoProportionZTest({ successes: 100, n: 10000 }, { successes: 400, n: 10000 });
    assert.ok(tiny.pValue > 0 && tiny.pValue < 1e-30, 'no underflow to 0 where 2(1 − Φ(|z|)) would give 0');
  });

  it('rejects impossible inputs with plain messages', () => {
    assert.throws(() => welchTTest([1], [1, 2]), /at least 2 values in the control arm/);
    assert.throws(() => welchTTest([], [1, 2]), EmptySampleError);
    assert.throws(() => twoProportionZTest({ successes: 11, n: 10 }, { successes: 1, n: 10 }), /between 0 and n/);
    assert.throws(() => twoProportionZTest({ successes: 1, n: 0 }, { successes: 1, n: 10 }), StatsInputError);
    assert.throws(
      () => relativeLift({ n: 10, mean: 0, variance: 1 }, { n: 10, mean: 1, variance: 1 }),
      /control mean is 0/,
    );
    assert.throws(() => sampleSizeTwoProportions(0.1, 0.1), /equal/);
    assert.throws(() => sampleSizeTwoProportions(0, 0.1), StatsInputError);
    assert.throws(() => welchTTest([1, 2], [1, 3], { alpha: 2 }), /alpha/);
    assert.throws(() => sampleRatioMismatch([10, 10], [1]), StatsInputError);
    assert.throws(() => gaviSequentialTest({ estimate: 1, standardError: 0, n: 10 }), StatsInputError);
    assert.throws(() => msprt({ estimate: 1, n: 10, V: 0, tau2: 1 }), StatsInputError);
  });

  it('relative lift on proportions uses p(1−p) variances; normal df option', () => {
    const r = relativeLift(proportionArm(120, 1000), proportionArm(150, 1000));
    close(r.lift, 0.25, { rel: 1e-15 }, 'lift-basic');
    const z = relativeLift(proportionArm(120, 1000), proportionArm(150, 1000), { df: 'normal' });
    assert.strictEqual(z.df, Infinity);
    assert.ok(z.ci[1] - z.ci[0] < r.ci[1] - r.ci[0]);
  });
});
