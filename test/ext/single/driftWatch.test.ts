import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MlSightApi } from '../../../src/extension';
import type { DriftWatch } from '../../../src/core/drift';
import { sleep, waitFor } from '../util';

describe('Drift watches', function () {
  this.timeout(120_000);
  let api: MlSightApi;
  let data: string;
  const folder = () => vscode.workspace.workspaceFolders![0];
  const fixture = (n: string) => path.join(process.env.MLSIGHT_REPO_ROOT!, 'test', 'fixtures', 'drift', n);
  const entry = (name: string) => api.drift.watches.list().find(w => w.watch.name === name);

  before(async function () {
    api = await vscode.extensions.getExtension<MlSightApi>('mlsight.ml-sight')!.activate();
    // fixture files copied into the (temporary) workspace at run time; current starts as a copy of the reference
    data = path.join(folder().uri.fsPath, 'drift-watch-data');
    fs.mkdirSync(data, { recursive: true });
    fs.copyFileSync(fixture('reference.csv'), path.join(data, 'reference.csv'));
    fs.copyFileSync(fixture('reference.csv'), path.join(data, 'current.csv'));
  });

  after(async () => {
    if (api) {
      await vscode.commands.executeCommand('mlsight.removeDriftWatch', 'ext-watch');
    }
  });

  it('saves a watch, re-runs it when the current file changes, shows the status bar item and notifies once', async () => {
    const saved = await vscode.commands.executeCommand<DriftWatch>('mlsight.saveDriftWatch', {
      name: 'ext-watch',
      reference: path.join(data, 'reference.csv'),
      current: path.join(data, 'current.csv'),
      target: 'target',
      prediction: 'prediction',
      time: 'timestamp',
    });
    assert.strictEqual(saved?.name, 'ext-watch');
    const file = JSON.parse(fs.readFileSync(path.join(folder().uri.fsPath, '.mlsight', 'drift-watches.json'), 'utf8'));
    assert.deepStrictEqual(
      file.watches.map((w: { name: string; current: string }) => [w.name, w.current]),
      [['ext-watch', 'drift-watch-data/current.csv']],
    );
    await waitFor('the first run', () => entry('ext-watch')?.state === 'ok', 60_000);
    assert.strictEqual(entry('ext-watch')!.statusText, undefined, 'no status bar item while OK');
    const before = api.drift.watches.notifications.length;

    fs.copyFileSync(fixture('current.csv'), path.join(data, 'current.csv'));
    await waitFor('the watch to drift', () => entry('ext-watch')?.state === 'drifted', 60_000);
    assert.strictEqual(entry('ext-watch')!.statusText, '$(warning) Drift: ext-watch');
    assert.strictEqual(entry('ext-watch')!.report!.verdict.retrain, true);
    assert.strictEqual(api.drift.watches.notifications.length, before + 1);
    assert.match(api.drift.watches.notifications[before].message, /"ext-watch" drifted/);

    // still drifted after another change: no second notification
    const report = entry('ext-watch')!.report;
    fs.appendFileSync(path.join(data, 'current.csv'), '');
    fs.writeFileSync(path.join(data, 'current.csv'), fs.readFileSync(fixture('current.csv')));
    await waitFor(
      'the re-run',
      () => entry('ext-watch')!.report !== report && entry('ext-watch')!.state === 'drifted',
      60_000,
    );
    await api.drift.watches.whenIdle();
    assert.strictEqual(api.drift.watches.notifications.length, before + 1, 'notified once per transition');
    assert.strictEqual(entry('ext-watch')!.statusText, '$(warning) Drift: ext-watch');

    // back to OK: the item goes away
    fs.copyFileSync(fixture('reference.csv'), path.join(data, 'current.csv'));
    await waitFor('the watch to recover', () => entry('ext-watch')?.state === 'ok', 60_000);
    assert.strictEqual(entry('ext-watch')!.statusText, undefined);
    await sleep(200);
    assert.strictEqual(api.drift.watches.notifications.length, before + 1);
  });

  it('leaves a malformed watch file alone and says so', async () => {
    const wf = path.join(folder().uri.fsPath, '.mlsight', 'drift-watches.json');
    const good = fs.readFileSync(wf, 'utf8');
    fs.writeFileSync(wf, '{ broken');
    try {
      await waitFor('the error', () => api.drift.watches.fileErrors.get(folder().uri.toString()), 20_000);
      assert.ok(entry('ext-watch'), 'the loaded watch is kept');
      const saved = await vscode.commands.executeCommand<DriftWatch | undefined>('mlsight.saveDriftWatch', {
        name: 'other',
        reference: path.join(data, 'reference.csv'),
        current: path.join(data, 'current.csv'),
        target: null,
        prediction: null,
        time: null,
      });
      assert.strictEqual(saved, undefined);
      assert.strictEqual(fs.readFileSync(wf, 'utf8'), '{ broken');
    } finally {
      fs.writeFileSync(wf, good);
      await waitFor('the file to load again', () => !api.drift.watches.fileErrors.has(folder().uri.toString()), 20_000);
    }
  });
});
