import * as assert from 'assert';
import {
  categoricalFromCounts,
  chiSquareContingency,
  chiSquareGoodnessOfFit,
  columnDrift,
  datasetDrift,
  EmptySampleError,
  evidentlyBinned,
  evidentlyChiSquare,
  evidentlyDefaultMethod,
  evidentlyKs,
  evidentlyZTest,
  hellingerDistance,
  histogramBinEdges,
  histogramCounts,
  jensenShannon,
  jensenShannonDistance,
  lInfinity,
  linspace,
  nannymlChiSquare,
  nannymlDistributions,
  nannymlHellinger,
  nannymlJensenShannon,
  nannymlThreshold,
  nannymlTreatAsContinuous,
  prepareCategorical,
  prepareNumeric,
  psi,
  psiOfProportions,
  StatsInputError,
  wassersteinDistance,
  wassersteinNormed,
} from '../../src/core/stats';
import { close, numbers, oracles, sample } from './stats-helpers';

type Case = any;
const drift: Case[] = oracles.drift;
const numeric = drift.filter(c => c.kind === 'numerical');
const categorical = drift.filter(c => c.kind === 'categorical');
const TIGHT = { rel: 1e-12, abs: 1e-15 };
// Jensen–Shannon references are exact (mpmath): scipy's direct sum cancels for nearly equal distributions and
// carries up to ~1e-10 relative noise there, so it is checked only loosely (SCIPY_JS).
const JS_TOL = { rel: 1e-13, abs: 1e-16 };
const SCIPY_JS = { rel: 1e-9, abs: 1e-15 };

describe('stats: Evidently drift statistics on numerical columns (numpy/scipy reference)', () => {
  for (const c of numeric) {
    it(c.name, () => {
      const ref = prepareNumeric(numbers(c.ref), 'reference sample');
      const cur = prepareNumeric(numbers(c.cur), 'current sample');
      const p = psi(ref, cur);
      close(p.value, c.psi, TIGHT, 'psi', c.name);
      if (c.psi_bins !== null) {
        assert.strictEqual(p.distributions.binning, 'histogram');
        assert.strictEqual(p.distributions.edges!.length - 1, c.psi_bins, 'Sturges bin count');
      } else {
        assert.strictEqual(p.distributions.binning, 'categories');
      }
      assert.strictEqual(p.drifted, c.psi >= 0.1);
      close(jensenShannon(ref, cur).value, c.jensenshannon, JS_TOL, 'jensenshannon', c.name);
      close(jensenShannon(ref, cur).value, c.jensenshannon_scipy, SCIPY_JS, 'jensenshannon vs scipy', c.name);
      close(wassersteinDistance(ref, cur), c.wasserstein_raw, TIGHT, 'wasserstein', c.name);
      const w = wassersteinNormed(ref, cur);
      close(w.value, c.wasserstein_norm, TIGHT, 'wasserstein_norm', c.name);
      close(w.referenceStd, c.std_ref, TIGHT, 'std', c.name);
      const ks = evidentlyKs(ref, cur);
      close(ks.statistic, c.ks.statistic, { rel: 1e-13 }, 'ks.statistic', c.name);
      close(ks.pValue, c.ks.pvalue, { rel: 1e-10, abs: 1e-300 }, 'ks.p', c.name);
      if (c.chisquare) {
        const chi = evidentlyChiSquare(ref, cur);
        close(chi.statistic, c.chisquare.statistic, TIGHT, 'chisquare.stat', c.name);
        close(chi.pValue, c.chisquare.pvalue, { rel: 1e-12, abs: 1e-300 }, 'chisquare.p', c.name);
        assert.strictEqual(chi.dof, c.chisquare.dof);
        const z = evidentlyZTest(ref, cur);
        close(Math.abs(z.statistic), Math.abs(c.z.statistic), TIGHT, 'z.stat', c.name);
        close(z.pValue, c.z.pvalue, { rel: 1e-12, abs: 1e-300 }, 'z.p', c.name);
        if (c.z.pvalue_evidently > 1e-12) {
          close(z.pValue, c.z.pvalue_evidently, { rel: 1e-9 }, 'z.p (evidently form)', c.name);
        }
      }
      const col = columnDrift(ref, cur);
      assert.strictEqual(col.method, c.default_method);
      assert.strictEqual(col.nUnique, c.n_unique);
      const expectedScore = {
        ks: c.ks.pvalue,
        wasserstein: c.wasserstein_norm,
        jensenshannon: c.jensenshannon,
        chisquare: c.chisquare?.pvalue,
        z: c.z?.pvalue,
      }[c.default_method as string];
      close(col.score, expectedScore, { rel: 1e-10, abs: 1e-300 }, 'columnDrift.score', c.name);
      assert.strictEqual(nannymlTreatAsContinuous(ref), c.nannyml_continuous);
      if (c.nannyml_cont) {
        const d = nannymlDistributions(ref, cur, 'continuous');
        assert.strictEqual(d.edges!.length - 1, c.nannyml_cont.bins, 'doane bin count');
        close(d.leftover, c.nannyml_cont.leftover, { abs: 1e-15 }, 'nannyml.leftover', c.name);
        close(nannymlJensenShannon(ref, cur, 'continuous'), c.nannyml_cont.js, JS_TOL, 'nannyml.js', c.name);
        close(
          nannymlJensenShannon(ref, cur, 'continuous'),
          c.nannyml_cont.js_scipy,
          SCIPY_JS,
          'nannyml.js vs scipy',
          c.name,
        );
        close(nannymlHellinger(ref, cur, 'continuous'), c.nannyml_cont.hellinger, TIGHT, 'nannyml.hellinger', c.name);
      }
    });
  }
});

