/**
 * Team mode against a real PostgreSQL (a private cluster started for this file): MLflow 2.17's schema from
 * `mlsight db init` equals the recorded one; the recorded sample database reads back exactly; runs are paged by
 * keyset; a workspace's ML Sight runs sync into MLflow's tables as MLflow writes them (checked with plain SQL),
 * idempotently; an unknown schema revision is read-only.
 */
import * as assert from 'assert';
import { PgBackend } from '../../src/core/tracking/postgres';
import { TeamRun } from '../../src/core/tracking/types';
import { PgCluster, loadRecordedSample, startCluster } from './helpers/pgCluster';
import { cli, tempWorkspace, writeRunLog } from './helpers';

/** Columns, defaults, constraints and indexes of the current schema, as sorted text (for comparing two databases). */
async function catalog(pg: PgCluster, db: string): Promise<string[]> {
  const c = await pg.client(db);
  try {
    const cols =
      await c.query(`SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default
      FROM information_schema.columns WHERE table_schema = 'public'`);
    const cons =
      await c.query(`SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) AS d FROM pg_constraint
      WHERE connamespace = 'public'::regnamespace`);
    const idx = await c.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'`);
    return [
      ...cols.rows.map(r => `col ${JSON.stringify(r)}`),
      ...cons.rows.map(r => `con ${JSON.stringify(r)}`),
      ...idx.rows.map(r => `idx ${JSON.stringify(r)}`),
    ].sort();
  } finally {
    await c.end();
  }
}

