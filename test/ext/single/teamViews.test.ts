import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MlSightApi } from '../../../src/extension';
import type { HostToWebview } from '../../../src/compare/contract';
import type { ModelPageData } from '../../../src/models/contract';
import { SqliteBackend } from '../../../src/core/tracking/sqlite';
import { TeamMetric } from '../../../src/core/tracking/types';
import { loadSqlJs } from '../../../src/core/store/sqljs';
import { waitFor } from '../util';

type RunsNode = {
  kind: string;
  run?: { id: string; name: string | null };
  team?: { t: string; text?: string; experiment?: { name: string }; run?: { runUuid: string; name: string | null } };
};
type ModelsNode = {
  kind: string;
  message?: string;
  model?: { name: string; aliases: Record<string, number> };
  version?: { version: number; aliases: string[]; runId: string | null; metrics: Record<string, number> };
};

const A = '0123456789abcdef0123456789abcdef';
const B = 'fedcba9876543210fedcba9876543210';
const T0 = 1_796_000_000_000;
const TEST_SET = {
  name: 'test',
  digest: 'cd'.repeat(16),
  sourceType: 'local',
  source: '{"uri": "data/test.csv"}',
  schema: null,
  profile: '{"num_rows": 500}',
  context: 'test',
};

function history(n: number, f: (i: number) => number): TeamMetric[] {
  return Array.from({ length: n }, (_, i) => ({ step: i, value: f(i), timestamp: T0 + i }));
}

