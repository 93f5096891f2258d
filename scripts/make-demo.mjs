// Generates the demo workspace `npm start` opens, so that every feature has something to show (nothing of it is
// committed; the hand-written sources — scripts, notebook, README — come from demo/):
//   node scripts/make-demo.mjs <target folder>          (the folder is emptied first; needs dist/cli.js, built if missing)
// What it writes (deterministic: fixed seeds and dates):
//   data/iris_train.csv, data/iris_test.csv  synthetic iris-shaped data; runs log them by content hash
//   .mlsight/runs/…      experiment "iris-classifier": a DummyClassifier baseline, logistic regressions (two C),
//                        an SVC, a random forest that is fully reproducible (seed, pinned packages, clean commit,
//                        hashed datasets), an MLP that diverged (FAILED, NaN loss); per-epoch curves, final test
//                        metrics logged once, feature importances. Experiment "churn": three runs that logged a model.
//   registry             model "churn": v1 @champion (promoted with a reason), v2 @challenger on a 20 % canary,
//                        registered through the `mlsight` CLI (the audit log and the store, as a user would)
//   .mlsight/ab/churn.jsonl   A/B outcomes as mlsight.log_outcome writes them (the challenger retains more customers)
//   data/churn_reference.csv, data/churn_current.csv + .mlsight/drift-watches.json   a drift pair and a saved watch
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** mulberry32: a small seeded PRNG, so every generated demo is the same. */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    const u = Math.max(next(), 1e-12),
      v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return { next, normal };
}

const sha256 = bytes => createHash('sha256').update(bytes).digest('hex');
const DAY = Date.UTC(2026, 10, 23, 9, 0, 0);
const COMMIT = 'e4c1f0a9b2d3c4e5f60718293a4b5c6d7e8f9012';
const REQUIREMENTS = 'numpy==1.26.4\npandas==2.1.4\nscikit-learn==1.4.1.post1\nscipy==1.11.4\n';

function writeCsv(file, header, rows) {
  const text = [header.join(','), ...rows.map(r => r.join(','))].join('\n') + '\n';
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return { digest: `sha256:${sha256(Buffer.from(text))}`, rows: rows.length, size: Buffer.byteLength(text) };
}

/** Iris-shaped data (per-class means and spreads of Fisher's iris), split 75/25 and stratified. */
function irisData(ws) {
  const r = prng(7);
  const classes = [
    ['setosa', [5.01, 3.43, 1.46, 0.25], [0.35, 0.38, 0.17, 0.11]],
    ['versicolor', [5.94, 2.77, 4.26, 1.33], [0.52, 0.31, 0.47, 0.2]],
    ['virginica', [6.59, 2.97, 5.55, 2.03], [0.64, 0.32, 0.55, 0.27]],
  ];
  const train = [],
    test = [];
  for (const [name, mean, sd] of classes) {
    for (let i = 0; i < 50; i++) {
      const row = [...mean.map((m, k) => Math.max(0.1, m + sd[k] * r.normal()).toFixed(1)), name];
      (i % 4 === 3 ? test : train).push(row);
    }
  }
  const header = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'];
  return {
    train: writeCsv(join(ws, 'data/iris_train.csv'), header, train),
    test: writeCsv(join(ws, 'data/iris_test.csv'), header, test),
  };
}

