import * as assert from 'assert';
import * as vscode from 'vscode';
import type { MlSightApi } from '../../../src/extension';
import { defaultViewSettings, type HostToWebview } from '../../../src/compare/contract';
import { waitFor } from '../util';

// Where a user meets issue 17's fixes in the editor: run pages titled from the start, one preview page reused by
// clicks and closed by comparing (no stray "Run" tab), and the comparison's absolute baseline deltas and duration.
type Node = {
  kind: string;
  folder?: vscode.WorkspaceFolder;
  experiment?: { name: string };
  run?: { id: string; name: string | null };
};

const webviewTabs = () =>
  vscode.window.tabGroups.all
    .flatMap(g => g.tabs)
    .filter(t => t.input instanceof vscode.TabInputWebview)
    .map(t => t.label);

describe('Run pages and comparing (preview page, titles)', () => {
  let api: MlSightApi;
  before(async function () {
    if ((vscode.workspace.workspaceFolders?.length ?? 0) !== 1) {
      this.skip();
    }
    api = await vscode.extensions.getExtension<MlSightApi>('mlsight.ml-sight')!.activate();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  async function runNodes(): Promise<Node[]> {
    const exps = (await api.runsTree.getChildren()) as Node[];
    const out: Node[] = [];
    for (const e of exps) {
      out.push(...((await api.runsTree.getChildren(e as never)) as Node[]));
    }
    return out;
  }

  it('a clicked run opens titled "Run <name>" at once, and the next click reuses that preview page', async () => {
    const nodes = await runNodes();
    const a = nodes.find(n => n.run?.name === 'baseline')!;
    const b = nodes.find(n => n.run?.name === 'diverged')!;
    api.runPages.recorded = [];
    await vscode.commands.executeCommand('mlsight.openRun', a);
    // the first title the tab ever has is the run's (the tab model reaches the extension host a moment later)
    const first = await waitFor('the run page tab', () => (webviewTabs().length ? webviewTabs() : undefined));
    assert.deepStrictEqual(first, ['Run baseline']);
    await vscode.commands.executeCommand('mlsight.openRun', b);
    await waitFor('the preview page showing the second run', () => webviewTabs().includes('Run diverged') || undefined);
    assert.deepStrictEqual(webviewTabs(), ['Run diverged'], 'one preview page, now showing the second run');
    await waitFor(
      "the second run's data",
      () => api.runPages.recorded!.find(m => m.type === 'data' && m.data.run.id === 'run-failed'),
      20_000,
    );
  });

  it('comparing the selected runs closes the preview page; the comparison shows absolute deltas and "1m 0s"', async () => {
    const nodes = await runNodes();
    const a = nodes.find(n => n.run?.name === 'baseline')!;
    const b = nodes.find(n => n.run?.name === 'diverged')!;
    api.compare.recorded = [];
    await vscode.commands.executeCommand('mlsight.compareRuns', a, [a, b]);
    await waitFor('the comparison tab', () => webviewTabs().includes('Compare 2 Runs') || undefined);
    await waitFor('no run page left behind', () => !webviewTabs().some(t => t.startsWith('Run ')) || undefined, 5_000);
    const msg = await waitFor(
      'data message',
      () => api.compare.recorded!.find((m): m is Extract<HostToWebview, { type: 'data' }> => m.type === 'data'),
      45_000,
    );
    assert.strictEqual(defaultViewSettings().deltaMode, 'absolute'); // the webview's own view setting
    const d = msg.data;
    const dur = d.rows.find(r => r.section === 'info' && r.key === 'duration');
    assert.deepStrictEqual(dur?.display, ['1m 0s', '1m 0s']);
    assert.ok(d.baseline.metric);
    const delta = d.baseline.delta['run-failed'];
    const bv = d.baseline.baselineValue['run-failed'];
    assert.ok(typeof delta === 'number' && typeof bv === 'number', JSON.stringify(d.baseline));
  });

  it('a run opened from elsewhere is kept: a later click opens its own preview page', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const nodes = await runNodes();
    await vscode.commands.executeCommand(
      'mlsight.openRunById',
      vscode.workspace.workspaceFolders![0].uri.toString(),
      'run-baseline',
    );
    await vscode.commands.executeCommand(
      'mlsight.openRun',
      nodes.find(n => n.run?.name === 'diverged')!,
    );
    await waitFor('both run pages', () => webviewTabs().length === 2 || undefined);
    assert.deepStrictEqual(webviewTabs().sort(), ['Run baseline', 'Run diverged']);
  });
});
