import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { showDiffSinceCommit } from '../../../src/runs/runPage';

describe('Run page git actions', function () {
  this.timeout(60_000);
  it('"Show diff to now" shows what changed since the run\'s commit (simple-git)', async function () {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-git-'));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
    git('init', '-q');
    git('config', 'user.email', 'test@example.invalid');
    git('config', 'user.name', 'ML Sight test');
    fs.writeFileSync(path.join(repo, 'train.py'), 'lr = 0.1\n');
    git('add', '.');
    git('commit', '-q', '-m', 'first');
    const commit = git('rev-parse', 'HEAD');
    fs.writeFileSync(path.join(repo, 'train.py'), 'lr = 0.01\n');
    const folder: vscode.WorkspaceFolder = { uri: vscode.Uri.file(repo), name: 'repo', index: 9 };
    const diff = await showDiffSinceCommit(folder, commit);
    assert.match(diff, /-lr = 0\.1/);
    assert.match(diff, /\+lr = 0\.01/);
    const editor = vscode.window.activeTextEditor!;
    assert.strictEqual(editor.document.languageId, 'diff');
    await assert.rejects(showDiffSinceCommit(folder, 'HEAD; rm -rf /'), /not a commit id/);
  });
});