/** Churn data for the drift report: a reference period and a current one where income, calls and plans moved. */
function churnData(ws) {
  const make = (n, seed, shift) => {
    const r = prng(seed);
    const plans = shift
      ? ['basic', 'basic', 'basic', 'plus', 'premium']
      : ['basic', 'plus', 'plus', 'premium', 'premium'];
    const rows = [];
    for (let i = 0; i < n; i++) {
      const age = Math.round(Math.min(80, Math.max(18, 42 + 12 * r.normal())));
      const income = Math.max(8000, (shift ? 47000 : 56000) + 15000 * r.normal());
      const tenure = Math.max(1, Math.round(30 + 18 * r.normal()));
      const calls = Math.max(0, Math.round((shift ? 3.1 : 1.8) + 1.3 * r.normal()));
      const plan = plans[Math.floor(r.next() * plans.length)];
      const risk =
        -0.9 + 0.7 * (calls - 2) - 0.04 * (tenure - 30) + (plan === 'basic' ? 0.8 : 0) - (income - 50000) / 30000;
      const p = 1 / (1 + Math.exp(-risk));
      const churned = r.next() < p ? 1 : 0;
      // the model saw the reference period: its scores are right there, and miss what changed since
      const score = 1 / (1 + Math.exp(-(shift ? risk - 0.9 : risk) - 0.5 * r.normal()));
      rows.push([age, income.toFixed(0), tenure, calls, plan, churned, score >= 0.45 ? 1 : 0]);
    }
    return rows;
  };
  const header = ['age', 'income', 'tenure_months', 'support_calls', 'plan', 'churned', 'prediction'];
  return {
    reference: writeCsv(join(ws, 'data/churn_reference.csv'), header, make(1000, 11, false)),
    current: writeCsv(join(ws, 'data/churn_current.csv'), header, make(800, 12, true)),
    // the held-out set every churn model is evaluated on (the promotion gate compares models on the same one)
    test: writeCsv(join(ws, 'data/churn_test.csv'), header, make(300, 13, false)),
  };
}

function writeRun(ws, id, lines) {
  const dir = join(ws, '.mlsight', 'runs', id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'events.jsonl'), lines.map(l => JSON.stringify(l)).join('\n') + '\n');
  return dir;
}

/**
 * One run's events. `epochs` > 0 logs train/loss and val/accuracy per epoch (a curve that approaches `acc`);
 * otherwise val/accuracy is logged once. test/* metrics are always logged once, at the end.
 */
