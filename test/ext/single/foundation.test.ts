import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MlSightApi } from '../../../src/extension';
import { COMMAND_IDS } from '../../../src/platform/ids';
import { measure } from '../measure';
import { waitFor } from '../util';

const EXT_ID = 'mlsight.ml-sight';

type Node = {
  kind: string;
  folder?: vscode.WorkspaceFolder;
  experiment?: { name: string };
  run?: { id: string; name: string | null; status: string };
};

describe('ML Sight in the extension host', () => {
  let api: MlSightApi;
  const folder = () => vscode.workspace.workspaceFolders![0];
  before(async () => {
    api = await vscode.extensions.getExtension<MlSightApi>(EXT_ID)!.activate();
  });

  // Its time against the 150 ms budget is reported by `npm run bench` (activationMs), not asserted here.
  it('activates from the workspace without loading sql.js', async () => {
    const ext = vscode.extensions.getExtension<MlSightApi>(EXT_ID);
    assert.ok(ext?.isActive, `extension ${EXT_ID} is installed and active`);
    assert.ok(Number.isFinite(api.activationMs) && api.activationMs > 0, 'the activation time is recorded');
    assert.strictEqual(api.storeLoadedAtActivation, false, 'the WebAssembly store must not be loaded at activation');
    measure('activationMs', api.activationMs);
    // Baseline for the benchmark: an empty extension bundle, loaded and activated in this same host.
    const emptyExt = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-empty-ext-')), 'extension.js');
    fs.writeFileSync(
      emptyExt,
      '"use strict";\nconst t0 = performance.now();\nconst vscode = require("vscode");\nexports.activate = () => ({ ms: performance.now() - t0 });\n',
    );
    const t0 = performance.now();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require(emptyExt) as { activate(): unknown }).activate();
    measure('emptyExtensionActivationMs', performance.now() - t0);
  });

  it('registers a handler for every contributed command', async () => {
    const all = new Set(await vscode.commands.getCommands(true));
    const contributed = (
      vscode.extensions.getExtension(EXT_ID)!.packageJSON.contributes.commands as { command: string }[]
    ).map(c => c.command);
    assert.deepStrictEqual([...contributed].sort(), [...COMMAND_IDS].sort());
    for (const id of contributed) {
      assert.ok(all.has(id), `${id} has no handler`);
    }
  });

  it('"Show Store Info" creates .mlsight/mlsight.db and reports the fixture runs', async () => {
    const info = await vscode.commands.executeCommand<{
      path: string;
      counts: Record<string, number>;
      schemaVersion: number;
    }>('mlsight.showStoreInfo');
    assert.ok(info, 'command returned the info');
    assert.strictEqual(info.path, path.join(folder().uri.fsPath, '.mlsight', 'mlsight.db'));
    assert.strictEqual(info.counts.runs, 3);
    assert.strictEqual(info.counts.experiments, 2);
    assert.ok(api.isStoreLoaded());
    await waitFor('the db file', () => fs.existsSync(info.path));
  });

  it('the Runs view lists experiments → runs with status icons, hostile names as plain text', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.mlsight');
    const tree = api.runsTree;
    const exps = (await tree.getChildren()) as Node[];
    assert.deepStrictEqual(exps.map(e => e.experiment?.name).sort(), ['fixture-exp', 'other-exp']);
    const fixture = exps.find(e => e.experiment?.name === 'fixture-exp')!;
    const runs = (await tree.getChildren(fixture as never)) as Node[];
    const items = runs.map(r => tree.getTreeItem(r as never));
    assert.deepStrictEqual(items.map(i => i.label).sort(), ['baseline', 'diverged']);
    const failed = items.find(i => i.label === 'diverged')!;
    assert.strictEqual((failed.iconPath as vscode.ThemeIcon).id, 'error');
    assert.match(String(failed.description), /failed/);
    const other = (await tree.getChildren(exps.find(e => e.experiment?.name === 'other-exp') as never)) as Node[];
    const hostile = tree.getTreeItem(other[0] as never);
    assert.strictEqual(hostile.label, '<img src=x onerror=alert(1)>');
    const resolved = await tree.resolveTreeItem(hostile, other[0] as never);
    assert.strictEqual(typeof resolved.tooltip, 'string', 'tooltips are plain strings, never MarkdownString');
    assert.match(String(resolved.tooltip), /<img src=x onerror=alert\(1\)> = <script>alert\(2\)<\/script>/);
    assert.match(String(resolved.tooltip), /reproducibility \d\/\d/);
    assert.strictEqual((hostile.iconPath as vscode.ThemeIcon).id, 'sync~spin');
  });

  // How fast (newRunVisibleMs, against 1 s) is reported by `npm run bench`.
  it('a new run log line shows in the Runs view without a refresh', async () => {
    const dir = path.join(folder().uri.fsPath, '.mlsight', 'runs', 'run-live');
    fs.mkdirSync(dir, { recursive: true });
    const t0 = Date.now();
    fs.writeFileSync(
      path.join(dir, 'events.jsonl'),
      JSON.stringify({ type: 'run', run_id: 'run-live', experiment: 'fixture-exp', name: 'live-run', ts: Date.now() }) +
        '\n',
    );
    const tree = api.runsTree;
    await waitFor(
      'live run in the tree',
      async () => {
        const exps = (await tree.getChildren()) as Node[];
        const fixture = exps.find(e => e.experiment?.name === 'fixture-exp');
        const runs = fixture ? ((await tree.getChildren(fixture as never)) as Node[]) : [];
        return runs.some(r => r.run?.name === 'live-run') || undefined;
      },
      5000,
    );
    measure('newRunVisibleMs', Date.now() - t0);
  });

  it('"Open Run" opens the run page: params, metrics with sparklines, reproducibility, hostile names as data', async () => {
    const exps = (await api.runsTree.getChildren()) as Node[];
    const other = (await api.runsTree.getChildren(
      exps.find(e => e.experiment?.name === 'other-exp') as never,
    )) as Node[];
    api.runPages.recorded = [];
    const id = await vscode.commands.executeCommand<string>('mlsight.openRun', other[0]);
    assert.strictEqual(id, 'run-hostile');
    const msg = await waitFor('run page data', () => api.runPages.recorded!.find(m => m.type === 'data'), 20_000);
    assert.ok(msg.type === 'data');
    const d = msg.data;
    assert.strictEqual(d.run.name, '<img src=x onerror=alert(1)>');
    assert.deepStrictEqual(d.run.params, { '<img src=x onerror=alert(1)>': '<script>alert(2)</script>' });
    assert.ok(d.sparklines['train/loss'].values.length > 1);
    assert.ok(d.repro.total >= 5);
    assert.deepStrictEqual(msg.state, { folder: folder().uri.toString(), runId: 'run-hostile' });
    const tab = await waitFor('the run page tab', () =>
      vscode.window.tabGroups.all
        .flatMap(g => g.tabs)
        .find(t => t.input instanceof vscode.TabInputWebview && /Run <img/.test(t.label)),
    );
    assert.ok(tab);
  });

  it('"Copy Run ID" puts the id on the clipboard', async () => {
    const exps = (await api.runsTree.getChildren()) as Node[];
    const runs = (await api.runsTree.getChildren(
      exps.find(e => e.experiment?.name === 'fixture-exp') as never,
    )) as Node[];
    const r = runs.find(x => x.run?.name === 'baseline')!;
    await vscode.commands.executeCommand('mlsight.copyRunId', r);
    assert.strictEqual(await vscode.env.clipboard.readText(), 'run-baseline');
  });

  it('a write by another process (second window, CLI) is picked up without losing ours', async () => {
    const store = await api.stores.get(folder());
    store.write(db => db.run(`INSERT INTO meta (key, value) VALUES ('from-window', '1')`));
    // another process appends its own row through the CLI-facing core in a child process
    const cli = path.join(process.env.MLSIGHT_REPO_ROOT!, 'dist', 'cli.js');
    const { execFileSync } = await import('child_process');
    execFileSync(process.execPath, [cli, 'store', 'rebuild', folder().uri.fsPath], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    await store.flush();
    await waitFor(
      'both writes',
      () => store.read(db => db.scalar(`SELECT value FROM meta WHERE key = 'from-window'`)) === '1' || undefined,
    );
    assert.strictEqual(
      store.read(db => Number(db.scalar('SELECT count(*) FROM runs'))),
      4,
    );
  });

  it("a garbage store is moved aside and rebuilt from the folder's run logs", async () => {
    const extra = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-garbage-'));
    fs.mkdirSync(path.join(extra, '.mlsight', 'runs', 'r1'), { recursive: true });
    fs.writeFileSync(
      path.join(extra, '.mlsight', 'runs', 'r1', 'events.jsonl'),
      JSON.stringify({ type: 'run', run_id: 'r1', experiment: 'rescued', name: 'survivor' }) + '\n',
    );
    fs.writeFileSync(path.join(extra, '.mlsight', 'mlsight.db'), Buffer.alloc(8192, 0x5a));
    const wf: vscode.WorkspaceFolder = { uri: vscode.Uri.file(extra), name: 'garbage', index: 1 };
    const store = await api.stores.get(wf);
    assert.ok(store.recovery, 'recovery reported');
    assert.ok(fs.existsSync(store.recovery.movedTo));
    assert.strictEqual(
      store.read(db => db.scalar(`SELECT name FROM runs WHERE id = 'r1'`)),
      'survivor',
    );
    assert.ok(fs.statSync(path.join(extra, '.mlsight', 'mlsight.db')).size > 0);
  });
});

