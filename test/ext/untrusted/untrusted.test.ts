import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MlSightApi } from '../../../src/extension';
import { waitFor } from '../util';

// The untrusted kind: restricted mode (MLSIGHT_WORKSPACE_KIND=untrusted): ML Sight still reads runs and analyses code,
// and never executes anything (no git, no Python).
describe('untrusted workspace (restricted mode)', function () {
  this.timeout(60_000);

  it('activates with limited support: runs are listed, code is analysed, git actions are off', async () => {
    const ext = vscode.extensions.getExtension<MlSightApi>('mlsight.ml-sight')!;
    const api = await ext.activate();
    const exps = (await api.runsTree.getChildren()) as { kind: string; experiment?: { name: string } }[];
    assert.deepStrictEqual(exps.map(e => e.experiment?.name).sort(), ['fixture-exp', 'other-exp']);
    const runs = (await api.runsTree.getChildren(exps.find(e => e.experiment?.name === 'fixture-exp') as never)) as {
      run: { id: string };
    }[];
    api.runPages.recorded = [];
    await vscode.commands.executeCommand('mlsight.openRun', runs[0]);
    const msg = await waitFor('run page data', () => api.runPages.recorded!.find(m => m.type === 'data'), 30_000);
    assert.ok(msg.type === 'data');
    assert.strictEqual(msg.data.gitActions, false, 'no git in an untrusted workspace');
    const file = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'leaky.py');
    fs.writeFileSync(
      file,
      'from sklearn.model_selection import train_test_split\nX_train, X_test, y_train, y_test = train_test_split(X, y)\n',
    );
    await vscode.window.showTextDocument(vscode.Uri.file(file));
    await waitFor(
      'leakage diagnostics',
      () => vscode.languages.getDiagnostics(vscode.Uri.file(file)).some(d => d.source === 'ML Sight') || undefined,
      30_000,
    );
  });
});
