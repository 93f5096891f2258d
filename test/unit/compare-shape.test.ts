import * as assert from 'assert';
import {
  MISSING_POS,
  bestIndex,
  bestIndices,
  differingCells,
  fitLabel,
  formatDelta,
  metricColorPositions,
  nonOverlapping,
  parallelAxis,
  pickScatterParam,
  rampColor,
  splitFinalMetrics,
} from '../../src/core/compare/shape';
import { formatDuration, runDescription } from '../../src/core/runs/format';
import type { SeriesData } from '../../src/core/compare/types';

const series = (runId: string, key: string, total: number): SeriesData => ({
  runId,
  key,
  total,
  complete: true,
  steps: [],
  times: [],
  values: [],
  nonFinite: [],
});

describe('comparison view decisions (shape)', () => {
  it('metrics every run logged once are final metrics (bars), others are curves', () => {
    const s = [
      series('a', 'loss', 50),
      series('b', 'loss', 1),
      series('a', 'test/acc', 1),
      series('b', 'test/acc', 1),
      series('a', 'auc', 1),
    ];
    assert.deepStrictEqual(splitFinalMetrics(['auc', 'loss', 'test/acc'], s), {
      curves: ['loss'],
      finals: ['auc', 'test/acc'],
    });
    assert.deepStrictEqual(splitFinalMetrics(['x'], []), { curves: [], finals: ['x'] });
  });

  it('parallel axes: a missing value gets its own tick so the line still reaches every axis', () => {
    const a = parallelAxis('max_depth', 'param', [4, null, 8, '6']);
    assert.strictEqual(a.numeric, true);
    assert.deepStrictEqual(a.present, [true, false, true, true]);
    assert.strictEqual(a.positions[1], MISSING_POS);
    assert.ok(a.positions[0] > MISSING_POS && a.positions[0] < a.positions[3] && a.positions[3] < a.positions[2]);
    assert.strictEqual(a.positions[2], 1);
    assert.deepStrictEqual(
      a.ticks.map(t => t.label),
      ['4', '6', '8', 'missing'],
    );
    assert.ok(a.ticks.every(t => t.pos >= 0 && t.pos <= 1));
    const full = parallelAxis('lr', 'param', [0.1, 0.2]);
    assert.deepStrictEqual(full.positions, [0, 1], 'without missing values the whole axis is used');
    assert.ok(!full.ticks.some(t => t.missing));
  });

  it('parallel axes: a single value is a labelled tick where the line crosses; categories sorted; log for decades', () => {
    const one = parallelAxis('n_estimators', 'param', [300, 300]);
    assert.deepStrictEqual(one.positions, [0.5, 0.5]);
    assert.deepStrictEqual(one.ticks, [{ pos: 0.5, label: '300' }]);
    const cat = parallelAxis('model', 'param', ['svc', 'logreg', null, 'rf']);
    assert.strictEqual(cat.numeric, false);
    assert.deepStrictEqual(
      cat.ticks.map(t => t.label),
      ['logreg', 'rf', 'svc', 'missing'],
    );
    assert.strictEqual(cat.positions[1], cat.ticks[0].pos);
    assert.strictEqual(cat.positions[0], 1);
    const lg = parallelAxis('C', 'param', [0.01, 0.1, 1, 10]);
    assert.strictEqual(lg.log, true);
    assert.deepStrictEqual(
      lg.positions.map(p => +p.toFixed(6)),
      [0, 0.333333, 0.666667, 1],
      'equal steps per decade',
    );
    const mixed = parallelAxis('x', 'param', ['1', 'auto']);
    assert.strictEqual(mixed.numeric, false, 'a non-number makes the axis categorical');
  });

  it('labels do not overlap: kept labels are at least the gap apart, ends and "missing" first', () => {
    const ys = [0, 5, 10, 14, 30, 31, 100];
    const shown = nonOverlapping(ys, 14, [true, false, false, false, false, false, true]);
    const kept = ys.filter((_, i) => shown[i]);
    for (let i = 0; i < kept.length; i++) {
      for (let j = i + 1; j < kept.length; j++) {
        assert.ok(Math.abs(kept[i] - kept[j]) >= 14, `${kept}`);
      }
    }
    assert.ok(shown[0] && shown[6], 'the labels marked keep are drawn');
    assert.deepStrictEqual(kept, [0, 14, 30, 100]);
    assert.strictEqual(fitLabel('learning_rate', 6), 'learn…');
    assert.strictEqual(fitLabel('lr', 6), 'lr');
  });

  it('colours runs by the chosen metric, best = 1 by the metric direction; missing = null', () => {
    assert.deepStrictEqual(
      metricColorPositions('val/accuracy', [0.5, 0.9, null, 0.7]).map(v => (v === null ? null : +v.toFixed(6))),
      [0, 1, null, 0.5],
    );
    assert.deepStrictEqual(
      metricColorPositions('val/loss', [0.5, 0.9, 0.7]).map(v => +v!.toFixed(6)),
      [1, 0, 0.5],
    );
    assert.deepStrictEqual(metricColorPositions('acc', [0.3, 0.3]), [1, 1]);
    assert.notStrictEqual(rampColor(0), rampColor(1));
    assert.match(rampColor(0.5), /^rgb\(\d+, \d+, \d+\)$/);
  });

  it('the scatter starts on a parameter that varies across the most runs, not one only one run has', () => {
    const rows = [
      { key: 'hidden', values: [null, null, '64,64', null] }, // one run only
      { key: 'model', values: ['Dummy', 'LogReg', 'MLP', 'RF'] }, // varies, categorical
      { key: 'C', values: [null, '1.0', null, null] }, // one run only
      { key: 'n_estimators', values: ['300', '300', '300', '300'] }, // does not vary
      { key: 'seed', values: [1, 2, 3, 4] }, // varies, numeric, all runs
    ];
    assert.strictEqual(pickScatterParam(rows), 'seed');
    assert.strictEqual(pickScatterParam(rows.slice(0, 4)), 'model');
    assert.strictEqual(pickScatterParam([rows[0], rows[2], rows[3]]), null);
  });

  it('deltas are absolute by default and relative on request; relative to zero is not shown', () => {
    assert.strictEqual(formatDelta(0.6123, 0.34, 'absolute'), '+0.612');
    assert.strictEqual(formatDelta(-0.02, 0.9, 'absolute'), '−0.02');
    assert.strictEqual(formatDelta(3, 10, 'absolute'), '+3');
    assert.strictEqual(formatDelta(0.6123, 0.34, 'relative'), '+180 %');
    assert.strictEqual(formatDelta(-0.02, 0.9, 'relative'), '−2.2 %');
    assert.strictEqual(formatDelta(1, 0, 'relative'), null);
    assert.strictEqual(formatDelta(NaN, 1, 'absolute'), null);
  });

  it('highlights only the cells that differ: from the reference, else from the most common value', () => {
    assert.deepStrictEqual(differingCells(['300', '300', '200', '300']), [false, false, true, false]);
    assert.deepStrictEqual(differingCells(['a', 'b', 'b'], 0), [false, true, true]);
    assert.deepStrictEqual(differingCells(['1.0', 1, null]), [false, false, true], '"1.0" equals 1, missing differs');
    assert.deepStrictEqual(differingCells(['x', 'x']), [false, false]);
    assert.strictEqual(bestIndex('val/accuracy', [0.5, 0.9, null]), 1);
    assert.strictEqual(bestIndex('loss', [0.5, 0.9]), 0);
    assert.strictEqual(bestIndex('loss', [0.5, 0.5]), -1, 'a tie has no best');
    assert.strictEqual(bestIndex('loss', [0.5, null]), -1);
    assert.deepStrictEqual(bestIndices('test/accuracy', [0.33, 0.97, '0.97', 0.9]), [1, 2], 'tied runs share the best');
    assert.deepStrictEqual(bestIndices('acc', [0.5, 0.5]), []);
  });

  it('one duration format everywhere, and the Runs view description puts the metric first', () => {
    assert.strictEqual(formatDuration(540_000), '9m 0s');
    assert.strictEqual(formatDuration(45_400), '45s');
    assert.strictEqual(formatDuration(2 * 3_600_000 + 5 * 60_000), '2h 5m');
    assert.strictEqual(formatDuration(-1), '');
    const base = { startTime: 1000, endTime: 541_000, gitCommit: 'a1b2c3d4e5', gitDirty: true, note: null };
    assert.strictEqual(
      runDescription({ ...base, status: 'FINISHED', keyMetric: { key: 'val/accuracy', value: 0.97 } }, String),
      '0.97 val/accuracy · 9m 0s · a1b2c3d*',
    );
    assert.strictEqual(
      runDescription({ ...base, status: 'FAILED', endTime: 121_000 }, String),
      'failed · 2m 0s · a1b2c3d*',
    );
    assert.strictEqual(
      runDescription({ ...base, status: 'RUNNING', endTime: null, gitCommit: null }, String, 66_000),
      'running · 1m 5s',
    );
  });
});
