import { existsSync } from 'fs';
import * as assert from 'assert';
import * as path from 'path';
import {
  buildDriftReport,
  chunkJsContinuous,
  countChunks,
  decideVerdict,
  decodeNonFinite,
  DriftReport,
  driftReportFromFiles,
  effectiveDtype,
  effectiveSettings,
  encodeNonFinite,
  evidentlyColumnType,
  loadTable,
  reportToCsv,
  reportToHtml,
  reportToJson,
  reportToText,
  timeOrder,
} from '../../src/core/drift';
import type { Column, ColumnDtype, DriftOptions } from '../../src/core/drift';
import { accuracy, f1, mae, rmse, rocAuc } from '../../src/core/drift/metrics';
import { columnNumbers } from '../../src/core/drift/columns';
import {
  columnDrift,
  evidentlyChiSquare,
  evidentlyKs,
  evidentlyZTest,
  histogramBinEdges,
  histogramCounts,
  jensenShannon,
  nannymlJensenShannon,
  prepareCategorical,
  prepareNumeric,
  psi,
  wassersteinNormed,
} from '../../src/core/stats';
import { close, minstd } from './stats-helpers';
import oraclesJson from './fixtures/drift-oracles.json';

const ROOT = path.join(__dirname, '..', '..', '..');
const FIX = path.join(ROOT, 'test', 'fixtures', 'drift');
const TOL = { rel: 1e-9, abs: 1e-12 };
const HOSTILE = '<img src=x onerror=alert(1)>';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
function decode(v: Json): unknown {
  if (v === 'NaN') {
    return NaN;
  }
  if (v === 'Infinity') {
    return Infinity;
  }
  if (v === '-Infinity') {
    return -Infinity;
  }
  if (Array.isArray(v)) {
    return v.map(decode);
  }
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  }
  return v;
}

const oracles: { cases: any[] } = decode(oraclesJson as unknown as Json) as { cases: never[] };
const oracle = (name: string) => oracles.cases.find(c => c.name === name);

const reports = new Map<string, DriftReport>();
async function reportFor(name: string, extra: DriftOptions = {}): Promise<DriftReport> {
  const o = oracle(name);
  const key = name + JSON.stringify(extra);
  if (!reports.has(key)) {
    reports.set(
      key,
      await driftReportFromFiles(path.join(FIX, o.reference), path.join(FIX, o.current), {
        target: o.target,
        prediction: o.prediction,
        time: o.time,
        ...extra,
      }),
    );
  }
  return reports.get(key)!;
}

