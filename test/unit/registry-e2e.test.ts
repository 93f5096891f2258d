// End to end with the real Python logger and real scikit-learn training scripts: each defect of issue 14 as a
// regression test through the CLI (`mlsight registry …`, `mlsight runs`).
import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { judgeLiveness } from '../../src/core/runs/liveness';
import { cli, sleep, tempWorkspace } from './helpers';

const REPO = path.resolve(__dirname, '..', '..', '..');
const PYTHON = process.env.MLSIGHT_TEST_PYTHON || '/usr/bin/python3';
const hasSklearn = spawnSync(PYTHON, ['-c', 'import sklearn, numpy'], { encoding: 'utf8' }).status === 0;

function pyEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PYTHONPATH: path.join(REPO, 'python'),
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    MLSIGHT_WORKSPACE: '',
    ...extra,
  };
}

/** A scikit-learn training script: iris, a seeded split, logs the test set, accuracy and the model. */
const TRAIN = `
import sys, mlsight
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
C = float(sys.argv[1]); mode = sys.argv[2]
X, y = load_iris(return_X_y=True)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.4, random_state=0)
mlsight.set_seed(0)
with mlsight.start_run(experiment="iris", name="C=%s-%s" % (C, mode)) as run:
    clf = LogisticRegression(C=C, max_iter=500).fit(Xtr, ytr)
    run.log_param("C", C)
    run.log_metric("val/accuracy", float(clf.score(Xte, yte)))
    run.log_model(clf, name="clf")
    print(run.run_id, flush=True)
    if mode == "crash":
        raise RuntimeError("diverged after saving the model")
`;