function irisRun(ws, data, o) {
  const r = prng(o.seed ?? 1);
  const start = DAY + o.hour * 3_600_000;
  const end = start + o.seconds * 1000;
  const lines = [
    {
      type: 'run',
      ts: start,
      run_id: o.id,
      experiment: 'iris-classifier',
      name: o.name,
      start_time: start,
      tags: { 'mlsight.source': 'demo' },
    },
  ];
  lines.push({ type: 'git', ts: start, commit: COMMIT, branch: 'main', dirty: !!o.dirty });
  lines.push({
    type: 'env',
    ts: start,
    python: '3.11.2',
    platform: 'Linux-6.1.0-x86_64',
    command: `python train.py --model ${o.params.model}`,
    logger: '1',
  });
  if (o.reproducible) {
    lines.push({
      type: 'seed',
      ts: start,
      seed: 42,
      libraries: ['random', 'numpy'],
      deterministic: true,
      pythonhashseed: '0',
    });
  }
  for (const [k, v] of Object.entries(o.params)) {
    lines.push({ type: 'param', ts: start, key: k, value: v });
  }
  for (const [role, d] of [
    ['train', data.train],
    ['test', data.test],
  ]) {
    lines.push({
      type: 'dataset',
      ts: start,
      name: 'iris',
      role,
      path: `data/iris_${role}.csv`,
      digest: d.digest,
      rows: d.rows,
      kind: 'file',
      size: d.size,
      // what the logger records for a CSV file (python/mlsight.py, _describe_table_file)
      schema: {
        format: 'csv',
        columns: [
          { name: 'sepal_length', dtype: 'float64' },
          { name: 'sepal_width', dtype: 'float64' },
          { name: 'petal_length', dtype: 'float64' },
          { name: 'petal_width', dtype: 'float64' },
          { name: 'species', dtype: 'object' },
        ],
        rows: d.rows,
      },
    });
  }
  const epochs = o.epochs ?? 0;
  for (let s = 0; s < epochs; s++) {
    const t = start + Math.round(((s + 1) / epochs) * (o.seconds - 2) * 1000);
    const diverge = o.divergeAt !== undefined && s >= o.divergeAt;
    const loss = diverge
      ? s === epochs - 1
        ? 'NaN'
        : Number((0.4 * 3 ** (s - o.divergeAt + 1)).toFixed(4))
      : Number((1.1 * Math.exp(-s / (epochs / 5)) + (1 - o.acc) * 0.8 + 0.015 * r.next()).toFixed(4));
    lines.push({ type: 'metric', ts: t, key: 'train/loss', value: loss, step: s });
    const acc = diverge ? 0.33 : o.acc - (o.acc - 0.34) * Math.exp(-s / (epochs / 6)) + 0.012 * (r.next() - 0.5);
    lines.push({ type: 'metric', ts: t, key: 'val/accuracy', value: Number(Math.min(1, acc).toFixed(4)), step: s });
  }
  if (!epochs) {
    lines.push({ type: 'metric', ts: end - 500, key: 'val/accuracy', value: o.acc, step: 0 });
  }
  if (o.status !== 'FAILED') {
    lines.push({ type: 'metric', ts: end - 200, key: 'test/accuracy', value: o.test, step: 0 });
    lines.push({ type: 'metric', ts: end - 200, key: 'test/f1_macro', value: o.f1, step: 0 });
  }
  if (o.importances) {
    lines.push({
      type: 'feature_importance',
      ts: end - 100,
      names: ['petal_width', 'petal_length', 'sepal_length', 'sepal_width'],
      values: o.importances,
      step: 0,
    });
  }
  const dir = writeRun(ws, o.id, []);
  if (o.reproducible) {
    writeFileSync(join(dir, 'requirements.txt'), REQUIREMENTS);
    lines.push({
      type: 'artifact',
      ts: end - 100,
      path: 'requirements.txt',
      size: REQUIREMENTS.length,
      sha256: sha256(REQUIREMENTS),
      kind: 'requirements',
    });
  }
  lines.push(
    o.status === 'FAILED'
      ? {
          type: 'end',
          ts: end,
          status: 'FAILED',
          end_time: end,
          error: 'ValueError: Input contains NaN (the loss diverged at learning_rate_init=0.5)',
          traceback:
            'Traceback (most recent call last):\n  File "train.py", line 41, in <module>\n    model.partial_fit(X_train, y_train)\nValueError: Input contains NaN\n',
        }
      : { type: 'end', ts: end, status: 'FINISHED', end_time: end },
  );
  writeRun(ws, o.id, lines);
}

