/**
 * The SQLite tracking backend (sqlite:///mlflow.db): MLflow 2.17's schema in a file, written by `mlsight sync` and
 * promotions the way MLflow writes it (checked with plain SQL), read back from another workspace with equal values,
 * and safe writes: a concurrent change of the file between load and write-back is a CONFLICT (exit 4) that loses
 * nobody's rows, two processes promoting at once cannot both win, and hostile paths are refused.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { MLFLOW_217_DDL } from '../../src/core/tracking/mlflowSchema';
import { MLFLOW_217_SQLITE_DDL } from '../../src/core/tracking/mlflowSqliteSchema';
import { SqliteBackend } from '../../src/core/tracking/sqlite';
import { loadTeamCompareSource, teamRunRef, isTeamRef } from '../../src/core/tracking/teamView';
import { loadCompareData } from '../../src/core/compare/build';
import { TrackingError } from '../../src/core/tracking/types';
import { cli, tempWorkspace, writeRunLog } from './helpers';
import { raceProcesses, theOneWinner } from './helpers/teamRace';
import { A, B, C, T0, TEST_SET, writeChallengers } from './helpers/teamRuns';
import { sqliteExec, sqliteRows } from './helpers/teamDb';

function workspace(): string {
  const folder = tempWorkspace();
  writeRunLog(folder, A, [
    { type: 'run', ts: T0, run_id: A, experiment: 'churn', name: 'xgb-a' },
    { type: 'param', key: 'lr', value: 0.1 },
    { type: 'git', commit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', branch: 'main', dirty: false },
    TEST_SET,
    ...Array.from({ length: 5 }, (_, i) => ({ type: 'metric', key: 'val/auc', value: 0.7 + i / 100, step: i })),
    { type: 'metric', key: 'loss', value: 1.5, step: 0, ts: T0 },
    { type: 'metric', key: 'loss', value: 'NaN', step: 1, ts: T0 + 10 },
    { type: 'end', ts: T0 + 60_000, status: 'FINISHED' },
  ]);
  writeChallengers(folder);
  return folder;
}

const sql = sqliteRows;
const otherWriter = sqliteExec;

/** Column names of each table of a DDL, in order. */
function tableColumns(ddl: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of ddl.matchAll(/CREATE TABLE (\w+) \(([\s\S]*?)\);/g)) {
    const cols = m[2]
      .split(/,(?![^(]*\))/)
      .map(x => x.trim().split(/\s+/)[0].replace(/"/g, ''))
      .filter(x => x && !/^(CONSTRAINT|PRIMARY|UNIQUE|FOREIGN|CHECK)$/i.test(x));
    out.set(m[1], cols);
  }
  return out;
}

describe('team mode: sqlite:/// MLflow database as a team backend', function () {
  this.timeout(60_000);

  it("the SQLite DDL has the recorded PostgreSQL schema's tables and columns, in order", () => {
    const pg = tableColumns(MLFLOW_217_DDL);
    const lite = tableColumns(MLFLOW_217_SQLITE_DDL);
    assert.deepStrictEqual([...lite.keys()].sort(), [...pg.keys()].sort());
    for (const [t, cols] of pg) {
      assert.deepStrictEqual(lite.get(t), cols, t);
    }
  });

  it('db init, sync as MLflow writes, a second sync adds nothing, another workspace reads equal values', async () => {
    const dir = tempWorkspace();
    const file = path.join(dir, 'team', 'mlflow.db');
    const uri = `sqlite:////${file.replace(/^\//, '')}`;
    const init = await cli(['db', 'init', '--tracking-uri', uri, '--artifact-root', '/srv/a', '--format', 'json']);
    assert.strictEqual(init.code, 0, init.err);
    assert.deepStrictEqual(JSON.parse(init.out).revision, 'f5a4f2784254');
    assert.strictEqual((await cli(['db', 'init', '--tracking-uri', uri])).code, 0); // already there
    const folder = workspace();
    const r = await cli(['sync', folder, '--tracking-uri', uri, '--format', 'json']);
    assert.strictEqual(r.code, 0, r.err);
    assert.deepStrictEqual(
      JSON.parse(r.out).runs.map((x: { id: string; created: boolean }) => [x.id, x.created]),
      [
        [A, true],
        [B, true],
        [C, true],
      ],
    );
    assert.deepStrictEqual(await sql(file, `SELECT experiment_id, artifact_location FROM experiments ORDER BY 1`), [
      { experiment_id: 0, artifact_location: '/srv/a/0' },
      { experiment_id: 1, artifact_location: '/srv/a/1' },
    ]);
    assert.deepStrictEqual(
      await sql(file, `SELECT name, status, start_time, end_time, artifact_uri FROM runs WHERE run_uuid = ?`, [A]),
      [
        {
          name: 'xgb-a',
          status: 'FINISHED',
          start_time: T0,
          end_time: T0 + 60_000,
          artifact_uri: `/srv/a/1/${A}/artifacts`,
        },
      ],
    );
    assert.deepStrictEqual(
      await sql(file, `SELECT step, value, is_nan FROM metrics WHERE run_uuid = ? AND key = 'loss' ORDER BY step`, [A]),
      [
        { step: 0, value: 1.5, is_nan: 0 },
        { step: 1, value: 0, is_nan: 1 },
      ],
    );
    assert.deepStrictEqual(
      await sql(file, `SELECT value, step FROM latest_metrics WHERE run_uuid = ? AND key = 'val/auc'`, [A]),
      [{ value: 0.74, step: 4 }],
    );
    assert.deepStrictEqual(
      await sql(file, `SELECT value FROM tags WHERE run_uuid = ? AND key = 'mlflow.source.git.commit'`, [A]),
      [{ value: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678' }],
    );
    assert.deepStrictEqual(
      await sql(
        file,
        `SELECT d.name, t.value AS context FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id
          JOIN input_tags t ON t.input_uuid = i.input_uuid WHERE i.destination_id = ?`,
        [A],
      ),
      [{ name: 'test', context: 'test' }],
    );
    const again = await cli(['sync', folder, '--tracking-uri', uri, '--format', 'json']);
    assert.deepStrictEqual(
      JSON.parse(again.out).runs.map((x: { created: boolean; metricsWritten: number }) => [
        x.created,
        x.metricsWritten,
      ]),
      [
        [false, 0],
        [false, 0],
        [false, 0],
      ],
    );
    const local = JSON.parse((await cli(['runs', folder, '--format', 'json'])).out).runs;
    const team = JSON.parse((await cli(['runs', tempWorkspace(), '--tracking-uri', uri, '--format', 'json'])).out).runs;
    assert.strictEqual(team.length, 3);
    for (const t of team) {
      const l = local.find((x: { id: string }) => x.id === t.id);
      for (const k of ['name', 'status', 'experiment', 'startTime', 'endTime', 'params', 'metrics']) {
        assert.deepStrictEqual(t[k], l[k], `${t.id} ${k}`);
      }
    }
    // pages: keyset tokens walk every run once
    const b = new SqliteBackend(file, { baseDir: dir });
    const p1 = await b.searchRuns({ pageSize: 2 });
    const p2 = await b.searchRuns({ pageSize: 2, pageToken: p1.nextPageToken });
    assert.deepStrictEqual(
      [...p1.runs, ...p2.runs].map(x => x.runUuid),
      [C, B, A],
    );
    assert.strictEqual(p2.nextPageToken, null);
    // compared from the backend like the PostgreSQL one: every point of the curve
    const src = await loadTeamCompareSource(b, [teamRunRef(A)]);
    const d = await loadCompareData(undefined, [teamRunRef(A)], {}, { source: src, owns: isTeamRef });
    const loss = d.series.find(s => s.key === 'loss')!;
    assert.deepStrictEqual([loss.steps, loss.values, loss.nonFinite], [[0], [1.5], [{ step: 1, value: 'nan' }]]);
    await b.close();
  });

  it('a change of the file between load and write-back is a conflict: nothing lost, exit code 4 from the CLI', async () => {
    const dir = tempWorkspace();
    const file = path.join(dir, 'mlflow.db');
    assert.strictEqual((await cli(['db', 'init', '--tracking-uri', `sqlite:////${file.slice(1)}`])).code, 0);
    const folder = workspace();
    const b = new SqliteBackend('mlflow.db', {
      baseDir: dir,
      beforeWriteBack: () =>
        otherWriter(file, `INSERT INTO experiments (name, lifecycle_stage) VALUES ('written by mlflow', 'active')`),
    });
    const { buildSyncRun, listSyncableRuns } = await import('../../src/core/tracking/workspaceSync');
    const { WorkspaceStore } = await import('../../src/core/store/store');
    const { ingestMlsightRuns } = await import('../../src/core/ingest/mlsightRunLog');
    const { silentLogger } = await import('../../src/core/log');
    const store = await WorkspaceStore.open({ folder });
    await ingestMlsightRuns(store, silentLogger);
    const ref = store.read(db => listSyncableRuns(db, [A]))[0];
    const built = await buildSyncRun(store, ref);
    await store.close();
    await assert.rejects(
      () => b.syncRun(built.run),
      (e: TrackingError) => e.code === 'CONFLICT' && /changed by another process/.test(e.message),
    );
    // the other writer's row is there, ours is not: nothing was overwritten
    assert.deepStrictEqual(await sql(file, `SELECT name FROM experiments WHERE name = 'written by mlflow'`), [
      { name: 'written by mlflow' },
    ]);
    assert.deepStrictEqual(await sql(file, `SELECT count(*) AS n FROM runs`), [{ n: 0 }]);
    // an MLflow transaction in progress (a non-empty rollback journal): the CLI reports the conflict with exit 4
    fs.writeFileSync(`${file}-journal`, 'x');
    const r = await cli(['sync', folder, '--tracking-uri', `sqlite:////${file.slice(1)}`]);
    assert.strictEqual(r.code, 4, r.err);
    assert.match(r.err, /transaction is in progress/);
    fs.rmSync(`${file}-journal`);
    assert.strictEqual((await cli(['sync', folder, '--tracking-uri', `sqlite:////${file.slice(1)}`])).code, 0);
    assert.deepStrictEqual(await sql(file, `SELECT count(*) AS n FROM runs`), [{ n: 3 }]);
  });

  it('paths are untrusted: relative ones stay inside the base folder (symlinks too); files must be SQLite', async () => {
    const base = tempWorkspace();
    const outside = tempWorkspace();
    fs.writeFileSync(path.join(outside, 'x.db'), '');
    fs.symlinkSync(path.join(outside, 'x.db'), path.join(base, 'link.db'));
    for (const p of ['../x.db', 'link.db', 'a/../../x.db']) {
      assert.throws(
        () => new SqliteBackend(p, { baseDir: base }),
        (e: TrackingError) => e.code === 'INVALID' && /outside the workspace/.test(e.message),
        p,
      );
    }
    fs.writeFileSync(path.join(base, 'notes.db'), 'just text, not a database');
    await assert.rejects(
      () => new SqliteBackend('notes.db', { baseDir: base }).schema(),
      (e: TrackingError) => e.code === 'NOT_MLFLOW',
    );
    fs.mkdirSync(path.join(base, 'dir.db'));
    await assert.rejects(
      () => new SqliteBackend('dir.db', { baseDir: base }).schema(),
      (e: TrackingError) => e.code === 'INVALID',
    );
    await assert.rejects(
      () => new SqliteBackend('missing.db', { baseDir: base }).listExperiments(),
      (e: TrackingError) => e.code === 'NOT_FOUND' && /mlsight db init/.test(e.message),
    );
  });

  describe('promotions on a model in the file', () => {
    let file: string;
    let uri: string;
    before(async () => {
      const dir = tempWorkspace();
      file = path.join(dir, 'mlflow.db');
      uri = `sqlite:////${file.slice(1)}`;
      await cli(['db', 'init', '--tracking-uri', uri]);
      await cli(['sync', workspace(), '--tracking-uri', uri]);
      await otherWriter(
        file,
        `INSERT INTO registered_models VALUES ('churn', 1, 1, NULL);
         INSERT INTO model_versions (name, version, creation_time, last_updated_time, current_stage, source, run_id, status)
           VALUES ('churn', 1, 1, 1, 'None', 'runs:/${A}/model', '${A}', 'READY'),
                  ('churn', 2, 1, 1, 'None', 'runs:/${B}/model', '${B}', 'READY'),
                  ('churn', 3, 1, 1, 'None', 'runs:/${C}/model', '${C}', 'READY');`,
      );
    });

    it('the gate decides as for local models; the alias, evidence and audit event are written as MLflow tags', async () => {
      const promote = (v: string, ...extra: string[]) =>
        cli(
          ['registry', 'promote', 'churn', v, '--alias', 'champion', '--reason', 'r', '--metric', 'val/auc'].concat(
            extra,
            ['--tracking-uri', uri, '--format', 'json'],
          ),
        );
      assert.strictEqual((await promote('1')).code, 0);
      const failed = await promote('2');
      assert.strictEqual(failed.code, 3);
      assert.match(JSON.parse(failed.out).gate.reason, /FAILED/);
      const p3 = await promote('3');
      assert.strictEqual(p3.code, 0, p3.err);
      assert.deepStrictEqual(await sql(file, `SELECT alias, version FROM registered_model_aliases`), [
        { alias: 'champion', version: 3 },
      ]);
      const tags = await sql(file, `SELECT key, value FROM model_version_tags WHERE version = 3 ORDER BY key`);
      const gate = JSON.parse(String(tags.find(t => t.key === 'mlsight.gate.champion')!.value));
      assert.deepStrictEqual([gate.passes, gate.champion.value, gate.challenger.value], [true, 0.74, 0.9]);
      assert.ok(tags.some(t => String(t.key).startsWith('mlsight.audit.')));
    });

    it('two processes promoting at once: exactly one wins, the other gets a clear conflict (3 rounds)', async () => {
      for (let round = 0; round < 3; round++) {
        await otherWriter(
          file,
          `DELETE FROM registered_model_aliases WHERE alias = 'prod'; INSERT INTO registered_model_aliases VALUES ('prod', 1, 'churn');`,
        );
        const winner = theOneWinner(
          await raceProcesses([2, 3].map(v => ['promote', uri, 'churn', String(v), 'prod', 'val/auc'])),
          'planned 1',
          /churn@prod now points to version [23], not version 1 .*someone else moved it/,
        );
        assert.deepStrictEqual(await sql(file, `SELECT version FROM registered_model_aliases WHERE alias = 'prod'`), [
          { version: winner.to },
        ]);
      }
    });
  });
});
