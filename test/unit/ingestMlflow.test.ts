import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { silentLogger } from '../../src/core/log';
import { getRun, listExperiments, listModelVersions, listModels, listRuns } from '../../src/core/queries';
import { loadHistories, planHistories } from '../../src/core/runs/history';
import { WorkspaceStore } from '../../src/core/store/store';
import { globToRegExp, toIdString, toInt } from '../../src/core/ingest/common';
import {
  mlflowExperimentId,
  mlflowRunId,
  parseMetaYaml,
  parseMetricLines,
  parseMlflowExperimentId,
  parseMlflowRunId,
} from '../../src/core/ingest/mlflowFileStore';
import { discoverSources, ingestWorkspace } from '../../src/core/ingest/scan';
import { MlrunsBuilder, countRows, dumpTables, hex32, ingestTempWorkspace, recordingLogger } from './ingestFixtures';
import { BIG_EXP, HOSTILE, buildQuirkyTree, openStore } from './ingestMlflowShared';

/** A metric's full history as charts get it: an MLflow FileStore run's series stays in its metric file. */
async function fileHistory(
  store: WorkspaceStore,
  runId: string,
  key: string,
): Promise<{ step: number; value: number; timestamp: number | null }[]> {
  const wanted = [{ runId, key }];
  const h = (
    await loadHistories(
      store.read(db => planHistories(db, store.folder, wanted)),
      wanted,
    )
  )
    .get(runId)
    ?.get(key);
  assert.ok(h && h.complete, `history of ${key} read from its file`);
  return h.points;
}

/** Bytes and lines of a metric file the store has read. */
function readUpTo(store: WorkspaceStore, fileRel: string): { offset: number; line: number } | undefined {
  return store.read(db =>
    db.get<{ offset: number; line: number }>('SELECT offset, line FROM ingest_state WHERE path = ?', [fileRel]),
  );
}

describe('MLflow ingest: ids and metric lines', () => {
  it('builds and parses ids that cannot collide with ML Sight runs and keep 18-digit ids verbatim', () => {
    const e = mlflowExperimentId('sub/mlruns', BIG_EXP);
    assert.strictEqual(e, `mlflow:sub/mlruns:${BIG_EXP}`);
    assert.deepStrictEqual(parseMlflowExperimentId(e), { source: 'sub/mlruns', experimentId: BIG_EXP });
    assert.deepStrictEqual(parseMlflowExperimentId('mlflow:a:b:7'), { source: 'a:b', experimentId: '7' });
    assert.strictEqual(parseMlflowRunId(mlflowRunId(hex32(1))), hex32(1));
    assert.strictEqual(parseMlflowExperimentId('mlsight:Default'), undefined);
  });

  it('parses 2-, 3- and 5-field lines, nan/inf, and rejects malformed ones with line numbers', () => {
    const r = parseMetricLines('10 1.5\n20 nan 3\n30 -inf 4 ds abc\n40 inf 5\n\nbad\n50 x 1\n60 1 1.5\n70 NaN 9\n', 1);
    assert.deepStrictEqual(r.points.ts, [10, 20, 30, 40, 70]);
    assert.deepStrictEqual(r.points.steps, [0, 3, 4, 5, 9]);
    assert.strictEqual(r.points.values[0], 1.5);
    assert.ok(Number.isNaN(r.points.values[1]));
    assert.strictEqual(r.points.values[2], -Infinity);
    assert.strictEqual(r.points.values[3], Infinity);
    assert.deepStrictEqual(
      r.bad.map(b => b.line),
      [6, 7, 8],
    );
    assert.strictEqual(r.lines, 9);
  });

  it('reads meta.yaml integers exactly (an unquoted 18-digit experiment id stays verbatim)', () => {
    const meta = parseMetaYaml(`experiment_id: ${BIG_EXP}\nstart_time: 1672364273319\nname: x\n`);
    assert.strictEqual(toIdString(meta.experiment_id), BIG_EXP);
    assert.strictEqual(toInt(meta.start_time), 1672364273319);
    assert.strictEqual(toIdString(parseMetaYaml(`experiment_id: '${BIG_EXP}'\n`).experiment_id), BIG_EXP);
    assert.throws(() => parseMetaYaml('- a list\n'), /not a YAML mapping/);
  });

  it('globs follow VS Code syntax on workspace-relative paths', () => {
    const re = globToRegExp('**/node_modules/**');
    assert.ok(re.test('node_modules/'));
    assert.ok(re.test('a/b/node_modules/x'));
    assert.ok(!re.test('a/node_modules2/x'));
    assert.ok(globToRegExp('data/*.{csv,db}').test('data/x.db'));
    assert.ok(!globToRegExp('data/*.csv').test('data/sub/x.csv'));
    assert.ok(globToRegExp('**/big_[0-9]/**').test('x/big_3/y'));
  });
});