function churnRuns(ws, churn) {
  const models = [
    {
      id: 'c1a7e0f2b3d44c5e8f9a0b1c2d3e4f50',
      name: 'churn-logreg',
      acc: 0.861,
      auc: 0.902,
      params: { model: 'LogisticRegression', C: 1.0 },
    },
    {
      id: 'c2b8f1a3c4e54d6f9a0b1c2d3e4f5061',
      name: 'churn-gbm',
      acc: 0.912,
      auc: 0.951,
      params: { model: 'GradientBoostingClassifier', n_estimators: 300, max_depth: 3 },
    },
    {
      id: 'c3c9a2b4d5f64e7a8b1c2d3e4f506172',
      name: 'churn-gbm-small',
      acc: 0.884,
      auc: 0.931,
      params: { model: 'GradientBoostingClassifier', n_estimators: 50, max_depth: 3 },
    },
  ];
  models.forEach((m, i) => {
    const start = DAY + 86_400_000 + i * 3_600_000;
    const lines = [
      {
        type: 'run',
        ts: start,
        run_id: m.id,
        experiment: 'churn',
        name: m.name,
        start_time: start,
        tags: { 'mlsight.source': 'demo' },
      },
    ];
    lines.push({ type: 'git', ts: start, commit: COMMIT, branch: 'main', dirty: false });
    for (const [k, v] of Object.entries(m.params)) {
      lines.push({ type: 'param', ts: start, key: k, value: v });
    }
    lines.push({
      type: 'dataset',
      ts: start,
      name: 'churn',
      role: 'train',
      path: 'data/churn_reference.csv',
      digest: churn.reference.digest,
      rows: churn.reference.rows,
      kind: 'file',
      size: churn.reference.size,
    });
    lines.push({
      type: 'dataset',
      ts: start,
      name: 'churn',
      role: 'test',
      path: 'data/churn_test.csv',
      digest: churn.test.digest,
      rows: churn.test.rows,
      kind: 'file',
      size: churn.test.size,
    });
    for (let s = 0; s < 10; s++) {
      lines.push({
        type: 'metric',
        ts: start + (s + 1) * 30_000,
        key: 'train/loss',
        value: Number((0.69 * Math.exp(-s / 3) + 0.25 - 0.1 * i).toFixed(4)),
        step: s,
      });
    }
    lines.push({ type: 'metric', ts: start + 300_000, key: 'val/accuracy', value: m.acc, step: 9 });
    lines.push({ type: 'metric', ts: start + 300_000, key: 'val/auc', value: m.auc, step: 9 });
    const bytes = Buffer.from(`demo model ${m.name} (not a real pickle)\n`);
    lines.push({
      type: 'model',
      ts: start + 300_000,
      name: 'churn',
      path: 'artifacts/models/churn/model.pkl',
      size: bytes.length,
      sha256: sha256(bytes),
      format: 'pickle',
      class: `sklearn.${m.params.model}`,
    });
    lines.push({ type: 'end', ts: start + 330_000, status: 'FINISHED', end_time: start + 330_000 });
    const dir = writeRun(ws, m.id, lines);
    mkdirSync(join(dir, 'artifacts/models/churn'), { recursive: true });
    writeFileSync(join(dir, 'artifacts/models/churn/model.pkl'), bytes);
  });
  return models;
}

/**
 * A/B outcomes as mlsight.log_outcome writes them (with the version that served each request): 20 % to the
 * challenger (v2), which retains more customers. They are logged after the canary started (`from`, ms), inside
 * its window, as the promotion gate requires.
 */
function abOutcomes(ws, from) {
  const r = prng(21);
  const lines = [];
  for (let i = 0; i < 6000; i++) {
    const challenger = r.next() < 0.2;
    lines.push({
      model: 'churn',
      variant: challenger ? 'challenger' : 'champion',
      request_key: `customer-${i}`,
      ts: from + 1 + i,
      version: challenger ? 2 : 1,
      retained: r.next() < (challenger ? 0.83 : 0.78) ? 1 : 0,
      latency_ms: Number((38 + 12 * r.next()).toFixed(1)),
    });
  }
  mkdirSync(join(ws, '.mlsight', 'ab'), { recursive: true });
  writeFileSync(join(ws, '.mlsight', 'ab', 'churn.jsonl'), lines.map(l => JSON.stringify(l)).join('\n') + '\n');
}

