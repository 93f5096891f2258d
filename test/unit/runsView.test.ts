import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { WorkspaceStore } from '../../src/core/store/store';
import { ingestMlsightRuns } from '../../src/core/ingest/mlsightRunLog';
import { silentLogger } from '../../src/core/log';
import { parseRunFilter, pickKeyMetric, runRows } from '../../src/core/runs/view';
import { annotate, readAnnotations } from '../../src/core/annotations';
import { checkReproducibility } from '../../src/core/runs/reproducibility';
import { rebuildFromWorkspace } from '../../src/core/rebuild';
import { countRuns, getRun, latestMetricsByRun, listTrashedRuns } from '../../src/core/queries';
import { tempWorkspace, writeRunLog } from './helpers';

async function fixture(): Promise<WorkspaceStore> {
  const ws = tempWorkspace();
  const run = (id: string, name: string, status: string, acc: number | string, extra: object[] = [], start = 0) =>
    writeRunLog(ws, id, [
      { type: 'run', run_id: id, experiment: 'e', name, start_time: 1000 + start },
      { type: 'param', key: 'model', value: name.split('-')[0] },
      { type: 'metric', key: 'val/accuracy', value: acc, step: 1 },
      { type: 'metric', key: 'train/loss', value: 0.5, step: 1 },
      ...extra,
      { type: 'end', status },
    ]);
  run('a', 'rf-1', 'FINISHED', 0.8, [{ type: 'tag', key: 'team', value: 'vision' }], 1);
  run('b', 'svm-1', 'FAILED', 'NaN', [], 2);
  run('c', 'rf-2', 'FINISHED', 0.9, [], 3);
  run('d', 'knn-1', 'FINISHED', 0.7, [], 4);
  const store = await WorkspaceStore.open({ folder: ws });
  await ingestMlsightRuns(store, silentLogger);
  return store;
}

