// Workspace lint over worker threads (src/core/leakage/lintPool.ts) gives exactly the results of one thread, in the
// order of the files, and falls back to one thread when the threads cannot start.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { LintFileResult, lintFiles } from '../../src/core/leakage/lintPool';

function files(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .sort()
    .flatMap(n => {
      const p = path.join(dir, n);
      return fs.statSync(p).isDirectory() ? files(p) : /\.(py|ipynb)$/.test(n) ? [p] : [];
    });
}

const withoutTimes = (rs: LintFileResult[]) => rs.map(r => ({ ...r, ms: 0 }));

describe('leakage lint in worker threads', function () {
  this.timeout(120_000);
  const fixtures = path.join(__dirname, '..', '..', '..', 'test', 'unit', 'fixtures');
  const all = [...files(path.join(fixtures, 'leakage')), ...files(path.join(fixtures, 'leakage-realworld'))];
  const workerScript = path.join(__dirname, '..', '..', 'worker.js'); // dist/worker.js, built with the tests

  it('gives the results of one thread, in order', async () => {
    assert.ok(all.length >= 100 && all.some(f => f.endsWith('.ipynb')));
    const list = [...all, path.join(fixtures, 'no-such-file.py')];
    const one = await lintFiles(list, { rules: { 'no-baseline': 'off' } });
    let fellBack = '';
    const threads = await lintFiles(
      list,
      { rules: { 'no-baseline': 'off' } },
      { workerScript, threads: 3, minFiles: 64 },
      r => {
        fellBack = r;
      },
    );
    assert.strictEqual(fellBack, '');
    assert.deepStrictEqual(withoutTimes(threads), withoutTimes(one));
    assert.ok(one.some(r => r.findings.length > 0));
    assert.strictEqual(one[one.length - 1].unreadable, true);
  });

  it('falls back to one thread when the worker script cannot run', async () => {
    const list = all.slice(0, 80);
    const one = await lintFiles(list, {});
    let fellBack = '';
    const r = await lintFiles(
      list,
      {},
      { workerScript: path.join(fixtures, 'no-such-worker.js'), threads: 2, minFiles: 64 },
      x => {
        fellBack = x;
      },
    );
    assert.notStrictEqual(fellBack, '');
    assert.deepStrictEqual(withoutTimes(r), withoutTimes(one));
  });
});