function train(ws: string, c: number, mode: 'ok' | 'crash'): string {
  const r = spawnSync(PYTHON, ['train.py', String(c), mode], {
    cwd: ws,
    env: pyEnv(),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (mode === 'ok') {
    assert.strictEqual(r.status, 0, r.stderr);
  } else {
    assert.notStrictEqual(r.status, 0);
  }
  return r.stdout.trim().split('\n')[0];
}

function gitInit(ws: string): void {
  for (const args of [
    ['init', '-q'],
    ['config', 'user.email', 't@example.com'],
    ['config', 'user.name', 'Tester'],
    ['add', '-A'],
    ['commit', '-qm', 'init'],
  ]) {
    const r = spawnSync('git', args, { cwd: ws, encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
  }
}

describe('issue 14 end to end: real Python logger, scikit-learn, CLI', function () {
  this.timeout(180_000);
  before(function () {
    if (!hasSklearn) {
      this.skip();
    }
  });

  it('defect 1: a model from a crashed (FAILED) run fails the gate with run-not-finished and exit 3; --override records it', async () => {
    const ws = tempWorkspace('mlsight-e2e-status-');
    fs.writeFileSync(path.join(ws, 'train.py'), TRAIN);
    const good = train(ws, 1.0, 'ok');
    const crashed = train(ws, 10.0, 'crash');
    const f = ['--folder', ws, '--format', 'json'];
    assert.strictEqual((await cli(['registry', 'register', 'iris', '--run', good, ...f])).code, 0);
    const reg = await cli(['registry', 'register', 'iris', '--run', crashed, ...f]);
    assert.strictEqual(reg.code, 0, reg.err);
    assert.strictEqual((await cli(['registry', 'config', 'iris', '--metric', 'val/accuracy', ...f])).code, 0);
    assert.strictEqual((await cli(['registry', 'promote', 'iris', '1', '--reason', 'first', ...f])).code, 0);
    const r = await cli(['registry', 'promote', 'iris', '2', '--reason', 'looks better', ...f]);
    assert.strictEqual(r.code, 3, r.out + r.err);
    assert.strictEqual(r.json.promoted, false);
    const failed = r.json.gate.failed.find((x: { code: string }) => x.code === 'run-not-finished');
    assert.ok(failed, JSON.stringify(r.json.gate.failed));
    assert.strictEqual(failed.check, 'run-status');
    assert.match(failed.detail, new RegExp(`${crashed}.*FAILED`));
    const o = await cli([
      'registry',
      'promote',
      'iris',
      '2',
      '--reason',
      'hotfix, the crash was in the report step',
      '--override',
      ...f,
    ]);
    assert.strictEqual(o.code, 0, o.err);
    assert.strictEqual(o.json.overridden, true);
    assert.ok(o.json.event.evidence.override.failedCodes.includes('run-not-finished'));
    assert.strictEqual(o.json.event.evidence.override.reason, 'hotfix, the crash was in the report step');
  });

  it('defect 5: SIGKILL leaves the log RUNNING; the CLI shows KILLED without touching the file; sys.exit(1) → FAILED, sys.exit(0) → FINISHED', async () => {
    const ws = tempWorkspace('mlsight-e2e-live-');
    fs.writeFileSync(
      path.join(ws, 'long.py'),
      'import time, mlsight\nmlsight.log_param("x", 1)\nprint(mlsight.active_run().run_id, flush=True)\ntime.sleep(60)\n',
    );
    fs.writeFileSync(
      path.join(ws, 'exit.py'),
      'import sys, mlsight\nmlsight.log_metric("m", 1.0)\nsys.exit(int(sys.argv[1]))\n',
    );
    const child = spawn(PYTHON, ['long.py'], { cwd: ws, env: pyEnv({ MLSIGHT_HEARTBEAT_S: '0.2' }) });
    const runId = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', d => resolve(String(d).trim()));
      child.once('exit', () => reject(new Error('the script ended early')));
    });
    const log = path.join(ws, '.mlsight', 'runs', runId, 'events.jsonl');
    await sleep(500);
    let r = await cli(['runs', ws, '--format', 'json']);
    assert.strictEqual(r.json.runs.find((x: { id: string }) => x.id === runId).status, 'RUNNING', 'alive: RUNNING');
    const heartbeat = JSON.parse(fs.readFileSync(path.join(path.dirname(log), 'heartbeat'), 'utf8'));
    assert.strictEqual(heartbeat.pid, child.pid);
    const exited = new Promise(res => child.once('exit', res));
    child.kill('SIGKILL');
    await exited;
    const before = fs.readFileSync(log);
    r = await cli(['runs', ws, '--format', 'json']);
    const run = r.json.runs.find((x: { id: string }) => x.id === runId);
    assert.strictEqual(run.status, 'KILLED');
    assert.match(run.statusNote, /process ended without closing the run/);
    assert.deepStrictEqual(fs.readFileSync(log), before, 'the run file is not rewritten');
    const table = await cli(['runs', ws]);
    assert.match(table.out, /KILLED\*/);
    assert.match(table.out, /process ended without closing the run/);
    for (const code of [1, 0]) {
      spawnSync(PYTHON, ['exit.py', String(code)], { cwd: ws, env: pyEnv(), encoding: 'utf8' });
    }
    r = await cli(['runs', ws, '--format', 'json']);
    const statuses = r.json.runs
      .filter((x: { id: string }) => x.id !== runId)
      .map((x: { status: string }) => x.status)
      .sort();
    assert.deepStrictEqual(statuses, ['FAILED', 'FINISHED']);
  });

  it('liveness: another host is judged by its heartbeat age and the configured timeout', () => {
    const env = { host: 'here', now: 1_000_000, timeoutMs: 60_000, pidAlive: () => true };
    assert.strictEqual(
      judgeLiveness({ status: 'RUNNING', host: 'there', pid: 5, lastSeenAt: 1_000_000 - 30_000 }, env).status,
      'RUNNING',
    );
    assert.strictEqual(
      judgeLiveness({ status: 'RUNNING', host: 'there', pid: 5, lastSeenAt: 1_000_000 - 61_000 }, env).status,
      'KILLED',
    );
    assert.strictEqual(
      judgeLiveness({ status: 'RUNNING', host: 'here', pid: 5, lastSeenAt: 0 }, env).status,
      'RUNNING',
      'same host: the pid decides',
    );
    assert.strictEqual(
      judgeLiveness({ status: 'RUNNING', host: 'here', pid: 5, lastSeenAt: 0 }, { ...env, pidAlive: () => false })
        .status,
      'KILLED',
    );
    assert.strictEqual(
      judgeLiveness({ status: 'RUNNING', host: null, pid: null, lastSeenAt: 0 }, env).status,
      'RUNNING',
      'nothing recorded: left alone',
    );
    assert.strictEqual(
      judgeLiveness({ status: 'FINISHED', host: 'here', pid: 5, lastSeenAt: 0 }, { ...env, pidAlive: () => false })
        .status,
      'FINISHED',
    );
  });
});

export { REPO, PYTHON, pyEnv, cli, gitInit, hasSklearn };

describe('issue 14 end to end: version-attributed A/B evidence', function () {
  this.timeout(180_000);
  before(function () {
    if (!hasSklearn) {
      this.skip();
    }
  });

  it('defect 2: outcomes of another canary version are excluded (count shown); promote reads .mlsight/ab/<model>.jsonl by default', async () => {
    const ws = tempWorkspace('mlsight-e2e-ab-');
    fs.writeFileSync(path.join(ws, 'train.py'), TRAIN);
    const runs = [train(ws, 0.05, 'ok'), train(ws, 1.0, 'ok'), train(ws, 5.0, 'ok')];
    const f = ['--folder', ws, '--format', 'json'];
    for (const run of runs) {
      assert.strictEqual((await cli(['registry', 'register', 'iris', '--run', run, ...f])).code, 0);
    }
    await cli(['registry', 'config', 'iris', '--metric', 'val/accuracy', ...f]);
    assert.strictEqual((await cli(['registry', 'promote', 'iris', '1', '--reason', 'first', ...f])).code, 0);
    // serving: route() returns the version it routed to, log_outcome() records it
    fs.writeFileSync(
      path.join(ws, 'serve.py'),
      `
import random, sys, mlsight
rng = random.Random(int(sys.argv[2]))
rates = {1: 0.10, 2: 0.30, 3: 0.10}
for i in range(int(sys.argv[1])):
    key = "u%d-%s" % (i, sys.argv[2])
    r = mlsight.route("iris", key)
    assert r in ("champion", "challenger") and r.version in rates, (r, r.version)
    mlsight.log_outcome("iris", key, variant=r, converted=int(rng.random() < rates[r.version]))
`,
    );
    const serve = (n: number, seed: number) => {
      const r = spawnSync(PYTHON, ['serve.py', String(n), String(seed)], { cwd: ws, env: pyEnv(), encoding: 'utf8' });
      assert.strictEqual(r.status, 0, r.stderr);
    };
    assert.strictEqual((await cli(['registry', 'canary', 'iris', '--version', '2', '--share', '0.5', ...f])).code, 0);
    serve(2000, 1); // v2 is much better than v1
    await sleep(5);
    assert.strictEqual((await cli(['registry', 'canary', 'iris', '--version', '3', '--share', '0.5', ...f])).code, 0);
    serve(600, 2); // v3 is no better than v1
    const lines = fs
      .readFileSync(path.join(ws, '.mlsight', 'ab', 'iris.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(l => JSON.parse(l));
    assert.ok(
      lines.every(l => Number.isInteger(l.version)),
      'every outcome records its version',
    );
    // v3 must not be promoted on v2's outcomes: no --outcomes, the model's own log is used
    const r = await cli([
      'registry',
      'promote',
      'iris',
      '3',
      '--reason',
      'the canary won',
      '--metric',
      'converted',
      ...f,
    ]);
    const ab = r.json.gate.checks.find((c: { id: string }) => c.id === 'ab');
    assert.strictEqual(
      r.json.ab.metrics[0].arms.reduce((s: number, a: { n: number }) => s + a.n, 0),
      600,
      'only the outcomes of v1 and v3 in the v3 window',
    );
    assert.strictEqual(
      r.json.abExcluded.count,
      2000,
      "v2's window: its challenger arm is another version, its champion arm is outside the window",
    );
    assert.ok(r.json.abExcluded.count >= 1000, JSON.stringify(r.json.abExcluded));
    assert.ok(r.json.abExcluded.otherVersion >= 900, 'v2 outcomes are other versions');
    assert.notStrictEqual(ab.code, 'ok', 'v3 did not win its own canary');
    assert.match(ab.detail, /Excluded \d+ outcomes: \d+ of other versions/);
    // older lines without a version are attributed by the canary window they fall in, and the analysis says so
    const legacy = lines.map(({ version: _v, ...rest }) => rest);
    fs.writeFileSync(
      path.join(ws, '.mlsight', 'ab', 'iris.jsonl'),
      legacy.map(l => JSON.stringify(l)).join('\n') + '\n',
    );
    const r2 = await cli([
      'registry',
      'promote',
      'iris',
      '2',
      '--reason',
      'v2 won its canary',
      '--metric',
      'converted',
      ...f,
    ]);
    assert.strictEqual(r2.json.abExcluded.attributedByWindow, 2000);
    assert.strictEqual(r2.json.abExcluded.outsideWindow, 600);
    const ab2 = r2.json.gate.checks.find((c: { id: string }) => c.id === 'ab');
    assert.match(ab2.detail, /2000 older outcomes without a version were attributed by their canary window/);
    assert.strictEqual(ab2.code, 'ok', ab2.detail);
  });
});

describe('issue 14 end to end: comparable offline evidence', function () {
  this.timeout(180_000);
  before(function () {
    if (!hasSklearn) {
      this.skip();
    }
  });

  const EVAL = `
import sys, mlsight
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
C = float(sys.argv[1]); split_seed = int(sys.argv[2])
X, y = load_breast_cancer(return_X_y=True)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=143, random_state=split_seed)
with mlsight.start_run(experiment="bc") as run:
    clf = LogisticRegression(C=C, max_iter=5000).fit(Xtr, ytr)
    pred = clf.predict(Xte)
    run.log_evaluation("test-set", Xte, yte, pred, role="test", metrics={"val/accuracy": float((pred == yte).mean())})
    run.log_model(clf, name="clf")
    print(run.run_id, flush=True)
`;

  it("defect 3: different test sets → not-comparable with both shown; the same test set → McNemar with a CI at the model's alpha", async () => {
    const ws = tempWorkspace('mlsight-e2e-offline-');
    fs.writeFileSync(path.join(ws, 'eval.py'), EVAL);
    const run = (c: number, seed: number) => {
      const r = spawnSync(PYTHON, ['eval.py', String(c), String(seed)], {
        cwd: ws,
        env: pyEnv(),
        encoding: 'utf8',
        timeout: 120_000,
      });
      assert.strictEqual(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    const ids = [run(0.001, 0), run(1.0, 1), run(1.0, 0)];
    const f = ['--folder', ws, '--format', 'json'];
    for (const id of ids) {
      assert.strictEqual((await cli(['registry', 'register', 'bc', '--run', id, ...f])).code, 0);
    }
    await cli(['registry', 'config', 'bc', '--metric', 'val/accuracy', ...f]);
    await cli(['registry', 'promote', 'bc', '1', '--reason', 'first', ...f]);
    const show = (await cli(['registry', 'show', 'bc', ...f])).json;
    const acc = (v: number) => show.versions.find((x: { version: number }) => x.version === v).metrics['val/accuracy'];
    assert.ok(acc(2) > acc(1), `v2 ${acc(2)} looks better than v1 ${acc(1)}`);
    let r = await cli(['registry', 'promote', 'bc', '2', '--reason', 'higher accuracy', ...f]);
    assert.strictEqual(r.code, 3);
    let offline = r.json.gate.checks.find((c: { id: string }) => c.id === 'offline');
    assert.strictEqual(offline.code, 'not-comparable');
    assert.match(
      offline.detail,
      /v2: test-set \(test, sha256:[0-9a-f]{12}, 143 rows\); v1: test-set \(test, sha256:[0-9a-f]{12}, 143 rows\)/,
    );
    // v3 is evaluated on v1's test set (same split): the per-example predictions are paired
    r = await cli(['registry', 'promote', 'bc', '3', '--reason', 'same test set', ...f]);
    offline = r.json.gate.checks.find((c: { id: string }) => c.id === 'offline');
    if (acc(3) > acc(1)) {
      assert.ok(['ok', 'not-significant'].includes(offline.code), offline.detail);
      assert.match(
        offline.detail,
        /McNemar exact test \(\d+ examples only v3 gets right, \d+ only v1\): difference [-0-9.e]+, 95 % CI \[[-0-9.e]+, [-0-9.e]+\], p = /,
      );
    } else {
      assert.strictEqual(offline.code, 'not-better', offline.detail);
    }
  });
});

describe('issue 14 end to end: reproducibility without false positives', function () {
  this.timeout(180_000);
  before(function () {
    if (!hasSklearn) {
      this.skip();
    }
  });

  const SCRIPT = `
import mlsight, pandas as pd
mlsight.set_seed(0)
with mlsight.start_run(experiment="repro") as run:
    run.log_dataset("train", "data/train.csv", role="train")
    run.log_dataset("images", "data/images", role="train")
    run.log_dataset("frame", pd.read_csv("data/frame.csv"), role="test", source="data/frame.csv")
    run.log_dataset("warehouse", pd.read_csv("data/frame.csv"), role="eval", source="bigquery://proj/ds/table")
    print(run.run_id, flush=True)
`;

  it('defect 6: a clean workflow scores full marks; each single change is reported exactly once', async () => {
    const ws = tempWorkspace('mlsight-e2e-repro-');
    const w = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
      fs.writeFileSync(path.join(ws, rel), text);
    };
    w('train.py', SCRIPT);
    w('requirements.txt', 'pandas==1.5.3\nscikit-learn==1.2.1  # pinned\n');
    w('.gitignore', '.mlsight/\n');
    w('data/train.csv', 'x,y\n1,0\n2,1\n');
    w('data/frame.csv', 'a,b\n1,2\n3,4\n');
    w('data/images/a.txt', 'A');
    w('data/images/sub/b.txt', 'B');
    gitInit(ws);
    const runOnce = () => {
      const r = spawnSync(PYTHON, ['train.py'], { cwd: ws, env: pyEnv(), encoding: 'utf8', timeout: 120_000 });
      assert.strictEqual(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    const id = runOnce();
    const { WorkspaceStore } = await import('../../src/core/store/store');
    const { ingestMlsightRuns } = await import('../../src/core/ingest/mlsightRunLog');
    const { checkReproducibility } = await import('../../src/core/runs/reproducibility');
    const check = async (runId: string) => {
      const store = await WorkspaceStore.open({ folder: ws });
      try {
        await ingestMlsightRuns(store, {
          info: () => undefined,
          warn: () => undefined,
          error: () => undefined,
        } as never);
        return await store.read(db => checkReproducibility(db, runId, ws));
      } finally {
        await store.close();
      }
    };
    const failed = (r: { checks: { id: string; ok: boolean; detail: string }[] }) => r.checks.filter(c => !c.ok);
    const clean = await check(id);
    assert.deepStrictEqual([clean.passed, clean.total], [6, 6], JSON.stringify(failed(clean)));
    const single = async (change: () => void, undo: () => void, id2: string, expected: string, pattern: RegExp) => {
      change();
      try {
        const r = await check(id2);
        const f = failed(r);
        assert.deepStrictEqual(
          f.map(c => c.id),
          [expected],
          JSON.stringify(f),
        );
        assert.strictEqual(f[0].detail.split('; ').length, 1, `reported once: ${f[0].detail}`);
        assert.match(f[0].detail, pattern);
      } finally {
        undo();
      }
    };
    const edit = (rel: string, text: string) => {
      const old = fs.readFileSync(path.join(ws, rel), 'utf8');
      return [() => w(rel, text), () => w(rel, old)] as const;
    };
    await single(
      ...edit('data/train.csv', 'x,y\n1,0\n2,0\n'),
      id,
      'data-unchanged',
      /train \(train\): data\/train\.csv changed since the run/,
    );
    await single(
      ...edit('data/images/sub/b.txt', 'B2'),
      id,
      'data-unchanged',
      /images \(train\): data\/images changed since the run/,
    );
    await single(
      ...edit('data/frame.csv', 'a,b\n1,2\n'),
      id,
      'data-unchanged',
      /frame \(test\): source data\/frame\.csv changed since the run/,
    );
    await single(
      ...edit('requirements.txt', 'pandas>=1.5\nscikit-learn==1.2.1\n'),
      id,
      'packages',
      /does not pin pandas/,
    );
    assert.deepStrictEqual([(await check(id)).passed], [6], 'restored: full marks again');
    // a dirty tree is recorded by the run that starts on it
    w('requirements.txt', 'pandas==1.5.3\nscikit-learn==1.2.1  # pinned, edited\n');
    const dirty = runOnce();
    await single(
      () => undefined,
      () => undefined,
      dirty,
      'clean-tree',
      /uncommitted changes/,
    );
  });
});
