import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { silentLogger } from '../../src/core/log';
import { getRun, listExperiments, listModels, metricHistory } from '../../src/core/queries';
import { loadHistories, planHistories } from '../../src/core/runs/history';
import { loadSqlJs } from '../../src/core/store/sqljs';
import { mlflowRunId } from '../../src/core/ingest/mlflowFileStore';
import { ingestWorkspace } from '../../src/core/ingest/scan';
import {
  MLFLOW_SCHEMA_SQL,
  MlrunsBuilder,
  countRows,
  dumpTables,
  hex32,
  ingestTempWorkspace,
  recordingLogger,
  sqlMetric,
} from './ingestFixtures';
import { BIG_EXP, HOSTILE, openStore } from './ingestMlflowShared';

describe('MLflow SQLite (mlflow.db) ingest', () => {
  interface DbSpec {
    experiments: { id: string; name: string; lifecycle?: string }[];
    runs: {
      uuid: string;
      exp: string;
      name?: string | null;
      status?: string;
      lifecycle?: string;
      start?: number;
      end?: number | null;
    }[];
    params?: [string, string, string][];
    tags?: [string, string, string][];
    metrics?: [string, string, number, number, number][]; // run, key, value, timestamp, step
  }

  async function buildDb(
    file: string,
    spec: DbSpec,
    extra?: (run: (sql: string, p?: (string | number | null)[]) => void) => void,
  ): Promise<void> {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    db.exec(MLFLOW_SCHEMA_SQL);
    const run = (sql: string, p: (string | number | null)[] = []) => db.run(sql, p);
    db.exec('BEGIN');
    run("INSERT INTO alembic_version VALUES ('1b5f0d9ad7c1')");
    for (const e of spec.experiments) {
      // ids are written as SQL integer literals: bound JS numbers would lose digits of 18-digit ids
      db.exec(
        `INSERT INTO experiments VALUES (${e.id}, '${e.name.replace(/'/g, "''")}', 'file:///x/mlartifacts/${e.id}', '${e.lifecycle ?? 'active'}', 1700000000000, 1700000000000)`,
      );
    }
    for (const r of spec.runs) {
      db.exec(`INSERT INTO runs VALUES ('${r.uuid}', ${r.name === null || r.name === undefined ? 'NULL' : `'${r.name}'`}, 'LOCAL', '', '', 'me',
        '${r.status ?? 'FINISHED'}', ${r.start ?? 1700000000000}, ${r.end === undefined ? 1700000005000 : r.end === null ? 'NULL' : r.end}, '',
        '${r.lifecycle ?? 'active'}', 'file:///x/mlartifacts/${r.exp}/${r.uuid}/artifacts', ${r.exp}, NULL)`);
    }
    for (const [u, k, v] of spec.params ?? []) {
      run('INSERT INTO params VALUES (?, ?, ?)', [k, v, u]);
    }
    for (const [u, k, v] of spec.tags ?? []) {
      run('INSERT INTO tags VALUES (?, ?, ?)', [k, v, u]);
    }
    for (const [u, k, v, ts, step] of spec.metrics ?? []) {
      const [val, nan] = sqlMetric(v);
      run('INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)', [k, val, ts, u, step, nan]);
    }
    extra?.(run);
    db.exec('COMMIT');
    fs.writeFileSync(file, Buffer.from(db.export()));
    db.close();
  }

  const U1 = 'a'.repeat(32);
  const U2 = 'b'.repeat(32);
  const U3 = 'c'.repeat(32);
  const baseSpec = (): DbSpec => ({
    experiments: [
      { id: '0', name: 'Default' },
      { id: BIG_EXP, name: 'big' },
    ],
    runs: [
      { uuid: U1, exp: BIG_EXP, name: 'first', status: 'FINISHED' },
      { uuid: U2, exp: BIG_EXP, name: null, status: 'RUNNING', end: null },
      { uuid: U3, exp: '0', name: 'gone', status: 'KILLED', lifecycle: 'deleted' },
    ],
    params: [
      [U1, 'lr', '0.1'],
      [U1, HOSTILE, HOSTILE],
    ],
    tags: [
      [U1, 'mlflow.source.git.commit', 'deadbeef'],
      [U2, 'mlflow.runName', 'from-tag'],
      [U1, 'mlflow.note.content', 'note'],
    ],
    metrics: [
      [U1, 'loss', 1.5, 1000, 0],
      [U1, 'loss', NaN, 2000, 1],
      [U1, 'loss', Infinity, 3000, 2],
      [U1, 'loss', -Infinity, 4000, 3],
      [U1, 'acc', 0.9, 1000, 0],
      [U2, 'loss', 2, 1000, 0],
    ],
  });

  const registry = (run: (sql: string, p?: (string | number | null)[]) => void) => {
    run("INSERT INTO registered_models VALUES ('churn', 1700000000000, 1700000001000, 'sql model')");
    run(
      "INSERT INTO model_versions VALUES ('churn', 1, 1, 1, '', 'me', 'Deleted_Internal', 'runs:/x/model', ?, 'READY', '', '', '')",
      [U1],
    );
    run(
      "INSERT INTO model_versions VALUES ('churn', 2, 2, 2, 'v2', 'me', 'Production', 'runs:/x/model', ?, 'READY', '', '', '')",
      [U1],
    );
    run("INSERT INTO registered_model_aliases VALUES ('champion', 2, 'churn')");
    run("INSERT INTO registered_model_tags VALUES ('team', 'ds', 'churn')");
    run("INSERT INTO model_version_tags VALUES ('ok', 'yes', 'churn', 2)");
    run(
      "INSERT INTO datasets VALUES ('ds-1', " +
        BIG_EXP +
        ", 'iris', 'abcd1234', 'local', '{\"uri\": \"data/iris.csv\"}', '{\"mlflow_colspec\": []}', '{\"num_rows\": 150}')",
    );
    run("INSERT INTO inputs VALUES ('in-1', 'DATASET', 'ds-1', 'RUN', ?)", [U1]);
    run("INSERT INTO input_tags VALUES ('in-1', 'mlflow.data.context', 'eval')");
  };

  it('reads experiments, runs, params, tags, metrics (NaN/inf), datasets and the registry, never writing the file', async () => {
    const ws = ingestTempWorkspace();
    const file = path.join(ws, 'mlflow.db');
    await buildDb(file, baseSpec(), registry);
    const hash = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    const mtime = fs.statSync(file).mtimeMs;
    const store = await openStore(ws);
    const log = recordingLogger();
    const r = await ingestWorkspace(store, log);
    assert.deepStrictEqual(log.lines, []);
    assert.deepStrictEqual(r.found.mlflowDatabases, ['mlflow.db']);
    assert.deepStrictEqual(
      store
        .read(db => listExperiments(db))
        .map(e => e.id)
        .sort(),
      [`mlflow:mlflow.db:${BIG_EXP}`, 'mlflow:mlflow.db:0'].sort(),
    );
    const a = store.read(db => getRun(db, mlflowRunId(U1)))!;
    assert.strictEqual(a.experimentId, `mlflow:mlflow.db:${BIG_EXP}`, '18-digit experiment id kept verbatim');
    assert.strictEqual(a.name, 'first');
    assert.strictEqual(a.status, 'FINISHED');
    assert.strictEqual(a.gitCommit, 'deadbeef');
    assert.strictEqual(a.description, 'note');
    assert.strictEqual(a.sourcePath, 'mlflow.db');
    assert.deepStrictEqual(a.params, { lr: '0.1', [HOSTILE]: HOSTILE });
    const loss = store.read(db => metricHistory(db, mlflowRunId(U1), 'loss'));
    assert.deepStrictEqual(
      loss.map(p => p.step),
      [0, 1, 2, 3],
    );
    const wanted = [{ runId: mlflowRunId(U1), key: 'loss' }];
    const full = (
      await loadHistories(
        store.read(db => planHistories(db, store.folder, wanted)),
        wanted,
      )
    )
      .get(mlflowRunId(U1))!
      .get('loss')!;
    assert.strictEqual(full.complete, true, 'read from mlflow.db');
    assert.deepStrictEqual(
      full.points.map(p => p.step),
      [0, 1, 2, 3],
    );
    assert.ok(full.points.every(p => typeof p.timestamp === 'number'));
    assert.ok(
      Number.isNaN(full.points[1].value) && full.points[2].value === Infinity && full.points[3].value === -Infinity,
    );
    assert.ok(Number.isNaN(loss[1].value));
    assert.strictEqual(loss[2].value, Infinity);
    assert.strictEqual(loss[3].value, -Infinity);
    assert.deepStrictEqual(a.datasets, [{ name: 'iris', role: 'eval', digest: 'abcd1234', rows: 150 }]);
    const b = store.read(db => getRun(db, mlflowRunId(U2)))!;
    assert.strictEqual(b.name, 'from-tag');
    assert.strictEqual(b.status, 'RUNNING');
    assert.strictEqual(
      store.read(db => db.scalar('SELECT lifecycle_stage FROM runs WHERE id = ?', [mlflowRunId(U3)])),
      'deleted',
    );
    assert.deepStrictEqual(
      store.read(db => listModels(db)).map(m => [m.name, m.versionCount, m.aliases]),
      [['churn', 1, { champion: 2 }]],
    );
    assert.deepStrictEqual(
      store.read(db => db.all('SELECT version, stage, run_id, git_commit FROM model_versions')),
      [{ version: 2, stage: 'Production', run_id: mlflowRunId(U1), git_commit: 'deadbeef' }],
    );
    assert.strictEqual(
      store.read(db => countRows(db, 'model_tags')),
      2,
    );
    assert.strictEqual(
      store.read(db => countRows(db, 'audit_log')),
      0,
    );
    assert.strictEqual(
      crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'),
      hash,
      'mlflow.db unchanged',
    );
    assert.strictEqual(fs.statSync(file).mtimeMs, mtime);
    assert.ok(!fs.existsSync(`${file}-journal`));
  });

  it('re-reads only when the file changes, and replaces changed runs idempotently', async () => {
    const ws = ingestTempWorkspace();
    const file = path.join(ws, 'mlflow.db');
    await buildDb(file, baseSpec(), registry);
    const store = await openStore(ws);
    await ingestWorkspace(store, silentLogger);
    const before = dumpTables(store);
    const again = await ingestWorkspace(store, silentLogger);
    assert.deepStrictEqual(
      [again.runs, again.metricPoints, again.bytesRead],
      [0, 0, 0],
      'unchanged file: not even read',
    );
    // MLflow logs more points to U2, retags U1, gc's U3, adds a run
    const spec = baseSpec();
    spec.runs = spec.runs.filter(r => r.uuid !== U3);
    spec.runs.push({ uuid: 'd'.repeat(32), exp: '0', name: 'new' });
    spec.params = spec.params!.filter(p => p[0] !== U3);
    spec.metrics!.push([U2, 'loss', 1, 2000, 1], [U2, 'loss', 0.5, 3000, 2]);
    spec.tags!.push([U1, 'extra', 'yes']);
    await buildDb(file, spec, registry);
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const r = await ingestWorkspace(store, silentLogger);
    assert.strictEqual(r.removedRuns, 1);
    assert.deepStrictEqual(
      r.changedRuns.sort(),
      [mlflowRunId(U1), mlflowRunId(U2), mlflowRunId(U3), mlflowRunId('d'.repeat(32))].sort(),
    );
    assert.strictEqual(store.read(db => metricHistory(db, mlflowRunId(U2), 'loss')).length, 3);
    assert.strictEqual(store.read(db => getRun(db, mlflowRunId(U1)))!.tags.extra, 'yes');
    assert.strictEqual(
      store.read(db => metricHistory(db, mlflowRunId(U1), 'loss')).length,
      4,
      'no duplicates after replace',
    );
    assert.notDeepStrictEqual(dumpTables(store), before);
    // idempotent: the same content re-read (mtime touched) changes nothing
    const snapshot = dumpTables(store);
    fs.utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    const r2 = await ingestWorkspace(store, silentLogger);
    assert.ok(r2.bytesRead > 0);
    assert.deepStrictEqual([r2.runs, r2.metricPoints], [0, 0]);
    assert.deepStrictEqual(dumpTables(store), snapshot);
  });

  it('reports a file that is not an MLflow database once and loads the other sources', async () => {
    const ws = ingestTempWorkspace();
    fs.writeFileSync(path.join(ws, 'mlflow.db'), 'this is not sqlite at all');
    fs.mkdirSync(path.join(ws, 'other'));
    const SQL = await loadSqlJs();
    const other = new SQL.Database();
    other.exec('CREATE TABLE t (x)');
    fs.writeFileSync(path.join(ws, 'other', 'mlflow.db'), Buffer.from(other.export()));
    other.close();
    const mb = new MlrunsBuilder(path.join(ws, 'mlruns'));
    mb.experiment('1', 'e');
    mb.run('1', { runId: hex32(1), metrics: { m: '1 1 0\n' } });
    const store = await openStore(ws);
    const log = recordingLogger();
    await ingestWorkspace(store, log);
    assert.strictEqual(log.lines.length, 2, log.lines.join('\n'));
    assert.match(log.lines.join('\n'), /^MLflow: mlflow\.db: (not a SQLite database|could not be read)/m);
    assert.match(log.lines.join('\n'), /other\/mlflow\.db: not an MLflow tracking database/);
    assert.strictEqual(
      store.read(db => countRows(db, 'runs')),
      1,
    );
    const again = recordingLogger();
    await ingestWorkspace(store, again);
    assert.deepStrictEqual(again.lines, []);
  });

  it('keeps one copy of a run present in both mlruns/ and mlflow.db (migrated store), and takes over when one goes', async () => {
    const ws = ingestTempWorkspace();
    const mb = new MlrunsBuilder(path.join(ws, 'mlruns'));
    mb.experiment('0', 'Default');
    mb.run('0', { runId: U1, metrics: { loss: '1000 1.5 0\n' } });
    await buildDb(path.join(ws, 'mlflow.db'), baseSpec());
    const store = await openStore(ws);
    const log = recordingLogger();
    const r = await ingestWorkspace(store, log);
    assert.deepStrictEqual(log.lines, []);
    assert.strictEqual(r.duplicateRuns, 1);
    assert.match(log.infos.join('\n'), /mlflow\.db: 1 run\(s\) are also in another MLflow source/);
    assert.strictEqual(
      store.read(db => db.scalar('SELECT source_path FROM runs WHERE id = ?', [mlflowRunId(U1)])),
      `mlruns/0/${U1}`,
    );
    assert.strictEqual(
      store.read(db => countRows(db, 'runs', 'id = ?', [mlflowRunId(U1)])),
      1,
    );
    fs.rmSync(path.join(ws, 'mlruns'), { recursive: true });
    await ingestWorkspace(store, silentLogger);
    assert.strictEqual(
      store.read(db => db.scalar('SELECT source_path FROM runs WHERE id = ?', [mlflowRunId(U1)])),
      'mlflow.db',
    );
    assert.strictEqual(store.read(db => metricHistory(db, mlflowRunId(U1), 'loss')).length, 4);
  });

  it('removes a deleted mlflow.db on a watcher (partial) pass', async () => {
    const ws = ingestTempWorkspace();
    const file = path.join(ws, 'mlflow.db');
    await buildDb(file, baseSpec(), registry);
    const store = await openStore(ws);
    await ingestWorkspace(store, silentLogger);
    assert.strictEqual(
      store.read(db => countRows(db, 'runs')),
      3,
    );
    fs.rmSync(file);
    const r = await ingestWorkspace(store, silentLogger, { paths: [file] });
    assert.strictEqual(r.removedRuns, 3);
    assert.strictEqual(
      store.read(
        db =>
          countRows(db, 'runs') +
          countRows(db, 'experiments') +
          countRows(db, 'models') +
          countRows(db, 'ingest_state'),
      ),
      0,
    );
  });

  it('skips a database while a write transaction is in progress (hot journal)', async () => {
    const ws = ingestTempWorkspace();
    const file = path.join(ws, 'mlflow.db');
    await buildDb(file, baseSpec());
    fs.writeFileSync(`${file}-journal`, 'x'.repeat(512));
    const store = await openStore(ws);
    const r1 = await ingestWorkspace(store, silentLogger);
    assert.strictEqual(r1.runs, 0);
    fs.rmSync(`${file}-journal`);
    const r2 = await ingestWorkspace(store, silentLogger, { paths: [`${file}-journal`] });
    assert.strictEqual(r2.runs, 3);
  });

  it('ingests many points from one run in several writes, with no duplicates on a re-read', async () => {
    const ws = ingestTempWorkspace();
    const file = path.join(ws, 'mlflow.db');
    const spec = baseSpec();
    spec.metrics = Array.from(
      { length: 130_000 },
      (_, i) => [U1, `k${i % 3}`, i / 3, 1000 + i, i] as [string, string, number, number, number],
    );
    await buildDb(file, spec);
    const store = await openStore(ws);
    const r = await ingestWorkspace(store, silentLogger);
    assert.strictEqual(r.metricPoints, 130_000);
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    await ingestWorkspace(store, silentLogger);
    assert.strictEqual(
      store.read(db => Number(db.scalar('SELECT sum(count) FROM metric_series WHERE run_id = ?', [mlflowRunId(U1)]))),
      130_000,
    );
    assert.strictEqual(
      store.read(db => db.scalar('SELECT line FROM ingest_state WHERE path = ?', [`mlflow.db#run:${U1}`])),
      0,
    );
  });
});
