import * as assert from 'assert';
import {
  EmptySampleError,
  ks2samp,
  KsMethod,
  prepareNumeric,
  StatsInputError,
  Alternative,
} from '../../src/core/stats';
import { close, numbers, oracles } from './stats-helpers';

interface KsCase {
  name: string;
  data1: unknown;
  data2: unknown;
  alternative: Alternative;
  method: KsMethod;
  statistic: number;
  pvalue: number;
  statistic_sign: number;
  fell_back_to_asymp: boolean;
}

describe('stats: two-sample Kolmogorov–Smirnov against scipy.stats.ks_2samp', () => {
  const cases: KsCase[] = oracles.ks2samp;

  for (const c of cases) {
    it(`${c.name} (${c.alternative}, ${c.method})`, () => {
      const r = ks2samp(numbers(c.data1 as never), numbers(c.data2 as never), {
        alternative: c.alternative,
        method: c.method,
      });
      close(r.statistic, c.statistic, { rel: 1e-13, abs: 1e-15 }, 'ks.statistic', c.name);
      close(r.pValue, c.pvalue, { rel: 1e-10, abs: 1e-300 }, `ks.p ${r.method}`, c.name);
      if (c.statistic > 0) {
        assert.strictEqual(r.statisticSign, c.statistic_sign, 'sign');
      }
      const scipyMethod =
        c.method === 'auto'
          ? Math.max(r.n1, r.n2) <= 10000 && !c.fell_back_to_asymp
            ? 'exact'
            : 'asymp'
          : c.fell_back_to_asymp
            ? 'asymp'
            : c.method;
      assert.strictEqual(r.method, scipyMethod);
      assert.strictEqual(r.fallbackReason !== undefined, c.fell_back_to_asymp);
    });
  }

  it('reproduces the shared oracle vectors (KS A–D)', () => {
    const a = Array.from({ length: 50 }, (_, i) => i);
    const b = Array.from({ length: 60 }, (_, i) => i + 4);
    const ex = ks2samp(a, b);
    close(ex.statistic, 0.233333333333, { abs: 5e-13 }, 'shared-oracle', 'A D');
    close(ex.pValue, 0.0869459673006, { abs: 5e-14 }, 'shared-oracle', 'A exact');
    close(ks2samp(a, b, { method: 'asymp' }).pValue, 0.0892628292205, { abs: 5e-14 }, 'shared-oracle', 'A asymp');
    const x = Array.from({ length: 100 }, (_, i) => i);
    const y = x.map(v => v + 7);
    close(ks2samp(x, y).pValue, 0.96840992614, { abs: 5e-12 }, 'shared-oracle', 'B auto');
    close(ks2samp(x, y, { method: 'asymp' }).pValue, 0.952714328221, { abs: 5e-13 }, 'shared-oracle', 'B asymp');
    const c1 = Array.from({ length: 12000 }, (_, i) => i / 12000);
    const c2 = Array.from({ length: 15000 }, (_, i) => (i / 15000) ** 1.1);
    const rc = ks2samp(c1, c2);
    assert.strictEqual(rc.method, 'asymp');
    close(rc.statistic, 0.0351, { abs: 5e-13 }, 'shared-oracle', 'C D');
    close(rc.pValue, 1.42797887154e-7, { abs: 5e-18 }, 'shared-oracle', 'C p');
    const d1 = Array.from({ length: 20000 }, (_, i) => i / 20000);
    const d2 = Array.from({ length: 40 }, (_, i) => i / 40 + 0.1);
    const rd = ks2samp(d1, d2);
    close(rd.statistic, 0.10005, { abs: 5e-13 }, 'shared-oracle', 'D D');
    close(rd.pValue, 0.781311771169, { abs: 5e-13 }, 'shared-oracle', 'D p');
  });

  it('is symmetric in its samples for the two-sided test, and one-sided tests swap with the samples', () => {
    const a = numbers({ seed: 7, n: 120, dist: 'irwin' });
    const b = numbers({ seed: 8, n: 95, dist: 'irwin', shift: 0.3 });
    const ab = ks2samp(a, b);
    const ba = ks2samp(b, a);
    assert.strictEqual(ab.pValue, ba.pValue);
    assert.strictEqual(ab.statistic, ba.statistic);
    assert.strictEqual(ab.statisticSign, -ba.statisticSign);
    assert.strictEqual(ks2samp(a, b, { alternative: 'less' }).pValue, ks2samp(b, a, { alternative: 'greater' }).pValue);
  });

  it('drops NaN and ±Infinity, counts them, and gives the same result as the clean data', () => {
    const a = [1.5, NaN, 2.5, Infinity, 0.5, -Infinity, 3, NaN];
    const b = [2, 2.2, NaN, 4, 1];
    const r = ks2samp(a, b);
    const clean = ks2samp([1.5, 2.5, 0.5, 3], [2, 2.2, 4, 1]);
    assert.strictEqual(r.pValue, clean.pValue);
    assert.strictEqual(r.statistic, clean.statistic);
    assert.deepStrictEqual(r.dropped1, { nan: 2, posInf: 1, negInf: 1, missing: 0 });
    assert.deepStrictEqual(r.dropped2, { nan: 1, posInf: 0, negInf: 0, missing: 0 });
    assert.strictEqual(r.n1, 4);
    assert.strictEqual(r.n2, 4);
  });

  it('accepts prepared samples and Float64Arrays, and leaves its inputs untouched', () => {
    const raw = [3, 1, 2, 5, 4];
    const f = Float64Array.from([2.5, 0.1, 9]);
    const prepared = prepareNumeric(raw);
    const r1 = ks2samp(prepared, f);
    const r2 = ks2samp(raw, f);
    assert.deepStrictEqual(r1, r2);
    assert.deepStrictEqual(raw, [3, 1, 2, 5, 4]);
    assert.deepStrictEqual(Array.from(f), [2.5, 0.1, 9]);
  });

  it('throws a plain error for empty or all-missing samples and for bad options', () => {
    assert.throws(
      () => ks2samp([], [1, 2]),
      (e: Error) => e instanceof EmptySampleError && e.message === 'the first sample is empty',
    );
    assert.throws(
      () => ks2samp([1], [NaN, Infinity]),
      (e: Error) =>
        e instanceof EmptySampleError &&
        e.message === 'the second sample has no finite values (2 given: 1 NaN, 1 infinite)',
    );
    assert.throws(() => ks2samp([1], [2], { alternative: 'bigger' as Alternative }), StatsInputError);
    assert.throws(() => ks2samp([1], [2], { method: 'fast' as KsMethod }), StatsInputError);
    assert.throws(() => ks2samp(['a' as unknown as number], [2]), /not a number/);
  });

  it('handles the exact method at its largest automatic size (n = 10000 vs 9999)', () => {
    const a = numbers({ seed: 91, n: 10000, dist: 'uniform' });
    const b = numbers({ seed: 92, n: 9999, dist: 'uniform', shift: 0.02 });
    const r = ks2samp(a, b);
    assert.strictEqual(r.method, 'exact');
    assert.ok(r.pValue > 0 && r.pValue < 1e-3, `p = ${r.pValue}`);
  });
});
