import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MlSightApi } from '../../../src/extension';
import type { HostToPromote, PromoteReview } from '../../../src/models/contract';
import type { PromoteOutcome } from '../../../src/models/promoteCommand';
import { waitFor } from '../util';

const HOSTILE = '<img src=x onerror=alert(1)>';
type TreeNode = {
  kind: string;
  model?: { name: string; aliases: Record<string, number> };
  version?: { version: number; aliases: string[]; stage: string };
  label?: string;
};

// The registry fixtures (test/fixtures/registry, made by make-workspace.mjs --registry) are copied into this run's
// workspace and removed again at the end, so the suites that count the fixture workspace's runs are not affected.
describe('Model registry in the extension host', function () {
  this.timeout(90_000);
  let api: MlSightApi;
  const folder = () => vscode.workspace.workspaceFolders![0];
  const ws = () => folder().uri.fsPath;
  const copied: string[] = [];

  before(async function () {
    api = await vscode.extensions.getExtension<MlSightApi>('mlsight.ml-sight')!.activate();
    const src = path.join(process.env.MLSIGHT_REPO_ROOT!, 'test', 'fixtures', 'registry');
    for (const rel of [
      '.mlsight/runs/reg-lr',
      '.mlsight/runs/reg-gbm',
      '.mlsight/runs/reg-gbm-small',
      '.mlsight/ab',
      'mlruns',
    ]) {
      fs.cpSync(path.join(src, rel), path.join(ws(), rel), { recursive: true });
      copied.push(path.join(ws(), rel));
    }
    await vscode.commands.executeCommand('mlsight.refreshRuns');
    const store = await api.stores.get(folder());
    await waitFor('the fixture runs and the MLflow model in the store', () =>
      store.read(
        db =>
          Number(db.scalar(`SELECT count(*) FROM runs WHERE id IN ('reg-lr', 'reg-gbm', 'reg-gbm-small')`)) === 3 &&
          !!db.scalar(`SELECT 1 FROM models WHERE name = 'fraud-mlflow'`),
      ),
    );
  });

  after(async () => {
    api?.registry.panel.close();
    for (const p of copied) {
      fs.rmSync(p, { recursive: true, force: true });
    }
    if (api) {
      await vscode.commands.executeCommand('mlsight.rebuildStore');
    }
  });

  async function models(): Promise<TreeNode[]> {
    return await api.registry.tree.getChildren();
  }
  async function model(name: string): Promise<TreeNode> {
    return waitFor(`model ${name} in the Models view`, async () => (await models()).find(m => m.model?.name === name));
  }
  const runNode = (id: string) => ({ kind: 'run', folder: folder(), run: { id, name: id } });
  const auditEvents = () =>
    fs
      .readFileSync(path.join(ws(), '.mlsight', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(l => JSON.parse(l));

  /** Starts Promote Model, waits for the review page's data, and returns it with the pending command. */
  async function openReview(
    options: Record<string, unknown>,
  ): Promise<{ review: PromoteReview; result: Thenable<PromoteOutcome> }> {
    api.registry.panel.recorded = [];
    const result = vscode.commands.executeCommand<PromoteOutcome>('mlsight.promoteModel', undefined, {
      folder: folder().uri.toString(),
      confirm: false,
      ...options,
    });
    const msg = await waitFor('the review on the promotion page (after its ready handshake)', () =>
      api.registry.panel.recorded!.find((m): m is Extract<HostToPromote, { type: 'review' }> => m.type === 'review'),
    );
    return { review: msg.review, result };
  }

  it('the run page of an MLflow FileStore run draws its sparklines from the metric files (the store keeps latest values only)', async () => {
    const runId = 'mlflow:0123456789abcdef0123456789abcdef';
    const store = await api.stores.get(folder());
    assert.strictEqual(
      store.read(db => Number(db.scalar('SELECT count(*) FROM metric_series WHERE run_id = ?', [runId]))),
      0,
    );
    api.runPages.recorded = [];
    assert.strictEqual(
      await vscode.commands.executeCommand<string>('mlsight.openRunById', folder().uri.toString(), runId),
      runId,
    );
    const msg = await waitFor('run page data', () => api.runPages.recorded!.find(m => m.type === 'data'), 20_000);
    assert.ok(msg.type === 'data');
    assert.deepStrictEqual(msg.data.sparklines.val_auc, { steps: [0], values: [0.81], total: 1 });
  });

  it('"Register Model…" on a run registers versions with lineage, shown in the Models view', async () => {
    const r1 = await vscode.commands.executeCommand<{ model: string; version: number }>(
      'mlsight.registerModel',
      runNode('reg-lr'),
      { model: 'churn', description: 'logistic regression' },
    );
    assert.deepStrictEqual(r1, { model: 'churn', version: 1 });
    const r2 = await vscode.commands.executeCommand<{ version: number }>('mlsight.registerModel', runNode('reg-gbm'), {
      model: 'churn',
      description: 'gradient boosting',
      aliases: ['challenger'],
    });
    assert.strictEqual(r2.version, 2);
    const m = await model('churn');
    const versions = (await api.registry.tree.getChildren(m as never)) as TreeNode[];
    assert.deepStrictEqual(
      versions.map(v => [v.version!.version, v.version!.aliases]),
      [
        [2, ['challenger']],
        [1, []],
      ],
    );
    const item = api.registry.tree.getTreeItem(versions[0] as never);
    assert.strictEqual(item.label, 'v2');
    assert.match(String(item.description), /@challenger/);
    assert.match(String(item.tooltip), /Run: churn-gbm \(churn\)/);
    assert.match(String(item.tooltip), /Commit: b7e3c1d2a4f5/);
    assert.deepStrictEqual(
      item.command?.arguments,
      [folder().uri.toString(), 'reg-gbm'],
      'clicking a version opens its run',
    );
    const lineage = ((await api.registry.tree.getChildren(versions[0] as never)) as TreeNode[]).map(n =>
      String(api.registry.tree.getTreeItem(n as never).label),
    );
    assert.deepStrictEqual(lineage.slice(0, 4), [
      'Run churn-gbm',
      'Commit b7e3c1d2a4',
      'Data churn-test.csv',
      'Data churn-train.csv',
    ]);
    const ev = auditEvents().find(e => e.action === 'version.create' && e.version === 2);
    assert.strictEqual(ev.evidence.metrics['val/accuracy'], 0.912);
    assert.match(ev.evidence.datasets[1].digest, /^sha256:4f1c9a0d/);
    assert.ok(ev.actor.length > 0);
  });

  it('"Promote Model…" shows champion and challenger, the gate and the A/B statistics, and promotes on the page\'s decision', async () => {
    // the first champion (no champion yet: the gate compares with nothing)
    const first = await vscode.commands.executeCommand<PromoteOutcome>('mlsight.promoteModel', undefined, {
      folder: folder().uri.toString(),
      model: 'churn',
      version: 1,
      settings: { primaryMetric: 'val/accuracy', direction: 'maximize', minImprovement: 0.01 },
      ab: null,
      review: false,
      reason: 'first champion',
      confirm: false,
    });
    assert.strictEqual(first.promoted, true);
    const { review, result } = await openReview({
      model: 'churn',
      version: 2,
      ab: { file: '.mlsight/ab/churn.jsonl', metric: 'converted', guardrails: ['latency_ms'] },
    });
    assert.strictEqual(review.champion?.version, 1);
    assert.strictEqual(review.challenger.version, 2);
    assert.strictEqual(review.comparison.metric, 'val/accuracy');
    assert.strictEqual(review.gate.pass, true, review.gate.failures.join(' '));
    assert.strictEqual(review.ab?.verdict, 'promote');
    assert.deepStrictEqual(
      review.ab?.metrics.map(m => [m.name, m.test]),
      [
        ['converted', 'two-proportion z-test'],
        ['latency_ms', "Welch's t-test"],
      ],
    );
    assert.deepStrictEqual(review.ab?.srm.counts, [1500, 1500]);
    api.registry.panel.receive({ type: 'promote', reason: 'wins offline and in the A/B test', override: false });
    const out = await result;
    assert.strictEqual(out.promoted, true);
    assert.ok(api.registry.panel.recorded!.some(m => m.type === 'done' && /churn v2 is now @champion/.test(m.message)));
    const m = await waitFor('@champion on v2', async () => {
      const x = await model('churn');
      return x.model!.aliases.champion === 2 ? x : undefined;
    });
    assert.deepStrictEqual(m.model!.aliases, { champion: 2 }, '@challenger is cleared from the promoted version');
    const p = auditEvents()
      .filter(e => e.action === 'promote')
      .at(-1);
    assert.deepStrictEqual([p.from, p.to, p.reason], ['1', '2', 'wins offline and in the A/B test']);
    assert.strictEqual(p.evidence.ab.verdict, 'promote');
    assert.strictEqual(p.evidence.gate.pass, true);
  });

  it('a failed gate blocks the promotion until "Promote Anyway" with a reason, recorded as an override; Undo reverts it', async () => {
    await vscode.commands.executeCommand('mlsight.registerModel', runNode('reg-gbm-small'), {
      model: 'churn',
      description: 'smaller',
    });
    const { review, result } = await openReview({
      model: 'churn',
      version: 3,
      ab: { champion: '150/1000', challenger: '100/1000' },
    });
    assert.strictEqual(review.gate.pass, false);
    assert.deepStrictEqual(
      review.gate.checks.filter(c => !c.ok).map(c => c.id),
      ['offline', 'ab'],
    );
    assert.strictEqual(review.ab?.verdict, 'keep-champion');
    api.registry.panel.receive({ type: 'promote', reason: 'try', override: false });
    assert.ok(
      api.registry.panel.recorded!.some(m => m.type === 'error' && /gate failed/.test(m.message)),
      'a plain promote is refused',
    );
    api.registry.panel.receive({ type: 'promote', reason: '   ', override: true });
    assert.ok(
      api.registry.panel.recorded!.some(m => m.type === 'error' && /Give a reason/.test(m.message)),
      'an override needs a reason',
    );
    api.registry.panel.receive({ type: 'promote', reason: 'cheaper to serve, accepted by the team', override: true });
    const out = await result;
    assert.strictEqual(out.promoted, true);
    const p = auditEvents()
      .filter(e => e.action === 'promote')
      .at(-1);
    assert.strictEqual(p.evidence.override.reason, 'cheaper to serve, accepted by the team');
    assert.strictEqual(p.evidence.override.failedChecks.length, 2);
    const undo = await vscode.commands.executeCommand<{ from: string; to: string }>(
      'mlsight.undoPromotion',
      undefined,
      { folder: folder().uri.toString(), model: 'churn', reason: 'conversion dropped' },
    );
    assert.deepStrictEqual([undo.from, undo.to], ['3', '2']);
    await waitFor(
      '@champion back on v2',
      async () => (await model('churn')).model!.aliases.champion === 2 || undefined,
    );
  });

  it('closing the page cancels the promotion', async () => {
    const { result } = await openReview({ model: 'churn', version: 1, ab: null });
    api.registry.panel.close();
    const out = await result;
    assert.deepStrictEqual([out.promoted, out.cancelled], [false, true]);
  });

  it('"Set Alias…" and "Set Stage…" (archive existing) on ML Sight and MLflow models; MLflow\'s files are written back', async () => {
    await vscode.commands.executeCommand('mlsight.setModelAlias', undefined, {
      folder: folder().uri.toString(),
      model: 'churn',
      version: 3,
      alias: 'challenger',
    });
    await vscode.commands.executeCommand('mlsight.setModelStage', undefined, {
      folder: folder().uri.toString(),
      model: 'churn',
      version: 1,
      stage: 'Production',
    });
    await vscode.commands.executeCommand('mlsight.setModelStage', undefined, {
      folder: folder().uri.toString(),
      model: 'churn',
      version: 2,
      stage: 'Production',
      archiveExisting: true,
    });
    const m = await model('churn');
    const vs = (await api.registry.tree.getChildren(m as never)) as TreeNode[];
    assert.deepStrictEqual(
      vs.map(v => [v.version!.version, v.version!.stage, v.version!.aliases]),
      [
        [3, 'None', ['challenger']],
        [2, 'Production', ['champion']],
        [1, 'Archived', []],
      ],
    );
    // MLflow FileStore model
    const dir = path.join(ws(), 'mlruns', 'models', 'fraud-mlflow');
    await vscode.commands.executeCommand('mlsight.setModelAlias', undefined, {
      folder: folder().uri.toString(),
      model: 'fraud-mlflow',
      version: 2,
      alias: 'challenger',
    });
    assert.strictEqual(fs.readFileSync(path.join(dir, 'aliases', 'challenger'), 'utf8'), '2');
    const out = await vscode.commands.executeCommand<PromoteOutcome>('mlsight.promoteModel', undefined, {
      folder: folder().uri.toString(),
      model: 'fraud-mlflow',
      version: 2,
      settings: { primaryMetric: 'val_auc' },
      ab: null,
      review: false,
      reason: 'better AUC',
      confirm: false,
    });
    assert.strictEqual(out.promoted, true);
    assert.strictEqual(fs.readFileSync(path.join(dir, 'aliases', 'champion'), 'utf8'), '2');
    assert.ok(!fs.existsSync(path.join(dir, 'aliases', 'challenger')));
    assert.match(fs.readFileSync(path.join(dir, 'meta.yaml'), 'utf8'), /aliases:\n {2}champion: '2'/);
    const f = await waitFor('the MLflow model re-read with @champion v2', async () => {
      const x = await model('fraud-mlflow');
      return x.model!.aliases.champion === 2 ? x : undefined;
    });
    assert.match(String(api.registry.tree.getTreeItem(f as never).description), /MLflow/);
  });

  it('a hostile model name is stored and shown as plain text', async () => {
    await vscode.commands.executeCommand('mlsight.registerModel', runNode('reg-lr'), {
      model: HOSTILE,
      description: HOSTILE,
    });
    const m = await model(HOSTILE);
    const item = api.registry.tree.getTreeItem(m as never);
    assert.strictEqual(item.label, HOSTILE);
    assert.strictEqual(typeof item.tooltip, 'string', 'plain-text tooltip, never markdown');
  });

  it('the registry survives "Rebuild Store" (it is rebuilt from .mlsight/audit.jsonl)', async () => {
    const before = (await models()).map(m => [m.model!.name, m.model!.aliases]);
    await vscode.commands.executeCommand('mlsight.rebuildStore');
    const after = (await models()).map(m => [m.model!.name, m.model!.aliases]);
    assert.deepStrictEqual(after, before);
  });
});
