import * as assert from 'assert';
import { emaSmooth, lttb } from '../../src/core/compare/series';
import { buildRows, diffOnly, higherIsBetter, improvement, toCsv } from '../../src/core/compare/table';
import * as fs from 'fs';
import * as path from 'path';
import { loadCompareData } from '../../src/core/compare/build';
import { WorkspaceStore } from '../../src/core/store/store';
import { ingestMlsightRuns } from '../../src/core/ingest/mlsightRunLog';
import { silentLogger } from '../../src/core/log';
import { tempWorkspace, writeRunLog } from './helpers';

describe('comparison data shaping', () => {
  it('smooths like TensorBoard (debiased EMA), passing non-finite values through', () => {
    // hand-computed: w = 0.5 on [1, 2, 3]: last 0.5 → 0.5/0.5 = 1; last 1.25 → 1.25/0.75; last 2.125 → 2.125/0.875
    const s = emaSmooth([1, 2, 3], 0.5);
    assert.deepStrictEqual(
      s.map(v => +v.toFixed(12)),
      [1, +(1.25 / 0.75).toFixed(12), +(2.125 / 0.875).toFixed(12)],
    );
    const withNaN = emaSmooth([1, NaN, 3], 0.5);
    assert.ok(Number.isNaN(withNaN[1]));
    assert.strictEqual(+withNaN[2].toFixed(12), +((0.5 * 0.5 + 0.5 * 3) / 0.75).toFixed(12));
    assert.deepStrictEqual(emaSmooth([2, 2, 2], 0.9), [2, 2, 2], 'constant series unchanged');
    assert.deepStrictEqual(emaSmooth([1, 5], 0), [1, 5]);
  });

  it('decimates with LTTB: keeps ends and spikes, returns the threshold count, sets NaN aside', () => {
    const pts = Array.from({ length: 10_000 }, (_, i) => ({ x: i, y: i === 5000 ? 1000 : Math.sin(i / 100) }));
    pts[7000] = { x: 7000, y: NaN };
    const { points, nonFinite } = lttb(pts, 500);
    assert.strictEqual(points.length, 500);
    assert.deepStrictEqual(points[0], pts[0]);
    assert.deepStrictEqual(points[499], pts[9999]);
    assert.ok(
      points.some(p => p.y === 1000),
      'the spike survives',
    );
    assert.deepStrictEqual(
      nonFinite.map(p => p.x),
      [7000],
    );
    for (let i = 1; i < points.length; i++) {
      assert.ok(points[i].x > points[i - 1].x);
    }
    assert.strictEqual(lttb(pts.slice(0, 10), 500).points.length, 10, 'short series untouched');
  });

  it('builds table rows: union of keys, diff flags, numeric deltas against the reference', () => {
    const rows = buildRows(
      'param',
      [
        { lr: '0.1', depth: 3, opt: 'adam' },
        { lr: '0.10', depth: 5 },
        { lr: 0.2, depth: 3, opt: 'adam' },
      ],
      0,
    );
    const byKey = Object.fromEntries(rows.map(r => [r.key, r]));
    assert.deepStrictEqual(Object.keys(byKey), ['depth', 'lr', 'opt']);
    assert.strictEqual(byKey.depth.differs, true);
    assert.deepStrictEqual(byKey.depth.deltas, [0, 2, 0]);
    assert.strictEqual(byKey.lr.differs, true);
    assert.deepStrictEqual(
      byKey.lr.deltas!.map(d => (d === null ? null : +d.toFixed(10))),
      [0, 0, 0.1],
    );
    assert.strictEqual(byKey.opt.differs, true, 'missing counts as different');
    const same = buildRows('param', [{ a: '1.0' }, { a: 1 }]);
    assert.strictEqual(same[0].differs, false, '"1.0" and 1 are the same number');
    assert.deepStrictEqual(
      diffOnly([...rows, ...same]).map(r => r.key),
      ['depth', 'lr', 'opt'],
    );
  });

  it('computes improvement over a baseline with the metric direction', () => {
    assert.strictEqual(higherIsBetter('val/accuracy'), true);
    assert.strictEqual(higherIsBetter('train/loss'), false);
    assert.strictEqual(higherIsBetter('rmse'), false);
    assert.strictEqual(+improvement(0.9, 0.6, true)!.toFixed(6), 0.5);
    assert.strictEqual(+improvement(0.5, 1.0, false)!.toFixed(6), 0.5);
    assert.strictEqual(improvement(1, 0, true), null);
    assert.strictEqual(improvement(NaN, 1, true), null);
  });

  it('writes RFC 4180 CSV and defuses spreadsheet formulas', () => {
    const csv = toCsv(
      ['key', 'a'],
      [
        ['lr', 0.1],
        ['name', 'x, "y"'],
        ['evil', '=HYPERLINK("http://x")'],
        ['neg', '-3'],
        ['nan', NaN],
        ['none', null],
      ],
    );
    assert.strictEqual(
      csv,
      'key,a\r\nlr,0.1\r\nname,"x, ""y"""\r\nevil,"\'=HYPERLINK(""http://x"")"\r\nneg,-3\r\nnan,nan\r\nnone,\r\n',
    );
  });

  it('builds CompareData from the store: baseline found from a DummyClassifier run, importances, hostile text kept as data', async () => {
    const ws = tempWorkspace();
    const evil = '<img src=x onerror=alert(1)>';
    writeRunLog(ws, 'b', [
      { type: 'run', run_id: 'b', experiment: 'e', name: 'dummy' },
      { type: 'param', key: 'model', value: 'DummyClassifier' },
      { type: 'metric', key: 'accuracy', value: 0.5, step: 0 },
      { type: 'metric', key: 'loss', value: 2, step: 0 },
      { type: 'end', status: 'FINISHED' },
    ]);
    writeRunLog(ws, 'm', [
      { type: 'run', run_id: 'm', experiment: 'e', name: evil },
      { type: 'param', key: 'model', value: 'RandomForest' },
      { type: 'param', key: evil, value: evil },
      ...Array.from({ length: 5000 }, (_, i) => ({
        type: 'metric',
        key: 'loss',
        value: i === 10 ? 'NaN' : 1 / (i + 1),
        step: i,
      })),
      { type: 'metric', key: 'accuracy', value: 0.8, step: 0 },
      { type: 'metric', key: 'feature_importance/petal_len', value: 0.6 },
      { type: 'metric', key: 'feature_importance/sepal_w', value: 0.1 },
    ]);
    writeRunLog(ws, 'n', [
      { type: 'run', run_id: 'n', experiment: 'other', name: 'lonely' },
      { type: 'metric', key: 'accuracy', value: 0.7 },
    ]);
    const store = await WorkspaceStore.open({ folder: ws });
    await ingestMlsightRuns(store, silentLogger);
    const d = await loadCompareData(store, ['b', 'm', 'n', 'gone'], { referenceRunId: 'b', maxPoints: 300 });
    // Without its run log the chart falls back to the store's decimated copy, and says so.
    fs.rmSync(path.join(ws, '.mlsight', 'runs', 'm'), { recursive: true });
    const gone = await loadCompareData(store, ['m'], { maxPoints: 300 });
    await store.close();
    const fallback = gone.series.find(s => s.key === 'loss')!;
    assert.strictEqual(fallback.complete, false);
    assert.strictEqual(fallback.total, 5000);
    assert.ok(
      fallback.steps.length <= 33 && fallback.steps[fallback.steps.length - 1] === 4999,
      `${fallback.steps.length} points`,
    );
    assert.deepStrictEqual(d.missing, ['gone']);
    assert.deepStrictEqual(
      d.runs.map(r => [r.name, r.isBaseline]),
      [
        ['dummy', true],
        [evil, false],
        ['lonely', false],
      ],
    );
    assert.strictEqual(d.baseline.byExperiment['mlsight:e'].runId, 'b');
    assert.strictEqual(d.baseline.byExperiment['mlsight:e'].auto, true);
    assert.strictEqual(d.baseline.byExperiment['mlsight:other'].runId, null, 'no baseline → the view warns');
    assert.strictEqual(d.baseline.metric, 'accuracy');
    assert.strictEqual(+d.baseline.improvement.m!.toFixed(6), 0.6);
    assert.strictEqual(+d.baseline.delta.m!.toFixed(6), 0.3, 'absolute difference to the baseline');
    assert.strictEqual(d.baseline.baselineValue.m, 0.5);
    assert.deepStrictEqual(d.metricKeys, ['accuracy', 'loss'], 'feature importances are not curves');
    const loss = d.series.find(s => s.runId === 'm' && s.key === 'loss')!;
    assert.strictEqual(loss.total, 5000);
    assert.strictEqual(loss.complete, true, 'read from the run log');
    assert.strictEqual(loss.steps.length, 300);
    assert.deepStrictEqual(loss.nonFinite, [{ step: 10, value: 'nan' }]);
    assert.deepStrictEqual(d.importances, [{ runId: 'm', names: ['petal_len', 'sepal_w'], values: [0.6, 0.1] }]);
    const hostile = d.rows.find(r => r.section === 'param' && r.key === evil)!;
    assert.deepStrictEqual(hostile.values, [null, evil, null]);
    const acc = d.rows.find(r => r.section === 'metric' && r.key === 'accuracy')!;
    assert.deepStrictEqual(
      acc.deltas!.map(x => (x === null ? null : +x.toFixed(6))),
      [0, 0.3, 0.2],
    );
  });
});
