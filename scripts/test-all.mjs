// `npm test`: every tier, in order, on a machine set up by .ci/run (or by hand: apt-get install -y libkrb5-dev
// ripgrep chromium python3). Sets up code-server on first use. Prints each tier's result and ends with one
// "N passed, N failed" line summing all tiers; exits non-zero if anything failed or a tier could not run.
//   MLSIGHT_TIERS=lint,unit,fuzz,python,ext,ui   run only these tiers (build steps always run)
// The lint tier (ESLint with type information, then `prettier --check`) runs first; it does not stop the others.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDeps } from './ensure-deps.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
ensureDeps(root, { system: true });
const results = join(root, 'test-results');
mkdirSync(results, { recursive: true });
const only = process.env.MLSIGHT_TIERS ? new Set(process.env.MLSIGHT_TIERS.split(',')) : undefined;
const want = tier => !only || only.has(tier);
const rows = [];
const t00 = Date.now();

function sh(cmd, args, opts = {}) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, {
    cwd: root,
    stdio: opts.capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
  });
  if (opts.capture) {
    process.stdout.write(r.stdout ?? '');
    process.stderr.write(r.stderr ?? '');
  }
  return { code: r.status ?? 1, out: (r.stdout ?? '') + (r.stderr ?? ''), secs: (Date.now() - t0) / 1000 };
}

function step(name, cmd, args) {
  console.log(`\n=== ${name} ===`);
  const r = sh(cmd, args);
  if (r.code !== 0) {
    rows.push({ tier: name, passed: 0, failed: 1, secs: r.secs, note: `exit ${r.code}` });
  }
  return r.code === 0;
}

const lastCount = out => {
  const m = [...out.matchAll(/^(\d+) passed, (\d+) failed/gm)].pop();
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : undefined;
};

if (want('lint')) {
  console.log('\n=== lint (ESLint with type information, Prettier) ===');
  // one row per tool: a tool passes when it reports nothing; the note says how much it found
  const eslintJson = join(results, 'eslint.json');
  rmSync(eslintJson, { force: true });
  const e = sh('npx', ['eslint', '--format', 'json', '--output-file', eslintJson, '.']);
  const files = existsSync(eslintJson) ? JSON.parse(readFileSync(eslintJson, 'utf8')) : undefined;
  const problems = files ? files.reduce((a, f) => a + f.errorCount + f.warningCount, 0) : undefined;
  if (files && problems) {
    for (const f of files) {
      for (const m of f.messages) {
        console.log(`${f.filePath}:${m.line}:${m.column} ${m.ruleId ?? ''} ${m.message}`);
      }
    }
  }
  const eslintOk = e.code === 0 && problems === 0;
  rows.push({
    tier: 'lint (eslint)',
    passed: eslintOk ? 1 : 0,
    failed: eslintOk ? 0 : 1,
    secs: e.secs,
    note: problems === undefined ? `exit ${e.code}` : `${problems} problem(s)`,
  });
  const p = sh('npx', ['prettier', '--check', '.'], { capture: true });
  const unformatted = (p.out.match(/^\[warn\] (?!Code style issues)/gm) ?? []).length;
  rows.push({
    tier: 'lint (prettier)',
    passed: p.code === 0 ? 1 : 0,
    failed: p.code === 0 ? 0 : 1,
    secs: p.secs,
    note: p.code === 0 ? '' : `${unformatted} file(s) not formatted`,
  });
}

const ok =
  step('set up code-server', 'bash', ['scripts/setup-code-server.sh']) &&
  step('type-check', 'npm', ['run', '-s', 'typecheck']) &&
  step('package (.vsix)', 'npm', ['run', '-s', 'package']) &&
  step('build', 'node', ['scripts/build.mjs']);