describe('stats: Evidently and NannyML drift statistics on categorical columns', () => {
  for (const c of categorical) {
    it(c.name, () => {
      const ref = sample(c.ref);
      const cur = sample(c.cur);
      const opts = { kind: 'categorical' as const };
      close(psi(ref, cur, opts).value, c.psi, TIGHT, 'psi', c.name);
      close(jensenShannon(ref, cur, opts).value, c.jensenshannon, JS_TOL, 'jensenshannon', c.name);
      close(jensenShannon(ref, cur, opts).value, c.jensenshannon_scipy, SCIPY_JS, 'jensenshannon vs scipy', c.name);
      const chi = evidentlyChiSquare(ref, cur);
      close(chi.statistic, c.chisquare.statistic, TIGHT, 'chisquare.stat', c.name);
      close(chi.pValue, c.chisquare.pvalue, { rel: 1e-12, abs: 1e-300 }, 'chisquare.p', c.name);
      assert.strictEqual(chi.dof, c.chisquare.dof);
      const z = evidentlyZTest(ref, cur);
      close(Math.abs(z.statistic), Math.abs(c.z.statistic), TIGHT, 'z.stat', c.name);
      close(z.pValue, c.z.pvalue, { rel: 1e-12, abs: 1e-300 }, 'z.p', c.name);
      const col = columnDrift(ref, cur);
      assert.strictEqual(col.kind, 'categorical');
      assert.strictEqual(col.method, c.default_method);
      assert.strictEqual(col.nUnique, c.n_unique);
      close(nannymlJensenShannon(ref, cur, 'categorical'), c.nannyml_cat.js, JS_TOL, 'nannyml.js', c.name);
      close(
        nannymlJensenShannon(ref, cur, 'categorical'),
        c.nannyml_cat.js_scipy,
        SCIPY_JS,
        'nannyml.js vs scipy',
        c.name,
      );
      close(nannymlHellinger(ref, cur, 'categorical'), c.nannyml_cat.hellinger, TIGHT, 'nannyml.hellinger', c.name);
      close(
        nannymlDistributions(ref, cur, 'categorical').leftover,
        c.nannyml_cat.leftover,
        { abs: 1e-15 },
        'nannyml.leftover',
        c.name,
      );
      close(lInfinity(ref, cur), c.l_infinity, TIGHT, 'l_infinity', c.name);
      if (c.chi2_contingency) {
        const ct = nannymlChiSquare(ref, cur);
        close(ct.statistic, c.chi2_contingency.statistic, TIGHT, 'chi2_contingency.stat', c.name);
        close(ct.pValue, c.chi2_contingency.pvalue, { rel: 1e-12, abs: 1e-300 }, 'chi2_contingency.p', c.name);
        assert.strictEqual(ct.dof, c.chi2_contingency.dof);
      }
    });
  }
});

describe('stats: numpy histogram bins', () => {
  for (const h of oracles.histograms) {
    it(h.name, () => {
      let x = numbers(h.data);
      if (h.square) {
        x = x.map(v => v ** 2);
      }
      const s = prepareNumeric(x);
      const edges = histogramBinEdges(s.sorted, h.rule);
      assert.strictEqual(edges.length, h.edges.length, 'bin count');
      edges.forEach((e, i) => close(e, h.edges[i], { rel: 1e-15, abs: 1e-300 }, 'histogram.edges', `${h.name} #${i}`));
      assert.deepStrictEqual(Array.from(histogramCounts(s.sorted, edges)), h.counts);
    });
  }

  it('linspace puts the last edge exactly on stop and counts a value on an inner edge in the upper bin', () => {
    const e = linspace(0, 1, 4);
    assert.strictEqual(e[3], 1);
    assert.deepStrictEqual(
      Array.from(histogramCounts(Float64Array.from([0, 1 / 3, 0.5, 1, 1.5]), [0, 1 / 3, 1])),
      [1, 3],
    );
    assert.deepStrictEqual(
      Array.from(histogramBinEdges(Float64Array.from([0.2, 0.3, 0.4]), 'sturges', true)),
      [0.2, 0.4],
    );
  });
});

