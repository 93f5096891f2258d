/**
 * Team runs and models in the run page, the comparison and the registry's gate (core/tracking/teamView.ts),
 * against a real private PostgreSQL cluster: runs synced from one workspace are compared from another, next to a
 * local run, with the values (latest metrics, params, every point of each curve, datasets) the local copy has.
 */
import * as assert from 'assert';
import { main } from '../../src/cli';
import { loadCompareData } from '../../src/core/compare/build';
import { ingestMlsightRuns } from '../../src/core/ingest/mlsightRunLog';
import { silentLogger } from '../../src/core/log';
import { WorkspaceStore } from '../../src/core/store/store';
import { openTrackingBackend } from '../../src/core/tracking/open';
import {
  isTeamRef,
  loadTeamCompareSource,
  loadTeamModelDetail,
  loadTeamRunPage,
  teamRunRef,
  teamRunUuid,
} from '../../src/core/tracking/teamView';
import { TrackingBackend } from '../../src/core/tracking/types';
import { commitPromotion, planPromotion, teamPromotionHistory } from '../../src/core/tracking/teamRegistry';
import { PgCluster, startCluster } from './helpers/pgCluster';
import { tempWorkspace, writeRunLog } from './helpers';

const quiet = () => undefined;
const A = '0123456789abcdef0123456789abcdef';
const L = 'aaaabbbbccccddddeeeeffff00001111';
const T0 = 1_796_000_000_000;

