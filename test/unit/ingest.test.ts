import * as assert from 'assert';
import * as fs from 'fs';
import { WorkspaceStore } from '../../src/core/store/store';
import { ingestMlsightRuns } from '../../src/core/ingest/mlsightRunLog';
import { parseMetricValue } from '../../src/core/runs/format';
import { parseJsonl } from '../../src/core/jsonl';
import { Logger, silentLogger } from '../../src/core/log';
import { getRun, listExperiments, listRuns, metricHistory } from '../../src/core/queries';
import { appendRunLog, tempWorkspace, writeRunLog } from './helpers';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { ...silentLogger, lines, warn: m => lines.push(m), error: m => lines.push(m) };
}

describe('JSON Lines parsing', () => {
  it('consumes only complete lines and reports bad ones with their line numbers', () => {
    const c = parseJsonl(Buffer.from('{"a":1}\nnot json\n\n{"b":2}\n{"c":'), 10);
    assert.deepStrictEqual(
      c.records.map(r => [r.line, r.value]),
      [
        [10, { a: 1 }],
        [13, { b: 2 }],
      ],
    );
    assert.deepStrictEqual(
      c.errors.map(e => e.line),
      [11],
    );
    assert.strictEqual(c.lines, 4);
    assert.strictEqual(c.partialTail, true);
    assert.strictEqual(c.consumed, Buffer.byteLength('{"a":1}\nnot json\n\n{"b":2}\n'));
  });

  it('parses logged metric values including nan and inf spellings', () => {
    assert.ok(Number.isNaN(parseMetricValue('NaN')));
    assert.strictEqual(parseMetricValue('inf'), Infinity);
    assert.strictEqual(parseMetricValue('-Infinity'), -Infinity);
    assert.strictEqual(parseMetricValue(' 2.5 '), 2.5);
    assert.strictEqual(parseMetricValue('abc'), undefined);
    assert.strictEqual(parseMetricValue(''), undefined);
    assert.strictEqual(parseMetricValue(null), undefined);
  });
});