describe('stats: shared oracle vectors for drift', () => {
  const sinCase = numeric.find(c => c.name === 'shared sin 200/150');
  it('DRIFT sin vectors: Sturges bins, PSI, JS, normed Wasserstein, KS, NannyML doane JS', () => {
    const ref = numbers(sinCase.ref);
    const cur = numbers(sinCase.cur);
    const p = psi(ref, cur);
    assert.strictEqual(p.distributions.edges!.length - 1, 10);
    close(p.distributions.edges![0], 40.000097934493, { abs: 5e-12 }, 'shared-oracle', 'first edge');
    close(p.distributions.edges![10], 64.998942321287, { abs: 5e-12 }, 'shared-oracle', 'last edge');
    close(p.value, 2.41742442657, { abs: 5e-11 }, 'shared-oracle', 'PSI');
    close(jensenShannon(ref, cur).value, 0.35864178153, { abs: 5e-12 }, 'shared-oracle', 'JS');
    const w = wassersteinNormed(ref, cur);
    close(w.value, 0.42201168254, { abs: 5e-12 }, 'shared-oracle', 'W norm');
    close(w.raw, 2.99179066688, { abs: 5e-12 }, 'shared-oracle', 'W raw');
    close(w.referenceStd, 7.08935508342, { abs: 5e-12 }, 'shared-oracle', 'std');
    const ks = evidentlyKs(ref, cur);
    close(ks.statistic, 0.3, { abs: 1e-15 }, 'shared-oracle', 'KS D');
    close(ks.pValue, 2.74127421625e-7, { abs: 5e-18 }, 'shared-oracle', 'KS p');
    const nm = nannymlDistributions(ref, cur, 'continuous');
    assert.strictEqual(nm.edges!.length - 1, 9);
    close(nm.leftover, 0.3, { abs: 1e-15 }, 'shared-oracle', 'leftover');
    close(nannymlJensenShannon(ref, cur, 'continuous'), 0.435043157732, { abs: 5e-13 }, 'shared-oracle', 'NannyML JS');
  });

  it('CAT vectors: PSI, JS, chi-square, z; Evidently’s own chi-square test', () => {
    const rep = (counts: Record<string, number>) =>
      Object.entries(counts).flatMap(([k, n]) => Array<string>(n).fill(k));
    const ref = rep({ a: 50, b: 30, c: 20 });
    const cur = rep({ a: 30, b: 30, c: 35, d: 5 });
    close(psi(ref, cur, { kind: 'categorical' }).value, 0.496216437055, { abs: 5e-13 }, 'shared-oracle', 'CAT PSI');
    close(
      jensenShannon(ref, cur, { kind: 'categorical' }).value,
      0.200799012213,
      { abs: 5e-13 },
      'shared-oracle',
      'CAT JS',
    );
    const chi = evidentlyChiSquare(ref, rep({ a: 30, b: 40, c: 30 }));
    close(chi.statistic, 16.3333333333, { abs: 5e-11 }, 'shared-oracle', 'chi stat');
    close(chi.pValue, 0.000283962983903, { abs: 5e-16 }, 'shared-oracle', 'chi p');
    const z = evidentlyZTest(rep({ n: 70, y: 30 }), rep({ n: 55, y: 45 }));
    close(z.statistic, -2.19089023002, { abs: 5e-12 }, 'shared-oracle', 'z');
    close(z.pValue, 0.0284597369163, { abs: 5e-14 }, 'shared-oracle', 'z p');
    // Evidently's unit test: counts [16,18,16,14,12,12] vs [16,16,16,16,16,8] → p = 0.67309
    const e = evidentlyChiSquare(
      categoricalFromCounts({ a: 16, b: 18, c: 16, d: 14, e: 12, f: 12 }),
      categoricalFromCounts({ a: 16, b: 16, c: 16, d: 16, e: 16, f: 8 }),
    );
    close(e.pValue, 0.67309, { abs: 5e-6 }, 'shared-oracle', 'evidently test');
    assert.strictEqual(e.drifted, false);
  });
});

