import * as assert from 'assert';
import * as vscode from 'vscode';
import type { MlSightApi } from '../../../src/extension';
import { defaultViewSettings, type HostToWebview } from '../../../src/compare/contract';
import { measure } from '../measure';
import { waitFor } from '../util';

type Node = { kind: string; experiment?: { name: string }; run?: { id: string; name: string | null } };

describe('Compare Runs webview', () => {
  let api: MlSightApi;
  before(async function () {
    api = await vscode.extensions.getExtension<MlSightApi>('mlsight.ml-sight')!.activate();
  });

  async function runNodes(): Promise<Node[]> {
    const exps = (await api.runsTree.getChildren()) as Node[];
    const out: Node[] = [];
    for (const e of exps) {
      out.push(...((await api.runsTree.getChildren(e as never)) as Node[]));
    }
    return out;
  }

  it('opening a comparison of two runs sends the expected data over the contract, after ready', async () => {
    api.compare.recorded = [];
    const nodes = await runNodes();
    const a = nodes.find(n => n.run?.name === 'baseline')!;
    const b = nodes.find(n => n.run?.name === 'diverged')!;
    const ids = await vscode.commands.executeCommand<string[]>('mlsight.compareRuns', a, [a, b]);
    assert.deepStrictEqual(ids, ['run-baseline', 'run-failed']);
    const msg = await waitFor(
      'data message',
      () => api.compare.recorded!.find((m): m is Extract<HostToWebview, { type: 'data' }> => m.type === 'data'),
      45_000,
    );
    const d = msg.data;
    assert.deepStrictEqual(
      d.runs.map(r => r.name),
      ['baseline', 'diverged'],
    );
    assert.deepStrictEqual(
      d.runs.map(r => r.isBaseline),
      [true, false],
      'the DummyClassifier run is recognised as the baseline',
    );
    assert.deepStrictEqual(d.metricKeys, ['train/loss', 'val/accuracy']);
    assert.strictEqual(d.series.length, 4);
    const nonFinite = d.series.find(s => s.runId === 'run-failed' && s.key === 'train/loss')!.nonFinite;
    assert.deepStrictEqual(nonFinite, [{ step: 9, value: 'nan' }]);
    const params = d.rows.filter(r => r.section === 'param').map(r => [r.key, r.values, r.differs]);
    assert.deepStrictEqual(params, [
      ['lr', [null, '0.5'], true],
      ['model', ['DummyClassifier', null], true],
    ]);
    // the host owns the selection; view settings (diff-only rows first) are the webview's own
    const folder = vscode.workspace.workspaceFolders![0].uri.toString();
    assert.deepStrictEqual(msg.selection, { folder, runIds: ['run-baseline', 'run-failed'], referenceRunId: null });
    assert.strictEqual(defaultViewSettings().diffOnly, true);
    const paint = await waitFor('first paint from the webview', () => api.compare.lastFirstPaint, 45_000);
    measure('compareFirstPaintMs', paint.ms);
    assert.ok(paint.points > 0);
  });

  it('the host checks what the page sends: a malformed message is ignored, a good one changes the selection', async () => {
    const [panel] = api.compare.host.panels();
    assert.ok(panel, 'the comparison is open');
    type Data = Extract<HostToWebview, { type: 'data' }>;
    const datas = () => api.compare.recorded!.filter((m): m is Data => m.type === 'data');
    api.compare.recorded = [];
    for (const bad of [
      { type: 'setReference', runId: 42 },
      { type: 'setReference' },
      { type: 'openRun', runId: ['run-failed'] },
      { type: 'state', state: { folder: 'file:///elsewhere', runIds: ['x'] } },
      { type: 'save', kind: 'exe', suggestedName: 'x', content: '' },
      'setReference',
    ]) {
      await api.compare.host.receive(panel, bad);
    }
    await new Promise(r => setTimeout(r, 300));
    assert.deepStrictEqual(datas(), [], 'nothing was answered');
    assert.strictEqual(panel.state.referenceRunId, null);
    assert.deepStrictEqual(panel.state.runIds, ['run-baseline', 'run-failed']);
    await api.compare.host.receive(panel, { type: 'setReference', runId: 'run-failed' });
    const msg = await waitFor(
      'data with the reference',
      () => datas().find(m => m.selection.referenceRunId === 'run-failed'),
      45_000,
    );
    assert.deepStrictEqual(msg.selection.runIds, ['run-baseline', 'run-failed']);
    await api.compare.host.receive(panel, { type: 'setReference', runId: null });
    await waitFor('data without a reference', () => datas().find(m => m.selection.referenceRunId === null), 45_000);
  });

  it('marking a run as the baseline is stored in the annotations log and survives a rebuild', async () => {
    const nodes = await runNodes();
    const failed = nodes.find(n => n.run?.name === 'diverged')!;
    await vscode.commands.executeCommand('mlsight.setBaseline', failed);
    const folder = vscode.workspace.workspaceFolders![0];
    await vscode.commands.executeCommand('mlsight.rebuildStore');
    const store = await api.stores.get(folder);
    assert.strictEqual(
      store.read(db => db.scalar(`SELECT baseline_run_id FROM experiments WHERE name = 'fixture-exp'`)),
      'run-failed',
    );
  });
});