describe('drift report: per-column statistics against pandas + scipy + Evidently (oracle)', () => {
  for (const name of ['classification', 'probabilities', 'small', 'regression']) {
    it(`${name}: the same columns, types, tests, scores, verdicts and every statistic`, async () => {
      const o = oracle(name);
      const r = await reportFor(name);
      assert.deepStrictEqual(
        r.columns.map(c => c.name),
        o.columns.map((c: { name: string }) => c.name),
      );
      for (const oc of o.columns) {
        const c = r.columns.find(x => x.name === oc.name)!;
        const where = `${name}/${oc.name}`;
        assert.strictEqual(c.role, oc.role, where);
        assert.strictEqual(c.type, oc.type, `${where} type`);
        assert.strictEqual(c.method, oc.method, `${where} method`);
        assert.strictEqual(c.nRef, oc.n_ref, `${where} n_ref`);
        assert.strictEqual(c.nCur, oc.n_cur, `${where} n_cur`);
        assert.strictEqual(c.nUnique, oc.n_unique, `${where} n_unique`);
        assert.strictEqual(c.missingRef.missing + c.missingRef.invalid, oc.missing_ref, `${where} missing_ref`);
        assert.strictEqual(c.missingCur.missing + c.missingCur.invalid, oc.missing_cur, `${where} missing_cur`);
        assert.strictEqual(c.missingRef.posInf + c.missingRef.negInf, oc.inf_ref, `${where} inf_ref`);
        close(c.score, oc.score, TOL, 'drift report score', where);
        assert.strictEqual(c.drifted, oc.drifted, `${where} drifted`);
        close(c.stats.psi!, oc.psi, TOL, 'drift report psi', where);
        close(c.stats.jensenShannon!, oc.jensenshannon, TOL, 'drift report js', where);
        if (oc.ks) {
          close(c.stats.ks!.statistic, oc.ks.statistic, TOL, 'drift report ks D', where);
          close(c.stats.ks!.pValue, oc.ks.pvalue, { rel: 1e-9, abs: 1e-300 }, 'drift report ks p', where);
          close(c.stats.wassersteinNorm!, oc.wasserstein_norm, TOL, 'drift report wasserstein', where);
        } else {
          assert.strictEqual(c.stats.ks, undefined);
        }
        if (oc.chisquare) {
          close(c.stats.chiSquare!.statistic, oc.chisquare.statistic, TOL, 'drift report chi2', where);
          close(
            c.stats.chiSquare!.pValue,
            oc.chisquare.pvalue,
            { rel: 1e-9, abs: 1e-300 },
            'drift report chi2 p',
            where,
          );
          assert.strictEqual(c.stats.chiSquare!.dof, oc.chisquare.dof);
        }
        if (oc.z) {
          close(Math.abs(c.stats.z!.statistic), Math.abs(oc.z.statistic), TOL, 'drift report z', where);
          close(c.stats.z!.pValue, oc.z.pvalue, { rel: 1e-9, abs: 1e-300 }, 'drift report z p', where);
        }
      }
      assert.strictEqual(r.dataset.nColumns, o.dataset.n_columns);
      assert.strictEqual(r.dataset.nDrifted, o.dataset.n_drifted);
      close(r.dataset.share, o.dataset.share, TOL, 'dataset share');
      assert.strictEqual(r.dataset.drifted, o.dataset.drifted);
      assert.strictEqual(r.task, o.task);
    });
  }

  it("each column's numbers are what the stats functions give on the same data, called directly", async () => {
    const ref = await loadTable(path.join(FIX, 'reference.csv'));
    const cur = await loadTable(path.join(FIX, 'current.csv'));
    const r = buildDriftReport(ref, cur, { target: 'target', prediction: 'prediction', time: 'timestamp' });
    const values = (t: typeof ref, name: string) => columnNumbers(t.columns.find(c => c.name === name)!).values;
    for (const name of ['age', 'income', 'balance', HOSTILE]) {
      const a = prepareNumeric(values(ref, name));
      const b = prepareNumeric(values(cur, name));
      const c = r.columns.find(x => x.name === name)!;
      const integerData = name === 'age';
      const d = columnDrift(a, b, { kind: 'numerical', integerData });
      assert.strictEqual(c.method, d.method);
      assert.strictEqual(c.score, d.score);
      assert.strictEqual(c.stats.psi, psi(a, b, { integerData }).value);
      assert.strictEqual(c.stats.jensenShannon, jensenShannon(a, b, { integerData }).value);
      assert.strictEqual(c.stats.wassersteinNorm, wassersteinNormed(a, b).value);
      assert.strictEqual(c.stats.ks!.pValue, evidentlyKs(a, b).pValue);
    }
    const texts = (t: typeof ref, name: string) => {
      const col = t.columns.find(c => c.name === name)!;
      return Array.from(col.codes!, k => (k === 0xffff ? null : col.dictionary![k]));
    };
    const a = prepareCategorical(texts(ref, 'city'));
    const b = prepareCategorical(texts(cur, 'city'));
    const c = r.columns.find(x => x.name === 'city')!;
    assert.strictEqual(c.score, columnDrift(a, b, { kind: 'categorical' }).score);
    assert.strictEqual(c.stats.chiSquare!.pValue, evidentlyChiSquare(a, b).pValue);
    const ia = prepareNumeric(values(ref, 'rating'));
    const ib = prepareNumeric(values(cur, 'rating'));
    assert.strictEqual(
      r.columns.find(x => x.name === 'rating')!.score,
      columnDrift(ia, ib, { kind: 'categorical' }).score,
    );
    const small = await reportFor('small');
    const yes = small.columns.find(x => x.name === 'yes')!;
    assert.strictEqual(yes.method, 'z');
    const sr = await loadTable(path.join(FIX, 'small_reference.csv'));
    const sc = await loadTable(path.join(FIX, 'small_current.csv'));
    assert.strictEqual(
      yes.pValue,
      evidentlyZTest(prepareCategorical(texts(sr, 'yes')), prepareCategorical(texts(sc, 'yes'))).pValue,
    );
  });

  it("histograms are Evidently's bins (Sturges edges over both samples, or one bin per value), and ECDFs end at min and max", async () => {
    const r = await reportFor('classification');
    const income = r.columns.find(c => c.name === 'income')!;
    assert.strictEqual(income.histogram.kind, 'bins');
    if (income.histogram.kind === 'bins') {
      assert.strictEqual(income.histogram.edges.length, income.histogram.reference.length + 1);
      close(
        income.histogram.reference.reduce((a, b) => a + b, 0),
        1,
        { abs: 1e-12 },
        'hist sum',
      );
    }
    const rating = r.columns.find(c => c.name === 'rating')!;
    assert.deepStrictEqual(rating.histogram.kind === 'categories' && rating.histogram.categories, [
      '1',
      '2',
      '3',
      '4',
      '5',
    ]);
    assert.strictEqual(income.ecdf!.reference[0], income.summary!.reference.min);
    assert.strictEqual(income.ecdf!.current[100], income.summary!.current.max);
    const member = r.columns.find(c => c.name === 'is_member')!;
    assert.deepStrictEqual(member.histogram.kind === 'categories' && member.histogram.categories, ['False', 'True']);
  });

  it('thresholds, per-column methods and forced types from the options are applied', async () => {
    const r = await reportFor('classification', {
      thresholds: { wasserstein: 0.3, jensenshannon: 0.01 },
      methods: { income: 'psi', city: 'chisquare', rating: 'ks' },
      columnTypes: { rating: 'numerical' },
      driftShare: 0.9,
    });
    const age = r.columns.find(c => c.name === 'age')!;
    assert.strictEqual(age.threshold, 0.3);
    assert.strictEqual(age.drifted, age.score >= 0.3);
    const income = r.columns.find(c => c.name === 'income')!;
    assert.deepStrictEqual([income.method, income.methodSource, income.threshold], ['psi', 'column', 0.1]);
    assert.strictEqual(income.score, income.stats.psi);
    const city = r.columns.find(c => c.name === 'city')!;
    assert.strictEqual(city.method, 'chisquare');
    assert.strictEqual(city.drifted, city.pValue! < 0.05);
    const rating = r.columns.find(c => c.name === 'rating')!;
    assert.deepStrictEqual([rating.type, rating.method], ['numerical', 'ks']);
    const member = r.columns.find(c => c.name === 'is_member')!;
    assert.strictEqual(member.threshold, 0.01);
    assert.strictEqual(r.dataset.driftShare, 0.9);
    assert.strictEqual(r.dataset.drifted, false);
    // a method that needs numbers on a text column falls back to Evidently's choice, with a warning
    const r2 = await reportFor('classification', { methods: { city: 'ks' } });
    assert.strictEqual(r2.columns.find(c => c.name === 'city')!.method, 'jensenshannon');
    assert.ok(r2.warnings.some(w => w.includes('"city" is categorical: ks needs a numerical column')));
  });

  it('skips what cannot be analysed and says why: one-sided columns, all-missing columns, datetimes, ids and free text', async () => {
    const mk = (name: string, dtype: ColumnDtype, numbers: number[] | null, texts?: (string | null)[]): Column => {
      const dict = texts ? [...new Set(texts.filter((t): t is string => t !== null))] : null;
      return {
        name,
        dtype,
        length: (numbers ?? texts)!.length,
        numbers: numbers ? Float64Array.from(numbers) : null,
        times: dtype === 'datetime' ? Float64Array.from(numbers!) : null,
        codes: texts ? Uint16Array.from(texts, t => (t === null ? 0xffff : dict!.indexOf(t))) : null,
        dictionary: dict,
        missing: texts ? texts.filter(t => t === null).length : numbers!.filter(Number.isNaN).length,
        posInf: 0,
        negInf: 0,
        invalid: 0,
        invalidExamples: [],
      };
    };
    const table = (columns: Column[]) => ({
      path: '/x/t.csv',
      format: 'csv' as const,
      gzip: false,
      rows: columns[0].length,
      truncated: false,
      sizeBytes: 1,
      columns,
    });
    const u = minstd(5, 40);
    const ref = table([
      mk('a', 'float', u),
      mk('only_ref', 'float', u),
      mk(
        'gone',
        'empty',
        u.map(() => NaN),
      ),
      mk(
        'when',
        'datetime',
        u.map((_, i) => i * 1000),
      ),
      mk('free', 'text', null, u.map(String)),
    ]);
    const cur = table([
      mk(
        'a',
        'float',
        u.map(x => x + 0.5),
      ),
      mk('only_cur', 'float', u),
      mk('gone', 'float', u),
      mk(
        'when',
        'datetime',
        u.map((_, i) => i * 1000),
      ),
      mk('free', 'text', null, u.map(String)),
    ]);
    const r = buildDriftReport(ref, cur, {});
    assert.deepStrictEqual(
      r.columns.map(c => c.name),
      ['a'],
    );
    assert.deepStrictEqual(
      r.skipped.map(s => [s.name, s.reason]),
      [
        ['only_ref', 'only in the reference data'],
        ['gone', 'all values are missing in the reference data'],
        ['when', 'a datetime column (use it as the time column)'],
        ['free', 'more than 50,000 distinct values (an id or free text): not analysed'],
        ['only_cur', 'only in the current data'],
      ],
    );
    assert.strictEqual(r.columns[0].method, 'ks');
    assert.strictEqual(r.columns[0].drifted, true);
  });
});