describe('Runs view data', () => {
  it('parses filters: words, status:, tag:, key=value', () => {
    assert.deepStrictEqual(parseRunFilter(' RF  status:failed tag:team=vision tag:gpu lr=0.1 '), {
      terms: ['rf', 'lr=0.1'],
      status: 'FAILED',
      tags: [
        { key: 'team', value: 'vision' },
        { key: 'gpu', value: undefined },
      ],
    });
  });

  it('picks a score-like key metric, preferring validation over training', () => {
    assert.strictEqual(pickKeyMetric(['train/loss', 'train/acc', 'val/acc']), 'val/acc');
    assert.strictEqual(pickKeyMetric(['train/loss', 'val/loss']), 'val/loss');
    assert.strictEqual(pickKeyMetric(['a', 'b'], 'b'), 'b');
    assert.strictEqual(pickKeyMetric([]), undefined);
  });

  it('latest metric follows MLflow: highest step, then timestamp, then value', async () => {
    const ws = tempWorkspace();
    writeRunLog(ws, 'r', [
      { type: 'run', run_id: 'r', experiment: 'e' },
      { type: 'metric', key: 'm', value: 5, step: 2, timestamp: 10 },
      { type: 'metric', key: 'm', value: 1, step: 3, timestamp: 5 },
      { type: 'metric', key: 'm', value: 2, step: 3, timestamp: 5 },
      { type: 'metric', key: 'm', value: 9, step: 1, timestamp: 99 },
    ]);
    const store = await WorkspaceStore.open({ folder: ws });
    await ingestMlsightRuns(store, silentLogger);
    assert.strictEqual(
      store.read(db => latestMetricsByRun(db).get('r')!.m),
      2,
    );
    assert.strictEqual(store.read(db => getRun(db, 'r'))!.latestMetrics.m.value, 2);
    await store.close();
  });

  it('sorts by a metric (NaN last either way), keeps starred runs on top, filters', async () => {
    const store = await fixture();
    const names = (sort: Parameters<typeof runRows>[2], filter?: string) =>
      store.read(db => runRows(db, 'mlsight:e', sort, filter ? parseRunFilter(filter) : undefined).map(r => r.name));
    assert.deepStrictEqual(names({ by: 'metric', metric: 'val/accuracy', descending: true }), [
      'rf-2',
      'rf-1',
      'knn-1',
      'svm-1',
    ]);
    assert.deepStrictEqual(names({ by: 'metric', metric: 'val/accuracy', descending: false }), [
      'knn-1',
      'rf-1',
      'rf-2',
      'svm-1',
    ]);
    assert.deepStrictEqual(names({ by: 'start', descending: true }), ['knn-1', 'rf-2', 'svm-1', 'rf-1']);
    await annotate(store, { action: 'run.star', runId: 'a', starred: true });
    assert.deepStrictEqual(names({ by: 'name', descending: false }), ['rf-1', 'knn-1', 'rf-2', 'svm-1']);
    assert.deepStrictEqual(names({ by: 'name', descending: false }, 'rf'), ['rf-1', 'rf-2']);
    assert.deepStrictEqual(names({ by: 'name', descending: false }, 'status:failed'), ['svm-1']);
    assert.deepStrictEqual(names({ by: 'name', descending: false }, 'tag:team=vision'), ['rf-1']);
    assert.deepStrictEqual(names({ by: 'name', descending: false }, 'model=knn'), ['knn-1']);
    const rows = store.read(db => runRows(db, 'mlsight:e', { by: 'name', descending: false }));
    assert.deepStrictEqual(rows.find(r => r.id === 'c')!.keyMetric, { key: 'val/accuracy', value: 0.9 });
    await store.close();
  });

  it('the key metric comes from the metric_keys index, and from the runs themselves when the index names a key no run has', async () => {
    const store = await fixture();
    const key = () =>
      store.read(db => runRows(db, 'mlsight:e', { by: 'name', descending: false }).map(r => r.keyMetric?.key));
    assert.deepStrictEqual(
      store.read(db =>
        db
          .all<{ key: string }>(`SELECT key FROM metric_keys WHERE experiment_id = 'mlsight:e' ORDER BY key`)
          .map(r => r.key),
      ),
      ['train/loss', 'val/accuracy'],
    );
    // every val/accuracy value goes (as when the runs that logged it are deleted): the index still lists the key
    store.write(db => db.run(`DELETE FROM latest_metrics WHERE key = 'val/accuracy'`));
    assert.deepStrictEqual(key(), ['train/loss', 'train/loss', 'train/loss', 'train/loss']);
    await store.close();
  });

  it('rename, note, tags, trash and restore are annotations that survive re-ingestion and a rebuild', async () => {
    const store = await fixture();
    await annotate(store, { action: 'run.rename', runId: 'a', name: '<b>renamed</b>' });
    await annotate(store, { action: 'run.note', runId: 'a', note: 'best so far' });
    await annotate(store, { action: 'run.tag', runId: 'a', key: 'candidate', value: 'yes' });
    await annotate(store, { action: 'run.trash', runId: 'b', trashed: true });
    const check = () => {
      const a = store.read(db => getRun(db, 'a'))!;
      assert.strictEqual(a.name, '<b>renamed</b>');
      assert.strictEqual(a.note, 'best so far');
      assert.strictEqual(a.tags.candidate, 'yes');
      assert.strictEqual(a.tags.team, 'vision');
      assert.deepStrictEqual(
        store.read(db => listTrashedRuns(db)).map(r => r.id),
        ['b'],
      );
      assert.strictEqual(
        store.read(db => countRuns(db)),
        3,
      );
      assert.ok(!store.read(db => runRows(db, 'mlsight:e', { by: 'name', descending: false })).some(r => r.id === 'b'));
    };
    check();
    // the run log is re-read from scratch (e.g. replaced): annotations stay
    store.write(db => db.run('DELETE FROM ingest_state'));
    store.write(db => db.run(`DELETE FROM runs WHERE id = 'a'`));
    await ingestMlsightRuns(store, silentLogger);
    check();
    await rebuildFromWorkspace(store, silentLogger);
    check();
    const log = await readAnnotations(store.folder);
    assert.deepStrictEqual(
      log.annotations.map(x => x.action),
      ['run.rename', 'run.note', 'run.tag', 'run.trash'],
    );
    await annotate(store, { action: 'run.trash', runId: 'b', trashed: false });
    assert.strictEqual(
      store.read(db => countRuns(db)),
      4,
    );
    await annotate(store, { action: 'run.tag', runId: 'a', key: 'candidate', value: null });
    assert.strictEqual(store.read(db => getRun(db, 'a'))!.tags.candidate, undefined);
    await store.close();
  });

  it('checks reproducibility and notices a dataset file that changed since the run', async () => {
    const ws = tempWorkspace();
    fs.mkdirSync(path.join(ws, 'data'));
    fs.writeFileSync(path.join(ws, 'data', 'train.csv'), 'a,b\n1,2\n');
    const { createHash } = await import('crypto');
    const digest = 'sha256:' + createHash('sha256').update('a,b\n1,2\n').digest('hex');
    writeRunLog(ws, 'good', [
      { type: 'run', run_id: 'good', experiment: 'e' },
      { type: 'seed', seed: 42 },
      { type: 'tag', key: 'mlsight.seed', value: '42' },
      { type: 'git', commit: 'abc123', dirty: false },
      { type: 'artifact', path: 'requirements.txt', kind: 'requirements' },
      { type: 'dataset', name: 'train', role: 'train', path: 'data/train.csv', digest },
    ]);
    writeRunLog(ws, 'bad', [
      { type: 'run', run_id: 'bad', experiment: 'e' },
      { type: 'git', commit: 'abc123', dirty: true },
    ]);
    const store = await WorkspaceStore.open({ folder: ws });
    await ingestMlsightRuns(store, silentLogger);
    const good = await store.read(db => checkReproducibility(db, 'good', ws));
    assert.deepStrictEqual([good.passed, good.total], [6, 6], JSON.stringify(good.checks));
    fs.writeFileSync(path.join(ws, 'data', 'train.csv'), 'a,b\n1,3\n');
    const changed = await store.read(db => checkReproducibility(db, 'good', ws));
    assert.match(
      changed.checks.find(c => c.id === 'data-unchanged')!.detail,
      /train \(train\): data\/train\.csv changed since the run/,
    );
    const bad = await store.read(db => checkReproducibility(db, 'bad', ws));
    assert.deepStrictEqual(
      bad.checks.filter(c => !c.ok).map(c => c.id),
      ['seed', 'packages', 'clean-tree', 'datasets'],
    );
    await store.close();
  });
});
