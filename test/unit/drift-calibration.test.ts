// The calibrated drift verdict (issue #15): its statistics against numpy/scipy reference values
// (scripts/oracles/make_drift_calibration_oracles.py → fixtures/drift-calibration-oracles.json), a fixed-seed run
// of the simulation of bench/drift-calibration.bench.ts, input validation and column mapping.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli';
import {
  buildDriftReport,
  ColumnBuilder,
  DriftInputError,
  DriftReport,
  lastRun,
  loggedDatasets,
  parseColumnMap,
  perChunkAlpha,
  bandMultiplier,
  Table,
  verdictReasoning,
} from '../../src/core/drift';
import { bhAdjust, chiSquareHomogeneity, holmAdjust, normalSf, quantileEdges, quantilePsi } from '../../src/core/stats';
import { WorkspaceStore } from '../../src/core/store/store';
import oracles from './fixtures/drift-calibration-oracles.json';
import { tempWorkspace } from './helpers';
import { CHANGED_COLUMN, randomCase, Scenario, simulate } from './drift-sim';

function close(actual: number, expected: number, rel: number, what: string): void {
  const ok = actual === expected || Math.abs(actual - expected) <= rel * Math.abs(expected);
  assert.ok(ok, `${what}: ${actual} vs ${expected} (rel ${Math.abs(actual - expected) / Math.abs(expected)})`);
}

describe('drift verdict: statistics against numpy/scipy', () => {
  it('decile PSI and its edges match numpy (quantile, unique, searchsorted) to 1e-9 relative', () => {
    for (const c of oracles.psi) {
      const ref = Float64Array.from(c.reference).sort();
      const cur = Float64Array.from(c.current).sort();
      const edges = quantileEdges(ref, 10);
      assert.strictEqual(edges.length, c.edges.length, c.name);
      edges.forEach((e, i) => close(e, c.edges[i], 1e-12, `${c.name} edge ${i}`));
      close(quantilePsi(ref, cur).value, c.psi, 1e-9, c.name);
    }
  });

  it('Holm and Benjamini–Hochberg adjusted p-values match the definitions', () => {
    for (const a of oracles.adjust) {
      holmAdjust(a.p).forEach((v, i) => close(v, a.holm[i], 1e-12, `holm ${i}`));
      bhAdjust(a.p).forEach((v, i) => close(v, a.bh[i], 1e-12, `bh ${i}`));
    }
  });

  it('chi-square homogeneity (pooled rare categories) matches scipy.stats.chi2_contingency', () => {
    for (const h of oracles.homogeneity) {
      const m = (xs: number[]) => new Map(xs.map((x, i) => [`k${i}`, x] as [string, number]));
      const r = chiSquareHomogeneity(m(h.reference), m(h.current));
      assert.strictEqual(r.dof, h.dof);
      close(r.statistic, h.statistic, 1e-9, 'statistic');
      close(r.pValue, h.pvalue, 1e-9, 'p-value');
    }
  });

  it('the persistence thresholds solve their equations; runs of k consecutive chunks are found', () => {
    const m = bandMultiplier(10, 2, 0.005);
    close(9 * normalSf(m) ** 2, 0.005, 1e-9, 'windows·Φ(−m)^k');
    close(7 * 9 * perChunkAlpha(0.01, 7, 10, 2) ** 2, 0.01, 1e-12, 'features·windows·α_c^k');
    assert.deepStrictEqual(lastRun([true, false, true, true, false, true], 2), { from: 2, to: 3 });
    assert.strictEqual(lastRun([true, false, true, false], 2), null);
    assert.deepStrictEqual(lastRun([false, true, true, true], 2), { from: 1, to: 3 });
  });
});