function writeA(folder: string): void {
  writeRunLog(folder, A, [
    { type: 'run', ts: T0, run_id: A, experiment: 'churn', name: 'xgb-a' },
    { type: 'param', key: 'lr', value: 0.1 },
    { type: 'git', commit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', branch: 'main', dirty: false },
    { type: 'dataset', name: 'test', role: 'test', digest: 'sha256:' + 'cd'.repeat(32), rows: 500 },
    ...Array.from({ length: 300 }, (_, i) => ({
      type: 'metric',
      key: 'loss',
      value: i === 7 ? 'NaN' : 1 / (i + 1),
      step: i,
      ts: T0 + i,
    })),
    { type: 'metric', key: 'val/auc', value: 0.81, step: 0, ts: T0 + 400 },
    { type: 'end', ts: T0 + 60_000, status: 'FINISHED' },
  ]);
}

describe('team mode: run page, comparison and gate on team runs (real PostgreSQL)', function () {
  this.timeout(120_000);
  let pg: PgCluster;
  let uri: string;
  let b: TrackingBackend;
  let shared: WorkspaceStore;
  let other: WorkspaceStore;
  before(async () => {
    pg = await startCluster();
    uri = await pg.createDatabase('views');
    assert.strictEqual(await main(['db', 'init', '--tracking-uri', uri], quiet, quiet), 0);
    const from = tempWorkspace();
    writeA(from);
    assert.strictEqual(await main(['sync', from, '--tracking-uri', uri], quiet, quiet), 0);
    shared = await WorkspaceStore.open({ folder: from });
    await ingestMlsightRuns(shared, silentLogger);
    // another workspace with a local run of its own
    const ws = tempWorkspace();
    writeRunLog(ws, L, [
      { type: 'run', ts: T0, run_id: L, experiment: 'churn', name: 'local-rf' },
      { type: 'param', key: 'lr', value: 0.3 },
      { type: 'metric', key: 'val/auc', value: 0.77, step: 0, ts: T0 },
      { type: 'metric', key: 'loss', value: 0.9, step: 0, ts: T0 },
      { type: 'metric', key: 'loss', value: 0.4, step: 1, ts: T0 + 1 },
      { type: 'end', ts: T0 + 1000, status: 'FINISHED' },
    ]);
    other = await WorkspaceStore.open({ folder: ws });
    await ingestMlsightRuns(other, silentLogger);
    b = openTrackingBackend(uri);
  });
  after(async () => {
    await b?.close();
    await shared?.close();
    await other?.close();
    pg?.stop();
  });

  it('team ids are validated: only team:<32 hex> names a team run', () => {
    assert.strictEqual(teamRunUuid(teamRunRef(A)), A);
    assert.strictEqual(teamRunUuid('team:../../etc'), undefined);
    assert.strictEqual(teamRunUuid(A), undefined);
    assert.ok(isTeamRef('team:x') && !isTeamRef(A));
  });

  it('compares a team run with a local run of another workspace; the team run equals its local original', async () => {
    const t = teamRunRef(A);
    const team = { source: await loadTeamCompareSource(b, [t]), owns: isTeamRef };
    const d = await loadCompareData(other, [t, L, teamRunRef('f'.repeat(32))], { maxPoints: 5000 }, team);
    assert.deepStrictEqual(
      d.runs.map(r => [r.id, r.name, r.experiment, r.status]),
      [
        [t, 'xgb-a', 'churn · team', 'FINISHED'],
        [L, 'local-rf', 'churn', 'FINISHED'],
      ],
    );
    assert.deepStrictEqual(d.missing, [teamRunRef('f'.repeat(32))]);
    // the original, compared in the workspace it was logged in
    const orig = await loadCompareData(shared, [A], { maxPoints: 5000 });
    const row = (data: typeof d, section: string, key: string) =>
      data.rows.find(r => r.section === section && r.key === key)?.values;
    assert.deepStrictEqual(row(d, 'param', 'lr'), ['0.1', '0.3']);
    assert.deepStrictEqual(row(d, 'metric', 'val/auc'), [0.81, 0.77]);
    assert.deepStrictEqual(row(d, 'metric', 'loss')![0], row(orig, 'metric', 'loss')![0]);
    assert.deepStrictEqual(row(d, 'info', 'git commit')![0], row(orig, 'info', 'git commit')![0]);
    assert.strictEqual(row(d, 'dataset', 'test (test)')![0], row(orig, 'dataset', 'test (test)')![0]);
    // every point of the curve, from the backend's metric history, as the local run log has it (NaN kept apart)
    const ts = d.series.find(s => s.runId === t && s.key === 'loss')!;
    const os = orig.series.find(s => s.runId === A && s.key === 'loss')!;
    assert.strictEqual(ts.complete, true);
    assert.strictEqual(ts.total, 300);
    assert.deepStrictEqual([ts.steps, ts.values, ts.nonFinite], [os.steps, os.values, os.nonFinite]);
    assert.deepStrictEqual(ts.nonFinite, [{ step: 7, value: 'nan' }]);
    const ls = d.series.find(s => s.runId === L && s.key === 'loss')!;
    assert.deepStrictEqual(ls.values, [0.9, 0.4]);
    // the reference's deltas work across sources
    const withRef = await loadCompareData(other, [t, L], { referenceRunId: L }, team);
    assert.strictEqual(withRef.referenceRunId, L);
    const auc = withRef.rows.find(r => r.section === 'metric' && r.key === 'val/auc')!;
    assert.ok(Math.abs((auc.deltas![0] as number) - 0.04) < 1e-12, JSON.stringify(auc.deltas));
  });

  it('a team run page shows the run as its local original does', async () => {
    const page = (await loadTeamRunPage(b, teamRunRef(A)))!;
    assert.ok(page);
    assert.strictEqual(page.experiment, 'churn · team');
    assert.strictEqual(page.run.name, 'xgb-a');
    assert.strictEqual(page.run.gitCommit, 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678');
    assert.strictEqual(page.run.gitDirty, false);
    assert.deepStrictEqual(page.run.params, { lr: '0.1' });
    assert.deepStrictEqual(page.run.latestMetrics['val/auc'], { step: 0, value: 0.81 });
    // MLflow's datasets.digest holds 36 characters: the sync kept the digest's first 36
    assert.deepStrictEqual(page.run.datasets, [
      { name: 'test', role: 'test', digest: ('sha256:' + 'cd'.repeat(32)).slice(0, 36), rows: 500 },
    ]);
    assert.strictEqual(page.sparklines.loss.total, 300);
    assert.ok(page.sparklines.loss.steps.length <= 80);
    assert.deepStrictEqual(
      page.repro.checks.map(c => [c.id, c.ok]),
      [
        ['seed', false],
        ['commit', true],
        ['clean-tree', true],
        ['datasets', true],
      ],
    );
    assert.strictEqual(await loadTeamRunPage(b, teamRunRef('f'.repeat(32))), undefined);
    assert.strictEqual(await loadTeamRunPage(b, 'team:not-a-run'), undefined);
  });

  it('a team model reads as the registry reads a model: versions, aliases, their runs and metrics', async () => {
    const c = await pg.client('views');
    try {
      await c.query(`INSERT INTO registered_models VALUES ('churn', 1, 1, NULL)`);
      await c.query(`INSERT INTO registered_model_tags VALUES ('mlsight.primary_metric', 'val/auc', 'churn')`);
      await c.query(
        `INSERT INTO model_versions (name, version, creation_time, last_updated_time, current_stage, source, run_id, status)
         VALUES ('churn', 1, 1, 1, 'None', $1, $2, 'READY')`,
        [`runs:/${A}/model`, A],
      );
      await c.query(`INSERT INTO registered_model_aliases VALUES ('champion', 1, 'churn')`);
    } finally {
      await c.end();
    }
    const m = (await loadTeamModelDetail(b, 'churn'))!;
    assert.strictEqual(m.backend, 'mlflow-team');
    assert.deepStrictEqual(m.aliases, { champion: 1 });
    assert.strictEqual(m.settings.primaryMetric, 'val/auc');
    const v = m.versions[0];
    assert.deepStrictEqual(
      [v.version, v.runId, v.runName, v.runStatus, v.metrics['val/auc'], v.aliases, v.metricsFrom],
      [1, A, 'xgb-a', 'FINISHED', 0.81, ['champion'], 'run'],
    );
    assert.strictEqual(await loadTeamModelDetail(b, 'nope'), undefined);
  });

  it('promoted from another workspace through the registry gate: the alias and evidence land in MLflow tables', async () => {
    const c = await pg.client('views');
    try {
      await c.query(
        `INSERT INTO model_versions (name, version, creation_time, last_updated_time, current_stage, source, run_id, status)
         VALUES ('churn', 2, 2, 2, 'None', $1, $2, 'READY')`,
        [`runs:/${A}/model2`, A],
      );
    } finally {
      await c.end();
    }
    // v2 has the same run (and so the same val/auc) as the champion v1: the gate says it does not beat it
    const plan = await planPromotion(b, 'churn', 2, 'champion');
    assert.strictEqual(plan.expectedVersion, 1);
    assert.strictEqual(plan.gate.pass, false);
    assert.deepStrictEqual(
      plan.gate.checks.filter(x => !x.ok).map(x => x.code),
      ['not-better'],
    );
    await assert.rejects(() => commitPromotion(b, plan, { reason: 'same' }), /gate did not pass/);
    const { result } = await commitPromotion(b, plan, { reason: 'rebuilt artifact', override: true, actor: 'ana' });
    assert.deepStrictEqual([result.from, result.to], [1, 2]);
    const c2 = await pg.client('views');
    try {
      const alias = await c2.query(
        `SELECT version FROM registered_model_aliases WHERE name = 'churn' AND alias = 'champion'`,
      );
      assert.deepStrictEqual(alias.rows, [{ version: 2 }]);
      const tags = await c2.query(`SELECT key, value FROM model_version_tags WHERE name = 'churn' AND version = 2`);
      const audit = JSON.parse(tags.rows.find((t: { key: string }) => t.key.startsWith('mlsight.audit.')).value);
      assert.deepStrictEqual([audit.actor, audit.override, audit.from, audit.to], ['ana', true, 1, 2]);
    } finally {
      await c2.end();
    }
    // what the review page lists as the model's history
    const m = (await loadTeamModelDetail(b, 'churn'))!;
    assert.deepStrictEqual(
      teamPromotionHistory(m).map(e => [e.actor, e.from, e.to, e.reason]),
      [['ana', 1, 2, 'rebuilt artifact']],
    );
  });
});
