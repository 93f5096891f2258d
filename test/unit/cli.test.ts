import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../../src/cli';
import { tempWorkspace, writeRunLog } from './helpers';

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

describe('mlsight CLI', () => {
  it('--version prints the package version', async () => {
    const r = await cli(['--version']);
    assert.strictEqual(r.code, 0);
    assert.match(r.out.trim(), /^\d+\.\d+\.\d+/);
  });

  it('store info --format json describes a new store', async () => {
    const ws = tempWorkspace();
    writeRunLog(ws, 'r1', [
      { type: 'run', run_id: 'r1', experiment: 'e' },
      { type: 'end', status: 'FAILED' },
    ]);
    const r = await cli(['store', 'info', ws, '--format', 'json']);
    assert.strictEqual(r.code, 0, r.err);
    const info = JSON.parse(r.out);
    assert.strictEqual(info.path, path.join(ws, '.mlsight', 'mlsight.db'));
    assert.strictEqual(info.schemaVersion, info.expectedSchemaVersion);
    assert.strictEqual(info.counts.runs, 1);
    assert.strictEqual(info.exists, true);
  });

  it('runs --format json lists runs of every source with params, latest metrics (non-finite as strings), tags, git', async () => {
    const ws = tempWorkspace();
    writeRunLog(ws, 'r1', [
      { type: 'run', run_id: 'r1', experiment: 'exp', name: 'one' },
      { type: 'param', key: 'lr', value: 0.1 },
      { type: 'metric', key: 'loss', value: 'Infinity', step: 1 },
      { type: 'metric', key: 'acc', value: 'NaN', step: 1 },
      { type: 'git', commit: 'abc1234', dirty: true },
    ]);
    const exp = path.join(ws, 'mlruns', '123456789012345678');
    fs.mkdirSync(path.join(exp, 'run1', 'metrics'), { recursive: true });
    fs.mkdirSync(path.join(exp, 'run1', 'params'), { recursive: true });
    fs.mkdirSync(path.join(exp, 'run1', 'tags'), { recursive: true });
    fs.writeFileSync(
      path.join(exp, 'meta.yaml'),
      "artifact_location: mlruns/123456789012345678\nexperiment_id: '123456789012345678'\nlifecycle_stage: active\nname: mlflow-exp\n",
    );
    fs.writeFileSync(
      path.join(exp, 'run1', 'meta.yaml'),
      "artifact_uri: x\nend_time: 2000\nexperiment_id: '123456789012345678'\nlifecycle_stage: active\nrun_id: run1\nrun_uuid: run1\nsource_type: 4\nstart_time: 1000\nstatus: 3\nuser_id: me\n",
    );
    fs.writeFileSync(path.join(exp, 'run1', 'metrics', 'rmse'), '1000 0.5 0\n1001 0.25 1\n');
    fs.writeFileSync(path.join(exp, 'run1', 'params', 'alpha'), '0.3');
    fs.writeFileSync(path.join(exp, 'run1', 'tags', 'mlflow.runName'), 'from-mlflow');
    const r = await cli(['runs', ws, '--format=json']);
    assert.strictEqual(r.code, 0, r.err);
    const runs = JSON.parse(r.out).runs as {
      id: string;
      name: string;
      status: string;
      source: string;
      experimentId: string;
      params: object;
      metrics: object;
      git: object;
    }[];
    const mine = runs.find(x => x.id === 'r1')!;
    assert.deepStrictEqual([mine.name, mine.status, mine.source], ['one', 'RUNNING', 'mlsight']);
    assert.deepStrictEqual(mine.params, { lr: '0.1' });
    assert.deepStrictEqual(mine.metrics, { acc: 'nan', loss: 'inf' });
    assert.deepStrictEqual(mine.git, { commit: 'abc1234', branch: null, dirty: true });
    const ml = runs.find(x => x.source === 'mlflow')!;
    assert.ok(ml, JSON.stringify(runs));
    assert.strictEqual(ml.name, 'from-mlflow');
    assert.strictEqual(ml.status, 'FINISHED');
    assert.ok(ml.experimentId.endsWith(':123456789012345678'), 'the 18-digit id is kept verbatim');
    assert.deepStrictEqual(ml.metrics, { rmse: 0.25 });
    const table = await cli(['runs', ws, '--format', 'table']);
    assert.match(table.out, /^experiment\s+name\s+status\s+source/);
    assert.match(table.out, /from-mlflow\s+FINISHED\s+mlflow/);
  });

  it('rejects unknown commands and options with exit code 2 and usage', async () => {
    const a = await cli(['frobnicate']);
    assert.strictEqual(a.code, 2);
    assert.match(a.err, /unknown command/);
    const b = await cli(['store', 'info', '--format', 'xml']);
    assert.strictEqual(b.code, 2);
    assert.match(b.err, /--format must be json, text or table/);
  });

  it('the bundled dist/cli.js runs as a program', () => {
    const bundle = path.join(__dirname, '..', '..', 'cli.js');
    const r = spawnSync(process.execPath, [bundle, '--version'], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+$/);
  });
});

