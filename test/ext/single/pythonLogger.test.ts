import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MlSightApi } from '../../../src/extension';
import { getRun, listExperiments, listRuns } from '../../../src/core/queries';
import { sleep } from '../util';

describe('Python logger in VS Code', function () {
  this.timeout(120_000);
  let api: MlSightApi;
  const folder = () => vscode.workspace.workspaceFolders![0];
  before(async function () {
    api = await vscode.extensions.getExtension<MlSightApi>('mlsight.ml-sight')!.activate();
  });

  it('"Copy Python Logger into Workspace" copies the shipped module', async () => {
    const uri = await vscode.commands.executeCommand<string>('mlsight.copyPythonLogger');
    assert.ok(uri);
    const copied = path.join(folder().uri.fsPath, 'mlsight.py');
    const shipped = path.join(process.env.MLSIGHT_REPO_ROOT!, 'python', 'mlsight.py');
    assert.ok(fs.readFileSync(copied).equals(fs.readFileSync(shipped)));
    fs.rmSync(copied); // the next test must import it through PYTHONPATH, not from the folder
  });

  it('a real training script run in an integrated terminal imports mlsight via PYTHONPATH and its run appears', async function () {
    const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    const script = path.join(folder().uri.fsPath, 'train_iris.py');
    fs.copyFileSync(path.join(process.env.MLSIGHT_REPO_ROOT!, 'test', 'fixtures', 'scripts', 'train_iris.py'), script);
    const { spawnSync } = await import('child_process');
    if (spawnSync(python, ['-c', 'import sklearn'], { encoding: 'utf8' }).status !== 0) {
      console.log('[mocha]       (skipped: scikit-learn is not installed for ' + python + ')');
      this.skip();
    }
    const terminal = vscode.window.createTerminal({
      name: 'ML Sight test',
      cwd: folder().uri.fsPath,
      shellPath: python,
      shellArgs: [script],
    });
    const t0 = Date.now();
    let run;
    for (;;) {
      const store = await api.stores.get(folder());
      run = store.read(db => {
        const exp = listExperiments(db).find(e => e.name === 'terminal-exp');
        const r = exp && listRuns(db, exp.id)[0];
        return r && getRun(db, r.id);
      });
      if (run?.status === 'FINISHED' && run.latestMetrics.accuracy) {
        break;
      }
      if (Date.now() - t0 > 90_000) {
        throw new Error(`the run did not finish in the store: ${JSON.stringify(run)}`);
      }
      await sleep(250);
    }
    terminal.dispose();
    assert.strictEqual(run.name, 'iris-logreg');
    assert.strictEqual(run.params.model, 'LogisticRegression');
    assert.ok(run.latestMetrics.accuracy.value > 0.8, `accuracy ${run.latestMetrics.accuracy.value}`);
    assert.ok(Object.keys(run.latestMetrics).some(k => k.startsWith('feature_importance/')));
    assert.deepStrictEqual(run.datasets.map(d => d.role).sort(), ['test', 'train']);
    assert.ok(run.artifacts.some(a => a.kind === 'model'));
    assert.strictEqual(run.tags['mlsight.seed'], '0');
    // and the Runs view shows it
    const exps = (await api.runsTree.getChildren()) as { experiment?: { name: string } }[];
    const exp = exps.find(e => e.experiment?.name === 'terminal-exp');
    assert.ok(exp, 'experiment in the Runs view');
    const items = (await api.runsTree.getChildren(exp as never)).map(n => api.runsTree.getTreeItem(n));
    assert.deepStrictEqual(
      items.map(i => i.label),
      ['iris-logreg'],
    );
  });
});
