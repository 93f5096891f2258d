import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MlSightApi } from '../../../src/extension';
import type { HostToPromote } from '../../../src/models/contract';
import type { PromoteOutcome } from '../../../src/models/promoteCommand';
import type { RunsNode } from '../../../src/runs/runsTree';
import { waitFor } from '../util';

// Issue 14 in the real extension host, with the real Python logger and scikit-learn: a crashed run's model fails
// the gate's run-status check on the Promote review page, and a SIGKILLed run shows as KILLED in the Runs view.
// Runs, outcomes and audit events made here are removed at the end.
const PYTHON = process.env.MLSIGHT_TEST_PYTHON || '/usr/bin/python3';
const SCRIPT = `
import os, signal, sys, mlsight
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
mode = sys.argv[1]
run = mlsight.start_run(experiment="gate-e2e", name="gate-" + mode)
clf = LogisticRegression(C=1.0 if mode == "ok" else 5.0, max_iter=500).fit(X[::2], y[::2])
run.log_evaluation("iris-test", X[1::2], y[1::2], clf.predict(X[1::2]), metrics={"val/accuracy": float(clf.score(X[1::2], y[1::2])) + (0.01 if mode != "ok" else 0)})
run.log_model(clf, name="clf")
print(run.run_id, flush=True)
if mode == "crash":
    raise RuntimeError("crashed after saving the model")
if mode == "sigkill":
    os.kill(os.getpid(), signal.SIGKILL)
run.end()
`;

describe('Promotion gate and run liveness in the extension host (issue 14)', function () {
  this.timeout(120_000);
  let api: MlSightApi;
  const folder = () => vscode.workspace.workspaceFolders![0];
  const ws = () => folder().uri.fsPath;
  const created: string[] = [];
  const ids: Record<string, string> = {};

  before(async function () {
    if ((vscode.workspace.workspaceFolders?.length ?? 0) !== 1 || !vscode.workspace.isTrusted) {
      this.skip();
    }
    if (spawnSync(PYTHON, ['-c', 'import sklearn'], { encoding: 'utf8' }).status !== 0) {
      this.skip();
    }
    api = await vscode.extensions.getExtension<MlSightApi>('mlsight.ml-sight')!.activate();
    for (const rel of ['.mlsight/audit.jsonl', '.mlsight/registry.json']) {
      if (!fs.existsSync(path.join(ws(), rel))) {
        created.push(path.join(ws(), rel));
      }
    }
    const script = path.join(ws(), 'issue14_gate.py');
    fs.writeFileSync(script, SCRIPT);
    created.push(script);
    for (const mode of ['ok', 'crash', 'sigkill']) {
      const r = spawnSync(PYTHON, [script, mode], {
        cwd: ws(),
        encoding: 'utf8',
        timeout: 90_000,
        env: {
          ...process.env,
          PYTHONPATH: path.join(process.env.MLSIGHT_REPO_ROOT!, 'python'),
          MLSIGHT_WORKSPACE: ws(),
        },
      });
      ids[mode] = r.stdout.trim().split('\n')[0];
      assert.match(ids[mode], /^[0-9a-f]{32}$/, r.stderr);
      created.push(path.join(ws(), '.mlsight', 'runs', ids[mode]));
    }
    await vscode.commands.executeCommand('mlsight.refreshRuns');
    const store = await api.stores.get(folder());
    await waitFor('the three runs in the store', () =>
      store.read(
        db =>
          Number(db.scalar(`SELECT count(*) FROM runs WHERE id IN (?, ?, ?)`, [ids.ok, ids.crash, ids.sigkill])) === 3,
      ),
    );
  });

  after(async () => {
    api?.registry.panel.close();
    for (const p of created) {
      fs.rmSync(p, { recursive: true, force: true });
    }
    if (api) {
      await vscode.commands.executeCommand('mlsight.rebuildStore');
    }
  });

  it('a SIGKILLed run shows as KILLED ("process ended without closing the run") in the Runs view; its log still says RUNNING', async () => {
    const experiment = await waitFor('the gate-e2e experiment in the Runs view', async () =>
      ((await api.runsTree.getChildren()) ?? []).find(n => n.kind === 'experiment' && n.experiment.name === 'gate-e2e'),
    );
    const run = await waitFor('the killed run', async () =>
      ((await api.runsTree.getChildren(experiment)) ?? []).find(
        (n): n is Extract<RunsNode, { kind: 'run' }> => n.kind === 'run' && n.run.id === ids.sigkill,
      ),
    );
    assert.strictEqual(run.run.status, 'KILLED');
    assert.match(run.run.statusNote ?? '', /process ended without closing the run/);
    const item = api.runsTree.getTreeItem(run);
    assert.match(String(item.description), /killed \(process ended without closing the run\)/);
    const log = fs.readFileSync(path.join(ws(), '.mlsight', 'runs', ids.sigkill, 'events.jsonl'), 'utf8');
    assert.ok(!log.includes('"type":"end"'), 'the run file is not rewritten');
  });

  it("the Promote review page shows the crashed run's status and the failed run-status check with its code", async () => {
    for (const [mode, aliases] of [
      ['ok', []],
      ['crash', ['challenger']],
    ] as const) {
      await vscode.commands.executeCommand(
        'mlsight.registerModel',
        { kind: 'run', folder: folder(), run: { id: ids[mode], name: mode } },
        { model: 'gate-model', aliases: [...aliases] },
      );
    }
    const first = await vscode.commands.executeCommand<PromoteOutcome>('mlsight.promoteModel', undefined, {
      folder: folder().uri.toString(),
      model: 'gate-model',
      version: 1,
      settings: { primaryMetric: 'val/accuracy', direction: 'maximize' },
      ab: null,
      review: false,
      reason: 'first',
      confirm: false,
    });
    assert.strictEqual(first.promoted, true);
    api.registry.panel.recorded = [];
    const result = vscode.commands.executeCommand<PromoteOutcome>('mlsight.promoteModel', undefined, {
      folder: folder().uri.toString(),
      model: 'gate-model',
      version: 2,
      ab: null,
      confirm: false,
    });
    const msg = await waitFor('the review', () =>
      api.registry.panel.recorded!.find((m): m is Extract<HostToPromote, { type: 'review' }> => m.type === 'review'),
    );
    const review = msg.review;
    assert.strictEqual(review.challenger.runStatus, 'FAILED');
    const check = review.gate.checks.find(c => c.id === 'run-status')!;
    assert.deepStrictEqual([check.ok, check.code], [false, 'run-not-finished']);
    assert.match(check.detail, new RegExp(`${ids.crash}.*FAILED`));
    assert.strictEqual(review.gate.pass, false);
    assert.match(review.errorRates, /false|equal challenger/);
    const offline = review.gate.checks.find(c => c.id === 'offline')!;
    assert.match(offline.detail, /iris-test \(test/, 'both evaluated on the same test set: comparable');
    api.registry.panel.receive({ type: 'cancel' });
    const out = await result;
    assert.strictEqual(out.promoted, false);
  });
});
