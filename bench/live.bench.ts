// Live logging and scale (plain Node, over src/core). Prints JSON lines {name, value, unit, baseline, baselineValue}.
//   MLSIGHT_BENCH_RUNS (default 10000), MLSIGHT_BENCH_STEPS (default 10): the scale of the store.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_WRITE_BUDGET, WorkspaceStore } from '../src/core/store/store';
import { ingestMlsightRuns } from '../src/core/ingest/mlsightRunLog';
import { listExperiments } from '../src/core/queries';
import { DEFAULT_SORT, runRows } from '../src/core/runs/view';
import { silentLogger } from '../src/core/log';

const report = (name: string, value: number, unit: string, baseline: string, baselineValue: number) =>
  console.log(
    JSON.stringify({ name, value: +value.toFixed(2), unit, baseline, baselineValue: +baselineValue.toFixed(2) }),
  );
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function main(): Promise<void> {
  const RUNS = Number(process.env.MLSIGHT_BENCH_RUNS ?? 10_000);
  const STEPS = Number(process.env.MLSIGHT_BENCH_STEPS ?? 10);
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-bench-live-'));
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  try {
    // RUNS runs × 20 params × 10 metrics × STEPS steps, in 20 experiments
    let bytes = 0;
    for (let r = 0; r < RUNS; r++) {
      const lines = [
        JSON.stringify({
          type: 'run',
          run_id: `r${r}`,
          experiment: `exp-${r % 20}`,
          name: `run-${r}`,
          start_time: 1_700_000_000_000 + r,
        }),
      ];
      for (let p = 0; p < 20; p++) {
        lines.push(JSON.stringify({ type: 'param', key: `p${p}`, value: (r * p) % 7 }));
      }
      for (let s = 0; s < STEPS; s++) {
        for (let m = 0; m < 10; m++) {
          lines.push(JSON.stringify({ type: 'metric', key: `m${m}`, value: Math.sin(r + s + m), step: s }));
        }
      }
      lines.push(JSON.stringify({ type: 'end', status: 'FINISHED' }));
      const dir = path.join(ws, '.mlsight', 'runs', `r${r}`);
      fs.mkdirSync(dir, { recursive: true });
      const text = lines.join('\n') + '\n';
      bytes += text.length;
      fs.writeFileSync(path.join(dir, 'events.jsonl'), text);
    }
    const t0 = performance.now();
    for (let r = 0; r < RUNS; r++) {
      fs.readFileSync(path.join(ws, '.mlsight', 'runs', `r${r}`, 'events.jsonl'));
    }
    const readOnly = performance.now() - t0;
    const store = await WorkspaceStore.open({ folder: ws, persistDelayMs: 250 });
    const t1 = performance.now();
    await ingestMlsightRuns(store, silentLogger);
    const cold = performance.now() - t1;
    report(
      `cold ingest ${RUNS} runs × 20 params × 10 metrics × ${STEPS} steps (${(bytes / 1e6).toFixed(0)} MB of run logs)`,
      cold,
      'ms',
      'reading the same files',
      readOnly,
    );
    await store.flush();
    const size = fs.statSync(store.dbPath).size;

    // the Runs view's refresh: experiments + the runs of every experiment, sorted, with key metrics
    const refreshes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t2 = performance.now();
      store.read(db => {
        for (const e of listExperiments(db)) {
          runRows(db, e.id, DEFAULT_SORT);
        }
      });
      refreshes.push(performance.now() - t2);
    }
    const refresh = refreshes.sort((a, b) => a - b)[2];
    const t3 = performance.now();
    store.read(db => listExperiments(db));
    report(
      `Runs view refresh over ${RUNS} runs (median of 5)`,
      refresh,
      'ms',
      'listing the experiments alone',
      Math.max(0.01, performance.now() - t3),
    );

    // live logging: a metric line every 20 ms into one run for 6 s, read by a watcher-like loop; bytes the store
    // writes per minute at that rate, extrapolated to one line a second, against persisting after every line.
    const live = path.join(ws, '.mlsight', 'runs', 'live', 'events.jsonl');
    fs.mkdirSync(path.dirname(live), { recursive: true });
    fs.writeFileSync(live, JSON.stringify({ type: 'run', run_id: 'live', experiment: 'live', name: 'live' }) + '\n');
    const before = { ...store.stats };
    const lines = 300;
    for (let i = 0; i < lines; i++) {
      fs.appendFileSync(live, JSON.stringify({ type: 'metric', key: 'loss', value: 1 / (i + 1), step: i }) + '\n');
      await ingestMlsightRuns(store, silentLogger, [live]);
      await sleep(20);
    }
    const written = store.stats.bytesWritten - before.bytesWritten;
    const persists = store.stats.persists - before.persists;
    const seconds = lines * 0.02;
    // at one line per second the write budget allows one persist of `size` bytes every size / budget seconds
    const perMinuteAtOneLinePerSecond = Math.min(60, 60 / Math.max(1, size / DEFAULT_WRITE_BUDGET)) * size;
    report(
      `store bytes written per minute of live logging (1 line/s, ${(size / 1e6).toFixed(1)} MB store; measured ${persists} persists in ${seconds.toFixed(0)} s at 50 lines/s)`,
      perMinuteAtOneLinePerSecond / 1e6,
      'MB/min',
      'persisting after every line',
      (60 * size) / 1e6,
    );
    report(
      'measured bytes written while logging 50 lines/s',
      ((written / seconds) * 60) / 1e6,
      'MB/min',
      'persisting after every line',
      ((lines / seconds) * 60 * size) / 1e6,
    );
    await store.close();
    clearInterval(sampler);
    report(`peak memory (RSS) at ${RUNS} runs`, peakRss / 1e6, 'MB', 'store file size', size / 1e6);
  } finally {
    clearInterval(sampler);
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
