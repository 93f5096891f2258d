// Store benchmarks (plain Node, over src/core). Prints JSON lines {name, value, unit, baseline, ratio}.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { WorkspaceStore } from '../src/core/store/store';
import { atomicWrite } from '../src/core/store/atomicFile';
import { ingestMlsightRuns } from '../src/core/ingest/mlsightRunLog';
import { silentLogger } from '../src/core/log';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn: () => Promise<unknown>, reps = 5): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return median(out);
}
function report(name: string, value: number, unit: string, baselineName: string, baseline: number): void {
  console.log(
    JSON.stringify({
      name,
      value: +value.toFixed(2),
      unit,
      baseline: baselineName,
      baselineValue: +baseline.toFixed(2),
      ratio: +(value / baseline).toFixed(2),
    }),
  );
}

async function main(): Promise<void> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-bench-'));
  try {
    // 1. persist a store holding 100,000 params: atomic write (temp + fsync + rename + dir fsync, under the
    //    inter-process lock, with the reload check) against a plain fs.writeFile of the same bytes.
    const store = await WorkspaceStore.open({ folder: ws, persistDelayMs: 60_000 });
    store.write(db => {
      db.run(`INSERT INTO experiments (id, name, source) VALUES ('e', 'bench', 'bench')`);
      db.run(`INSERT INTO runs (id, experiment_id, source) VALUES ('r', 'e', 'bench')`);
      db.runMany(
        'INSERT INTO params (run_id, key, value) VALUES (?, ?, ?)',
        Array.from({ length: 100_000 }, (_, i) => ['r', `param_${i}`, String(Math.sin(i))]),
      );
    });
    await store.flush();
    const bytes = fs.readFileSync(store.dbPath);
    let k = 0;
    const persist = await time(async () => {
      store.write(db => db.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', ['k', String(k++)]));
      await store.flush();
    });
    const plain = await time(() => fs.promises.writeFile(path.join(ws, 'plain.db'), bytes));
    report(
      `persist store (100k params, ${(bytes.length / 1e6).toFixed(1)} MB)`,
      persist,
      'ms',
      'plain fs.writeFile of the same bytes',
      plain,
    );
    const atomic = await time(() => atomicWrite(path.join(ws, 'atomic.db'), bytes));
    report('atomicWrite alone (temp + fsync + rename)', atomic, 'ms', 'plain fs.writeFile of the same bytes', plain);
    await store.close();

    // 2. ingest run logs: 20 runs × 5,000 metric lines, against JSON.parse of the same lines alone.
    const ws2 = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-bench-ingest-'));
    const all: string[] = [];
    for (let r = 0; r < 20; r++) {
      const lines = [JSON.stringify({ type: 'run', run_id: `r${r}`, experiment: 'bench', name: `run ${r}` })];
      for (let s = 0; s < 5000; s++) {
        lines.push(
          JSON.stringify({ type: 'metric', key: 'loss', value: Math.random(), step: s, ts: 1_700_000_000_000 + s }),
        );
      }
      fs.mkdirSync(path.join(ws2, '.mlsight', 'runs', `r${r}`), { recursive: true });
      fs.writeFileSync(path.join(ws2, '.mlsight', 'runs', `r${r}`, 'events.jsonl'), lines.join('\n') + '\n');
      all.push(...lines);
    }
    const s2 = await WorkspaceStore.open({ folder: ws2, persistDelayMs: 60_000 });
    const t0 = performance.now();
    await ingestMlsightRuns(s2, silentLogger);
    const ingest = performance.now() - t0;
    const parse = await time(async () => {
      for (const l of all) {
        JSON.parse(l);
      }
    });
    report('ingest 20 run logs × 5,000 metric lines', ingest, 'ms', 'JSON.parse of the same lines', parse);
    await s2.close();
    fs.rmSync(ws2, { recursive: true, force: true });
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