describe('MLflow FileStore ingest', () => {
  it('reads experiments, runs, params, tags, metrics and artifacts with every format quirk', async () => {
    const ws = ingestTempWorkspace();
    const { runA, runB, runDel } = buildQuirkyTree(ws);
    const store = await openStore(ws);
    const log = recordingLogger();
    const r = await ingestWorkspace(store, log);
    assert.deepStrictEqual(log.lines, []);
    assert.deepStrictEqual(r.found.mlflowFileStores, ['mlruns']);

    const exps = store.read(db => listExperiments(db));
    assert.deepStrictEqual(
      exps.map(e => [e.id, e.name]).sort(),
      [
        [`mlflow:mlruns:${BIG_EXP}`, 'iris'],
        ['mlflow:mlruns:0', 'Default'],
        ['mlflow:mlruns:7', 'legacy'],
      ].sort(),
    );
    assert.strictEqual(parseMlflowExperimentId(exps.find(e => e.name === 'iris')!.id)!.experimentId, BIG_EXP);

    const a = store.read(db => getRun(db, mlflowRunId(runA)))!;
    assert.strictEqual(a.name, 'only-in-tags', 'run_name missing from meta.yaml → mlflow.runName tag');
    assert.strictEqual(a.status, 'FINISHED');
    assert.strictEqual(a.source, 'mlflow');
    assert.strictEqual(a.startTime, 1700000000000);
    assert.strictEqual(a.endTime, 1700000009000);
    assert.strictEqual(a.gitCommit, 'abc123');
    assert.strictEqual(a.gitBranch, 'main');
    assert.strictEqual(a.description, '# Notes\nmulti-line\n');
    assert.strictEqual(a.sourcePath, `mlruns/${BIG_EXP}/${runA}`);
    assert.deepStrictEqual(a.params, { C: '1.0', kernel: 'rbf', [HOSTILE]: HOSTILE, 'nested/param': 'x' });
    assert.strictEqual(a.tags['mlflow.log-model.history'], '[{"artifact_path": "model"}]');
    assert.deepStrictEqual(Object.keys(a.latestMetrics).sort(), ['legacy', 'loss', 'train/acc', 'val/deep/x']);
    assert.strictEqual(
      store.read(db => countRows(db, 'metric_series')),
      0,
      'the store keeps only latest values of FileStore metrics',
    );
    const indexed = store
      .read(db => db.all<{ key: string }>('SELECT key FROM metric_keys WHERE experiment_id = ?', [a.experimentId]))
      .map(r => r.key);
    for (const key of Object.keys(a.latestMetrics)) {
      assert.ok(indexed.includes(key), `metric_keys lists ${key}`);
    }
    const loss = await fileHistory(store, mlflowRunId(runA), 'loss');
    assert.deepStrictEqual(
      loss.map(p => p.step),
      [0, 1, 2, 3, 4],
    );
    assert.ok(Number.isNaN(loss[1].value));
    assert.strictEqual(loss[2].value, Infinity);
    assert.strictEqual(loss[3].value, -Infinity);
    assert.deepStrictEqual(
      (await fileHistory(store, mlflowRunId(runA), 'legacy')).map(p => [p.step, p.value]),
      [
        [0, 3.5],
        [0, 4.5],
      ],
    );
    assert.deepStrictEqual(
      (await fileHistory(store, mlflowRunId(runA), 'train/acc')).map(p => [p.step, p.value]),
      [
        [1, 0.9],
        [2, 0.95],
      ],
    );
    // full histories (with timestamps) are read from the metric files, nested keys included
    const wanted = ['loss', 'train/acc', 'nope'].map(key => ({ runId: mlflowRunId(runA), key }));
    const hist = (
      await loadHistories(
        store.read(db => planHistories(db, store.folder, wanted)),
        wanted,
      )
    ).get(mlflowRunId(runA))!;
    assert.deepStrictEqual(
      hist.get('loss')!.points.map(p => p.timestamp),
      [1700000001000, 1700000002000, 1700000003000, 1700000004000, 1700000005000],
    );
    assert.strictEqual(hist.get('loss')!.complete, true);
    assert.deepStrictEqual(
      hist.get('train/acc')!.points.map(p => [p.step, p.value]),
      [
        [1, 0.9],
        [2, 0.95],
      ],
    );
    assert.deepStrictEqual(hist.get('nope'), { points: [], complete: false, total: 0 });
    assert.strictEqual(a.latestMetrics['val/deep/x'].value, 1e-5);
    // artifacts: artifact_uri no longer exists → <run>/artifacts; MLmodel folders are 'model' entries
    const art = a.artifacts.map(x => [x.path, x.kind]);
    assert.deepStrictEqual(art, [
      [`mlruns/${BIG_EXP}/${runA}/artifacts/model`, 'model'],
      [`mlruns/${BIG_EXP}/${runA}/artifacts/model/MLmodel`, 'file'],
      [`mlruns/${BIG_EXP}/${runA}/artifacts/model/model.pkl`, 'file'],
      [`mlruns/${BIG_EXP}/${runA}/artifacts/plot.png`, 'file'],
    ]);

    const b = store.read(db => getRun(db, mlflowRunId(runB)))!;
    assert.strictEqual(b.name, 'named');
    assert.strictEqual(b.status, 'RUNNING', 'missing status → RUNNING');
    // deleted run: kept, but lifecycle_stage deleted (hidden from the Runs list)
    const del = store.read(db =>
      db.get<{ lifecycle_stage: string; status: string }>('SELECT lifecycle_stage, status FROM runs WHERE id = ?', [
        mlflowRunId(runDel),
      ]),
    )!;
    assert.deepStrictEqual(del, { lifecycle_stage: 'deleted', status: 'FAILED' });
    assert.deepStrictEqual(
      store
        .read(db => listRuns(db, `mlflow:mlruns:${BIG_EXP}`))
        .map(x => x.id)
        .sort(),
      [mlflowRunId(runA), mlflowRunId(runB)].sort(),
    );
    // legacy int experiment id
    assert.strictEqual(store.read(db => listRuns(db, 'mlflow:mlruns:7')).length, 1);
    // .trash, models/, and the experiment's tags/datasets/traces/models folders are not experiments or runs
    assert.strictEqual(
      store.read(db => countRows(db, 'experiments', "name = 'trashed'")),
      0,
    );
    assert.strictEqual(
      store.read(db => countRows(db, 'runs', 'id = ?', [mlflowRunId(hex32(55))])),
      0,
    );
    assert.strictEqual(
      store.read(db => countRows(db, 'runs', "source = 'mlflow'")),
      4,
    );
  });

  it('is idempotent: a second pass writes nothing and a fresh store converges on the same rows', async () => {
    const ws = ingestTempWorkspace();
    buildQuirkyTree(ws);
    const store = await openStore(ws);
    const first = await ingestWorkspace(store, silentLogger);
    assert.ok(first.metricPoints > 0);
    const before = dumpTables(store);
    const second = await ingestWorkspace(store, silentLogger);
    assert.deepStrictEqual(
      [second.runs, second.metricPoints, second.experiments, second.changedRuns.length],
      [0, 0, 0, 0],
    );
    assert.deepStrictEqual(dumpTables(store), before);
    await store.flush();
    // The same tree ingested into another workspace's store gives the same rows.
    const ws2 = ingestTempWorkspace();
    buildQuirkyTree(ws2);
    const store2 = await openStore(ws2);
    await ingestWorkspace(store2, silentLogger);
    const strip = (d: Record<string, unknown[]>) => JSON.stringify(d).split(ws2).join('WS').split(ws).join('WS');
    assert.strictEqual(strip(dumpTables(store2)), strip(before));
  });

  it('tails metric files: only new complete lines, a torn last line waits, no duplicates', async () => {
    const ws = ingestTempWorkspace();
    const mb = new MlrunsBuilder(path.join(ws, 'mlruns'));
    mb.experiment('1', 'e');
    const run = hex32(1);
    mb.run('1', { runId: run, metrics: { loss: '1000 1.0 0\n' } });
    const store = await openStore(ws);
    await ingestWorkspace(store, silentLogger);
    const file = mb.metricFile('1', run, 'loss');
    fs.appendFileSync(file, '2000 0.5 1\n2100 0.4'); // a writer mid-line
    const log = recordingLogger();
    const r1 = await ingestWorkspace(store, log);
    assert.deepStrictEqual(log.lines, [], 'a torn last line is not an error');
    assert.strictEqual(r1.metricPoints, 1);
    fs.appendFileSync(file, '5 2\n');
    const r2 = await ingestWorkspace(store, silentLogger);
    assert.strictEqual(r2.metricPoints, 1);
    await ingestWorkspace(store, silentLogger);
    const lossRel = path.relative(ws, file).split(path.sep).join('/');
    assert.deepStrictEqual(
      readUpTo(store, lossRel),
      { offset: fs.statSync(file).size, line: 3 },
      'every line read once',
    );
    assert.deepStrictEqual(store.read(db => getRun(db, mlflowRunId(run)))!.latestMetrics.loss, {
      step: 2,
      value: 0.45,
    });
    assert.deepStrictEqual(
      (await fileHistory(store, mlflowRunId(run), 'loss')).map(p => [p.step, p.value]),
      [
        [0, 1],
        [1, 0.5],
        [2, 0.45],
      ],
    );
    // a new metric file and a new tag appear; the run finishes (meta.yaml rewritten without deleted_time)
    fs.writeFileSync(path.join(path.dirname(file), 'acc'), '3000 0.8 2\n');
    fs.mkdirSync(path.join(ws, 'mlruns', '1', run, 'tags'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'mlruns', '1', run, 'tags', 'stage'), 'done');
    const meta = path.join(ws, 'mlruns', '1', run, 'meta.yaml');
    fs.writeFileSync(
      meta,
      fs
        .readFileSync(meta, 'utf8')
        .replace('status: 1', 'status: 3')
        .replace('end_time: null', 'end_time: 9000')
        .replace(/^deleted_time: .*\n/m, ''),
    );
    const r3 = await ingestWorkspace(store, silentLogger);
    assert.strictEqual(r3.metricPoints, 1);
    const got = store.read(db => getRun(db, mlflowRunId(run)))!;
    assert.strictEqual(got.status, 'FINISHED');
    assert.strictEqual(got.endTime, 9000);
    assert.strictEqual(got.tags.stage, 'done');
    assert.strictEqual(readUpTo(store, lossRel)!.line, 3, 'the loss series was not read again');
    // a partial pass (what a file watcher reports) picks up an appended line too
    fs.appendFileSync(file, '6000 0.3 3\n');
    const r4 = await ingestWorkspace(store, silentLogger, { paths: [file] });
    assert.strictEqual(r4.full, false);
    assert.strictEqual(r4.metricPoints, 1);
    assert.strictEqual(readUpTo(store, lossRel)!.line, 4);
    assert.deepStrictEqual(store.read(db => getRun(db, mlflowRunId(run)))!.latestMetrics.loss, { step: 3, value: 0.3 });
  });

  it('reads a metric file that shrank again from the start, and large files in chunks', async () => {
    const ws = ingestTempWorkspace();
    const mb = new MlrunsBuilder(path.join(ws, 'mlruns'));
    mb.experiment('1', 'e');
    const run = hex32(2);
    const lines = Array.from({ length: 200_000 }, (_, i) => `${1700000000000 + i} ${i / 7} ${i}`).join('\n') + '\n'; // ~6 MB
    mb.run('1', { runId: run, metrics: { big: lines, small: '1 1 0\n2 2 1\n3 3 2\n' } });
    const store = await openStore(ws);
    const r = await ingestWorkspace(store, silentLogger);
    assert.strictEqual(r.metricPoints, 200_003);
    const big = store.read(db => getRun(db, mlflowRunId(run)))!.latestMetrics.big;
    assert.deepStrictEqual(big, { step: 199_999, value: 199_999 / 7 });
    fs.writeFileSync(mb.metricFile('1', run, 'small'), '9 9 0\n');
    await ingestWorkspace(store, silentLogger);
    assert.deepStrictEqual(
      store.read(db => getRun(db, mlflowRunId(run)))!.latestMetrics.small,
      { step: 0, value: 9 },
      'the old latest value went with the old content',
    );
    assert.deepStrictEqual(
      (await fileHistory(store, mlflowRunId(run), 'small')).map(p => p.value),
      [9],
    );
    const bigRel = path
      .relative(ws, mb.metricFile('1', run, 'big'))
      .split(path.sep)
      .join('/');
    assert.deepStrictEqual(
      readUpTo(store, bigRel),
      { offset: Buffer.byteLength(lines), line: 200_000 },
      'every line read once across chunks',
    );
    assert.strictEqual((await fileHistory(store, mlflowRunId(run), 'big')).length, 200_000);
  });

  it('reports a malformed or missing meta.yaml once, loads the rest, and picks the run up when fixed', async () => {
    const ws = ingestTempWorkspace();
    const mb = new MlrunsBuilder(path.join(ws, 'mlruns'));
    mb.experiment('1', 'e');
    mb.run('1', { runId: hex32(1), metrics: { m: '1 1 0\n' } });
    mb.run('1', { runId: hex32(2), rawMeta: 'artifact_uri: [unclosed\n  : :\n', metrics: { m: '1 1 0\n' } });
    mb.run('1', { runId: hex32(3), meta: { experiment_id: '999' } }); // names another experiment
    fs.mkdirSync(path.join(ws, 'mlruns', '1', hex32(4), 'metrics'), { recursive: true }); // no meta.yaml
    fs.mkdirSync(path.join(ws, 'mlruns', '2'), { recursive: true }); // experiment without meta.yaml
    fs.mkdirSync(path.join(ws, 'mlruns', '3'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'mlruns', '3', 'meta.yaml'), '\u0000\u0001garbage: [');
    const store = await openStore(ws);
    const log = recordingLogger();
    const r = await ingestWorkspace(store, log);
    assert.strictEqual(log.lines.length, 5, log.lines.join('\n'));
    const all = log.lines.join('\n');
    assert.match(all, new RegExp(`mlruns/1/${hex32(2)}/meta.yaml: not valid YAML`));
    assert.match(all, new RegExp(`mlruns/1/${hex32(3)}/meta.yaml: experiment_id 999 does not match`));
    assert.match(all, new RegExp(`mlruns/1/${hex32(4)}/meta.yaml: missing`));
    assert.match(all, /mlruns\/2\/meta.yaml: missing/);
    assert.match(all, /mlruns\/3\/meta.yaml: not valid YAML/);
    assert.strictEqual(r.problems, 5);
    assert.deepStrictEqual(
      store.read(db => listRuns(db, 'mlflow:mlruns:1')).map(x => x.id),
      [mlflowRunId(hex32(1))],
    );
    const again = recordingLogger();
    await ingestWorkspace(store, again);
    assert.deepStrictEqual(again.lines, [], 'reported once, not on every pass');
    mb.run('1', { runId: hex32(2), metrics: { m: '1 1 0\n2 2 1\n' } }); // fixed
    const fixed = recordingLogger();
    await ingestWorkspace(store, fixed);
    assert.deepStrictEqual(fixed.lines, []);
    assert.deepStrictEqual(store.read(db => getRun(db, mlflowRunId(hex32(2))))!.latestMetrics.m, { step: 1, value: 2 });
  });

  it('removes runs and experiments whose folders are gone (deleted, moved to .trash, or the whole tree)', async () => {
    const ws = ingestTempWorkspace();
    const mb = new MlrunsBuilder(path.join(ws, 'mlruns'));
    mb.experiment('0', 'Default');
    mb.experiment('1', 'keep');
    mb.experiment('2', 'to-trash');
    mb.run('1', { runId: hex32(1), metrics: { m: '1 1 0\n' } });
    mb.run('1', { runId: hex32(2), metrics: { m: '1 1 0\n' } });
    mb.run('2', { runId: hex32(3), metrics: { m: '1 1 0\n' } });
    const store = await openStore(ws);
    await ingestWorkspace(store, silentLogger);
    assert.strictEqual(
      store.read(db => countRows(db, 'runs')),
      3,
    );
    fs.rmSync(path.join(ws, 'mlruns', '1', hex32(2)), { recursive: true }); // mlflow gc
    fs.renameSync(path.join(ws, 'mlruns', '2'), path.join(ws, 'mlruns', '.trash', '2')); // delete_experiment
    const r = await ingestWorkspace(store, silentLogger);
    assert.strictEqual(r.removedRuns, 2);
    assert.strictEqual(r.removedExperiments, 1);
    assert.deepStrictEqual(
      store.read(db => db.all<{ id: string }>('SELECT id FROM runs')).map(x => x.id),
      [mlflowRunId(hex32(1))],
    );
    assert.strictEqual(
      store.read(db => countRows(db, 'ingest_state', "path LIKE 'mlruns/2/%'")),
      0,
    );
    // restoring the experiment brings its run back
    fs.renameSync(path.join(ws, 'mlruns', '.trash', '2'), path.join(ws, 'mlruns', '2'));
    await ingestWorkspace(store, silentLogger);
    assert.strictEqual(
      store.read(db => countRows(db, 'runs')),
      2,
    );
    // the whole tree moves elsewhere in the workspace: ids stay, rows follow the new paths
    fs.mkdirSync(path.join(ws, 'moved'));
    fs.renameSync(path.join(ws, 'mlruns'), path.join(ws, 'moved', 'mlruns'));
    await ingestWorkspace(store, silentLogger);
    assert.deepStrictEqual(
      store.read(db => db.all<{ id: string; source_path: string }>('SELECT id, source_path FROM runs ORDER BY id')),
      [
        { id: mlflowRunId(hex32(1)), source_path: `moved/mlruns/1/${hex32(1)}` },
        { id: mlflowRunId(hex32(3)), source_path: `moved/mlruns/2/${hex32(3)}` },
      ],
    );
    assert.deepStrictEqual(store.read(db => getRun(db, mlflowRunId(hex32(1))))!.latestMetrics.m, { step: 0, value: 1 });
    assert.strictEqual(
      (await fileHistory(store, mlflowRunId(hex32(1)), 'm')).length,
      1,
      'histories are read from the moved tree',
    );
    fs.rmSync(path.join(ws, 'moved'), { recursive: true });
    await ingestWorkspace(store, silentLogger);
    assert.strictEqual(
      store.read(db => countRows(db, 'runs') + countRows(db, 'experiments') + countRows(db, 'ingest_state')),
      0,
    );
  });

  it('reads run inputs (datasets) by the folder they sit in', async () => {
    const ws = ingestTempWorkspace();
    const mb = new MlrunsBuilder(path.join(ws, 'mlruns'));
    mb.experiment('1', 'e');
    const run = hex32(9);
    mb.run('1', { runId: run });
    const dsId = 'd'.repeat(32);
    fs.mkdirSync(path.join(ws, 'mlruns', '1', 'datasets', dsId), { recursive: true });
    fs.writeFileSync(
      path.join(ws, 'mlruns', '1', 'datasets', dsId, 'meta.yaml'),
      `digest: 1a2b3c4d\nname: iris-train\nprofile: '{"num_rows": 120, "num_elements": 600}'\nschema: '{"mlflow_colspec": []}'\nsource: '{"uri": "data/iris.csv"}'\nsource_type: local\n`,
    );
    fs.mkdirSync(path.join(ws, 'mlruns', '1', run, 'inputs', 'e'.repeat(32)), { recursive: true });
    // destination_id holds the dataset id, not the run id (MLflow bug)
    fs.writeFileSync(
      path.join(ws, 'mlruns', '1', run, 'inputs', 'e'.repeat(32), 'meta.yaml'),
      `destination_id: ${dsId}\ndestination_type: RUN\nsource_id: ${dsId}\nsource_type: DATASET\ntags:\n  mlflow.data.context: training\n`,
    );
    const store = await openStore(ws);
    await ingestWorkspace(store, silentLogger);
    assert.deepStrictEqual(
      store.read(db => db.all('SELECT name, role, path, digest, rows, schema_json FROM datasets')),
      [
        {
          name: 'iris-train',
          role: 'training',
          path: 'data/iris.csv',
          digest: '1a2b3c4d',
          rows: 120,
          schema_json: '{"mlflow_colspec": []}',
        },
      ],
    );
  });

  it('reads the model registry (versions, aliases, tags; deleted versions filtered) without audit events', async () => {
    const ws = ingestTempWorkspace();
    const mb = new MlrunsBuilder(path.join(ws, 'mlruns'));
    mb.experiment('0', 'Default');
    mb.model('churn', {
      description: 'churn model',
      tags: { team: 'ds' },
      aliases: { champion: '2', challenger: '3', stale: '1' },
      versions: [
        { version: 1, stage: 'Deleted_Internal', runId: hex32(1) },
        { version: 2, stage: 'Production', runId: hex32(2), tags: { validated: 'yes' } },
        { version: 3, stage: 'None', runId: hex32(3), status: 'PENDING_REGISTRATION' },
      ],
    });
    mb.model(HOSTILE, { versions: [{ version: 1 }] });
    const store = await openStore(ws);
    await ingestWorkspace(store, silentLogger);
    const models = store.read(db => listModels(db));
    assert.deepStrictEqual(
      models.map(m => [m.name, m.versionCount, m.aliases]),
      [
        [HOSTILE, 1, {}],
        ['churn', 2, { champion: 2, challenger: 3 }],
      ],
    );
    assert.deepStrictEqual(
      store.read(db => listModelVersions(db, 'churn')).map(v => [v.version, v.stage, v.runId]),
      [
        [3, 'None', mlflowRunId(hex32(3))],
        [2, 'Production', mlflowRunId(hex32(2))],
      ],
    );
    assert.deepStrictEqual(
      store.read(db =>
        db.all("SELECT version, key, value FROM model_tags WHERE model_name = 'churn' ORDER BY version"),
      ),
      [
        { version: 0, key: 'team', value: 'ds' },
        { version: 2, key: 'validated', value: 'yes' },
      ],
    );
    assert.strictEqual(
      store.read(db => db.scalar("SELECT source FROM models WHERE name = 'churn'")),
      'mlflow',
    );
    assert.strictEqual(
      store.read(db => countRows(db, 'audit_log')),
      0,
    );
    // an alias moves (MLflow rewrites the alias file): re-read; then the model is deleted: removed
    fs.writeFileSync(path.join(ws, 'mlruns', 'models', 'churn', 'aliases', 'champion'), '3');
    await ingestWorkspace(store, silentLogger);
    assert.deepStrictEqual(store.read(db => listModels(db)).find(m => m.name === 'churn')!.aliases, {
      champion: 3,
      challenger: 3,
    });
    fs.rmSync(path.join(ws, 'mlruns', 'models', 'churn'), { recursive: true });
    await ingestWorkspace(store, silentLogger);
    assert.deepStrictEqual(
      store.read(db => listModels(db)).map(m => m.name),
      [HOSTILE],
    );
    assert.strictEqual(
      store.read(db => countRows(db, 'audit_log')),
      0,
    );
  });

  it("does not overwrite a model of the same name in ML Sight's own registry (one log line)", async () => {
    const ws = ingestTempWorkspace();
    const mb = new MlrunsBuilder(path.join(ws, 'mlruns'));
    mb.experiment('0', 'Default');
    mb.model('iris', { versions: [{ version: 1 }] });
    const store = await openStore(ws);
    store.write(db => db.run("INSERT INTO models (name, description, source) VALUES ('iris', 'ours', 'mlsight')"));
    const log = recordingLogger();
    await ingestWorkspace(store, log);
    await ingestWorkspace(store, log);
    assert.strictEqual(log.lines.length, 1);
    assert.match(log.lines[0], /mlruns\/models\/iris: a model named "iris" is already in ML Sight's own registry/);
    assert.deepStrictEqual(
      store.read(db => db.all("SELECT description, source FROM models WHERE name = 'iris'")),
      [{ description: 'ours', source: 'mlsight' }],
    );
  });

  it('replays safely when another process wrote the store first (no duplicate points)', async () => {
    const ws = ingestTempWorkspace();
    const mb = new MlrunsBuilder(path.join(ws, 'mlruns'));
    mb.experiment('1', 'e');
    mb.run('1', { runId: hex32(1), params: { a: '1' }, metrics: { m: '1 1 0\n2 2 1\n' } });
    const a = await WorkspaceStore.open({ folder: ws, persistDelayMs: 60_000 });
    const b = await WorkspaceStore.open({ folder: ws, persistDelayMs: 60_000 });
    try {
      await ingestWorkspace(a, silentLogger);
      await ingestWorkspace(b, silentLogger);
      await a.flush();
      fs.appendFileSync(mb.metricFile('1', hex32(1), 'm'), '3 3 2\n');
      await ingestWorkspace(a, silentLogger);
      await a.flush();
      await b.flush(); // b reloads a's file and replays its own (older) writes on top
      assert.deepStrictEqual(b.read(db => getRun(db, mlflowRunId(hex32(1))))!.latestMetrics.m, { step: 2, value: 3 });
      assert.strictEqual(readUpTo(b, `mlruns/1/${hex32(1)}/metrics/m`)!.line, 3);
      assert.deepStrictEqual(b.read(db => getRun(db, mlflowRunId(hex32(1))))!.params, { a: '1' });
      await ingestWorkspace(b, silentLogger);
      assert.strictEqual(readUpTo(b, `mlruns/1/${hex32(1)}/metrics/m`)!.line, 3, 'no line read twice');
      assert.deepStrictEqual(b.read(db => getRun(db, mlflowRunId(hex32(1))))!.latestMetrics.m, { step: 2, value: 3 });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('finds mlruns trees anywhere, skipping node_modules, virtual envs and excluded globs', async () => {
    const ws = ingestTempWorkspace();
    const mk = (rel: string) => {
      const mb = new MlrunsBuilder(path.join(ws, rel));
      mb.experiment('0', 'Default');
      return mb;
    };
    mk('mlruns');
    mk('projects/a/mlruns');
    mk('node_modules/pkg/mlruns');
    mk('.venv/lib/mlruns');
    mk('myenv/mlruns');
    fs.writeFileSync(path.join(ws, 'myenv', 'pyvenv.cfg'), 'home = /usr/bin\n');
    mk('data/raw/mlruns');
    fs.mkdirSync(path.join(ws, 'notmlflow', 'mlruns', 'x'), { recursive: true }); // named mlruns, but no experiment
    const custom = new MlrunsBuilder(path.join(ws, 'tracking'));
    custom.experiment('0', 'Default');
    const found = await discoverSources(ws, { exclude: ['data/**'], mlflowRoots: ['tracking'] });
    assert.deepStrictEqual(
      found.fileStores.map(p => path.relative(ws, p).split(path.sep).join('/')),
      ['mlruns', 'projects/a/mlruns', 'tracking'],
    );
  });

  it(`keeps hostile names verbatim (${HOSTILE})`, async () => {
    const ws = ingestTempWorkspace();
    const mb = new MlrunsBuilder(path.join(ws, 'mlruns'));
    mb.experiment('1', HOSTILE);
    mb.run('1', {
      runId: hex32(1),
      meta: { run_name: HOSTILE },
      params: { [HOSTILE]: HOSTILE },
      tags: { [HOSTILE]: HOSTILE },
      metrics: { [HOSTILE]: '1 1 0\n' },
    });
    const store = await openStore(ws);
    await ingestWorkspace(store, silentLogger);
    const run = store.read(db => getRun(db, mlflowRunId(hex32(1))))!;
    assert.strictEqual(run.name, HOSTILE);
    assert.strictEqual(run.params[HOSTILE], HOSTILE);
    assert.strictEqual(run.tags[HOSTILE], HOSTILE);
    assert.strictEqual(run.latestMetrics[HOSTILE].value, 1);
    assert.strictEqual(store.read(db => listExperiments(db))[0].name, HOSTILE);
  });

  it('measures: 100 runs × 1,000 metric points (cold ingest, then a no-change pass, then one appended line)', async function () {
    this.timeout(120_000);
    const ws = ingestTempWorkspace();
    const mb = new MlrunsBuilder(path.join(ws, 'mlruns'));
    mb.experiment('1', 'bench');
    for (let r = 0; r < 100; r++) {
      const metrics: Record<string, string> = {};
      for (let k = 0; k < 4; k++) {
        metrics[`m${k}`] =
          Array.from({ length: 250 }, (_, i) => `${1700000000000 + i} ${Math.sin(i + r + k)} ${i}`).join('\n') + '\n';
      }
      const params: Record<string, string> = {};
      for (let p = 0; p < 20; p++) {
        params[`p${p}`] = String(p * r);
      }
      mb.run('1', { runId: hex32(r + 1), params, metrics, tags: { 'mlflow.runName': `r${r}` } });
    }
    const store = await openStore(ws);
    const t0 = performance.now();
    const r = await ingestWorkspace(store, silentLogger);
    const cold = performance.now() - t0;
    assert.strictEqual(r.metricPoints, 100_000);
    assert.strictEqual(r.runs, 100);
    const t1 = performance.now();
    await ingestWorkspace(store, silentLogger);
    const noop = performance.now() - t1;
    fs.appendFileSync(mb.metricFile('1', hex32(1), 'm0'), '1800000000000 0.5 250\n');
    const t2 = performance.now();
    const inc = await ingestWorkspace(store, silentLogger);
    const one = performance.now() - t2;
    const t3 = performance.now();
    fs.appendFileSync(mb.metricFile('1', hex32(1), 'm0'), '1800000000001 0.5 251\n');
    await ingestWorkspace(store, silentLogger, { paths: [mb.metricFile('1', hex32(1), 'm0')] });
    const partial = performance.now() - t3;
    assert.strictEqual(inc.metricPoints, 1);
    const t4 = performance.now();
    await store.flush();
    const persist = performance.now() - t4;
    console.log(
      `      [timing] 100 MLflow runs × 1,000 points (+20 params each): cold ingest ${cold.toFixed(0)} ms, ` +
        `no-change pass ${noop.toFixed(0)} ms, one appended line (full pass) ${one.toFixed(0)} ms, (watcher path) ${partial.toFixed(0)} ms, ` +
        `persist ${persist.toFixed(0)} ms (${(fs.statSync(store.dbPath).size / 1e6).toFixed(1)} MB)`,
    );
  });
});
