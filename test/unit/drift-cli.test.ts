import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../../src/cli';
import { parseDriftArgs } from '../../src/cliDrift';
import { tempWorkspace } from './helpers';

const ROOT = path.join(__dirname, '..', '..', '..');
const FIX = path.join(ROOT, 'test', 'fixtures', 'drift');
const fx = (n: string) => path.join(FIX, n);

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '',
    err = '';
  const code = await main(
    args,
    s => {
      out += s;
    },
    s => {
      err += s;
    },
  );
  return { code, out, err };
}

describe('mlsight drift (CLI)', () => {
  it("--format json prints every column with the issue's fields, and exits 3 when retraining is recommended", async () => {
    const r = await cli([
      'drift',
      fx('reference.csv'),
      fx('current.csv'),
      '--target',
      'target',
      '--prediction',
      'prediction',
      '--time',
      'timestamp',
      '--format',
      'json',
    ]);
    assert.strictEqual(r.code, 3, r.err);
    const j = JSON.parse(r.out);
    assert.strictEqual(j.schema, 'mlsight.drift/1');
    const age = j.columns.find((c: { name: string }) => c.name === 'age');
    for (const k of [
      'name',
      'type',
      'n_ref',
      'n_cur',
      'missing',
      'method',
      'statistic',
      'drifted',
      'ks',
      'psi',
      'wasserstein_norm',
      'jensenshannon',
    ]) {
      assert.ok(k in age, k);
    }
    const rating = j.columns.find((c: { name: string }) => c.name === 'rating');
    assert.ok('chisquare' in rating && 'pvalue' in rating.chisquare);
    assert.ok(j.columns.some((c: { name: string }) => c.name === '<img src=x onerror=alert(1)>'));
    assert.strictEqual(j.verdict.retrain, true);
    assert.strictEqual(j.dataset_drift.n_columns, 10);
    assert.ok(j.over_time.performance.metrics.some((m: { metric: string }) => m.metric === 'f1'));
  });

  it('exit codes follow --fail-on; identical files exit 0', async () => {
    const args = [
      'drift',
      fx('reference.csv'),
      fx('current.csv'),
      '--target',
      'target',
      '--prediction',
      'prediction',
      '--time',
      'timestamp',
      '--format',
      'json',
    ];
    assert.strictEqual((await cli([...args, '--fail-on', 'never'])).code, 0);
    assert.strictEqual((await cli([...args, '--fail-on', 'dataset'])).code, 3);
    assert.strictEqual((await cli([...args, '--drift-share', '0.9', '--fail-on', 'dataset'])).code, 0);
    assert.strictEqual((await cli([...args, '--drift-share', '0.9', '--fail-on', 'any'])).code, 3);
    assert.strictEqual((await cli(['drift', fx('small_reference.csv'), fx('small_reference.csv')])).code, 0);
  });

  it('text output: a table, the dataset line, the verdict and its reasons', async () => {
    const r = await cli(['drift', fx('small_reference.csv'), fx('small_current.csv')]);
    assert.strictEqual(r.code, 0, 'some columns drifted, but not the dataset: keep monitoring');
    assert.match(r.out, /^column\s+role\s+type\s+method\s+statistic\s+p-value\s+threshold\s+drifted$/m);
    assert.match(r.out, /^x\s+feature\s+numerical\s+ks\s+\S+\s+\S+\s+0\.05\s+DRIFT$/m);
    assert.match(r.out, /Dataset drift: 2 of 6 columns drifted/);
    assert.match(r.out, /Verdict: MONITOR — Some drift: keep monitoring/);
  });

  it('--threshold, --method, --categorical and --columns reach the report', async () => {
    const r = await cli([
      'drift',
      fx('small_reference.csv'),
      fx('small_current.csv'),
      '--format',
      'json',
      '--threshold',
      'pvalue=0.01',
      '--threshold',
      'psi=0.3',
      '--method',
      'k=psi',
      '--categorical',
      'k',
      '--columns',
      'x,k,grade',
    ]);
    const j = JSON.parse(r.out);
    assert.deepStrictEqual(
      j.columns.map((c: { name: string }) => c.name),
      ['x', 'k', 'grade'],
    );
    const k = j.columns.find((c: { name: string }) => c.name === 'k');
    assert.deepStrictEqual([k.type, k.method, k.threshold], ['categorical', 'psi', 0.3]);
    assert.strictEqual(j.columns[0].threshold, 0.01);
    assert.strictEqual(j.settings.thresholds.chisquare, 0.01);
  });

  it('writes --html and --csv files', async () => {
    const dir = tempWorkspace();
    const html = path.join(dir, 'r.html');
    const csv = path.join(dir, 'r.csv');
    await cli(['drift', fx('small_reference.csv'), fx('small_current.csv'), '--html', html, '--csv', csv]);
    assert.match(fs.readFileSync(html, 'utf8'), /<h1>Drift report<\/h1>/);
    assert.match(fs.readFileSync(csv, 'utf8'), /^column,role,type,method,statistic,p_value/);
  });

  it('usage errors exit 2, unreadable data exits 1 with the line', async () => {
    for (const args of [
      ['drift'],
      ['drift', 'a.csv'],
      ['drift', 'a', 'b', '--threshold', 'psi'],
      ['drift', 'a', 'b', '--threshold', 'nope=1'],
      ['drift', 'a', 'b', '--format', 'xml'],
      ['drift', 'a', 'b', '--chunks', '0'],
      ['drift', 'a', 'b', '--bogus'],
    ]) {
      const r = await cli(args);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, /usage: mlsight drift/);
    }
    const dir = tempWorkspace();
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'a,b\n1,2\n3\n');
    const r = await cli(['drift', bad, fx('small_current.csv')]);
    assert.strictEqual(r.code, 1);
    assert.match(r.err, /bad\.csv, line 3: expected 2 fields/);
    const missing = await cli(['drift', path.join(dir, 'nope.csv'), bad]);
    assert.strictEqual(missing.code, 1);
    assert.match(missing.err, /does not exist/);
  });

  it('parses --name=value forms and METHOD aliases', () => {
    const p = parseDriftArgs([
      'r.csv',
      'c.csv',
      '--target=y',
      '--threshold=js=0.2',
      '--method',
      'a=b=chi2',
      '--period=week',
      '--max-rows=10',
    ]);
    assert.strictEqual(p.options.target, 'y');
    assert.deepStrictEqual(p.options.thresholds, { jensenshannon: 0.2 });
    assert.deepStrictEqual(p.options.methods, { 'a=b': 'chisquare' });
    assert.strictEqual(p.options.period, 'week');
    assert.strictEqual(p.options.maxRows, 10);
  });

  it('the built dist/cli.js exits 3 on drift and 0 with --fail-on never (a real process)', function () {
    const bin = path.join(ROOT, 'dist', 'cli.js');
    if (!fs.existsSync(bin)) {
      this.skip();
    }
    const run = (extra: string[]) =>
      spawnSync(
        process.execPath,
        [
          bin,
          'drift',
          fx('reg_reference.csv'),
          fx('reg_current.csv'),
          '--target',
          'y',
          '--prediction',
          'y_pred',
          ...extra,
        ],
        { encoding: 'utf8' },
      );
    const a = run([]);
    assert.strictEqual(a.status, 3, a.stderr);
    assert.match(a.stdout, /Verdict: RETRAIN/);
    assert.strictEqual(run(['--fail-on', 'never']).status, 0);
  });
});