describe('drift report: over time (NannyML chunks, Jensen–Shannon and bands, performance; oracle)', () => {
  it('classification: chunk sizes, per-chunk drift of every column, alert thresholds, accuracy and F1 with bands', async () => {
    const o = oracle('classification');
    const r = await reportFor('classification');
    const ot = r.overTime!;
    assert.strictEqual(ot.timeColumn, 'timestamp');
    assert.deepStrictEqual(
      ot.chunks.map(c => c.rows),
      o.over_time.chunk_rows,
    );
    assert.strictEqual(ot.referenceChunks, 10);
    assert.strictEqual(ot.chunks[0].label, '2024-02-01 – 2024-02-03');
    for (const od of o.over_time.drift) {
      const d = ot.drift.find(x => x.name === od.name)!;
      od.values.forEach((v: number, i: number) => close(d.values[i]!, v, TOL, 'chunk js', `${od.name}[${i}]`));
      od.reference_values.forEach((v: number, i: number) =>
        close(d.referenceValues[i]!, v, TOL, 'ref chunk js', `${od.name}[${i}]`),
      );
      close(d.upper!, od.upper, TOL, 'js upper', od.name);
      assert.deepStrictEqual(d.alerts, od.alerts, od.name);
    }
    const perf = ot.performance!;
    assert.strictEqual(perf.primary, 'f1');
    for (const [metric, op] of Object.entries<any>(o.over_time.performance)) {
      const s = perf.series.find(x => x.metric === metric)!;
      op.values.forEach((v: number, i: number) => close(s.values[i]!, v, TOL, 'chunk metric', `${metric}[${i}]`));
      op.reference_values.forEach((v: number, i: number) =>
        close(s.referenceValues[i]!, v, TOL, 'ref chunk metric', `${metric}[${i}]`),
      );
      close(s.lower!, op.lower, TOL, 'band lower', metric);
      close(s.upper!, op.upper, TOL, 'band upper', metric);
      assert.deepStrictEqual(s.alerts, op.alerts, metric);
      close(s.reference!, op.reference, TOL, 'metric on reference', metric);
      close(s.current!, op.current, TOL, 'metric on current', metric);
    }
  });

  it('probabilities: ROC AUC (ties at half) and accuracy at p ≥ 0.5', async () => {
    const o = oracle('probabilities');
    const r = await reportFor('probabilities');
    assert.strictEqual(r.predictionKind, 'probabilities');
    const perf = r.overTime!.performance!;
    assert.strictEqual(perf.primary, 'auc');
    for (const [metric, op] of Object.entries<any>(o.over_time.performance)) {
      const s = perf.series.find(x => x.metric === metric)!;
      op.values.forEach((v: number, i: number) => close(s.values[i]!, v, TOL, 'chunk metric', `${metric}[${i}]`));
      close(s.lower!, op.lower, TOL, 'band lower', metric);
      close(s.current!, op.current, TOL, 'metric on current', metric);
    }
  });

  it('regression: RMSE and MAE per chunk with the band clipped at 0, chunks in file order without a time column', async () => {
    const o = oracle('regression');
    const r = await reportFor('regression', { chunks: 5 });
    const ot = r.overTime!;
    assert.strictEqual(ot.timeColumn, null);
    assert.strictEqual(ot.chunks[0].label, 'rows 1–120');
    assert.deepStrictEqual(
      ot.chunks.map(c => c.rows),
      o.over_time.chunk_rows,
    );
    const perf = ot.performance!;
    assert.strictEqual(perf.primary, 'rmse');
    for (const [metric, op] of Object.entries<any>(o.over_time.performance)) {
      const s = perf.series.find(x => x.metric === metric)!;
      op.values.forEach((v: number, i: number) => close(s.values[i]!, v, TOL, 'chunk metric', `${metric}[${i}]`));
      close(s.lower!, op.lower, TOL, 'band lower', metric);
      close(s.upper!, op.upper, TOL, 'band upper', metric);
      assert.deepStrictEqual(
        s.degraded,
        op.values.map((v: number) => v > op.upper),
        metric,
      );
    }
    const x1 = ot.drift.find(d => d.name === 'x1')!;
    o.over_time.drift[0].values.forEach((v: number, i: number) => close(x1.values[i]!, v, TOL, 'chunk js', `x1[${i}]`));
    assert.ok(
      r.verdict.reasons.some(x => x.code === 'performance-alert' && x.level === 'retrain'),
      JSON.stringify(r.verdict),
    );
  });

  it('the fast chunk binning gives nannymlJensenShannon exactly, values on bin edges included', () => {
    const u = minstd(31337, 4000);
    const ref = prepareNumeric(u.slice(0, 3000).map(x => Math.floor(x * 40) / 4));
    const edges = histogramBinEdges(ref.sorted, 'doane');
    const props = histogramCounts(ref.sorted, edges).map(c => c / ref.n);
    const cur = Float64Array.from(u.slice(3000), (x, i) =>
      i % 10 === 0 ? edges[i % edges.length] : Math.floor(x * 48 - 2) / 4,
    );
    const rows = Array.from({ length: cur.length }, (_, i) => i);
    const fast = chunkJsContinuous(edges, props, cur, rows)!;
    assert.strictEqual(fast, nannymlJensenShannon(ref, cur, 'continuous'));
  });

  it('orders rows by time (stable), drops rows without a time, and makes NannyML count chunks', () => {
    const keys = Float64Array.from([3, 1, NaN, 1, 2]);
    const { order, dropped } = timeOrder(keys, 5);
    assert.deepStrictEqual([...order], [1, 3, 4, 0]);
    assert.strictEqual(dropped, 1);
    assert.deepStrictEqual(
      countChunks(Uint32Array.from([0, 1, 2, 3, 4, 5, 6]), 3).map(c => [...c]),
      [
        [0, 1],
        [2, 3],
        [4, 5, 6],
      ],
    );
  });

  it('chunks by calendar period (UTC days, ISO weeks, months)', async () => {
    const r = await reportFor('classification', { period: 'week' });
    const ot = r.overTime!;
    assert.strictEqual(ot.period, 'week');
    assert.deepStrictEqual(
      ot.chunks.map(c => c.label),
      ['week of 2024-01-29', 'week of 2024-02-05', 'week of 2024-02-12', 'week of 2024-02-19', 'week of 2024-02-26'],
    );
    assert.strictEqual(
      ot.chunks.reduce((a, c) => a + c.rows, 0),
      1200,
    );
    const m = await reportFor('classification', { period: 'month' });
    assert.deepStrictEqual(
      m.overTime!.chunks.map(c => c.label),
      ['2024-02'],
    );
    const none = await reportFor('regression', { period: 'day' });
    assert.ok(none.warnings.some(w => w.includes('Chunking by day needs a datetime time column')));
  });
});

