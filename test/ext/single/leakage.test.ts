import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MlSightApi } from '../../../src/extension';
import { measure } from '../measure';
import { waitFor } from '../util';

const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter(d => d.source === 'ML Sight');

describe('Leakage diagnostics', function () {
  this.timeout(60_000);
  let api: MlSightApi;
  const folder = () => vscode.workspace.workspaceFolders![0];
  before(async function () {
    api = await vscode.extensions.getExtension<MlSightApi>('mlsight.ml-sight')!.activate();
    for (const f of ['leaky_train.py', 'leaky_notebook.ipynb']) {
      fs.copyFileSync(
        path.join(process.env.MLSIGHT_REPO_ROOT!, 'test', 'fixtures', 'leakage', f),
        path.join(folder().uri.fsPath, f),
      );
    }
  });

  it('flags preprocessing before the split, missing stratify and random_state in a .py file, at the right lines', async () => {
    const uri = vscode.Uri.file(path.join(folder().uri.fsPath, 'leaky_train.py'));
    const t0 = Date.now();
    await vscode.window.showTextDocument(uri);
    const diags = await waitFor('diagnostics', () => {
      const d = ours(uri);
      return d.length >= 4 ? d : undefined;
    });
    measure('leakageFirstDiagnosticsMs (incl. parser load)', Date.now() - t0);
    measure('leakageAnalysisMs', api.leakage.lastAnalysisMs);
    const got = diags.map(d => [d.code, d.range.start.line + 1, vscode.DiagnosticSeverity[d.severity]]).sort();
    assert.deepStrictEqual(got, [
      ['missing-random-state', 12, 'Information'],
      ['missing-stratify', 12, 'Warning'],
      ['no-baseline', 13, 'Information'],
      ['preprocessing-before-split', 11, 'Warning'],
    ]);
    const pre = diags.find(d => d.code === 'preprocessing-before-split')!;
    assert.match(pre.message, /StandardScaler\.fit_transform fits on X/);
    // The hover ends with the rule's measured precision and recall.
    assert.match(pre.message, /\npreprocessing-before-split: \d+% of its findings were real leaks \(\d+\/\d+\)/);
  });

  it('the "Add stratify=y" quick fix edits the call and the warning goes away', async () => {
    const uri = vscode.Uri.file(path.join(folder().uri.fsPath, 'leaky_train.py'));
    const diag = ours(uri).find(d => d.code === 'missing-stratify')!;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      diag.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const fix = actions.find(a => a.title === 'Add stratify=y');
    assert.ok(fix, JSON.stringify(actions.map(a => a.title)));
    assert.ok(actions.some(a => a.title.startsWith('Ignore missing-stratify here')));
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.match(doc.lineAt(11).text, /stratify=y/);
    await waitFor('the warning to go away', () => !ours(uri).some(d => d.code === 'missing-stratify'));
    assert.ok(
      ours(uri).some(d => d.code === 'preprocessing-before-split'),
      'other findings stay',
    );
  });

  it('a notebook gets diagnostics on the right cell, with magics ignored', async () => {
    const uri = vscode.Uri.file(path.join(folder().uri.fsPath, 'leaky_notebook.ipynb'));
    const nb = await vscode.workspace.openNotebookDocument(uri);
    await vscode.window.showNotebookDocument(nb);
    const cell = nb.cellAt(2);
    const diags = await waitFor('notebook diagnostics', () => {
      const d = ours(cell.document.uri);
      return d.length ? d : undefined;
    });
    assert.deepStrictEqual(
      diags.map(d => [d.code, d.range.start.line]),
      [['oversampling-before-split', 2]],
    );
    assert.ok(
      diags[0].relatedInformation?.some(r => r.location.uri.toString() === nb.cellAt(3).document.uri.toString()),
      'links to the split in cell 4',
    );
  });

  it('turning a rule off in settings removes its diagnostics', async () => {
    const uri = vscode.Uri.file(path.join(folder().uri.fsPath, 'leaky_train.py'));
    const cfg = vscode.workspace.getConfiguration('mlsight.leakage');
    await cfg.update('rules', { 'no-baseline': 'off' }, vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor('no-baseline to go away', () => !ours(uri).some(d => d.code === 'no-baseline'));
    } finally {
      await cfg.update('rules', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
