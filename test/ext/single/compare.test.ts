import * as assert from 'assert';
import * as vscode from 'vscode';
import type { MlSightApi } from '../../../src/extension';
import type { HostToWebview } from '../../../src/compare/contract';
import { measure } from '../measure';
import { waitFor } from '../util';

type Node = { kind: string; experiment?: { name: string }; run?: { id: string; name: string | null } };

describe('Compare Runs webview', () => {
  let api: MlSightApi;
  before(async function () {
    api = await vscode.extensions.getExtension<MlSightApi>('mlsight.ml-sight')!.activate();
  });

  async function runNodes(): Promise<Node[]> {
    const exps = await api.runsTree.getChildren() as Node[];
    const out: Node[] = [];
    for (const e of exps) { out.push(...await api.runsTree.getChildren(e as never) as Node[]); }
    return out;
  }

  it('opening a comparison of two runs sends the expected data over the contract, after ready', async () => {
    api.compare.recorded = [];
    const nodes = await runNodes();
    const a = nodes.find(n => n.run?.name === 'baseline')!;
    const b = nodes.find(n => n.run?.name === 'diverged')!;
    const ids = await vscode.commands.executeCommand<string[]>('mlsight.compareRuns', a, [a, b]);
    assert.deepStrictEqual(ids, ['run-baseline', 'run-failed']);
    const msg = await waitFor('data message', () => api.compare.recorded!.find((m): m is Extract<HostToWebview, { type: 'data' }> => m.type === 'data'), 45_000);
    const d = msg.data;
    assert.deepStrictEqual(d.runs.map(r => r.name), ['baseline', 'diverged']);
    assert.deepStrictEqual(d.runs.map(r => r.isBaseline), [true, false], 'the DummyClassifier run is recognised as the baseline');
    assert.deepStrictEqual(d.metricKeys, ['train/loss', 'val/accuracy']);
    assert.strictEqual(d.series.length, 4);
    const nonFinite = d.series.find(s => s.runId === 'run-failed' && s.key === 'train/loss')!.nonFinite;
    assert.deepStrictEqual(nonFinite, [{ step: 9, value: 'nan' }]);
    const params = d.rows.filter(r => r.section === 'param').map(r => [r.key, r.values, r.differs]);
    assert.deepStrictEqual(params, [['lr', [null, '0.5'], true], ['model', ['DummyClassifier', null], true]]);
    assert.strictEqual(msg.state.diffOnly, true);
    const paint = await waitFor('first paint from the webview', () => api.compare.lastFirstPaint, 45_000);
    measure('compareFirstPaintMs', paint.ms);
    assert.ok(paint.points > 0);
  });

  it('marking a run as the baseline is stored in the annotations log and survives a rebuild', async () => {
    const nodes = await runNodes();
    const failed = nodes.find(n => n.run?.name === 'diverged')!;
    await vscode.commands.executeCommand('mlsight.setBaseline', failed);
    const folder = vscode.workspace.workspaceFolders![0];
    await vscode.commands.executeCommand('mlsight.rebuildStore');
    const store = await api.stores.get(folder);
    assert.strictEqual(store.read(db => db.scalar(`SELECT baseline_run_id FROM experiments WHERE name = 'fixture-exp'`)), 'run-failed');
  });
});