describe('drift report: metrics (scikit-learn definitions)', () => {
  const y = ['1', '0', '1', '1', '0', null, '2'];
  const p = ['1', '1', '0', '1', '0', '1', '2'];
  const rows = [0, 1, 2, 3, 4, 5, 6];
  it('accuracy and F1 (binary of the positive label; macro otherwise) skip unlabelled rows', () => {
    assert.strictEqual(accuracy(y, p, rows), 4 / 6);
    assert.strictEqual(f1(y.slice(0, 5), p.slice(0, 5), [0, 1, 2, 3, 4], ['0', '1']), (2 * 2) / (2 * 2 + 1 + 1));
    // macro over labels 0, 1, 2: F1(0) = 2/4, F1(1) = 4/6, F1(2) = 1
    close(f1(y, p, rows, ['0', '1', '2'])!, (1 / 2 + 2 / 3 + 1) / 3, { rel: 1e-15 }, 'macro f1');
  });
  it('ROC AUC with ties, RMSE and MAE', () => {
    const yy = ['0', '0', '1', '1', '1'];
    const s = Float64Array.from([0.1, 0.4, 0.4, 0.8, 0.9]);
    assert.strictEqual(rocAuc(yy, s, [0, 1, 2, 3, 4], '1'), (2 + 1.5 + 2) / 6);
    assert.strictEqual(rocAuc(['1', '1'], s, [0, 1], '1'), null);
    const a = Float64Array.from([1, 2, 3, NaN]);
    const b = Float64Array.from([2, 2, 5, 1]);
    assert.strictEqual(rmse(a, b, [0, 1, 2, 3]), Math.sqrt(5 / 3));
    assert.strictEqual(mae(a, b, [0, 1, 2, 3]), 1);
  });
});

