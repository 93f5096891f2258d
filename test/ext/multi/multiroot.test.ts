import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MlSightApi } from '../../../src/extension';

// The multi-root kind: the harness opens a .code-workspace with two folders (MLSIGHT_WORKSPACE_KIND=multi).
describe('multi-root workspace', function () {
  it('keeps one store per folder and shows a folder level in the Runs view', async () => {
    const api = await vscode.extensions.getExtension<MlSightApi>('mlsight.ml-sight')!.activate();
    const folders = vscode.workspace.workspaceFolders!;
    const roots = (await api.runsTree.getChildren()) as { kind: string; folder: vscode.WorkspaceFolder }[];
    assert.deepStrictEqual(
      roots.map(r => r.kind),
      ['folder', 'folder'],
    );
    assert.deepStrictEqual(
      roots.map(r => r.folder.name),
      folders.map(f => f.name),
    );
    for (const f of folders) {
      const store = await api.stores.get(f);
      assert.strictEqual(store.dbPath, path.join(f.uri.fsPath, '.mlsight', 'mlsight.db'));
      await store.flush();
      assert.ok(fs.existsSync(store.dbPath));
    }
    const second = (await api.runsTree.getChildren(roots[1] as never)) as {
      kind: string;
      experiment?: { name: string };
    }[];
    assert.deepStrictEqual(second.map(e => e.experiment?.name).sort(), ['fixture-exp', 'other-exp']);
    const s0 = await api.stores.get(folders[0]);
    const s1 = await api.stores.get(folders[1]);
    assert.notStrictEqual(s0, s1);
  });
});