// Team mode on an MLflow SQLite file made by the test (sqlite:////abs/path): its runs open in the run page and
// compare with the workspace's runs in the one Compare panel; the Models view lists its models under a Team root;
// Promote Model… on a team model runs the registry's gate and writes the MLflow alias into the file.
describe('Team runs and models in the run page, Compare and the Models view', function () {
  this.timeout(90_000);
  let api: MlSightApi;
  let file: string;
  const cfg = () => vscode.workspace.getConfiguration('mlsight.tracking');

  before(async () => {
    api = await vscode.extensions.getExtension<MlSightApi>('mlsight.ml-sight')!.activate();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-team-'));
    file = path.join(dir, 'mlflow.db');
    const b = new SqliteBackend(file, { baseDir: dir });
    await b.initSchema(path.join(dir, 'artifacts'));
    for (const [id, name, auc, status] of [
      [A, 'team-xgb', 0.81, 'FINISHED'],
      [B, 'team-rf', 0.86, 'FINISHED'],
    ] as const) {
      await b.syncRun({
        runUuid: id,
        experimentName: 'churn-team',
        name,
        status,
        startTime: T0,
        endTime: T0 + 60_000,
        userId: 'ana',
        params: [['max_depth', id === A ? '4' : '8']],
        tags: [['mlflow.source.git.commit', 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678']],
        metrics: new Map([
          ['val/auc', [{ step: 0, value: auc, timestamp: T0 }]],
          ['train/loss', history(400, i => (i === 5 ? NaN : 1 / (i + 1)))],
        ]),
        datasets: [TEST_SET],
      });
    }
    await b.close();
    // a registered model with two versions, @champion on v1, as MLflow's registry writes it
    const SQL = await loadSqlJs();
    const db = new SQL.Database(fs.readFileSync(file));
    db.exec(`INSERT INTO registered_models VALUES ('churn', 1, 1, NULL);
      INSERT INTO registered_model_tags VALUES ('mlsight.primary_metric', 'val/auc', 'churn');
      INSERT INTO model_versions (name, version, creation_time, last_updated_time, current_stage, source, run_id, status)
        VALUES ('churn', 1, 1, 1, 'None', 'runs:/${A}/model', '${A}', 'READY'),
               ('churn', 2, 2, 2, 'None', 'runs:/${B}/model', '${B}', 'READY');
      INSERT INTO registered_model_aliases VALUES ('champion', 1, 'churn');`);
    fs.writeFileSync(file, db.export());
    db.close();
    await cfg().update('uri', `sqlite:///${file}`, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await cfg().update('uri', undefined, vscode.ConfigurationTarget.Global);
  });

  async function teamRuns(): Promise<RunsNode[]> {
    const root = await waitFor('the Team root', async () =>
      ((await api.runsTree.getChildren()) as RunsNode[]).find(n => n.kind === 'team'),
    );
    const exps = (await api.runsTree.getChildren(root as never)) as RunsNode[];
    const exp = exps.find(e => e.team?.experiment?.name === 'churn-team');
    assert.ok(exp, JSON.stringify(exps.map(e => e.team)));
    return await api.runsTree.getChildren(exp as never);
  }

  it('a team run opens in the run page with its params, metrics, datasets and sparklines', async () => {
    const runs = await teamRuns();
    const node = runs.find(r => r.team?.run?.name === 'team-xgb')!;
    api.runPages.recorded = [];
    await vscode.commands.executeCommand('mlsight.openTeamRun', node);
    const msg = await waitFor('the team run page data', () =>
      api.runPages.recorded!.find(m => m.type === 'data' && m.data.run.id === `team:${A}`),
    );
    assert.ok(msg.type === 'data');
    const d = msg.data;
    assert.strictEqual(d.run.name, 'team-xgb');
    assert.strictEqual(d.experiment, 'churn-team · team');
    assert.deepStrictEqual(d.run.params, { max_depth: '4' });
    assert.deepStrictEqual(d.run.latestMetrics['val/auc'], { step: 0, value: 0.81 });
    assert.deepStrictEqual(
      d.run.datasets.map(x => [x.name, x.role, x.rows]),
      [['test', 'test', 500]],
    );
    assert.strictEqual(d.sparklines['train/loss'].total, 400);
    assert.deepStrictEqual([d.artifacts, d.gitActions], [[], false]);
  });

  it('Compare shows team runs next to a local run, with full curves from the backend', async () => {
    const runs = await teamRuns();
    const exps = (await api.runsTree.getChildren()) as RunsNode[];
    const local: RunsNode[] = [];
    for (const e of exps.filter(x => x.kind !== 'team')) {
      local.push(...((await api.runsTree.getChildren(e as never)) as RunsNode[]).filter(n => n.kind === 'run'));
    }
    const l = local.find(n => n.run?.name === 'baseline')!;
    assert.ok(l, 'the workspace has its baseline run');
    const t = runs.find(r => r.team?.run?.name === 'team-rf')!;
    api.compare.recorded = [];
    const ids = await vscode.commands.executeCommand<string[]>('mlsight.compareRuns', t, [t, l]);
    assert.deepStrictEqual(ids, ['run-baseline', `team:${B}`]);
    const msg = await waitFor(
      'compare data',
      () => api.compare.recorded!.find((m): m is Extract<HostToWebview, { type: 'data' }> => m.type === 'data'),
      45_000,
    );
    const d = msg.data;
    assert.deepStrictEqual(
      d.runs.map(r => [r.name, r.experiment]),
      [
        ['baseline', d.runs[0].experiment],
        ['team-rf', 'churn-team · team'],
      ],
    );
    assert.deepStrictEqual(d.missing, []);
    const loss = d.series.find(s => s.runId === `team:${B}` && s.key === 'train/loss')!;
    assert.strictEqual(loss.total, 400);
    assert.strictEqual(loss.complete, true);
    assert.deepStrictEqual(loss.nonFinite, [{ step: 5, value: 'nan' }]);
    const depth = d.rows.find(r => r.section === 'param' && r.key === 'max_depth')!;
    assert.deepStrictEqual(depth.values, [null, '8']);
    assert.ok(d.rows.some(r => r.section === 'dataset' && r.key === 'test (test)'));
  });

  it('the Models view lists the team models, versions and aliases under a Team root', async () => {
    const root = await waitFor('the Team root of the Models view', async () =>
      ((await api.registry.tree.getChildren()) as ModelsNode[]).find(n => n.kind === 'teamRoot'),
    );
    assert.strictEqual(api.registry.tree.getTreeItem(root as never).label, 'Team');
    const models = (await api.registry.tree.getChildren(root as never)) as ModelsNode[];
    assert.deepStrictEqual(
      models.map(m => [m.kind, m.model?.name, m.model?.aliases]),
      [['teamModel', 'churn', { champion: 1 }]],
    );
    assert.strictEqual(api.registry.tree.getTreeItem(models[0] as never).contextValue, 'mlsight.teamModel');
    const versions = (await api.registry.tree.getChildren(models[0] as never)) as ModelsNode[];
    assert.deepStrictEqual(
      versions.map(v => [v.version?.version, v.version?.aliases, v.version?.metrics['val/auc']]),
      [
        [2, [], 0.86],
        [1, ['champion'], 0.81],
      ],
    );
    const item = api.registry.tree.getTreeItem(versions[0] as never);
    assert.deepStrictEqual(item.command?.arguments, ['', `team:${B}`]);
  });

  it('Promote Model… on a team model: the gate, then the MLflow alias in the file', async () => {
    const out = await vscode.commands.executeCommand<{ promoted: boolean; from?: number | null; to?: number }>(
      'mlsight.promoteModel',
      undefined,
      { team: { model: 'churn', version: 2, reason: 'better auc on the test set', review: false, confirm: false } },
    );
    assert.deepStrictEqual([out.promoted, out.from, out.to], [true, 1, 2]);
    const SQL = await loadSqlJs();
    const db = new SQL.Database(fs.readFileSync(file));
    try {
      assert.deepStrictEqual(
        db.exec(`SELECT version FROM registered_model_aliases WHERE alias = 'champion'`)[0].values,
        [[2]],
      );
      const gate = db.exec(`SELECT value FROM model_version_tags WHERE version = 2 AND key = 'mlsight.gate.champion'`);
      const ev = JSON.parse(String(gate[0].values[0][0]));
      assert.deepStrictEqual([ev.passes, ev.champion.value, ev.challenger.value], [true, 0.81, 0.86]);
    } finally {
      db.close();
    }
    // the gate refuses moving it back to the worse version without an override (the command reports the error)
    const back = await vscode.commands.executeCommand('mlsight.promoteModel', undefined, {
      team: { model: 'churn', version: 1, reason: 'rollback', review: false, confirm: false },
    });
    assert.strictEqual(back, undefined);
    const again = new SQL.Database(fs.readFileSync(file));
    try {
      assert.deepStrictEqual(
        again.exec(`SELECT version FROM registered_model_aliases WHERE alias = 'champion'`)[0].values,
        [[2]],
      );
    } finally {
      again.close();
    }
  });

  async function teamModelNodes(): Promise<{ model: ModelsNode; versions: ModelsNode[] }> {
    const root = ((await api.registry.tree.getChildren()) as ModelsNode[]).find(n => n.kind === 'teamRoot')!;
    const model = ((await api.registry.tree.getChildren(root as never)) as ModelsNode[])[0];
    return { model, versions: await api.registry.tree.getChildren(model as never) };
  }

  function sqlRows(query: string): Promise<unknown[][]> {
    return loadSqlJs().then(SQL => {
      const db = new SQL.Database(fs.readFileSync(file));
      try {
        return db.exec(query)[0]?.values ?? [];
      } finally {
        db.close();
      }
    });
  }

  const pageData = (pred: (d: ModelPageData) => boolean) =>
    waitFor('team model page data', () =>
      api.registry.pages.recorded!.flatMap(m => (m.type === 'data' && pred(m.data) ? [m.data] : [])).pop(),
    );

  it('a team model opens in the model page: versions, aliases, runs and the audit history from its tags', async () => {
    const { model } = await teamModelNodes();
    // a click on the team model opens the page
    const click = api.registry.tree.getTreeItem(model as never).command!;
    assert.strictEqual(click.command, 'mlsight.openModelPage');
    api.registry.pages.recorded = [];
    await vscode.commands.executeCommand(click.command, ...(click.arguments ?? []));
    const d = await pageData(x => x.model === 'churn');
    assert.ok(d.team, 'marked as a team model');
    assert.match(d.team.uri, /mlflow\.db/);
    assert.strictEqual(d.team.raceFree, true);
    assert.deepStrictEqual(d.aliases, { champion: 2 });
    assert.deepStrictEqual(
      d.versions.map(v => [v.version, v.aliases, v.runId, v.runName, v.metrics['val/auc']]),
      [
        [2, ['champion'], B, 'team-rf', 0.86],
        [1, [], A, 'team-xgb', 0.81],
      ],
    );
    assert.strictEqual(d.primaryMetric, 'val/auc');
    // the promotion of the test before, read back from the mlsight.audit.* tag of v2
    assert.deepStrictEqual(
      d.history.map(h => [h.action, h.version, h.alias, h.from, h.to, h.reason]),
      [['promote', 2, 'champion', '1', '2', 'better auc on the test set']],
    );
    // no canary or A/B for a team model: the page says why
    assert.strictEqual(d.ab.analysis, null);
    assert.match(d.team.unsupported, /outcome logs/);
    // its run links open team runs
    const page = [...api.registry.pages.panels.entries()].find(([k]) => k === 'team#churn')?.[1];
    assert.ok(page, 'the page is keyed as a team model');
    api.runPages.recorded = [];
    await page.onMessage({ type: 'openRun', runId: B });
    await waitFor('the team run page', () =>
      api.runPages.recorded!.find(m => m.type === 'data' && m.data.run.id === `team:${B}`),
    );
  });

  it('Set Alias… and Undo Last Promotion on a team model write MLflow aliases into the file', async () => {
    const { versions } = await teamModelNodes();
    const v1 = versions.find(v => v.version?.version === 1)!;
    api.registry.pages.recorded = [];
    const set = await vscode.commands.executeCommand<{ changed: boolean }>('mlsight.setModelAlias', v1, {
      alias: 'staging',
      reason: 'for the load test',
    });
    assert.strictEqual(set?.changed, true);
    assert.deepStrictEqual(await sqlRows(`SELECT alias, version FROM registered_model_aliases ORDER BY alias`), [
      ['champion', 2],
      ['staging', 1],
    ]);
    const tag = await sqlRows(`SELECT value FROM model_version_tags WHERE version = 1 AND key LIKE 'mlsight.audit.%'`);
    assert.deepStrictEqual(
      tag.map(r => JSON.parse(String(r[0]))).map(e => [e.action, e.alias, e.from, e.to, e.reason]),
      [['alias.set', 'staging', null, 1, 'for the load test']],
    );
    // the open model page follows
    await pageData(x => x.aliases.staging === 1);
    // moved to v2 from the palette's answers, then removed there
    const moved = await vscode.commands.executeCommand<{ changed: boolean }>('mlsight.setModelAlias', undefined, {
      team: true,
      model: 'churn',
      version: 2,
      alias: 'staging',
    });
    assert.strictEqual(moved?.changed, true);
    assert.deepStrictEqual(await sqlRows(`SELECT version FROM registered_model_aliases WHERE alias = 'staging'`), [
      [2],
    ]);
    const removed = await vscode.commands.executeCommand<{ changed: boolean }>('mlsight.setModelAlias', undefined, {
      team: true,
      model: 'churn',
      version: 2,
      alias: 'staging',
      remove: true,
    });
    assert.strictEqual(removed?.changed, true);
    assert.deepStrictEqual(await sqlRows(`SELECT alias, version FROM registered_model_aliases ORDER BY alias`), [
      ['champion', 2],
    ]);
    // Undo Last Promotion: @champion back to v1, where the promotion found it
    const undo = await vscode.commands.executeCommand<{ changed: boolean }>('mlsight.undoPromotion', undefined, {
      team: true,
      model: 'churn',
      reason: 'v2 regressed in production',
    });
    assert.strictEqual(undo?.changed, true);
    assert.deepStrictEqual(await sqlRows(`SELECT alias, version FROM registered_model_aliases ORDER BY alias`), [
      ['champion', 1],
    ]);
    const d = await pageData(x => x.aliases.champion === 1);
    assert.deepStrictEqual(
      d.history.map(h => h.action),
      ['promote', 'alias.set', 'alias.set', 'alias.delete', 'promotion.undo'],
    );
  });
});