describe('drift report: column typing rules (Evidently)', () => {
  const c = (dtype: ColumnDtype): Column => ({
    name: 'c',
    dtype,
    length: 0,
    numbers: null,
    times: null,
    codes: null,
    dictionary: null,
    missing: 0,
    posInf: 0,
    negInf: 0,
    invalid: 0,
    invalidExamples: [],
  });
  it("mismatched dtypes: numeric pairs use the current dtype, others the reference's", () => {
    assert.strictEqual(effectiveDtype('integer', 'float'), 'float');
    assert.strictEqual(effectiveDtype('float', 'integer'), 'integer');
    assert.strictEqual(effectiveDtype('float', 'string'), 'float');
    assert.strictEqual(effectiveDtype('string', 'float'), 'string');
    assert.strictEqual(effectiveDtype('boolean', 'integer'), 'boolean');
  });
  it('features, targets and predictions', () => {
    const t = (role: 'feature' | 'target' | 'prediction', dtype: ColumnDtype, nu: number, extra: object = {}) =>
      evidentlyColumnType({ name: 'c', role, ref: c(dtype), cur: c(dtype), refUnique: nu, curUnique: nu, ...extra })
        .type;
    assert.strictEqual(t('feature', 'integer', 5), 'categorical');
    assert.strictEqual(t('feature', 'integer', 6), 'numerical');
    assert.strictEqual(t('feature', 'float', 2), 'numerical');
    assert.strictEqual(t('feature', 'boolean', 2), 'categorical');
    assert.strictEqual(t('feature', 'string', 900), 'categorical');
    assert.strictEqual(t('target', 'float', 6), 'numerical');
    assert.strictEqual(t('target', 'integer', 5), 'categorical');
    assert.strictEqual(t('target', 'integer', 50, { task: 'classification' }), 'categorical');
    assert.strictEqual(t('prediction', 'integer', 2), 'categorical');
    assert.strictEqual(t('prediction', 'float', 100, { curMin: 0.01, curMax: 0.99 }), 'numerical');
    assert.strictEqual(t('prediction', 'float', 3, { curMin: 0, curMax: 2 }), 'categorical');
    assert.strictEqual(t('prediction', 'float', 3, { curMin: 0, curMax: 2, task: 'regression' }), 'numerical');
    assert.strictEqual(t('prediction', 'string', 3), 'categorical');
  });
});

