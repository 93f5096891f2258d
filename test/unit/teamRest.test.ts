/**
 * The REST backend against a local server replaying what MLflow 2.17's tracking server answered
 * (test/fixtures/mlflow-2.17/rest/), plus variations: pagination, MLflow error codes, 429 and 5xx with retries,
 * bearer-token auth, and a sync that writes through runs/create, log-batch, log-inputs and runs/update.
 */
import * as assert from 'assert';
import { RestBackend } from '../../src/core/tracking/rest';
import { SyncRun, TrackingError } from '../../src/core/tracking/types';
import { Replay, recorded, startReplay } from './helpers/restReplay';
import { cli, tempWorkspace } from './helpers';

describe('team mode: MLflow tracking server (REST, replayed recordings)', function () {
  this.timeout(30_000);
  let srv: Replay;
  let b: RestBackend;
  beforeEach(async () => {
    srv = await startReplay();
    b = new RestBackend(srv.url, { backoffMs: 5 });
  });
  afterEach(async () => {
    await b.close();
    await srv.close();
  });

  it('lists experiments and pages runs with page_token, as the server recorded them', async () => {
    assert.deepStrictEqual(
      (await b.listExperiments()).map(e => [e.id, e.name, e.tags]),
      [
        ['0', 'Default', {}],
        ['1', 'churn-xgb', { team: 'growth' }],
        ['2', 'iris', {}],
      ],
    );
    const p1 = await b.searchRuns({ experimentIds: ['1', '2'], pageSize: 2 });
    assert.deepStrictEqual(
      p1.runs.map(r => r.name),
      ['logreg', 'xgb-depth8'],
    );
    assert.strictEqual(p1.nextPageToken, 'eyJvZmZzZXQiOiAyfQ==');
    assert.ok(Number.isNaN(p1.runs[1].metrics['train/loss'].value));
    const p2 = await b.searchRuns({ experimentIds: ['1', '2'], pageSize: 2, pageToken: p1.nextPageToken });
    assert.deepStrictEqual(
      p2.runs.map(r => r.name),
      ['xgb-depth4'],
    );
    assert.strictEqual(p2.nextPageToken, null);
    assert.deepStrictEqual(
      p2.runs[0].datasets.map(d => [d.name, d.digest, d.context]),
      [['train', '4fb5574f', 'training']],
    );
    assert.deepStrictEqual(p2.runs[0].params, { lr: '0.1', max_depth: '4' });
    const sent = srv.seen.filter(s => s.endpoint.endsWith('/runs/search'));
    assert.deepStrictEqual(
      sent.map(s => s.body.order_by),
      [['attributes.start_time DESC'], ['attributes.start_time DESC']],
    );
  });

  it('reads a metric history (with the older duplicate of step 3), a run, and a missing run as undefined', async () => {
    const h = await b.metricHistory('cc3e50f7235f4d1ab226db9cea5c1d8d', 'val/auc');
    assert.strictEqual(h.length, 21);
    assert.deepStrictEqual(
      h.filter(p => p.step === 3).map(p => p.value),
      [0.5, 0.75],
    );
    const r = (await b.getRun('cc3e50f7235f4d1ab226db9cea5c1d8d'))!;
    assert.deepStrictEqual([r.name, r.status, r.tags.owner], ['xgb-depth8', 'FAILED', 'ana']);
    assert.strictEqual(await b.getRun('00000000000000000000000000000000'), undefined);
  });

  it('reads the registered model (versions, aliases, version tags) and promotes with an alias check', async () => {
    const m = (await b.getModel('churn-classifier'))!;
    assert.deepStrictEqual(m.aliases, { challenger: 2, champion: 1 });
    assert.deepStrictEqual(
      m.versions.map(v => [v.version, v.aliases, v.tags]),
      [
        [1, ['champion'], { validation: 'passed' }],
        [2, ['challenger'], {}],
      ],
    );
    srv.routes.push({ method: 'POST', endpoint: '/api/2.0/mlflow/model-versions/set-tag', response: {} });
    const res = await b.promote({
      model: 'churn-classifier',
      version: 2,
      alias: 'champion',
      expectedVersion: 1,
      versionTags: [['mlsight.gate.champion', '{}']],
    });
    assert.deepStrictEqual(res, { model: 'churn-classifier', alias: 'champion', from: 1, to: 2 });
    const set = srv.seen.find(s => s.endpoint.endsWith('/registered-models/alias') && s.method === 'POST')!;
    assert.deepStrictEqual(set.body, recorded().get('registered-models-alias-set')!.request);
    // the alias has moved (the recorded "after" answer): a promotion decided against version 1 is a conflict
    const after = recorded().get('registered-models-alias-after')!;
    srv.routes.unshift({
      method: 'GET',
      endpoint: '/api/2.0/mlflow/registered-models/alias',
      response: after.response,
    });
    await assert.rejects(
      b.promote({ model: 'churn-classifier', version: 2, alias: 'champion', expectedVersion: 1, versionTags: [] }),
      (e: TrackingError) => e.code === 'CONFLICT' && /now points to version 2/.test(e.message),
    );
    // removing it (where it points now): the audit tag on that version, then DELETE registered-models/alias
    for (const endpoint of ['model-versions/set-tag', 'registered-models/alias']) {
      srv.routes.unshift({
        method: endpoint.endsWith('alias') ? 'DELETE' : 'POST',
        endpoint: `/api/2.0/mlflow/${endpoint}`,
        response: {},
      });
    }
    const removed = await b.moveAlias({
      model: 'churn-classifier',
      alias: 'champion',
      version: null,
      expectedVersion: 2,
      versionTags: [['mlsight.audit.1-x', '{}']],
    });
    assert.deepStrictEqual(removed, { model: 'churn-classifier', alias: 'champion', from: 2, to: null });
    const writes = srv.seen.slice(-2).map(s => [s.method, s.endpoint.replace('/api/2.0/mlflow/', ''), s.body]);
    assert.deepStrictEqual(writes, [
      [
        'POST',
        'model-versions/set-tag',
        { name: 'churn-classifier', version: '2', key: 'mlsight.audit.1-x', value: '{}' },
      ],
      ['DELETE', 'registered-models/alias', { name: 'churn-classifier', alias: 'champion' }],
    ]);
  });

  it('retries 429 (Retry-After) and 5xx with backoff; MLflow error codes become clear errors without retries', async () => {
    srv.failures.push({
      endpoint: '/api/2.0/mlflow/experiments/search',
      status: 429,
      headers: { 'retry-after': '0' },
      body: { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' },
    });
    srv.failures.push({ endpoint: '/api/2.0/mlflow/experiments/search', status: 503 });
    srv.failures.push({ endpoint: '/api/2.0/mlflow/experiments/search', status: 502, body: 'bad gateway' });
    assert.strictEqual((await b.listExperiments()).length, 3);
    assert.strictEqual(srv.seen.filter(s => s.endpoint.endsWith('/experiments/search')).length, 4);
    const few = new RestBackend(srv.url, { backoffMs: 1, attempts: 2 });
    srv.failures.push(
      ...[1, 2].map(() => ({
        endpoint: '/api/2.0/mlflow/runs/get',
        status: 500,
        body: { error_code: 'INTERNAL_ERROR', message: 'boom' },
      })),
    );
    await assert.rejects(few.getRun('cc3e50f7235f4d1ab226db9cea5c1d8d'), /INTERNAL_ERROR: boom/);
    const n = srv.seen.length;
    srv.failures.push({
      endpoint: '/api/2.0/mlflow/runs/search',
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'max_results too big' },
    });
    await assert.rejects(
      b.searchRuns({ experimentIds: ['1'] }),
      (e: TrackingError) => e.code === 'INVALID' && /INVALID_PARAMETER_VALUE: max_results too big/.test(e.message),
    );
    assert.strictEqual(srv.seen.length, n + 1, 'a 400 is not retried');
  });

  it('sends MLFLOW_TRACKING_TOKEN as a bearer token; without it the 401 says what to set', async () => {
    srv.token = 's3cret';
    await assert.rejects(
      b.listExperiments(),
      (e: TrackingError) => e.code === 'UNAUTHORIZED' && /MLFLOW_TRACKING_TOKEN/.test(e.message),
    );
    const authed = new RestBackend(srv.url, { auth: { token: 's3cret' } });
    assert.strictEqual((await authed.listExperiments()).length, 3);
    const basic = new RestBackend(srv.url, { auth: { username: 'ana', password: 'pw' }, attempts: 1 });
    await assert.rejects(basic.listExperiments(), /UNAUTHENTICATED/);
    assert.strictEqual(
      srv.seen[srv.seen.length - 1].headers.authorization,
      `Basic ${Buffer.from('ana:pw').toString('base64')}`,
    );
  });

  it('syncs a run through runs/create, log-batch (NaN as "NaN", ≤ 1000 entities a batch), log-inputs and runs/update', async () => {
    srv.routes.push(
      {
        method: 'GET',
        endpoint: '/api/2.0/mlflow/experiments/get-by-name',
        response: { experiment: { experiment_id: '2', name: 'iris', lifecycle_stage: 'active' } },
      },
      {
        method: 'POST',
        endpoint: '/api/2.0/mlflow/runs/search',
        match: b => typeof b.filter === 'string',
        response: {},
      },
      { method: 'POST', endpoint: '/api/2.0/mlflow/runs/create', response: recorded().get('runs-create')!.response },
      { method: 'POST', endpoint: '/api/2.0/mlflow/runs/log-batch', response: {} },
      { method: 'POST', endpoint: '/api/2.0/mlflow/runs/log-inputs', response: {} },
    );
    const run: SyncRun = {
      runUuid: 'ab'.repeat(16),
      experimentName: 'iris',
      name: 'from-rest',
      status: 'FINISHED',
      startTime: 1796000100000,
      endTime: 1796000200000,
      userId: 'ana',
      params: [['lr', '0.1']],
      tags: [['stage', 'dev']],
      metrics: new Map([
        [
          'acc',
          [
            { value: 0.5, step: 0, timestamp: 1796000100001 },
            { value: NaN, step: 1, timestamp: 1796000100002 },
            ...Array.from({ length: 1500 }, (_, i) => ({ value: i, step: i + 2, timestamp: 1796000100003 + i })),
          ],
        ],
      ]),
      datasets: [
        {
          name: 'train',
          digest: 'd1',
          sourceType: 'local',
          source: '{"uri":"t.csv"}',
          schema: null,
          profile: null,
          context: 'training',
        },
      ],
    };
    const r = await b.syncRun(run);
    assert.deepStrictEqual([r.runUuid, r.created, r.experimentId], ['0028b8c51b5e45f6aebfdddf8b7be9c2', true, '2']);
    const create = srv.seen.find(s => s.endpoint.endsWith('/runs/create'))!;
    assert.deepStrictEqual(create.body.tags, [{ key: 'mlsight.run_id', value: 'ab'.repeat(16) }]);
    const batches = srv.seen.filter(s => s.endpoint.endsWith('/runs/log-batch'));
    assert.strictEqual(batches.length, 2);
    for (const x of batches) {
      const total =
        (x.body.metrics as unknown[]).length + (x.body.params as unknown[]).length + (x.body.tags as unknown[]).length;
      assert.ok(total <= 1000);
    }
    assert.deepStrictEqual(
      (batches[0].body.metrics as unknown[]).slice(0, 2),
      recorded().get('runs-log-batch')!.request!.metrics,
    );
    const update = srv.seen.find(s => s.endpoint.endsWith('/runs/update'))!;
    assert.deepStrictEqual([update.body.status, update.body.end_time], ['FINISHED', 1796000200000]);
    const inputs = srv.seen.find(s => s.endpoint.endsWith('/runs/log-inputs'))!;
    assert.deepStrictEqual((inputs.body.datasets as { tags: unknown }[])[0].tags, [
      { key: 'mlflow.data.context', value: 'training' },
    ]);
  });

  it('mlsight runs --tracking-uri http://… prints the folder JSON shape', async () => {
    const r = await cli([
      'runs',
      tempWorkspace(),
      '--tracking-uri',
      srv.url,
      '--format',
      'json',
      '--experiment',
      'churn-xgb',
      '--experiment',
      'iris',
      '--max-results',
      '2',
    ]);
    assert.strictEqual(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepStrictEqual(
      j.runs.map((x: { name: string; experiment: string }) => [x.name, x.experiment]),
      [
        ['logreg', 'iris'],
        ['xgb-depth8', 'churn-xgb'],
      ],
    );
    assert.strictEqual(j.nextPageToken, 'eyJvZmZzZXQiOiAyfQ==');
    assert.strictEqual(j.runs[1].metrics['train/loss'], 'nan');
  });
});
