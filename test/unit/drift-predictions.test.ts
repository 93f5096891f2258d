// Prediction logs of the Python logger (mlsight.log_prediction / log_label) read as the current data of a drift
// report: features become columns, plus "prediction", "label" (late labels joined by id, the last wins) and
// "timestamp".
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { driftReportFromFiles, isPredictionLog, loadTable, readColumnNames } from '../../src/core/drift';
import type { Column } from '../../src/core/drift';
import { MISSING_CODE } from '../../src/core/drift/columns';
import { tempWorkspace } from './helpers';

function col(t: { columns: Column[] }, name: string): Column {
  const c = t.columns.find(x => x.name === name);
  assert.ok(c, `no column ${name}: ${t.columns.map(x => x.name).join(', ')}`);
  return c;
}

function codeText(c: Column, i: number): string | null {
  const k = c.codes![i];
  return k === MISSING_CODE ? null : c.dictionary![k];
}

/** A deterministic prediction log: n predictions, labels inline for some, late (one overwritten) for others. */
function writeLog(dir: string, n: number, shift: number): string {
  const file = path.join(dir, '.mlsight', 'predictions', 'churn.jsonl');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const lines: string[] = [];
  let seed = 7;
  const rnd = () => {
    seed = (seed * 48271) % 2147483647;
    return seed / 2147483647;
  };
  const t0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < n; i++) {
    const x = rnd() * 10 + shift;
    const plan = rnd() < 0.5 ? 'pro' : 'free';
    const p = Math.min(1, Math.max(0, x / 20));
    const rec: Record<string, unknown> = {
      id: `p${i}`,
      ts: t0 + i * 3_600_000,
      features: { x, plan, ...(i === 3 ? { extra: 'NaN' } : {}) },
      prediction: p,
    };
    if (i % 2 === 0) {
      rec.label = rnd() < p ? 1 : 0;
    }
    lines.push(JSON.stringify(rec));
    if (i % 2 === 1 && i > 0) {
      lines.push(JSON.stringify({ id: `p${i - 1}`, ts: t0, label: (i >> 1) % 2 }));
    } // late label overrides p(i-1)'s
  }
  for (let i = 1; i < n; i += 2) {
    lines.push(JSON.stringify({ id: `p${i}`, ts: t0, label: i % 3 === 0 ? 1 : 0 }));
  }
  lines.push(JSON.stringify({ id: 'p1', ts: t0, label: 1 })); // last wins
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

describe('drift: prediction logs', () => {
  const dir = tempWorkspace('mlsight-pred-');

  it('reads features, prediction, joined labels and timestamps as columns', async () => {
    const file = writeLog(dir, 40, 0);
    assert.strictEqual(await isPredictionLog(file), true);
    const t = await loadTable(file);
    assert.strictEqual(t.rows, 40);
    assert.deepStrictEqual(
      t.columns.map(c => c.name),
      ['x', 'plan', 'extra', 'prediction', 'label', 'timestamp'],
    );
    assert.strictEqual(col(t, 'x').dtype, 'float');
    assert.strictEqual(col(t, 'prediction').dtype, 'float');
    assert.strictEqual(col(t, 'timestamp').dtype, 'datetime');
    assert.strictEqual(col(t, 'timestamp').times![2], Date.UTC(2024, 0, 1, 2));
    assert.strictEqual(col(t, 'extra').missing, 40);
    const label = col(t, 'label');
    assert.strictEqual(label.missing, 0, 'every prediction has a label (inline or late)');
    const value = (i: number): number => (label.numbers ? label.numbers[i] : Number(codeText(label, i)));
    assert.strictEqual(value(1), 1, 'the last late label wins');
    assert.strictEqual(value(0), 0, 'a late label replaces the inline one'); // (1 >> 1) % 2 = 0
    assert.strictEqual(value(2), 1); // (3 >> 1) % 2 = 1
    assert.strictEqual(value(3), 1); // 3 % 3 === 0
    assert.strictEqual(value(5), 0);
    assert.deepStrictEqual((await readColumnNames(file)).columns, [
      'x',
      'plan',
      'extra',
      'prediction',
      'label',
      'timestamp',
    ]);
    const limited = await loadTable(file, { maxRows: 5 });
    assert.strictEqual(limited.rows, 5);
    assert.strictEqual(limited.truncated, true);
    assert.strictEqual(col(limited, 'label').missing, 0, 'late labels after the row limit are still joined');
  });

  it('is the current data of a report with target=label, prediction=prediction, time=timestamp', async () => {
    const refDir = path.join(dir, 'ref');
    const curDir = path.join(dir, 'cur');
    const reference = writeLog(refDir, 400, 0);
    const current = writeLog(curDir, 400, 6);
    const report = await driftReportFromFiles(reference, current, {
      target: 'label',
      prediction: 'prediction',
      time: 'timestamp',
      chunks: 4,
    });
    assert.strictEqual(report.target, 'label');
    assert.strictEqual(report.prediction, 'prediction');
    assert.strictEqual(report.time, 'timestamp');
    assert.strictEqual(report.current.rows, 400);
    const x = report.columns.find(c => c.name === 'x');
    assert.ok(x, report.columns.map(c => c.name).join(', '));
    assert.strictEqual(x.drifted, true, 'x is shifted by 6');
    assert.ok(!report.columns.some(c => c.name === 'timestamp'), 'the time column is not a feature');
    assert.ok(report.overTime && report.overTime.chunks.length === 4);
    assert.ok(report.overTime.performance, 'performance per chunk from the joined labels');
  });

  it('rejects a line that is neither a prediction nor a label, naming the line', async () => {
    const file = path.join(dir, 'bad', '.mlsight', 'predictions', 'm.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"id":"a","ts":1,"features":{"x":1},"prediction":0}\n{"id":"b","ts":2}\n');
    await assert.rejects(loadTable(file), /m\.jsonl, line 2: neither a prediction/);
  });

  it('recognises a prediction log outside .mlsight by its first line', async () => {
    const file = path.join(dir, 'preds.jsonl');
    fs.writeFileSync(file, '{"id":"a","ts":1,"features":{"x":1},"prediction":0}\n{"id":"a","ts":2,"label":1}\n');
    assert.strictEqual(await isPredictionLog(file), true);
    const t = await loadTable(file);
    assert.deepStrictEqual(
      t.columns.map(c => c.name),
      ['x', 'prediction', 'label', 'timestamp'],
    );
    const plain = path.join(dir, 'plain.jsonl');
    fs.writeFileSync(plain, '{"x":1,"prediction":0}\n');
    assert.strictEqual(await isPredictionLog(plain), false);
  });
});