describe('drift verdict: calibration by simulation (fixed seeds)', function () {
  this.timeout(600_000);

  function outcome(scenario: Scenario, seed: number, size?: number): { report: DriftReport; hit: boolean } {
    const c = randomCase(seed, scenario, size);
    if (size === undefined) {
      c.nRef = Math.min(c.nRef, 5000);
      c.nCur = Math.min(c.nCur, 5000);
    }
    const s = simulate(c);
    const report = buildDriftReport(s.reference, s.current, s.options);
    const col = CHANGED_COLUMN[scenario];
    const v = report.verdict;
    const hit =
      scenario === 'stationary'
        ? v.level === 'ok'
        : scenario === 'concept'
          ? v.retrain
          : v.level !== 'ok' && v.reasons.some(x => x.column === col || x.message.includes(`"${col}"`));
    return { report, hit };
  }

  it('stationary data (500–5,000 rows per side, mixed columns, with/without time, label, score): OK in ≥ 95 % of 40 reports', () => {
    const results = Array.from({ length: 40 }, (_, i) => outcome('stationary', 1000 + i));
    const ok = results.filter(r => r.hit).length;
    assert.ok(
      ok >= 38,
      `OK in ${ok} of 40: ${results
        .filter(r => !r.hit)
        .map(r => r.report.verdict.reasons.map(x => x.message).join(' | '))
        .join(' || ')}`,
    );
    // the uncalibrated flags alone would have raised alarms in many of the same reports
    const flagged = results.filter(
      r => r.report.columns.some(c => c.drifted) || r.report.overTime?.drift.some(s => s.alerts.some(Boolean)),
    ).length;
    assert.ok(flagged >= 10, `Evidently/NannyML flags in ${flagged} of 40`);
  });

  for (const scenario of ['mean-shift', 'category-shift', 'concept'] as const) {
    it(`${scenario} at 5,000 rows per side: detected${scenario === 'concept' ? ' ("retrain recommended")' : ' and the column named'} in all of 8 reports`, () => {
      const results = Array.from({ length: 8 }, (_, i) => outcome(scenario, 2000 + i, 5000));
      const missed = results.filter(r => !r.hit);
      assert.strictEqual(
        missed.length,
        0,
        missed
          .map(r => `${r.report.verdict.level}: ${r.report.verdict.reasons.map(x => x.message).join(' | ')}`)
          .join(' || '),
      );
    });
  }

  it('the verdict states its designed alarm rate and its reasoning (tests, correction, chunks, band interval)', () => {
    const { report } = outcome('concept', 2100, 5000);
    const c = report.verdict.calibration;
    assert.match(c.statement, /at most about 5 % of reports/);
    assert.strictEqual(c.columns.correction, 'holm');
    assert.strictEqual(c.columns.tests, report.columns.length);
    assert.ok(c.overTime && c.overTime.chunks === 10 && c.overTime.persistence === 2);
    assert.ok(c.performance && c.performance.typical.lower < c.performance.center && c.performance.degradedRun);
    const text = verdictReasoning(report)
      .map(s => `${s.title}: ${s.lines.join(' ')}`)
      .join('\n');
    assert.match(text, /Holm-corrected at 3 %/);
    assert.match(text, /band for a chunk of 500 rows: [\d.]+ – [\d.]+ \(reference [\d.]+ ± [\d.]+ σ/);
    assert.match(text, /2 consecutive chunks below the band/);
  });

  it('Benjamini–Hochberg and a lower alpha are honoured', () => {
    const c = randomCase(2001, 'mean-shift', 5000);
    const s = simulate(c);
    const r = buildDriftReport(s.reference, s.current, { ...s.options, verdict: { alpha: 0.01, correction: 'bh' } });
    assert.strictEqual(r.verdict.calibration.columns.correction, 'bh');
    close(r.verdict.calibration.columns.alpha, 0.006, 1e-12, 'column alpha');
    assert.ok(r.verdict.reasons.some(x => x.column === 'x2'));
  });
});

// ---------------------------------------------------------------------------------------------------------------

function tableOf(name: string, cols: Record<string, (number | string | null)[]>): Table {
  const columns = Object.entries(cols).map(([n, vs]) => {
    const b = new ColumnBuilder(n, vs.length);
    for (const v of vs) {
      if (v === null) {
        b.pushMissing();
      } else if (typeof v === 'number') {
        b.pushNumber(v, Number.isInteger(v));
      } else {
        b.pushString(v);
      }
    }
    return b.finish();
  });
  const rows = columns.length ? columns[0].length : 0;
  return { path: `/x/${name}.csv`, format: 'csv', gzip: false, rows, truncated: false, sizeBytes: 1, columns };
}

const seq = <T = number>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe('drift verdict: input validation and column mapping', () => {
  it('a current file with no rows is an error, never "no drift"', () => {
    const ref = tableOf('ref', { a: seq(50, i => i), b: seq(50, i => i % 7) });
    const cur = tableOf('cur', { a: [], b: [] });
    assert.throws(
      () => buildDriftReport(ref, cur),
      (e: unknown) =>
        e instanceof DriftInputError &&
        /Nothing could be compared: The current data \(cur\.csv\) has no rows/.test(e.message),
    );
  });

  it('no shared column is an error that suggests the mapping', () => {
    const ref = tableOf('ref', { a: seq(50, i => i) });
    const cur = tableOf('cur', { z: seq(50, i => i) });
    assert.throws(
      () => buildDriftReport(ref, cur),
      (e: unknown) => e instanceof DriftInputError && /no column in common.*--map/.test(e.message),
    );
  });

  it('missing, new and retyped columns are data-quality findings; missing and retyped ones keep the verdict from OK', () => {
    const same = tableOf('same', { a: seq(300, i => (i * 37) % 101), b: seq(300, i => i % 5) });
    assert.strictEqual(buildDriftReport(same, same).verdict.level, 'ok');
    assert.deepStrictEqual(buildDriftReport(same, same).dataQuality, []);
    const ref = tableOf('ref', {
      a: seq(300, i => (i * 37) % 101),
      kind: seq(300, i => i % 3),
      gone: seq(300, i => i),
    });
    const cur = tableOf('cur', {
      a: seq(300, i => (i * 37) % 101),
      kind: seq(300, i => ['x', 'y', 'z'][i % 3]),
      extra: seq(300, i => i),
    });
    const r = buildDriftReport(ref, cur);
    const codes = r.dataQuality.map(f => `${f.code}:${f.column}:${f.severity}`);
    assert.deepStrictEqual(codes.sort(), [
      'missing-column:gone:warning',
      'new-column:extra:info',
      'type-changed:kind:warning',
    ]);
    assert.match(
      r.dataQuality.find(f => f.code === 'type-changed')!.message,
      /integers in the reference, text in the current/,
    );
    assert.notStrictEqual(r.verdict.level, 'ok');
    assert.ok(r.verdict.reasons.some(x => x.code === 'data-quality:missing-column' && x.column === 'gone'));
    assert.ok(r.verdict.reasons.some(x => x.code === 'data-quality:type-changed' && x.column === 'kind'));
    assert.ok(!r.verdict.reasons.some(x => x.column === 'extra'));
  });

  it('--map-style mapping: reference churned/proba against current label/prediction gives label drift, prediction drift and performance', () => {
    const n = 2000;
    const x = seq(n, i => (Math.sin(i * 12.9898) * 43758.5453) % 1);
    const ref = tableOf('ref', {
      x,
      churned: x.map(v => (v > 0 ? 1 : 0)),
      proba: x.map(v => 1 / (1 + Math.exp(-4 * v))),
    });
    const cur = tableOf('cur', {
      x,
      label: x.map(v => (v > 0 ? 0 : 1)),
      prediction: x.map(v => 1 / (1 + Math.exp(-4 * v))),
    });
    const unmapped = buildDriftReport(ref, cur, { target: 'churned', prediction: 'proba' });
    assert.strictEqual(unmapped.overTime?.performance ?? null, null);
    const r = buildDriftReport(ref, cur, {
      target: 'churned',
      prediction: 'proba',
      map: { churned: 'label', proba: 'prediction' },
    });
    assert.strictEqual(r.target, 'churned');
    assert.ok(r.columns.some(c => c.name === 'churned' && c.role === 'target'));
    assert.ok(r.overTime?.performance, 'performance over time');
    assert.strictEqual(r.verdict.retrain, true);
    // the current names work too
    const r2 = buildDriftReport(ref, cur, {
      target: 'label',
      prediction: 'prediction',
      map: { churned: 'label', proba: 'prediction' },
    });
    assert.strictEqual(r2.target, 'churned');
    assert.deepStrictEqual(parseColumnMap(['churned=label', ' proba = prediction ']), {
      churned: 'label',
      proba: 'prediction',
    });
    assert.throws(() => parseColumnMap(['churned']), /reference_name=current_name/);
    assert.throws(() => parseColumnMap(['a=x', 'b=x']), /mapped twice/);
  });

  it('the CLI: --map maps columns; an empty current file exits 1 with a clear message', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-drift-cal-'));
    try {
      const lines = (h: string, n: number, f: (i: number) => string) => [h, ...seq(n, i => f(i))].join('\n') + '\n';
      fs.writeFileSync(
        path.join(dir, 'ref.csv'),
        lines('age,churned', 400, i => `${20 + (i % 50)},${i % 2}`),
      );
      fs.writeFileSync(
        path.join(dir, 'cur.csv'),
        lines('age,label', 400, i => `${20 + (i % 50)},${i % 2}`),
      );
      fs.writeFileSync(path.join(dir, 'empty.csv'), 'age,churned\n');
      let out = '',
        err = '';
      const code = await main(
        ['drift', path.join(dir, 'ref.csv'), path.join(dir, 'empty.csv')],
        s => {
          out += s;
        },
        s => {
          err += s;
        },
      );
      assert.strictEqual(code, 1);
      assert.match(err, /Nothing could be compared: The current data \(empty\.csv\) has no rows/);
      assert.doesNotMatch(out, /No drift/);
      out = '';
      err = '';
      const ok = await main(
        [
          'drift',
          path.join(dir, 'ref.csv'),
          path.join(dir, 'cur.csv'),
          '--target',
          'churned',
          '--map',
          'churned=label',
          '--format',
          'json',
        ],
        s => {
          out += s;
        },
        s => {
          err += s;
        },
      );
      assert.strictEqual(ok, 0, err);
      const j = JSON.parse(out);
      assert.strictEqual(j.label_drift.column, 'churned');
      assert.deepStrictEqual(j.settings.map, { churned: 'label' });
      assert.strictEqual(j.verdict.level, 'ok');
      assert.match(j.verdict.calibration.statement, /at most about 5 %/);
      const bad = await main(
        ['drift', path.join(dir, 'ref.csv'), path.join(dir, 'cur.csv'), '--map', 'churned'],
        () => undefined,
        () => undefined,
      );
      assert.strictEqual(bad, 2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('drift report: PSI on reference deciles', () => {
  it('psiBinning "deciles" makes the PSI method use the reference deciles; Evidently\'s bins stay the default; chunks use deciles', () => {
    const c = simulate({
      seed: 7,
      nRef: 3000,
      nCur: 3000,
      time: false,
      label: false,
      score: false,
      scenario: 'mean-shift',
    });
    const base = buildDriftReport(c.reference, c.current, { methods: { x2: 'psi' } });
    const dec = buildDriftReport(c.reference, c.current, { methods: { x2: 'psi' }, psiBinning: 'deciles' });
    const b = base.columns.find(x => x.name === 'x2')!;
    const d = dec.columns.find(x => x.name === 'x2')!;
    assert.strictEqual(b.statistic, b.stats.psi);
    assert.strictEqual(d.statistic, d.stats.psiDeciles);
    assert.notStrictEqual(b.stats.psi, b.stats.psiDeciles);
    assert.strictEqual(d.drifted, d.stats.psiDeciles! >= 0.1);
    const ref = Float64Array.from(c.reference.columns.find(x => x.name === 'x2')!.numbers!).sort();
    const cur = Float64Array.from(c.current.columns.find(x => x.name === 'x2')!.numbers!).sort();
    close(d.stats.psiDeciles!, quantilePsi(ref, cur).value, 1e-12, 'report decile PSI');
    const series = dec.overTime!.drift.find(x => x.name === 'x2')!;
    const rows = Float64Array.from(c.current.columns.find(x => x.name === 'x2')!.numbers!.subarray(0, 300)).sort();
    close(series.psi[0]!, quantilePsi(ref, rows).value, 1e-12, 'chunk 1 decile PSI');
    assert.strictEqual(dec.settings.psiBinning, 'deciles');
  });
});

describe('drift pickers: logged datasets from the store (SQL in the core)', () => {
  it('lists datasets with a path, training data first, then the newest runs', async () => {
    const ws = tempWorkspace();
    const store = await WorkspaceStore.open({ folder: ws });
    try {
      store.write(db => {
        db.run(`INSERT INTO experiments (id, name, source) VALUES ('e', 'e', 'test')`);
        db.run(
          `INSERT INTO runs (id, experiment_id, name, source, start_time) VALUES ('r1', 'e', 'old', 'test', 1), ('r2', 'e', NULL, 'test', 2)`,
        );
        db.run(`INSERT INTO datasets (run_id, name, role, path) VALUES ('r1', 'train', 'train', 'data/train.csv'), ('r2', 'eval', 'eval', 'data/eval.csv'),
          ('r2', 'train2', 'train', 'data/train2.csv'), ('r2', 'nopath', 'train', NULL)`);
      });
      const rows = store.read(db => loggedDatasets(db));
      assert.deepStrictEqual(
        rows.map(r => [r.name, r.role, r.path, r.run]),
        [
          ['train2', 'train', 'data/train2.csv', 'r2'],
          ['train', 'train', 'data/train.csv', 'old'],
          ['eval', 'eval', 'data/eval.csv', 'r2'],
        ],
      );
      assert.strictEqual(store.read(db => loggedDatasets(db, 1)).length, 1);
    } finally {
      await store.close();
    }
  });
});