describe('Ingesting ML Sight run logs', () => {
  it('reads runs, params, metrics, tags, git, datasets, artifacts and the end status', async () => {
    const ws = tempWorkspace();
    writeRunLog(ws, 'run-1', [
      {
        type: 'run',
        run_id: 'run-1',
        experiment: 'iris',
        name: 'baseline',
        start_time: 1000,
        ts: 1000,
        tags: { team: 'ml' },
      },
      { type: 'param', key: 'C', value: 1.0 },
      { type: 'param', key: 'kernel', value: 'rbf' },
      { type: 'git', commit: 'abcdef1234567', branch: 'main', dirty: true },
      { type: 'metric', key: 'loss', value: 1.5, step: 0, ts: 1100 },
      { type: 'metric', key: 'loss', value: 'NaN', step: 1, ts: 1200 },
      { type: 'metric', key: 'loss', value: 'Infinity', step: 2, ts: 1300 },
      { type: 'metric', key: 'val/acc', value: 0.93, step: 2, ts: 1300 },
      { type: 'dataset', name: 'iris', role: 'train', digest: 'sha256:1', rows: 120 },
      { type: 'artifact', path: 'model.pkl', size: 42, kind: 'model' },
      { type: 'end', status: 'FINISHED', end_time: 5000 },
    ]);
    const store = await WorkspaceStore.open({ folder: ws });
    const r = await ingestMlsightRuns(store, silentLogger);
    assert.strictEqual(r.errors, 0);
    const run = store.read(db => getRun(db, 'run-1'))!;
    assert.strictEqual(run.name, 'baseline');
    assert.strictEqual(run.status, 'FINISHED');
    assert.strictEqual(run.endTime, 5000);
    assert.deepStrictEqual(run.params, { C: '1', kernel: 'rbf' });
    assert.deepStrictEqual(run.tags, { team: 'ml' });
    assert.strictEqual(run.gitCommit, 'abcdef1234567');
    assert.strictEqual(run.gitDirty, true);
    assert.strictEqual(run.latestMetrics.loss.value, Infinity);
    assert.strictEqual(run.latestMetrics['val/acc'].value, 0.93);
    assert.deepStrictEqual(run.datasets, [{ name: 'iris', role: 'train', digest: 'sha256:1', rows: 120 }]);
    assert.deepStrictEqual(run.artifacts, [{ path: 'model.pkl', kind: 'model', size: 42 }]);
    const hist = store.read(db => metricHistory(db, 'run-1', 'loss'));
    assert.deepStrictEqual(
      hist.map(p => p.step),
      [0, 1, 2],
    );
    assert.ok(Number.isNaN(hist[1].value));
    assert.deepStrictEqual(
      store.read(db => listExperiments(db)).map(e => [e.name, e.runCount]),
      [['iris', 1]],
    );
    await store.close();
  });

  it('is incremental, waits for a torn last line, and does not duplicate on re-scan', async () => {
    const ws = tempWorkspace();
    const file = writeRunLog(ws, 'r', [
      { type: 'run', run_id: 'r', experiment: 'e' },
      { type: 'metric', key: 'm', value: 1, step: 0 },
    ]);
    const store = await WorkspaceStore.open({ folder: ws });
    await ingestMlsightRuns(store, silentLogger);
    appendRunLog(file, ['{"type":"metric","key":"m","value":2,"st'], false); // a writer mid-line
    const log = recordingLogger();
    await ingestMlsightRuns(store, log);
    assert.deepStrictEqual(log.lines, [], 'a torn last line is not an error');
    assert.strictEqual(store.read(db => metricHistory(db, 'r', 'm')).length, 1);
    fs.appendFileSync(file, 'ep":1}\n');
    await ingestMlsightRuns(store, silentLogger);
    await ingestMlsightRuns(store, silentLogger);
    assert.deepStrictEqual(
      store.read(db => metricHistory(db, 'r', 'm')).map(p => p.value),
      [1, 2],
    );
    await store.close();
  });

  it('skips bad lines with one clear message each and loads the rest', async () => {
    const ws = tempWorkspace();
    writeRunLog(ws, 'bad', [
      { type: 'run', run_id: 'bad', experiment: 'e', name: '<img src=x onerror=alert(1)>' },
      'garbage{',
      { type: 'metric', key: 'm', value: 'not-a-number' },
      { type: 'metric', value: 1 },
      { type: 'wat' },
      { type: 'metric', key: 'm', value: 3, step: 1 },
    ]);
    const store = await WorkspaceStore.open({ folder: ws });
    const log = recordingLogger();
    const r = await ingestMlsightRuns(store, log);
    assert.strictEqual(r.errors, 4);
    assert.strictEqual(log.lines.length, 4);
    assert.match(log.lines[0], /events\.jsonl:2: not valid JSON/);
    assert.match(log.lines.join('\n'), /:3: metric "m" has a value that is not a number/);
    const run = store.read(db => getRun(db, 'bad'))!;
    assert.strictEqual(run.name, '<img src=x onerror=alert(1)>');
    assert.strictEqual(run.latestMetrics.m.value, 3);
    await store.close();
  });

  it('re-reads a run log that was replaced by a shorter one', async () => {
    const ws = tempWorkspace();
    writeRunLog(ws, 'r', [
      { type: 'run', run_id: 'r', experiment: 'e' },
      { type: 'param', key: 'a', value: 1 },
      { type: 'param', key: 'b', value: 2 },
    ]);
    const store = await WorkspaceStore.open({ folder: ws });
    await ingestMlsightRuns(store, silentLogger);
    writeRunLog(ws, 'r', [
      { type: 'run', run_id: 'r', experiment: 'e' },
      { type: 'param', key: 'z', value: 9 },
    ]);
    await ingestMlsightRuns(store, silentLogger);
    assert.deepStrictEqual(store.read(db => getRun(db, 'r'))!.params, { z: '9' });
    assert.strictEqual(store.read(db => listRuns(db, 'mlsight:e')).length, 1);
    await store.close();
  });
});