describe('drift report: verdict', () => {
  it('the classification fixture: dataset drift (5 of 10 ≥ 50%) and falling performance recommend retraining', async () => {
    const r = await reportFor('classification');
    assert.strictEqual(r.verdict.level, 'retrain');
    assert.ok(
      r.verdict.reasons.some(
        x =>
          x.code === 'dataset-drift' &&
          x.level === 'retrain' &&
          x.message.includes('5 of 10 columns drifted (50% ≥ the drift share 50%)'),
      ),
    );
  });

  it('each retrain condition can be switched off, and an absolute performance threshold adds its own reason', async () => {
    const base = await reportFor('classification');
    const body = { ...base } as Omit<DriftReport, 'verdict' | 'timings'>;
    const policy = { ...base.settings.retrain, onDatasetDrift: false, onPerformanceAlert: false };
    const v = decideVerdict(body, policy);
    assert.ok(v.reasons.find(x => x.code === 'dataset-drift')!.level === 'monitor');
    assert.strictEqual(v.level, v.reasons.some(x => x.level === 'retrain') ? 'retrain' : 'monitor');
    const f1Current = base.overTime!.performance!.series.find(s => s.metric === 'f1')!.current!;
    const v2 = decideVerdict(body, { ...policy, performanceThreshold: f1Current + 0.01 });
    const reason = v2.reasons.find(x => x.code === 'performance-threshold')!;
    assert.strictEqual(reason.level, 'retrain');
    assert.match(reason.message, /F1 .* is below your threshold/);
    assert.strictEqual(v2.retrain, true);
    const v3 = decideVerdict(body, { ...policy, performanceThreshold: 0.01 });
    assert.ok(!v3.reasons.some(x => x.code === 'performance-threshold'));
    const alerts = base.overTime!.performance!.series.find(s => s.metric === 'f1')!.degraded.filter(Boolean).length;
    const v4 = decideVerdict(body, { ...base.settings.retrain, onDatasetDrift: false, minAlertChunks: alerts + 1 });
    assert.strictEqual(v4.reasons.find(x => x.code === 'performance-alert')?.level ?? 'monitor', 'monitor');
  });

  it('identical files: no drift, verdict ok', async () => {
    const f = path.join(FIX, 'small_reference.csv');
    const r = await driftReportFromFiles(f, f, {});
    assert.strictEqual(r.dataset.nDrifted, 0);
    assert.strictEqual(r.verdict.level, 'ok');
    assert.strictEqual(r.verdict.headline, 'No drift detected');
  });
});

