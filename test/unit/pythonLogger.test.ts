import * as assert from 'assert';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { WorkspaceStore } from '../../src/core/store/store';
import { experimentIdFor, ingestMlsightRuns, listRunLogs } from '../../src/core/ingest/mlsightRunLog';
import { Logger, silentLogger } from '../../src/core/log';
import { getRun, listRuns, metricHistory, RunDetail } from '../../src/core/queries';
import { loadHistories, planHistories } from '../../src/core/runs/history';
import { tempWorkspace, writeRunLog } from './helpers';
import { validateEvent } from '../../src/core/runs/format';

// Runs real Python scripts that log with python/mlsight.py, then ingests what they wrote.
// dist/test/unit → the repository root.
const REPO = path.resolve(__dirname, '..', '..', '..');
const PYTHON_DIR = path.join(REPO, 'python');
const PYTHON = process.env.MLSIGHT_TEST_PYTHON || 'python3';

function has(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

function pyEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONPATH: PYTHON_DIR,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    ...extra,
  };
  delete env.MLSIGHT_WORKSPACE; // the logger must find the workspace itself (.git / .mlsight / cwd)
  delete env.MLSIGHT_EXPERIMENT;
  return env;
}

function runPython(ws: string, script: string): { status: number | null; stdout: string; stderr: string } {
  fs.writeFileSync(path.join(ws, 'script.py'), script);
  const r = spawnSync(PYTHON, ['script.py'], { cwd: ws, env: pyEnv(), encoding: 'utf8', timeout: 60000 });
  if (r.error) {
    throw r.error;
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function git(ws: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
    cwd: ws,
    encoding: 'utf8',
  });
  assert.strictEqual(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { ...silentLogger, lines, warn: m => lines.push(m), error: m => lines.push(m) };
}

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

async function ingestOnly(
  ws: string,
): Promise<{ store: WorkspaceStore; run: RunDetail; runDir: string; warnings: string[] }> {
  const store = await WorkspaceStore.open({ folder: ws, persistDelayMs: 0 });
  const log = recordingLogger();
  const res = await ingestMlsightRuns(store, log);
  assert.strictEqual(res.errors, 0, `every line the logger writes is valid: ${log.lines.join('\n')}`);
  const files = await listRunLogs(ws);
  assert.strictEqual(files.length, 1, 'one run');
  const runId = path.basename(path.dirname(files[0]));
  const run = store.read(db => getRun(db, runId));
  assert.ok(run, `run ${runId} is in the store`);
  return { store, run: run, runDir: path.dirname(files[0]), warnings: log.lines };
}

function waitForLine(child: ChildProcess, text: string, timeoutMs = 30000): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for "${text}"; stdout: ${out}; stderr: ${err}`)),
      timeoutMs,
    );
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', code => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before "${text}"; stderr: ${err}`));
    });
  });
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });

