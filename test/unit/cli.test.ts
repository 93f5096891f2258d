import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { main } from '../../src/cli';
import { tempWorkspace, writeRunLog } from './helpers';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(args, s => { out += s; }, s => { err += s; });
  return { code, out, err };
}

describe('mlsight CLI', () => {
  it('--version prints the package version', async () => {
    const r = await cli(['--version']);
    assert.strictEqual(r.code, 0);
    assert.match(r.out.trim(), /^\d+\.\d+\.\d+/);
  });

  it('store info --format json describes a new store', async () => {
    const ws = tempWorkspace();
    writeRunLog(ws, 'r1', [{ type: 'run', run_id: 'r1', experiment: 'e' }, { type: 'end', status: 'FAILED' }]);
    const r = await cli(['store', 'info', ws, '--format', 'json']);
    assert.strictEqual(r.code, 0, r.err);
    const info = JSON.parse(r.out);
    assert.strictEqual(info.path, path.join(ws, '.mlsight', 'mlsight.db'));
    assert.strictEqual(info.schemaVersion, info.expectedSchemaVersion);
    assert.strictEqual(info.counts.runs, 1);
    assert.strictEqual(info.exists, true);
  });

  it('runs --format json lists experiments and runs', async () => {
    const ws = tempWorkspace();
    writeRunLog(ws, 'r1', [{ type: 'run', run_id: 'r1', experiment: 'exp', name: 'one' }]);
    const r = await cli(['runs', ws, '--format=json']);
    assert.strictEqual(r.code, 0, r.err);
    const data = JSON.parse(r.out);
    assert.deepStrictEqual(data.experiments.map((e: { name: string; runs: { name: string; status: string }[] }) => [e.name, e.runs.map(x => [x.name, x.status])]), [['exp', [['one', 'RUNNING']]]]);
  });

  it('rejects unknown commands and options with exit code 2 and usage', async () => {
    const a = await cli(['frobnicate']);
    assert.strictEqual(a.code, 2);
    assert.match(a.err, /unknown command/);
    const b = await cli(['store', 'info', '--format', 'xml']);
    assert.strictEqual(b.code, 2);
    assert.match(b.err, /--format must be json or text/);
  });

  it('the bundled dist/cli.js runs as a program', () => {
    const bundle = path.join(__dirname, '..', '..', 'cli.js');
    const r = spawnSync(process.execPath, [bundle, '--version'], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+$/);
  });
});