describe('Runs view actions', () => {
  type RunNode = {
    kind: 'run';
    run: { id: string; name: string | null; starred: boolean };
    folder: vscode.WorkspaceFolder;
  };
  let api: MlSightApi;
  before(async function () {
    api = await vscode.extensions.getExtension<MlSightApi>(EXT_ID)!.activate();
  });
  async function runsOf(exp: string): Promise<RunNode[]> {
    const exps = (await api.runsTree.getChildren()) as Node[];
    const e = exps.find(x => x.experiment?.name === exp);
    return e ? ((await api.runsTree.getChildren(e as never)) as unknown as RunNode[]) : [];
  }

  it('star puts a run on top with a star icon; unstar restores it', async () => {
    const runs = await runsOf('fixture-exp');
    const last = runs[runs.length - 1];
    await vscode.commands.executeCommand('mlsight.starRun', last);
    const after = await runsOf('fixture-exp');
    assert.strictEqual(after[0].run.id, last.run.id);
    const item = api.runsTree.getTreeItem(after[0] as never);
    assert.strictEqual((item.iconPath as vscode.ThemeIcon).id, 'star-full');
    assert.strictEqual(item.contextValue, 'mlsight.run.starred');
    await vscode.commands.executeCommand('mlsight.unstarRun', after[0]);
    assert.strictEqual((await runsOf('fixture-exp')).find(r => r.run.id === last.run.id)!.run.starred, false);
  });

  it('move to trash hides a run, the Trash node lists it, restore brings it back', async () => {
    const [first] = await runsOf('fixture-exp');
    await vscode.commands.executeCommand('mlsight.trashRun', first, [first]);
    assert.ok(!(await runsOf('fixture-exp')).some(r => r.run.id === first.run.id));
    const roots = (await api.runsTree.getChildren()) as { kind: string }[];
    const trash = roots.find(r => r.kind === 'trash');
    assert.ok(trash, 'a Trash node');
    const trashed = (await api.runsTree.getChildren(trash as never)) as unknown as RunNode[];
    assert.deepStrictEqual(
      trashed.map(t => t.run.id),
      [first.run.id],
    );
    assert.strictEqual(api.runsTree.getTreeItem(trashed[0] as never).contextValue, 'mlsight.trashedRun');
    await vscode.commands.executeCommand('mlsight.restoreRun', trashed[0]);
    assert.ok((await runsOf('fixture-exp')).some(r => r.run.id === first.run.id));
    assert.ok(!((await api.runsTree.getChildren()) as { kind: string }[]).some(r => r.kind === 'trash'));
  });

  it('filter and sort change what the view lists (kept in workspace state)', async () => {
    await api.runsTree.setFilter('status:failed');
    assert.deepStrictEqual(
      (await runsOf('fixture-exp')).map(r => r.run.name),
      ['diverged'],
    );
    const exps = (await api.runsTree.getChildren()) as Node[];
    assert.ok(!exps.some(e => e.experiment?.name === 'other-exp'), 'experiments with no match are hidden');
    await api.runsTree.setFilter('');
    await api.runsTree.setSort({ by: 'name', descending: false });
    assert.deepStrictEqual((await runsOf('fixture-exp')).map(r => r.run.name).slice(0, 2), ['baseline', 'diverged']);
    await api.runsTree.setSort({ by: 'start', descending: true });
  });
});