describe('stats: drift edge cases', () => {
  it('PSI zero fill: 1e-4 when the smallest non-empty cell exceeds 1e-4, else that cell / 1e6', () => {
    close(
      psiOfProportions([0.5, 0.5, 0], [0.25, 0.25, 0.5]),
      2 * (0.25 * Math.log(2)) + (1e-4 - 0.5) * Math.log(1e-4 / 0.5),
      { rel: 1e-15 },
      'psi-fill',
    );
    const r = [0.99995, 0.00005, 0];
    const c = [0.5, 0.25, 0.25];
    const fill = 0.00005 / 1e6;
    const expected =
      (0.99995 - 0.5) * Math.log(0.99995 / 0.5) +
      (0.00005 - 0.25) * Math.log(0.00005 / 0.25) +
      (fill - 0.25) * Math.log(fill / 0.25);
    close(psiOfProportions(r, c), expected, { rel: 1e-14 }, 'psi-fill');
    // no fill: an empty reference cell makes PSI infinite
    assert.strictEqual(psiOfProportions([1, 0], [0.5, 0.5], false), Infinity);
  });

  it('Jensen–Shannon is 0 for equal distributions, √ln2 (or 1 in base 2) for disjoint ones, and normalizes its inputs', () => {
    assert.strictEqual(jensenShannonDistance([1, 2, 3], [2, 4, 6]), 0);
    close(jensenShannonDistance([1, 0], [0, 1]), Math.sqrt(Math.LN2), { rel: 1e-15 }, 'js-bounds');
    close(jensenShannonDistance([1, 0], [0, 1], 2), 1, { rel: 1e-15 }, 'js-bounds');
    assert.throws(() => jensenShannonDistance([1], [1, 2]), StatsInputError);
    assert.strictEqual(hellingerDistance([0.5, 0.5], [0.5, 0.5]), 0);
  });

  it('counts and drops NaN, ±Infinity, null and undefined; reports sizes after dropping', () => {
    const r = psi([1, 2, NaN, 3, Infinity, 4, 5, -Infinity], [2, 3, 4, 5, 6, NaN]);
    assert.strictEqual(r.nRef, 5);
    assert.strictEqual(r.nCur, 5);
    assert.deepStrictEqual(r.droppedRef, { nan: 1, posInf: 1, negInf: 1, missing: 0 });
    assert.deepStrictEqual(r.droppedCur, { nan: 1, posInf: 0, negInf: 0, missing: 0 });
    const cat = columnDrift(['a', null, 'b', undefined, 'a'], ['b', 'b', null]);
    assert.strictEqual(cat.nRef, 3);
    assert.strictEqual(cat.nCur, 2);
    assert.strictEqual(cat.droppedRef.missing, 2);
    assert.strictEqual(cat.droppedCur.missing, 1);
  });

  it('throws a plain error for empty and all-missing columns', () => {
    assert.throws(
      () => psi([], [1]),
      (e: Error) => e instanceof EmptySampleError && /reference sample is empty/.test(e.message),
    );
    assert.throws(
      () => columnDrift([NaN, NaN], [1, 2]),
      (e: Error) => e instanceof EmptySampleError && /no finite values \(2 given: 2 NaN\)/.test(e.message),
    );
    assert.throws(
      () => columnDrift([null, null], ['a']),
      (e: Error) => e instanceof EmptySampleError && /2 missing/.test(e.message),
    );
    assert.throws(() => wassersteinNormed(['a', 'b'] as unknown as number[], [1]), StatsInputError);
    assert.throws(() => psi(['a', 'b'], ['a']), /non-numeric values; use kind "categorical"/);
  });

  it('single values and constant columns work', () => {
    const one = columnDrift([3], [3]);
    assert.strictEqual(one.method, 'z');
    assert.strictEqual(one.pValue, 1);
    assert.strictEqual(one.drifted, false);
    const constant = wassersteinNormed([2, 2, 2], [2, 3]);
    close(constant.value, 0.5 / 0.001, { rel: 1e-15 }, 'constant', 'std floor 0.001');
    const p = psi([7, 7, 7], [7, 7]);
    assert.strictEqual(p.value, 0);
  });

  it('chi-square: a category unseen in the reference gives p = 0; mismatched totals are rejected', () => {
    const r = evidentlyChiSquare(['a', 'a', 'b'], ['a', 'c', 'b']);
    assert.strictEqual(r.statistic, Infinity);
    assert.strictEqual(r.pValue, 0);
    assert.strictEqual(r.drifted, true);
    assert.throws(() => chiSquareGoodnessOfFit([1, 2], [1, 1]), /differ/);
    const uniform = chiSquareGoodnessOfFit([10, 10, 10]);
    assert.strictEqual(uniform.statistic, 0);
    assert.strictEqual(uniform.pValue, 1);
  });

  it('contingency tables: dof 0 gives p = 1, an all-zero column is rejected, Yates applies only at dof 1', () => {
    assert.deepStrictEqual(chiSquareContingency([[3], [5]]).pValue, 1);
    assert.throws(
      () =>
        chiSquareContingency([
          [1, 0],
          [2, 0],
        ]),
      /all zeros/,
    );
    const yates = chiSquareContingency([
      [10, 20],
      [30, 25],
    ]);
    const plain = chiSquareContingency(
      [
        [10, 20],
        [30, 25],
      ],
      { correction: false },
    );
    assert.ok(yates.statistic < plain.statistic);
  });

  it('Evidently’s default test choice', () => {
    assert.strictEqual(evidentlyDefaultMethod('numerical', 1000, 6), 'ks');
    assert.strictEqual(evidentlyDefaultMethod('numerical', 1000, 5), 'chisquare');
    assert.strictEqual(evidentlyDefaultMethod('numerical', 1000, 2), 'z');
    assert.strictEqual(evidentlyDefaultMethod('numerical', 1001, 6), 'wasserstein');
    assert.strictEqual(evidentlyDefaultMethod('numerical', 1001, 5), 'jensenshannon');
    assert.strictEqual(evidentlyDefaultMethod('categorical', 1000, 3), 'chisquare');
    assert.strictEqual(evidentlyDefaultMethod('categorical', 1001, 30), 'jensenshannon');
  });

  it('columnDrift overrides: method and threshold; label drift on class labels', () => {
    const ref = numbers({ seed: 5, n: 300, dist: 'irwin' });
    const cur = numbers({ seed: 6, n: 300, dist: 'irwin', shift: 0.25 });
    const byPsi = columnDrift(ref, cur, { method: 'psi' });
    assert.strictEqual(byPsi.method, 'psi');
    close(byPsi.score, psi(ref, cur).value, { rel: 0 }, 'override');
    const strict = columnDrift(ref, cur, { threshold: 1e-12 });
    assert.strictEqual(strict.method, 'ks');
    assert.strictEqual(strict.drifted, strict.pValue! <= 1e-12);
    const labels = columnDrift(['cat', 'dog', 'dog', 'cat', 'bird'], ['dog', 'dog', 'dog', 'cat']);
    assert.strictEqual(labels.kind, 'categorical');
    assert.strictEqual(labels.method, 'chisquare');
    assert.throws(() => columnDrift(['a'], ['b'], { method: 'ks' }), /numerical column/);
  });

  it('dataset drift is share of drifted columns ≥ drift share', () => {
    assert.deepStrictEqual(datasetDrift([{ drifted: true }, { drifted: false }]), {
      nColumns: 2,
      nDrifted: 1,
      share: 0.5,
      driftShare: 0.5,
      drifted: true,
    });
    assert.strictEqual(datasetDrift([{ drifted: true }, { drifted: false }, { drifted: false }]).drifted, false);
    assert.strictEqual(datasetDrift([]).drifted, false);
  });

  it('NannyML alert band: mean + 3·std (ddof 0) of reference chunk values, no lower bound by default', () => {
    const t = nannymlThreshold([1, 2, 3, 4]);
    close(t.upper!, 2.5 + 3 * 1.118033988749895, { rel: 1e-15 }, 'nannyml.threshold');
    assert.strictEqual(t.lower, undefined);
    const both = nannymlThreshold([1, 2, 3, 4], { lowerMultiplier: 3, lowerLimit: 0 });
    assert.strictEqual(both.lower, 0);
    assert.throws(() => nannymlThreshold([]), StatsInputError);
  });

  it('categorical samples from counts and from values agree; 1 and "1" are different categories', () => {
    const fromValues = prepareCategorical(['x', 'y', 'y']);
    const fromCounts = categoricalFromCounts(
      new Map([
        ['x', 1],
        ['y', 2],
      ]),
    );
    assert.strictEqual(
      evidentlyChiSquare(fromValues, ['x', 'x']).pValue,
      evidentlyChiSquare(fromCounts, ['x', 'x']).pValue,
    );
    assert.strictEqual(prepareCategorical([1, '1', 1]).counts.size, 2);
    assert.throws(() => categoricalFromCounts({ a: -1 }), StatsInputError);
    const b = evidentlyBinned(['b', 'a'], ['c'], { kind: 'categorical' });
    assert.deepStrictEqual(b.categories, ['a', 'b', 'c']);
  });
});
