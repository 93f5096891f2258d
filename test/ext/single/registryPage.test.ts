import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MlSightApi } from '../../../src/extension';
import type { HostToModelPage } from '../../../src/models/contract';
import { waitFor } from '../util';

// The model page and "Configure Canary…": two versions of a model of its own ("page-model") registered from the
// registry fixtures' runs, a canary, logged A/B outcomes; everything copied/created here is removed at the end.
describe('Model page and canary in the extension host', function () {
  this.timeout(90_000);
  let api: MlSightApi;
  const folder = () => vscode.workspace.workspaceFolders![0];
  const ws = () => folder().uri.fsPath;
  const created: string[] = [];
  const MODEL = 'page-model';

  before(async function () {
    api = await vscode.extensions.getExtension<MlSightApi>('mlsight.ml-sight')!.activate();
    const src = path.join(process.env.MLSIGHT_REPO_ROOT!, 'test', 'fixtures', 'registry');
    for (const rel of ['.mlsight/runs/reg-lr', '.mlsight/runs/reg-gbm']) {
      if (fs.existsSync(path.join(ws(), rel))) {
        continue;
      }
      fs.cpSync(path.join(src, rel), path.join(ws(), rel), { recursive: true });
      created.push(path.join(ws(), rel));
    }
    for (const rel of ['.mlsight/audit.jsonl', '.mlsight/registry.json']) {
      if (!fs.existsSync(path.join(ws(), rel))) {
        created.push(path.join(ws(), rel));
      }
    }
    // outcomes as mlsight.log_outcome writes them: 10 % canary, the challenger converts better
    const ab = path.join(ws(), '.mlsight', 'ab', `${MODEL}.jsonl`);
    fs.mkdirSync(path.dirname(ab), { recursive: true });
    const lines: string[] = [];
    for (let i = 0; i < 4000; i++) {
      const challenger = i % 10 === 0;
      lines.push(
        JSON.stringify({
          model: MODEL,
          variant: challenger ? 'challenger' : 'champion',
          request_key: `u${i}`,
          converted: (challenger ? i % 30 === 0 : i % 100 === 1) ? 1 : 0,
        }),
      );
    }
    fs.writeFileSync(ab, lines.join('\n') + '\n');
    created.push(ab);
    await vscode.commands.executeCommand('mlsight.refreshRuns');
    const store = await api.stores.get(folder());
    await waitFor('the fixture runs in the store', () =>
      store.read(db => Number(db.scalar(`SELECT count(*) FROM runs WHERE id IN ('reg-lr', 'reg-gbm')`)) === 2),
    );
  });

  after(async () => {
    for (const p of created) {
      fs.rmSync(p, { recursive: true, force: true });
    }
    if (api) {
      await vscode.commands.executeCommand('mlsight.rebuildStore');
    }
  });

  it('"Configure Canary…" records the canary and writes .mlsight/registry.json', async () => {
    const runNode = (id: string) => ({ kind: 'run', folder: folder(), run: { id, name: id } });
    await vscode.commands.executeCommand('mlsight.registerModel', runNode('reg-lr'), {
      model: MODEL,
      description: 'lr',
    });
    await vscode.commands.executeCommand('mlsight.registerModel', runNode('reg-gbm'), {
      model: MODEL,
      description: 'gbm',
      aliases: ['challenger'],
    });
    await vscode.commands.executeCommand('mlsight.setModelAlias', undefined, {
      folder: folder().uri.toString(),
      model: MODEL,
      version: 1,
      alias: 'champion',
      reason: 'first',
    });
    const e = await vscode.commands.executeCommand<{ action: string; version: number } | undefined>(
      'mlsight.configureCanary',
      undefined,
      { folder: folder().uri.toString(), model: MODEL, version: 2, share: 0.1, reason: 'canary for the page test' },
    );
    assert.strictEqual(e?.action, 'canary.set');
    const view = JSON.parse(fs.readFileSync(path.join(ws(), '.mlsight', 'registry.json'), 'utf8'));
    assert.deepStrictEqual(view.models[MODEL].canary, { challenger: 2, share: 0.1 });
    assert.deepStrictEqual(view.models[MODEL].aliases, { champion: 1, challenger: 2 });
    assert.match(view.models[MODEL].versions['2'].path, /^\.mlsight\/runs\/reg-gbm\//);
    const audit = fs
      .readFileSync(path.join(ws(), '.mlsight', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(l => JSON.parse(l));
    assert.ok(
      audit.some(x => x.action === 'canary.set' && x.model === MODEL && x.reason === 'canary for the page test'),
    );
  });

  it('"Open Model Page" shows versions, metrics, the audit log and the A/B analysis over the contract', async () => {
    api.registry.pages.recorded = [];
    await vscode.commands.executeCommand('mlsight.openModelPage', undefined, {
      folder: folder().uri.toString(),
      model: MODEL,
    });
    const msg = await waitFor('the model page data (after its ready handshake)', () =>
      api.registry.pages.recorded!.find((m): m is Extract<HostToModelPage, { type: 'data' }> => m.type === 'data'),
    );
    const d = msg.data;
    assert.strictEqual(d.model, MODEL);
    assert.deepStrictEqual(
      d.versions.map(v => v.version),
      [2, 1],
    );
    assert.deepStrictEqual(d.canary, { challenger: 2, share: 0.1 });
    assert.ok(d.versions[0].runExists && d.versions[0].runId === 'reg-gbm');
    assert.ok(d.metricKeys.includes('val/accuracy'));
    assert.ok(d.history.some(h => h.action === 'canary.set'));
    assert.ok(d.history.some(h => h.action === 'version.create'));
    assert.ok(d.ab.analysis, 'message' in d.ab ? d.ab.message : '');
    assert.strictEqual(d.ab.analysis.srm.expectedShare, 0.1, 'the SRM check uses the canary share');
    assert.strictEqual(d.ab.analysis.verdict, 'promote', d.ab.analysis.reasons.join(' '));
    assert.deepStrictEqual(msg.state, { folder: folder().uri.toString(), model: MODEL });
    // the page follows the registry: ending the canary sends new data
    api.registry.pages.recorded = [];
    await vscode.commands.executeCommand('mlsight.configureCanary', undefined, {
      folder: folder().uri.toString(),
      model: MODEL,
      off: true,
    });
    await waitFor('new data without the canary', () =>
      api.registry.pages.recorded!.some(m => m.type === 'data' && m.data.canary === null),
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
