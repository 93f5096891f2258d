// `npm run bench`: benchmarks as scripts (not timed tests). Each number is printed with a baseline measured in
// the same run and the ratio between them; everything is also saved to bench-results/bench.json.
//   1. activation time of ML Sight in the real VS Code extension host (code-server), median of 3 starts,
//      against an empty extension bundle loaded and activated in the same host, and against the 150 ms budget;
//      a new run-log line reaching the Runs view once the store is loaded, against 1 s (single-folder suites);
//   1b. extension-host benchmarks (test/ext/bench/, MLSIGHT_WORKSPACE_KIND=bench);
//   2. VSIX size against the 5 MB budget and against the WebAssembly it must ship;
//   3. store benchmarks in plain Node (bench/store.bench.ts).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench-results');
mkdirSync(out, { recursive: true });
const rows = [];
const row = (name, value, unit, baseline, baselineValue) => {
  const r = {
    name,
    value: +value.toFixed(2),
    unit,
    baseline,
    baselineValue: +baselineValue.toFixed(2),
    ratio: +(value / baselineValue).toFixed(3),
  };
  rows.push(r);
  console.log(`${name}: ${r.value} ${unit}  | baseline ${baseline}: ${r.baselineValue} ${unit}  | ratio ${r.ratio}`);
};
const run = (cmd, args, env = {}) =>
  spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });

// build + package once
for (const [cmd, args] of [
  ['bash', ['scripts/setup-code-server.sh']],
  ['npm', ['run', '-s', 'package']],
  ['node', ['scripts/build.mjs']],
]) {
  const r = run(cmd, args);
  if (r.status !== 0) {
    console.error(r.stdout, r.stderr);
    process.exit(1);
  }
}

// 1. activation
const act = [],
  empty = [],
  newRun = [];
for (let i = 0; i < 3; i++) {
  const r = run('node', ['test/harness/run-ext-tests.mjs'], {
    MLSIGHT_TEST_GREP: 'activates|Show Store Info|a new run log line',
  });
  const res = JSON.parse(readFileSync(join(root, 'test-results/ext-host.json'), 'utf8'));
  if (r.status !== 0 || !res.measurements?.activationMs) {
    console.error(r.stdout, r.stderr);
    process.exit(1);
  }
  act.push(res.measurements.activationMs);
  empty.push(res.measurements.emptyExtensionActivationMs);
  newRun.push(res.measurements.newRunVisibleMs);
}
const med = xs => [...xs].sort((a, b) => a - b)[1];
row(
  'activation (bundle load + activate, median of 3)',
  med(act),
  'ms',
  'empty extension bundle, same host',
  med(empty),
);
row('activation against the budget', med(act), 'ms', 'budget', 150);
row('a new run log line visible in the Runs view (median of 3)', med(newRun), 'ms', 'budget', 1000);

// 1b. comparison first paint, 20 runs × 100,000 points, decimated vs undecimated (inside the real VS Code)
{
  const r = run('node', ['test/harness/run-ext-tests.mjs'], {
    MLSIGHT_WORKSPACE_KIND: 'bench',
    MLSIGHT_TEST_TIMEOUT_MS: '900000',
  });
  const res = JSON.parse(readFileSync(join(root, 'test-results/ext-host-bench.json'), 'utf8'));
  const m = res.measurements ?? {};
  if (r.status !== 0 || !m['compareBench.decimated.firstPaintMs']) {
    console.error(r.stdout, r.stderr);
    process.exit(1);
  }
  row(
    `compare first paint, 20 runs × 100,000 points (${m['compareBench.decimated.points']} drawn after LTTB)`,
    m['compareBench.decimated.firstPaintMs'],
    'ms',
    `undecimated (${m['compareBench.undecimated.points']} points)`,
    m['compareBench.undecimated.firstPaintMs'],
  );
  row(
    'compare open → first paint, wall (query + transfer + paint)',
    m['compareBench.decimated.wallMs (query + transfer + paint)'],
    'ms',
    'undecimated',
    m['compareBench.undecimated.wallMs (query + transfer + paint)'],
  );
}

// 2. VSIX size
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const vsix = statSync(join(root, 'artifacts', `${pkg.name}-${pkg.version}.vsix`)).size / 1e6;
const wasm =
  ['sql-wasm.wasm', 'tree-sitter.wasm', 'tree-sitter-python.wasm'].reduce(
    (a, f) => a + statSync(join(root, 'dist', f)).size,
    0,
  ) / 1e6;
row('VSIX size', vsix, 'MB', 'budget', 5);
row('VSIX size against the WebAssembly it ships (uncompressed)', vsix, 'MB', 'wasm files', wasm);

// 3. store, ingestion, live logging and scale, plus every other bench/*.bench.ts script
for (const f of readdirSync(join(root, 'dist/bench'))
  .filter(f => f.endsWith('.bench.js'))
  .sort()) {
  const s = run('node', ['--max-old-space-size=8192', join('dist/bench', f)]);
  if (s.status !== 0) {
    console.error(`${f} failed:`, s.stdout, s.stderr);
    process.exit(1);
  }
  for (const line of s.stdout
    .trim()
    .split('\n')
    .filter(l => l.startsWith('{'))) {
    const r = JSON.parse(line);
    row(r.name, r.value, r.unit, r.baseline, r.baselineValue);
  }
}
writeFileSync(
  join(out, 'bench.json'),
  JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2),
);
console.log(`\nsaved ${join(out, 'bench.json')}`);
