// Leakage analyzer benchmarks (plain Node): a 2,000-line file (median of warm runs), and linting a corpus of
// ≥ 500 files against CPython's own ast.parse of the same files, measured in the same run.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzePythonDetailed, loadPythonParser } from '../src/core/leakage';

const report = (name: string, value: number, unit: string, baseline: string, baselineValue: number) =>
  console.log(JSON.stringify({ name, value: +value.toFixed(2), unit, baseline, baselineValue: +baselineValue.toFixed(2) }));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function corpusFiles(dir: string): string[] {
  return fs.readdirSync(dir).flatMap(n => {
    const p = path.join(dir, n);
    return fs.statSync(p).isDirectory() ? corpusFiles(p) : n.endsWith('.py') ? [p] : [];
  });
}

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const corpus = corpusFiles(path.join(root, 'test', 'unit', 'fixtures', 'leakage'));
  await loadPythonParser();
  // one 2,000-line file made of corpus scripts (each wrapped in its own function so names do not collide)
  const lines: string[] = [];
  for (let i = 0; lines.length < 2000; i++) {
    const src = fs.readFileSync(corpus[i % corpus.length], 'utf8').split('\n');
    lines.push(`def script_${i}():`, ...src.map(l => (l.trim() ? '    ' + l : '')), '    pass', '');
  }
  const big = lines.slice(0, 2000).join('\n');
  for (let i = 0; i < 3; i++) { await analyzePythonDetailed(big); }
  const times: number[] = [];
  for (let i = 0; i < 15; i++) { const t0 = performance.now(); await analyzePythonDetailed(big); times.push(performance.now() - t0); }
  report('leakage analysis of one 2,000-line file (median, warm)', median(times), 'ms', 'goal', 30);

  // corpus of ≥ 500 files: the labelled corpus copied until there are 500, each copy slightly different
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-lint-bench-'));
  try {
    const files: string[] = [];
    for (let i = 0; files.length < 500; i++) {
      const f = path.join(dir, `f${i}.py`);
      fs.writeFileSync(f, `# copy ${i}\n` + fs.readFileSync(corpus[i % corpus.length], 'utf8'));
      files.push(f);
    }
    const t0 = performance.now();
    for (const f of files) { await analyzePythonDetailed(fs.readFileSync(f, 'utf8')); }
    const lint = performance.now() - t0;
    const py = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    const script = 'import ast, sys, time\nfiles = sys.argv[1:]\nt0 = time.perf_counter()\nfor f in files:\n    try:\n        ast.parse(open(f, encoding="utf-8").read())\n    except SyntaxError:\n        pass\nprint((time.perf_counter() - t0) * 1000)\n';
    const r = spawnSync(py, ['-c', script, ...files], { encoding: 'utf8' });
    if (r.status !== 0) { throw new Error(r.stderr); }
    report(`lint ${files.length} corpus files (read + parse + analyse)`, lint, 'ms', "CPython's ast.parse of the same files", Number(r.stdout.trim()));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(e => { console.error(e); process.exit(1); });