describe('mlsight lint', () => {
  const fixtures = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'leakage');
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

  it('reports findings as a JSON array with 1-based lines (cells for notebooks) and exits 1', async () => {
    const r = await cli(['lint', fixtures, '--format', 'json']);
    assert.strictEqual(r.code, 1, r.err);
    const data = JSON.parse(r.out) as {
      file: string;
      rule: string;
      line: number;
      column: number;
      endLine: number;
      endColumn: number;
      severity: string;
      message: string;
      cell?: number;
    }[];
    assert.ok(Array.isArray(data));
    const py = data.filter(f => f.file.endsWith('leaky_train.py'));
    assert.deepStrictEqual(py.map(f => [f.rule, f.line]).sort(), [
      ['missing-random-state', 12],
      ['missing-stratify', 12],
      ['no-baseline', 13],
      ['preprocessing-before-split', 11],
    ]);
    const pre = py.find(f => f.rule === 'preprocessing-before-split')!;
    assert.deepStrictEqual([pre.column, pre.severity], [12, 'warning']);
    assert.ok(pre.endLine >= pre.line && pre.endColumn > 0 && pre.message.length > 20);
    const over = data.find(f => f.rule === 'oversampling-before-split')!;
    assert.strictEqual(over.cell, 2);
    assert.strictEqual(over.line, 9, 'line 9 of the joined code cells');
    assert.strictEqual(data.length, 6);
  });

  it('--format sarif writes a SARIF 2.1.0 log', async () => {
    const r = await cli(['lint', fixtures, '--format', 'sarif', '--fail-on', 'never']);
    assert.strictEqual(r.code, 0);
    const sarif = JSON.parse(r.out);
    assert.strictEqual(sarif.version, '2.1.0');
    const run = sarif.runs[0];
    assert.strictEqual(run.tool.driver.name, 'ML Sight');
    assert.ok(run.tool.driver.rules.some((x: { id: string }) => x.id === 'missing-stratify'));
    assert.strictEqual(run.results.length, 6);
    const res = run.results.find((x: { ruleId: string }) => x.ruleId === 'preprocessing-before-split');
    assert.strictEqual(res.level, 'warning');
    assert.strictEqual(res.locations[0].physicalLocation.region.startLine, 11);
  });

  it('--rule turns rules off, --fail-on changes the exit code, bad options are usage errors', async () => {
    const file = path.join(fixtures, 'leaky_train.py');
    const quiet = await cli([
      'lint',
      file,
      '--rule',
      'preprocessing-before-split=off',
      '--rule',
      'missing-stratify=off',
      '--fail-on',
      'warning',
    ]);
    assert.strictEqual(quiet.code, 0, quiet.out);
    assert.strictEqual((await cli(['lint', file])).code, 1);
    assert.match(quiet.out, /1 file, 2 findings \(0 errors, 0 warnings, 2 infos\)/);
    assert.strictEqual((await cli(['lint', file, '--fail-on', 'never'])).code, 0);
    assert.strictEqual((await cli(['lint', file, '--rule', 'nope=off'])).code, 2);
    assert.strictEqual((await cli(['lint', path.join(fixtures, 'missing.py')])).code, 2);
  });

  it('a clean file exits 0; a syntax-error file is still analysed', async () => {
    const ws = tempWorkspace();
    fs.writeFileSync(path.join(ws, 'ok.py'), 'print("hello")\n');
    fs.writeFileSync(path.join(ws, 'broken.py'), 'def f(:\n  return\nX_train, X_test = train_test_split(X)\n');
    const r = await cli(['lint', ws]);
    assert.strictEqual(r.code, 0, r.out);
    assert.match(r.out, /2 files/);
  });
});
