import * as assert from 'assert';
import type * as childProcess from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MlSightApi } from '../../../src/extension';
import type { HostToModelPage } from '../../../src/models/contract';
import { waitFor } from '../util';

// Hostile workspace data in the real extension host: a version whose commit is `--output=<file>` (written into
// audit.jsonl, as anyone can commit it) must never reach git from the model page's "Show commit", and a run log's
// artifact `../../../../etc/passwd` must not open from the run page. Pages receive their messages through the
// same handler the webview's postMessage reaches.
describe('Hardening in the extension host: hostile commits and artifact paths', function () {
  this.timeout(90_000);
  let api: MlSightApi;
  const folder = () => vscode.workspace.workspaceFolders![0];
  const ws = () => folder().uri.fsPath;
  const created: string[] = [];
  const MODEL = 'hardening-model';
  const RUN = 'hardening-run';
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-hostile-'));
  const target = path.join(outDir, 'pwned');
  const HOSTILE = `--output=${target}`;
  const calls: string[][] = [];
  // the module object itself (an ES namespace import would be a copy): the extension's bundle calls through it
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cp = require('child_process') as { execFile: typeof childProcess.execFile };
  const realExecFile = cp.execFile;

  type Page = { onMessage(m: unknown): Promise<void> };
  const pageOf = (pages: unknown, key: string) => (pages as { panels: Map<string, Page> }).panels.get(key);

  before(async function () {
    if ((vscode.workspace.workspaceFolders?.length ?? 0) !== 1) {
      this.skip();
    }
    api = await vscode.extensions.getExtension<MlSightApi>('mlsight.ml-sight')!.activate();
    const runDir = path.join(ws(), '.mlsight', 'runs', RUN);
    fs.mkdirSync(runDir, { recursive: true });
    created.push(runDir);
    for (const rel of ['.mlsight/audit.jsonl', '.mlsight/registry.json']) {
      if (!fs.existsSync(path.join(ws(), rel))) {
        created.push(path.join(ws(), rel));
      }
    }
    const lines = [
      { type: 'run', run_id: RUN, experiment: 'hardening', name: 'hostile' },
      { type: 'git', commit: HOSTILE, branch: '--upload-pack=touch /tmp/x', dirty: false },
      { type: 'artifact', path: '../../../../../../../../etc/passwd', kind: 'file', size: 1 },
      { type: 'artifact', path: 'notes.txt', kind: 'file', size: 2 },
      { type: 'model', name: 'clf', path: 'model.pkl', size: 1, sha256: 'x' },
      { type: 'end', status: 'FINISHED' },
    ];
    fs.writeFileSync(path.join(runDir, 'events.jsonl'), lines.map(l => JSON.stringify(l)).join('\n') + '\n');
    fs.writeFileSync(path.join(runDir, 'notes.txt'), 'ok\n');
    await vscode.commands.executeCommand('mlsight.refreshRuns');
    const store = await api.stores.get(folder());
    await waitFor('the hostile run in the store', () =>
      store.read(db => Number(db.scalar('SELECT count(*) FROM runs WHERE id = ?', [RUN])) === 1),
    );
    cp.execFile = ((...args: unknown[]) => {
      if (args[0] === 'git') {
        calls.push(args[1] as string[]);
      }
      return (realExecFile as (...a: unknown[]) => unknown)(...args);
    }) as typeof childProcess.execFile;
  });

  after(async () => {
    cp.execFile = realExecFile;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const p of created) {
      fs.rmSync(p, { recursive: true, force: true });
    }
    fs.rmSync(outDir, { recursive: true, force: true });
    if (api) {
      await vscode.commands.executeCommand('mlsight.rebuildStore');
    }
  });

  it('a hostile commit is stored as invalid at ingestion and "Show commit" never passes it to git', async () => {
    const store = await api.stores.get(folder());
    const row = store.read(db =>
      db.get<{ git_commit: string | null; git_branch: string | null }>(
        'SELECT git_commit, git_branch FROM runs WHERE id = ?',
        [RUN],
      ),
    );
    assert.deepStrictEqual(row, { git_commit: null, git_branch: null });
    // a version whose audit event carries the hostile commit (as a crafted, committed audit.jsonl would)
    const runNode = { kind: 'run', folder: folder(), run: { id: RUN, name: 'hostile' } };
    await vscode.commands.executeCommand('mlsight.registerModel', runNode, { model: MODEL, description: 'v1' });
    const auditFile = path.join(ws(), '.mlsight', 'audit.jsonl');
    const seq = fs.readFileSync(auditFile, 'utf8').trim().split('\n').length + 1;
    fs.appendFileSync(
      auditFile,
      JSON.stringify({
        id: 'hostile-version',
        at: Date.now(),
        actor: 'mallory',
        action: 'version.create',
        model: MODEL,
        version: 2,
        seq,
        evidence: { run_id: null, git_commit: HOSTILE },
      }) + '\n',
    );
    const registry = await api.registry.service.get(folder());
    await registry.sync();
    await waitFor('version 2 from the audit log', () => registry.model(MODEL)?.versions.some(v => v.version === 2));
    assert.ok(
      registry.model(MODEL)!.versions.every(v => v.gitCommit === null),
      'no version carries the hostile commit',
    );

    api.registry.pages.recorded = [];
    await vscode.commands.executeCommand('mlsight.openModelPage', undefined, {
      folder: folder().uri.toString(),
      model: MODEL,
    });
    const data = await waitFor('the model page data', () =>
      api.registry.pages.recorded!.find((m): m is Extract<HostToModelPage, { type: 'data' }> => m.type === 'data'),
    );
    assert.ok(data.data.versions.every(v => v.gitCommit === null));
    const page = pageOf(api.registry.pages, `${folder().uri.toString()}#${MODEL}`);
    assert.ok(page, 'the model page is open');
    calls.length = 0;
    await page.onMessage({ type: 'showCommit', commit: HOSTILE });
    await page.onMessage({ type: 'showCommit', commit: '-p' });
    assert.deepStrictEqual(
      calls.filter(a => a.some(x => x.includes('--output'))),
      [],
      'git never saw the hostile value',
    );
    assert.ok(!fs.existsSync(target), "nothing was written at the attacker's path");
  });

  it('"Show commit" on a valid commit ends git\'s options with --end-of-options', async function () {
    if (!vscode.workspace.isTrusted) {
      this.skip();
    }
    // a store written by an older ML Sight may still hold a commit: the page validates it again before git runs
    const store = await api.stores.get(folder());
    const commit = 'abcdef0123456789';
    store.write(db =>
      db.run('UPDATE model_versions SET git_commit = ? WHERE model_name = ? AND version = 1', [commit, MODEL]),
    );
    const page = pageOf(api.registry.pages, `${folder().uri.toString()}#${MODEL}`)!;
    calls.length = 0;
    await page.onMessage({ type: 'showCommit', commit });
    const show = calls.find(a => a[0] === 'show');
    assert.ok(show, JSON.stringify(calls));
    assert.deepStrictEqual(show.slice(-3), ['--end-of-options', commit, '--']);
    store.write(db =>
      db.run('UPDATE model_versions SET git_commit = ? WHERE model_name = ? AND version = 1', [HOSTILE, MODEL]),
    );
    calls.length = 0;
    await page.onMessage({ type: 'showCommit', commit: HOSTILE });
    assert.deepStrictEqual(calls, [], 'a hostile commit already in an old store is refused too');
    assert.ok(!fs.existsSync(target));
  });

  it('the run page refuses an artifact outside the workspace and opens one inside', async () => {
    api.runPages.recorded = [];
    await vscode.commands.executeCommand('mlsight.openRunById', folder().uri.toString(), RUN);
    const data = await waitFor('the run page data', () => api.runPages.recorded!.find(m => m.type === 'data'));
    assert.ok(data.type === 'data');
    const arts = new Map(data.data.artifacts.map(a => [a.path, a.openable]));
    assert.strictEqual(arts.get('../../../../../../../../etc/passwd'), false);
    assert.strictEqual(arts.get('notes.txt'), true);
    const page = pageOf(api.runPages, `${folder().uri.toString()}#${RUN}`)!;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await page.onMessage({ type: 'openArtifact', path: '../../../../../../../../etc/passwd' });
    await new Promise(r => setTimeout(r, 500));
    assert.ok(!vscode.workspace.textDocuments.some(d => d.uri.fsPath === '/etc/passwd'), '/etc/passwd was not opened');
    await page.onMessage({ type: 'openArtifact', path: 'notes.txt' });
    await waitFor('notes.txt opened', () =>
      vscode.workspace.textDocuments.some(d => d.uri.fsPath.endsWith(path.join(RUN, 'notes.txt'))),
    );
  });
});
