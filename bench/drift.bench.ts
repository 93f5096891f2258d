// Drift report benchmark (plain Node, over src/core/drift). Prints JSON lines {name, value, unit, baseline, ratio}.
//
// Two CSV files of 1,000,000 rows × 20 numeric features (MLSIGHT_BENCH_DRIFT_ROWS to change; ≈ 200 MB each), the
// current one shifted in half of its features. Each measure runs in a fresh child process (its wall time and its
// peak resident memory):
//   1. the full drift report in one thread (typing, Evidently's tests and every other statistic, histograms, drift
//      over 10 NannyML chunks, verdict) against merely parsing the two files into typed columns;
//   2. the report with worker threads (files read at once, columns analysed in parallel; dist/cli.js serves the
//      threads, as for `mlsight drift` and the extension) against the one-thread report;
//   3. the report against a pandas + numpy + scipy script that reads the same CSVs and computes KS and PSI for
//      the same columns (bench/drift_baseline.py; skipped when python3 with pandas and scipy is missing).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { defaultThreads, driftReportFromFiles, loadTable } from '../src/core/drift';

/** The CLI bundle serves the worker threads (as for `mlsight drift` and the extension). */
const CLI = path.join(__dirname, '..', 'cli.js');

const ROWS = Number(process.env.MLSIGHT_BENCH_DRIFT_ROWS || 1_000_000);
const FEATURES = 20;

function report(name: string, value: number, unit: string, baselineName: string, baseline: number): void {
  console.log(
    JSON.stringify({
      name,
      value: +value.toFixed(2),
      unit,
      baseline: baselineName,
      baselineValue: +baseline.toFixed(2),
      ratio: +(value / baseline).toFixed(3),
    }),
  );
}

/** Writes a CSV of ROWS rows: features drawn from a MINSTD generator (Irwin–Hall normals, uniforms, integers). */
function writeCsv(file: string, seed: number, shift: boolean): void {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, Array.from({ length: FEATURES }, (_, j) => `f${j}`).join(',') + '\n');
  let x = seed;
  const u = () => {
    x = (48271 * x) % 2147483647;
    return x / 2147483647;
  };
  let buf: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    const row: string[] = new Array(FEATURES);
    for (let j = 0; j < FEATURES; j++) {
      const s = shift && j % 2 === 0 ? 0.15 * (1 + (j % 5)) : 0;
      let v: number;
      if (j % 4 === 3) {
        v = Math.floor(u() * 1000);
        row[j] = String(v + (s ? 20 : 0));
        continue;
      }
      if (j % 4 === 1) {
        v = u() * 100 + s * 10;
      } else {
        v = u() + u() + u() + u() - 2 + s;
      }
      row[j] = v.toFixed(6);
    }
    buf.push(row.join(','));
    if (buf.length === 20000) {
      fs.writeSync(fd, buf.join('\n') + '\n');
      buf = [];
    }
  }
  if (buf.length) {
    fs.writeSync(fd, buf.join('\n') + '\n');
  }
  fs.closeSync(fd);
}

async function child(kind: string, ref: string, cur: string): Promise<void> {
  const t0 = performance.now();
  let extra: Record<string, unknown> = {};
  if (kind === 'report' || kind === 'report-threads') {
    let threads = 1;
    const hooks =
      kind === 'report'
        ? {}
        : {
            workerScript: CLI,
            threads: defaultThreads(),
            onThreads: (n: number) => {
              threads = n;
            },
          };
    const r = await driftReportFromFiles(ref, cur, {}, hooks);
    extra = {
      columns: r.columns.length,
      drifted: r.dataset.nDrifted,
      loadMs: r.timings.loadMs,
      analyseMs: r.timings.analyseMs,
      threads,
    };
  } else {
    const a = await loadTable(ref);
    const b = await loadTable(cur);
    extra = { rows: a.rows + b.rows };
  }
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, ...extra }));
}

function run(kind: string, ref: string, cur: string): { ms: number; maxRssMb: number; [k: string]: number } {
  const r = spawnSync(process.execPath, ['--max-old-space-size=8192', __filename, '--child', kind, ref, cur], {
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    throw new Error(`${kind}: ${r.stderr}`);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function python(ref: string, cur: string): { ms: number; maxRssMb: number } | undefined {
  const script = path.join(__dirname, '..', '..', 'bench', 'drift_baseline.py');
  const py = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const check = spawnSync(py, ['-c', 'import pandas, scipy, numpy'], { encoding: 'utf8' });
  if (check.status !== 0 || !fs.existsSync(script)) {
    return undefined;
  }
  const r = spawnSync(py, [script, ref, cur], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`python baseline: ${r.stderr}`);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    await child(process.argv[3], process.argv[4], process.argv[5]);
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-bench-drift-'));
  try {
    const ref = path.join(dir, 'reference.csv');
    const cur = path.join(dir, 'current.csv');
    writeCsv(ref, 12345, false);
    writeCsv(cur, 67890, true);
    const mb = (fs.statSync(ref).size + fs.statSync(cur).size) / 1e6;
    const label = `${(ROWS / 1e6).toLocaleString('en-US')}M rows × ${FEATURES} features × 2 files, CSV ${mb.toFixed(0)} MB`;
    const parse = run('parse', ref, cur);
    const full = run('report', ref, cur);
    const threaded = fs.existsSync(CLI) ? run('report-threads', ref, cur) : undefined;
    report(
      `drift report, one thread (${label})`,
      full.ms,
      'ms',
      'parsing the two files into typed columns, one thread',
      parse.ms,
    );
    report('drift report, one thread: peak memory', full.maxRssMb, 'MB', 'parsing alone: peak memory', parse.maxRssMb);
    report(
      'drift report, one thread: statistics after loading',
      full.analyseMs,
      'ms',
      'loading (parse + type) inside the report',
      full.loadMs,
    );
    if (threaded) {
      report(
        `drift report, ${threaded.threads} worker threads (as the CLI and the extension run it)`,
        threaded.ms,
        'ms',
        'the same report in one thread',
        full.ms,
      );
      report(
        `drift report, ${threaded.threads} worker threads: peak memory (main thread + workers)`,
        threaded.maxRssMb,
        'MB',
        'one thread: peak memory',
        full.maxRssMb,
      );
    }
    const py = python(ref, cur);
    if (py) {
      const best = threaded ?? full;
      report(
        `drift report (${threaded ? `${threaded.threads} threads` : 'one thread'}) against Python`,
        best.ms,
        'ms',
        'pandas read_csv + scipy ks_2samp + PSI, same columns (bench/drift_baseline.py)',
        py.ms,
      );
      report(
        'drift report against Python: peak memory',
        best.maxRssMb,
        'MB',
        'pandas + scipy: peak memory',
        py.maxRssMb,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