describe('Python logger (python/mlsight.py) ingested into the store', function () {
  this.timeout(120000);
  const hasPython = has(PYTHON, ['-c', 'import sys; assert sys.version_info >= (3, 8)']);
  const hasGit = has('git', ['--version']);

  before(function () {
    if (!hasPython) {
      console.log(`    SKIPPED: ${PYTHON} (>= 3.8) was not found on PATH, so the Python logger cannot be exercised.`);
      this.skip();
    }
  });

  it('a training script logs params, metrics with NaN/inf, tags, seed, environment, git, dataset, artifacts, model and feature importance', async function () {
    const ws = tempWorkspace('mlsight-pylog-');
    fs.writeFileSync(path.join(ws, 'iris.csv'), 'sepal length,species\n5.1,setosa\n4.9,setosa\n6.2,virginica\n');
    fs.writeFileSync(path.join(ws, 'README.md'), '# demo\n');
    let head: string | undefined;
    if (hasGit) {
      git(ws, 'init', '-q', '-b', 'main');
      git(ws, 'add', 'README.md', 'iris.csv');
      git(ws, 'commit', '-q', '-m', 'init');
      head = git(ws, 'rev-parse', 'HEAD');
      fs.appendFileSync(path.join(ws, 'README.md'), 'uncommitted change\n'); // dirty tracked file
    } else {
      fs.mkdirSync(path.join(ws, '.mlsight'));
      console.log('    (git not found: the git part of this test is skipped)');
    }
    const r = runPython(
      ws,
      `
import math, mlsight
mlsight.set_seed(42)
with mlsight.start_run(experiment="iris", name="<script>alert(1)</script> \\"svc\\"", tags={"team": "ml"},
                       description="first try") as run:
    run.log_params({"lr": 0.01, "epochs": 3, "kernel": "rbf", "layers": {"a": [1, 2]}})
    for step, v in enumerate([float("nan"), math.inf, 0.25]):
        run.log_metric("loss", v, step=step)
    mlsight.log_metric("neg", -math.inf)
    run.log_metrics({"val/acc": 0.9}, step=2)
    run.set_tag("stage", "dev")
    run.log_dataset("iris", "iris.csv", role="train")
    run.log_artifact("iris.csv")
    run.log_model({"weights": [0.1, 0.2]}, name="clf")
    run.log_feature_importance(["sepal length", "<b>x</b>"], [0.6, float("nan")])
    print("run_id", run.run_id)
`,
    );
    assert.strictEqual(r.status, 0, r.stderr);
    const { store, run, runDir } = await ingestOnly(ws);
    try {
      assert.strictEqual(run.name, '<script>alert(1)</script> "svc"');
      assert.strictEqual(run.description, 'first try');
      assert.strictEqual(run.experimentId, experimentIdFor('iris'));
      assert.strictEqual(run.status, 'FINISHED');
      assert.ok(run.startTime && run.endTime && run.endTime >= run.startTime);
      assert.deepStrictEqual(run.params, { epochs: '3', kernel: 'rbf', layers: '{"a":[1,2]}', lr: '0.01' });
      // metrics: NaN / inf stored and read back
      const loss = store.read(db => metricHistory(db, run.id, 'loss'));
      assert.deepStrictEqual(
        loss.map(p => p.step),
        [0, 1, 2],
      );
      assert.ok(Number.isNaN(loss[0].value));
      assert.strictEqual(loss[1].value, Infinity);
      assert.strictEqual(run.latestMetrics.loss.value, 0.25);
      assert.strictEqual(run.latestMetrics.neg.value, -Infinity);
      assert.strictEqual(run.latestMetrics['val/acc'].value, 0.9);
      // feature importance as metrics
      assert.strictEqual(run.latestMetrics['feature_importance/sepal length'].value, 0.6);
      assert.ok(Number.isNaN(run.latestMetrics['feature_importance/<b>x</b>'].value));
      // tags: the user's and the captured environment
      assert.strictEqual(run.tags.team, 'ml');
      assert.strictEqual(run.tags.stage, 'dev');
      assert.match(run.tags['mlsight.python'], /^3\.\d+\.\d+/);
      assert.ok(run.tags['mlsight.platform'].length > 0);
      assert.match(run.tags['mlsight.command'], /script\.py/);
      assert.strictEqual(fs.realpathSync(run.tags['mlsight.script']), fs.realpathSync(path.join(ws, 'script.py')));
      assert.strictEqual(run.tags['mlsight.seed'], '42');
      assert.match(run.tags['mlsight.seed.libraries'], /^random/);
      assert.strictEqual(run.tags['mlsight.model.clf'], 'artifacts/models/clf/model.pkl');
      assert.strictEqual(run.tags['mlsight.model.clf.class'], 'builtins.dict');
      // dataset: the digest is the sha256 of the file's bytes, so the extension can re-check it
      assert.deepStrictEqual(run.datasets, [
        { name: 'iris', role: 'train', digest: `sha256:${sha256(path.join(ws, 'iris.csv'))}`, rows: 3 },
      ]);
      const schema = JSON.parse(
        store.read(db => db.scalar('SELECT schema_json FROM datasets WHERE run_id = ?', [run.id])) as string,
      );
      assert.deepStrictEqual(schema.columns, [
        { name: 'sepal length', dtype: 'float64' },
        { name: 'species', dtype: 'object' },
      ]);
      // artifacts: files in the run folder with the recorded hashes
      const arts = store.read(db =>
        db.all<{ path: string; kind: string; size: number; sha256: string }>(
          'SELECT path, kind, size, sha256 FROM artifacts WHERE run_id = ? ORDER BY path',
          [run.id],
        ),
      );
      const byPath = Object.fromEntries(arts.map(a => [a.path, a]));
      for (const [p, kind] of [
        ['artifacts/iris.csv', 'file'],
        ['artifacts/models/clf/model.pkl', 'model'],
        ['requirements.txt', 'requirements'],
      ]) {
        assert.ok(byPath[p], `artifact ${p} recorded (have ${Object.keys(byPath).join(', ')})`);
        assert.strictEqual(byPath[p].kind, kind);
        const file = path.join(runDir, p);
        assert.strictEqual(byPath[p].sha256, sha256(file), `${p} hash`);
        assert.strictEqual(byPath[p].size, fs.statSync(file).size, `${p} size`);
      }
      assert.match(fs.readFileSync(path.join(runDir, 'requirements.txt'), 'utf8'), /^[A-Za-z0-9_.-]+==\S+$/m);
      if (hasGit) {
        assert.strictEqual(run.gitCommit, head);
        assert.strictEqual(run.gitBranch, 'main');
        assert.strictEqual(run.gitDirty, true);
        assert.strictEqual(fs.realpathSync(run.tags['mlsight.git.root']), fs.realpathSync(ws));
        assert.strictEqual(byPath['git.diff']?.kind, 'git_diff');
        assert.match(fs.readFileSync(path.join(runDir, 'git.diff'), 'utf8'), /\+uncommitted change/);
      }
    } finally {
      await store.close();
    }
  });

  it('a script that raises ends FAILED with the error and traceback as tags', async () => {
    const ws = tempWorkspace('mlsight-pylog-');
    fs.mkdirSync(path.join(ws, '.mlsight'));
    const r = runPython(
      ws,
      `
import mlsight
with mlsight.start_run(experiment="crash"):
    mlsight.log_metric("loss", 1.0)
    1 / 0
`,
    );
    assert.notStrictEqual(r.status, 0);
    assert.match(r.stderr, /ZeroDivisionError/);
    const { store, run } = await ingestOnly(ws);
    try {
      assert.strictEqual(run.status, 'FAILED');
      assert.match(run.tags['mlsight.error'], /^ZeroDivisionError: division by zero/);
      assert.match(
        run.tags['mlsight.traceback'],
        /Traceback \(most recent call last\)[\s\S]*1 \/ 0[\s\S]*ZeroDivisionError/,
      );
      assert.strictEqual(run.gitCommit, null, 'no git repository: no git info, and no failure because of it');
      assert.strictEqual(run.latestMetrics.loss.value, 1);
    } finally {
      await store.close();
    }
  });

  it('a running run is ingested live as RUNNING, and SIGTERM ends it KILLED', async function () {
    if (process.platform === 'win32') {
      this.skip();
    }
    const ws = tempWorkspace('mlsight-pylog-');
    fs.mkdirSync(path.join(ws, '.mlsight'));
    fs.writeFileSync(
      path.join(ws, 'script.py'),
      `
import time, mlsight
with mlsight.start_run(experiment="live", name="sweep-1"):
    for i in range(3):
        mlsight.log_metric("loss", 1.0 / (i + 1), step=i)
    print("ready", flush=True)
    while True:
        time.sleep(0.05)
`,
    );
    const child = spawn(PYTHON, ['script.py'], { cwd: ws, env: pyEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await waitForLine(child, 'ready');
      const live = await ingestOnly(ws);
      try {
        assert.strictEqual(live.run.status, 'RUNNING');
        assert.strictEqual(live.run.latestMetrics.loss.step, 2);
        child.kill('SIGTERM');
        const ex = await exited(child);
        assert.strictEqual(
          ex.signal,
          'SIGTERM',
          'the process still dies of SIGTERM (the handler chains to the default)',
        );
        await ingestMlsightRuns(live.store, silentLogger); // incremental: only the end line is new
        const run = live.store.read(db => getRun(db, live.run.id))!;
        assert.strictEqual(run.status, 'KILLED');
        assert.strictEqual(run.tags['mlsight.signal'], 'SIGTERM');
        assert.ok(run.endTime);
        assert.strictEqual(live.store.read(db => listRuns(db, experimentIdFor('live'))).length, 1);
        assert.strictEqual(
          live.store.read(db => metricHistory(db, live.run.id, 'loss')).length,
          3,
          'no duplicates after re-ingest',
        );
      } finally {
        await live.store.close();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
    }
  });
});

describe('Run-log events written by the Python logger (no Python needed)', () => {
  it('validates env, seed, model and feature_importance events', () => {
    assert.strictEqual(validateEvent({ type: 'env', python: '3.11.7', anything: { nested: true } }), undefined);
    assert.strictEqual(validateEvent({ type: 'seed', seed: 42, libraries: ['random'] }), undefined);
    assert.match(validateEvent({ type: 'seed', seed: '42' })!, /seed is not an integer/);
    assert.match(validateEvent({ type: 'seed', seed: 1.5 })!, /seed is not an integer/);
    assert.strictEqual(validateEvent({ type: 'model', name: 'm', path: 'artifacts/models/m/model.pkl' }), undefined);
    assert.match(validateEvent({ type: 'model', name: 'm' })!, /has no path/);
    assert.match(validateEvent({ type: 'model', path: 'x' })!, /without name/);
    assert.strictEqual(
      validateEvent({ type: 'feature_importance', names: ['a', 'b'], values: [0.5, 'NaN'], step: 0 }),
      undefined,
    );
    assert.match(validateEvent({ type: 'feature_importance', names: ['a'], values: [1, 2] })!, /same length/);
    assert.match(validateEvent({ type: 'feature_importance', names: ['a'], values: ['high'] })!, /entry 0/);
    assert.match(validateEvent({ type: 'feature_importance', names: [''], values: [1] })!, /entry 0/);
    assert.match(validateEvent({ type: 'feature_importance', names: ['a'], values: [1], step: 0.5 })!, /step/);
  });

  it('stores them in the existing tables: tags mlsight.*, model artifacts, feature_importance/<name> metrics', async () => {
    const ws = tempWorkspace();
    writeRunLog(ws, 'r1', [
      { type: 'run', run_id: 'r1', experiment: 'e', ts: 1000, start_time: 1000, format: 1 },
      {
        type: 'env',
        ts: 1001,
        python: '3.8.18',
        platform: 'Linux-x',
        command: 'python train.py --lr 0.1',
        pid: 77,
        script: null,
      },
      { type: 'seed', seed: 7, libraries: ['random', 'numpy'], deterministic: true, pythonhashseed: null },
      {
        type: 'model',
        name: 'svc',
        path: 'artifacts/models/svc/model.pkl',
        size: 10,
        sha256: 'ab',
        format: 'pickle',
        class: 'sklearn.svm.SVC',
      },
      { type: 'feature_importance', ts: 1002, names: ['x', 'y'], values: [0.25, 'NaN'], step: 0 },
      { type: 'feature_importance', ts: 1003, names: ['x'], values: [0.5], step: 1 },
      { type: 'end', status: 'FAILED', end_time: 2000, error: 'ValueError: bad', traceback: 'Traceback…' },
    ]);
    const store = await WorkspaceStore.open({ folder: ws });
    try {
      const log = recordingLogger();
      const r = await ingestMlsightRuns(store, log);
      assert.deepStrictEqual([r.errors, log.lines], [0, []]);
      const run = store.read(db => getRun(db, 'r1'))!;
      assert.strictEqual(run.status, 'FAILED');
      assert.deepStrictEqual(run.tags, {
        'mlsight.command': 'python train.py --lr 0.1',
        'mlsight.error': 'ValueError: bad',
        'mlsight.pid': '77',
        'mlsight.platform': 'Linux-x',
        'mlsight.python': '3.8.18',
        'mlsight.model.svc': 'artifacts/models/svc/model.pkl',
        'mlsight.model.svc.class': 'sklearn.svm.SVC',
        'mlsight.seed': '7',
        'mlsight.seed.deterministic': 'true',
        'mlsight.seed.libraries': 'random,numpy',
        'mlsight.traceback': 'Traceback…',
      });
      assert.deepStrictEqual(run.artifacts, [{ path: 'artifacts/models/svc/model.pkl', kind: 'model', size: 10 }]);
      assert.deepStrictEqual(
        store.read(db => metricHistory(db, 'r1', 'feature_importance/x')).map(p => [p.step, p.value]),
        [
          [0, 0.25],
          [1, 0.5],
        ],
      );
      const wanted = [{ runId: 'r1', key: 'feature_importance/x' }];
      const full = (
        await loadHistories(
          store.read(db => planHistories(db, store.folder, wanted)),
          wanted,
        )
      )
        .get('r1')!
        .get('feature_importance/x')!;
      assert.deepStrictEqual(
        [full.complete, full.points.map(p => [p.step, p.value, p.timestamp])],
        [
          true,
          [
            [0, 0.25, 1002],
            [1, 0.5, 1003],
          ],
        ],
      );
      assert.ok(Number.isNaN(run.latestMetrics['feature_importance/y'].value));
    } finally {
      await store.close();
    }
  });
});
