/**
 * Writing into a team database (a private PostgreSQL cluster with MLflow 2.17's schema): `mlsight sync` writes a
 * workspace's ML Sight runs the way MLflow logs runs (checked with plain SQL on MLflow's tables), a second sync
 * changes nothing, new points are added later; another workspace lists the runs with equal values; promotions
 * write the alias, gate evidence and audit event, and two processes promoting at once cannot both win.
 */
import * as assert from 'assert';
import { PgCluster, startCluster } from './helpers/pgCluster';
import { appendRunLog, cli, tempWorkspace, writeRunLog } from './helpers';
import { raceProcesses, theOneWinner } from './helpers/teamRace';
import { A, B, C, T0, TEST_SET, writeChallengers } from './helpers/teamRuns';
import { pgRows } from './helpers/teamDb';

function workspace(): { folder: string; logA: string } {
  const folder = tempWorkspace();
  const logA = writeRunLog(folder, A, [
    { type: 'run', ts: T0, run_id: A, experiment: 'churn', name: 'xgb-a' },
    { type: 'param', key: 'lr', value: 0.1 },
    { type: 'param', key: 'max_depth', value: 4 },
    { type: 'git', commit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', branch: 'main', dirty: false },
    {
      type: 'dataset',
      name: 'train',
      role: 'train',
      path: 'data/train.csv',
      digest: 'sha256:' + 'ab'.repeat(32),
      rows: 150,
    },
    ...Array.from({ length: 5 }, (_, i) => ({
      type: 'metric',
      key: 'val/auc',
      value: 0.7 + i / 100,
      step: i,
      ts: T0 + i * 10,
    })),
    { type: 'metric', key: 'val/auc', value: 0.5, step: 3, ts: T0 + 5 },
    { type: 'metric', key: 'loss', value: 1.5, step: 0, ts: T0 },
    { type: 'metric', key: 'loss', value: 'NaN', step: 1, ts: T0 + 10 },
    { type: 'metric', key: 'grad', value: 'Infinity', step: 0, ts: T0 },
    { type: 'end', ts: T0 + 60_000, status: 'FINISHED' },
  ]);
  writeRunLog(folder, B, [
    { type: 'run', ts: T0 + 1000, run_id: B, experiment: 'churn', name: 'xgb-b' },
    { type: 'param', key: 'lr', value: 0.3 },
    { type: 'metric', key: 'val/auc', value: 0.9, step: 0, ts: T0 + 1000 },
    { type: 'end', ts: T0 + 2000, status: 'FAILED' },
  ]);
  return { folder, logA };
}

describe('team mode: sync and promotions on PostgreSQL (real cluster)', function () {
  this.timeout(120_000);
  let pg: PgCluster;
  before(async () => {
    pg = await startCluster();
  });
  after(() => pg?.stop());

  const sql = <T = Record<string, unknown>>(db: string, text: string, params: unknown[] = []) =>
    pgRows<T>(pg, db, text, params);

  it('sync writes runs as MLflow does; a second sync adds nothing; new points are added later', async () => {
    const uri = await pg.createDatabase('sync1');
    assert.strictEqual((await cli(['db', 'init', '--tracking-uri', uri, '--artifact-root', '/srv/a'])).code, 0);
    const { folder, logA } = workspace();
    const r = await cli(['sync', folder, '--tracking-uri', uri, '--format', 'json']);
    assert.strictEqual(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepStrictEqual(
      j.runs.map((x: { id: string; created: boolean }) => [x.id, x.created]),
      [
        [A, true],
        [B, true],
      ],
    );

    const db = 'sync1';
    const exp = await sql(db, `SELECT experiment_id, artifact_location FROM experiments WHERE name = 'churn'`);
    assert.deepStrictEqual(exp, [{ experiment_id: 1, artifact_location: '/srv/a/1' }]);
    const runs = await sql(
      db,
      'SELECT run_uuid, name, status, start_time::text AS s, end_time::text AS e, experiment_id, lifecycle_stage, artifact_uri FROM runs ORDER BY start_time',
    );
    assert.deepStrictEqual(runs, [
      {
        run_uuid: A,
        name: 'xgb-a',
        status: 'FINISHED',
        s: String(T0),
        e: String(T0 + 60_000),
        experiment_id: 1,
        lifecycle_stage: 'active',
        artifact_uri: `/srv/a/1/${A}/artifacts`,
      },
      {
        run_uuid: B,
        name: 'xgb-b',
        status: 'FAILED',
        s: String(T0 + 1000),
        e: String(T0 + 2000),
        experiment_id: 1,
        lifecycle_stage: 'active',
        artifact_uri: `/srv/a/1/${B}/artifacts`,
      },
    ]);
    const tags = new Map(
      (await sql<{ key: string; value: string }>(db, 'SELECT key, value FROM tags WHERE run_uuid = $1', [A])).map(t => [
        t.key,
        t.value,
      ]),
    );
    assert.strictEqual(tags.get('mlflow.runName'), 'xgb-a');
    assert.strictEqual(tags.get('mlflow.source.git.commit'), 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678');
    assert.strictEqual(tags.get('mlflow.source.git.branch'), 'main');
    assert.strictEqual(tags.get('mlsight.run_id'), A);
    assert.deepStrictEqual(await sql(db, 'SELECT key, value FROM params WHERE run_uuid = $1 ORDER BY key', [A]), [
      { key: 'lr', value: '0.1' },
      { key: 'max_depth', value: '4' },
    ]);
    const metrics = await sql(
      db,
      `SELECT key, value, timestamp::text AS t, step::int AS step, is_nan FROM metrics WHERE run_uuid = $1 ORDER BY key, step, timestamp`,
      [A],
    );
    assert.strictEqual(metrics.length, 9);
    assert.deepStrictEqual(
      metrics.filter(m => m.key === 'loss'),
      [
        { key: 'loss', value: 1.5, t: String(T0), step: 0, is_nan: false },
        { key: 'loss', value: 0, t: String(T0 + 10), step: 1, is_nan: true },
      ],
    );
    assert.deepStrictEqual(
      metrics.filter(m => m.key === 'grad'),
      [{ key: 'grad', value: 1.7976931348623157e308, t: String(T0), step: 0, is_nan: false }],
    );
    assert.deepStrictEqual(
      metrics.filter(m => m.key === 'val/auc' && m.step === 3).map(m => m.value),
      [0.5, 0.73],
    );
    const latest = await sql(
      db,
      'SELECT key, value, timestamp::text AS t, step::int AS step, is_nan FROM latest_metrics WHERE run_uuid = $1 ORDER BY key',
      [A],
    );
    assert.deepStrictEqual(latest, [
      { key: 'grad', value: 1.7976931348623157e308, t: String(T0), step: 0, is_nan: false },
      { key: 'loss', value: 0, t: String(T0 + 10), step: 1, is_nan: true },
      { key: 'val/auc', value: 0.74, t: String(T0 + 40), step: 4, is_nan: false },
    ]);
    const inputs = await sql(
      db,
      `SELECT d.name, d.digest, d.dataset_source_type, d.dataset_source, d.dataset_profile, t.value AS context
      FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id LEFT JOIN input_tags t ON t.input_uuid = i.input_uuid AND t.name = 'mlflow.data.context'
      WHERE i.destination_id = $1 AND i.source_type = 'DATASET' AND i.destination_type = 'RUN'`,
      [A],
    );
    assert.deepStrictEqual(inputs, [
      {
        name: 'train',
        digest: ('sha256:' + 'ab'.repeat(32)).slice(0, 36),
        dataset_source_type: 'local',
        dataset_source: '{"uri":"data/train.csv"}',
        dataset_profile: '{"num_rows":150}',
        context: 'train',
      },
    ]);

    const count = async () =>
      (
        await sql<{ n: string }>(
          db,
          `SELECT (SELECT count(*) FROM metrics) + (SELECT count(*) FROM tags) + (SELECT count(*) FROM params)
      + (SELECT count(*) FROM runs) + (SELECT count(*) FROM inputs) + (SELECT count(*) FROM datasets) + (SELECT count(*) FROM experiments) AS n`,
        )
      )[0].n;
    const before = await count();
    const again = JSON.parse((await cli(['sync', folder, '--tracking-uri', uri, '--format', 'json'])).out);
    assert.deepStrictEqual(
      again.runs.map((x: { created: boolean; metricsWritten: number }) => [x.created, x.metricsWritten]),
      [
        [false, 0],
        [false, 0],
      ],
    );
    assert.strictEqual(await count(), before);

    appendRunLog(logA, [{ type: 'metric', key: 'val/auc', value: 0.8, step: 5, ts: T0 + 50 }]);
    const third = JSON.parse((await cli(['sync', folder, '--tracking-uri', uri, '--run', A, '--format', 'json'])).out);
    assert.deepStrictEqual(
      third.runs.map((x: { metricsWritten: number }) => x.metricsWritten),
      [1],
    );
    assert.deepStrictEqual(
      await sql(db, `SELECT value, step::int AS step FROM latest_metrics WHERE run_uuid = $1 AND key = 'val/auc'`, [A]),
      [{ value: 0.8, step: 5 }],
    );
  });

  it('round trip: runs synced from one workspace are listed from another with equal values', async () => {
    const uri = await pg.createDatabase('trip');
    await cli(['db', 'init', '--tracking-uri', uri]);
    const { folder } = workspace();
    assert.strictEqual((await cli(['sync', folder, '--tracking-uri', uri])).code, 0);
    const local = JSON.parse((await cli(['runs', folder, '--format', 'json'])).out).runs;
    const other = tempWorkspace();
    const team = JSON.parse((await cli(['runs', other, '--tracking-uri', uri, '--format', 'json'])).out).runs;
    assert.strictEqual(team.length, 2);
    for (const t of team) {
      const l = local.find((x: { id: string }) => x.id === t.id);
      assert.ok(l, t.id);
      for (const k of ['name', 'status', 'experiment', 'startTime', 'endTime', 'params', 'metrics']) {
        assert.deepStrictEqual(t[k], l[k], `${t.id} ${k}`);
      }
      assert.strictEqual(t.git.commit, l.git.commit);
    }
  });

  describe('promotions on a team model', () => {
    let uri: string;
    const db = 'promo';
    before(async () => {
      uri = await pg.createDatabase(db);
      await cli(['db', 'init', '--tracking-uri', uri]);
      // runs A and C evaluated on the same test set (the gate compares only such runs); B failed
      const folder = tempWorkspace();
      writeRunLog(folder, A, [
        { type: 'run', ts: T0, run_id: A, experiment: 'churn', name: 'xgb-a' },
        TEST_SET,
        { type: 'metric', key: 'val/auc', value: 0.74, step: 0, ts: T0 },
        { type: 'end', ts: T0 + 1000, status: 'FINISHED' },
      ]);
      writeChallengers(folder);
      await cli(['sync', folder, '--tracking-uri', uri]);
      // a registered model with three versions, as MLflow's registry writes it (v2: the FAILED run B)
      await sql(db, `INSERT INTO registered_models VALUES ('churn', 1, 1, NULL)`);
      for (const [v, run] of [
        [1, A],
        [2, B],
        [3, C],
      ] as const) {
        await sql(
          db,
          `INSERT INTO model_versions (name, version, creation_time, last_updated_time, current_stage, source, run_id, status, storage_location)
          VALUES ('churn', $1, 1, 1, 'None', $2, $3, 'READY', $2)`,
          [v, `runs:/${run}/model`, run],
        );
      }
    });

    it('promote writes the MLflow alias with gate evidence and the audit event as version tags; a failed gate refuses', async () => {
      const p1 = await cli([
        'registry',
        'promote',
        'churn',
        '1',
        '--alias',
        'champion',
        '--reason',
        'first',
        '--metric',
        'val/auc',
        '--tracking-uri',
        uri,
        '--format',
        'json',
      ]);
      assert.strictEqual(p1.code, 0, p1.err);
      assert.deepStrictEqual(
        await sql(db, `SELECT alias, version FROM registered_model_aliases WHERE name = 'churn'`),
        [{ alias: 'champion', version: 1 }],
      );
      // the registry's gate: version 2's run B FAILED, so it is refused although its val/auc (0.9) is higher
      const p2 = await cli(
        ['registry', 'promote', 'churn', '2', '--alias', 'champion', '--reason', 'r', '--metric', 'val/auc'].concat([
          '--tracking-uri',
          uri,
          '--format',
          'json',
        ]),
      );
      assert.strictEqual(p2.code, 3, p2.err);
      const g2 = JSON.parse(p2.out).gate;
      assert.strictEqual(g2.passes, false);
      assert.deepStrictEqual(
        g2.checks.filter((c: { ok: boolean }) => !c.ok).map((c: { code: string }) => c.code),
        ['run-not-finished'],
      );
      // version 3 (run C: val/auc 0.9, FINISHED) beats version 1 (run A: 0.74)
      const p3 = await cli([
        'registry',
        'promote',
        'churn',
        '3',
        '--alias',
        'champion',
        '--reason',
        'better auc',
        '--metric',
        'val/auc',
        '--tracking-uri',
        uri,
        '--format',
        'json',
      ]);
      assert.strictEqual(p3.code, 0, p3.err);
      assert.deepStrictEqual(JSON.parse(p3.out).from, 1);
      const tags = await sql<{ key: string; value: string }>(
        db,
        `SELECT key, value FROM model_version_tags WHERE name = 'churn' AND version = 3 ORDER BY key`,
      );
      const gate = JSON.parse(tags.find(t => t.key === 'mlsight.gate.champion')!.value);
      assert.deepStrictEqual(
        [gate.passes, gate.metric, gate.champion.value, gate.challenger.value],
        [true, 'val/auc', 0.74, 0.9],
      );
      const audit = JSON.parse(tags.find(t => t.key.startsWith('mlsight.audit.'))!.value);
      assert.deepStrictEqual(
        [audit.action, audit.from, audit.to, audit.reason, audit.alias],
        ['promote', 1, 3, 'better auc', 'champion'],
      );
      // back to version 1 (worse) is refused by the gate (exit 3), and allowed with --override
      const back = await cli([
        'registry',
        'promote',
        'churn',
        '1',
        '--alias',
        'champion',
        '--reason',
        'rollback',
        '--metric',
        'val/auc',
        '--tracking-uri',
        uri,
      ]);
      assert.strictEqual(back.code, 3);
      assert.match(back.err, /gate did not pass.*does not beat the champion/);
      assert.deepStrictEqual(
        await sql(db, `SELECT version FROM registered_model_aliases WHERE name = 'churn' AND alias = 'champion'`),
        [{ version: 3 }],
      );
      const forced = await cli([
        'registry',
        'promote',
        'churn',
        '1',
        '--alias',
        'champion',
        '--reason',
        'rollback',
        '--metric',
        'val/auc',
        '--override',
        '--tracking-uri',
        uri,
      ]);
      assert.strictEqual(forced.code, 0, forced.err);
      const show = JSON.parse(
        (await cli(['registry', 'show', 'churn', '--tracking-uri', uri, '--format', 'json'])).out,
      );
      assert.deepStrictEqual(show.aliases, { champion: 1 });
    });

    it('two processes promoting at once: exactly one wins, the other gets a clear conflict (5 rounds)', async () => {
      for (let round = 0; round < 5; round++) {
        await sql(db, `DELETE FROM registered_model_aliases WHERE name = 'churn' AND alias = 'prod'`);
        await sql(db, `INSERT INTO registered_model_aliases VALUES ('prod', 1, 'churn')`);
        const winner = theOneWinner(
          await raceProcesses([2, 3].map(v => ['promote', uri, 'churn', String(v), 'prod', 'val/auc'])),
          'planned 1',
          /churn@prod now points to version [23], not version 1 .*someone else moved it meanwhile/,
        );
        const alias = await sql(
          db,
          `SELECT version FROM registered_model_aliases WHERE name = 'churn' AND alias = 'prod'`,
        );
        assert.deepStrictEqual(alias, [{ version: winner.to }]);
        const audits = await sql<{ version: number; value: string }>(
          db,
          `SELECT version, value FROM model_version_tags WHERE name = 'churn' AND key LIKE 'mlsight.audit.%' AND value LIKE '%"alias":"prod"%'`,
        );
        assert.ok(audits.every(a => JSON.parse(a.value).to === a.version));
        assert.strictEqual(
          audits.filter(a => a.version !== winner.to && JSON.parse(a.value).at > Date.now() - 60_000 && round === 0)
            .length,
          0,
        );
      }
    });
  });
});