describe('team mode: PostgreSQL tracking database (real cluster)', function () {
  this.timeout(120_000);
  let pg: PgCluster;
  before(async () => {
    pg = await startCluster();
  });
  after(() => pg?.stop());

  it('db init creates exactly the schema MLflow 2.17 created (recorded dump), with alembic_version and Default', async () => {
    const uri = await pg.createDatabase('init_target');
    await pg.createDatabase('recorded');
    const r = await cli(['db', 'init', '--tracking-uri', uri, '--artifact-root', '/srv/art', '--format', 'json']);
    assert.strictEqual(r.code, 0, r.err);
    assert.deepStrictEqual(JSON.parse(r.out).revision, 'f5a4f2784254');
    const c = await pg.client('recorded');
    try {
      const { dumpSql, FIXTURES } = await import('./helpers/pgCluster');
      await c.query(dumpSql(`${FIXTURES}/postgresql-schema.sql`));
    } finally {
      await c.end();
    }
    const [mine, theirs] = [await catalog(pg, 'init_target'), await catalog(pg, 'recorded')];
    assert.ok(theirs.length > 80, 'the recorded schema has its tables');
    assert.deepStrictEqual(mine, theirs);
    const k = await pg.client('init_target');
    try {
      assert.deepStrictEqual((await k.query('SELECT version_num FROM alembic_version')).rows, [
        { version_num: 'f5a4f2784254' },
      ]);
      assert.deepStrictEqual((await k.query('SELECT experiment_id, name, artifact_location FROM experiments')).rows, [
        { experiment_id: 0, name: 'Default', artifact_location: '/srv/art/0' },
      ]);
    } finally {
      await k.end();
    }
    // a second init is a no-op; a non-MLflow database is refused
    const again = await cli(['db', 'init', '--tracking-uri', uri]);
    assert.strictEqual(again.code, 0, again.err);
    assert.match(again.out, /already there/);
    const other = await pg.createDatabase('not_mlflow');
    const o = await pg.client('not_mlflow');
    await o.query('CREATE TABLE things (x int)');
    await o.end();
    const refused = await cli(['db', 'init', '--tracking-uri', other]);
    assert.strictEqual(refused.code, 1);
    assert.match(refused.err, /not empty and holds no MLflow schema/);
  });

  describe('the recorded sample database', () => {
    let uri: string;
    let b: PgBackend;
    before(async () => {
      uri = await pg.createDatabase('sample');
      await loadRecordedSample(pg, 'sample');
      b = new PgBackend(uri);
    });
    after(() => b?.close());

    it('reads exactly its experiments, runs, params, tags, latest metrics (NaN kept) and dataset input', async () => {
      assert.deepStrictEqual(
        (await b.listExperiments()).map(e => [e.id, e.name, e.tags]),
        [
          ['0', 'Default', {}],
          ['1', 'churn-xgb', { team: 'growth' }],
          ['2', 'iris', {}],
        ],
      );
      const page = await b.searchRuns({ pageSize: 10 });
      assert.strictEqual(page.nextPageToken, null);
      assert.deepStrictEqual(
        page.runs.map(r => [r.runUuid, r.name, r.status, r.experimentId]),
        [
          ['ccf04d7fd774479799b92a04991bdb2f', 'logreg', 'FINISHED', '2'],
          ['cc3e50f7235f4d1ab226db9cea5c1d8d', 'xgb-depth8', 'FAILED', '1'],
          ['792b85c8c66742059046b907bf3b3bb0', 'xgb-depth4', 'FINISHED', '1'],
        ],
      );
      const byId = new Map(page.runs.map(r => [r.runUuid, r] as [string, TeamRun]));
      const d8 = byId.get('cc3e50f7235f4d1ab226db9cea5c1d8d')!;
      assert.deepStrictEqual(d8.params, { lr: '0.3', max_depth: '8' });
      assert.strictEqual(d8.tags['mlflow.source.git.commit'], 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678');
      assert.ok(Number.isNaN(d8.metrics['train/loss'].value));
      assert.deepStrictEqual(d8.metrics['val/auc'], { value: 0.9099999999999999, step: 19, timestamp: 1796000000190 });
      const d4 = byId.get('792b85c8c66742059046b907bf3b3bb0')!;
      assert.deepStrictEqual(d4.datasets, [
        {
          name: 'train',
          digest: '4fb5574f',
          sourceType: 'local',
          source: '{"uri": "data/train.csv"}',
          context: 'training',
          schema:
            '{"mlflow_colspec": [{"type": "double", "name": "x", "required": true}, {"type": "long", "name": "y", "required": true}]}',
          profile: '{"num_rows": 2, "num_elements": 4}',
        },
      ]);
    });

    it("latest metrics follow MLflow's rule over the full history (the older duplicate of step 3 is ignored)", async () => {
      const page = await b.searchRuns({ pageSize: 10 });
      for (const run of page.runs) {
        for (const [key, latest] of Object.entries(run.metrics)) {
          const hist = await b.metricHistory(run.runUuid, key);
          let best = hist[0];
          for (const p of hist) {
            if (p.step > best.step || (p.step === best.step && (p.timestamp ?? 0) > (best.timestamp ?? 0))) {
              best = p;
            }
          }
          assert.strictEqual(best.step, latest.step, `${run.runUuid} ${key}`);
          assert.ok(Object.is(best.value, latest.value) || best.value === latest.value, `${run.runUuid} ${key}`);
        }
      }
      const h = await b.metricHistory('cc3e50f7235f4d1ab226db9cea5c1d8d', 'val/auc');
      assert.strictEqual(h.length, 21);
      assert.deepStrictEqual(
        h.filter(p => p.step === 3).map(p => p.value),
        [0.5, 0.75],
      );
    });

    it('reads the registered model with both versions, aliases and the version tag', async () => {
      const m = (await b.getModel('churn-classifier'))!;
      assert.deepStrictEqual(m.aliases, { champion: 1, challenger: 2 });
      assert.deepStrictEqual(
        m.versions.map(v => [v.version, v.runId, v.aliases, v.tags]),
        [
          [1, '792b85c8c66742059046b907bf3b3bb0', ['champion'], { validation: 'passed' }],
          [2, 'cc3e50f7235f4d1ab226db9cea5c1d8d', ['challenger'], {}],
        ],
      );
      assert.deepStrictEqual(m.tags, { domain: 'growth' });
    });

    it('pages by keyset: pages of 1 give every run once, in order; a forged token is refused', async () => {
      const seen: string[] = [];
      let token: string | null = null;
      do {
        const p = await b.searchRuns({ pageSize: 1, pageToken: token });
        assert.ok(p.runs.length <= 1);
        seen.push(...p.runs.map(r => r.runUuid));
        token = p.nextPageToken;
      } while (token);
      assert.deepStrictEqual(seen, [
        'ccf04d7fd774479799b92a04991bdb2f',
        'cc3e50f7235f4d1ab226db9cea5c1d8d',
        '792b85c8c66742059046b907bf3b3bb0',
      ]);
      await assert.rejects(b.searchRuns({ pageToken: 'bm90IGEgdG9rZW4' }), /invalid page token/);
      const one = await b.searchRuns({ experimentIds: ['2'] });
      assert.deepStrictEqual(
        one.runs.map(r => r.name),
        ['logreg'],
      );
    });

    it('mlsight runs --tracking-uri prints the folder JSON shape', async () => {
      const folder = tempWorkspace();
      const r = await cli(['runs', folder, '--tracking-uri', uri, '--format', 'json']);
      assert.strictEqual(r.code, 0, r.err);
      const j = JSON.parse(r.out);
      assert.strictEqual(j.runs.length, 3);
      const d8 = j.runs.find((x: { id: string }) => x.id === 'cc3e50f7235f4d1ab226db9cea5c1d8d');
      assert.deepStrictEqual(Object.keys(d8).sort(), [
        'datasets',
        'endTime',
        'experiment',
        'experimentId',
        'git',
        'id',
        'metrics',
        'name',
        'params',
        'source',
        'startTime',
        'status',
        'tags',
      ]);
      assert.strictEqual(d8.experiment, 'churn-xgb');
      assert.strictEqual(d8.metrics['train/loss'], 'nan');
      assert.strictEqual(d8.git.commit, 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678');
      const d4 = j.runs.find((x: { id: string }) => x.id === '792b85c8c66742059046b907bf3b3bb0');
      assert.deepStrictEqual(d4.datasets, [{ name: 'train', role: 'training', digest: '4fb5574f', rows: 2 }]);
      assert.ok(!r.out.includes('password'));
    });

    it('an unknown alembic revision is read-only with a clear message; reading still works', async () => {
      const ro = await pg.createDatabase('future');
      await loadRecordedSample(pg, 'future');
      const c = await pg.client('future');
      await c.query(`UPDATE alembic_version SET version_num = 'ffffffffffff'`);
      await c.end();
      const folder = tempWorkspace();
      writeRunLog(folder, 'ab'.repeat(16), [
        { type: 'run', ts: 1, run_id: 'ab'.repeat(16), experiment: 'e', name: 'n' },
      ]);
      const r = await cli(['sync', folder, '--tracking-uri', ro]);
      assert.strictEqual(r.code, 5);
      assert.match(
        r.err,
        /revision ffffffffffff is not one ML Sight has been tested with .*f5a4f2784254 \(MLflow 2\.17\).*read-only/,
      );
      const list = await cli(['runs', folder, '--tracking-uri', ro, '--format', 'json']);
      assert.strictEqual(list.code, 0, list.err);
      assert.strictEqual(JSON.parse(list.out).runs.length, 3);
    });
  });
});