if (ok) {
  if (want('unit')) {
    console.log('\n=== unit tests (mocha, plain Node) ===');
    const file = join(results, 'unit.json');
    rmSync(file, { force: true });
    const r = sh('npx', ['mocha', '--reporter', join(root, 'test/harness/countingReporter.cjs')], {
      env: { MLSIGHT_MOCHA_RESULTS: file },
    });
    const c = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { passed: 0, failed: 1 };
    rows.push({
      tier: 'unit',
      passed: c.passed,
      failed: c.failed + (r.code !== 0 && c.failed === 0 ? 1 : 0),
      secs: r.secs,
    });
  }
  if (want('fuzz') && existsSync(join(root, 'dist/test/fuzz'))) {
    // property-based tests over every reader of workspace files: fixed seeds, a time budget per reader
    // (MLSIGHT_FUZZ_BUDGET_MS, default 7 s), failing inputs saved to test-results/fuzz-failures/
    console.log('\n=== fuzz tests (fast-check, fixed seeds) ===');
    const file = join(results, 'fuzz.json');
    rmSync(file, { force: true });
    const r = sh(
      'npx',
      [
        'mocha',
        '--no-config',
        '--timeout',
        '300000',
        '--enable-source-maps',
        '--reporter',
        join(root, 'test/harness/countingReporter.cjs'),
        'dist/test/fuzz/**/*.test.js',
      ],
      { env: { MLSIGHT_MOCHA_RESULTS: file } },
    );
    const c = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { passed: 0, failed: 1 };
    rows.push({
      tier: 'fuzz',
      passed: c.passed,
      failed: c.failed + (r.code !== 0 && c.failed === 0 ? 1 : 0),
      secs: r.secs,
    });
  }
  if (want('python') && existsSync(join(root, 'python/tests'))) {
    console.log('\n=== Python logger tests (unittest) ===');
    // Debian's interpreter has the apt-installed numpy/pandas/scikit-learn; another python3 may come first on PATH.
    const python = process.env.MLSIGHT_PYTHON || (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
    const r = sh(python, ['-m', 'unittest', 'discover', '-s', 'python/tests', '-v'], {
      capture: true,
      env: { PYTHONDONTWRITEBYTECODE: '1' },
    });
    const ran = Number(/^Ran (\d+) tests?/m.exec(r.out)?.[1] ?? 0);
    const bad = /^FAILED \((.*)\)/m.exec(r.out)?.[1] ?? '';
    const failed = [...bad.matchAll(/(?:failures|errors)=(\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
    const skipped = Number(/skipped=(\d+)/.exec(r.out)?.[1] ?? 0);
    rows.push({
      tier: 'python',
      passed: ran - failed - skipped,
      failed: failed + (r.code !== 0 && failed === 0 ? 1 : 0) + (ran === 0 ? 1 : 0),
      secs: r.secs,
    });
  }
  for (const [tier, script, title, env] of [
    ['ext', 'test/harness/run-ext-tests.mjs', 'extension-host tests (real VS Code, one folder)', {}],
    [
      'ext',
      'test/harness/run-ext-tests.mjs',
      'extension-host tests (real VS Code, multi-root workspace)',
      { MLSIGHT_WORKSPACE_KIND: 'multi' },
    ],
    [
      'ext',
      'test/harness/run-ext-tests.mjs',
      'extension-host tests (real VS Code, untrusted workspace)',
      { MLSIGHT_WORKSPACE_KIND: 'untrusted' },
    ],
    ['ui', 'test/harness/run-ui-tests.mjs', 'UI tests (Chromium + real VS Code)', {}],
  ]) {
    if (!want(tier)) {
      continue;
    }
    console.log(`\n=== ${title} ===`);
    const r = sh('node', [script], { capture: true, env });
    const c = lastCount(r.out) ?? { passed: 0, failed: 1 };
    rows.push({
      tier: env.MLSIGHT_WORKSPACE_KIND ? `${tier} (${env.MLSIGHT_WORKSPACE_KIND})` : tier,
      passed: c.passed,
      failed: c.failed + (r.code !== 0 && c.failed === 0 ? 1 : 0),
      secs: r.secs,
    });
  }
}

console.log('\n=== summary ===');
for (const r of rows) {
  console.log(
    `${r.tier.padEnd(20)} ${String(r.passed).padStart(4)} passed ${String(r.failed).padStart(3)} failed  ${r.secs.toFixed(1)} s${r.note ? '  ' + r.note : ''}`,
  );
}
const passed = rows.reduce((a, r) => a + r.passed, 0);
const failed = rows.reduce((a, r) => a + r.failed, 0);
console.log(`total time ${((Date.now() - t00) / 1000).toFixed(0)} s; screenshots and results in test-results/`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || !passed ? 1 : 0);