describe('drift report: JSON, CSV, text and HTML forms', () => {
  it('JSON has the documented fields per column, with ±∞ as strings', async () => {
    const r = await reportFor('classification');
    const j = reportToJson(r) as any;
    const age = j.columns.find((c: { name: string }) => c.name === 'age');
    for (const k of [
      'name',
      'type',
      'n_ref',
      'n_cur',
      'missing',
      'method',
      'statistic',
      'drifted',
      'ks',
      'psi',
      'wasserstein_norm',
      'jensenshannon',
    ]) {
      assert.ok(k in age, k);
    }
    assert.deepStrictEqual(Object.keys(age.ks), ['statistic', 'pvalue', 'method']);
    assert.ok(!('pvalue' in age), 'no p-value for a distance');
    const city = j.columns.find((c: { name: string }) => c.name === 'city');
    assert.deepStrictEqual(Object.keys(city.chisquare), ['statistic', 'pvalue', 'dof']);
    assert.strictEqual(j.dataset_drift.drifted, true);
    assert.strictEqual(j.verdict.level, 'retrain');
    assert.strictEqual(j.label_drift.column, 'target');
    assert.strictEqual(j.over_time.chunks.length, 10);
    const copy = structuredClone(r);
    copy.columns[0].stats.chiSquare = { statistic: Infinity, pValue: 0, dof: 1 };
    assert.strictEqual((reportToJson(copy) as any).columns[0].chisquare.statistic, 'Infinity');
  });

  it('CSV defuses formulas, HTML and text show hostile names as inert text', async () => {
    const r = structuredClone(await reportFor('classification'));
    r.columns[2].name = '=HYPERLINK("http://x")';
    const csv = reportToCsv(r);
    assert.ok(csv.includes(`"'=HYPERLINK(""http://x"")"`), csv.split('\n')[3]);
    const html = reportToHtml(r);
    assert.ok(!html.includes(HOSTILE));
    assert.ok(html.includes('&#60;img src=x onerror=alert(1)&#62;'));
    assert.ok(!/<script/i.test(html));
    r.columns[3].name = 'evil\u001b[31mred\nline';
    const text = reportToText(r);
    assert.ok(text.includes('evil\\u001b[31mred\\u000aline'));
    assert.ok(!text.includes('\u001b'));
  });

  it('non-finite numbers survive the trip to the webview, and "__proto__" stays a plain key', () => {
    const v = {
      a: [Infinity, -Infinity, NaN, 1],
      m: Object.defineProperty({}, '__proto__', { value: 'psi', enumerable: true }),
      f: Float64Array.from([1, Infinity]),
    };
    const json = JSON.parse(JSON.stringify(encodeNonFinite(v)));
    const back = decodeNonFinite<{ a: number[]; m: Record<string, string>; f: number[] }>(json);
    assert.deepStrictEqual(back.a, [Infinity, -Infinity, NaN, 1]);
    assert.deepStrictEqual(back.f, [1, Infinity]);
    assert.deepStrictEqual(Object.keys(back.m), ['__proto__']);
    assert.strictEqual(Object.getPrototypeOf(back.m), Object.prototype);
  });

  it("effective settings fill in Evidently's and NannyML's defaults", () => {
    const s = effectiveSettings({});
    assert.deepStrictEqual(s.thresholds, {
      ks: 0.05,
      chisquare: 0.05,
      z: 0.05,
      jensenshannon: 0.1,
      wasserstein: 0.1,
      psi: 0.1,
    });
    assert.strictEqual(s.driftShare, 0.5);
    assert.strictEqual(s.chunks, 10);
    assert.strictEqual(s.retrain.minAlertChunks, 2); // the persistence rule: two consecutive chunks (issue #15)
  });
});

describe('drift report: worker threads', () => {
  it('reading and analysing in worker threads (the CLI bundle) gives the same report as one thread', async function () {
    const script = path.join(ROOT, 'dist', 'cli.js');
    if (!existsSync(script)) {
      this.skip();
    }
    this.timeout(60_000);
    const o = oracle('classification');
    const options = { target: o.target, prediction: o.prediction, time: o.time };
    let threads = 0;
    const par = await driftReportFromFiles(path.join(FIX, o.reference), path.join(FIX, o.current), options, {
      workerScript: script,
      threads: 2,
      minParallelBytes: 0,
      onThreads: n => {
        threads = n;
      },
    });
    const ser = await driftReportFromFiles(path.join(FIX, o.reference), path.join(FIX, o.current), options);
    assert.strictEqual(threads, 2);
    const strip = (r: DriftReport) => ({ ...r, createdAt: '', timings: null });
    assert.deepStrictEqual(strip(par), strip(ser));
    // errors in a worker keep their file and line
    await assert.rejects(
      driftReportFromFiles(path.join(FIX, o.reference), path.join(ROOT, 'package.json'), options, {
        workerScript: script,
        threads: 2,
        minParallelBytes: 0,
      }),
      /package\.json/,
    );
  });
});