export function makeDemo(target, { cli = join(root, 'dist', 'cli.js') } = {}) {
  const ws = resolve(target);
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(ws, { recursive: true });
  for (const f of readdirSync(join(root, 'demo'))) {
    if (f !== '.mlsight') {
      cpSync(join(root, 'demo', f), join(ws, f), { recursive: true });
    }
  }
  const iris = irisData(ws);
  const base = { seed: 3 };
  irisRun(ws, iris, {
    ...base,
    id: '9f1c2a7b3d4e4f5a8b6c7d8e9f0a1b2c',
    name: 'dummy-baseline',
    hour: 0,
    seconds: 4,
    params: { model: 'DummyClassifier', strategy: 'most_frequent' },
    acc: 0.3333,
    test: 0.3333,
    f1: 0.1667,
  });
  irisRun(ws, iris, {
    ...base,
    id: '1a2b3c4d5e6f47089a0b1c2d3e4f5a6b',
    name: 'logreg-C1',
    hour: 1,
    seconds: 72,
    epochs: 40,
    params: { model: 'LogisticRegression', C: 1.0, max_iter: 200 },
    acc: 0.947,
    test: 0.947,
    f1: 0.9466,
    dirty: true,
  });
  irisRun(ws, iris, {
    seed: 5,
    id: '6b7c8d9e0f1a4b2c8d3e4f5a6b7c8d9e',
    name: 'logreg-C0.01',
    hour: 2,
    seconds: 65,
    epochs: 40,
    params: { model: 'LogisticRegression', C: 0.01, max_iter: 200 },
    acc: 0.842,
    test: 0.816,
    f1: 0.8102,
    dirty: true,
  });
  irisRun(ws, iris, {
    seed: 6,
    id: '7c8d9e0f1a2b4c3d9e4f5a6b7c8d9e0f',
    name: 'svc-rbf',
    hour: 3,
    seconds: 9,
    params: { model: 'SVC', C: 10, kernel: 'rbf', gamma: 'scale' },
    acc: 0.9667,
    test: 0.9737,
    f1: 0.9736,
  });
  irisRun(ws, iris, {
    seed: 8,
    id: '2b3c4d5e6f7a48099b1c2d3e4f5a6b7c',
    name: 'rf-200-trees',
    hour: 4,
    seconds: 540,
    epochs: 20,
    reproducible: true,
    params: { model: 'RandomForestClassifier', n_estimators: 200, max_depth: 6, random_state: 42 },
    acc: 0.958,
    test: 0.9737,
    f1: 0.9737,
    importances: [0.44, 0.42, 0.1, 0.04],
  });
  irisRun(ws, iris, {
    seed: 9,
    id: '3c4d5e6f7a8b491a8c2d3e4f5a6b7c8d',
    name: 'mlp-diverged',
    hour: 5,
    seconds: 130,
    epochs: 20,
    divergeAt: 14,
    status: 'FAILED',
    params: { model: 'MLPClassifier', hidden_layer_sizes: '64,64', learning_rate_init: 0.5 },
    acc: 0.9,
  });
  const churn = churnData(ws);
  const models = churnRuns(ws, churn);
  mkdirSync(join(ws, '.mlsight'), { recursive: true });
  writeFileSync(
    join(ws, '.mlsight', 'drift-watches.json'),
    JSON.stringify(
      {
        version: 1,
        watches: [
          {
            name: 'churn: last week vs training',
            reference: 'data/churn_reference.csv',
            current: 'data/churn_current.csv',
            target: 'churned',
            prediction: 'prediction',
            time: null,
          },
        ],
      },
      null,
      2,
    ) + '\n',
  );
  // the registry, through the command line as a user would build it (audit log first, then the store)
  if (!existsSync(cli)) {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--no-tests'], { stdio: 'inherit' });
  }
  const mlsight = (...args) =>
    execFileSync(process.execPath, [cli, ...args, '--folder', ws], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        // the registry records git's user.name as the actor: the demo's decisions are made by "Ada (demo)"
        ...process.env,
        USER: 'demo',
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'user.name',
        GIT_CONFIG_VALUE_0: 'Ada (demo)',
      },
    });
  mlsight(
    'registry',
    'register',
    'churn',
    '--run',
    models[0].id,
    '--description',
    'logistic regression, the first model in production',
  );
  mlsight(
    'registry',
    'register',
    'churn',
    '--run',
    models[1].id,
    '--description',
    'gradient boosting, 300 trees',
    '--alias',
    'challenger',
  );
  mlsight(
    'registry',
    'config',
    'churn',
    '--metric',
    'val/accuracy',
    '--direction',
    'maximize',
    '--min-improvement',
    '0.01',
  );
  mlsight('registry', 'promote', 'churn', '1', '--reason', 'first model in production');
  mlsight(
    'registry',
    'canary',
    'churn',
    '--version',
    '2',
    '--share',
    '0.2',
    '--reason',
    'canary the gradient-boosting model',
  );
  abOutcomes(ws, Date.now());
  return ws;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const target = process.argv[2];
  if (!target) {
    console.error('usage: node scripts/make-demo.mjs <target folder>');
    process.exit(2);
  }
  console.log(`demo workspace written to ${makeDemo(target)}`);
}
